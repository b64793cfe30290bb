/**
 * The embedded chain's durability: an append-only journal (one JSON record per line, fsynced) of
 * what cannot be recomputed, so that a fresh chain replaying it rebuilds the very same blocks:
 *
 *   {"kind":"genesis", ...options, "timestamp", "hash"}   first line: what the genesis block is built from
 *   {"kind":"tx", "raw"}                                   a signed transaction admitted to the pool
 *   {"kind":"block", "number", "timestamp", "txs", "hash"} a sealed block: its timestamp and raw txs in order
 *   {"kind":"revert", "to"}                                evm_revert back to block `to`
 *
 * Everything else (state, receipts, logs, hashes) follows deterministically from re-executing the
 * blocks; the recorded hashes are only checked. A record is written before the block or tx it
 * describes is visible to anyone, so a crash never loses an answered request. A torn last line (a
 * crash in the middle of a write) is cut off on open; a bad line anywhere else is an error.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Hex } from "./format.ts";

export interface GenesisRecord {
  kind: "genesis";
  version: 1;
  chainId: number;
  accounts: number;
  /** sha256 of the mnemonic (the journal holds no secret, but must notice a different one). */
  mnemonicHash: Hex;
  balance: string;
  gasLimit: string;
  genesisBaseFee: string;
  timestamp: number;
  hash: Hex;
}

export interface TxRecord {
  kind: "tx";
  raw: Hex;
}

export interface BlockRecord {
  kind: "block";
  number: number;
  timestamp: number;
  txs: Hex[];
  hash: Hex;
}

export interface RevertRecord {
  kind: "revert";
  to: number;
}

export type JournalRecord = GenesisRecord | TxRecord | BlockRecord | RevertRecord;

export class JournalError extends Error {
  override name = "JournalError";
}

const HEX = /^0x[0-9a-f]*$/;
const HASH = /^0x[0-9a-f]{64}$/;

function isUint(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Checks one parsed line; the message names what is wrong with it. */
function checkRecord(o: unknown, where: string): JournalRecord {
  if (typeof o !== "object" || o === null) throw new JournalError(`${where}: not a JSON object`);
  const r = o as Record<string, unknown>;
  const bad = (what: string) => new JournalError(`${where}: ${r.kind} record has a bad ${what}`);
  switch (r.kind) {
    case "genesis":
      if (r.version !== 1)
        throw new JournalError(`${where}: journal version ${String(r.version)}, expected 1`);
      if (!isUint(r.chainId)) throw bad("chainId");
      if (!isUint(r.accounts)) throw bad("accounts");
      if (!isUint(r.timestamp)) throw bad("timestamp");
      if (typeof r.mnemonicHash !== "string" || !HASH.test(r.mnemonicHash)) throw bad("mnemonicHash");
      for (const k of ["balance", "gasLimit", "genesisBaseFee"])
        if (typeof r[k] !== "string" || !/^\d+$/.test(r[k] as string)) throw bad(k);
      if (typeof r.hash !== "string" || !HASH.test(r.hash)) throw bad("hash");
      return r as unknown as GenesisRecord;
    case "tx":
      if (typeof r.raw !== "string" || !HEX.test(r.raw) || r.raw.length < 4) throw bad("raw transaction");
      return r as unknown as TxRecord;
    case "block":
      if (!isUint(r.number) || r.number === 0) throw bad("number");
      if (!isUint(r.timestamp)) throw bad("timestamp");
      if (!Array.isArray(r.txs) || r.txs.some((t) => typeof t !== "string" || !HEX.test(t))) throw bad("txs");
      if (typeof r.hash !== "string" || !HASH.test(r.hash)) throw bad("hash");
      return r as unknown as BlockRecord;
    case "revert":
      if (!isUint(r.to)) throw bad("target block");
      return r as unknown as RevertRecord;
    default:
      throw new JournalError(`${where}: unknown record kind ${JSON.stringify(r.kind)}`);
  }
}

/** Parses a journal's text; a torn (unterminated, unparsable) last line is reported, not thrown. */
export function parseJournal(
  text: string,
  path = "journal",
): { records: JournalRecord[]; validBytes: number } {
  const records: JournalRecord[] = [];
  let pos = 0;
  let line = 0;
  while (pos < text.length) {
    const nl = text.indexOf("\n", pos);
    line++;
    if (nl < 0) {
      // No newline: the write of this line did not finish. Anything parsable is still not
      // trusted, since the fsync that would have made it count never returned.
      break;
    }
    const s = text.slice(pos, nl);
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch {
      throw new JournalError(`${path}:${line}: not JSON: ${s.slice(0, 80)}`);
    }
    records.push(checkRecord(o, `${path}:${line}`));
    pos = nl + 1;
  }
  if (records.length > 0 && records[0].kind !== "genesis")
    throw new JournalError(`${path}:1: the first record must be the genesis record`);
  if (records.slice(1).some((r) => r.kind === "genesis"))
    throw new JournalError(`${path}: a second genesis record`);
  return { records, validBytes: Buffer.byteLength(text.slice(0, pos)) };
}

export class ChainJournal {
  readonly path: string;
  /** What the file held when opened (after cutting a torn tail). */
  readonly records: JournalRecord[];
  /** Bytes of a torn last line that were cut off on open (0 normally). */
  readonly tornBytes: number;
  private fd: number | null;

  private constructor(path: string, records: JournalRecord[], tornBytes: number, fd: number) {
    this.path = path;
    this.records = records;
    this.tornBytes = tornBytes;
    this.fd = fd;
  }

  /** Opens (creating it and its directory if needed) the journal at `path` for appending. */
  static open(path: string): ChainJournal {
    mkdirSync(dirname(path), { recursive: true });
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const { records, validBytes } = parseJournal(text, path);
    const size = Buffer.byteLength(text);
    if (validBytes < size) truncateSync(path, validBytes);
    const fd = openSync(path, "a");
    return new ChainJournal(path, records, size - validBytes, fd);
  }

  /** Appends one record and waits for it to reach the disk. */
  append(r: JournalRecord): void {
    if (this.fd === null) throw new JournalError(`journal ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
