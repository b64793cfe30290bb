/**
 * Future-nonce queue of the leader's mempool: signed txs whose nonce is ahead of their account's
 * next nonce wait here until the gap fills. Pure bookkeeping (no I/O, time passed in): the node
 * (sequencer/node.ts) decides when to add, promote and drop, and persists what waits.
 *
 * Bounds, so that a client cannot make the leader hold unbounded memory:
 *   perAccount  a tx may be at most this many nonces ahead of the next one; as every nonce holds
 *               at most one tx, that is also the most txs one account can have waiting
 *   total       txs waiting across all accounts
 *   ttlMs       how long a tx may wait; then it is dropped as expired
 * When the queue is full, a sender with fewer waiting txs than the sender with the most takes the
 * place of that sender's farthest tx (highest nonce), which is evicted: a flood from one sender
 * or a few cannot lock out the others. The node (not this queue) also refuses to queue more than
 * the sender's balance could pay for (upfrontCost), so that a key with no funds queues nothing.
 */
import type { Hex, UserTx } from "../protocol/tx.ts";

export interface QueueLimits {
  perAccount: number;
  total: number;
  ttlMs: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { perAccount: 16, total: 10_000, ttlMs: 10 * 60_000 };

export interface QueuedTx {
  tx: UserTx;
  hash: Hex;
  /** Lower-case sender. */
  from: string;
  nonce: number;
  /** Wire JSON of the tx and its text (what the WAL and the block will hold). */
  json: Record<string, unknown>;
  text: string;
  /** Clock time when it was acknowledged. */
  queuedAt: number;
}

/** Wei a tx takes from its sender before anything else can happen: fee plus amount or escrow. */
export function upfrontCost(tx: UserTx): bigint {
  switch (tx.type) {
    case "transfer":
    case "withdraw":
      return tx.fee + tx.amount;
    case "postJob":
    case "postGenerationJob":
      return tx.fee + tx.escrow;
    default:
      return tx.fee;
  }
}

/** Why a tx may not wait: an HTTP status and the reason. */
export class QueueRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export class FutureNonceQueue {
  readonly limits: QueueLimits;
  private readonly byAccount = new Map<string, Map<number, QueuedTx>>();
  private readonly byHash = new Map<string, QueuedTx>();

  constructor(limits: Partial<QueueLimits> = {}) {
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...limits };
    for (const [k, v] of Object.entries(this.limits))
      if (!Number.isInteger(v) || v < 0)
        throw new Error(`queue limit ${k} must be an integer >= 0, got ${v}`);
  }

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string): QueuedTx | undefined {
    return this.byHash.get(hash);
  }

  /** How many txs of `from` wait. */
  countOf(from: string): number {
    return this.byAccount.get(from)?.size ?? 0;
  }

  /** Wei the waiting txs of `from` would take (upfrontCost summed). */
  spendOf(from: string): bigint {
    let sum = 0n;
    for (const q of this.byAccount.get(from)?.values() ?? []) sum += upfrontCost(q.tx);
    return sum;
  }

  /**
   * Throws QueueRefusal when `q` may not wait behind `next` (the account's next nonce); then the
   * queue is unchanged. `restoring` skips the caps (txs acknowledged before a restart). Returns
   * the tx evicted to make room (see the header), or null.
   */
  add(q: QueuedTx, next: number, restoring = false): QueuedTx | null {
    if (q.nonce <= next) throw new Error(`nonce ${q.nonce} is not ahead of the next nonce ${next}`);
    const known = this.byHash.get(q.hash);
    if (known)
      throw new QueueRefusal(409, `already known: tx ${q.hash} is queued until nonce ${next} is used`);
    const ahead = q.nonce - next;
    let evicted: QueuedTx | null = null;
    const mine = this.byAccount.get(q.from);
    const other = mine?.get(q.nonce);
    if (other)
      throw new QueueRefusal(
        409,
        `nonce ${q.nonce} of ${q.from} is already queued by tx ${other.hash}; a queued tx cannot be replaced`,
      );
    if (!restoring) {
      if (ahead > this.limits.perAccount)
        throw new QueueRefusal(
          422,
          `nonce ${q.nonce} is ${ahead} ahead of the next nonce ${next}; at most ${this.limits.perAccount} may wait`,
        );
      if (this.byHash.size >= this.limits.total) {
        evicted = this.victimFor(q.from);
        if (!evicted)
          throw new QueueRefusal(
            503,
            `mempool full: ${this.byHash.size} txs already wait for earlier nonces and ${q.from} holds as many as anyone; send nonce ${next} first or retry later`,
          );
        this.remove(evicted);
      }
    }
    const slots = this.byAccount.get(q.from);
    if (slots) slots.set(q.nonce, q);
    else this.byAccount.set(q.from, new Map([[q.nonce, q]]));
    this.byHash.set(q.hash, q);
    return evicted;
  }

  /** The highest-nonce tx of the sender holding the most, when `from` holds fewer than it. */
  private victimFor(from: string): QueuedTx | null {
    let most: Map<number, QueuedTx> | null = null;
    for (const m of this.byAccount.values()) if (!most || m.size > most.size) most = m;
    if (!most || most.size <= this.countOf(from)) return null;
    let top: QueuedTx | null = null;
    for (const t of most.values()) if (!top || t.nonce > top.nonce) top = t;
    return top;
  }

  /** Remove and return the tx of `from` waiting for nonce `nonce`, if any. */
  take(from: string, nonce: number): QueuedTx | undefined {
    const mine = this.byAccount.get(from);
    const q = mine?.get(nonce);
    if (!q || !mine) return undefined;
    this.remove(q);
    return q;
  }

  /** Remove and return the txs that were queued at or before `now - ttlMs`. */
  expire(now: number): QueuedTx[] {
    const out: QueuedTx[] = [];
    for (const q of this.byHash.values()) if (now - q.queuedAt >= this.limits.ttlMs) out.push(q);
    for (const q of out) this.remove(q);
    return out;
  }

  /** Remove and return the txs of `from` whose nonce is below `next` (that nonce is used). */
  takeStale(from: string, next: number): QueuedTx[] {
    const out = [...(this.byAccount.get(from)?.values() ?? [])].filter((q) => q.nonce < next);
    for (const q of out) this.remove(q);
    return out;
  }

  /** Accounts with at least one waiting tx. */
  accounts(): string[] {
    return [...this.byAccount.keys()];
  }

  private remove(q: QueuedTx): void {
    this.byHash.delete(q.hash);
    const mine = this.byAccount.get(q.from);
    mine?.delete(q.nonce);
    if (mine?.size === 0) this.byAccount.delete(q.from);
  }
}
