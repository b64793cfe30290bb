/**
 * The watcher's durable state in level under its data dir: one record per claim it looked at
 * (keyed by the claim's EIP-712 digest) and the L2 block cursor.
 *
 * Write-ahead rule: a record is written (and awaited) BEFORE every L1 tx the watcher sends for
 * it, naming the tx it is about to send (`pending`). A crash between the send and the next write
 * can therefore never lose a game: on restart a record that says "opening" is resolved by looking
 * for our DisputeOpened on chain, and every other state is re-read from the chain anyway.
 */
import { Level } from "level";
import type { Hex } from "viem";
import type { SubmittedClaim } from "./follower.ts";

/** Where a claim stands for this watcher. */
export type GameStatus =
  /** Seen on L2, not re-executed yet. */
  | "checking"
  /** Re-executed: the claim matches our run. Nothing to do. */
  | "agreed"
  /** Re-executed: the claim is wrong; about to ensure a bond and open a dispute. */
  | "opening"
  /** Our dispute is running on L1. */
  | "playing"
  | "won"
  | "lost"
  /** Ended void: someone else's dispute invalidated the claim first; our bond came back. */
  | "void"
  /** Skipped (not sampled, model unknown, content unavailable, window passed): see `reason`. */
  | "skipped"
  /** Gave up on an error that retrying will not fix: see `reason`. */
  | "failed";

export const TERMINAL: ReadonlySet<GameStatus> = new Set([
  "agreed",
  "won",
  "lost",
  "void",
  "skipped",
  "failed",
]);

/** A claim as included on L2 (follower.ts SubmittedClaim) and what the watcher did with it. */
export interface GameRecord extends SubmittedClaim {
  /** EIP-712 digest of the claim in the Bridge's domain (the DisputeGame's claimKey). */
  claimKey: Hex;
  inputCid: Hex;
  /** A generation job's prompt, window and params (JSON form); the tokens are `generated`. */
  generation?: { prompt: number[]; window: number; params: unknown };
  status: GameStatus;
  /**
   * "trace": level 1 onwards; "output": level 0 (only outputRoot differs); "deferred":
   * openDeferred (a deferred claim whose outputRoot differs); "token": a generation claim whose
   * pass is right and whose tokens break a rule: openDispute, then the one-shot
   * GenerationRule.proveTokenRuleBroken (no game is played); "input": the job's input leaves its
   * model's declared range, so challengeInput wins at open (no game is played; the opening is
   * rebuilt from the input, never stored).
   */
  level?: "trace" | "output" | "deferred" | "token" | "input";
  /** Level 0: the graph output whose binding is disputed (absent: unnamed, challengeOutputs). */
  outputIndex?: number;
  disputeId?: string;
  /** The L1 tx this watcher was about to send when the record was written. */
  pending?: { kind: string; at: number };
  /** Moves sent, by kind. */
  moves?: Record<string, number>;
  reason?: string;
  updatedAt: number;
}

const GAME = "game/";
const CURSOR = "meta/cursor";

export class WatcherStore {
  readonly db: Level<string, string>;

  private constructor(db: Level<string, string>) {
    this.db = db;
  }

  static async open(path: string): Promise<WatcherStore> {
    const db = new Level<string, string>(path, { keyEncoding: "utf8", valueEncoding: "utf8" });
    await db.open();
    return new WatcherStore(db);
  }

  async get(claimKey: Hex): Promise<GameRecord | undefined> {
    const v = await this.db.get(GAME + claimKey.toLowerCase());
    return v === undefined ? undefined : (JSON.parse(v) as GameRecord);
  }

  /** Writes the record (durably: level's put resolves after the write hits the log). */
  async put(r: GameRecord): Promise<void> {
    await this.db.put(GAME + r.claimKey.toLowerCase(), JSON.stringify(r), { sync: true });
  }

  async all(): Promise<GameRecord[]> {
    const out: GameRecord[] = [];
    for await (const [, v] of this.db.iterator({ gte: GAME, lt: `${GAME}\xff` }))
      out.push(JSON.parse(v) as GameRecord);
    return out;
  }

  /** Records whose game is not over (what a restart resumes). */
  async unfinished(): Promise<GameRecord[]> {
    return (await this.all()).filter((r) => !TERMINAL.has(r.status));
  }

  /** The last L2 block whose claims are all recorded (-1: none yet). */
  async cursor(): Promise<number> {
    const v = await this.db.get(CURSOR);
    return v === undefined ? -1 : Number(v);
  }

  async setCursor(n: number): Promise<void> {
    await this.db.put(CURSOR, String(n), { sync: true });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
