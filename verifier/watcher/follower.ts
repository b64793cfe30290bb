/**
 * Follows L2 through the sequencer's HTTP API: reads blocks in order from a cursor
 * (GET /v1/blocks/:n) and hands every included submitResult and submitGeneration to the caller. The SSE stream
 * (/v1/events) only wakes the reader up early; it reconnects on its own, and when it is down the
 * reader still polls every `pollMs`, so no block is ever skipped: the cursor, not the stream,
 * says what was read.
 */
import type { Hex } from "viem";
import type { ClaimMessage } from "../../bridge/bridge.ts";
import type { L2Block, L2Receipt, SequencerReader } from "../l2.ts";

/** A claim as included on L2. */
export interface SubmittedClaim {
  jobId: Hex;
  claim: ClaimMessage;
  signature: Hex;
  worker: Hex;
  l2Block: number;
  /** The block's timestamp (ms): the L2 challenge window runs from here. */
  submittedAt: number;
  /** A generation claim's generated tokens (submitGeneration); absent for submitResult. */
  generated?: number[];
}

/** The part of an L2 block (verifier/l2.ts L2Block) that claimsIn reads. */
export interface BlockClaims {
  header: Pick<L2Block["header"], "number" | "timestamp">;
  txs: L2Block["txs"];
  receipts: Pick<L2Receipt, "txHash" | "events">[];
}

/** The submitResult / submitGeneration txs of a block that the state machine accepted (ResultSubmitted emitted). */
export function claimsIn(block: BlockClaims): SubmittedClaim[] {
  const out: SubmittedClaim[] = [];
  block.txs.forEach((tx, i) => {
    if (tx.type !== "submitResult" && tx.type !== "submitGeneration") return;
    if (!block.receipts[i]?.events.some((e) => e.kind === "ResultSubmitted")) return;
    const claim = tx.claim as ClaimMessage;
    out.push({
      jobId: claim.jobId,
      claim: { ...claim },
      signature: tx.claimSignature as Hex,
      worker: tx.from as Hex,
      l2Block: block.header.number,
      submittedAt: block.header.timestamp,
      ...(tx.type === "submitGeneration" ? { generated: [...(tx.generated as number[])] } : {}),
    });
  });
  return out;
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
  private readonly api: SequencerReader;
  private readonly opts: Required<Omit<FollowerOptions, "onError">> & Pick<FollowerOptions, "onError">;
  private stopped = false;
  private wake: (() => void) | null = null;
  private sse: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(api: SequencerReader, opts: FollowerOptions = {}) {
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
    this.sse = new AbortController();
    await this.api.watchBlocks(
      () => this.wake?.(),
      this.sse.signal,
      this.opts.reconnectMs,
      (e) => this.opts.onError?.(e, "l2 events"),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sse?.abort();
    this.wake?.();
    await this.loop;
  }
}
