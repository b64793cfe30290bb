/**
 * Level layout of a sequencer's data dir (one LevelDB, utf8 keys and values):
 *   s/<stateKey>   canonical record text (sequencer/state/records.ts)
 *   b/<number:12>  block JSON (header, txs, receipts)
 *   x/<txHash>     "<blockNumber>:<index>"
 *   m/head         head block number
 *   w/<seq:16>     write-ahead log entry of an acknowledged, not yet sealed tx
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

const pad = (n: number, w: number) => n.toString().padStart(w, "0");
const blockKey = (n: number) => `b/${pad(n, 12)}`;
const walKey = (seq: number) => `w/${pad(seq, 16)}`;

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

  async wal(): Promise<WalEntry[]> {
    const out: WalEntry[] = [];
    for await (const v of this.db.values({ gt: "w/", lt: "w0" })) out.push(JSON.parse(v));
    return out;
  }

  /** Durably append WAL entries (one fsync for the whole group). */
  async appendWal(entries: WalEntry[]): Promise<void> {
    await this.db.batch(
      entries.map((e) => ({ type: "put" as const, key: walKey(e.seq), value: JSON.stringify(e) })),
      { sync: true },
    );
  }

  async dropWal(seqs: number[]): Promise<void> {
    if (seqs.length)
      await this.db.batch(
        seqs.map((s) => ({ type: "del" as const, key: walKey(s) })),
        { sync: true },
      );
  }

  /** Persist a block atomically, removing the WAL entries it made durable. */
  async commitBlock(c: Commit, walSeqs: number[]): Promise<void> {
    const n = c.block.header.number;
    const ops: Op[] = [];
    for (const [k, v] of c.writes) ops.push({ type: "put", key: `s/${k}`, value: v });
    c.block.receipts.forEach((r, i) => {
      ops.push({ type: "put", key: `x/${r.txHash}`, value: `${n}:${i}` });
    });
    ops.push({ type: "put", key: blockKey(n), value: JSON.stringify(c.block) });
    ops.push({ type: "put", key: "m/head", value: String(n) });
    for (const s of walSeqs) ops.push({ type: "del", key: walKey(s) });
    await this.db.batch(ops, { sync: true });
  }
}
