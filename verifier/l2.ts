/**
 * The agents' side of the sequencer API (docs/rollup.md section 6), one client for the worker
 * and the watcher: job and block reads and the block event stream (`GET /v1/events`,
 * reconnecting) that wakes a reader of blocks in order by number, so a dropped stream or a
 * restart never skips a block (the cursor is the next block to read); and, for the worker,
 * signed txs sent one at a time with the account's next nonce.
 */
import { l2Domain } from "../protocol/eip712.ts";
import type { Address } from "../protocol/secp256k1.ts";
import { encodeTx, type Hex, signTx, type UnsignedUserTx } from "../protocol/tx.ts";
import type { L2JobJson } from "../sdk/outcome.ts";
import type { ClaimInclusion } from "../sequencer/batch-claims.ts";
import type { Block, Receipt } from "../sequencer/block.ts";

/** A GET that hangs longer than this fails (the caller retries on its own schedule). */
const GET_TIMEOUT_MS = 10_000;

/** A refusal from the sequencer: `status` is the HTTP status, `message` its reason. */
export class L2Error extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "L2Error";
    this.status = status;
  }
}

/** A job as GET /v1/jobs/:id returns it (the one wire type, sdk/outcome.ts). */
export type L2Job = L2JobJson;

/** A block as GET /v1/blocks/:n returns it (the sequencer's own type, sequencer/block.ts). */
export type L2Block = Block;

export type L2Receipt = Receipt;

/** Distributes the Omit over the union so each tx type keeps its own fields. */
type WithoutSender<T> = T extends unknown ? Omit<T, "from" | "nonce" | "fee"> : never;
export type WorkerTxBody = WithoutSender<UnsignedUserTx>;

/** Reads from the sequencer API (jobs, blocks, head, the block event stream): what a watcher needs. */
export class SequencerReader {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, "");
  }

  protected async getJson<T>(path: string): Promise<T | null> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(GET_TIMEOUT_MS) });
    if (res.status === 404) return null;
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw new L2Error(res.status, body.error ?? `GET ${path}: HTTP ${res.status}`);
    return body;
  }

  async health(): Promise<{ head: number }> {
    const h = await this.getJson<{ head: number }>("/health");
    if (!h || typeof h.head !== "number") throw new L2Error(404, "sequencer /health has no head");
    return h;
  }

  async head(): Promise<number> {
    return (await this.health()).head;
  }

  job(id: string): Promise<L2Job | null> {
    return this.getJson<L2Job>(`/v1/jobs/${id.toLowerCase()}`);
  }

  block(n: number): Promise<L2Block | null> {
    return this.getJson<L2Block>(`/v1/blocks/${n}`);
  }

  /** Where claim `claimKey` was committed on L1, with its proof (null: in no recorded batch yet). */
  claimInclusion(claimKey: string): Promise<ClaimInclusion | null> {
    return this.getJson<ClaimInclusion>(`/v1/claims/${claimKey.toLowerCase()}/proof`);
  }

  /**
   * Calls `onWake` whenever the sequencer announces a block (SSE), until `signal` aborts;
   * reconnects after `retryMs` when the stream fails or ends. The caller reads blocks by number
   * on every wake-up (and on its own timer), so a missed event costs latency, never a block.
   */
  async watchBlocks(
    onWake: () => void,
    signal: AbortSignal,
    retryMs = 1000,
    onError?: (err: Error) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(`${this.url}/v1/events`, { signal });
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        onWake(); // (re)connected: catch up on whatever was missed
        while (true) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i = buf.indexOf("\n\n");
          while (i >= 0) {
            if (buf.slice(0, i).startsWith("event: block")) onWake();
            buf = buf.slice(i + 2);
            i = buf.indexOf("\n\n");
          }
        }
      } catch (e) {
        // stream down: fall through to the retry wait
        if (!signal.aborted) onError?.(e as Error);
      }
      if (signal.aborted) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, retryMs);
        signal.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            r();
          },
          { once: true },
        );
      });
    }
  }
}

/** The reader plus signed txs from one account (the worker's), sent one at a time. */
export class SequencerClient extends SequencerReader {
  private readonly key: Uint8Array;
  readonly address: Address;
  private readonly domain: ReturnType<typeof l2Domain>;
  private readonly fee: bigint;
  /** Txs go out one after another: each takes the nonce the previous one left. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: { url: string; key: Uint8Array; address: Address; l2ChainId: bigint; fee?: bigint }) {
    super(opts.url);
    this.key = opts.key;
    this.address = opts.address.toLowerCase() as Address;
    this.domain = l2Domain(opts.l2ChainId);
    this.fee = opts.fee ?? 0n;
  }

  async nonce(): Promise<number> {
    const a = await this.getJson<{ nonce: number }>(`/v1/accounts/${this.address}`);
    return a?.nonce ?? 0;
  }

  /**
   * Signs and sends one tx from the worker's account; resolves with its hash once the sequencer
   * acknowledged it (durable, executed into the pending block), rejects with L2Error otherwise.
   */
  send(body: WorkerTxBody): Promise<Hex> {
    const run = async (): Promise<Hex> => {
      const nonce = await this.nonce();
      const tx = signTx(
        { ...body, from: this.address, nonce, fee: this.fee } as UnsignedUserTx,
        this.key,
        this.domain,
      );
      const res = await fetch(`${this.url}/v1/txs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeTx(tx)),
      });
      const r = (await res.json().catch(() => ({}))) as { txHash?: Hex; error?: string };
      if (res.status !== 202 || !r.txHash)
        throw new L2Error(res.status, r.error ?? `POST /v1/txs: HTTP ${res.status}`);
      return r.txHash;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }
}
