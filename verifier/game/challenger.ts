/**
 * The challenger's side of one dispute as a pure decision: given the game as the chain shows it,
 * whether the claim was invalidated elsewhere, the L1 time and our view of the run, what to do
 * next. No I/O: bridge/dispute/game.ts reads the chain, verifier/watcher/scheduler.ts sends what
 * this decides.
 */
import type { Address } from "viem";
import type { FullDisputeState } from "../../bridge/dispute/game.ts";
import {
  claimerToMove,
  clockRunsOutAt,
  type Outcome,
  outcomeFor,
  timedOut,
} from "../../bridge/dispute/vocabulary.ts";
import { type GameView, type Move, Phase, planChallengerMove } from "./planner.ts";
import type { PartyView } from "./view.ts";

export type { Outcome };

export type Action =
  /** The game is over. */
  | { kind: "ended"; outcome: Outcome }
  /** Another dispute invalidated the claim: end ours, the bond comes back. */
  | { kind: "closeVoid" }
  /** The claimer's clock ran out while it was its move. */
  | { kind: "timeout" }
  | { kind: "move"; move: Move }
  /** The claimer's move; its clock runs out after L1 time `until` (seconds). */
  | { kind: "wait"; until: bigint };

export interface Situation {
  game: GameView & { dispute: FullDisputeState };
  /** The claim lost some dispute (ours or another's). */
  invalidated: boolean;
  /** Latest L1 block timestamp, seconds. */
  now: bigint;
  me: Address;
}

/**
 * The next action of the challenger `me` in this dispute. Throws PlanError (from the planner)
 * when our view and the game contradict each other, and an Error when the dispute is not ours.
 */
export function decide(s: Situation, view: PartyView): Action {
  const d = s.game.dispute;
  if (d.phase === Phase.resolved)
    return { kind: "ended", outcome: outcomeFor(d.winner, "challenger") ?? "void" };
  if (d.challenger.toLowerCase() !== s.me.toLowerCase())
    throw new Error(`dispute challenger is ${d.challenger}, not this watcher (${s.me})`);
  if (s.invalidated) return { kind: "closeVoid" };
  if (claimerToMove(d.phase)) {
    return timedOut(d, "claimer", s.now)
      ? { kind: "timeout" }
      : { kind: "wait", until: clockRunsOutAt(d, "claimer") };
  }
  // Our clock ran out (a watcher down too long): no move can land any more; the claimer or
  // anyone ends the game with timeout, and we only wait to record it.
  if (timedOut(d, "challenger", s.now)) return { kind: "wait", until: clockRunsOutAt(d, "challenger") };
  const move = planChallengerMove(view, s.game);
  if (!move) throw new Error(`no challenger move in phase ${d.phase}`);
  return { kind: "move", move };
}
