/**
 * The binary encodings the batch challenge (contracts/src/BatchChallenge.sol, docs/rollup.md 8c)
 * reads on chain, one definition each; test/vectors/fault-proof.json pins them for Solidity.
 * Integers are big-endian; `opt(x)` is a flag byte (0 absent, 1 present) then x (a fixed-size x
 * is written as zeros when absent, so the record heads keep fixed offsets); `bytes16(b)` is a
 * u16 length then b; `tokens` is a u32 count then u32 per token id.
 *
 *   record bytes   acct/<addr>       balance u256 (32) || nonce u64 (8)                  40 bytes
 *                  l1/deposit/<id>, l1/request/<id>, l1/dispute/<id>   0x01               1 byte
 *                  worker/<addr>     address 20 || price u256 32 || capacity u32 4 || active u32 4
 *                                    || modelCount u8 || modelId 32 each || bytes16(utf8 multiaddr)
 *                  stake/<addr>      seq u256 || active u256 || unbonding u256 || backing u32   100 bytes
 *                  model/<id>        modelId 32 || registrant 20 || bytes16(cid)
 *                  job/<id>          head (263 bytes, fixed offsets, JOB_* below): id 32 || source u8
 *                                    (0 l2, 1 l1) || requester 20 || opt(l1RequestId u256) || modelId 32
 *                                    || inputRoot 32 || escrow u256 || deadline u64 || postedAt u64
 *                                    || status u8 (JOB_STATUS) || opt(worker 20) || opt(submittedAt u64)
 *                                    || opt(disputeId u256) || refundReason u8 (REFUND_REASON);
 *                                    tail: bytes16(inputCid) || opt(claim) || opt(claimSignature 65)
 *                                    || opt(generation); claim = jobId 32 || worker 20 || modelId 32
 *                                    || inputRoot 32 || outputRoot 32 || traceRoot 32 || generationSpec 32
 *                                    || bytes16(outputCid) || bytes16(traceCid); generation = window u32
 *                                    || tokens(prompt) || bytes16(encodeGenerationParams) || opt(tokens(generated))
 *                  disputes/<id>     count u16 || (disputeId u256 || claimKey 32) each
 *                  (every record kind has a layout; an unknown key is refused)
 *   state leaf     valueHash = sha256(record bytes)  (the state tree, sequencer/state/smt.ts)
 *
 *   tx bytes       transfer   0x01 || from 20 || nonce u64 8 || fee u256 32 || to 20 || amount 32 || sig 65
 *                  withdraw   0x02 || from 20 || nonce 8 || fee 32 || l1Recipient 20 || amount 32 || sig 65
 *                  registerWorker  0x03 || from 20 || nonce 8 || fee 32 || price u256 || capacity u32
 *                             || modelCount u8 || modelId 32 each || bytes16(utf8 multiaddr) || sig 65
 *                  postJob    0x04 || blockTime u64 || from 20 || nonce 8 || fee 32 || modelId 32
 *                             || inputRoot 32 || escrow u256 || deadline u64 || cidLen u8 || inputCid || sig 65
 *                  postGenerationJob  0x05 || blockTime u64 || from 20 || nonce 8 || fee 32 || modelId 32
 *                             || escrow u256 || deadline u64 || window u32 || tokens(prompt)
 *                             || bytes16(encodeGenerationParams) || sig 65   (window .. params: the job
 *                             record's generation part as it is, before opt(generated))
 *                  claimJob   0x06 || blockTime u64 || from 20 || nonce 8 || fee 32 || jobId 32 || sig 65
 *                  submitResult  0x07 || blockTime u64 || from 20 || nonce 8 || fee 32 || claim (as in
 *                             the job record) || claimSignature 65 || sig 65
 *                  finalize   0x08 || blockTime u64 || from 20 || nonce 8 || fee 32 || jobId 32 || sig 65
 *                  submitGeneration  0x09 || blockTime u64 || from 20 || nonce 8 || fee 32 || claim
 *                             || claimSignature 65 || tokens(generated) || sig 65
 *                  deposit    0x81 || depositId u256 32 || recipient 20 || amount 32
 *                  forcedTx   0x82 || blockTime u64 || sender 20 || data   (data: the forced bytes as
 *                             sent to L1; blockTime: its block's, which a forced job tx runs at)
 *                  modelRegistered     0x83 || inboxIndex u64 || modelId 32 || registrant 20 || cid
 *                  l1InferenceRequest  0x84 || blockTime u64 || inboxIndex u64 || requestId u256 || requester 20
 *                                      || modelId 32 || inputRoot 32 || escrow u256
 *                                      || deadline u64 (ms, as L2 keeps it) || inputCid
 *                  workerStake (queued, inboxIndex set)
 *                                      0x85 || inboxIndex u64 || worker 20 || seq u64 || active u256
 *                                      || unbonding u256
 *                  a slash's workerStake (no inboxIndex: no inbox message; no block time)
 *                                      0x88 || worker 20 || seq u64 || active u256
 *                                      || unbonding u256                                 93 bytes
 *                                      (L1EventStepRules: refused unless seq is after the record's
 *                                      and it raises neither active nor unbonding)
 *                  disputeOpened    0x86 || disputeId u256 || jobId 32 || claimKey 32 || claimer 20
 *                                   || challenger 20                                     137 bytes
 *                  disputeResolved  0x87 || disputeId u256 || jobId 32 || claimKey 32 || claimer 20
 *                                   || claimerWon u8 (0/1)                               118 bytes
 *                  (the DisputeGame's events: no inbox message; their one-step reads the dispute
 *                  L1 stores, contracts/src/DisputeEventStepRules.sol)
 *                  (every tx type has a binary kind; bytes of any other kind are no tx, and the
 *                  one-step refuses them: BatchStepVerifier.step returns not applied)
 *                  blockTime: the timestamp (ms) of the tx's block in the batch data. The rules of
 *                  postJob, postGenerationJob, claimJob, submitResult, submitGeneration, finalize,
 *                  a forced tx (the job tx it may hold) and l1InferenceRequest read it (deadlines, postedAt, submittedAt, the challenge
 *                  window's end); carried in the tx leaf, it is
 *                  proven against the batch's txRoot with the tx, so a challenger cannot pick it.
 *   forced data    Bridge.forceTransaction takes forcedData(userTx): the user tx's binary tx
 *                  bytes without the block time (kind || from || nonce || fee || ...; the sender
 *                  cannot know it, the 0x82 tx carries it), every user type, no JSON form.
 *                  decodeForcedData inverts it and decides "encodes a user tx" as
 *                  BatchStepVerifier._forced does (vectors: fault-proof.json forcedShapes); for
 *                  registerWorker and the generation txs that includes decodeTx's field checks,
 *                  which their rules contracts make on the same bytes in a batch (BadTxEncoding)
 *   tx leaf        sha256(tx bytes)
 *   batch txRoot   protocol/merkle.ts root over the tx leaves of every block of the batch, in order
 *                  (32 zero bytes when the batch has no tx)
 *
 *   inbox message  deposit   keccak256(0x01 || depositId u256 || recipient 20 || amount u256)
 *   hash           forcedTx  keccak256(0x02 || sender 20 || keccak256(data))
 *                  modelRegistered     keccak256(0x03 || modelId || registrant 20 || keccak256(cid))
 *                  l1InferenceRequest  keccak256(0x04 || requestId u256 || requester 20 || modelId
 *                                      || inputRoot || escrow u256 || deadline ms u64
 *                                      || keccak256(inputCid))
 *                  workerStake         keccak256(0x05 || worker 20 || seq u64 || active u256
 *                                      || unbonding u256)
 *                  (exactly what Bridge._queue is given by deposit / forceTransaction /
 *                  registerModel / requestInference / stake, unbond, withdrawUnbonded: the L1
 *                  events' tx bytes after kind, blockTime and inboxIndex, any CID replaced by its
 *                  keccak256; contracts/src/lib/L1EventTx.sol)
 *   inbox hash     the Bridge's rolling hash: keccak256(inboxHash || messageHash), 0 before message 0
 *
 *   step commitment  C = sha256(stateRoot || messageChain || inboxHash || lastTime u64), messageChain
 *                    = 0 at the batch start, sha256(messageChain || messageLeaf) for every L2 -> L1
 *                    message in tx order; inboxHash rolled by every derived tx with an inbox message
 *                    (deposit, forcedTx, modelRegistered, l1InferenceRequest, queued workerStake),
 *                    in tx order; lastTime (ms) the block time of the last timed tx (TIMED_TX_KINDS),
 *                    unchanged by the others; a timed tx below it is refused (lastTimeAfter).
 *                    C_0 = (previous batch's stateRoot, 0, previous batch's inboxHash, previous
 *                    batch's lastTime; 0 for batch 0);
 *                    C_n = (batch stateRoot, chain of the leaves under the batch's withdrawalRoot,
 *                    the batch's inboxHash and lastTime as the Bridge recorded them).
 */
