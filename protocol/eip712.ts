/**
 * EIP-712 typed data of Verdict: the one definition of every L2 tx's type, the worker's Claim,
 * and their domains. Wallets sign with these types (viem `signTypedData({domain, types,
 * primaryType, message})`), the sequencer and the L1 bridge verify the same digest.
 *
 * The hasher here is a small EIP-712 encoder over exactly these definitions (address, uintN,
 * bool, bytes32, bytes, string, bytes32[], nested struct). viem's generic `hashTypedData`
 * measured ~3.3k digests/s on this machine, too slow for a 5k tx/s sequencer; this one is
 * checked digest-for-digest against viem in test/unit/protocol/eip712.test.ts.
 */
import jsSha3 from "js-sha3";

/**
 * keccak256 through js-sha3: ~1.6x @noble/hashes' speed on this path, and every tx costs 3
 * permutations here (hashStruct over 6+ words, then the 0x1901 digest) where the sequencer
 * checks thousands of signatures per second. Same function, same bytes (protocol tests pin the
 * digests against viem).
 */
function keccak_256(data: Uint8Array): Uint8Array {
  return new Uint8Array(jsSha3.keccak256.arrayBuffer(data));
}

export interface TypedField {
  readonly name: string;
  readonly type: string;
}

/** Domain name/version shared by L2 txs and the L1 bridge's claim verification. */
export const DOMAIN_NAME = "Verdict";
export const DOMAIN_VERSION = "1";

export interface Eip712Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract?: `0x${string}`;
}

/** L2 txs: no verifying contract; the L2 chain id keeps them from replaying on other rollups. */
export function l2Domain(l2ChainId: bigint): Eip712Domain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: l2ChainId };
}

/** Worker claims: bound to the L1 bridge, which verifies the same signature in a dispute. */
export function claimDomain(l1ChainId: bigint, bridge: `0x${string}`): Eip712Domain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: l1ChainId, verifyingContract: bridge };
}

const USER_COMMON = [
  { name: "from", type: "address" },
  { name: "nonce", type: "uint64" },
  { name: "fee", type: "uint256" },
] as const;

export const CLAIM_FIELDS = [
  { name: "jobId", type: "bytes32" },
  // the worker that signs the claim: a claim signed by any other key is refused (L2 and L1), so
  // a puppet's signature on the same content is a different claim with a different key
  { name: "worker", type: "address" },
  { name: "modelId", type: "bytes32" },
  { name: "inputRoot", type: "bytes32" },
  { name: "outputRoot", type: "bytes32" },
  { name: "traceRoot", type: "bytes32" },
  // generationSpec(P, n, paramsHash) for a generation job (prover-trace/commit/generation.ts),
  // 32 zero bytes for a single-pass job: which pass positions are generated, by which rule
  { name: "generationSpec", type: "bytes32" },
  { name: "outputCid", type: "bytes" },
  { name: "traceCid", type: "bytes" },
] as const;

