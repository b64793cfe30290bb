/**
 * Batch data: the bytes a batch carries to L1 as calldata (Bridge.postBatch `txData`), from which
 * anyone rebuilds L2 state without asking the sequencer (sequencer/rebuild.ts). One definition,
 * used by the batcher to post and by every reader to decode:
 *
 *   txData     = 0x02 || txRoot (32) || txCount (u32 BE)
 *                     || deflateRaw(utf8(JSON.stringify({ blocks: [{ header, txs }, ...] })))
 *   txDataHash = sha256(header || sha256(body))   (what the batch commits; the Bridge checks it
 *                                                  on post)
 *     header = txData[0:37] (0x02 || txRoot || txCount), body = txData[37:]
 *     (data shorter than 37 bytes: header = all of it, body empty; such data is not batch data, but
 *     the commitment stays defined so the Bridge need not parse what it posts)
 *
 * 0x02 is the format version. txRoot is the Merkle root over the binary leaves of every tx of
 * the blocks in order (sequencer/fault-proof/encoding.ts): the batch challenge opens one tx
 * against it on chain, where inflating the data would cost too much; a reader refuses data whose
 * header does not match its txs. deflateRaw is RFC 1951 (node:zlib `deflateRawSync`, level 9); a
 * reader may use any inflater: only the compressed bytes are committed, never a re-compression.
 * `header` is the signed header and `txs` the wire JSON of the block's txs (docs/rollup.md
 * section 1), exactly as the node stores them; receipts are not carried (re-execution makes them).
 * The header is hashed apart from the body so the batch challenge opens it with 37 bytes and the
 * body's hash (batchDataOpening), not with the whole data as calldata: the cost of a challenge
 * does not grow with the batch, so no batch is too large to challenge within an L1 block. The
 * batch's CID stays the content id of the raw txData bytes (IPFS serves the data, not the hash).
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { concatBytes, fromHex, toHex, u32be } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import { decodeTx } from "../protocol/tx.ts";
import type { SignedHeader } from "./block.ts";
import { txLeaf, txRootOf } from "./fault-proof/encoding.ts";

export const BATCH_DATA_VERSION = 0x02;
/** Version byte, txRoot, txCount. */
export const BATCH_DATA_HEADER_BYTES = 37;
/** The most a batch may inflate to: a hostile payload cannot make a reader allocate more. */
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
  const json = JSON.stringify({ blocks: blocks.map((b) => ({ header: b.header, txs: b.txs })) });
  const packed = deflateRawSync(Buffer.from(json, "utf8"), { level: 9 });
  const { txRoot, txCount } = blockTxRoot(blocks);
  return concatBytes(Uint8Array.of(BATCH_DATA_VERSION), fromHex(txRoot), u32be(txCount), packed);
}

/** What the batch challenge opens the commitment with: the header bytes and sha256 of the body. */
export interface BatchDataOpening {
  header: Uint8Array;
  bodyHash: `0x${string}`;
}

/** Splits batch data into its header (the first 37 bytes, or all of shorter data) and body hash. */
export function batchDataOpening(data: Uint8Array): BatchDataOpening {
  const cut = Math.min(data.length, BATCH_DATA_HEADER_BYTES);
  return { header: data.slice(0, cut), bodyHash: toHex(sha256(data.subarray(cut))) };
}

/**
 * Whether the data starts with a batch header (37 bytes, version 0x02), as
 * BatchChallenge.challengeBatch decides it: a batch posted without one is wrong as posted, and
 * its challenge is won at once.
 */
export function hasBatchHeader(data: Uint8Array): boolean {
  return data.length >= BATCH_DATA_HEADER_BYTES && data[0] === BATCH_DATA_VERSION;
}

/** The commitment of an opening: sha256(header || bodyHash) (BatchChallenge.challengeBatch's check). */
export function batchDataCommitment(o: BatchDataOpening): `0x${string}` {
  return toHex(sha256(concatBytes(o.header, fromHex(o.bodyHash))));
}

/** txDataHash, the one definition of what a batch commits to its data (the Bridge's postBatch). */
export function batchDataHash(data: Uint8Array): `0x${string}` {
  return batchDataCommitment(batchDataOpening(data));
}

/** The batch's txRoot and tx count over its blocks' txs (every tx must decode). */
export function blockTxRoot(
  blocks: readonly { header: { timestamp: number }; txs: readonly Record<string, unknown>[] }[],
): {
  txRoot: `0x${string}`;
  txCount: number;
} {
  const leaves: Uint8Array[] = [];
  for (const b of blocks) for (const j of b.txs) leaves.push(txLeaf(decodeTx(j), b.header.timestamp));
  return { txRoot: toHex(txRootOf(leaves)), txCount: leaves.length };
}

/** The header of batch data: its txRoot and tx count (what the batch challenge reads). */
export function batchDataHeader(data: Uint8Array): { txRoot: `0x${string}`; txCount: number } {
  if (data.length < BATCH_DATA_HEADER_BYTES + 1)
    throw new BatchDataError(`batch data is ${data.length} bytes: too short`);
  if (data[0] !== BATCH_DATA_VERSION)
    throw new BatchDataError(`batch data version ${data[0]} is not ${BATCH_DATA_VERSION}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { txRoot: toHex(data.subarray(1, 33)), txCount: view.getUint32(33) };
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

/**
 * Decode batch data. Checks the shape only (numbers, hex strings, arrays); whether the blocks are
 * right is for re-execution (Chain.applyBlock) to say.
 */
export function decodeBatchData(data: Uint8Array): BatchBlock[] {
  const header = batchDataHeader(data);
  let text: string;
  try {
    text = inflateRawSync(data.subarray(BATCH_DATA_HEADER_BYTES), {
      maxOutputLength: MAX_BATCH_DATA_INFLATED,
    }).toString("utf8");
  } catch (e) {
    throw new BatchDataError(`batch data does not inflate: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BatchDataError(`batch data is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.blocks) || parsed.blocks.length === 0)
    throw new BatchDataError("batch data must be {blocks: [...]} with at least one block");
  const blocks: BatchBlock[] = parsed.blocks.map((b: unknown, i: number) => {
    if (!isObject(b) || !isObject(b.header) || !Array.isArray(b.txs))
      throw new BatchDataError(`batch block ${i} must be {header, txs: [...]}`);
    const h = b.header;
    for (const k of HEADER_NUMBERS)
      if (!Number.isSafeInteger(h[k]) || (h[k] as number) < 0)
        throw new BatchDataError(`batch block ${i}: header.${k} must be a non-negative integer`);
    for (const k of HEADER_HEX)
      if (typeof h[k] !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(h[k] as string))
        throw new BatchDataError(`batch block ${i}: header.${k} must be 0x hex`);
    b.txs.forEach((tx, j) => {
      if (!isObject(tx)) throw new BatchDataError(`batch block ${i} tx ${j} must be an object`);
    });
    return { header: h as unknown as SignedHeader, txs: b.txs as Record<string, unknown>[] };
  });
  let root: ReturnType<typeof blockTxRoot>;
  try {
    root = blockTxRoot(blocks);
  } catch (e) {
    throw new BatchDataError(`batch data holds a tx that does not decode: ${(e as Error).message}`);
  }
  if (root.txRoot !== header.txRoot || root.txCount !== header.txCount)
    throw new BatchDataError(
      `batch data header says txRoot ${header.txRoot} over ${header.txCount} txs; its txs give ${root.txRoot} over ${root.txCount}`,
    );
  return blocks;
}
