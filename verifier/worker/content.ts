/**
 * What the worker needs of the content layer (content/types.ts ContentStore fits). The CID forms
 * (txs and claims carry binary CIDs, the content layer takes strings) are protocol/cid.ts.
 *
 * File forms (content/tensor-file.ts, docs/content.md): the job input and the claimed outputs
 * are tensor files of the graph inputs / outputs; the trace is a tensor file of every node
 * output, node by node, slot by slot, as claimed.
 */
import type { ContentStore } from "../../content/types.ts";

export type WorkerContent = Pick<ContentStore, "add" | "get"> & Partial<Pick<ContentStore, "close">>;
