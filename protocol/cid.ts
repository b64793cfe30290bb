/**
 * Content ids. One definition of how a file becomes a CID, shared by model ids (prover-trace),
 * batch data (sequencer) and the content layer, so every part names the same bytes the same way
 * as `ipfs add --cid-version=1` does (raw leaves, 256 KiB fixed chunks, balanced DAG of at most
 * 174 links per node). And one way to read a CID: txs and claims carry it binary (`0x` + hex),
 * the content layer and people use its string form.
 */
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import { fromHex, toHex } from "./bytes.ts";

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

/** A malformed CID (in a job, a claim, a request). */
export class CidFormatError extends Error {
  override name = "CidFormatError";
}

/** The binary CID carried in txs and claims (`0x` + hex): the one decoder. */
export function decodeBinaryCid(bytes: `0x${string}`): CID {
  try {
    return CID.decode(fromHex(bytes));
  } catch (e) {
    throw new CidFormatError(`not a binary CID: ${String(bytes).slice(0, 80)} (${(e as Error).message})`);
  }
}

/** A CID from its binary form (`0x` + hex, as txs carry it) or its string form (`bafk...`, `Qm...`). */
export function decodeCid(cid: string): CID {
  if (/^0x[0-9a-fA-F]*$/.test(cid)) return decodeBinaryCid(cid as `0x${string}`);
  try {
    return CID.parse(cid);
  } catch (e) {
    throw new CidFormatError(`not a CID: ${String(cid).slice(0, 80)} (${(e as Error).message})`);
  }
}

/** The binary CID carried in txs and claims, as the string the content layer takes. */
export function cidToString(bytes: `0x${string}`): string {
  return decodeBinaryCid(bytes).toString();
}

/** A CID's binary form as txs and claims carry it. */
export function cidToBytesHex(cid: string | CID): `0x${string}` {
  return toHex((typeof cid === "string" ? decodeCid(cid) : cid).bytes);
}
