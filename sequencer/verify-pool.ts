/**
 * Signature checking off the main thread. Native recovery costs ~90 us per tx and the EIP-712
 * digest (keccak in JS) ~40 us; on the main thread that alone caps a node near 7k tx/s on an idle
 * core, before HTTP, execution and storage. The pool batches requests per event-loop turn (one
 * postMessage per batch each way) over N worker threads. Results come back per worker in order;
 * the node re-sequences them so txs are admitted in arrival order. A batch travels as one JSON
 * string of the txs' wire form (the node has that text anyway): cloning one string costs far
 * less than structured-cloning hundreds of objects with bigint fields.
 */
import { Worker } from "node:worker_threads";
import type { Hex } from "../protocol/tx.ts";

interface Waiter {
  resolve: (hash: Hex) => void;
  reject: (e: Error) => void;
}

export class VerifyPool {
  private readonly workers: Worker[];
  private readonly waiters = new Map<number, Waiter>();
  private queue: { id: number; text: string }[] = [];
  private nextId = 0;
  private rr = 0;
  private scheduled = false;

  constructor(size: number, l2ChainId: bigint) {
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(new URL("./verify-worker.ts", import.meta.url), {
        workerData: { l2ChainId: l2ChainId.toString() },
      });
      w.on("message", (out: { id: number; hash?: Hex; error?: string }[]) => {
        for (const r of out) {
          const wt = this.waiters.get(r.id);
          this.waiters.delete(r.id);
          if (!wt) continue;
          if (r.hash) wt.resolve(r.hash);
          else wt.reject(new Error(r.error));
        }
        if (this.waiters.size === 0) for (const x of this.workers) x.unref();
      });
      w.on("error", (e: Error) => {
        for (const wt of this.waiters.values()) wt.reject(e);
        this.waiters.clear();
      });
      w.unref();
      return w;
    });
  }

  /**
   * `text` is JSON.stringify(encodeTx(tx)) of a decoded tx. Resolves with the tx hash when the
   * signature is good; rejects naming the problem.
   */
  verify(text: string): Promise<Hex> {
    const id = this.nextId++;
    const p = new Promise<Hex>((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
    });
    this.queue.push({ id, text });
    // idle workers must not keep the process alive, busy ones must
    if (this.waiters.size === 1) for (const w of this.workers) w.ref();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  private flush(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    if (q.length === 0) return;
    // split the turn's batch across workers
    const n = this.workers.length;
    const per = Math.ceil(q.length / n);
    for (let i = 0; i < q.length; i += per) {
      const part = q.slice(i, i + per);
      this.workers[this.rr++ % n].postMessage({
        ids: part.map((x) => x.id),
        txs: `[${part.map((x) => x.text).join(",")}]`,
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
