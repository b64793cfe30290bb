/**
 * Liar strategies for the batch challenge (contracts/src/BatchChallenge.sol, docs/rollup.md 8c).
 * A lying sequencer answers the bisection with commitments of its choice (it has posted a final
 * commitment the honest replay does not reach); a lying challenger judges an honest sequencer's
 * commitments at random or always the same way. The honest sides are the real players
 * (bridge/batch-challenge.ts `sequencerMove`, `challengerMove`) on a real replay.
 */
import type { Address, Hex } from "viem";
import { fromHex } from "../../../protocol/bytes.ts";
import type { ClaimMsg, DisputeOpenedTx, DisputeResolvedTx, WorkerStakeTx } from "../../../protocol/tx.ts";
import { stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import type { BatchReplay } from "../../../sequencer/fault-proof/steps.ts";
import {
  type Account,
  type Job,
  type JobDisputes,
  keys,
  type Model,
  type StateRecord,
  type Worker,
  type WorkerStake,
} from "../../../sequencer/state/records.ts";
import { rng } from "./rng.ts";

/** What a sequencer reveals: its message leaves and C_k for every k (sequencerMove reads these). */
export type SequencerAnswers = Pick<BatchReplay, "commitments" | "messageLeaves">;

/**
 * Lying sequencer strategies over a batch whose true replay is `truth` and whose posted roots
 * give the final commitment `claimedFinal` (with the leaves `claimedLeaves` under its message
 * root). Every strategy must reveal C_n = claimedFinal: the contract fixes it from the roots.
 */
export const sequencerLiars = {
  /** The truth at every k < n: the lie surfaces at the last tx. */
  truthUntilLast: (truth: BatchReplay, claimedFinal: Hex, claimedLeaves: Hex[]): SequencerAnswers => ({
    messageLeaves: claimedLeaves,
    commitments: truth.commitments.map((c, k) => (k === truth.txCount ? claimedFinal : c)),
  }),
  /** Its final commitment for every k >= 1: the lie surfaces at the first tx. */
  finalEverywhere: (truth: BatchReplay, claimedFinal: Hex, claimedLeaves: Hex[]): SequencerAnswers => ({
    messageLeaves: claimedLeaves,
    commitments: truth.commitments.map((c, k) => (k === 0 ? c : claimedFinal)),
  }),
  /** The truth up to tx `i` (a forged tx at `i` the liar executed without checking it), then its final. */
  truthUntil:
    (i: number) =>
    (truth: BatchReplay, claimedFinal: Hex, claimedLeaves: Hex[]): SequencerAnswers => ({
      messageLeaves: claimedLeaves,
      commitments: truth.commitments.map((c, k) => (k <= i ? c : claimedFinal)),
    }),
  /**
   * A derived tx at `i` that is not the L1 inbox's next message (made up, or in place of a skipped
   * or replaced one), told consistently: the truth up to tx `i`, then the true state and messages
   * of every later step with the inbox hash `inboxHash` (what the Bridge recorded for the batch)
   * in place of the replay's, as if tx `i` had consumed L1's message. The lie surfaces at tx `i`.
   */
  inboxAsRecordedFrom:
    (i: number, inboxHash: Hex) =>
    (truth: BatchReplay, claimedFinal: Hex, claimedLeaves: Hex[]): SequencerAnswers => ({
      messageLeaves: claimedLeaves,
      commitments: truth.commitments.map((c, k) => {
        if (k <= i) return c;
        if (k === truth.txCount) return claimedFinal;
        const r = truth.roots[k];
        return stepCommitment(fromHex(r.stateRoot), fromHex(r.messageChain), fromHex(inboxHash), r.lastTime);
      }),
    }),
  /** Made-up commitments (never the truth, never the final) in the middle. */
  garbage: (truth: BatchReplay, claimedFinal: Hex, claimedLeaves: Hex[]): SequencerAnswers => ({
    messageLeaves: claimedLeaves,
    commitments: truth.commitments.map((c, k) =>
      k === 0
        ? c
        : k === truth.txCount
          ? claimedFinal
          : (`0x${(k % 256).toString(16).padStart(2, "0").repeat(32)}` as Hex),
    ),
  }),
};

/**
 * Lying challengers against an honest batch: the "replay" they judge by. challengerMove agrees
 * with C_mid exactly when it equals the replay's C_mid.
 */
export const challengerLiars = {
  /** Disagrees with every commitment after C_0 (ends at tx 0). */
  disagreeAll: (truth: BatchReplay): BatchReplay => ({
    ...truth,
    commitments: truth.commitments.map((c, k) => (k === 0 ? c : (`0x${"ee".repeat(32)}` as Hex))),
  }),
  /** Agrees with C_0..C_i and disagrees with every later one (ends at tx i). */
  disagreeFrom:
    (i: number) =>
    (truth: BatchReplay): BatchReplay => ({
      ...truth,
      commitments: truth.commitments.map((c, k) => (k <= i ? c : (`0x${"ef".repeat(32)}` as Hex))),
    }),
  /** Agrees with every commitment (ends at the last tx). */
  agreeAll: (truth: BatchReplay): BatchReplay => truth,
  /** Agrees or disagrees at random, per index. */
  random:
    (seed: number) =>
    (truth: BatchReplay): BatchReplay => {
      const r = rng(seed);
      return {
        ...truth,
        commitments: truth.commitments.map((c, k) =>
          k === 0 || r.int(2) === 0 ? c : (`0x${"dd".repeat(32)}` as Hex),
        ),
      };
    },
};

/**
 * What a lying sequencer writes for a worker or job tx when it skips a rule (the state its posted
 * root commits; docs/rollup.md 8c): each mutates the true state after the batch into the liar's.
 * The honest challenger proves the tx wrong by its one-step (JobStepRules, GenerationStepRules):
 * refused by the rules when the tx should have failed, executes to another state when its effect is
 * missing.
 */
export const jobStateLies = {
  /** postJob without the escrow debit: the requester keeps `escrow`. */
  escrowNotDebited:
    (requester: string, escrow: bigint) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.account(requester);
      const a = (state.get(k) as Account | undefined) ?? { balance: 0n, nonce: 0 };
      state.set(k, { ...a, balance: a.balance + escrow });
    },
  /** claimJob executed without its checks (registration, model, capacity, collateral). */
  claimedUnchecked:
    (jobId: Hex, worker: Address) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(jobId);
      const j = state.get(k) as Job | undefined;
      if (!j) throw new Error(`jobStateLies.claimedUnchecked: no job ${jobId}`);
      state.set(k, { ...j, status: "claimed", worker });
    },
  /** A job moved to `status` by a tx the rules refuse (e.g. a submitResult with a forged claim). */
  statusSet:
    (jobId: Hex, status: Job["status"]) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(jobId);
      const j = state.get(k) as Job | undefined;
      if (!j) throw new Error(`jobStateLies.statusSet: no job ${jobId}`);
      state.set(k, { ...j, status });
    },
  /** A finalize that credits `address` `amount` more than the rule does (e.g. the worker paid twice the escrow). */
  creditedExtra:
    (address: string, amount: bigint) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.account(address);
      const a = (state.get(k) as Account | undefined) ?? { balance: 0n, nonce: 0 };
      state.set(k, { ...a, balance: a.balance + amount });
    },
  /** A finalize the rule refuses (e.g. before the challenge window ends) applied anyway: the worker paid. */
  paidUnchecked:
    (jobId: Hex) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(jobId);
      const j = state.get(k) as Job | undefined;
      if (!j?.worker) throw new Error(`jobStateLies.paidUnchecked: no job ${jobId} with a worker`);
      state.set(k, { ...j, status: "paid" });
      jobStateLies.creditedExtra(j.worker, j.escrow)(state);
    },
  /** A finalize that pays a submitted job turned into a refund: the requester gets the escrow, not the worker. */
  refundedInstead:
    (jobId: Hex) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(jobId);
      const j = state.get(k) as Job | undefined;
      if (!j?.worker || j.status !== "paid")
        throw new Error(`jobStateLies.refundedInstead: job ${jobId} not paid`);
      state.set(k, { ...j, status: "refunded", refundReason: "deadline missed" });
      jobStateLies.creditedExtra(j.worker, -j.escrow)(state);
      jobStateLies.creditedExtra(j.requester, j.escrow)(state);
    },
  /**
   * A postJob or postGenerationJob the rules refuse (e.g. a prompt and maxTokens past the window)
   * applied anyway: `job` written as the liar made it, its requester debited the escrow.
   */
  jobPosted:
    (job: Job) =>
    (state: Map<string, StateRecord>): void => {
      state.set(keys.job(job.id), job);
      jobStateLies.creditedExtra(job.requester, -job.escrow)(state);
    },
  /**
   * A submitGeneration the rules refuse (tokens after the stop token, too many tokens, a claim
   * whose pass inputRoot is not these tokens') accepted anyway: the job submitted at `at` with the
   * claim and the generated tokens, the worker's active count freed.
   */
  generationSubmitted:
    (claim: ClaimMsg, claimSignature: Hex, generated: readonly number[], at: number) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(claim.jobId);
      const j = state.get(k) as Job | undefined;
      if (!j?.generation || !j.worker)
        throw new Error(`jobStateLies.generationSubmitted: no claimed generation job ${claim.jobId}`);
      state.set(k, {
        ...j,
        status: "submitted",
        claim: { ...claim },
        claimSignature,
        submittedAt: at,
        generation: { ...j.generation, generated: [...generated] },
      });
      const wk = keys.worker(j.worker);
      const w = state.get(wk) as Worker | undefined;
      if (w && w.active > 0) state.set(wk, { ...w, active: w.active - 1 });
    },
  /** registerWorker written although the rule refuses it (e.g. a duplicate model id). */
  workerWritten:
    (w: Worker) =>
    (state: Map<string, StateRecord>): void => {
      state.set(keys.worker(w.address), { ...w, models: [...w.models] });
    },
};

