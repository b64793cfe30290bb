/**
 * The validator's challenger role (`verdict validator --challenge-key`, docs/rollup.md 8b-8c):
 * when the replay finds a bad batch, open a BatchChallenge on it with the challenger bond and play
 * the honest challenger's moves from its own replay of that batch (bridge/batch-challenge.ts
 * `challengerMove`), ending the challenge by `timeout` once the sequencer's clock is out. One step
 * per validator poll; every answer comes from L1 and the validator's own re-execution.
 */
import type { Logger } from "pino";
import { type BatchChallengeContract, challengerMove, PHASE } from "../bridge/batch-challenge.ts";
import type { BridgeRevert } from "../bridge/bridge.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { ZERO32 } from "../protocol/merkle.ts";
import type { ClaimMsg, Tx } from "../protocol/tx.ts";
import { messageRootOfLeaves } from "../protocol/withdrawal.ts";
import type { GenesisConfig } from "./chain.ts";
import { disputeTxOnOtherJob, disputeTxUnbacked, otherJobRefutation } from "./fault-proof/dispute-events.ts";
import { claimBytes } from "./fault-proof/encoding.ts";
import {
  type BatchReplay,
  type BatchStart,
  type RecordWitness,
  type ReplayStep,
  replaySteps,
  type StepWitness,
  stepsOfBatchData,
} from "./fault-proof/steps.ts";
import type { L1BatchWithData } from "./rebuild.ts";
import { type Job, type JobDisputes, keys, type StateRecord } from "./state/records.ts";

export type ChallengeOutcome = "none" | "playing" | "won" | "lost" | "void" | "cannot";

export class ValidatorChallenger {
  private readonly game: BatchChallengeContract;
  private readonly genesis: GenesisConfig;
  private readonly bond: bigint;
  private readonly logger?: Logger;
  private target: {
    batch: L1BatchWithData;
    start: BatchStart;
    replay: BatchReplay;
    witness: (i: number) => StepWitness;
  } | null = null;
  challengeId: bigint | null = null;
  outcome: ChallengeOutcome = "none";

  constructor(game: BatchChallengeContract, genesis: GenesisConfig, bond: bigint, logger?: Logger) {
    this.game = game;
    this.genesis = genesis;
    this.bond = bond;
    this.logger = logger;
  }

  /** A challenger for the same game with nothing targeted (the validator starts over). */
  fresh(): ValidatorChallenger {
    return new ValidatorChallenger(this.game, this.genesis, this.bond, this.logger);
  }

