/**
 * L2 transactions: the in-memory form, the JSON wire codec (every malformed field named), the
 * tx hash (the EIP-712 digest, so a signature can never change a tx's id) and signing.
 * Amounts are wei (bigint, decimal strings on the wire); nonces, deadlines (ms since epoch) and
 * capacities are JSON numbers.
 */
import { toHex } from "./bytes.ts";
import { type Eip712Domain, type TypeName, typedDataDigest } from "./eip712.ts";
import {
  decodeGenerationParams,
  encodeGenerationParams,
  encodeTokenIds,
  type GenerationParams,
  GenerationParamsError,
  generationParamsToJson,
  MAX_TOKEN_ID,
} from "./generation-job.ts";
import { type Address, recoverAddress, signDigest } from "./secp256k1.ts";

export type Hex = `0x${string}`;

interface UserTxBase {
  from: Address;
  nonce: number;
  fee: bigint;
  signature: Hex;
}

export interface ClaimMsg {
  jobId: Hex;
  /**
   * The worker whose claim this is, and the only key whose signature makes it valid (L2 and the
   * Bridge refuse any other signer). Without it the digest would not name its signer, and a
   * puppet key could sign the very same claim and lose a dispute on it in the worker's place.
   */
  worker: Address;
  modelId: Hex;
  inputRoot: Hex;
  outputRoot: Hex;
  /**
   * The root of the run's full trace, or DEFERRED_TRACE: the trace is then a certificate the
   * worker produces only when disputed (DisputeGame.openDeferred / commitTrace; docs/dispute-game.md
   * "Deferred trace").
   */
  traceRoot: Hex;
  /**
   * A generation job's claim: generationSpec(P, n, paramsHash) (prover-trace/commit/generation.ts),
   * which positions of the one pass are generated and by which decoding rule, so a token that
   * breaks the rule is provable on L1 from the claim alone. A single-pass job's: NO_GENERATION.
   */
  generationSpec: Hex;
  outputCid: Hex;
  traceCid: Hex;
}

/**
 * The traceRoot of a claim whose trace is deferred (docs/dispute-game.md "Deferred trace"): 32 zero
 * bytes, the value DisputeGame tells apart (openDeferred takes only these, the other openings
 * refuse them). The one definition: every TS party compares with this, never with a literal.
 */
export const DEFERRED_TRACE: Hex = `0x${"00".repeat(32)}`;

/** True when `traceRoot` (any case) is DEFERRED_TRACE. */
export function isDeferredTrace(traceRoot: string): boolean {
  return traceRoot.toLowerCase() === DEFERRED_TRACE;
}

/** The generationSpec of a single-pass job's claim: 32 zero bytes. */
export const NO_GENERATION: Hex = `0x${"00".repeat(32)}`;

export type TransferTx = UserTxBase & { type: "transfer"; to: Address; amount: bigint };
export type WithdrawTx = UserTxBase & { type: "withdraw"; l1Recipient: Address; amount: bigint };
export type RegisterWorkerTx = UserTxBase & {
  type: "registerWorker";
  models: Hex[];
  price: bigint;
  capacity: number;
  multiaddr: string;
};
export type PostJobTx = UserTxBase & {
  type: "postJob";
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
  escrow: bigint;
  deadline: number;
};
/**
 * A generation job (docs/generation.md): the prompt's token ids inline, the window `T` of the
 * model's one int32 [T] input the claim's pass runs over, and the decoding parameters. Its id is
 * the tx hash, as for postJob. A worker answers it with submitGeneration.
 */
export type PostGenerationJobTx = UserTxBase & {
  type: "postGenerationJob";
  modelId: Hex;
  prompt: number[];
  window: number;
  params: GenerationParams;
  escrow: bigint;
  deadline: number;
};
export type ClaimJobTx = UserTxBase & { type: "claimJob"; jobId: Hex };
export type SubmitResultTx = UserTxBase & { type: "submitResult"; claim: ClaimMsg; claimSignature: Hex };
/**
 * A generation job's result: the claim over the one causal pass over prompt ++ generated ++
 * 0-padding (claim.inputRoot = generationPassInputRoot, claim.generationSpec = generationSpec) and
 * the generated tokens themselves, which L2 checks against the claim and the job's stop rules.
 */
