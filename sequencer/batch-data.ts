/**
 * Batch data: the bytes a batch carries to L1 as calldata (Bridge.postBatch `txData`), from which
 * anyone rebuilds L2 state without asking the sequencer (sequencer/rebuild.ts). One definition,
 * used by the batcher to post, by the Bridge to commit, and by every reader to decode:
 *
 *   txData     = 0x03 || txCount u32 || (txLen u32 || txBytes) * txCount || body
 *   body       = deflateRaw(utf8(JSON.stringify({ blocks: [{ header, txCount }, ...],
 *                                                 forcedInboxIndexes: ["<decimal>", ...] })))
 *   txDataHash = sha256(txData)
 *
 * 0x03 is the format version. The tx section holds every tx of the batch's blocks in order as its
 * binary tx bytes (sequencer/fault-proof/encoding.ts `txBytes`, block time included for the timed
 * kinds): exactly the bytes a challenge opens on chain. Bridge.postBatch reads the section itself
 * and stores the batch's txRoot (protocol/merkle.ts root over sha256 of each tx's bytes, 32 zero
 * bytes for none) and txCount: the tree a challenge bisects is L1's, computed over data every
 * reader has, never a root the sequencer states (docs/rollup.md 8c "Tx root bound to the data").
 * postBatch refuses data whose section does not frame (`BadBatchData`), so every posted batch has
 * a well-defined tx list. Whether each tx's bytes encode a tx is a rule the one-step decides like
 * `decodeTxBytes` (sequencer/fault-proof/decode-tx-bytes.ts): a step that encodes none is refused,
 * so the batch is wrong.
 *
 * The body is what the section does not say: the blocks' signed headers and how many txs each
 * holds, and the inbox index of each forced tx (not in its bytes) in tx order. It is deflated
 * (RFC 1951, node:zlib `deflateRawSync` level 9; a reader may use any inflater, only the posted
 * bytes are committed). The body decides no state: a reader that cannot make it agree with the
 * section flags the batch (`BatchDataError`), and the batch's roots are still proven or refuted
 * from the section alone (`batchDataSteps`). The batch's CID stays the content id of the raw
 * txData bytes.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { concatBytes, toHex, u32be } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import { decodeTx, encodeTx } from "../protocol/tx.ts";
import type { SignedHeader } from "./block.ts";
import { type DecodedTxBytes, decodeTxBytes } from "./fault-proof/decode-tx-bytes.ts";
import { TX_FORCED, txBytes, txRootOf } from "./fault-proof/encoding.ts";

export const BATCH_DATA_VERSION = 0x03;
/** Version byte and tx count before the tx section. */
export const BATCH_DATA_PREFIX_BYTES = 5;
/** The most a batch body may inflate to: a hostile payload cannot make a reader allocate more. */
export const MAX_BATCH_DATA_INFLATED = 64 * 1024 * 1024;

export interface BatchBlock {
  header: SignedHeader;
  txs: Record<string, unknown>[];
}

/** Hostile or broken batch data: says what is wrong; the reader's state is unchanged. */
export class BatchDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BatchDataError";
  }
}

export function encodeBatchData(blocks: readonly BatchBlock[]): Uint8Array {
  const section: Uint8Array[] = [];
  const forcedInboxIndexes: string[] = [];
  let txCount = 0;
  for (const b of blocks)
    for (const j of b.txs) {
      const tx = decodeTx(j);
      const bytes = txBytes(tx, b.header.timestamp);
      section.push(u32be(bytes.length), bytes);
      if (tx.type === "forcedTx") forcedInboxIndexes.push(tx.inboxIndex.toString());
      txCount++;
    }
  const body = {
    blocks: blocks.map((b) => ({ header: b.header, txCount: b.txs.length })),
    forcedInboxIndexes,
  };
  const packed = deflateRawSync(Buffer.from(JSON.stringify(body), "utf8"), { level: 9 });
  return concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(txCount), ...section, packed);
}

/**
 * Batch data with no tx and `body` as its body: a batch whose txs do not matter to a test or a
 * bench (its roots are whatever it states; a challenge of it has no step to prove).
 */
export function batchDataWithoutTxs(body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(0), body);
}

/** txDataHash, the one definition of what a batch commits to its data (the Bridge's postBatch). */
export function batchDataHash(data: Uint8Array): `0x${string}` {
  return toHex(sha256(data));
}

/**
 * The tx section of batch data: each tx's bytes, and where the body starts. Throws as
 * Bridge.postBatch refuses (`BadBatchData`): another version, a count or a length running past the
 * end. (Data the Bridge took always frames.)
 */
