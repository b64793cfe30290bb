/**
 * L2 -> L1 messages as committed in a batch's withdrawalRoot (the batch's message root) and proven
 * on the Bridge. Two kinds of leaf share one tree, told apart by their first byte:
 *
 *   withdrawal (Bridge.proveWithdrawal, contracts/src/lib/Commitments.sol `withdrawalLeaf`):
 *     leaf = sha256(0x57 || recipient (20 bytes) || amount (u256 BE) || l2TxHash (32 bytes))
 *   inference result of an L1 request (Bridge.deliverResult, Bridge.resultLeaf):
 *     leaf = sha256(0x52 || requestId (u256 BE) || claimKey (32 bytes) || outputRoot (32 bytes)
 *                   || sha256(outputCid) (32 bytes))
 *
 *   withdrawalRoot = MerkleRoot(leaf[0], ..., leaf[n-1])   (protocol/merkle.ts; 0x00*32 when n = 0)
 *
 * The preimages are 85 and 129 bytes with different tags and an inner node's is 64 bytes, so no
 * leaf of one kind (nor an inner node) can be read as a leaf of the other. claimKey is the
 * EIP-712 digest of the worker's claim on the Bridge (Bridge.claimDigest): the key under which the
 * DisputeGame records an invalidated claim.
 */
import { concatBytes, fromHex, toHex } from "./bytes.ts";
import { merkleLevels, merkleProof, merkleRoot, ZERO32 } from "./merkle.ts";
import { sha256 } from "./sha256.ts";

export interface Withdrawal {
  recipient: `0x${string}`;
  amount: bigint;
  l2TxHash: `0x${string}`;
}

/** The result of an L1-sourced job that finalized on L2, for Bridge.deliverResult. */
export interface ResultMessage {
  /** The Bridge's request id (InferenceRequested.requestId). */
  requestId: bigint;
  /** EIP-712 digest of the worker's claim (Bridge.claimDigest). */
  claimKey: `0x${string}`;
  outputRoot: `0x${string}`;
  /** Binary CIDv1 of the output file, as the worker claimed it. */
  outputCid: `0x${string}`;
}

/** One leaf of a batch's message tree. */
export type L2Message = ({ kind: "withdrawal" } & Withdrawal) | ({ kind: "result" } & ResultMessage);

export interface WithdrawalProof {
  leafIndex: number;
  leafCount: number;
  proof: `0x${string}`[];
}

const TAG_WITHDRAWAL = 0x57;
const TAG_RESULT = 0x52;
/** The Bridge bounds every CID at 128 bytes. */
const MAX_CID_BYTES = 128;

function u256be(v: bigint, what: string): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${what} out of u256 range: ${v}`);
  return fromHex(v.toString(16).padStart(64, "0"));
}

function bytes32(h: `0x${string}`, what: string): Uint8Array {
  const b = fromHex(h);
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes, got ${b.length}`);
  return b;
}

export function withdrawalLeaf(w: Withdrawal): Uint8Array {
  const recipient = fromHex(w.recipient);
  if (recipient.length !== 20) throw new RangeError(`recipient must be 20 bytes, got ${recipient.length}`);
  const txHash = bytes32(w.l2TxHash, "l2TxHash");
  return sha256(concatBytes(Uint8Array.of(TAG_WITHDRAWAL), recipient, u256be(w.amount, "amount"), txHash));
}

export function resultLeaf(r: ResultMessage): Uint8Array {
  const cid = fromHex(r.outputCid);
  if (cid.length > MAX_CID_BYTES) throw new RangeError(`outputCid longer than ${MAX_CID_BYTES} bytes`);
  return sha256(
    concatBytes(
      Uint8Array.of(TAG_RESULT),
      u256be(r.requestId, "requestId"),
      bytes32(r.claimKey, "claimKey"),
      bytes32(r.outputRoot, "outputRoot"),
      sha256(cid),
    ),
  );
}

export function messageLeaf(m: L2Message): Uint8Array {
  return m.kind === "withdrawal" ? withdrawalLeaf(m) : resultLeaf(m);
}

/** The messages one L2 tx sends to L1, in the order they enter the tree. */
export function txMessages(o: {
  withdrawal?: Withdrawal | null;
  result?: ResultMessage | null;
}): L2Message[] {
  const out: L2Message[] = [];
  if (o.withdrawal) out.push({ kind: "withdrawal", ...o.withdrawal });
  if (o.result) out.push({ kind: "result", ...o.result });
  return out;
}

/**
 * The root MessageTree gives, from the message leaves alone (what a batch challenge's sequencer
 * reveals, and what a replay yields): 32 zero bytes for none.
 */
export function messageRootOfLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  return leaves.length === 0 ? ZERO32 : merkleRoot([...leaves]);
}

/** The message tree of one batch (or block): its root and a proof for each message, in order. */
export class MessageTree {
  readonly messages: readonly L2Message[];
  readonly root: Uint8Array;
  private readonly levels: Uint8Array[] | undefined;

  constructor(messages: readonly L2Message[]) {
    this.messages = messages;
    if (messages.length === 0) {
      this.levels = undefined;
      this.root = ZERO32;
      return;
    }
    this.levels = merkleLevels(concatBytes(...messages.map(messageLeaf)));
    this.root = this.levels[this.levels.length - 1].slice(0, 32);
  }

  get rootHex(): `0x${string}` {
    return toHex(this.root);
  }

  proof(index: number): WithdrawalProof {
    if (!this.levels) throw new RangeError("a batch without messages has no proofs");
    if (!Number.isInteger(index) || index < 0 || index >= this.messages.length)
      throw new RangeError(`message index ${index} out of range [0, ${this.messages.length})`);
    return {
      leafIndex: index,
      leafCount: this.messages.length,
      proof: merkleProof(this.levels, index).map(toHex),
    };
  }
}

/** A message tree holding withdrawals only (what batches held before L1 results existed). */
export class WithdrawalTree extends MessageTree {
  readonly withdrawals: readonly Withdrawal[];

  constructor(withdrawals: readonly Withdrawal[]) {
    super(withdrawals.map((w) => ({ kind: "withdrawal" as const, ...w })));
    this.withdrawals = withdrawals;
  }
}