export type SubmitGenerationTx = UserTxBase & {
  type: "submitGeneration";
  claim: ClaimMsg;
  claimSignature: Hex;
  generated: number[];
};
export type FinalizeTx = UserTxBase & { type: "finalize"; jobId: Hex };

export type DepositTx = { type: "deposit"; depositId: bigint; recipient: Address; amount: bigint };
/**
 * `claimKey`: the EIP-712 digest (claim domain) of the claim the L1 dispute is about; `claimer`:
 * who signed it, as the game recovered it (a digest does not name its signer: anyone can sign
 * the same claim content, so L2 follows only disputes against the job's worker).
 */
export type DisputeOpenedTx = {
  type: "disputeOpened";
  disputeId: bigint;
  jobId: Hex;
  claimKey: Hex;
  claimer: Address;
  challenger: Address;
};
/** `claimerWon` false: the challenger won, or the dispute was void (the claim already invalidated). */
export type DisputeResolvedTx = {
  type: "disputeResolved";
  disputeId: bigint;
  jobId: Hex;
  claimKey: Hex;
  claimer: Address;
  claimerWon: boolean;
};
/**
 * A worker's L1 stake after a change (Bridge `StakeChanged`): `seq` numbers the changes per
 * worker, so L2 applies each once and in order. L2 lets a worker back only as many open claims
 * as its active stake covers (ChainParams.claimCollateral each).
 */
export type WorkerStakeTx = {
  type: "workerStake";
  /**
   * The L1 inbox message it consumes (docs/rollup.md 8): stake, unbond and withdrawUnbonded queue
   * one. Absent for a slash (Bridge.settleDispute), which is not queued (its inbox message would
   * put the dispute game's one-step win over its gas goal): such a change may only lower stake.
   */
  inboxIndex?: bigint;
  worker: Address;
  seq: bigint;
  active: bigint;
  unbonding: bigint;
};
export type L1InferenceRequestTx = {
  type: "l1InferenceRequest";
  /** The L1 inbox message it consumes (Bridge.requestInference queues one). */
  inboxIndex: bigint;
  requestId: bigint;
  requester: Address;
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
  escrow: bigint;
  deadline: number;
};

/**
 * A model registered on L1 (Bridge.ModelRegistered): L2 takes postJob only for a model it has seen
 * registered, and keeps the model's content (`cid`) from garbage collection.
 */
export type ModelRegisteredTx = {
  type: "modelRegistered";
  /** The L1 inbox message it consumes (Bridge.registerModel queues one). */
  inboxIndex: bigint;
  modelId: Hex;
  registrant: Address;
  cid: Hex;
};

/**
 * An L2 tx forced through the L1 inbox (Bridge.forceTransaction): `sender` is the L1 account that
 * sent it, `data` its bytes as sent (the user tx's fault-proof encoding, sequencer/fault-proof/
 * encoding.ts `forcedData`). It is in the block whatever `data` holds, so every inbox message is
 * consumed by exactly one tx (docs/rollup.md 8a): it runs as the user tx `data` encodes when that
 * is valid at that point, and changes nothing otherwise. `inboxIndex` names the message (the tx
 * hash stays unique when one sender forces the same bytes twice); it is not part of the inbox hash.
 */
export type ForcedTxTx = {
  type: "forcedTx";
  inboxIndex: bigint;
  sender: Address;
  data: Hex;
};

/** Largest forced tx (Bridge.MAX_FORCED_TX_LENGTH). */
export const MAX_FORCED_TX_BYTES = 8192;

export type UserTx =
  | TransferTx
  | WithdrawTx
  | RegisterWorkerTx
  | PostJobTx
  | PostGenerationJobTx
  | ClaimJobTx
  | SubmitResultTx
  | SubmitGenerationTx
  | FinalizeTx;
export type SystemTx =
  | DepositTx
  | DisputeOpenedTx
  | DisputeResolvedTx
  | L1InferenceRequestTx
  | WorkerStakeTx
  | ModelRegisteredTx
  | ForcedTxTx;
export type Tx = UserTx | SystemTx;
export type TxType = Tx["type"];

