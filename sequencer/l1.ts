/**
 * Where L1 events enter L2. The node asks its L1Source, at every block it seals, for the system
 * txs derived from L1 blocks after the previous origin, up to the newest block that has
 * `confirmations` blocks on top of it (so a reorg shallower than that never reaches L2). The
 * block header records that origin. A viem-backed source (bridge/ follower) implements this;
 * tests use StaticL1Source.
 *
 * A source returns every event it derives; whether it applies is the state machine's call. The
 * node skips (and logs) a refused one, such as a second dispute on a job already disputed or
 * refunded, and the origin still moves past it: it is never retried and never holds up a block.
 */
import type { Hex, SystemTx, Tx } from "../protocol/tx.ts";

export interface L1Origin {
  number: number;
  hash: Hex;
}

export interface L1Source {
  readonly confirmations: number;
  /**
   * Txs derived from L1 blocks (after, origin], in L1 log order, and the new origin: system txs,
   * a tx forced through the Bridge's inbox (Bridge.forceTransaction) among them as a forcedTx
   * (the state machine runs the user tx it encodes, or finds it invalid).
   */
  derive(after: number): Promise<{ origin: L1Origin; txs: Tx[] }>;
}

/** An in-memory L1: events appended by tests, confirmed once `confirmations` blocks exist on top. */
export class StaticL1Source implements L1Source {
  readonly confirmations: number;
  readonly blocks: { hash: Hex; txs: SystemTx[] }[] = [];
  constructor(confirmations = 0) {
    this.confirmations = confirmations;
  }
  mine(txs: SystemTx[]): number {
    const n = this.blocks.length + 1;
    this.blocks.push({ hash: `0x${n.toString(16).padStart(64, "0")}`, txs });
    return n;
  }
  async derive(after: number): Promise<{ origin: L1Origin; txs: SystemTx[] }> {
    const safe = this.blocks.length - this.confirmations;
    if (safe <= after) return { origin: { number: after, hash: this.hashOf(after) }, txs: [] };
    const txs = this.blocks.slice(after, safe).flatMap((b) => b.txs);
    return { origin: { number: safe, hash: this.hashOf(safe) }, txs };
  }
  private hashOf(n: number): Hex {
    return n === 0 ? `0x${"00".repeat(32)}` : this.blocks[n - 1].hash;
  }
}