import jsSha3 from "js-sha3";
import { bytesEqual, concatBytes, fromHex, toHex, u8, u16be, u32be } from "../../protocol/bytes.ts";
import {
  encodeGenerationParams,
  encodeTokenIds,
  GENERATION_PARAMS_TAG,
  type GenerationParams,
  NO_STOP_TOKEN,
} from "../../protocol/generation-job.ts";
import { merkleRoot, ZERO32 } from "../../protocol/merkle.ts";
import type { Address } from "../../protocol/secp256k1.ts";
import { sha256 } from "../../protocol/sha256.ts";
import {
  type ClaimMsg,
  decodeTx,
  encodeTx,
  type Hex,
  type L1InferenceRequestTx,
  type ModelRegisteredTx,
  type Tx,
  type UserTx,
  type WorkerStakeTx,
} from "../../protocol/tx.ts";
import type {
  Account,
  Job,
  JobDisputes,
  JobGeneration,
  JobStatus,
  Model,
  StateRecord,
  Worker,
  WorkerStake,
} from "../state/records.ts";

export const TX_TRANSFER = 0x01;
export const TX_WITHDRAW = 0x02;
export const TX_REGISTER_WORKER = 0x03;
export const TX_POST_JOB = 0x04;
export const TX_POST_GENERATION_JOB = 0x05;
export const TX_CLAIM_JOB = 0x06;
export const TX_SUBMIT_RESULT = 0x07;
export const TX_FINALIZE = 0x08;
export const TX_SUBMIT_GENERATION = 0x09;
export const TX_DEPOSIT = 0x81;
export const TX_FORCED = 0x82;
export const TX_MODEL_REGISTERED = 0x83;
export const TX_L1_REQUEST = 0x84;
export const TX_WORKER_STAKE = 0x85;
export const TX_DISPUTE_OPENED = 0x86;
export const TX_DISPUTE_RESOLVED = 0x87;
export const TX_WORKER_SLASH = 0x88;
/** Bridge.INBOX_DEPOSIT / ..._STAKE: the first byte of an inbox message's preimage. */
export const INBOX_DEPOSIT = 0x01;
export const INBOX_FORCED_TX = 0x02;
export const INBOX_MODEL = 0x03;
export const INBOX_REQUEST = 0x04;
export const INBOX_STAKE = 0x05;
/** Length of a transfer's or withdraw's binary tx bytes. */
export const USER_TX_BYTES = 178;
export const RECORD_SEEN = 0x01;