/**
 * What a lying sequencer writes for an L1 event's derived tx (model, L1 request, queued stake
 * change) while deriving L1's real message (docs/rollup.md 8c): the inbox check passes, the record
 * it writes is not the rule's. Each mutates the true state after the batch into the liar's; the
 * honest challenger proves the tx wrong by its one-step (L1EventStepRules): `tx executes to another
 * state`.
 */
export const l1EventStateLies = {
  /** The model record with other fields (another registrant, another CID). */
  modelChanged:
    (modelId: Hex, change: Partial<Model>) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.model(modelId);
      const m = state.get(k) as Model | undefined;
      if (!m) throw new Error(`l1EventStateLies.modelChanged: no model ${modelId}`);
      state.set(k, { ...m, ...change });
    },
  /** The L1 request's job with other terms (escrow, deadline, model, requester). */
  jobChanged:
    (jobId: Hex, change: Partial<Job>) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(jobId);
      const j = state.get(k) as Job | undefined;
      if (!j) throw new Error(`l1EventStateLies.jobChanged: no job ${jobId}`);
      state.set(k, { ...j, ...change });
    },
  /** The worker's stake record with other amounts than the L1 message's. */
  stakeChanged:
    (worker: Address, change: Partial<WorkerStake>) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.stake(worker.toLowerCase());
      const st = state.get(k) as WorkerStake | undefined;
      if (!st) throw new Error(`l1EventStateLies.stakeChanged: no stake of ${worker}`);
      state.set(k, { ...st, ...change });
    },
};

