/**
 * A sequencer node: the chain plus durability, block production and lookups.
 *
 * Durable before ack: an admitted tx is appended to the write-ahead log in level with
 * sync: true before submit() resolves; appends that arrive while a write is in flight are
 * grouped into the next batch (one fsync per group), so throughput does not pay one fsync per
 * tx. WAL entries record the pending block's number and timestamp; on restart the node reloads
 * the head state, checks its root, and re-executes the WAL into the same blocks, reaching the
 * same state root. A block is announced only after its commit batch is durable.
 *
 * Nonce gaps: a verified tx whose nonce is ahead of its account's next nonce waits in the
 * future-nonce queue (sequencer/mempool.ts, bounded) and is acknowledged as queued once it is
 * durable in level (`q/<hash>`); when the gap fills it is executed into the pending block like a
 * new submission (and logged in the WAL), or dropped with the reason if it no longer applies.
 * Queued txs are reloaded at restart. A follower with a forwarder (sequencer/p2p.ts) passes
 * submissions on to the leader instead of refusing them.
 */

import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Address } from "../protocol/secp256k1.ts";
import { decodeTx, encodeTx, type Hex, isSystemTx, type Tx } from "../protocol/tx.ts";
import type { Block, Receipt } from "./block.ts";
import {
  Chain,
  type Commit,
  DuplicateTx,
  type GenesisConfig,
  type PendingTx,
  StateDivergence,
  toReceipt,
} from "./chain.ts";
import { contentReferences } from "./content-refs.ts";
import { GroupWal } from "./group-wal.ts";
import type { L1Source } from "./l1.ts";
import { FutureNonceQueue, type QueuedTx, type QueueLimits, QueueRefusal, upfrontCost } from "./mempool.ts";
import { TxRejected } from "./state/machine.ts";
import { keys, recordJson, type StateRecord } from "./state/records.ts";
import type { StateProof } from "./state/smt.ts";
import { Store } from "./store.ts";
import { VerifyPool } from "./verify-pool.ts";

/** A refused submission: HTTP status and the reason, said plainly. */
export class SubmitError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface NodeOptions {
  dataDir: string;
  genesis: GenesisConfig;
  /** Leader: signs blocks. Absent for a follower. */
  sequencerKey?: Uint8Array;
  blockTimeMs?: number;
  clock?: () => number;
  l1?: L1Source;
  logger?: Logger;
  /** Worker threads checking signatures; 0 checks them on the main thread. Default 2. */
  verifyWorkers?: number;
  /** Bounds of the future-nonce queue (sequencer/mempool.ts DEFAULT_QUEUE_LIMITS). */
  queue?: Partial<QueueLimits>;
}

/** What a submission got: executed into the pending block, queued for an earlier nonce, forwarded. */
export interface SubmitReply {
  txHash: Hex;
  /** Waits in the future-nonce queue; `nextNonce` is the nonce it waits for. */
  queued?: boolean;
  nextNonce?: number;
  /** A follower passed it on to the sequencer (which answered the rest of this reply). */
  forwarded?: boolean;
}

/** Passes a verified user tx (wire JSON) to the leader; throws SubmitError with its refusal. */
export type Forwarder = (json: Record<string, unknown>) => Promise<SubmitReply>;

/** How many dropped txs' reasons are kept for receipt lookups. */
const DROPPED_KEPT = 10_000;

/** A tx's wire JSON (encodeTx) and its text. */
type Wire = { json: Record<string, unknown>; text: string };

interface AdmitSlot {
  tx: Tx;
  wire: Wire;
  hash: Hex | null;
  error: string | null;
  done: boolean;
  resolve: (r: SubmitReply) => void;
  reject: (e: unknown) => void;
}