/** A job's status byte in its record (job/<id>). */
export const JOB_STATUS: Record<JobStatus, number> = {
  open: 0,
  claimed: 1,
  submitted: 2,
  disputed: 3,
  paid: 4,
  refunded: 5,
};
/** A job's refundReason byte: the machine writes only these two reasons. */
export const REFUND_REASON: Record<string, number> = { "deadline missed": 1, "dispute lost": 2 };
/** Byte offsets in a job record's head that the one-steps read and patch in place. */
export const JOB_OFFSETS = {
  modelId: 86,
  deadline: 182,
  status: 198,
  worker: 199,
  head: 263,
} as const;
/** Byte offsets in a worker record. */
export const WORKER_OFFSETS = { capacity: 52, active: 56, modelCount: 60, models: 61 } as const;

const enc = new TextEncoder();

export function u256(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${v} does not fit in uint256`);
  return fromHex(v.toString(16).padStart(64, "0"));
}

export function u64(v: number | bigint): Uint8Array {
  const b = BigInt(v);
  if (b < 0n || b >= 1n << 64n) throw new RangeError(`${v} does not fit in uint64`);
  return fromHex(b.toString(16).padStart(16, "0"));
}

function addr(a: string): Uint8Array {
  const b = fromHex(a);
  if (b.length !== 20) throw new RangeError(`address must be 20 bytes, got ${b.length}`);
  return b;
}

export function accountBytes(a: Account): Uint8Array {
  return concatBytes(u256(a.balance), u64(a.nonce));
}

function bytes16(b: Uint8Array): Uint8Array {
  if (b.length > 0xffff) throw new RangeError(`${b.length} bytes do not fit a u16 length`);
  return concatBytes(u16be(b.length), b);
}

function b32(h: Hex): Uint8Array {
  const b = fromHex(h);
  if (b.length !== 32) throw new RangeError(`expected 32 bytes, got ${b.length}`);
  return b;
}

function u32(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${v} does not fit in uint32`);
  return u32be(v);
}

/** opt(x): flag byte then x, or then `absent` (zeros of x's size for a fixed-size field). */
function opt(x: Uint8Array | null, absent: Uint8Array = new Uint8Array(0)): Uint8Array {
  return x === null ? concatBytes(u8(0), absent) : concatBytes(u8(1), x);
}

function tokens(t: readonly number[]): Uint8Array {
  return concatBytes(u32(t.length), encodeTokenIds(t));
}

function modelList(models: readonly Hex[]): Uint8Array {
  if (models.length > 0xff) throw new RangeError(`${models.length} models do not fit a u8 count`);
  return concatBytes(u8(models.length), ...models.map(b32));
}

export function workerBytes(w: Worker): Uint8Array {
  return concatBytes(
    addr(w.address),
    u256(w.price),
    u32(w.capacity),
    u32(w.active),
    modelList(w.models),
    bytes16(enc.encode(w.multiaddr)),
  );
}

export function stakeBytes(st: WorkerStake): Uint8Array {
  return concatBytes(u256(st.seq), u256(st.active), u256(st.unbonding), u32(st.backing));
}

export function disputesBytes(d: JobDisputes): Uint8Array {
  if (d.open.length > 0xffff) throw new RangeError(`${d.open.length} open disputes do not fit a u16 count`);
  return concatBytes(u16be(d.open.length), ...d.open.flatMap((o) => [u256(o.id), b32(o.claimKey)]));
}

