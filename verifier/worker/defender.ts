/**
 * The claimer's side of every dispute on this worker's claims. Finds them by the DisputeGame's
 * DisputeOpened log filtered on `claimer` (from a persisted L1 block cursor), then plays each one
 * with the pure decision `decide` (verifier/game/claimer.ts), one move per turn, re-reading the
 * game from the chain before every move: a restarted worker resumes from whatever the chain says,
 * never from memory. When the challenger's clock has run out it calls `timeout`. A test fault decides which moves a
 * liar makes at all (faults.ts `faultAllowsMove`); its view decides what they say.
 */
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import type { DisputeGameContract } from "../../bridge/dispute/game.ts";
import {
  type ClaimerAction,
  type ClaimerPolicy,
  type ClaimInclusionProof,
  decide,
  openedAfterWindow,
} from "../game/claimer.ts";
import { Phase, Winner } from "../game/planner.ts";
import type { PartyView } from "../game/view.ts";
import { type FaultMode, faultAllowsMove } from "./faults.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { DisputeRecord, WorkerStore } from "./store.ts";

export interface DefenderDeps {
  game: DisputeGameContract;
  store: WorkerStore;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Our address: the claimer the log filter looks for. */
  claimer: Address;
  /** The view and fault a claim on `jobId` was made with (rebuilt by re-running inference). */
  viewFor(jobId: Hex): Promise<{ view: PartyView; fault: FaultMode | null }>;
  /**
   * Where our claim `claimKey` was committed on L1 and when it became final (null: in no recorded
   * batch yet). A dispute opened after that is ended with the proof, without the model.
   */
  claimInclusion?(claimKey: Hex): Promise<ClaimInclusionProof | null>;
  /** Called when a dispute on `jobId` ends; `won` from our side. */
  onResolved?(jobId: Hex, winner: number): void;
  pollMs: number;
  /** First L1 block to search when the data dir has no cursor yet. */
  startBlock: number;
}

/** A test fault's liar holds some moves back, and a silent one never calls timeout either. */
function faultPolicy(fault: FaultMode | null): ClaimerPolicy {
  return { allowsMove: (m) => faultAllowsMove(fault, m), callsTimeout: fault !== "silent" };
}

export class Defender {
  private readonly d: DefenderDeps;
  private readonly playing = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(deps: DefenderDeps) {
    this.d = deps;
  }

  /** Resumes every unresolved dispute in the store (after a restart). */
  async resume(): Promise<void> {
    for (const r of await this.d.store.disputes()) if (r.winner === Winner.none) this.startPlaying(r);
  }

  /** Finds new disputes on our claims up to the latest L1 block. */
  async scan(): Promise<number> {
    const pub = this.d.game.clients.publicClient;
    const from = (await this.d.store.cursor("l1Disputes")) ?? this.d.startBlock;
    const latest = Number(await pub.getBlockNumber({ cacheTime: 0 }));
    if (latest < from) return 0;
    const opened = await this.d.game.disputesOpened(
      { claimer: this.d.claimer },
      BigInt(from),
      BigInt(latest),
    );
    let found = 0;
    for (const a of opened) {
      const id = a.disputeId.toString();
      if (await this.d.store.dispute(id)) continue;
      const rec: DisputeRecord = {
        disputeId: id,
        jobId: a.jobId.toLowerCase() as Hex,
        claimKey: a.claimKey,
        challenger: a.challenger,
        winner: Winner.none,
        moves: 0,
        openedAtBlock: String(a.blockNumber),
      };
      await this.d.store.putDispute(rec);
      this.d.metrics.disputes.inc({ outcome: "opened" });
      this.d.logger.warn(
        { disputeId: id, jobId: rec.jobId, challenger: rec.challenger },
        "dispute opened on our claim",
      );
      this.startPlaying(rec);
      found++;
    }
    await this.d.store.setCursor("l1Disputes", latest + 1);
    return found;
  }

