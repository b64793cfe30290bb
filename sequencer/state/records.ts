/**
 * State records of the rollup and their canonical encoding. The state is a key -> record map;
 * the state root commits to sha256 of each record's canonical bytes (see sequencer/state/smt.ts).
 * Canonical bytes = JSON with a fixed key order per record type, integers that may exceed 2^53
 * as decimal strings, addresses and hashes as lower-case hex. Encoders build objects field by
 * field, so key order never depends on how a record was created.
 */
import {
  decodeGenerationParams,
  type GenerationParams,
  generationParamsToJson,
} from "../../protocol/generation-job.ts";
import type { Address } from "../../protocol/secp256k1.ts";
import type { ClaimMsg, Hex } from "../../protocol/tx.ts";

export interface Account {
  balance: bigint;
  nonce: number;
}

export interface Worker {
  address: Address;
  models: Hex[];
  price: bigint;
  capacity: number;
  multiaddr: string;
  /** Jobs claimed and not yet answered; claiming needs active < capacity. */
  active: number;
}

export type JobStatus = "open" | "claimed" | "submitted" | "disputed" | "paid" | "refunded";

/**
 * What a generation job (postGenerationJob) adds to its job: the prompt, the window T of the pass
 * and the decoding parameters, and once a claim is submitted the generated tokens it claims.
 */
export interface JobGeneration {
  prompt: number[];
  window: number;
  params: GenerationParams;
  generated: number[] | null;
}

export interface Job {
  id: Hex;
  source: "l2" | "l1";
  requester: Address;
  l1RequestId: bigint | null;
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
  escrow: bigint;
  deadline: number;
  postedAt: number;
  status: JobStatus;
  worker: Address | null;
  claim: ClaimMsg | null;
  claimSignature: Hex | null;
  submittedAt: number | null;
  disputeId: bigint | null;
  /** Why the escrow went back, when it did: "deadline missed" or "dispute lost". */
  refundReason: string | null;
  /**
   * A generation job's prompt, window, params and generated tokens; absent on a single-pass job
   * (whose record bytes are then exactly what they were before generation jobs existed).
   */
  generation?: JobGeneration;
}

/**
 * A worker's collateral as L2 knows it: its L1 stake (from the Bridge's StakeChanged events, the
 * newest `seq` applied) and the claims it backs now, each holding ChainParams.claimCollateral of
 * the active stake from claimJob until the job is paid or refunded (docs/rollup.md "Collateral").
 */
export interface WorkerStake {
  seq: bigint;
  active: bigint;
  unbonding: bigint;
  backing: number;
}

export const EMPTY_STAKE: WorkerStake = Object.freeze({
  seq: 0n,
  active: 0n,
  unbonding: 0n,
  backing: 0,
}) as WorkerStake;

/** A dispute L2 follows on a job: its L1 id and the claim (digest) it is on. */
export interface OpenDispute {
  id: bigint;
  claimKey: Hex;
}

/** The disputes on a job's claims still open on L1 (every one counts: docs/rollup.md section 2). */
export interface JobDisputes {
  open: OpenDispute[];
}

/** A model registered on L1: postJob names one of these; its content is never garbage-collected. */
export interface Model {
  modelId: Hex;
  registrant: Address;
  cid: Hex;
}

/**
 * Marker that an L1 event (deposit, request, a dispute's opening) was derived already; makes
 * derivation idempotent, and a dispute's marker outlives its resolution (a replayed opening is
 * refused even once the dispute is no longer open).
 */
export interface Seen {
  l1: true;
}

export type StateRecord = Account | Worker | Job | Seen | WorkerStake | JobDisputes | Model;

export const keys = {
  account: (a: string) => `acct/${a}`,
  worker: (a: string) => `worker/${a}`,
  stake: (a: string) => `stake/${a}`,
  jobDisputes: (id: string) => `disputes/${id}`,
  job: (id: string) => `job/${id}`,
  deposit: (id: bigint) => `l1/deposit/${id}`,
  l1Request: (id: bigint) => `l1/request/${id}`,
  dispute: (id: bigint) => `l1/dispute/${id}`,
  model: (id: string) => `model/${id}`,
} as const;