export function modelBytes(m: Model): Uint8Array {
  return concatBytes(b32(m.modelId), addr(m.registrant), bytes16(fromHex(m.cid)));
}

export function claimBytes(c: ClaimMsg): Uint8Array {
  return concatBytes(
    b32(c.jobId),
    addr(c.worker),
    b32(c.modelId),
    b32(c.inputRoot),
    b32(c.outputRoot),
    b32(c.traceRoot),
    b32(c.generationSpec),
    bytes16(fromHex(c.outputCid)),
    bytes16(fromHex(c.traceCid)),
  );
}

function generationBytes(g: JobGeneration): Uint8Array {
  return concatBytes(
    u32(g.window),
    tokens(g.prompt),
    bytes16(encodeGenerationParams(g.params)),
    opt(g.generated === null ? null : tokens(g.generated)),
  );
}

export function jobBytes(j: Job): Uint8Array {
  const reason = j.refundReason === null ? 0 : REFUND_REASON[j.refundReason];
  if (reason === undefined) throw new RangeError(`job ${j.id}: refund reason ${j.refundReason} has no code`);
  const head = concatBytes(
    b32(j.id),
    u8(j.source === "l2" ? 0 : 1),
    addr(j.requester),
    opt(j.l1RequestId === null ? null : u256(j.l1RequestId), new Uint8Array(32)),
    b32(j.modelId),
    b32(j.inputRoot),
    u256(j.escrow),
    u64(j.deadline),
    u64(j.postedAt),
    u8(JOB_STATUS[j.status]),
    opt(j.worker === null ? null : addr(j.worker), new Uint8Array(20)),
    opt(j.submittedAt === null ? null : u64(j.submittedAt), new Uint8Array(8)),
    opt(j.disputeId === null ? null : u256(j.disputeId), new Uint8Array(32)),
    u8(reason),
  );
  if (head.length !== JOB_OFFSETS.head) throw new Error(`job head is ${head.length} bytes`);
  return concatBytes(
    head,
    bytes16(fromHex(j.inputCid)),
    opt(j.claim === null ? null : claimBytes(j.claim)),
    opt(j.claimSignature === null ? null : sig65(j.claimSignature)),
    opt(j.generation ? generationBytes(j.generation) : null),
  );
}

/** The bytes the state tree commits for the record at `key` (its leaf's valueHash preimage). */
export function recordBytes(key: string, r: StateRecord): Uint8Array {
  if (key.startsWith("acct/")) return accountBytes(r as Account);
  if (key.startsWith("l1/")) return u8(RECORD_SEEN);
  if (key.startsWith("worker/")) return workerBytes(r as Worker);
  if (key.startsWith("stake/")) return stakeBytes(r as WorkerStake);
  if (key.startsWith("model/")) return modelBytes(r as Model);
  if (key.startsWith("job/")) return jobBytes(r as Job);
  if (key.startsWith("disputes/")) return disputesBytes(r as JobDisputes);
  throw new Error(`unknown state key ${key}`);
}

export function recordValueHash(key: string, r: StateRecord): Uint8Array {
  return sha256(recordBytes(key, r));
}

/**
 * The bytes of `tx` as the batch commits them; `blockTime`: the timestamp (ms) of its block, which
 * the tx types whose rule reads the block time carry (the job txs: postJob, postGenerationJob,
 * claimJob, submitResult, submitGeneration, finalize; and l1InferenceRequest).
 */
