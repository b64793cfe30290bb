/**
 * Level layout of a sequencer's data dir (one LevelDB, utf8 keys and values):
 *   s/<stateKey>   canonical record text (sequencer/state/records.ts)
 *   b/<number:12>  block JSON (header, txs, receipts)
 *   x/<txHash>     "<blockNumber>:<index>"
 *   m/head         head block number
 *   w/<seq:16>     write-ahead log group: a JSON array of the entries of acknowledged, not yet
 *                  sealed txs written by one fsync, keyed by the group's first seq (a single
 *                  entry object in data dirs from before grouping; both are read)
 *   q/<txHash>     a queued tx (nonce ahead of its account's): {"queuedAt", "tx"}, written with
 *                  sync: true before its ack; deleted once it is in the WAL or dropped
 * A block's state writes, tx index, head pointer and the deletion of its WAL entries go in one
 * atomic batch written with sync: true, so a crash leaves either the old or the new block.
 */
import { Level } from "level";
import type { Block, SignedHeader } from "./block.ts";
import type { Commit } from "./chain.ts";
import { decodeRecord, type StateRecord } from "./state/records.ts";

export interface WalEntry {
  seq: number;
  block: number;
  timestamp: number;
  tx: Record<string, unknown>;
  /** System txs: the L1 origin they were derived up to (the block header's origin). */
  origin?: { number: number; hash: `0x${string}` };
}

/** A WAL entry about to be written; `txText` is JSON.stringify(tx), when the caller has it. */
export interface WalWrite extends WalEntry {
  txText?: string;
}

/** One group of WAL entries as stored under one key. */
export interface WalGroup {
  seq: number;
  entries: WalEntry[];
}

/** The stored JSON of a WAL entry (same text as JSON.stringify of the entry without txText). */
function walEntryText(e: WalWrite): string {
  const tx = e.txText ?? JSON.stringify(e.tx);
  const origin = e.origin ? `,"origin":${JSON.stringify(e.origin)}` : "";
  return `{"seq":${e.seq},"block":${e.block},"timestamp":${e.timestamp},"tx":${tx}${origin}}`;
}

const pad = (n: number, w: number) => n.toString().padStart(w, "0");
const blockKey = (n: number) => `b/${pad(n, 12)}`;
const walKey = (seq: number) => `w/${pad(seq, 16)}`;

function blockText(c: Commit): string {
  const b = c.block;
  if (!c.txTexts || c.txTexts.length !== b.txs.length) return JSON.stringify(b);
  return `{"header":${JSON.stringify(b.header)},"txs":[${c.txTexts.join(",")}],"receipts":${JSON.stringify(b.receipts)}}`;
}

type Op = { type: "put"; key: string; value: string } | { type: "del"; key: string };

export class Store {
  readonly db: Level<string, string>;
  constructor(path: string) {
    this.db = new Level<string, string>(path, { keyEncoding: "utf8", valueEncoding: "utf8" });
  }
  async open(): Promise<void> {
    await this.db.open();
  }
  async close(): Promise<void> {
    await this.db.close();
  }

  async headNumber(): Promise<number | null> {
    const v = await this.db.get("m/head");
    return v === undefined ? null : Number(v);
  }

  async block(n: number): Promise<Block | null> {
    const v = await this.db.get(blockKey(n));
    return v === undefined ? null : (JSON.parse(v) as Block);
  }

  /** A block's stored JSON text (what /verdict/sync serves without parsing it). */
  async blockText(n: number): Promise<string | null> {
    return (await this.db.get(blockKey(n))) ?? null;
  }

  async header(n: number): Promise<SignedHeader | null> {
    return (await this.block(n))?.header ?? null;
  }

  async txLocation(hash: string): Promise<{ block: number; index: number } | null> {
    const v = await this.db.get(`x/${hash}`);
    if (v === undefined) return null;
    const [b, i] = v.split(":").map(Number);
    return { block: b, index: i };
  }

  async *records(): AsyncGenerator<[string, string, StateRecord]> {
    for await (const [k, v] of this.db.iterator({ gt: "s/", lt: "s0" })) {
      const key = k.slice(2);
      yield [key, v, decodeRecord(key, v)];
    }
  }

  /** WAL groups in seq order. */
  async walGroups(): Promise<WalGroup[]> {
    const out: WalGroup[] = [];
    for await (const [k, v] of this.db.iterator({ gt: "w/", lt: "w0" })) {
      const parsed = JSON.parse(v) as WalEntry | WalEntry[];
      out.push({ seq: Number(k.slice(2)), entries: Array.isArray(parsed) ? parsed : [parsed] });
    }
    return out;
  }

  /** All WAL entries in seq order. */
  async wal(): Promise<WalEntry[]> {
    return (await this.walGroups()).flatMap((g) => g.entries);
  }

  /**
   * Durably append a group of WAL entries (ascending seqs) as one key, one fsync; the key is the
   * first entry's seq (pass it to dropWal/commitBlock to delete the group).
   */
  async appendWal(entries: WalWrite[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.put(walKey(entries[0].seq), `[${entries.map(walEntryText).join(",")}]`, { sync: true });
  }

  /** Durably record a queued (future-nonce) tx before it is acknowledged. */
  async putQueued(hash: string, queuedAt: number, txText: string): Promise<void> {
    await this.db.put(`q/${hash}`, `{"queuedAt":${queuedAt},"tx":${txText}}`, { sync: true });
  }

  /** Forget a queued tx (now in the WAL, or dropped). Not synced: a stale entry is re-checked at start. */
  async delQueued(hash: string): Promise<void> {
    await this.db.del(`q/${hash}`);
  }

  async *queuedTxs(): AsyncGenerator<{ hash: string; queuedAt: number; tx: Record<string, unknown> }> {
    for await (const [k, v] of this.db.iterator({ gt: "q/", lt: "q0" })) {
      const o = JSON.parse(v) as { queuedAt: number; tx: Record<string, unknown> };
      yield { hash: k.slice(2), queuedAt: o.queuedAt, tx: o.tx };
    }
  }

  async dropWal(seqs: number[]): Promise<void> {
    if (seqs.length)
      await this.db.batch(
        seqs.map((s) => ({ type: "del" as const, key: walKey(s) })),
        { sync: true },
      );
  }

  /**
   * Persist a block atomically, removing the WAL groups (by key seq) it made durable. The block
   * text is built from the txs' JSON texts when the commit carries them (the same bytes as
   * JSON.stringify of the block, without stringifying every tx a second time).
   */
  async commitBlock(c: Commit, walSeqs: number[]): Promise<void> {
    const n = c.block.header.number;
    const ops: Op[] = [];
    for (const [k, v] of c.writes) ops.push({ type: "put", key: `s/${k}`, value: v });
    c.block.receipts.forEach((r, i) => {
      ops.push({ type: "put", key: `x/${r.txHash}`, value: `${n}:${i}` });
    });
    ops.push({ type: "put", key: blockKey(n), value: blockText(c) });
    ops.push({ type: "put", key: "m/head", value: String(n) });
    for (const s of walSeqs) ops.push({ type: "del", key: walKey(s) });
    await this.db.batch(ops, { sync: true });
  }
}
