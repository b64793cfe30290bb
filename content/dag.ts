/**
 * Reads a UnixFS file from any block source, checking every block against its CID (unless the
 * source says it already did: the Helia store) and the file's sizes against what each parent
 * declares. Both backends read through this one walker, so neither hands out a byte that was not
 * verified (Kubo's `cat` output could not be checked block by block, so the Kubo backend fetches
 * blocks).
 *
 * A file is a raw block (small files), or a dag-pb node of UnixFS type file/raw whose content is
 * its inline data followed by its children in link order; blockSizes[i] is the content size of
 * child i. The declared total is checked against maxBytes before any leaf is fetched.
 */
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import type { CID } from "multiformats/cid";
import { DAG_PB_CODEC, MAX_BLOCK_BYTES, RAW_CODEC, verifyBlock } from "./blocks.ts";
import { ContentError } from "./types.ts";

/** Returns the bytes stored under `cid` (unverified: the walker checks them). */
export type BlockSource = (cid: CID, signal: AbortSignal) => Promise<Uint8Array>;

export interface ReadOptions {
  signal: AbortSignal;
  maxBytes: number;
  /** Where the blocks come from, for error messages ("peers", "kubo at http://..."). */
  source: string;
  /** Leaves fetched at once. */
  concurrency?: number;
  /** The source itself checks each block against its CID (the Helia store does, on every read
   *  and write): skip hashing it a second time here. Sizes are checked either way. */
  sourceVerifies?: boolean;
}

/** A balanced DAG of 174 links per node reaches 2^60 bytes in 8 levels. */
const MAX_DEPTH = 16;

interface FileNode {
  inline: Uint8Array;
  children: { cid: CID; size: number }[];
  size: number;
}

function decodeFileNode(cid: CID, block: Uint8Array, maxBytes: number): FileNode {
  let node: dagPb.PBNode;
  let fs: UnixFS;
  try {
    node = dagPb.decode(block);
    if (!node.Data) throw new Error("no UnixFS data");
    fs = UnixFS.unmarshal(node.Data);
  } catch (err) {
    throw new ContentError(
      "malformed",
      `block ${cid} is not a UnixFS node: ${(err as Error).message}`,
      cid.toString(),
    );
  }
  if (fs.type !== "file" && fs.type !== "raw")
    throw new ContentError("malformed", `block ${cid} is a UnixFS ${fs.type}, not a file`, cid.toString());
  if (fs.blockSizes.length !== node.Links.length)
    throw new ContentError(
      "malformed",
      `block ${cid} has ${node.Links.length} links but ${fs.blockSizes.length} block sizes`,
      cid.toString(),
    );
  const inline = fs.data ?? new Uint8Array(0);
  let total = BigInt(inline.length);
  for (const s of fs.blockSizes) total += s;
  if (total > BigInt(maxBytes))
    throw new ContentError(
      "too-large",
      `file ${cid} declares ${total} bytes, more than the ${maxBytes} allowed`,
      cid.toString(),
    );
  return {
    inline,
    children: node.Links.map((l, i) => ({ cid: l.Hash, size: Number(fs.blockSizes[i]) })),
    size: Number(total),
  };
}