export function txBytes(tx: Tx, blockTime: number): Uint8Array {
  switch (tx.type) {
    case "transfer":
      return concatBytes(
        u8(TX_TRANSFER),
        addr(tx.from),
        u64(tx.nonce),
        u256(tx.fee),
        addr(tx.to),
        u256(tx.amount),
        sig65(tx.signature),
      );
    case "withdraw":
      return concatBytes(
        u8(TX_WITHDRAW),
        addr(tx.from),
        u64(tx.nonce),
        u256(tx.fee),
        addr(tx.l1Recipient),
        u256(tx.amount),
        sig65(tx.signature),
      );
    case "registerWorker":
      return concatBytes(
        u8(TX_REGISTER_WORKER),
        userFields(tx),
        u256(tx.price),
        u32(tx.capacity),
        modelList(tx.models),
        bytes16(enc.encode(tx.multiaddr)),
        sig65(tx.signature),
      );
    case "postJob": {
      const cid = fromHex(tx.inputCid);
      if (cid.length > 0xff) throw new RangeError(`inputCid of ${cid.length} bytes does not fit a u8 length`);
      return concatBytes(
        u8(TX_POST_JOB),
        u64(blockTime),
        userFields(tx),
        b32(tx.modelId),
        b32(tx.inputRoot),
        u256(tx.escrow),
        u64(tx.deadline),
        u8(cid.length),
        cid,
        sig65(tx.signature),
      );
    }
    case "postGenerationJob":
      return concatBytes(
        u8(TX_POST_GENERATION_JOB),
        u64(blockTime),
        userFields(tx),
        b32(tx.modelId),
        u256(tx.escrow),
        u64(tx.deadline),
        u32(tx.window),
        tokens(tx.prompt),
        bytes16(encodeGenerationParams(tx.params)),
        sig65(tx.signature),
      );
    case "submitGeneration":
      return concatBytes(
        u8(TX_SUBMIT_GENERATION),
        u64(blockTime),
        userFields(tx),
        claimBytes(tx.claim),
        sig65(tx.claimSignature),
        tokens(tx.generated),
        sig65(tx.signature),
      );
    case "claimJob":
      return concatBytes(
        u8(TX_CLAIM_JOB),
        u64(blockTime),
        userFields(tx),
        b32(tx.jobId),
        sig65(tx.signature),
      );
    case "submitResult":
      return concatBytes(
        u8(TX_SUBMIT_RESULT),
        u64(blockTime),
        userFields(tx),
        claimBytes(tx.claim),
        sig65(tx.claimSignature),
        sig65(tx.signature),
      );
    case "finalize":
      return concatBytes(u8(TX_FINALIZE), u64(blockTime), userFields(tx), b32(tx.jobId), sig65(tx.signature));
    case "deposit":
      return concatBytes(u8(TX_DEPOSIT), u256(tx.depositId), addr(tx.recipient), u256(tx.amount));
    case "forcedTx":
      return concatBytes(u8(TX_FORCED), u64(blockTime), addr(tx.sender), fromHex(tx.data));
    case "modelRegistered":
      return concatBytes(u8(TX_MODEL_REGISTERED), u64(tx.inboxIndex), l1EventFields(tx));
    case "l1InferenceRequest":
      // the job it creates is posted at the block time (newJob's postedAt)
      return concatBytes(u8(TX_L1_REQUEST), u64(blockTime), u64(tx.inboxIndex), l1EventFields(tx));
    case "workerStake":
      // a slash (Bridge.settleDispute): not queued on L1, so no inbox index (docs/rollup.md 8c)
      if (tx.inboxIndex === undefined) return concatBytes(u8(TX_WORKER_SLASH), l1EventFields(tx));
      return concatBytes(u8(TX_WORKER_STAKE), u64(tx.inboxIndex), l1EventFields(tx));
    case "disputeOpened":
      return concatBytes(
        u8(TX_DISPUTE_OPENED),
        u256(tx.disputeId),
        b32(tx.jobId),
        b32(tx.claimKey),
        addr(tx.claimer),
        addr(tx.challenger),
      );
    case "disputeResolved":
      return concatBytes(
        u8(TX_DISPUTE_RESOLVED),
        u256(tx.disputeId),
        b32(tx.jobId),
        b32(tx.claimKey),
        addr(tx.claimer),
        u8(tx.claimerWon ? 1 : 0),
      );
    default: {
      // every Tx type has its case: a new one must get a binary kind and a one-step, never JSON
      const unknown: never = tx;
      throw new Error(`tx type ${(unknown as Tx).type} has no binary encoding`);
    }
  }
}

/** A user tx's common fields: from 20 || nonce u64 || fee u256. */
function userFields(tx: UserTx): Uint8Array {
  return concatBytes(addr(tx.from), u64(tx.nonce), u256(tx.fee));
}

/**
 * The fixed fields of an L1 event's tx bytes (after kind and inboxIndex) and its variable tail (a
 * CID, hashed into the message; empty for a stake change).
 */
function l1EventParts(
  tx: ModelRegisteredTx | L1InferenceRequestTx | WorkerStakeTx,
): [fixed: Uint8Array, tail: Uint8Array | null] {
  switch (tx.type) {
    case "modelRegistered":
      return [concatBytes(fromHex(tx.modelId), addr(tx.registrant)), fromHex(tx.cid)];
    case "l1InferenceRequest":
      return [
        concatBytes(
          u256(tx.requestId),
          addr(tx.requester),
          fromHex(tx.modelId),
          fromHex(tx.inputRoot),
          u256(tx.escrow),
          u64(tx.deadline),
        ),
        fromHex(tx.inputCid),
      ];
    case "workerStake":
      return [concatBytes(addr(tx.worker), u64(tx.seq), u256(tx.active), u256(tx.unbonding)), null];
  }
}

function l1EventFields(tx: ModelRegisteredTx | L1InferenceRequestTx | WorkerStakeTx): Uint8Array {
  const [fixed, tail] = l1EventParts(tx);
  return tail ? concatBytes(fixed, tail) : fixed;
}

const L1_EVENT_INBOX_KIND = {
  modelRegistered: INBOX_MODEL,
  l1InferenceRequest: INBOX_REQUEST,
  workerStake: INBOX_STAKE,
};

