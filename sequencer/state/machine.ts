/**
 * The rollup's state machine as pure code: applyTx(state, tx, ctx) reads and writes records
 * through `state` and returns what happened. No clock, no I/O: the block timestamp and chain
 * parameters come in `ctx`. A tx that breaks a rule throws TxRejected naming the rule and leaves
 * `state` untouched (all writes go through a child overlay that is merged only on success).
 *
 * The user tx's own signature is checked before applyTx (sequencer/verify-pool.ts), because it
 * is the expensive part and runs batched; applyTx checks the worker's claim signature itself.
 */

import { toHex } from "../../protocol/bytes.ts";
import { decodeBinaryCid } from "../../protocol/cid.ts";
import type { Eip712Domain } from "../../protocol/eip712.ts";
import { generationParamsHash } from "../../protocol/generation-job.ts";
import type { Address } from "../../protocol/secp256k1.ts";
import {
  type ClaimJobTx,
  type ClaimMsg,
  claimDigest,
  type DepositTx,
  type DisputeOpenedTx,
  type DisputeResolvedTx,
  type FinalizeTx,
  type ForcedTxTx,
  type Hex,
  type L1InferenceRequestTx,
  type ModelRegisteredTx,
  NO_GENERATION,
  type PostGenerationJobTx,
  type PostJobTx,
  type RegisterWorkerTx,
  recoverClaimSigner,
  type SubmitGenerationTx,
  type SubmitResultTx,
  type TransferTx,
  type Tx,
  txDigest,
  type UserTx,
  verifyTxSignature,
  type WithdrawTx,
  type WorkerStakeTx,
} from "../../protocol/tx.ts";
import type { ResultMessage } from "../../protocol/withdrawal.ts";
import {
  generationInputRoot,
  generationPassInputRoot,
  generationSpec,
} from "../../prover-trace/commit/generation.ts";
import { decodeForcedData } from "../fault-proof/encoding.ts";
import { Overlay, type StateAccess } from "./overlay.ts";
import {
  type Account,
  EMPTY_ACCOUNT,
  EMPTY_STAKE,
  type Job,
  type JobDisputes,
  keys,
  type Model,
  type OpenDispute,
  type Worker,
  type WorkerStake,
} from "./records.ts";

export class TxRejected extends Error {
  override name = "TxRejected";
}

export interface ChainParams {
  /** How long a submitted result can be disputed before its escrow can be paid out. */
  challengeWindowMs: number;
  /** Smallest fee a user tx may carry (wei). */
  minFee: bigint;
  /** Receives every user tx's fee. */
  feeRecipient: Address;
  /**
   * L1 stake (wei) each open claim holds from claimJob until its job is paid or refunded: the
   * Bridge's minWorkerStake, the slash of one lost claim, so every disputable claim has stake
   * behind it that no other claim shares. 0 turns the check off (an L2 without an L1 Bridge).
   */
  claimCollateral: bigint;
}

export interface TxContext {
  /** Timestamp (ms) of the block the tx goes into. */
  timestamp: number;
  /** The tx's hash; a posted job's id is the hash of its postJob (or L1 request) tx. */
  txHash: Hex;
  params: ChainParams;
  /** Domain the worker's claim is signed under (L1 chain id, bridge address). */
  claimDomain: Eip712Domain;
  /** The L2 domain user txs are signed under (a forced tx's signature is checked here). */
  l2Domain: Eip712Domain;
}

export interface WithdrawalLeaf {
  recipient: Address;
  amount: bigint;
  l2TxHash: Hex;
}

export interface TxEvent {
  kind: string;
  [field: string]: unknown;
}

export interface TxOutcome {
  events: TxEvent[];
  withdrawal?: WithdrawalLeaf;
  /** The result of an L1 request, sent to L1 in the batch's message tree (Bridge.deliverResult). */
  result?: ResultMessage;
}

function reject(msg: string): never {
  throw new TxRejected(msg);
}

function account(s: StateAccess, a: string): Account {
  return (s.get(keys.account(a)) as Account | undefined) ?? EMPTY_ACCOUNT;
}

