/**
 * Content ids. One definition of how a file becomes a CID, shared by model ids (prover-trace),
 * batch data (sequencer) and the content layer, so every part names the same bytes the same way
 * as `ipfs add --cid-version=1` does (raw leaves, 256 KiB fixed chunks, balanced DAG of at most
 * 174 links per node).
 */
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import type { CID } from "multiformats/cid";

/** Where the UnixFS blocks of a file go; by default nowhere (only the CID is wanted). */
export interface BlockSink {
  put(cid: CID, block: Uint8Array): Promise<CID> | CID;
}

/** The CIDv1 of a file as `ipfs add --cid-version=1` computes it. */
export async function fileCid(bytes: Uint8Array, sink?: BlockSink): Promise<CID> {
  const blockstore = { put: async (cid: CID, block: Uint8Array) => (sink ? sink.put(cid, block) : cid) };
  let last: CID | undefined;
  for await (const entry of importer([{ content: bytes }], blockstore, {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: 262_144 }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    wrapWithDirectory: false,
  })) {
    last = entry.cid;
  }
  if (!last) throw new Error("importer produced no CID");
  return last;
}