export class SequencerNode extends EventEmitter {
  readonly chain: Chain;
  readonly store: Store;
  readonly opts: NodeOptions;
  readonly clock: () => number;
  readonly wal: GroupWal;
  private nextSeq = 0;
  private pendingReceipts = new Map<string, PendingTx>();
  /** Blocks sealed but maybe not yet durable, and recent blocks, by number. */
  private recent = new Map<number, Block>();
  private recentTx = new Map<string, { block: number; index: number }>();
  private commitChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private sealing = false;
  private closed = false;
  /**
   * Highest block whose commit is durable. The chain's head moves at sealing, before the commit
   * batch is written; what other nodes are served (sync) stops here, so a follower never holds a
   * block a crash could take back.
   */
  durableHead = 0;
  /** Count of txs acknowledged (WAL durable) since start; for metrics. */
  acked = 0;
  private readonly pool: VerifyPool | null;
  /** Submissions in arrival order, waiting for their signature check. */
  private admitQueue: AdmitSlot[] = [];
  /** Leader: txs waiting for an earlier nonce. */
  readonly queue: FutureNonceQueue;
  /** Durable write of each queued tx (its q/ key), so its deletion is never issued before it. */
  private queuedWrites = new Map<string, Promise<void>>();
  /** Reasons of recently dropped queued txs, oldest first. */
  private dropped = new Map<string, { reason: string; tx: Record<string, unknown> }>();
  /** Follower: how submissions reach the leader (set by sequencer/p2p.ts). */
  forwarder: Forwarder | null = null;

  private constructor(opts: NodeOptions) {
    super();
    this.opts = opts;
    this.chain = new Chain(opts.genesis);
    this.store = new Store(opts.dataDir);
    this.clock = opts.clock ?? Date.now;
    this.wal = new GroupWal(this.store, (e) => this.fatal(e));
    this.queue = new FutureNonceQueue(opts.queue);
    const workers = opts.verifyWorkers ?? 2;
    this.pool = opts.sequencerKey && workers > 0 ? new VerifyPool(workers, opts.genesis.l2ChainId) : null;
  }

  get isLeader(): boolean {
    return this.opts.sequencerKey !== undefined;
  }

  static async open(opts: NodeOptions): Promise<SequencerNode> {
    const n = new SequencerNode(opts);
    await n.store.open();
    await n.recover();
    return n;
  }

  private fatal(e: unknown): void {
    this.opts.logger?.fatal({ err: e }, "storage failure; stopping");
    this.emit("fatal", e);
  }

  private async recover(): Promise<void> {
    const headN = await this.store.headNumber();
    if (headN === null) {
      const g = this.chain.initGenesis();
      await this.store.commitBlock(g, []);
      this.opts.logger?.info({ stateRoot: g.block.header.stateRoot }, "genesis written");
    } else {
      const head = await this.store.header(headN);
      if (!head) throw new Error(`store says head is block ${headN}, but that block is missing`);
      const recs: [string, string, StateRecord][] = [];
      for await (const r of this.store.records()) recs.push(r);
      this.chain.load(head, recs);
      const genesis = new Chain(this.opts.genesis).initGenesis().block.header;
      const stored0 = await this.store.header(0);
      if (stored0?.hash !== genesis.hash)
        throw new Error(`data dir was made with another genesis (${stored0?.hash} vs ${genesis.hash})`);
    }
    const groups = await this.store.walGroups();
    const headNo = this.chain.head.number;
    const groupMax = new Map<number, number>();
    for (const g of groups) groupMax.set(g.seq, Math.max(...g.entries.map((e) => e.block)));
    const entries = groups.flatMap((g) => g.entries);
    await this.store.dropWal(
      groups.filter((g) => (groupMax.get(g.seq) as number) <= headNo).map((g) => g.seq),
    );
    for (const [k, m] of groupMax) if (m <= headNo) groupMax.delete(k);
    const live = entries.filter((e) => e.block > headNo);
    this.nextSeq = entries.reduce((m, e) => Math.max(m, e.seq + 1), 0);
    /** Group keys all of whose entries are in blocks <= n; forgotten once returned. */
    const covered = (n: number): number[] => {
      const out = [...groupMax].filter(([, m]) => m <= n).map(([k]) => k);
      for (const k of out) groupMax.delete(k);
      return out;
    };
    let replayed = 0;
    for (let i = 0; i < live.length; ) {
      const blockNo = live[i].block;
      for (; i < live.length && live[i].block === blockNo; i++) {
        const e = live[i];
        const tx = decodeTx(e.tx);
        const hash = this.chain.txHash(tx);
        try {
          this.chain.admit(tx, hash, e.timestamp);
          replayed++;
        } catch (err) {
          // Cannot happen for a log written by this code (same order, same state, same time).
          this.opts.logger?.error({ err, hash }, "WAL tx no longer applies; dropped");
        }
      }
      if (this.chain.pending) {
        const h = this.chain.head;
        const logged = live
          .slice(0, i)
          .reverse()
          .find((e) => e.block === blockNo && e.origin)?.origin;
        const c = this.sealWith(logged ?? { number: h.l1OriginNumber, hash: h.l1OriginHash });
        await this.store.commitBlock(c, covered(c.block.header.number));
      } else await this.store.dropWal(covered(blockNo));
    }
    this.durableHead = this.chain.head.number;
    const queued = this.isLeader ? await this.restoreQueue() : 0;
    this.opts.logger?.info(
      { head: this.chain.head.number, stateRoot: this.chain.head.stateRoot, replayed, queued },
      "sequencer state loaded",
    );
  }

