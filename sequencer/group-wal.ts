/** The write-ahead log's group commit over the level store (sequencer/store.ts). */
import type { Store, WalWrite } from "./store.ts";

/**
 * Group commit of the WAL: appends that arrive while a write is in flight go into the next
 * write, one level key and one fsync per group. Durable groups are remembered with the highest
 * block number they hold, so a block's commit batch can delete the groups it made redundant.
 */
export class GroupWal {
  private queue: WalWrite[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | null = null;
  private readonly store: Store;
  private readonly onFatal: (e: unknown) => void;
  /** Durable groups not yet deleted: key seq and the highest block number in the group. */
  private durable: { seq: number; maxBlock: number }[] = [];
  constructor(store: Store, onFatal: (e: unknown) => void) {
    this.store = store;
    this.onFatal = onFatal;
  }
  append(e: WalWrite): Promise<void> {
    this.queue.push(e);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.running) this.running = this.drain();
    return p;
  }
  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue;
      const ws = this.waiters;
      this.queue = [];
      this.waiters = [];
      try {
        await this.store.appendWal(batch);
        let maxBlock = 0;
        for (const e of batch) if (e.block > maxBlock) maxBlock = e.block;
        this.durable.push({ seq: batch[0].seq, maxBlock });
        for (const w of ws) w.resolve();
      } catch (e) {
        for (const w of ws) w.reject(e);
        this.onFatal(e);
      }
    }
    this.running = null;
  }
  /**
   * Keys of the durable groups whose txs are all in blocks <= `block`; they are forgotten here,
   * the caller deletes them with that block's commit. A group still in flight is taken by a later
   * block's commit (or dropped as stale on restart).
   */
  takeCovered(block: number): number[] {
    const out: number[] = [];
    const keep: { seq: number; maxBlock: number }[] = [];
    for (const g of this.durable) {
      if (g.maxBlock <= block) out.push(g.seq);
      else keep.push(g);
    }
    this.durable = keep;
    return out;
  }
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