function credit(s: StateAccess, a: string, amount: bigint): void {
  if (amount === 0n) return;
  const acc = account(s, a);
  s.set(keys.account(a), { balance: acc.balance + amount, nonce: acc.nonce });
}

function debit(s: StateAccess, a: string, amount: bigint, what: string): void {
  const acc = account(s, a);
  if (acc.balance < amount) reject(`insufficient balance: have ${acc.balance}, need ${amount} for ${what}`);
  s.set(keys.account(a), { balance: acc.balance - amount, nonce: acc.nonce });
}

function job(s: StateAccess, id: Hex): Job {
  const j = s.get(keys.job(id)) as Job | undefined;
  if (!j) reject(`unknown job ${id}`);
  return j;
}

/** Apply one tx. Throws TxRejected (state untouched) or returns its events. */
export function applyTx(state: StateAccess, tx: Tx, ctx: TxContext): TxOutcome {
  const s = new Overlay(state);
  const out = "from" in tx ? applyUser(s, tx, ctx) : applySystem(s, tx, ctx);
  s.mergeInto(state);
  return out;
}

function applyUser(s: StateAccess, tx: UserTx, ctx: TxContext): TxOutcome {
  const acc = account(s, tx.from);
  if (tx.nonce !== acc.nonce) reject(`bad nonce: expected ${acc.nonce}, got ${tx.nonce}`);
  if (tx.fee < ctx.params.minFee) reject(`fee too low: minimum ${ctx.params.minFee}, got ${tx.fee}`);
  if (acc.balance < tx.fee) reject(`insufficient balance: have ${acc.balance}, need ${tx.fee} for the fee`);
  s.set(keys.account(tx.from), { balance: acc.balance - tx.fee, nonce: acc.nonce + 1 });
  credit(s, ctx.params.feeRecipient, tx.fee);
  switch (tx.type) {
    case "transfer":
      return transfer(s, tx);
    case "withdraw":
      return withdraw(s, tx, ctx);
    case "registerWorker":
      return registerWorker(s, tx);
    case "postJob":
      return postJob(s, tx, ctx);
    case "postGenerationJob":
      return postGenerationJob(s, tx, ctx);
    case "claimJob":
      return claimJob(s, tx, ctx);
    case "submitResult":
      return submitResult(s, tx, ctx);
    case "submitGeneration":
      return submitGeneration(s, tx, ctx);
    case "finalize":
      return finalize(s, tx, ctx);
  }
}

function transfer(s: StateAccess, tx: TransferTx): TxOutcome {
  debit(s, tx.from, tx.amount, "the transfer");
  credit(s, tx.to, tx.amount);
  return { events: [{ kind: "Transfer", from: tx.from, to: tx.to, amount: tx.amount.toString() }] };
}

function withdraw(s: StateAccess, tx: WithdrawTx, ctx: TxContext): TxOutcome {
  if (tx.amount === 0n) reject("withdrawal amount must be positive");
  debit(s, tx.from, tx.amount, "the withdrawal");
  const withdrawal = { recipient: tx.l1Recipient, amount: tx.amount, l2TxHash: ctx.txHash };
  return {
    events: [
      { kind: "Withdrawal", from: tx.from, l1Recipient: tx.l1Recipient, amount: tx.amount.toString() },
    ],
    withdrawal,
  };
}

function registerWorker(s: StateAccess, tx: RegisterWorkerTx): TxOutcome {
  if (new Set(tx.models).size !== tx.models.length) reject("models: duplicate model id");
  const prev = s.get(keys.worker(tx.from)) as Worker | undefined;
  const w: Worker = {
    address: tx.from,
    models: [...tx.models],
    price: tx.price,
    capacity: tx.capacity,
    multiaddr: tx.multiaddr,
    active: prev?.active ?? 0,
  };
  s.set(keys.worker(tx.from), w);
  return { events: [{ kind: prev ? "WorkerUpdated" : "WorkerRegistered", worker: tx.from }] };
}