export function batchTxSection(data: Uint8Array): { txs: Uint8Array[]; bodyStart: number } {
  if (data.length < BATCH_DATA_PREFIX_BYTES)
    throw new BatchDataError(`batch data is ${data.length} bytes: too short`);
  if (data[0] !== BATCH_DATA_VERSION)
    throw new BatchDataError(`batch data version ${data[0]} is not ${BATCH_DATA_VERSION}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(1);
  const txs: Uint8Array[] = [];
  let p = BATCH_DATA_PREFIX_BYTES;
  for (let i = 0; i < count; i++) {
    if (p + 4 > data.length) throw new BatchDataError(`batch data ends before tx ${i} of ${count}`);
    const len = view.getUint32(p);
    p += 4;
    if (p + len > data.length)
      throw new BatchDataError(`batch data tx ${i} (${len} bytes) runs past the end`);
    txs.push(data.subarray(p, p + len));
    p += len;
  }
  return { txs, bodyStart: p };
}

/** The txRoot and txCount Bridge.postBatch stores for this data. */
export function batchDataTxRoot(data: Uint8Array): { txRoot: `0x${string}`; txCount: number } {
  const { txs } = batchTxSection(data);
  return { txRoot: toHex(txRootOf(txs.map((t) => sha256(t)))), txCount: txs.length };
}

/** One step of a batch as its tx section gives it: the bytes, and the tx they encode (null: none). */
export interface BatchDataStep {
  bytes: Uint8Array;
  decoded: DecodedTxBytes | null;
}

/**
 * Every step of the batch from its tx section alone, the body ignored except for the forced txs'
 * inbox indexes when it gives them: what the state follows from, and what a validator replays when
 * the body is broken.
 */
export function batchDataSteps(data: Uint8Array): BatchDataStep[] {
  const { txs, bodyStart } = batchTxSection(data);
  let forced: readonly string[] = [];
  try {
    forced = readBody(data.subarray(bodyStart)).forcedInboxIndexes;
  } catch {
    // a broken body: the inbox indexes are only names (no state depends on them)
  }
  return decodeSection(txs, forced).map((d, i) => ({
    bytes: txs[i],
    decoded: d instanceof Error ? null : d,
  }));
}

/**
 * Each tx of a section read by decodeTxBytes (the error where its bytes encode no tx), the forced
 * txs named by `forcedInboxIndexes` in order (0 past its end).
 */
function decodeSection(
  txs: readonly Uint8Array[],
  forcedInboxIndexes: readonly string[],
): (DecodedTxBytes | Error)[] {
  let forced = 0;
  return txs.map((bytes) => {
    const index = bytes[0] === TX_FORCED ? BigInt(forcedInboxIndexes[forced++] ?? 0) : 0n;
    try {
      return decodeTxBytes(bytes, index);
    } catch (e) {
      return e as Error;
    }
  });
}

const HEADER_NUMBERS = ["number", "timestamp", "l1OriginNumber"] as const;
const HEADER_HEX = [
  "parentHash",
  "l1OriginHash",
  "txRoot",
  "stateRoot",
  "withdrawalRoot",
  "hash",
  "sequencer",
  "signature",
] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

interface BatchBody {
  blocks: { header: Record<string, unknown>; txCount: number }[];
  forcedInboxIndexes: string[];
}

function readBody(body: Uint8Array): BatchBody {
  let text: string;
  try {
    text = inflateRawSync(body, { maxOutputLength: MAX_BATCH_DATA_INFLATED }).toString("utf8");
  } catch (e) {
    throw new BatchDataError(`batch body does not inflate: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BatchDataError(`batch body is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.blocks) || parsed.blocks.length === 0)
    throw new BatchDataError("batch body must be {blocks: [...]} with at least one block");
  const forced = parsed.forcedInboxIndexes;
  if (!Array.isArray(forced) || !forced.every((x) => typeof x === "string" && /^\d+$/.test(x)))
    throw new BatchDataError("batch body forcedInboxIndexes must be decimal strings");
  const blocks = parsed.blocks.map((b: unknown, i: number) => {
    if (!isObject(b) || !isObject(b.header) || !Number.isSafeInteger(b.txCount) || (b.txCount as number) < 0)
      throw new BatchDataError(`batch block ${i} must be {header, txCount}`);
    const h = b.header;
    for (const k of HEADER_NUMBERS)
      if (!Number.isSafeInteger(h[k]) || (h[k] as number) < 0)
        throw new BatchDataError(`batch block ${i}: header.${k} must be a non-negative integer`);
    for (const k of HEADER_HEX)
      if (typeof h[k] !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(h[k] as string))
        throw new BatchDataError(`batch block ${i}: header.${k} must be 0x hex`);
    return { header: h, txCount: b.txCount as number };
  });
  return { blocks, forcedInboxIndexes: forced as string[] };
}

/**
 * Decode batch data into its blocks: the txs from the tx section, the headers and block split from
 * the body. Checks that they agree (every tx decodes, the blocks' tx counts cover the section, a
 * timed tx's block time is its block's, one inbox index per forced tx); whether the blocks are
 * right is for re-execution (Chain.applyBlock) to say.
 */
export function decodeBatchData(data: Uint8Array): BatchBlock[] {
  const { txs, bodyStart } = batchTxSection(data);
  const body = readBody(data.subarray(bodyStart));
  const total = body.blocks.reduce((n, b) => n + b.txCount, 0);
  if (total !== txs.length)
    throw new BatchDataError(`batch body's blocks hold ${total} txs; its tx section has ${txs.length}`);
  const forcedCount = txs.filter((t) => t[0] === TX_FORCED).length;
  if (body.forcedInboxIndexes.length !== forcedCount)
    throw new BatchDataError(
      `batch body names ${body.forcedInboxIndexes.length} forced inbox indexes for ${forcedCount} forced txs`,
    );
  const decoded = decodeSection(txs, body.forcedInboxIndexes);
  let at = 0;
  return body.blocks.map((b, i) => {
    const header = b.header as unknown as SignedHeader;
    const blockTxs: Record<string, unknown>[] = [];
    for (let j = 0; j < b.txCount; j++, at++) {
      const d = decoded[at];
      if (d instanceof Error) throw new BatchDataError(`batch tx ${at} does not decode: ${d.message}`);
      if (d.blockTime !== null && d.blockTime !== header.timestamp)
        throw new BatchDataError(
          `batch tx ${at} carries block time ${d.blockTime}; its block ${i} is at ${header.timestamp}`,
        );
      blockTxs.push(encodeTx(d.tx));
    }
    return { header, txs: blockTxs };
  });
}