  /**
   * Reload the txs acknowledged as queued (after the WAL replay): one whose nonce is now used
   * was included (or its slot was taken) and is forgotten; the rest wait again, and those whose
   * gap is filled are executed now.
   */
  private async restoreQueue(): Promise<number> {
    const stored: QueuedTx[] = [];
    for await (const q of this.store.queuedTxs()) {
      const tx = decodeTx(q.tx);
      if (isSystemTx(tx)) continue;
      const wireJson = encodeTx(tx);
      stored.push({
        tx,
        hash: q.hash as Hex,
        from: tx.from.toLowerCase(),
        nonce: tx.nonce,
        json: wireJson,
        text: JSON.stringify(wireJson),
        queuedAt: q.queuedAt,
      });
    }
    stored.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.nonce - b.nonce));
    for (const q of stored) {
      const next = this.nextNonce(q.from);
      this.queuedWrites.set(q.hash, Promise.resolve());
      if (q.nonce < next) {
        if (await this.store.txLocation(q.hash)) this.forgetQueued(q.hash);
        else this.drop(q, `nonce ${q.nonce} of ${q.from} was used by another tx`);
      } else if (q.nonce === next) {
        this.promote(q);
      } else this.queue.add(q, next, true);
    }
    return this.queue.size;
  }

  /** The account's next nonce in the latest view (pending block included). */
  nextNonce(addr: string): number {
    const view = this.chain.pending?.overlay ?? this.chain.state;
    const r = view.get(keys.account(addr.toLowerCase())) as { nonce?: number } | undefined;
    return r?.nonce ?? 0;
  }

  get queuedCount(): number {
    return this.queue.size;
  }

  private sealWith(origin: { number: number; hash: Hex }): Commit {
    if (!this.opts.sequencerKey) throw new Error("only the leader seals blocks");
    return this.chain.seal(origin, this.opts.sequencerKey);
  }

  /** Decode, verify, execute and durably log one tx; resolves with its hash once durable. */
  async submit(json: unknown): Promise<SubmitReply> {
    if (this.closed) throw new SubmitError(503, "sequencer is shutting down");
    if (!this.isLeader && !this.forwarder)
      throw new SubmitError(503, "this node is a follower; submit to the sequencer");
    let tx: Tx;
    try {
      tx = decodeTx(json);
    } catch (e) {
      throw new SubmitError(400, (e as Error).message);
    }
    if (isSystemTx(tx))
      throw new SubmitError(400, `${tx.type} is a system tx; only L1 derivation creates it`);
    if (!this.isLeader) {
      // checked here so that a bad signature costs the leader nothing
      const hash = this.chain.txHash(tx);
      try {
        this.chain.verify(tx, hash);
      } catch (e) {
        throw new SubmitError(401, (e as Error).message);
      }
      return (this.forwarder as Forwarder)(encodeTx(tx));
    }
    if (!this.pool) {
      const hash = this.chain.txHash(tx);
      try {
        this.chain.verify(tx, hash);
      } catch (e) {
        throw new SubmitError(401, (e as Error).message);
      }
      return this.admitVerified(tx, hash);
    }
    // the wire form is needed for the WAL and the block anyway; the pool ships its text
    const wireJson = encodeTx(tx);
    const wire = { json: wireJson, text: JSON.stringify(wireJson) };
    return new Promise((resolve, reject) => {
      const slot: AdmitSlot = { tx, wire, hash: null, error: null, done: false, resolve, reject };
      this.admitQueue.push(slot);
      (this.pool as VerifyPool).verify(wire.text).then(
        (h) => {
          slot.hash = h;
          slot.done = true;
          this.drainAdmitQueue();
        },
        (e: Error) => {
          slot.error = e.message;
          slot.done = true;
          this.drainAdmitQueue();
        },
      );
    });
  }

  /** Admit verified txs strictly in arrival order (a later nonce never overtakes an earlier one). */
  private drainAdmitQueue(): void {
    while (this.admitQueue.length && this.admitQueue[0].done) {
      const slot = this.admitQueue.shift() as AdmitSlot;
      if (slot.error !== null) slot.reject(new SubmitError(401, slot.error));
      else this.admitVerified(slot.tx, slot.hash as Hex, slot.wire).then(slot.resolve, slot.reject);
    }
  }

  private async admitVerified(tx: Tx, hash: Hex, wire?: Wire): Promise<SubmitReply> {
    if (this.closed) throw new SubmitError(503, "sequencer is shutting down");
    if (!isSystemTx(tx)) {
      const next = this.nextNonce(tx.from);
      if (tx.nonce > next) return this.enqueue(tx, hash, next, wire);
    }
    let ptx: PendingTx;
    try {
      ptx = this.chain.admit(tx, hash, this.clock(), wire);
    } catch (e) {
      if (e instanceof DuplicateTx) throw new SubmitError(409, e.message);
      if (e instanceof TxRejected) throw new SubmitError(422, e.message);
      throw e;
    }
    const durable = this.logPending(ptx);
    // its nonce may have filled a gap: queued txs of the sender run right behind it
    if (!isSystemTx(tx)) this.promoteFrom(tx.from);
    await durable;
    this.acked++;
    this.emit("tx", { txHash: hash, type: tx.type, events: ptx.outcome.events });
    return { txHash: hash };
  }

  /** WAL append of a tx just executed into the pending block; resolves once durable. */
  private logPending(ptx: PendingTx): Promise<void> {
    const p = this.chain.pending as NonNullable<typeof this.chain.pending>;
    const seq = this.nextSeq++;
    this.pendingReceipts.set(ptx.hash, ptx);
    return this.wal.append({ seq, block: p.number, timestamp: p.timestamp, tx: ptx.json, txText: ptx.text });
  }

  /** Cheap checks before a tx may wait (the full rules run when its turn comes). */
  private async enqueue(
    tx: Tx & { from: string; nonce: number; fee: bigint },
    hash: Hex,
    next: number,
    wire?: Wire,
  ): Promise<SubmitReply> {
    const minFee = this.opts.genesis.params.minFee;
    if (tx.fee < minFee) throw new SubmitError(422, `fee too low: minimum ${minFee}, got ${tx.fee}`);
    if (this.chain.pending?.hashes.has(hash))
      throw new SubmitError(409, `already known: tx ${hash} is pending`);
    const json = wire?.json ?? encodeTx(tx);
    const q: QueuedTx = {
      tx: tx as QueuedTx["tx"],
      hash,
      from: tx.from.toLowerCase(),
      nonce: tx.nonce,
      json,
      text: wire?.text ?? JSON.stringify(json),
      queuedAt: this.clock(),
    };
    // queue only what the sender could pay for: a key with no funds cannot hold queue room
    const acc = (this.chain.pending?.overlay ?? this.chain.state).get(keys.account(q.from)) as
      | { balance: bigint }
      | undefined;
    const balance = acc?.balance ?? 0n;
    const need = this.queue.spendOf(q.from) + upfrontCost(q.tx);
    if (balance === 0n || balance < need)
      throw new SubmitError(
        422,
        `cannot wait for nonce ${next}: ${q.from} has ${balance} wei, its waiting txs would need ${need}${balance === 0n ? " (an account without funds cannot queue txs)" : ""}`,
      );
    let evicted: QueuedTx | null;
    try {
      evicted = this.queue.add(q, next);
    } catch (e) {
      if (e instanceof QueueRefusal) throw new SubmitError(e.status, e.message);
      throw e;
    }
    if (evicted)
      this.drop(
        evicted,
        `evicted: the queue is full and ${evicted.from} held the most waiting txs; its farthest nonce made room`,
      );
    const write = this.store.putQueued(hash, q.queuedAt, q.text);
    this.queuedWrites.set(
      hash,
      write.catch(() => {}),
    );
    try {
      await write;
    } catch (e) {
      this.fatal(e);
      throw e;
    }
    this.acked++;
    this.emit("queued", { txHash: hash, from: q.from, nonce: q.nonce, nextNonce: next });
    return { txHash: hash, queued: true, nextNonce: next };
  }

  /** Run the queued txs of `from` whose turn has come, in nonce order. */
  private promoteFrom(from: string): void {
    const who = from.toLowerCase();
    if (this.queue.countOf(who) === 0) return;
    for (;;) {
      const q = this.queue.take(who, this.nextNonce(who));
      if (!q) return;
      this.promote(q);
    }
  }

  /** Execute a queued tx into the pending block (or drop it, saying why). */
  private promote(q: QueuedTx): void {
    let ptx: PendingTx;
    try {
      ptx = this.chain.admit(q.tx, q.hash, this.clock(), { json: q.json, text: q.text });
    } catch (e) {
      if (!(e instanceof DuplicateTx || e instanceof TxRejected)) throw e;
      this.drop(q, e.message);
      return;
    }
    this.logPending(ptx).then(
      () => {
        this.forgetQueued(q.hash);
        this.emit("tx", { txHash: q.hash, type: q.tx.type, events: ptx.outcome.events });
      },
      () => {}, // a WAL failure is fatal (GroupWal)
    );
    this.opts.logger?.debug({ hash: q.hash, from: q.from, nonce: q.nonce }, "queued tx executed");
  }

  /** A queued tx that no longer applies: forgotten, its reason kept for lookups and announced. */
  private drop(q: QueuedTx, reason: string): void {
    const why = `dropped from the queue: ${reason}`;
    this.dropped.set(q.hash, { reason: why, tx: q.json });
    if (this.dropped.size > DROPPED_KEPT) this.dropped.delete(this.dropped.keys().next().value as string);
    this.forgetQueued(q.hash);
    this.opts.logger?.info({ hash: q.hash, from: q.from, nonce: q.nonce, reason }, "queued tx dropped");
    this.emit("dropped", { txHash: q.hash, from: q.from, nonce: q.nonce, reason: why });
  }

  private forgetQueued(hash: string): void {
    const w = this.queuedWrites.get(hash) ?? Promise.resolve();
    this.queuedWrites.delete(hash);
    w.then(() => this.store.delQueued(hash)).catch(() => {});
  }

  /** Drop queued txs that waited longer than the queue's ttl. */
  expireQueued(): void {
    const now = this.clock();
    for (const q of this.queue.expire(now))
      this.drop(
        q,
        `expired after ${Math.round((now - q.queuedAt) / 1000)} s waiting for nonce ${this.nextNonce(q.from)} of ${q.from}`,
      );
  }

  /** Leader: derive L1, seal the pending block, persist it; null when there was nothing to seal. */
  async sealNow(): Promise<Block | null> {
    if (this.sealing || !this.isLeader) return null;
    this.sealing = true;
    try {
      if (this.queue.size) this.expireQueued();
      const head = this.chain.head;
      let origin = { number: head.l1OriginNumber, hash: head.l1OriginHash };
      if (this.opts.l1) {
        const d = await this.opts.l1.derive(head.l1OriginNumber);
        for (const raw of d.txs) {
          let h: Hex = "0x";
          try {
            // normalise through the codec: lower-case addresses, bounded fields
            const sys = decodeTx(encodeTx(raw));
            h = this.chain.txHash(sys);
            // a forced tx comes as a forcedTx (its inner signature is the state machine's check);
            // a source that yields a user tx gets its signature checked like any user tx's
            if (!isSystemTx(sys)) this.chain.verify(sys, h);
            this.chain.admit(sys, h, this.clock());
            // Logged like user txs: if this block is lost before its commit is durable, txs
            // acknowledged into the next block may depend on it (a deposit they spend).
            const p = this.chain.pending as NonNullable<typeof this.chain.pending>;
            const seq = this.nextSeq++;
            this.wal
              .append({ seq, block: p.number, timestamp: p.timestamp, tx: encodeTx(sys), origin: d.origin })
              .catch(() => {});
          } catch (err) {
            this.opts.logger?.warn(
              { err: (err as Error).message, tx: raw.type, hash: h },
              "L1 event not applied",
            );
          }
        }
        origin = d.origin;
      }
      if (!this.chain.pending) return null;
      const c = this.sealWith(origin);
      this.remember(c.block);
      for (const r of c.block.receipts) this.pendingReceipts.delete(r.txHash);
      // WAL groups are taken when the batch is built: groups that became durable meanwhile go too
      const done = this.commitChain.then(() =>
        this.store.commitBlock(c, this.wal.takeCovered(c.block.header.number)),
      );
      this.commitChain = done.catch((e) => this.fatal(e));
      await done;
      this.durableHead = Math.max(this.durableHead, c.block.header.number);
      this.emit("block", c.block);
      return c.block;
    } finally {
      this.sealing = false;
    }
  }

  /** Follower: re-execute a block from the leader and persist it. */
  async importBlock(block: Block): Promise<void> {
    let c: Commit;
    try {
      c = this.chain.applyBlock(block, this.opts.genesis.sequencer);
    } catch (e) {
      // a different state root after re-executing a signed block: this node's state can no
      // longer be trusted to match the sequencer's, so it stops rather than serve it
      if (e instanceof StateDivergence) this.fatal(e);
      throw e;
    }
    this.remember(c.block);
    const done = this.commitChain.then(() => this.store.commitBlock(c, []));
    this.commitChain = done.catch((e) => this.fatal(e));
    await done;
    this.durableHead = Math.max(this.durableHead, c.block.header.number);
    this.emit("block", c.block);
  }

  private remember(b: Block): void {
    this.recent.set(b.header.number, b);
    b.receipts.forEach((r, i) => {
      this.recentTx.set(r.txHash, { block: b.header.number, index: i });
    });
    const old = b.header.number - 64;
    const ob = this.recent.get(old);
    if (ob) {
      this.recent.delete(old);
      for (const r of ob.receipts) this.recentTx.delete(r.txHash);
    }
  }

  start(): void {
    if (!this.isLeader || this.timer) return;
    const ms = this.opts.blockTimeMs ?? 250;
    this.timer = setInterval(() => {
      this.sealNow().catch((err) => this.opts.logger?.error({ err }, "sealing failed"));
    }, ms);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.sealing) await new Promise((r) => setTimeout(r, 5));
    while (this.admitQueue.length) await new Promise((r) => setTimeout(r, 5));
    await this.pool?.close();
    await this.wal.idle();
    await Promise.all(this.queuedWrites.values());
    await this.commitChain;
    await this.store.close();
  }

  // ---- lookups ----

  async block(n: number): Promise<Block | null> {
    return this.recent.get(n) ?? (await this.store.block(n));
  }

  /** A durable block's stored JSON text (null past durableHead). */
  async blockText(n: number): Promise<string | null> {
    return n <= this.durableHead ? this.store.blockText(n) : null;
  }

  async receipt(hash: string): Promise<({ status: "pending" | "included" } & Partial<Receipt>) | null> {
    const p = this.pendingReceipts.get(hash);
    if (p) return { status: "pending", txHash: p.hash, events: p.outcome.events };
    const q = this.queue.get(hash);
    if (q) return { status: "queued", txHash: q.hash, nextNonce: this.nextNonce(q.from) } as never;
    const d = this.dropped.get(hash);
    if (d) return { status: "dropped", txHash: hash as Hex, reason: d.reason } as never;
    const loc = this.recentTx.get(hash) ?? (await this.store.txLocation(hash));
    if (!loc) return null;
    const b = await this.block(loc.block);
    const r = b?.receipts[loc.index];
    return r ? { status: "included", ...r } : null;
  }

  async tx(hash: string): Promise<{
    status: string;
    tx: Record<string, unknown>;
    blockNumber?: number;
    nextNonce?: number;
    reason?: string;
  } | null> {
    const p = this.pendingReceipts.get(hash);
    if (p) return { status: "pending", tx: p.json };
    const q = this.queue.get(hash);
    if (q) return { status: "queued", tx: q.json, nextNonce: this.nextNonce(q.from) };
    const d = this.dropped.get(hash);
    if (d) return { status: "dropped", tx: d.tx, reason: d.reason };
    const loc = this.recentTx.get(hash) ?? (await this.store.txLocation(hash));
    if (!loc) return null;
    const b = await this.block(loc.block);
    return b ? { status: "included", tx: b.txs[loc.index], blockNumber: loc.block } : null;
  }

  /** Latest view (pending block included), as clients want after an ack. */
  record(key: string): unknown {
    const view = this.chain.pending?.overlay ?? this.chain.state;
    const r = view.get(key);
    return r === undefined ? null : recordJson(key, r);
  }

  /** Content L2's state names (pending block included): what the upload sweeper keeps. */
  contentReferences(): Set<string> {
    return contentReferences(this.chain.state.map, this.chain.pending?.overlay.writes ?? []);
  }

  workers(): unknown[] {
    const out: unknown[] = [];
    const seen = new Set<string>();
    const pend = this.chain.pending?.overlay.writes;
    if (pend)
      for (const [k, v] of pend)
        if (k.startsWith("worker/")) {
          seen.add(k);
          out.push(recordJson(k, v));
        }
    for (const [k, v] of this.chain.state.map)
      if (k.startsWith("worker/") && !seen.has(k)) out.push(recordJson(k, v));
    return out;
  }

  /** Proof against the head block's state root (committed state only). */
  proof(key: string): { blockNumber: number; stateRoot: Hex; value: unknown; proof: StateProof } {
    const r = this.chain.state.get(key);
    return {
      blockNumber: this.chain.head.number,
      stateRoot: this.chain.head.stateRoot,
      value: r === undefined ? null : recordJson(key, r),
      proof: this.chain.tree.proof(key),
    };
  }

  accountKey(addr: Address): string {
    return keys.account(addr.toLowerCase());
  }

  /** Receipt of a pending tx as it will be written (for the event stream). */
  static receiptOf(p: PendingTx, blockNumber: number, index: number): Receipt {
    return toReceipt(p, blockNumber, index);
  }
}