function newJob(
  id: Hex,
  f: Pick<
    Job,
    "source" | "requester" | "l1RequestId" | "modelId" | "inputRoot" | "inputCid" | "escrow" | "deadline"
  >,
  now: number,
): Job {
  return {
    id,
    ...f,
    postedAt: now,
    status: "open",
    worker: null,
    claim: null,
    claimSignature: null,
    submittedAt: null,
    disputeId: null,
    refundReason: null,
  };
}

/** What every posted job needs to be servable at all: pay, time, a registered model, a fresh id. */
function checkServable(s: StateAccess, tx: PostJobTx | PostGenerationJobTx, ctx: TxContext): void {
  if (tx.escrow === 0n) reject("escrow must be positive: a job paying 0 is never claimed");
  if (tx.deadline <= ctx.timestamp)
    reject(`deadline ${tx.deadline} is not after the block time ${ctx.timestamp}`);
  if (!s.get(keys.model(tx.modelId)))
    reject(`model ${tx.modelId} is not registered on L1: no worker could prove a result for it`);
  if (s.get(keys.job(ctx.txHash))) reject(`job ${ctx.txHash} exists`);
}

function postJob(s: StateAccess, tx: PostJobTx, ctx: TxContext): TxOutcome {
  // jobs that can never be served: nothing to fetch, or nothing to pay a worker (as L1's ZeroAmount)
  if (tx.inputCid === "0x") reject("inputCid is empty: a worker could not fetch the input");
  try {
    decodeBinaryCid(tx.inputCid);
  } catch (e) {
    reject(`inputCid is not a CID, a worker could not fetch the input: ${(e as Error).message}`);
  }
  checkServable(s, tx, ctx);
  debit(s, tx.from, tx.escrow, "the job escrow");
  const j = newJob(
    ctx.txHash,
    {
      source: "l2",
      requester: tx.from,
      l1RequestId: null,
      modelId: tx.modelId,
      inputRoot: tx.inputRoot,
      inputCid: tx.inputCid,
      escrow: tx.escrow,
      deadline: tx.deadline,
    },
    ctx.timestamp,
  );
  s.set(keys.job(j.id), j);
  return { events: [{ kind: "JobPosted", jobId: j.id, requester: tx.from, modelId: tx.modelId }] };
}

/**
 * A generation job (docs/generation.md, docs/rollup.md "Generation jobs"). The job fixes the
 * window T the claim's one pass runs over: a worker never picks it, so every claim on the job
 * commits to the same pass input shape, int32 [T], and the L1 token move reads T back from the
 * claim's inputRoot. A T that is not the model's input length makes only the requester's own job
 * unservable (honest workers refuse it, it refunds at the deadline), as any malformed input does.
 * The prompt leaves at least one position to generate, and prompt + maxTokens fits in T, so a
 * generation that never meets its stop token can always run to maxTokens.
 */
function postGenerationJob(s: StateAccess, tx: PostGenerationJobTx, ctx: TxContext): TxOutcome {
  const P = tx.prompt.length;
  const { maxTokens } = tx.params;
  if (P >= tx.window)
    reject(`prompt of ${P} tokens leaves no position to generate in the window of ${tx.window}`);
  if (P + maxTokens > tx.window)
    reject(
      `prompt ${P} + maxTokens ${maxTokens} exceed the window of ${tx.window}: a generation that does not stop early would not fit`,
    );
  checkServable(s, tx, ctx);
  debit(s, tx.from, tx.escrow, "the job escrow");
  const j: Job = {
    ...newJob(
      ctx.txHash,
      {
        source: "l2",
        requester: tx.from,
        l1RequestId: null,
        modelId: tx.modelId,
        // the prompt's own root; the claim's inputRoot is the pass input's (submitGeneration)
        inputRoot: toHex(generationInputRoot(tx.prompt)),
        inputCid: "0x",
        escrow: tx.escrow,
        deadline: tx.deadline,
      },
      ctx.timestamp,
    ),
    generation: { prompt: [...tx.prompt], window: tx.window, params: tx.params, generated: null },
  };
  s.set(keys.job(j.id), j);
  return {
    events: [
      {
        kind: "JobPosted",
        jobId: j.id,
        requester: tx.from,
        modelId: tx.modelId,
        generation: { promptTokens: P, window: tx.window, maxTokens },
      },
    ],
  };
}

