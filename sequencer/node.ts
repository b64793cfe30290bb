/**
 * A sequencer node: the chain plus durability, block production and lookups.
 *
 * Durable before ack: an admitted tx is appended to the write-ahead log in level with
 * sync: true before submit() resolves; appends that arrive while a write is in flight are
 * grouped into the next batch (one fsync per group), so throughput does not pay one fsync per
 * tx. WAL entries record the pending block's number and timestamp; on restart the node reloads
 * the head state, checks its root, and re-executes the WAL into the same blocks, reaching the
 * same state root. A block is announced only after its commit batch is durable.
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
import type { L1Source } from "./l1.ts";
import { TxRejected } from "./state/machine.ts";
import { keys, recordJson, type StateRecord } from "./state/records.ts";
import type { StateProof } from "./state/smt.ts";
import { Store, type WalWrite } from "./store.ts";
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
}

/** A tx's wire JSON (encodeTx) and its text. */
type Wire = { json: Record<string, unknown>; text: string };

interface AdmitSlot {
  tx: Tx;
  wire: Wire;
  hash: Hex | null;
  error: string | null;
  done: boolean;
  resolve: (r: { txHash: Hex }) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit of the WAL: appends that arrive while a write is in flight go into the next
 * write, one level key and one fsync per group. Durable groups are remembered with the highest
 * block number they hold, so a block's commit batch can delete the groups it made redundant.
 */
class GroupWal {
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
  /** Count of txs acknowledged (WAL durable) since start; for metrics. */
  acked = 0;
  private readonly pool: VerifyPool | null;
  /** Submissions in arrival order, waiting for their signature check. */
  private admitQueue: AdmitSlot[] = [];

  private constructor(opts: NodeOptions) {
    super();
    this.opts = opts;
    this.chain = new Chain(opts.genesis);
    this.store = new Store(opts.dataDir);
    this.clock = opts.clock ?? Date.now;
    this.wal = new GroupWal(this.store, (e) => this.fatal(e));
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
    this.opts.logger?.info(
      { head: this.chain.head.number, stateRoot: this.chain.head.stateRoot, replayed },
      "sequencer state loaded",
    );
  }

  private sealWith(origin: { number: number; hash: Hex }): Commit {
    if (!this.opts.sequencerKey) throw new Error("only the leader seals blocks");
    return this.chain.seal(origin, this.opts.sequencerKey);
  }

  /** Decode, verify, execute and durably log one tx; resolves with its hash once durable. */
  async submit(json: unknown): Promise<{ txHash: Hex }> {
    if (this.closed) throw new SubmitError(503, "sequencer is shutting down");
    if (!this.isLeader) throw new SubmitError(503, "this node is a follower; submit to the sequencer");
    let tx: Tx;
    try {
      tx = decodeTx(json);
    } catch (e) {
      throw new SubmitError(400, (e as Error).message);
    }
    if (isSystemTx(tx))
      throw new SubmitError(400, `${tx.type} is a system tx; only L1 derivation creates it`);
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

  private async admitVerified(tx: Tx, hash: Hex, wire?: Wire): Promise<{ txHash: Hex }> {
    if (this.closed) throw new SubmitError(503, "sequencer is shutting down");
    let ptx: PendingTx;
    try {
      ptx = this.chain.admit(tx, hash, this.clock(), wire);
    } catch (e) {
      if (e instanceof DuplicateTx) throw new SubmitError(409, e.message);
      if (e instanceof TxRejected) throw new SubmitError(422, e.message);
      throw e;
    }
    const p = this.chain.pending as NonNullable<typeof this.chain.pending>;
    const seq = this.nextSeq++;
    this.pendingReceipts.set(hash, ptx);
    await this.wal.append({ seq, block: p.number, timestamp: p.timestamp, tx: ptx.json, txText: ptx.text });
    this.acked++;
    this.emit("tx", { txHash: hash, type: tx.type, events: ptx.outcome.events });
    return { txHash: hash };
  }

  /** Leader: derive L1, seal the pending block, persist it; null when there was nothing to seal. */
  async sealNow(): Promise<Block | null> {
    if (this.sealing || !this.isLeader) return null;
    this.sealing = true;
    try {
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
    await this.commitChain;
    await this.store.close();
  }

  // ---- lookups ----

  async block(n: number): Promise<Block | null> {
    return this.recent.get(n) ?? (await this.store.block(n));
  }

  async receipt(hash: string): Promise<({ status: "pending" | "included" } & Partial<Receipt>) | null> {
    const p = this.pendingReceipts.get(hash);
    if (p) return { status: "pending", txHash: p.hash, events: p.outcome.events };
    const loc = this.recentTx.get(hash) ?? (await this.store.txLocation(hash));
    if (!loc) return null;
    const b = await this.block(loc.block);
    const r = b?.receipts[loc.index];
    return r ? { status: "included", ...r } : null;
  }

  async tx(
    hash: string,
  ): Promise<{ status: string; tx: Record<string, unknown>; blockNumber?: number } | null> {
    const p = this.pendingReceipts.get(hash);
    if (p) return { status: "pending", tx: p.json };
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
