/**
 * Commits traced runs on a worker thread, so that ONNX Runtime can compute the next run (the next
 * generated token, the next job) on the main thread while this one is hashed. The node output
 * buffers are transferred to the worker and back, never copied. Hashing throughput per core is
 * unchanged; what the pipeline buys is that hashing no longer adds to the latency of each step.
 */
import { Worker } from "node:worker_threads";
import type { TensorData } from "../commit/tensor.ts";
import type { OutputRef, TraceCommitments } from "./commit-run.ts";
import type { HashRequest } from "./hash-worker.ts";

interface Pending {
  resolve(v: { commitments: TraceCommitments; nodeOutputs: TensorData[][] }): void;
  reject(e: Error): void;
}

export class TraceHasher {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL("./hash-worker.ts", import.meta.url));
    this.worker.unref();
    this.worker.on(
      "message",
      (m: {
        id: number;
        ok: boolean;
        error?: string;
        commitments?: TraceCommitments;
        nodeOutputs?: TensorData[][];
      }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.worker.unref();
        if (m.ok) p.resolve({ commitments: m.commitments!, nodeOutputs: m.nodeOutputs! });
        else p.reject(new Error(`trace hashing failed: ${m.error}`));
      },
    );
    this.worker.on("error", (err: unknown) =>
      this.failAll(err instanceof Error ? err : new Error(String(err))),
    );
    this.worker.on("exit", (code) =>
      this.failAll(new Error(`trace hashing worker exited with code ${code}`)),
    );
  }

  private failAll(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /**
   * Commits a run on the worker. The node outputs' ArrayBuffers are transferred (detached here)
   * and come back in the result; inputs are copied (they belong to the caller and are small).
   */
  commit(
    inputs: readonly TensorData[],
    nodeOutputs: readonly (readonly TensorData[])[],
    outputRefs: readonly OutputRef[],
  ): Promise<{ commitments: TraceCommitments; nodeOutputs: TensorData[][] }> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    const buffers = new Set<ArrayBuffer>();
    for (const outs of nodeOutputs)
      for (const t of outs) if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
    const req: HashRequest = {
      id,
      inputs: inputs.map((t) => ({ dtype: t.dtype, shape: [...t.shape], data: t.data })),
      nodeOutputs: nodeOutputs.map((outs) =>
        outs.map((t) => ({ dtype: t.dtype, shape: [...t.shape], data: t.data })),
      ),
      outputRefs: outputRefs.map((o) => ({ index: o.index, slot: o.slot })),
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(req, [...buffers]);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error("trace hasher is closed");
    await this.worker.terminate();
  }
}
