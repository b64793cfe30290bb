/**
 * Drives one dispute to its end with the two planners, each on its own view: read the game,
 * let the side to move plan, send the move, repeat. The watcher/worker agents do the same one
 * move at a time; this loop is for tests, benchmarks and the devkit.
 */
import type { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { type Move, Phase, planChallengerMove, planClaimerMove } from "./planner.ts";
import type { PartyView } from "./view.ts";

export interface PlayedMove {
  side: "claimer" | "challenger";
  kind: Move["kind"];
  gas: bigint;
  calldataBytes: number;
}

export interface PlayedGame {
  winner: number;
  moves: PlayedMove[];
}

export interface Player {
  /** The game client sending from this side's account. */
  game: DisputeGameContract;
  view: PartyView;
}

/** Plays dispute `id` until it is resolved (at most `maxMoves` moves). */
export async function playToEnd(
  id: bigint,
  claimer: Player,
  challenger: Player,
  maxMoves = 128,
): Promise<PlayedGame> {
  const moves: PlayedMove[] = [];
  for (let turn = 0; turn <= maxMoves; turn++) {
    const view = await claimer.game.readGame(id);
    if (view.dispute.phase === Phase.resolved) return { winner: view.dispute.winner, moves };
    const c = planClaimerMove(claimer.view, view);
    const side = c ? "claimer" : "challenger";
    const move = c ?? planChallengerMove(challenger.view, view);
    if (!move) throw new Error(`dispute ${id}: nobody can move in phase ${view.dispute.phase}`);
    const tx = await (side === "claimer" ? claimer : challenger).game.play(id, move);
    const sent = await claimer.game.clients.publicClient.getTransaction({ hash: tx.txHash });
    moves.push({ side, kind: move.kind, gas: tx.gasUsed, calldataBytes: (sent.input.length - 2) / 2 });
  }
  throw new Error(`dispute ${id} did not end in ${maxMoves} moves`);
}