  /** The replay found `batch` bad; `start` is the state and inbox hash it started from. */
  onBadBatch(batch: L1BatchWithData, start: BatchStart): void {
    if (this.target) return;
    // The challenge bisects the txs L1 hashed from the batch's data (its tx section), so the
    // replay is of those, whatever the body says (docs/rollup.md 8c "Tx root bound to the data").
    let steps: ReplayStep[];
    try {
      steps = stepsOfBatchData(batch.txData, start.lastTime);
    } catch (err) {
      // the Bridge refuses data whose tx section does not frame: this is no data L1 holds
      this.outcome = "cannot";
      this.logger?.error(
        { index: batch.index, err: (err as Error).message },
        "bad batch data: no tx section",
      );
      return;
    }
    // a dispute tx L1's dispute does not back: the state machine would apply it, its one-step
    // refuses it, so the honest replay takes it as refused (the replayer flagged the batch for it).
    // A real dispute moved onto another job: refused where the one-step can see it, some only with
    // the disputed claim as witness (kept by tx index; the replay is the same every time).
    const claimWitness = new Map<number, ClaimMsg>();
    const unprovable: string[] = [];
    const notOnL1 = (i: number, tx: Tx, state: ReadonlyMap<string, StateRecord>) => {
      if (!batch.disputes || (tx.type !== "disputeOpened" && tx.type !== "disputeResolved")) return false;
      const d = batch.disputes.get(tx.disputeId) ?? null;
      if (disputeTxUnbacked(tx, d) !== null) return true;
      const moved = disputeTxOnOtherJob(tx, d);
      if (!moved || !d) return false;
      const r = otherJobRefutation(
        tx,
        d,
        state.get(keys.job(tx.jobId)) as Job | undefined,
        state.get(keys.jobDisputes(tx.jobId)) as JobDisputes | undefined,
        state.has(keys.dispute(tx.disputeId)),
      );
      if (r.witness) claimWitness.set(i, r.witness);
      if (!r.refuted) unprovable.push(`tx ${i}: ${moved}`);
      return r.refuted;
    };
    const replay = replaySteps(this.genesis, start, steps, undefined, notOnL1);
    const end = replay.roots[replay.txCount];
    if (
      replay.firstRefused === null &&
      end.stateRoot === batch.stateRoot.toLowerCase() &&
      toHex(messageRootOfLeaves(replay.messageLeaves.map(fromHex))) === batch.withdrawalRoot.toLowerCase() &&
      (batch.lastTime === undefined || end.lastTime === batch.lastTime) &&
      batch.inboxHash !== undefined &&
      end.inboxHash === batch.inboxHash.toLowerCase()
    ) {
      // The txs L1 hashed reach the batch's roots and none is refused: what is wrong is only the
      // body (headers, block split), which decides no state. A challenge would lose its bond
      // (docs/rollup.md 8c).
      this.outcome = "cannot";
      this.logger?.error(
        { index: batch.index },
        "bad batch: its txs reach its roots, only its body is wrong: no on-chain challenge for it",
      );
      return;
    }
    if (unprovable.length && end.stateRoot === batch.stateRoot.toLowerCase()) {
      // the one-step applies the moved tx as the batch did: a challenge would lose its bond
      this.outcome = "cannot";
      this.logger?.error(
        { index: batch.index, unprovable },
        "bad batch: a dispute moved to another job that no one-step can refute: no on-chain challenge for it",
      );
      return;
    }
    this.target = {
      batch,
      start,
      replay,
      witness: (i) => {
        const w = replaySteps(this.genesis, start, steps, i, notOnL1).witness;
        if (!w) throw new Error(`no witness for tx ${i}`);
        const claim = claimWitness.get(i);
        return claim ? { ...w, records: [...w.records, claimWitnessRecord(claim)] } : w;
      },
    };
  }

  /** One move (or none) of the challenge; returns where it stands. */
  async step(): Promise<ChallengeOutcome> {
    const t = this.target;
    if (!t || this.outcome === "won" || this.outcome === "lost" || this.outcome === "void")
      return this.outcome;
    if (this.challengeId === null) {
      const r = await this.game.challengeBatch(BigInt(t.batch.index), this.bond);
      this.challengeId = r.id;
      this.outcome = "playing";
      this.logger?.warn({ index: t.batch.index, challengeId: r.id }, "challenged bad batch");
      return this.outcome;
    }
    const id = this.challengeId;
    const v = await this.game.getChallenge(id);
    if (v.phase >= PHASE.sequencerWon) {
      this.outcome = v.phase === PHASE.challengerWon ? "won" : v.phase === PHASE.void ? "void" : "lost";
      const how = await this.game.resolution(id);
      this.logger?.warn(
        { index: t.batch.index, challengeId: id, outcome: this.outcome, ...how },
        "batch challenge ended",
      );
      return this.outcome;
    }
    if (v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid) {
      // the sequencer's move: once its clock is out, end the challenge
      try {
        await this.game.timeout(id);
      } catch (err) {
        if ((err as BridgeRevert).errorName !== "ClockNotOut") throw err;
      }
      return this.outcome;
    }
    await challengerMove(this.game, id, t.replay, t.witness);
    return this.outcome;
  }
}

/**
 * DisputeEventStepRules' claim witness: the disputed claim's bytes as a job record holds them
 * (encoding.ts claimBytes), after the tx's records; it is no state record, so no proof.
 */
export function claimWitnessRecord(claim: ClaimMsg): RecordWitness {
  return {
    key: "claim witness",
    value: toHex(claimBytes(claim)),
    present: false,
    siblings: [],
    hasOther: false,
    otherPath: toHex(ZERO32),
    otherValueHash: toHex(ZERO32),
  };
}