/** Tx type -> EIP-712 primary type. */
export const PRIMARY: Record<TxType, TypeName> = {
  transfer: "Transfer",
  withdraw: "Withdraw",
  registerWorker: "RegisterWorker",
  postJob: "PostJob",
  postGenerationJob: "PostGenerationJob",
  claimJob: "ClaimJob",
  submitResult: "SubmitResult",
  submitGeneration: "SubmitGeneration",
  finalize: "Finalize",
  deposit: "Deposit",
  disputeOpened: "DisputeOpened",
  disputeResolved: "DisputeResolved",
  l1InferenceRequest: "L1InferenceRequest",
  workerStake: "WorkerStake",
  modelRegistered: "ModelRegistered",
  forcedTx: "ForcedTx",
};
export const USER_TX_TYPES = [
  "transfer",
  "withdraw",
  "registerWorker",
  "postJob",
  "postGenerationJob",
  "claimJob",
  "submitResult",
  "submitGeneration",
  "finalize",
] as const;
export const SYSTEM_TX_TYPES = [
  "deposit",
  "disputeOpened",
  "disputeResolved",
  "l1InferenceRequest",
  "workerStake",
  "modelRegistered",
  "forcedTx",
] as const;

export function isSystemTx(tx: Tx): tx is SystemTx {
  return (SYSTEM_TX_TYPES as readonly string[]).includes(tx.type);
}

/**
 * `generationWindow`: the largest window T a generation job may name (and so the most prompt or
 * generated tokens a tx carries): 8192 int32 tokens are 32 KiB of pass input.
 */
export const LIMITS = { cidBytes: 128, multiaddrChars: 256, models: 32, generationWindow: 8192 } as const;

/** A malformed tx; `message` names the field and what is wrong with it. */
export class TxDecodeError extends Error {}

type Json = Record<string, unknown>;

const HEX_RE = /^0x[0-9a-fA-F]*$/;

function fieldHex(o: Json, k: string, bytes: number, label = k): Hex {
  const v = o[k];
  if (typeof v !== "string" || !HEX_RE.test(v) || v.length !== 2 + 2 * bytes)
    throw new TxDecodeError(`field ${label}: expected 0x-prefixed hex of ${bytes} bytes`);
  return v.toLowerCase() as Hex;
}
function fieldBytes(o: Json, k: string, maxBytes: number): Hex {
  const v = o[k];
  if (typeof v !== "string" || !HEX_RE.test(v) || v.length % 2 !== 0)
    throw new TxDecodeError(`field ${k}: expected 0x-prefixed hex bytes`);
  if ((v.length - 2) / 2 > maxBytes) throw new TxDecodeError(`field ${k}: longer than ${maxBytes} bytes`);
  return v.toLowerCase() as Hex;
}
function fieldU256(o: Json, k: string): bigint {
  const v = o[k];
  if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(v))
    throw new TxDecodeError(`field ${k}: expected a decimal string (uint256, no leading zeros)`);
  const b = BigInt(v);
  if (b >> 256n !== 0n) throw new TxDecodeError(`field ${k}: exceeds uint256`);
  return b;
}
function fieldUint(o: Json, k: string, bits: 32 | 64): number {
  const v = o[k];
  const max = bits === 32 ? 0xffffffff : Number.MAX_SAFE_INTEGER;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max)
    throw new TxDecodeError(`field ${k}: expected an integer in [0, ${max}]`);
  return v;
}
function fieldString(o: Json, k: string, maxChars: number): string {
  const v = o[k];
  if (typeof v !== "string") throw new TxDecodeError(`field ${k}: expected a string`);
  if (v.length > maxChars) throw new TxDecodeError(`field ${k}: longer than ${maxChars} characters`);
  return v;
}
/**
 * A worker's advertised address, shown to users and dialled by clients: printable only. Control
 * characters (NUL, C0, C1) and bidi controls (which make a shown address read differently from
 * the one dialled) are refused.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
function fieldMultiaddr(o: Json): string {
  const v = fieldString(o, "multiaddr", LIMITS.multiaddrChars);
  const bad = UNPRINTABLE.exec(v);
  if (bad)
    throw new TxDecodeError(
      `field multiaddr: control or bidi character U+${(bad[0].codePointAt(0) as number).toString(16).padStart(4, "0").toUpperCase()} at ${bad.index}`,
    );
  return v;
}
/** A token id list: an array of 1..maxCount integers in [0, MAX_TOKEN_ID]. */
function fieldTokens(o: Json, k: string, maxCount: number): number[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new TxDecodeError(`field ${k}: expected an array of token ids`);
  if (v.length === 0) throw new TxDecodeError(`field ${k}: expected at least one token id`);
  if (v.length > maxCount) throw new TxDecodeError(`field ${k}: more than ${maxCount} token ids`);
  v.forEach((t, i) => {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > MAX_TOKEN_ID)
      throw new TxDecodeError(`field ${k}[${i}]: expected a token id in [0, ${MAX_TOKEN_ID}]`);
  });
  return [...v];
}
function fieldParams(o: Json, k: string): GenerationParams {
  try {
    return decodeGenerationParams(o[k]);
  } catch (e) {
    if (e instanceof GenerationParamsError) throw new TxDecodeError(`field ${k}: ${e.message}`);
    throw e;
  }
}
function fieldBool(o: Json, k: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") throw new TxDecodeError(`field ${k}: expected true or false`);
  return v;
}
function onlyKeys(o: Json, allowed: string[], where: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new TxDecodeError(`${where}: unknown field ${k}`);
}
function asObject(v: unknown, where: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new TxDecodeError(`${where}: expected an object`);
  return v as Json;
}