/** A tiny semaphore so a wide file does not open hundreds of fetches at once. */
function limiter(n: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

export async function readFile(root: CID, getBlock: BlockSource, opts: ReadOptions): Promise<Uint8Array> {
  const limit = limiter(opts.concurrency ?? 32);
  // A hostile DAG could hang zero-size nodes under each other forever: bound the blocks read
  // (an honest file has at most ~1 block per KiB even with Kubo's smallest chunkers) and depth.
  let blocksLeft = Infinity;
  const fetch = (cid: CID) =>
    limit(async () => {
      if (--blocksLeft < 0)
        throw new ContentError(
          "malformed",
          `file ${root} has more blocks than its size allows`,
          root.toString(),
        );
      opts.signal.throwIfAborted();
      const b = await getBlock(cid, opts.signal);
      if (b.length > MAX_BLOCK_BYTES)
        throw new ContentError(
          "malformed",
          `block ${cid} is ${b.length} bytes, over the ${MAX_BLOCK_BYTES} block limit`,
          cid.toString(),
        );
      if (!opts.sourceVerifies) verifyBlock(cid, b, opts.source);
      return b;
    });

  const rootBlock = await fetch(root);
  if (root.code === RAW_CODEC) {
    if (rootBlock.length > opts.maxBytes)
      throw new ContentError(
        "too-large",
        `file ${root} is ${rootBlock.length} bytes, more than the ${opts.maxBytes} allowed`,
        root.toString(),
      );
    return rootBlock;
  }
  const top = decodeFileNode(root, rootBlock, opts.maxBytes);
  blocksLeft = 64 + Math.ceil(top.size / 1024);
  const out = new Uint8Array(top.size);

  // Writes the content of `node` (declared `expected` bytes by its parent) at `offset`.
  const place = async (
    cid: CID,
    node: FileNode,
    offset: number,
    expected: number,
    depth: number,
  ): Promise<void> => {
    if (depth > MAX_DEPTH)
      throw new ContentError(
        "malformed",
        `file ${root} is nested deeper than ${MAX_DEPTH} levels`,
        root.toString(),
      );
    if (node.size !== expected)
      throw new ContentError(
        "malformed",
        `block ${cid} holds ${node.size} bytes where its parent declares ${expected}`,
        cid.toString(),
      );
    out.set(node.inline, offset);
    let o = offset + node.inline.length;
    const jobs: Promise<void>[] = [];
    for (const child of node.children) {
      const at = o;
      o += child.size;
      jobs.push(
        (async () => {
          if (child.cid.code !== RAW_CODEC && child.cid.code !== DAG_PB_CODEC)
            throw new ContentError(
              "malformed",
              `link to ${child.cid}: codec 0x${child.cid.code.toString(16)} in a file`,
              root.toString(),
            );
          const b = await fetch(child.cid);
          if (child.cid.code === RAW_CODEC) {
            if (b.length !== child.size)
              throw new ContentError(
                "malformed",
                `leaf ${child.cid} has ${b.length} bytes where its parent declares ${child.size}`,
                root.toString(),
              );
            out.set(b, at);
          } else
            await place(child.cid, decodeFileNode(child.cid, b, opts.maxBytes), at, child.size, depth + 1);
        })(),
      );
    }
    // all settle before the first error propagates, so no fetch outlives the read
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  await place(root, top, 0, top.size, 0);
  return out;
}

/** Every block CID of a file, fetched through `getBlock` (for `has`: a local-only source). */
export async function fileBlocksPresent(
  root: CID,
  getLocal: (cid: CID) => Promise<Uint8Array | null>,
): Promise<boolean> {
  const b = await getLocal(root);
  if (!b) return false;
  if (root.code === RAW_CODEC) return true;
  let node: dagPb.PBNode;
  try {
    node = dagPb.decode(b);
  } catch {
    return false;
  }
  for (const l of node.Links) if (!(await fileBlocksPresent(l.Hash, getLocal))) return false;
  return true;
}

/**
 * Every block CID of a file that is present locally (root first), walking links through
 * `getLocal`; a block that is missing (or not a dag-pb node) ends that branch. For the garbage
 * collector, which deletes what is there and must know every block a kept file still needs.
 */
export async function localFileBlocks(
  root: CID,
  getLocal: (cid: CID) => Promise<Uint8Array | null>,
): Promise<CID[]> {
  const out: CID[] = [];
  const walk = async (c: CID): Promise<void> => {
    const b = await getLocal(c);
    if (!b) return;
    out.push(c);
    if (c.code !== DAG_PB_CODEC) return;
    let node: dagPb.PBNode;
    try {
      node = dagPb.decode(b);
    } catch {
      return;
    }
    for (const l of node.Links) await walk(l.Hash);
  };
  await walk(root);
  return out;
}