/** The message hash Bridge._queue was given for an L1 event's derived tx. */
function l1EventMessageHash(tx: ModelRegisteredTx | L1InferenceRequestTx | WorkerStakeTx): Uint8Array {
  const [fixed, tail] = l1EventParts(tx);
  const parts = [u8(L1_EVENT_INBOX_KIND[tx.type]), fixed];
  if (tail) parts.push(keccak256(tail));
  return keccak256(concatBytes(...parts));
}

function sig65(s: Hex): Uint8Array {
  const b = fromHex(s);
  if (b.length !== 65) throw new RangeError(`signature must be 65 bytes, got ${b.length}`);
  return b;
}

export function txLeaf(tx: Tx, blockTime: number): Uint8Array {
  return sha256(txBytes(tx, blockTime));
}

export function txRootOf(leaves: readonly Uint8Array[]): Uint8Array {
  return leaves.length === 0 ? ZERO32 : merkleRoot([...leaves]);
}

export function nextMessageChain(chain: Uint8Array, leaf: Uint8Array): Uint8Array {
  return sha256(concatBytes(chain, leaf));
}

export function messageChainOf(leaves: readonly Uint8Array[]): Uint8Array {
  let c: Uint8Array = ZERO32;
  for (const l of leaves) c = nextMessageChain(c, l);
  return c;
}

export function stepCommitment(
  stateRoot: Uint8Array,
  messageChain: Uint8Array,
  inboxHash: Uint8Array,
  lastTime: number,
): Hex {
  return toHex(sha256(concatBytes(stateRoot, messageChain, inboxHash, u64(lastTime))));
}

/**
 * The tx kinds whose bytes carry their block's time (u64 ms right after the kind byte): the txs
 * whose rule reads the block time. Kept beside the kind list, not in it, so new kinds stay local.
 */
export const TIMED_TX_KINDS: readonly number[] = [
  TX_POST_JOB,
  TX_POST_GENERATION_JOB,
  TX_CLAIM_JOB,
  TX_SUBMIT_RESULT,
  TX_FINALIZE,
  TX_SUBMIT_GENERATION,
  TX_L1_REQUEST,
  TX_FORCED,
];

/**
 * The last block time after the tx with bytes `bytes` from `lastTime` (docs/rollup.md 8c "Block
 * time bounds"): a timed tx's own block time, else `lastTime` unchanged. Null when a timed tx's
 * time is below `lastTime` (or its bytes are too short to carry one): the one-step refuses it.
 * BatchChallenge.lastTimeAfter decides the same from the same bytes.
 */
export function lastTimeAfter(lastTime: number, bytes: Uint8Array): number | null {
  if (bytes.length === 0 || !TIMED_TX_KINDS.includes(bytes[0])) return lastTime;
  if (bytes.length < 9) return null;
  const t = new DataView(bytes.buffer, bytes.byteOffset + 1, 8).getBigUint64(0);
  // a time past 2^53 - 1 is no block time L2 can hold (a JS number): refused on chain alike
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(t) < lastTime ? null : Number(t);
}

export function keccak256(data: Uint8Array): Uint8Array {
  return new Uint8Array(jsSha3.keccak256.arrayBuffer(data));
}

/**
 * The message hash Bridge._queue rolled into the inbox for the derived tx `tx` (a deposit, a forced
 * tx, a model registration, an L1 request, a queued stake change); null for every other tx (user
 * txs, dispute events and a slash's stake change consume no inbox message).
 */
export function inboxMessageHash(tx: Tx): Uint8Array | null {
  if (tx.type === "modelRegistered" || tx.type === "l1InferenceRequest") return l1EventMessageHash(tx);
  if (tx.type === "workerStake") return tx.inboxIndex === undefined ? null : l1EventMessageHash(tx);
  if (tx.type === "deposit")
    return keccak256(concatBytes(u8(INBOX_DEPOSIT), u256(tx.depositId), addr(tx.recipient), u256(tx.amount)));
  if (tx.type === "forcedTx")
    return keccak256(concatBytes(u8(INBOX_FORCED_TX), addr(tx.sender), keccak256(fromHex(tx.data))));
  return null;
}

export function nextInboxHash(inboxHash: Uint8Array, messageHash: Uint8Array): Uint8Array {
  return keccak256(concatBytes(inboxHash, messageHash));
}

/** The inbox hash after the derived txs of `txs`, from `start` (the hash before them). */
export function inboxHashAfter(start: Uint8Array, txs: Iterable<Tx>): Uint8Array {
  let h = start;
  for (const tx of txs) {
    const m = inboxMessageHash(tx);
    if (m) h = nextInboxHash(h, m);
  }
  return h;
}

/** The bytes a user forces its signed L2 tx with (Bridge.forceTransaction); see the header. */
export function forcedData(tx: UserTx): Uint8Array {
  const b = txBytes(tx, 0);
  // a timed kind's bytes without their block time: the L1 sender cannot know it (the 0x82 tx carries it)
  return TIMED_TX_KINDS.includes(b[0]) ? concatBytes(b.subarray(0, 1), b.subarray(9)) : b;
}