function claimJob(s: StateAccess, tx: ClaimJobTx, ctx: TxContext): TxOutcome {
  const j = job(s, tx.jobId);
  if (j.status !== "open") reject(`job ${j.id} is ${j.status}, not open`);
  if (ctx.timestamp > j.deadline) reject(`job ${j.id} deadline ${j.deadline} has passed`);
  const w = s.get(keys.worker(tx.from)) as Worker | undefined;
  if (!w) reject(`${tx.from} is not a registered worker`);
  if (!w.models.includes(j.modelId)) reject(`worker ${tx.from} does not serve model ${j.modelId}`);
  if (w.active >= w.capacity) reject(`worker ${tx.from} is at capacity (${w.active} of ${w.capacity})`);
  const st = stakeOf(s, tx.from);
  const c = ctx.params.claimCollateral;
  if (c > 0n && st.active < BigInt(st.backing + 1) * c)
    reject(
      `worker ${tx.from}'s active L1 stake ${st.active} does not cover another claim: it backs ${st.backing} of ${c} each`,
    );
  s.set(keys.stake(tx.from), { ...st, backing: st.backing + 1 });
  s.set(keys.worker(tx.from), { ...w, active: w.active + 1 });
  s.set(keys.job(j.id), { ...j, status: "claimed", worker: tx.from });
  return { events: [{ kind: "JobClaimed", jobId: j.id, worker: tx.from }] };
}

function releaseWorker(s: StateAccess, worker: Address): void {
  const w = s.get(keys.worker(worker)) as Worker | undefined;
  if (w && w.active > 0) s.set(keys.worker(worker), { ...w, active: w.active - 1 });
}

function stakeOf(s: StateAccess, worker: string): WorkerStake {
  return (s.get(keys.stake(worker)) as WorkerStake | undefined) ?? EMPTY_STAKE;
}

/** A job is over (paid or refunded): its claim no longer holds the worker's collateral. */
function releaseCollateral(s: StateAccess, worker: Address | null): void {
  if (!worker) return;
  const st = stakeOf(s, worker);
  if (st.backing > 0) s.set(keys.stake(worker), { ...st, backing: st.backing - 1 });
}

function submitResult(s: StateAccess, tx: SubmitResultTx, ctx: TxContext): TxOutcome {
  const j = job(s, tx.claim.jobId);
  return acceptClaim(s, tx, j, ctx, () => {
    const c = tx.claim;
    if (j.generation)
      reject(`job ${j.id} is a generation job: its result is a submitGeneration with the generated tokens`);
    if (c.inputRoot !== j.inputRoot)
      reject(`claim inputRoot ${c.inputRoot} differs from the job's ${j.inputRoot}`);
    // a nonzero spec would open the claim to the L1 token move over positions it never generated
    if (c.generationSpec !== NO_GENERATION)
      reject(`claim generationSpec ${c.generationSpec} must be zero for a single-pass job`);
  });
}

/**
 * A generation job's result. L2 checks everything it can without the model: the generated tokens
 * against the job's count and stop rules, and the claim against the job (its pass input is the
 * prompt, these tokens and 0-padding to the job's window; its generationSpec names this prompt
 * length, this count and the job's params). Whether each token follows the decoding rule needs
 * the pass's logits: that is the L1 token move (docs/dispute-game.md "The token move").
 */
