/**
 * HTTP API of a sequencer node (fastify). Every refusal is JSON `{ "error": "<reason>" }` with a
 * fitting status: 400 malformed (schema, JSON, field), 401 bad signature, 404 unknown, 409
 * duplicate, 413 body too large, 415 not JSON, 422 rule broken (nonce, balance, job state),
 * 429 rate limited, 503 not accepting. JSON nested deeper than any tx (sequencer/json-body.ts) is a
 * 400 before it is parsed.
 */
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance } from "fastify";
import { type ContentRouteOptions, registerContentRoutes } from "../content/routes.ts";
import type { ContentStore } from "../content/types.ts";
import { USER_TX_TYPES } from "../protocol/tx.ts";
import type { Batcher } from "./batch.ts";
import type { DisputeSource } from "./dashboard/feed.ts";
import { registerDashboardRoutes } from "./dashboard/routes.ts";
import type { FollowerStatus } from "./follower-status.ts";
import { boundJsonNesting } from "./json-body.ts";
import type { SequencerMetrics } from "./metrics.ts";
import { type SequencerNode, SubmitError } from "./node.ts";
import type { WorkerAdvert } from "./p2p.ts";
import { keys } from "./state/records.ts";

export interface ApiOptions {
  /** Bytes; a single tx is far below 16 KiB. Batches get batchBodyLimit. */
  bodyLimit?: number;
  batchBodyLimit?: number;
  maxBatch?: number;
  /** Requests per second per client IP (token bucket, burst = 2x). 0 disables. */
  rateLimit?: number;
  logger?: boolean | object;
  /** Serves withdrawal proofs against posted batches when the node posts batches. */
  batcher?: Batcher;
  /** Worker adverts received over gossip (sequencer/p2p.ts). */
  adverts?: Map<string, WorkerAdvert>;
  /** The node's content store: POST/GET /v1/content and the Kubo-RPC subset (content/routes.ts). */
  content?: ContentStore;
  contentRoutes?: ContentRouteOptions;
  /** Disputes read from L1 for the dashboard routes; absent when the node has no L1. */
  disputes?: DisputeSource;
  /** Most bytes an /v1/events client may leave unread before it is dropped. Default 1 MiB. */
  eventBufferBytes?: number;
  /** Follower: whether it is in step with its leader (/health, /metrics). */
  follower?: FollowerStatus;
}

const hex = (bytes: number) => ({ type: "string", pattern: `^0x[0-9a-fA-F]{${bytes * 2}}$` });
const txBody = {
  type: "object",
  required: ["type"],
  maxProperties: 16,
  // no `type: "string"` here: with it, fastify's validator coerces ["transfer"] to "transfer";
  // an enum of strings alone refuses anything but one of them
  properties: { type: { enum: [...USER_TX_TYPES] } },
  additionalProperties: true,
  description: "An EIP-712 signed tx; fields per type are listed in docs/rollup.md",
} as const;
const errorReply = { type: "object", properties: { error: { type: "string" } } } as const;
/** What an accepted tx got (sequencer/node.ts SubmitReply). */
const submitFields = {
  txHash: hex(32),
  queued: { type: "boolean", description: "waits for an earlier nonce (nextNonce) before it runs" },
  nextNonce: { type: "integer" },
  forwarded: { type: "boolean", description: "a follower passed it on to the sequencer" },
} as const;

class TokenBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private readonly rate: number;
  constructor(rate: number) {
    this.rate = rate;
  }
  take(id: string, now: number): boolean {
    let b = this.buckets.get(id);
    if (!b) {
      if (this.buckets.size > 10_000) this.buckets.clear();
      b = { tokens: this.rate * 2, at: now };
      this.buckets.set(id, b);
    }
    b.tokens = Math.min(this.rate * 2, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export async function buildApi(
  node: SequencerNode,
  metrics: SequencerMetrics,
  opts: ApiOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 16 * 1024 });
  // JSON only: anything else is a 415 that says so.
  app.removeContentTypeParser("text/plain");
  boundJsonNesting(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Verdict sequencer",
        version: "1",
        description: "L2 app-rollup node: txs, blocks, jobs, proofs",
      },
    },
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) app.log.error(err);
    reply.status(status).send({ error: status >= 500 ? `internal error: ${err.message}` : err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: `no route ${req.method} ${req.url}` });
  });

  const limiter = opts.rateLimit ? new TokenBuckets(opts.rateLimit) : null;
  if (limiter)
    app.addHook("onRequest", async (req, reply) => {
      if (!limiter.take(req.ip, Date.now())) {
        metrics.txRejected.inc({ status: "429" });
        return reply
          .status(429)
          .send({ error: `rate limit: at most ${opts.rateLimit} requests per second per client` });
      }
    });

  const submitOne = async (body: unknown) => {
    const t0 = performance.now();
    try {
      const r = await node.submit(body);
      metrics.txAccepted.inc({ type: (body as { type: string }).type });
      metrics.ackSeconds.observe((performance.now() - t0) / 1000);
      return r;
    } catch (e) {
      if (e instanceof SubmitError) metrics.txRejected.inc({ status: String(e.status) });
      throw e;
    }
  };

  app.post(
    "/v1/txs",
    {
      schema: {
        summary: "Submit one signed tx; answers once it is durable (executed into the pending block)",
        body: txBody,
        response: { 202: { type: "object", properties: submitFields }, "4xx": errorReply },
      },
    },
    async (req, reply) => {
      try {
        const r = await submitOne(req.body);
        return reply.status(202).send(r);
      } catch (e) {
        if (e instanceof SubmitError) return reply.status(e.status).send({ error: e.message });
        throw e;
      }
    },
  );

  const maxBatch = opts.maxBatch ?? 1000;
  app.post(
    "/v1/txs/batch",
    {
      bodyLimit: opts.batchBodyLimit ?? 4 * 1024 * 1024,
      schema: {
        summary: "Submit up to maxBatch txs in order; one result per tx",
        body: { type: "array", maxItems: maxBatch, items: txBody },
        response: {
          200: {
            type: "array",
            items: {
              type: "object",
              properties: { ...submitFields, error: { type: "string" }, status: { type: "integer" } },
            },
          },
          "4xx": errorReply,
        },
      },
    },
    async (req) => {
      const body = req.body as unknown[];
      return Promise.all(
        body.map((tx) =>
          submitOne(tx).catch((e) => {
            if (e instanceof SubmitError) return { error: e.message, status: e.status };
            throw e;
          }),
        ),
      );
    },
  );

  const hashParam = { type: "object", required: ["hash"], properties: { hash: hex(32) } } as const;
  app.get(
    "/v1/txs/:hash",
    { schema: { summary: "A tx and whether it is pending or included", params: hashParam } },
    async (req, reply) => {
      const r = await node.tx((req.params as { hash: string }).hash.toLowerCase());
      return r ?? reply.status(404).send({ error: "unknown tx" });
    },
  );
  app.get(
    "/v1/receipts/:hash",
    { schema: { summary: "Receipt of a tx", params: hashParam } },
    async (req, reply) => {
      const r = await node.receipt((req.params as { hash: string }).hash.toLowerCase());
      return r ?? reply.status(404).send({ error: "unknown tx" });
    },
  );
  app.get(
    "/v1/blocks/:id",
    {
      schema: {
        summary: "A block by number, or 'latest'",
        params: { type: "object", properties: { id: { type: "string", pattern: "^(latest|[0-9]{1,15})$" } } },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const n = id === "latest" ? node.chain.head.number : Number(id);
      const b = await node.block(n);
      return b ?? reply.status(404).send({ error: `no block ${n}; head is ${node.chain.head.number}` });
    },
  );
  app.get(
    "/v1/jobs/:id",
    {
      schema: {
        summary: "A job (latest state, pending block included)",
        params: { type: "object", properties: { id: hex(32) } },
      },
    },
    async (req, reply) => {
      const j = node.record(keys.job((req.params as { id: string }).id.toLowerCase()));
      return j ?? reply.status(404).send({ error: "unknown job" });
    },
  );
  app.get(
    "/v1/models/:id",
    {
      schema: {
        summary: "A model L2 has seen registered on L1 (postJob is refused for any other)",
        params: { type: "object", properties: { id: hex(32) } },
      },
    },
    async (req, reply) => {
      const m = node.record(keys.model((req.params as { id: string }).id.toLowerCase()));
      return m ?? reply.status(404).send({ error: "model not registered on L1 (or not derived yet)" });
    },
  );
  app.get(
    "/v1/accounts/:address",
    {
      schema: {
        summary: "Balance and next nonce",
        params: { type: "object", properties: { address: hex(20) } },
      },
    },
    async (req) => {
      return (
        node.record(keys.account((req.params as { address: string }).address.toLowerCase())) ?? {
          balance: "0",
          nonce: 0,
        }
      );
    },
  );
  app.get(
    "/v1/withdrawals/:hash/proof",
    {
      schema: {
        summary: "Proof for Bridge.proveWithdrawal: the withdrawal made by L2 tx :hash in its posted batch",
        params: hashParam,
      },
    },
    async (req, reply) => {
      if (!opts.batcher) return reply.status(404).send({ error: "this node does not post batches" });
      const r = await opts.batcher.withdrawalProof((req.params as { hash: string }).hash.toLowerCase());
      return "error" in r ? reply.status(404).send(r) : r;
    },
  );
  app.get(
    "/v1/results/:requestId/proof",
    {
      schema: {
        summary:
          "Proof for Bridge.deliverResult: the result of L1 inference request :requestId in its posted batch",
        params: {
          type: "object",
          required: ["requestId"],
          properties: { requestId: { type: "string", pattern: "^(0|[1-9][0-9]{0,77})$" } },
        },
      },
    },
    async (req, reply) => {
      if (!opts.batcher) return reply.status(404).send({ error: "this node does not post batches" });
      const r = await opts.batcher.resultProof((req.params as { requestId: string }).requestId);
      return "error" in r ? reply.status(404).send(r) : r;
    },
  );
  app.get("/v1/workers", { schema: { summary: "Registered workers" } }, async () => node.workers());
  app.get(
    "/v1/workers/adverts",
    { schema: { summary: "Latest worker advert per worker, from gossip" } },
    async () => [...(opts.adverts?.values() ?? [])],
  );
  app.get(
    "/v1/proofs",
    {
      schema: {
        summary: "Merkle proof of a state key (e.g. acct/0x..., job/0x...) against the head state root",
        querystring: {
          type: "object",
          required: ["key"],
          properties: { key: { type: "string", maxLength: 200 } },
        },
      },
    },
    async (req) => node.proof((req.query as { key: string }).key),
  );

  const eventBuffer = opts.eventBufferBytes ?? 1024 * 1024;
  let eventClients = 0;
  // what each open stream holds unsent (its socket's queue plus tx events not yet joined), read
  // at scrape time: the number the drop rule bounds, without the noise of the heap
  const eventUnsent = new Set<() => number>();
  app.get(
    "/v1/events",
    {
      schema: {
        summary:
          "Server-sent events: block, tx, queued, dropped. A client that does not keep up (more than the buffer unsent) is disconnected",
      },
    },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      eventClients++;
      metrics.eventClients.set(eventClients);
      let open = true;
      let drainedAt = Date.now();
      res.on("drain", () => {
        drainedAt = Date.now();
      });
      // Bytes the client has not taken yet stay in this process. A client more than the bound
      // behind that has not caught up (drained) for a second, or more than 8 times the bound
      // behind at all, is dropped (it may reconnect and read the chain from /v1/blocks): one that
      // never reads costs at most that, and nothing once it is gone. A reader that keeps up
      // rides out a burst (a 1,000-tx batch is ~300 KB of events at once).
      let recheck: NodeJS.Timeout | null = null;
      const unsent = () => res.writableLength + txText.length;
      eventUnsent.add(unsent);
      const judge = () => {
        if (!open) return;
        const behind = res.writableLength;
        if (behind > 8 * eventBuffer || (behind > eventBuffer && Date.now() - drainedAt >= 1000)) {
          metrics.eventClientsDropped.inc();
          close();
          res.destroy();
        } else if (behind > eventBuffer && !recheck)
          // no more events may come to judge it by: look again when its second is up
          recheck = setTimeout(() => {
            recheck = null;
            judge();
          }, 1000);
      };
      const send = (text: string) => {
        if (!open) return;
        if (res.write(text)) drainedAt = Date.now();
        judge();
      };
      send(`: head ${node.chain.head.number}\n\n`);
      // tx events are joined into one write per event-loop turn, not one per tx: thousands of
      // events per second otherwise cost a stream chunk (and a syscall) each
      let txText = "";
      const flushTxs = () => {
        if (txText === "") return;
        const out = txText;
        txText = "";
        send(out);
      };
      const onBlock = (b: { header: unknown; receipts: { txHash: string }[] }) => {
        flushTxs(); // keep the order in which the node emitted them
        send(
          `event: block\ndata: ${JSON.stringify({ header: b.header, txCount: b.receipts.length, txHashes: b.receipts.map((r) => r.txHash) })}\n\n`,
        );
      };
      const onTx = (t: unknown) => {
        if (txText === "") setImmediate(flushTxs);
        txText += `event: tx\ndata: ${JSON.stringify(t)}\n\n`;
        if (txText.length > eventBuffer) flushTxs();
      };
      // queued txs (nonce ahead) and queued txs dropped, with the reason
      const onQueue = (name: string) => (t: unknown) => {
        flushTxs();
        send(`event: ${name}\ndata: ${JSON.stringify(t)}\n\n`);
      };
      const onQueued = onQueue("queued");
      const onDropped = onQueue("dropped");
      node.on("block", onBlock);
      node.on("tx", onTx);
      node.on("queued", onQueued);
      node.on("dropped", onDropped);
      function close(): void {
        if (!open) return;
        open = false;
        txText = "";
        eventUnsent.delete(unsent);
        if (recheck) clearTimeout(recheck);
        eventClients--;
        metrics.eventClients.set(eventClients);
        node.off("block", onBlock);
        node.off("tx", onTx);
        node.off("queued", onQueued);
        node.off("dropped", onDropped);
      }
      // the response's close: the connection went away (the request's fires once it is read)
      res.on("close", close);
      req.raw.on("close", () => {
        if (res.destroyed) close();
      });
    },
  );

  // A follower out of step with its leader says ok: false with the reason (status stays 200: the
  // agents read the head from /health of whichever node they use).
  app.get(
    "/health",
    { schema: { summary: "Liveness and head; a follower: whether it keeps up" } },
    async (_req, reply) => {
      const f = opts.follower?.report(node.chain.head.number);
      return reply.send({
        ok: f ? f.ok : true,
        role: node.isLeader ? "sequencer" : "follower",
        head: node.chain.head.number,
        stateRoot: node.chain.head.stateRoot,
        pendingTxs: node.chain.pending?.txs.length ?? 0,
        queuedTxs: node.queuedCount,
        ...(f ? { follower: f } : {}),
      });
    },
  );
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    metrics.head.set(node.chain.head.number);
    let unsentBytes = 0;
    for (const unsent of eventUnsent) unsentBytes += unsent();
    metrics.eventUnsentBytes.set(unsentBytes);
    const f = opts.follower?.report(node.chain.head.number);
    if (f) {
      metrics.followerLag.set(f.lag ?? -1);
      metrics.followerSinceLeader.set(f.sinceLeaderMs === null ? -1 : f.sinceLeaderMs / 1000);
      metrics.followerHealthy.set(f.ok ? 1 : 0);
    }
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  if (opts.content) await registerContentRoutes(app, opts.content, opts.contentRoutes);
  // GET / and /dashboard, and the JSON routes the page reads (blocks, jobs, disputes)
  await registerDashboardRoutes(app, node, { disputes: opts.disputes });
  node.on("block", (b: { receipts: unknown[] }) => {
    metrics.blocks.inc();
    metrics.blockTxs.observe(b.receipts.length);
  });
  return app;
}