/**
 * What a lying sequencer does with a slash's stake change (kind 0x88, docs/rollup.md 8c): no inbox
 * message and no L1 record backs its amounts, so its one-step (L1EventStepRules) holds it to the one
 * bound L2's rule has without L1, that a slash only lowers stake: seq after the record's, neither
 * active nor unbonding above it. Tx lies make a slash that rule refuses (the liar applies it
 * anyway, `appliedAnyway`); `creditedAtSlash` is the lie the slash step hid before it had a
 * one-step (any post-state at that step): the honest slash plus a credit.
 */
export const slashLies = {
  /** A made-up slash that raises the worker's active stake by `by` (the next seq after `stored`). */
  raising: (worker: Address, stored: WorkerStake, by: bigint): WorkerStakeTx => ({
    type: "workerStake",
    worker,
    seq: stored.seq + 1n,
    active: stored.active + by,
    unbonding: stored.unbonding,
  }),
  /** A second slash under the seq the record already holds (`slash`'s), lowering active by `by`. */
  seqRepeated: (slash: WorkerStakeTx, by: bigint): WorkerStakeTx => ({
    ...slash,
    active: slash.active - by,
  }),
  /** The liar writes the stake record as `tx` says, although the rule refuses it. */
  appliedAnyway:
    (tx: WorkerStakeTx) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.stake(tx.worker.toLowerCase());
      const st = (state.get(k) as WorkerStake | undefined) ?? {
        seq: 0n,
        active: 0n,
        unbonding: 0n,
        backing: 0,
      };
      state.set(k, { ...st, seq: tx.seq, active: tx.active, unbonding: tx.unbonding });
    },
  /** The slash applied as the rule says, and `address` credited `amount` at the same step. */
  creditedAtSlash: (address: string, amount: bigint) => jobStateLies.creditedExtra(address, amount),
};