const CLAIM_KEYS = [
  "jobId",
  "worker",
  "modelId",
  "inputRoot",
  "outputRoot",
  "traceRoot",
  "generationSpec",
  "outputCid",
  "traceCid",
];

function decodeClaim(v: unknown): ClaimMsg {
  const o = asObject(v, "field claim");
  onlyKeys(o, CLAIM_KEYS, "claim");
  return {
    jobId: fieldHex(o, "jobId", 32),
    worker: fieldHex(o, "worker", 20) as Address,
    modelId: fieldHex(o, "modelId", 32),
    inputRoot: fieldHex(o, "inputRoot", 32),
    outputRoot: fieldHex(o, "outputRoot", 32),
    traceRoot: fieldHex(o, "traceRoot", 32),
    generationSpec: fieldHex(o, "generationSpec", 32),
    outputCid: fieldBytes(o, "outputCid", LIMITS.cidBytes),
    traceCid: fieldBytes(o, "traceCid", LIMITS.cidBytes),
  };
}

/** Parse a tx from its JSON form. Unknown fields, types and malformed values are rejected. */
export function decodeTx(json: unknown, opts: { signed?: boolean } = {}): Tx {
  const o = asObject(json, "tx");
  const type = o.type;
  const signed = opts.signed ?? true;
  const user = (extra: string[]): UserTxBase => {
    onlyKeys(o, ["type", "from", "nonce", "fee", ...(signed ? ["signature"] : []), ...extra], `${type} tx`);
    return {
      from: fieldHex(o, "from", 20) as Address,
      nonce: fieldUint(o, "nonce", 64),
      fee: fieldU256(o, "fee"),
      signature: signed ? fieldHex(o, "signature", 65) : "0x",
    };
  };
  const sys = (keys: string[]) => onlyKeys(o, ["type", ...keys], `${type} tx`);
  switch (type) {
    case "transfer":
      return {
        type,
        ...user(["to", "amount"]),
        to: fieldHex(o, "to", 20) as Address,
        amount: fieldU256(o, "amount"),
      };
    case "withdraw":
      return {
        type,
        ...user(["l1Recipient", "amount"]),
        l1Recipient: fieldHex(o, "l1Recipient", 20) as Address,
        amount: fieldU256(o, "amount"),
      };
    case "registerWorker": {
      const base = user(["models", "price", "capacity", "multiaddr"]);
      const m = o.models;
      if (!Array.isArray(m)) throw new TxDecodeError("field models: expected an array of bytes32 hex");
      if (m.length > LIMITS.models)
        throw new TxDecodeError(`field models: more than ${LIMITS.models} entries`);
      const models = m.map((_, i) => fieldHex(m as unknown as Json, String(i), 32, `models[${i}]`));
      return {
        type,
        ...base,
        models,
        price: fieldU256(o, "price"),
        capacity: fieldUint(o, "capacity", 32),
        multiaddr: fieldMultiaddr(o),
      };
    }
    case "postJob":
      return {
        type,
        ...user(["modelId", "inputRoot", "inputCid", "escrow", "deadline"]),
        modelId: fieldHex(o, "modelId", 32),
        inputRoot: fieldHex(o, "inputRoot", 32),
        inputCid: fieldBytes(o, "inputCid", LIMITS.cidBytes),
        escrow: fieldU256(o, "escrow"),
        deadline: fieldUint(o, "deadline", 64),
      };
    case "postGenerationJob": {
      const base = user(["modelId", "prompt", "window", "params", "escrow", "deadline"]);
      const window = fieldUint(o, "window", 32);
      if (window < 2 || window > LIMITS.generationWindow)
        throw new TxDecodeError(`field window: expected an integer in [2, ${LIMITS.generationWindow}]`);
      return {
        type,
        ...base,
        modelId: fieldHex(o, "modelId", 32),
        prompt: fieldTokens(o, "prompt", LIMITS.generationWindow),
        window,
        params: fieldParams(o, "params"),
        escrow: fieldU256(o, "escrow"),
        deadline: fieldUint(o, "deadline", 64),
      };
    }
    case "claimJob":
      return { type, ...user(["jobId"]), jobId: fieldHex(o, "jobId", 32) };
    case "finalize":
      return { type, ...user(["jobId"]), jobId: fieldHex(o, "jobId", 32) };
    case "submitResult":
      return {
        type,
        ...user(["claim", "claimSignature"]),
        claim: decodeClaim(o.claim),
        claimSignature: fieldHex(o, "claimSignature", 65),
      };
    case "submitGeneration":
      return {
        type,
        ...user(["claim", "claimSignature", "generated"]),
        claim: decodeClaim(o.claim),
        claimSignature: fieldHex(o, "claimSignature", 65),
        generated: fieldTokens(o, "generated", LIMITS.generationWindow),
      };
    case "deposit":
      sys(["depositId", "recipient", "amount"]);
      return {
        type,
        depositId: fieldU256(o, "depositId"),
        recipient: fieldHex(o, "recipient", 20) as Address,
        amount: fieldU256(o, "amount"),
      };
    case "disputeOpened":
      sys(["disputeId", "jobId", "claimKey", "claimer", "challenger"]);
      return {
        type,
        disputeId: fieldU256(o, "disputeId"),
        jobId: fieldHex(o, "jobId", 32),
        claimKey: fieldHex(o, "claimKey", 32),
        claimer: fieldHex(o, "claimer", 20) as Address,
        challenger: fieldHex(o, "challenger", 20) as Address,
      };
    case "disputeResolved":
      sys(["disputeId", "jobId", "claimKey", "claimer", "claimerWon"]);
      return {
        type,
        disputeId: fieldU256(o, "disputeId"),
        jobId: fieldHex(o, "jobId", 32),
        claimKey: fieldHex(o, "claimKey", 32),
        claimer: fieldHex(o, "claimer", 20) as Address,
        claimerWon: fieldBool(o, "claimerWon"),
      };
    case "workerStake":
      sys(["inboxIndex", "worker", "seq", "active", "unbonding"]);
      return {
        type,
        ...(o.inboxIndex === undefined ? {} : { inboxIndex: fieldU256(o, "inboxIndex") }),
        worker: fieldHex(o, "worker", 20) as Address,
        seq: fieldU256(o, "seq"),
        active: fieldU256(o, "active"),
        unbonding: fieldU256(o, "unbonding"),
      };
    case "l1InferenceRequest":
      sys(["inboxIndex", "requestId", "requester", "modelId", "inputRoot", "inputCid", "escrow", "deadline"]);
      return {
        type,
        inboxIndex: fieldU256(o, "inboxIndex"),
        requestId: fieldU256(o, "requestId"),
        requester: fieldHex(o, "requester", 20) as Address,
        modelId: fieldHex(o, "modelId", 32),
        inputRoot: fieldHex(o, "inputRoot", 32),
        inputCid: fieldBytes(o, "inputCid", LIMITS.cidBytes),
        escrow: fieldU256(o, "escrow"),
        deadline: fieldUint(o, "deadline", 64),
      };
    case "modelRegistered":
      sys(["inboxIndex", "modelId", "registrant", "cid"]);
      return {
        type,
        inboxIndex: fieldU256(o, "inboxIndex"),
        modelId: fieldHex(o, "modelId", 32),
        registrant: fieldHex(o, "registrant", 20) as Address,
        cid: fieldBytes(o, "cid", LIMITS.cidBytes),
      };
    case "forcedTx":
      sys(["inboxIndex", "sender", "data"]);
      return {
        type,
        inboxIndex: fieldU256(o, "inboxIndex"),
        sender: fieldHex(o, "sender", 20) as Address,
        data: fieldBytes(o, "data", MAX_FORCED_TX_BYTES),
      };
    default:
      throw new TxDecodeError(
        `field type: expected one of ${[...USER_TX_TYPES, ...SYSTEM_TX_TYPES].join(", ")}, got ${JSON.stringify(type)?.slice(0, 40)}`,
      );
  }
}

