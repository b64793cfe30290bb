/**
 * The claimer's side of one dispute as a pure decision: given the game as the chain shows it, the
 * L1 time and our view of the run, what to do next. No I/O: bridge/dispute/game.ts reads the
 * chain, the worker's defender (verifier/worker/defender.ts) sends what this decides. The planner
 * decides what a move says (from the view); the policy decides which moves are made at all (a
 * test fault's liar holds some back).
 */
import type { Hex } from "viem";
import type { FullDisputeState } from "../../bridge/dispute/game.ts";
import { claimerToMove, type Outcome, outcomeFor, timedOut } from "../../bridge/dispute/vocabulary.ts";
import { type GameView, type Move, Phase, planClaimerMove } from "./planner.ts";
import type { PartyView } from "./view.ts";

export type ClaimerAction =
  /** The game is over; `outcome` from our side (null: a winner the contract does not name). */
  | { kind: "ended"; winner: number; outcome: Outcome | null }
  | { kind: "move"; move: Move }
  /**
   * The dispute was opened after the claim's challenge window: end it, won, with the claim's
   * inclusion in a batch recorded on L1 (DisputeGame.proveClaimFinal). Needs no view: a worker
   * that dropped the model still wins (issue 18, attack 6).
   */
  | { kind: "proveFinal"; inclusion: ClaimInclusionProof }
  /** The challenger's clock ran out while it was its move. */
  | { kind: "timeout" }
  /** Nothing to do now: the challenger's move, or a move the policy holds back. */
  | { kind: "wait" };

/** Which moves the claimer makes at all: every one, for an honest worker. */
export interface ClaimerPolicy {
  allowsMove(move: Move): boolean;
  /** Whether it ends a game whose challenger ran out of time. */
  callsTimeout: boolean;
}

export const HONEST_CLAIMER: ClaimerPolicy = { allowsMove: () => true, callsTimeout: true };

/** Where the claim was committed on L1 (sequencer/batch-claims.ts) and when it became final there. */
export interface ClaimInclusionProof {
  batchIndex: number;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
  /** Bridge.claimFinalAt for this proof: L1 seconds after which the claim can no longer be disputed. */
  finalAt: bigint;
}

export interface ClaimerSituation {
  game: GameView & { dispute: FullDisputeState };
  /** Latest L1 block timestamp, seconds. */
  now: bigint;
  /** The claim's inclusion in a recorded batch, when known (absent: not batched, or not asked). */
  inclusion?: ClaimInclusionProof | null;
}

/** True when `inclusion` ends the dispute: it was opened at or after the claim became final. */
export function openedAfterWindow(
  d: FullDisputeState,
  inclusion: ClaimInclusionProof | null | undefined,
): boolean {
  return !!inclusion && d.openedAt >= inclusion.finalAt;
}

/**
 * The claimer's next action. `view` may be null for a resolved game (rebuilding it re-runs the
 * inference, which an ended game does not need). Throws PlanError (from the planner) when our
 * view and the game contradict each other on our turn.
 */
export function decide(
  s: ClaimerSituation,
  view: PartyView | null,
  policy: ClaimerPolicy = HONEST_CLAIMER,
): ClaimerAction {
  const d = s.game.dispute;
  if (d.phase === Phase.resolved)
    return { kind: "ended", winner: d.winner, outcome: outcomeFor(d.winner, "claimer") };
  if (s.inclusion && openedAfterWindow(d, s.inclusion)) return { kind: "proveFinal", inclusion: s.inclusion };
  if (!view) throw new Error(`dispute in phase ${d.phase}: the claimer needs its view to decide`);
  if (claimerToMove(d.phase)) {
    const move = planClaimerMove(view, s.game);
    if (!move) throw new Error(`no claimer move in phase ${d.phase}`);
    return policy.allowsMove(move) ? { kind: "move", move } : { kind: "wait" };
  }
  if (policy.callsTimeout && timedOut(d, "challenger", s.now)) return { kind: "timeout" };
  return { kind: "wait" };
}
