/**
 * Worker-thread side of TraceHasher: receives a run's tensors (buffers transferred, not copied),
 * commits to them, and sends the roots back together with the buffers (transferred again).
 */
import { parentPort } from "node:worker_threads";
import type { TensorData } from "../commit/tensor.ts";
import { commitTensors, type OutputRef } from "./commit-run.ts";

export interface HashRequest {
  id: number;
  inputs: TensorData[];
  nodeOutputs: TensorData[][];
  outputRefs: OutputRef[];
}

if (!parentPort) throw new Error("hash-worker.ts must run as a worker thread");
const port = parentPort;
port.on("message", (req: HashRequest) => {
  try {
    const c = commitTensors(req.inputs, req.nodeOutputs, req.outputRefs);
    const buffers = new Set<ArrayBuffer>();
    for (const outs of req.nodeOutputs)
      for (const t of outs) if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
    port.postMessage({ id: req.id, ok: true, commitments: c, nodeOutputs: req.nodeOutputs }, [...buffers]);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