function submitGeneration(s: StateAccess, tx: SubmitGenerationTx, ctx: TxContext): TxOutcome {
  const c = tx.claim;
  const j = job(s, c.jobId);
  const g = j.generation;
  const gen = tx.generated;
  return acceptClaim(s, tx, g ? { ...j, generation: { ...g, generated: [...gen] } } : j, ctx, () => {
    if (!g) reject(`job ${j.id} is a single-pass job: its result is a submitResult`);
    const { maxTokens, stopToken } = g.params;
    const n = gen.length;
    if (n > maxTokens) reject(`${n} generated tokens exceed the job's maxTokens ${maxTokens}`);
    if (stopToken !== null) {
      const early = gen.indexOf(stopToken);
      if (early >= 0 && early < n - 1)
        reject(
          `generated token ${early} is the stop token ${stopToken}, but the generation goes on after it`,
        );
    }
    if (gen[n - 1] !== stopToken && n !== maxTokens)
      reject(
        `the generation ends after ${n} tokens without the stop token: it must run to maxTokens ${maxTokens}`,
      );
    const inputRoot = toHex(generationPassInputRoot(g.prompt, gen, g.window));
    if (c.inputRoot !== inputRoot)
      reject(
        `claim inputRoot ${c.inputRoot} is not the pass input root ${inputRoot} of the prompt and these ${n} generated tokens in the window of ${g.window}`,
      );
    const spec = toHex(generationSpec(g.prompt.length, n, generationParamsHash(g.params)));
    if (c.generationSpec !== spec)
      reject(
        `claim generationSpec ${c.generationSpec} differs from ${spec} (prompt ${g.prompt.length}, ${n} generated, the job's params)`,
      );
  });
}

/** The checks and effects every submitted claim shares; `checkInput`: the job kind's own checks. */
function acceptClaim(
  s: StateAccess,
  tx: SubmitResultTx | SubmitGenerationTx,
  j: Job,
  ctx: TxContext,
  checkInput: () => void,
): TxOutcome {
  const c = tx.claim;
  if (j.status !== "claimed") reject(`job ${j.id} is ${j.status}, not claimed`);
  if (j.worker !== tx.from) reject(`job ${j.id} is claimed by ${j.worker}, not ${tx.from}`);
  if (ctx.timestamp > j.deadline) reject(`job ${j.id} deadline ${j.deadline} has passed`);
  if (c.modelId !== j.modelId) reject(`claim modelId ${c.modelId} differs from the job's ${j.modelId}`);
  checkInput();
  // The claim names its worker and only that key's signature counts (Bridge.claimSigner): so a
  // claim on L2 has exactly one signer, the job's worker, and a puppet's copy has another key.
  if (c.worker !== tx.from) reject(`claim names worker ${c.worker}, not the job's worker ${tx.from}`);
  let signer: Address;
  try {
    signer = recoverClaimSigner(c, tx.claimSignature, ctx.claimDomain);
  } catch (e) {
    reject(`claim ${(e as Error).message}`);
  }
  if (signer !== tx.from) reject(`claim is signed by ${signer}, not by the worker ${tx.from}`);
  // The stake may have shrunk since the claim (unbonded, slashed): a claim submitted now must
  // still have its own collateral, or it could not be slashed for a lie (attacks 2 and 3).
  const st = stakeOf(s, tx.from);
  const each = ctx.params.claimCollateral;
  if (each > 0n && st.active < BigInt(st.backing) * each)
    reject(
      `worker ${tx.from}'s active L1 stake ${st.active} no longer covers the ${st.backing} claims it backs (${each} each)`,
    );
  // Disputes the worker's signature drew before the claim reached L2 (on this claim or on another
  // one it signed for the job) keep it disputed until each has ended.
  releaseWorker(s, tx.from);
  s.set(keys.job(j.id), {
    ...j,
    status: openDisputesOf(s, j.id).length > 0 ? "disputed" : "submitted",
    claim: { ...c },
    claimSignature: tx.claimSignature,
    submittedAt: ctx.timestamp,
  });
  return { events: [{ kind: "ResultSubmitted", jobId: j.id, worker: tx.from, outputRoot: c.outputRoot }] };
}

/**
 * Gives the escrow back. An L2 requester gets an L2 credit; an L1 requester (often a contract that
 * cannot sign L2 txs) gets an L1 withdrawal of the escrow, made by the tx that refunds.
 */
function refund(s: StateAccess, j: Job, reason: string, ctx: TxContext): WithdrawalLeaf | undefined {
  releaseCollateral(s, j.worker);
  s.set(keys.job(j.id), { ...j, status: "refunded", refundReason: reason });
  if (j.source === "l2") {
    credit(s, j.requester, j.escrow);
    return undefined;
  }
  return { recipient: j.requester, amount: j.escrow, l2TxHash: ctx.txHash };
}