export const EMPTY_ACCOUNT: Account = Object.freeze({ balance: 0n, nonce: 0 }) as Account;

const s = (v: bigint | null) => (v === null ? null : v.toString());

export function encodeRecord(key: string, r: StateRecord): string {
  if (key.startsWith("acct/")) {
    const a = r as Account;
    return JSON.stringify({ balance: a.balance.toString(), nonce: a.nonce });
  }
  if (key.startsWith("worker/")) {
    const w = r as Worker;
    return JSON.stringify({
      address: w.address,
      models: w.models,
      price: w.price.toString(),
      capacity: w.capacity,
      multiaddr: w.multiaddr,
      active: w.active,
    });
  }
  if (key.startsWith("job/")) {
    const j = r as Job;
    return JSON.stringify({
      id: j.id,
      source: j.source,
      requester: j.requester,
      l1RequestId: s(j.l1RequestId),
      modelId: j.modelId,
      inputRoot: j.inputRoot,
      inputCid: j.inputCid,
      escrow: j.escrow.toString(),
      deadline: j.deadline,
      postedAt: j.postedAt,
      status: j.status,
      worker: j.worker,
      claim: j.claim
        ? {
            jobId: j.claim.jobId,
            worker: j.claim.worker,
            modelId: j.claim.modelId,
            inputRoot: j.claim.inputRoot,
            outputRoot: j.claim.outputRoot,
            traceRoot: j.claim.traceRoot,
            generationSpec: j.claim.generationSpec,
            outputCid: j.claim.outputCid,
            traceCid: j.claim.traceCid,
          }
        : null,
      claimSignature: j.claimSignature,
      submittedAt: j.submittedAt,
      disputeId: s(j.disputeId),
      refundReason: j.refundReason,
      ...(j.generation
        ? {
            generation: {
              prompt: j.generation.prompt,
              window: j.generation.window,
              params: generationParamsToJson(j.generation.params),
              generated: j.generation.generated,
            },
          }
        : {}),
    });
  }
  if (key.startsWith("stake/")) {
    const w = r as WorkerStake;
    return JSON.stringify({
      seq: w.seq.toString(),
      active: w.active.toString(),
      unbonding: w.unbonding.toString(),
      backing: w.backing,
    });
  }
  if (key.startsWith("disputes/")) {
    const d = r as JobDisputes;
    return JSON.stringify({ open: d.open.map((o) => ({ id: o.id.toString(), claimKey: o.claimKey })) });
  }
  if (key.startsWith("l1/")) return JSON.stringify({ l1: true });
  if (key.startsWith("model/")) {
    const m = r as Model;
    return JSON.stringify({ modelId: m.modelId, registrant: m.registrant, cid: m.cid });
  }
  throw new Error(`unknown state key ${key}`);
}

export function decodeRecord(key: string, text: string): StateRecord {
  const o = JSON.parse(text);
  if (key.startsWith("acct/")) return { balance: BigInt(o.balance), nonce: o.nonce };
  if (key.startsWith("worker/")) return { ...o, price: BigInt(o.price) };
  if (key.startsWith("job/"))
    return {
      ...o,
      escrow: BigInt(o.escrow),
      l1RequestId: o.l1RequestId === null ? null : BigInt(o.l1RequestId),
      disputeId: o.disputeId === null ? null : BigInt(o.disputeId),
      ...(o.generation
        ? { generation: { ...o.generation, params: decodeGenerationParams(o.generation.params) } }
        : {}),
    };
  if (key.startsWith("stake/"))
    return {
      seq: BigInt(o.seq),
      active: BigInt(o.active),
      unbonding: BigInt(o.unbonding),
      backing: o.backing,
    };
  if (key.startsWith("disputes/"))
    return {
      open: o.open.map((d: { id: string; claimKey: Hex }) => ({ id: BigInt(d.id), claimKey: d.claimKey })),
    };
  if (key.startsWith("l1/")) return { l1: true };
  if (key.startsWith("model/")) return { modelId: o.modelId, registrant: o.registrant, cid: o.cid };
  throw new Error(`unknown state key ${key}`);
}

/** The JSON a client sees (same as the canonical form, parsed). */
export function recordJson(key: string, r: StateRecord): unknown {
  return JSON.parse(encodeRecord(key, r));
}