/** The user kinds whose forced bytes are decided by their length fields alone (forcedJobShape). */
const FORCED_SHAPE_KINDS: readonly number[] = [TX_POST_JOB, TX_CLAIM_JOB, TX_SUBMIT_RESULT, TX_FINALIZE];

/** Forced offsets: a forced tx's bytes are its tx bytes without the block time. */
const F_USER_END = 61; // kind 1 || from 20 || nonce 8 || fee 32
const F_CLAIM_FIXED = 212;
/** Where a forced postJob's cidLen byte is, and its deadline. */
const F_POST_JOB_CID_LEN = 165;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Whether forced bytes of a job kind with a one-step (postJob, claimJob, submitResult, finalize)
 * have the length their own length fields give: exactly BatchStepVerifier `_forcedJobShape` (the
 * rules' BadTxEncoding checks, shifted by the missing block time), so the rules never revert on them.
 */
function forcedJobShape(data: Uint8Array): boolean {
  const n = data.length;
  const u16at = (i: number) => (data[i] << 8) | data[i + 1];
  switch (data[0]) {
    case TX_CLAIM_JOB:
    case TX_FINALIZE:
      return n === F_USER_END + 32 + 65;
    case TX_POST_JOB:
      return n > F_POST_JOB_CID_LEN && n === F_POST_JOB_CID_LEN + 1 + data[F_POST_JOB_CID_LEN] + 65;
    case TX_SUBMIT_RESULT: {
      let end = F_USER_END + F_CLAIM_FIXED;
      if (n < end + 2) return false;
      end += 2 + u16at(end);
      if (n < end + 2) return false;
      end += 2 + u16at(end);
      return n === end + 130;
    }
    default:
      return false;
  }
}

/**
 * The user tx a forced tx's bytes encode (`forcedData` of it). Throws naming the problem for
 * anything else: such a forced tx changes nothing. Decides exactly as BatchStepVerifier `_forced`
 * (docs/rollup.md 8a "Forced bytes"; vectors: fault-proof.json forcedShapes): transfer, withdraw,
 * postJob, claimJob, submitResult and finalize by the lengths their length fields give and a nonce
 * (and a postJob's deadline) at most 2^53 - 1 (L2 keeps them as JS numbers), every other rule being
 * the tx's own (run by the machine, refusing it); registerWorker, postGenerationJob and
 * submitGeneration also by decodeTx's field checks (a multiaddr's UTF-8 and characters, at most 32
 * models, the window, token ids, params, CID lengths), which their rules contracts make from the
 * bytes alone (contracts/src/lib/UserTxRules.sol, BadTxEncoding) in a batch and forced alike.
 */
export function decodeForcedData(data: Uint8Array): UserTx {
  if (data.length === 0) throw new Error("forced tx is empty");
  const kind = data[0];
  const hex = (a: number, b: number) => toHex(data.subarray(a, b));
  const num = (a: number, b: number, what: string) => {
    const v = BigInt(hex(a, b));
    if (v > MAX_SAFE) throw new Error(`forced tx ${what} ${v} is past 2^53 - 1`);
    return Number(v);
  };
  if (kind === TX_TRANSFER || kind === TX_WITHDRAW) {
    if (data.length !== USER_TX_BYTES)
      throw new Error(`forced tx of kind ${kind} is ${data.length} bytes, expected ${USER_TX_BYTES}`);
    const base = {
      from: hex(1, 21) as Address,
      nonce: num(21, 29, "nonce"),
      fee: BigInt(hex(29, 61)),
      signature: hex(113, 178),
    };
    return kind === TX_TRANSFER
      ? { type: "transfer", ...base, to: hex(61, 81) as Address, amount: BigInt(hex(81, 113)) }
      : { type: "withdraw", ...base, l1Recipient: hex(61, 81) as Address, amount: BigInt(hex(81, 113)) };
  }
  if (FORCED_SHAPE_KINDS.includes(kind)) {
    if (!forcedJobShape(data))
      throw new Error(`forced tx of kind ${kind}: ${data.length} bytes encode no such tx`);
    const base = { from: hex(1, 21) as Address, nonce: num(21, 29, "nonce"), fee: BigInt(hex(29, 61)) };
    const sig = hex(data.length - 65, data.length);
    if (kind === TX_CLAIM_JOB) return { type: "claimJob", ...base, jobId: hex(61, 93), signature: sig };
    if (kind === TX_FINALIZE) return { type: "finalize", ...base, jobId: hex(61, 93), signature: sig };
    if (kind === TX_POST_JOB)
      return {
        type: "postJob",
        ...base,
        modelId: hex(61, 93),
        inputRoot: hex(93, 125),
        escrow: BigInt(hex(125, 157)),
        deadline: num(157, 165, "deadline"),
        inputCid: hex(166, data.length - 65),
        signature: sig,
      };
    const c = F_USER_END;
    const cid1 = c + F_CLAIM_FIXED + 2;
    const cid1End = cid1 + ((data[cid1 - 2] << 8) | data[cid1 - 1]);
    const claimEnd = data.length - 130;
    return {
      type: "submitResult",
      ...base,
      claim: {
        jobId: hex(c, c + 32),
        worker: hex(c + 32, c + 52) as Address,
        modelId: hex(c + 52, c + 84),
        inputRoot: hex(c + 84, c + 116),
        outputRoot: hex(c + 116, c + 148),
        traceRoot: hex(c + 148, c + 180),
        generationSpec: hex(c + 180, c + 212),
        outputCid: hex(cid1, cid1End),
        traceCid: hex(cid1End + 2, claimEnd),
      },
      claimSignature: hex(claimEnd, claimEnd + 65),
      signature: sig,
    };
  }
  if (kind === TX_REGISTER_WORKER || kind === TX_POST_GENERATION_JOB || kind === TX_SUBMIT_GENERATION) {
    const tx = decodeOtherForced(data);
    if (!bytesEqual(forcedData(tx), data)) throw new Error(`forced tx of kind ${kind} is not canonical`);
    return decodeTx(encodeTx(tx)) as UserTx; // decodeTx's field checks
  }
  throw new Error(`forced tx starts with byte ${kind}: not a user tx encoding`);
}

/** A forced registerWorker, postGenerationJob or submitGeneration, read by its length fields. */
function decodeOtherForced(data: Uint8Array): UserTx {
  let p = 0;
  const take = (n: number) => {
    if (p + n > data.length) throw new Error(`forced tx of kind ${data[0]} is cut at byte ${data.length}`);
    const out = data.subarray(p, p + n);
    p += n;
    return out;
  };
  const hexOf = (n: number) => toHex(take(n));
  const big = (n: number) => BigInt(hexOf(n));
  const safe = (n: number, what: string) => {
    const v = big(n);
    if (v > MAX_SAFE) throw new Error(`forced tx ${what} ${v} is past 2^53 - 1`);
    return Number(v);
  };
  const len16 = () => safe(2, "length");
  const tokenList = () => {
    const count = safe(4, "token count");
    const b = take(4 * count);
    return Array.from({ length: count }, (_, i) =>
      new DataView(b.buffer, b.byteOffset + 4 * i, 4).getUint32(0),
    );
  };
  const claim = (): ClaimMsg => ({
    jobId: hexOf(32),
    worker: hexOf(20) as Address,
    modelId: hexOf(32),
    inputRoot: hexOf(32),
    outputRoot: hexOf(32),
    traceRoot: hexOf(32),
    generationSpec: hexOf(32),
    outputCid: hexOf(len16()),
    traceCid: hexOf(len16()),
  });
  const kind = take(1)[0];
  const base = { from: hexOf(20) as Address, nonce: safe(8, "nonce"), fee: big(32) };
  let tx: UserTx;
  if (kind === TX_REGISTER_WORKER) {
    const price = big(32);
    const capacity = safe(4, "capacity");
    const models = Array.from({ length: take(1)[0] }, () => hexOf(32));
    // the BOM kept: a multiaddr may start with U+FEFF in a batch (its JSON form), so forced too
    const multiaddr = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(take(len16()));
    tx = { type: "registerWorker", ...base, price, capacity, models, multiaddr, signature: hexOf(65) };
  } else if (kind === TX_POST_GENERATION_JOB) {
    const modelId = hexOf(32);
    const escrow = big(32);
    const deadline = safe(8, "deadline");
    const window = safe(4, "window");
    const prompt = tokenList();
    const params = decodeGenerationParamsBytes(take(len16()));
    tx = {
      type: "postGenerationJob",
      ...base,
      modelId,
      escrow,
      deadline,
      window,
      prompt,
      params,
      signature: hexOf(65),
    };
  } else {
    const c = claim();
    const claimSignature = hexOf(65);
    const generated = tokenList();
    tx = { type: "submitGeneration", ...base, claim: c, claimSignature, generated, signature: hexOf(65) };
  }
  if (p !== data.length)
    throw new Error(`forced tx of kind ${kind} has ${data.length - p} bytes past its end`);
  return tx;
}

/** encodeGenerationParams inverted (its checks then run again in decodeTx). */
function decodeGenerationParamsBytes(b: Uint8Array): GenerationParams {
  if (b.length !== 50 || b[0] !== GENERATION_PARAMS_TAG)
    throw new Error("forced generation params are malformed");
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const stop = v.getUint32(5);
  const rule: GenerationParams["rule"] =
    b[9] === 0
      ? { kind: "greedy" }
      : { kind: "sample", topK: v.getUint32(10), halfLife: v.getUint32(14), seed: b.slice(18, 50) };
  return { maxTokens: v.getUint32(1), stopToken: stop === NO_STOP_TOKEN ? null : stop, rule };
}