/** What the Bridge hands an L1 requester once the job's result is final. */
function resultMessage(j: Job, claim: ClaimMsg, ctx: TxContext): ResultMessage {
  return {
    requestId: j.l1RequestId as bigint,
    claimKey: toHex(claimDigest(claim, ctx.claimDomain)),
    outputRoot: claim.outputRoot,
    outputCid: claim.outputCid,
  };
}

function finalize(s: StateAccess, tx: FinalizeTx, ctx: TxContext): TxOutcome {
  const j = job(s, tx.jobId);
  if (j.status === "open" || j.status === "claimed") {
    if (ctx.timestamp <= j.deadline)
      reject(`job ${j.id} is ${j.status} and its deadline ${j.deadline} has not passed`);
    if (j.worker) releaseWorker(s, j.worker);
    const withdrawal = refund(s, j, "deadline missed", ctx);
    const events = [{ kind: "JobRefunded", jobId: j.id, reason: "deadline missed" }];
    return withdrawal ? { events, withdrawal } : { events };
  }
  if (j.status === "submitted") {
    const end = (j.submittedAt as number) + ctx.params.challengeWindowMs;
    if (ctx.timestamp < end) reject(`job ${j.id} challenge window is open until ${end}`);
    credit(s, j.worker as Address, j.escrow);
    releaseCollateral(s, j.worker);
    s.set(keys.job(j.id), { ...j, status: "paid" });
    const events = [{ kind: "JobPaid", jobId: j.id, worker: j.worker, amount: j.escrow.toString() }];
    if (j.source === "l2") return { events };
    return { events, result: resultMessage(j, j.claim as ClaimMsg, ctx) };
  }
  reject(`job ${j.id} is ${j.status}, nothing to finalize`);
}

function applySystem(
  s: StateAccess,
  tx:
    | DepositTx
    | DisputeOpenedTx
    | DisputeResolvedTx
    | L1InferenceRequestTx
    | WorkerStakeTx
    | ModelRegisteredTx
    | ForcedTxTx,
  ctx: TxContext,
): TxOutcome {
  switch (tx.type) {
    case "forcedTx":
      return forcedTx(s, tx, ctx);
    case "workerStake": {
      const st = stakeOf(s, tx.worker);
      if (tx.seq <= st.seq)
        reject(`stake change ${tx.seq} of ${tx.worker} is not after ${st.seq}, already applied`);
      // Only an inbox message (stake, unbond, withdrawUnbonded: inboxIndex set) can raise stake; a
      // change without one is a slash, which L1 does not queue (docs/rollup.md 8, 8d), so a made-up
      // one can at most lower a worker's stake, never back claims L1 holds no stake for.
      if (tx.inboxIndex === undefined && (tx.active > st.active || tx.unbonding > st.unbonding))
        reject(
          `stake change ${tx.seq} of ${tx.worker} raises stake without an L1 inbox message (a slash only lowers it)`,
        );
      s.set(keys.stake(tx.worker), { ...st, seq: tx.seq, active: tx.active, unbonding: tx.unbonding });
      return {
        events: [
          {
            kind: "WorkerStake",
            worker: tx.worker,
            active: tx.active.toString(),
            unbonding: tx.unbonding.toString(),
          },
        ],
      };
    }
    case "deposit": {
      if (s.get(keys.deposit(tx.depositId))) reject(`deposit ${tx.depositId} was already credited`);
      s.set(keys.deposit(tx.depositId), { l1: true });
      credit(s, tx.recipient, tx.amount);
      return {
        events: [
          {
            kind: "Deposit",
            depositId: tx.depositId.toString(),
            recipient: tx.recipient,
            amount: tx.amount.toString(),
          },
        ],
      };
    }
    case "l1InferenceRequest": {
      if (s.get(keys.l1Request(tx.requestId))) reject(`L1 request ${tx.requestId} was already derived`);
      s.set(keys.l1Request(tx.requestId), { l1: true });
      // The escrow was paid on L1 into the bridge; it is minted here and leaves again as a
      // withdrawal: by the worker from its L2 balance once paid, or to the requester straight
      // from the refunding tx. A paid job also sends its result to L1 (TxOutcome.result).
      const j = newJob(
        ctx.txHash,
        {
          source: "l1",
          requester: tx.requester,
          l1RequestId: tx.requestId,
          modelId: tx.modelId,
          inputRoot: tx.inputRoot,
          inputCid: tx.inputCid,
          escrow: tx.escrow,
          deadline: tx.deadline,
        },
        ctx.timestamp,
      );
      s.set(keys.job(j.id), j);
      return {
        events: [
          { kind: "JobPosted", jobId: j.id, requester: tx.requester, l1RequestId: tx.requestId.toString() },
        ],
      };
    }
    case "disputeOpened":
      return disputeOpened(s, tx, ctx);
    case "disputeResolved":
      return disputeResolved(s, tx, ctx);
    case "modelRegistered":
      return modelRegistered(s, tx);
  }
}