/** JSON form: bigints become decimal strings; everything else is already JSON. */
export function encodeTx(tx: Tx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tx)) out[k] = typeof v === "bigint" ? v.toString() : v;
  if (tx.type === "postGenerationJob") out.params = generationParamsToJson(tx.params);
  return out;
}

/** The EIP-712 message of a tx (fields as the typed-data definition names them). */
export function typedMessage(tx: Tx): Record<string, unknown> {
  const { type: _t, ...rest } = tx as Tx & { signature?: Hex };
  const m: Record<string, unknown> = rest;
  delete m.signature;
  // token lists and params are signed as their one binary encoding (protocol/generation-job.ts)
  if (tx.type === "postGenerationJob") {
    m.prompt = toHex(encodeTokenIds(tx.prompt));
    m.params = toHex(encodeGenerationParams(tx.params));
  } else if (tx.type === "submitGeneration") m.generated = toHex(encodeTokenIds(tx.generated));
  return m;
}

/** Tx hash = EIP-712 digest under the L2 domain (system txs too, although nobody signs them). */
export function txDigest(tx: Tx, domain: Eip712Domain): Uint8Array {
  const primary =
    tx.type === "workerStake" && tx.inboxIndex !== undefined ? "QueuedWorkerStake" : PRIMARY[tx.type];
  return typedDataDigest(domain, primary, typedMessage(tx));
}

