/**
 * Garbage collection of uploads nobody needs. Policy (docs/content.md): a file uploaded through
 * the content API (POST /v1/content, Kubo's add) is deleted from the node's store once it is
 * older than the grace period (default 24 h: time enough to post the job that names it) and no
 * job (its inputCid), no claim (outputCid, traceCid) and no model registered on L1 (its cid)
 * in L2's state names it. A re-upload starts its grace period again. A block that a kept file
 * also uses is never deleted: files share blocks when they share a 256 KiB chunk.
 *
 * Only uploads are swept: blocks the node fetched from peers are a cache it does not account
 * here. The upload log (cid, time of the latest upload) is a JSON-lines file, so uploads made
 * before a restart are still swept.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { CID } from "multiformats/cid";

export interface Upload {
  cid: string;
  /** Time (ms) of the latest upload of this file. */
  at: number;
}

/** The policy, pure: the uploads older than `graceMs` at `now` that nothing references. */
export function expiredUnreferenced(
  uploads: Iterable<Upload>,
  referenced: ReadonlySet<string>,
  now: number,
  graceMs: number,
): string[] {
  const out: string[] = [];
  for (const u of uploads) if (now - u.at >= graceMs && !referenced.has(u.cid)) out.push(u.cid);
  return out;
}

/** When each file was last uploaded; persisted (append per upload, rewritten after a sweep) when given a path. */
export class UploadLog {
  readonly #uploads = new Map<string, number>();
  readonly #path: string | null;

  constructor(path: string | null = null) {
    this.#path = path;
    if (path && existsSync(path))
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (!line) continue;
        try {
          const u = JSON.parse(line) as Upload;
          if (typeof u.cid === "string" && Number.isFinite(u.at)) this.#uploads.set(u.cid, u.at);
        } catch {
          // a line cut by a crash mid-append: that upload is simply not swept
        }
      }
  }

  record(cid: string, at: number): void {
    this.#uploads.set(cid, at);
    if (this.#path) appendFileSync(this.#path, `${JSON.stringify({ cid, at })}\n`);
  }

  list(): Upload[] {
    return [...this.#uploads].map(([cid, at]) => ({ cid, at }));
  }

  forget(cids: Iterable<string>): void {
    for (const c of cids) this.#uploads.delete(c);
    if (!this.#path) return;
    const tmp = `${this.#path}.tmp`;
    writeFileSync(
      tmp,
      this.list()
        .map((u) => `${JSON.stringify(u)}\n`)
        .join(""),
    );
    renameSync(tmp, this.#path);
  }
}

/** What the sweeper needs of a content store (content/helia.ts implements it). */
export interface SweepableStore {
  localBlocks(cid: string): Promise<CID[]>;
  deleteBlocks(cids: Iterable<CID>): Promise<void>;
}

export interface SweepResult {
  /** Files deleted (CID strings). */
  deleted: string[];
  /** Blocks deleted (shared blocks of kept files stay). */
  blocks: number;
}

export interface ContentSweeperOptions {
  store: SweepableStore;
  log: UploadLog;
  /** CIDs (string form) that L2's state references now. */
  references: () => ReadonlySet<string>;
  graceMs: number;
  clock: () => number;
}

export class ContentSweeper {
  readonly #o: ContentSweeperOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<SweepResult> | null = null;

  constructor(o: ContentSweeperOptions) {
    if (!Number.isFinite(o.graceMs) || o.graceMs < 0)
      throw new RangeError(`graceMs must be >= 0, got ${o.graceMs}`);
    this.#o = o;
  }

  /** One sweep; a sweep already running is joined, not started twice. */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #sweep(): Promise<SweepResult> {
    const { store, log } = this.#o;
    const referenced = this.#o.references();
    const uploads = log.list();
    const garbage = expiredUnreferenced(uploads, referenced, this.#o.clock(), this.#o.graceMs);
    if (!garbage.length) return { deleted: [], blocks: 0 };
    const dead = new Set(garbage);
    // every block a kept file needs: uploads still in grace and referenced files held here
    const keep = new Set<string>();
    const kept = [...uploads.map((u) => u.cid).filter((c) => !dead.has(c)), ...referenced];
    for (const c of kept) for (const b of await store.localBlocks(c)) keep.add(b.toString());
    const doomed = new Map<string, CID>();
    for (const c of garbage)
      for (const b of await store.localBlocks(c)) if (!keep.has(b.toString())) doomed.set(b.toString(), b);
    await store.deleteBlocks(doomed.values());
    log.forget(garbage);
    return { deleted: garbage, blocks: doomed.size };
  }

  /** Sweeps every `intervalMs` until stop(); `onSwept` hears each result (or the error). */
  start(intervalMs: number, onSwept?: (r: SweepResult | Error) => void): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.sweep().then(
        (r) => onSwept?.(r),
        (e: Error) => onSwept?.(e),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
  }
}