  private startPlaying(rec: DisputeRecord): void {
    if (this.playing.has(rec.disputeId)) return;
    const p = this.play(rec).finally(() => this.playing.delete(rec.disputeId));
    this.playing.set(rec.disputeId, p);
  }

  /** Number of games being played now. */
  get active(): number {
    return this.playing.size;
  }

  private async play(rec: DisputeRecord): Promise<void> {
    const id = BigInt(rec.disputeId);
    const log = this.d.logger.child({ disputeId: rec.disputeId, jobId: rec.jobId });
    let lastProblem = "";
    const problem = (kind: string, e: unknown) => {
      this.d.metrics.moveErrors.inc({ kind });
      const msg = `${kind}: ${(e as Error).message?.split("\n")[0] ?? String(e)}`;
      // the same failure every turn (a liar that cannot open its leaf) is logged once
      if (msg !== lastProblem) log.warn({ err: msg }, "dispute move failed");
      lastProblem = msg;
    };
    let inclusion: ClaimInclusionProof | null = null;
    while (!this.stopped) {
      let moved = false;
      try {
        const g = await this.d.game.readGame(id);
        const now = await this.d.game.now();
        const dispute = g.dispute;
        const running = dispute.phase !== Phase.resolved;
        // a dispute opened after the claim was final is ended with its proof: no model needed
        if (running && !inclusion) inclusion = await this.inclusionOf(rec.claimKey, problem);
        const { view, fault } =
          !running || openedAfterWindow(dispute, inclusion)
            ? { view: null, fault: null }
            : await this.d.viewFor(rec.jobId);
        let action: ClaimerAction = { kind: "wait" };
        try {
          action = decide({ game: g, now, inclusion }, view, faultPolicy(fault));
        } catch (e) {
          problem("plan", e);
        }
        if (action.kind === "ended") {
          rec.winner = action.winner;
          await this.d.store.putDispute(rec);
          this.d.metrics.disputes.inc({ outcome: action.outcome ?? "unknown" });
          log.warn({ winner: action.outcome ?? undefined, moves: rec.moves }, "dispute resolved");
          this.d.onResolved?.(rec.jobId, action.winner);
          return;
        }
        if (action.kind === "move") {
          const move = action.move;
          try {
            await this.d.game.play(id, move);
            rec.moves++;
            await this.d.store.putDispute(rec);
            this.d.metrics.moves.inc({ kind: move.kind });
            log.info({ kind: move.kind, phase: dispute.phase }, "dispute move");
            moved = true;
            lastProblem = "";
          } catch (e) {
            problem(move.kind, e);
          }
        } else if (action.kind === "proveFinal") {
          try {
            await this.d.game.proveClaimFinal(id, BigInt(action.inclusion.batchIndex), action.inclusion);
            this.d.metrics.moves.inc({ kind: "proveClaimFinal" });
            log.warn(
              { batchIndex: action.inclusion.batchIndex },
              "disputed after the claim's window: proved it final",
            );
            moved = true;
          } catch (e) {
            problem("proveClaimFinal", e);
          }
        } else if (action.kind === "timeout") {
          try {
            await this.d.game.timeout(id);
            this.d.metrics.moves.inc({ kind: "timeout" });
            log.warn("challenger out of time: timeout called");
            moved = true;
          } catch (e) {
            problem("timeout", e);
          }
        }
      } catch (e) {
        problem("read", e);
      }
      if (!moved) await this.sleep(this.d.pollMs);
    }
  }

  /** The claim's inclusion on L1, or null (none yet, or no source reachable: then we play on). */
  private async inclusionOf(
    claimKey: Hex,
    problem: (kind: string, e: unknown) => void,
  ): Promise<ClaimInclusionProof | null> {
    try {
      return (await this.d.claimInclusion?.(claimKey)) ?? null;
    } catch (e) {
      problem("claimInclusion", e);
      return null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** Stops playing (games resume from the chain on the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.playing.values()]);
  }
}
