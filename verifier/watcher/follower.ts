/**
 * Follows L2 through the sequencer's HTTP API: reads blocks in order from a cursor
 * (GET /v1/blocks/:n) and hands every included submitResult to the caller. The SSE stream
 * (/v1/events) only wakes the reader up early; it reconnects on its own, and when it is down the
 * reader still polls every `pollMs`, so no block is ever skipped: the cursor, not the stream,
 * says what was read.
 */
import type { Hex } from "viem";
import type { ClaimMessage } from "../../bridge/bridge.ts";

/** A claim as included on L2. */
export interface SubmittedClaim {
  jobId: Hex;
  claim: ClaimMessage;
  signature: Hex;
  worker: Hex;
  l2Block: number;
  /** The block's timestamp (ms): the L2 challenge window runs from here. */
  submittedAt: number;
}

export interface L2Block {
  header: { number: number; timestamp: number };
  txs: Record<string, unknown>[];
  receipts: { txHash: Hex; events: { kind: string }[] }[];
}

export interface Job {
  id: Hex;
  status: string;
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
  submittedAt: number | null;
  [k: string]: unknown;
}

/** The submitResult txs of a block that the state machine accepted (ResultSubmitted emitted). */
export function claimsIn(block: L2Block): SubmittedClaim[] {
  const out: SubmittedClaim[] = [];
  block.txs.forEach((tx, i) => {
    if (tx.type !== "submitResult") return;
    if (!block.receipts[i]?.events.some((e) => e.kind === "ResultSubmitted")) return;
    const claim = tx.claim as ClaimMessage;
    out.push({
      jobId: claim.jobId,
      claim: { ...claim },
      signature: tx.claimSignature as Hex,
      worker: tx.from as Hex,
      l2Block: block.header.number,
      submittedAt: block.header.timestamp,
    });
  });
  return out;
}

/** Thin client of the sequencer API the watcher uses. */
export class SequencerClient {
  readonly url: string;
  constructor(url: string) {
    this.url = url.replace(/\/+$/, "");
  }

  private async getJson(path: string): Promise<unknown | null> {
    const res = await fetch(this.url + path, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  async head(): Promise<number> {
    const h = (await this.getJson("/health")) as { head: number } | null;
    if (!h || typeof h.head !== "number") throw new Error("sequencer /health has no head");
    return h.head;
  }

  async block(n: number): Promise<L2Block | null> {
    return (await this.getJson(`/v1/blocks/${n}`)) as L2Block | null;
  }

  async job(id: Hex): Promise<Job | null> {
    return (await this.getJson(`/v1/jobs/${id.toLowerCase()}`)) as Job | null;
  }
}

export interface FollowerOptions {
  /** Poll interval when no event arrives. */
  pollMs?: number;
  /** Delay before reconnecting the event stream. */
  reconnectMs?: number;
  onError?: (err: Error, where: string) => void;
}

/**
 * Reads blocks after `cursor` as they appear and calls `onBlock` for each, in order; `onBlock`
 * must persist what it needs (and the cursor) before it resolves. Stop with `stop()`.
 */
export class L2Follower {
  private readonly api: SequencerClient;
  private readonly opts: Required<Omit<FollowerOptions, "onError">> & Pick<FollowerOptions, "onError">;
  private stopped = false;
  private wake: (() => void) | null = null;
  private sse: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(api: SequencerClient, opts: FollowerOptions = {}) {
    this.api = api;
    this.opts = { pollMs: opts.pollMs ?? 1000, reconnectMs: opts.reconnectMs ?? 1000, onError: opts.onError };
  }

  start(cursor: number, onBlock: (b: L2Block) => Promise<void>): void {
    this.loop = this.read(cursor, onBlock);
    void this.stream();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async read(cursor: number, onBlock: (b: L2Block) => Promise<void>): Promise<void> {
    let next = cursor + 1;
    while (!this.stopped) {
      try {
        const head = await this.api.head();
        while (!this.stopped && next <= head) {
          const b = await this.api.block(next);
          if (!b) throw new Error(`block ${next} is missing though head is ${head}`);
          await onBlock(b);
          next++;
        }
      } catch (e) {
        this.opts.onError?.(e as Error, "l2 read");
      }
      if (!this.stopped) await this.sleep(this.opts.pollMs);
    }
  }

  /** The event stream: any block event wakes the reader. Reconnects until stopped. */
  private async stream(): Promise<void> {
    while (!this.stopped) {
      this.sse = new AbortController();
      try {
        const res = await fetch(`${this.api.url}/v1/events`, { signal: this.sse.signal });
        if (!res.ok || !res.body) throw new Error(`/v1/events: HTTP ${res.status}`);
        const decoder = new TextDecoder();
        for await (const chunk of res.body) {
          if (decoder.decode(chunk as Uint8Array, { stream: true }).includes("event: block")) this.wake?.();
        }
      } catch (e) {
        if (!this.stopped) this.opts.onError?.(e as Error, "l2 events");
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.opts.reconnectMs));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sse?.abort();
    this.wake?.();
    await this.loop;
  }
}