/**
 * A tx forced through the L1 inbox never fails: it runs as the user tx its bytes encode when that
 * is valid here (signature, then the user tx's own rules), with that tx's hash as its id (a
 * forced postJob's job id is what the user signed), and otherwise changes nothing. Either way it
 * consumed its inbox message (docs/rollup.md 8a).
 */
function forcedTx(s: StateAccess, tx: ForcedTxTx, ctx: TxContext): TxOutcome {
  const invalid = (reason: string): TxOutcome => ({
    events: [{ kind: "ForcedTxInvalid", inboxIndex: tx.inboxIndex.toString(), reason }],
  });
  let inner: UserTx;
  try {
    inner = decodeForcedData(Buffer.from(tx.data.slice(2), "hex"));
  } catch (e) {
    return invalid((e as Error).message);
  }
  try {
    const digest = txDigest(inner, ctx.l2Domain);
    const txHash = toHex(digest);
    verifyTxSignature(inner, digest);
    const out = applyTx(s, inner, { ...ctx, txHash });
    return {
      ...out,
      events: [{ kind: "ForcedTx", inboxIndex: tx.inboxIndex.toString(), txHash }, ...out.events],
    };
  } catch (e) {
    return invalid((e as Error).message);
  }
}

/** L1 registers a model once (Bridge.ModelAlreadyRegistered), so a second derivation is a replay. */
function modelRegistered(s: StateAccess, tx: ModelRegisteredTx): TxOutcome {
  if (s.get(keys.model(tx.modelId))) reject(`model ${tx.modelId} was already registered`);
  const m: Model = { modelId: tx.modelId, registrant: tx.registrant, cid: tx.cid };
  s.set(keys.model(tx.modelId), m);
  return {
    events: [{ kind: "ModelRegistered", modelId: tx.modelId, registrant: tx.registrant, cid: tx.cid }],
  };
}

/**
 * Which claim a dispute must be on to concern job `j`: always one against the job's worker (a
 * claim names its worker and the Bridge opens disputes only on the named worker's signature, so
 * a puppet's copy of the content is another claim, with another key, that L2 never follows).
 * Once a claim is submitted: that claim's digest. Before submission: any claim the job's worker
 * signed for this job (the signature exists before the claim reaches L2, so it can be disputed
 * first: issue 18, attack 5).
 */
function checkDisputedClaim(j: Job, tx: DisputeOpenedTx | DisputeResolvedTx, ctx: TxContext): void {
  if (!j.worker)
    reject(`job ${j.id} is ${j.status}, claimed by nobody; dispute ${tx.disputeId} is not about it`);
  if (tx.claimer.toLowerCase() !== j.worker)
    reject(`dispute ${tx.disputeId} is against ${tx.claimer}, not job ${j.id}'s worker ${j.worker}`);
  if (!j.claim) return;
  const key = toHex(claimDigest(j.claim, ctx.claimDomain));
  if (key !== tx.claimKey.toLowerCase())
    reject(`dispute ${tx.disputeId} is on claim ${tx.claimKey}, not job ${j.id}'s claim ${key}`);
}

