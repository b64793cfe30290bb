/**
 * One network fetch per block, shared by every caller that wants it.
 *
 * Why: @helia/bitswap 4 keeps one want-list entry per CID. When a want is aborted it marks the
 * entry cancelled and removes it ~10 ms later (debounced); a want for the same CID in between
 * reuses the cancelled entry, which is never sent, so the fetch hangs until its deadline. The
 * same shared entry means one caller's short timeout cancels a concurrent caller's want. So:
 *   - concurrent callers of one CID share one fetch; a caller giving up only detaches;
 *   - the fetch outlives its last caller by `graceMs` (a retry re-attaches to it);
 *   - after a fetch is aborted, a new fetch of that CID waits `cooldownMs` (> the debounce).
 * At most `maxEntries` fetches are kept alive without callers; beyond that they end at once.
 */

export interface InflightOptions {
  graceMs?: number;
  cooldownMs?: number;
  maxEntries?: number;
}

interface Entry<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
  grace: NodeJS.Timeout | null;
  /** set once the fetch was aborted: new callers wait until this resolves, then start over */
  coolingUntil: Promise<void> | null;
}

export class Inflight<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #graceMs: number;
  readonly #cooldownMs: number;
  readonly #maxEntries: number;

  constructor(opts: InflightOptions = {}) {
    this.#graceMs = opts.graceMs ?? 15_000;
    this.#cooldownMs = opts.cooldownMs ?? 100;
    this.#maxEntries = opts.maxEntries ?? 1024;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Runs (or joins) `fetch` for `key`; rejects with the caller's signal reason when it aborts. */
  async run(key: string, fetch: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    for (;;) {
      signal.throwIfAborted();
      const e = this.#entries.get(key);
      if (e?.coolingUntil) {
        await raceAbort(e.coolingUntil, signal);
        continue;
      }
      const entry = e ?? this.#start(key, fetch);
      return this.#wait(key, entry, signal);
    }
  }

  #start(key: string, fetch: (signal: AbortSignal) => Promise<T>): Entry<T> {
    const controller = new AbortController();
    const entry: Entry<T> = {
      promise: Promise.resolve().then(() => fetch(controller.signal)),
      controller,
      waiters: 0,
      grace: null,
      coolingUntil: null,
    };
    this.#entries.set(key, entry);
    entry.promise.then(
      () => this.#drop(key, entry),
      () => {
        if (!controller.signal.aborted) return this.#drop(key, entry);
        entry.coolingUntil = new Promise<void>((r) => setTimeout(r, this.#cooldownMs).unref());
        entry.coolingUntil.then(() => this.#drop(key, entry));
      },
    );
    return entry;
  }

  #drop(key: string, entry: Entry<T>) {
    if (entry.grace) clearTimeout(entry.grace);
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  async #wait(key: string, entry: Entry<T>, signal: AbortSignal): Promise<T> {
    entry.waiters++;
    if (entry.grace) {
      clearTimeout(entry.grace);
      entry.grace = null;
    }
    try {
      return await raceAbort(entry.promise, signal);
    } finally {
      entry.waiters--;
      if (entry.waiters === 0 && this.#entries.get(key) === entry && !entry.coolingUntil) {
        const idle = [...this.#entries.values()].filter((x) => x.waiters === 0).length;
        if (idle > this.#maxEntries) entry.controller.abort();
        else {
          entry.grace = setTimeout(() => entry.controller.abort(), this.#graceMs);
          entry.grace.unref();
        }
      }
    }
  }

  /** Aborts every fetch (on close). */
  clear(): void {
    for (const e of this.#entries.values()) {
      if (e.grace) clearTimeout(e.grace);
      e.controller.abort();
    }
    this.#entries.clear();
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
