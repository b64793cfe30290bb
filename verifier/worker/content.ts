/**
 * What the worker needs of the content layer (content/types.ts ContentStore fits), and the CID
 * forms: txs and claims carry binary CIDs (hex), the content layer takes CID strings.
 *
 * File forms (content/tensor-file.ts, docs/content.md): the job input and the claimed outputs
 * are tensor files of the graph inputs / outputs; the trace is a tensor file of every node
 * output, node by node, slot by slot, as claimed.
 */
import { CID } from "multiformats/cid";
import type { ContentStore } from "../../content/types.ts";
import { fromHex, toHex } from "../../protocol/bytes.ts";
import type { Hex } from "../../protocol/tx.ts";

export type WorkerContent = Pick<ContentStore, "add" | "get"> & Partial<Pick<ContentStore, "close">>;

/** A malformed CID in a job. */
export class CidFormatError extends Error {
  override name = "CidFormatError";
}

/** The binary CID carried in txs and claims, as the string the content layer takes. */
export function cidToString(bytes: Hex): string {
  try {
    return CID.decode(fromHex(bytes)).toString();
  } catch (e) {
    throw new CidFormatError(`not a binary CID: ${bytes.slice(0, 80)} (${(e as Error).message})`);
  }
}

export function cidToBytesHex(cid: string): Hex {
  return toHex(CID.parse(cid).bytes);
}