/** States in which a job's claim can still be disputed and its escrow is not paid out. */
const DISPUTABLE = new Set(["claimed", "submitted", "disputed"]);

function openDisputesOf(s: StateAccess, id: Hex): OpenDispute[] {
  return (s.get(keys.jobDisputes(id)) as JobDisputes | undefined)?.open ?? [];
}

/**
 * Every dispute on the job's claim counts, not only the first (issue 18, attack 4): L2 keeps the
 * open ones, a `submitted` job becomes `disputed` at the first and goes back only when the last
 * one ends with the claimer's win; a claimed job keeps them for when its claim is submitted.
 */
function disputeOpened(s: StateAccess, tx: DisputeOpenedTx, ctx: TxContext): TxOutcome {
  // L1 opens a dispute once: its marker outlives the dispute, so an opening replayed after its
  // resolution (no longer open) cannot re-freeze the job (docs/rollup.md 8c).
  if (s.get(keys.dispute(tx.disputeId))) reject(`dispute ${tx.disputeId} was already opened`);
  const j = job(s, tx.jobId);
  if (!DISPUTABLE.has(j.status)) reject(`job ${j.id} is ${j.status}; its claim can no longer be disputed`);
  checkDisputedClaim(j, tx, ctx);
  const open = openDisputesOf(s, j.id);
  if (open.some((d) => d.id === tx.disputeId))
    reject(`dispute ${tx.disputeId} on job ${j.id} is already open`);
  s.set(keys.jobDisputes(j.id), {
    open: [...open, { id: tx.disputeId, claimKey: tx.claimKey.toLowerCase() as Hex }],
  });
  const status = j.status === "claimed" ? "claimed" : "disputed";
  s.set(keys.job(j.id), { ...j, status, disputeId: tx.disputeId });
  s.set(keys.dispute(tx.disputeId), { l1: true });
  return {
    events: [
      { kind: "DisputeOpened", jobId: j.id, disputeId: tx.disputeId.toString(), challenger: tx.challenger },
    ],
  };
}

/**
 * A win for the claimer closes that dispute; the job pays only once none is open and the window
 * is over. A loss (or void: the claim was invalidated by another dispute) refunds the job in
 * whatever state it is, claimed, submitted or disputed, as long as the escrow is not paid out:
 * L1 holds the claim invalid.
 */
function disputeResolved(s: StateAccess, tx: DisputeResolvedTx, ctx: TxContext): TxOutcome {
  const j = job(s, tx.jobId);
  const event = { kind: "DisputeResolved", jobId: j.id, disputeId: tx.disputeId.toString() };
  const open = openDisputesOf(s, j.id);
  // A dispute L2 follows was checked when it opened (its claim may be one the worker signed before
  // submitting another); any other must pass the check now.
  const followed = open.find((d) => d.id === tx.disputeId && d.claimKey === tx.claimKey.toLowerCase());
  if (tx.claimerWon) {
    if (!followed) reject(`job ${j.id} has no open dispute ${tx.disputeId} on claim ${tx.claimKey}`);
    const rest = open.filter((d) => d !== followed);
    s.set(keys.jobDisputes(j.id), { open: rest });
    const status = j.status === "disputed" && rest.length === 0 ? "submitted" : j.status;
    s.set(keys.job(j.id), { ...j, status, disputeId: rest.length ? rest[rest.length - 1].id : null });
    return { events: [{ ...event, claimerWon: true }] };
  }
  if (!DISPUTABLE.has(j.status))
    reject(`job ${j.id} is ${j.status}; a lost dispute can only refund a claimed, submitted or disputed job`);
  if (!followed) checkDisputedClaim(j, tx, ctx);
  s.set(keys.jobDisputes(j.id), { open: [] });
  if (j.status === "claimed") releaseWorker(s, j.worker as Address);
  const withdrawal = refund(s, { ...j, disputeId: tx.disputeId }, "dispute lost", ctx);
  const events = [{ ...event, claimerWon: false }];
  return withdrawal ? { events, withdrawal } : { events };
}
