/**
 * Blocks and their CIDs: parsing the CIDs this layer reads, checking a block against its CID,
 * and a blockstore wrapper that never hands out (or stores) a block that does not hash to its
 * key, so bytes edited on disk are caught on read and a node never serves them to a peer.
 */
import type { AbortOptions } from "abort-error";
import type { Blockstore, InputPair, Pair } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import { bytesEqual } from "../protocol/bytes.ts";
import { decodeCid } from "../protocol/cid.ts";
import { sha256 } from "../protocol/sha256.ts";
import { ContentError } from "./types.ts";

export const RAW_CODEC = 0x55;
export const DAG_PB_CODEC = 0x70;
export const SHA2_256 = 0x12;
/** Kubo's own limit on a block it accepts from the network (bitswap's message cap is 4 MiB). */
export const MAX_BLOCK_BYTES = 2 * 1024 * 1024;

/**
 * A file CID as this layer accepts it: the string form (`bafk...`, `bafy...`, also CIDv0 `Qm...`)
 * or `0x` + hex of the binary CID (how CIDs appear in L2 txs: `inputCid`, `outputCid`).
 * Only raw or dag-pb blocks hashed with sha2-256 are read; anything else is a "bad-cid" error.
 */
export function parseCid(cid: string | CID): CID {
  let c: CID;
  if (typeof cid !== "string") c = cid;
  else {
    try {
      c = decodeCid(cid);
    } catch (err) {
      throw new ContentError("bad-cid", `not a CID: '${cid.slice(0, 80)}' (${(err as Error).message})`, cid);
    }
  }
  if (c.code !== RAW_CODEC && c.code !== DAG_PB_CODEC)
    throw new ContentError(
      "bad-cid",
      `CID ${c} has codec 0x${c.code.toString(16)}; only raw (0x55) and dag-pb (0x70) files are read`,
      c.toString(),
    );
  if (c.multihash.code !== SHA2_256 || c.multihash.digest.length !== 32)
    throw new ContentError(
      "bad-cid",
      `CID ${c} uses multihash 0x${c.multihash.code.toString(16)}/${c.multihash.digest.length}; only sha2-256 is read`,
      c.toString(),
    );
  return c;
}

/** Throws ContentError "tampered" unless `bytes` hash to `cid`'s sha2-256 digest. */
export function verifyBlock(cid: CID, bytes: Uint8Array, where: string): void {
  if (cid.multihash.code !== SHA2_256)
    throw new ContentError(
      "bad-cid",
      `block ${cid}: multihash 0x${cid.multihash.code.toString(16)} is not sha2-256`,
    );
  if (!bytesEqual(sha256(bytes), cid.multihash.digest))
    throw new ContentError(
      "tampered",
      `block ${cid} from ${where} does not hash to its CID (${bytes.length} bytes): tampered or corrupt data rejected`,
      cid.toString(),
    );
}

export async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of chunks) {
    parts.push(c);
    n += c.length;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Wraps a blockstore: `put` refuses a block whose bytes do not hash to its CID, `get` checks
 * every block it reads and deletes one that fails (so the next get fetches a good copy from a
 * peer) before throwing ContentError "tampered".
 */
export class VerifyingBlockstore implements Blockstore {
  readonly inner: Blockstore;
  readonly label: string;
  constructor(inner: Blockstore, label: string) {
    this.inner = inner;
    this.label = label;
  }

  async put(key: CID, val: InputPair["bytes"], options?: AbortOptions): Promise<CID> {
    const bytes = val instanceof Uint8Array ? val : await collect(val);
    verifyBlock(key, bytes, "a put");
    return this.inner.put(key, bytes, options);
  }

  async *putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions) {
    for await (const { cid, bytes } of source) yield await this.put(cid, bytes, options);
  }

  async *get(key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const bytes = await collect(this.inner.get(key, options));
    try {
      verifyBlock(key, bytes, this.label);
    } catch (err) {
      await Promise.resolve(this.inner.delete(key, options)).catch(() => {});
      throw err;
    }
    yield bytes;
  }

  async *getMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const cid of source) {
      const bytes = await collect(this.get(cid, options));
      yield {
        cid,
        bytes: (async function* () {
          yield bytes;
        })(),
      };
    }
  }

  async delete(key: CID, options?: AbortOptions): Promise<void> {
    await this.inner.delete(key, options);
  }

  async *deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions) {
    yield* this.inner.deleteMany(source, options);
  }

  async has(key: CID, options?: AbortOptions): Promise<boolean> {
    return this.inner.has(key, options);
  }

  async *getAll(options?: AbortOptions): AsyncGenerator<Pair> {
    yield* this.inner.getAll(options);
  }
}