/**
 * What a lying sequencer derives from the DisputeGame's events (docs/rollup.md 8c): they are no
 * inbox messages, so each lie is a tx whose fields L1's stored dispute does not back, or one the
 * state rule itself refuses. The honest challenger proves it refused at its own tx
 * (DisputeEventStepRules): L1 holds no such dispute or outcome, or a claim witness shows the
 * disputed claim names another job.
 */
export const disputeEventLies = {
  /** The other outcome: a loss turned into the claimer's win pays a lost claim; a win into a refund. */
  flipped: (tx: DisputeResolvedTx): DisputeResolvedTx => ({ ...tx, claimerWon: !tx.claimerWon }),
  /** A resolution of a dispute L1 has not ended (from its real opening). */
  resolvedWhileRunning: (opened: DisputeOpenedTx, claimerWon: boolean): DisputeResolvedTx => ({
    type: "disputeResolved",
    disputeId: opened.disputeId,
    jobId: opened.jobId,
    claimKey: opened.claimKey,
    claimer: opened.claimer,
    claimerWon,
  }),
  /** A real dispute put on another job of the same worker (freezes, or on a loss refunds, that job). */
  movedToJob: (opened: DisputeOpenedTx, jobId: Hex): DisputeOpenedTx => ({ ...opened, jobId }),
  /** A dispute L1 never opened: a real opening's fields under another id. */
  madeUp: (opened: DisputeOpenedTx, disputeId: bigint): DisputeOpenedTx => ({ ...opened, disputeId }),
  /** A real opening naming another challenger. */
  otherChallenger: (opened: DisputeOpenedTx, challenger: Address): DisputeOpenedTx => ({
    ...opened,
    challenger,
  }),
  /** The same event applied twice. */
  twice: <T extends DisputeOpenedTx | DisputeResolvedTx>(tx: T): T[] => [tx, tx],
  /**
   * A real opening replayed after its real resolution: the dispute is no longer open, so a rule
   * that refuses only an open one would take it and re-freeze the job (a claimer's win: the
   * worker never paid). Its l1/dispute/<id> marker refuses it (docs/rollup.md 8c).
   */
  replayedAfterResolution: (
    opened: DisputeOpenedTx,
    resolved: DisputeResolvedTx,
  ): (DisputeOpenedTx | DisputeResolvedTx)[] => [opened, resolved, opened],
  /**
   * The state a liar makes of an opening the rules refuse (replayed): applied as if first seen,
   * the dispute open on its job again, a submitted job disputed under it (a state lie on top of
   * the honest replay, where the opening changed nothing).
   */
  reopened:
    (opened: DisputeOpenedTx) =>
    (state: Map<string, StateRecord>): void => {
      const k = keys.job(opened.jobId);
      const j = state.get(k) as Job | undefined;
      if (!j) throw new Error(`disputeEventLies.reopened: no job ${opened.jobId}`);
      const open = (state.get(keys.jobDisputes(j.id)) as JobDisputes | undefined)?.open ?? [];
      state.set(keys.jobDisputes(j.id), {
        open: [...open, { id: opened.disputeId, claimKey: opened.claimKey.toLowerCase() as Hex }],
      });
      state.set(k, {
        ...j,
        status: j.status === "claimed" ? "claimed" : "disputed",
        disputeId: opened.disputeId,
      });
    },
};

/**
 * State lies about a forced job tx (a user tx forced through the L1 inbox, docs/rollup.md 8a): the
 * sequencer must run it as the signed tx at its block time when L2's rule takes it, and as a no-op
 * (its inbox message still consumed) when the rule refuses it. The other two lies, a forced tx
 * applied with another effect and a refused one applied, are jobStateLies on the forced tx's job.
 */
export const forcedTxLies = {
  /** A valid forced tx taken as refused: the state left as it was before it (`before`). */
  droppedAsRefused:
    (before: Iterable<[string, StateRecord]>) =>
    (state: Map<string, StateRecord>): void => {
      state.clear();
      for (const [k, v] of before) state.set(k, v);
    },
};