export function claimDigest(claim: ClaimMsg, domain: Eip712Domain): Uint8Array {
  return typedDataDigest(domain, "Claim", claim as unknown as Record<string, unknown>);
}

function hexToBytes(h: Hex): Uint8Array {
  return Buffer.from(h.slice(2), "hex");
}
function bytesToHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`;
}

/** Check a user tx's signature; throws "bad signature: ..." naming the problem. */
export function verifyTxSignature(tx: UserTx, digest: Uint8Array): void {
  const signer = recoverAddress(digest, hexToBytes(tx.signature));
  if (signer !== tx.from) throw new Error(`bad signature: signed by ${signer}, but from is ${tx.from}`);
}

/** Recover the key that signed a claim (under the L1 claim domain); see verifyClaimSigner. */
export function recoverClaimSigner(claim: ClaimMsg, signature: Hex, domain: Eip712Domain): Address {
  return recoverAddress(claimDigest(claim, domain), hexToBytes(signature));
}

/**
 * A claim is valid only signed by the worker it names (Bridge.claimSigner applies the same
 * rule): returns claim.worker, or throws naming the signer when another key signed it.
 */
export function verifyClaimSigner(claim: ClaimMsg, signature: Hex, domain: Eip712Domain): Address {
  const signer = recoverClaimSigner(claim, signature, domain);
  if (signer !== claim.worker.toLowerCase())
    throw new Error(`claim is signed by ${signer}, not by the worker it names, ${claim.worker}`);
  return signer;
}

type Unsigned<T> = T extends UserTx ? Omit<T, "signature"> : never;
export type UnsignedUserTx = Unsigned<UserTx>;

export function signTx<T extends UnsignedUserTx>(
  tx: T,
  privateKey: Uint8Array,
  domain: Eip712Domain,
): T & { signature: Hex } {
  const withSig = { ...tx, signature: "0x" as Hex } as unknown as UserTx;
  const sig = signDigest(txDigest(withSig, domain), privateKey);
  return { ...tx, signature: bytesToHex(sig) };
}

export function signClaim(claim: ClaimMsg, privateKey: Uint8Array, domain: Eip712Domain): Hex {
  return bytesToHex(signDigest(claimDigest(claim, domain), privateKey));
}

export { bytesToHex, hexToBytes };