/** Every struct type, keyed by its EIP-712 name. */
export const TYPES = {
  Transfer: [...USER_COMMON, { name: "to", type: "address" }, { name: "amount", type: "uint256" }],
  Withdraw: [...USER_COMMON, { name: "l1Recipient", type: "address" }, { name: "amount", type: "uint256" }],
  RegisterWorker: [
    ...USER_COMMON,
    { name: "models", type: "bytes32[]" },
    { name: "price", type: "uint256" },
    { name: "capacity", type: "uint32" },
    { name: "multiaddr", type: "string" },
  ],
  PostJob: [
    ...USER_COMMON,
    { name: "modelId", type: "bytes32" },
    { name: "inputRoot", type: "bytes32" },
    { name: "inputCid", type: "bytes" },
    { name: "escrow", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  // prompt: the token ids as u32 big-endian each; params: encodeGenerationParams (generation-job.ts)
  PostGenerationJob: [
    ...USER_COMMON,
    { name: "modelId", type: "bytes32" },
    { name: "prompt", type: "bytes" },
    { name: "window", type: "uint32" },
    { name: "params", type: "bytes" },
    { name: "escrow", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ClaimJob: [...USER_COMMON, { name: "jobId", type: "bytes32" }],
  SubmitResult: [...USER_COMMON, { name: "claim", type: "Claim" }, { name: "claimSignature", type: "bytes" }],
  // generated: the token ids as u32 big-endian each
  SubmitGeneration: [
    ...USER_COMMON,
    { name: "claim", type: "Claim" },
    { name: "claimSignature", type: "bytes" },
    { name: "generated", type: "bytes" },
  ],
  Finalize: [...USER_COMMON, { name: "jobId", type: "bytes32" }],
  Claim: CLAIM_FIELDS,
  // System txs, derived from L1 events; never signed, hashed the same way for tx ids.
  Deposit: [
    { name: "depositId", type: "uint256" },
    { name: "recipient", type: "address" },
    { name: "amount", type: "uint256" },
  ],
  // claimKey: the disputed claim's EIP-712 digest (claim domain), as DisputeGame emits it
  DisputeOpened: [
    { name: "disputeId", type: "uint256" },
    { name: "jobId", type: "bytes32" },
    { name: "claimKey", type: "bytes32" },
    { name: "claimer", type: "address" },
    { name: "challenger", type: "address" },
  ],
  DisputeResolved: [
    { name: "disputeId", type: "uint256" },
    { name: "jobId", type: "bytes32" },
    { name: "claimKey", type: "bytes32" },
    { name: "claimer", type: "address" },
    { name: "claimerWon", type: "bool" },
  ],
  WorkerStake: [
    { name: "worker", type: "address" },
    { name: "seq", type: "uint256" },
    { name: "active", type: "uint256" },
    { name: "unbonding", type: "uint256" },
  ],
  /** A stake change queued in the L1 inbox (stake, unbond, withdrawUnbonded); WorkerStake is a slash's. */
  QueuedWorkerStake: [
    { name: "inboxIndex", type: "uint256" },
    { name: "worker", type: "address" },
    { name: "seq", type: "uint256" },
    { name: "active", type: "uint256" },
    { name: "unbonding", type: "uint256" },
  ],
  L1InferenceRequest: [
    { name: "inboxIndex", type: "uint256" },
    { name: "requestId", type: "uint256" },
    { name: "requester", type: "address" },
    { name: "modelId", type: "bytes32" },
    { name: "inputRoot", type: "bytes32" },
    { name: "inputCid", type: "bytes" },
    { name: "escrow", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  ModelRegistered: [
    { name: "inboxIndex", type: "uint256" },
    { name: "modelId", type: "bytes32" },
    { name: "registrant", type: "address" },
    { name: "cid", type: "bytes" },
  ],
  ForcedTx: [
    { name: "inboxIndex", type: "uint256" },
    { name: "sender", type: "address" },
    { name: "data", type: "bytes" },
  ],
} as const satisfies Record<string, readonly TypedField[]>;

export type TypeName = keyof typeof TYPES;

/** The `types` argument viem's signTypedData/hashTypedData wants for one primary type. */
export function typesFor(primary: TypeName): Record<string, readonly TypedField[]> {
  const out: Record<string, readonly TypedField[]> = { [primary]: TYPES[primary] };
  for (const dep of deps(primary)) out[dep] = TYPES[dep];
  return out;
}

function deps(primary: TypeName, acc = new Set<TypeName>()): Set<TypeName> {
  for (const f of TYPES[primary] as readonly TypedField[]) {
    const base = f.type.replace(/\[\]$/, "");
    if (base in TYPES && !acc.has(base as TypeName) && base !== primary) {
      acc.add(base as TypeName);
      deps(base as TypeName, acc);
    }
  }
  return acc;
}

function encodeType(primary: TypeName): string {
  const one = (t: TypeName) =>
    `${t}(${(TYPES[t] as readonly TypedField[]).map((f) => `${f.type} ${f.name}`).join(",")})`;
  return one(primary) + [...deps(primary)].sort().map(one).join("");
}

const enc = new TextEncoder();
const typeHashes = new Map<string, Uint8Array>();
export function typeHash(primary: TypeName): Uint8Array {
  let h = typeHashes.get(primary);
  if (!h) {
    h = keccak_256(enc.encode(encodeType(primary)));
    typeHashes.set(primary, h);
  }
  return h;
}

function hexInto(out: Uint8Array, off: number, hex: string, width: number, field: string): void {
  const s = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (s.length !== width * 2) throw new Error(`${field}: expected ${width} bytes of hex`);
  const b = Buffer.from(s, "hex");
  if (b.length !== width) throw new Error(`${field}: not hex`);
  out.set(b, off + 32 - width);
}

function hexBytes(hex: string, field: string): Uint8Array {
  const s = hex.startsWith("0x") ? hex.slice(2) : hex;
  const b = Buffer.from(s, "hex");
  if (b.length * 2 !== s.length) throw new Error(`${field}: not hex`);
  return b;
}

function uintInto(out: Uint8Array, off: number, v: unknown, bits: number, field: string): void {
  let x = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : -1n;
  if (typeof v === "string" && /^[0-9]+$/.test(v)) x = BigInt(v);
  if (x < 0n || x >> BigInt(bits) !== 0n) throw new Error(`${field}: not a uint${bits}`);
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/** hashStruct(s) = keccak256(typeHash || encodeData(s)). */
export function hashStruct(primary: TypeName, message: Record<string, unknown>): Uint8Array {
  const fields = TYPES[primary] as readonly TypedField[];
  const buf = new Uint8Array(32 * (fields.length + 1));
  buf.set(typeHash(primary), 0);
  for (let i = 0; i < fields.length; i++) {
    const { name, type } = fields[i];
    const v = message[name];
    const off = 32 * (i + 1);
    if (type === "address") hexInto(buf, off, String(v), 20, name);
    else if (type === "bytes32") hexInto(buf, off, String(v), 32, name);
    else if (type === "bool") buf[off + 31] = v === true ? 1 : 0;
    else if (type.startsWith("uint")) uintInto(buf, off, v, Number(type.slice(4)), name);
    else if (type === "bytes") buf.set(keccak_256(hexBytes(String(v), name)), off);
    else if (type === "string") buf.set(keccak_256(enc.encode(String(v))), off);
    else if (type === "bytes32[]") {
      const arr = v as string[];
      const cat = new Uint8Array(32 * arr.length);
      for (let j = 0; j < arr.length; j++) hexInto(cat, 32 * j, arr[j], 32, `${name}[${j}]`);
      buf.set(keccak_256(cat), off);
    } else if (type in TYPES) {
      buf.set(hashStruct(type as TypeName, v as Record<string, unknown>), off);
    } else throw new Error(`eip712: unsupported field type ${type}`);
  }
  return keccak_256(buf);
}

const domainSeparators = new Map<string, Uint8Array>();
export function domainSeparator(d: Eip712Domain): Uint8Array {
  const key = `${d.name}|${d.version}|${d.chainId}|${d.verifyingContract ?? ""}`;
  let h = domainSeparators.get(key);
  if (h) return h;
  const withContract = d.verifyingContract !== undefined;
  const type = `EIP712Domain(string name,string version,uint256 chainId${withContract ? ",address verifyingContract" : ""})`;
  const buf = new Uint8Array(32 * (withContract ? 5 : 4));
  buf.set(keccak_256(enc.encode(type)), 0);
  buf.set(keccak_256(enc.encode(d.name)), 32);
  buf.set(keccak_256(enc.encode(d.version)), 64);
  uintInto(buf, 96, d.chainId, 256, "chainId");
  if (withContract) hexInto(buf, 128, d.verifyingContract as string, 20, "verifyingContract");
  h = keccak_256(buf);
  domainSeparators.set(key, h);
  return h;
}

/** The signing digest keccak256(0x1901 || domainSeparator || hashStruct(message)). */
export function typedDataDigest(
  domain: Eip712Domain,
  primary: TypeName,
  message: Record<string, unknown>,
): Uint8Array {
  const buf = new Uint8Array(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.set(domainSeparator(domain), 2);
  buf.set(hashStruct(primary, message), 34);
  return keccak_256(buf);
}
