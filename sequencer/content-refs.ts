/**
 * The content L2's state names, for the upload garbage collector (content/upload-gc.ts): every
 * job's inputCid, its claim's outputCid and traceCid, and every model registered on L1 (its cid).
 * CIDs come out in the string form the content store names files by; a malformed or empty one
 * names nothing.
 */
import { cidToString } from "../protocol/cid.ts";
import type { Hex } from "../protocol/tx.ts";
import type { Job, Model, StateRecord } from "./state/records.ts";

function add(out: Set<string>, cid: Hex | null | undefined): void {
  if (!cid || cid === "0x") return;
  try {
    out.add(cidToString(cid));
  } catch {
    // not a CID (a claim may carry anything there): nothing to keep
  }
}

/** CIDs referenced by `records` (key, record pairs of the state: committed, then pending). */
export function contentReferences(...views: Iterable<[string, StateRecord]>[]): Set<string> {
  const out = new Set<string>();
  for (const view of views)
    for (const [key, r] of view) {
      if (key.startsWith("job/")) {
        const j = r as Job;
        add(out, j.inputCid);
        add(out, j.claim?.outputCid);
        add(out, j.claim?.traceCid);
      } else if (key.startsWith("model/")) add(out, (r as Model).cid);
    }
  return out;
}
