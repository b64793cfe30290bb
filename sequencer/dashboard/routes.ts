/**
 * The dashboard: static page (index.html, app.js, style.css in this folder; no bundler, no
 * framework) at GET / and /dashboard, and the JSON routes it reads that the core API lacks:
 * recent blocks, recent jobs with their status, and disputes read from L1.
 *
 * Jobs are listed from an index of job ids in the order they were posted: built once from the
 * state, then kept up to date from the node's tx and block events, so a listing never scans the
 * whole state.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { SequencerNode } from "../node.ts";
import { keys } from "../state/records.ts";
import type { DisputeSource } from "./feed.ts";

export interface DashboardOptions {
  /** Disputes from L1; absent when the node has no L1 connection (the page says so). */
  disputes?: DisputeSource;
}

const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/dashboard/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

export const NO_L1 =
  "this sequencer has no L1 connection (start it with --l1-rpc): disputes live on L1 and cannot be read here";

/** viem's errors run to many lines (request body, docs link): the first says what failed. */
const firstLine = (e: unknown) =>
  ((e as { shortMessage?: string }).shortMessage ?? String((e as Error).message)).split("\n")[0];

const errorReply = { type: "object", properties: { error: { type: "string" } } } as const;
/** Records as the state serves them (docs/rollup.md), passed through whole. */
const anyObject = { type: "object", additionalProperties: true } as const;

const JOB_STATUSES = ["open", "claimed", "submitted", "disputed", "paid", "refunded"] as const;

/** Job ids in posted order. */
class JobIndex {
  private readonly ids: string[] = [];
  private readonly seen = new Set<string>();
  constructor(node: SequencerNode) {
    const found: { id: string; postedAt: number }[] = [];
    for (const [k, v] of node.chain.state.map)
      if (k.startsWith("job/"))
        found.push({ id: k.slice(4), postedAt: (v as { postedAt: number }).postedAt });
    const pend = node.chain.pending?.overlay.writes;
    if (pend)
      for (const [k, v] of pend)
        if (k.startsWith("job/") && !node.chain.state.map.has(k))
          found.push({ id: k.slice(4), postedAt: (v as { postedAt: number }).postedAt });
    found.sort((a, b) => a.postedAt - b.postedAt);
    for (const f of found) this.add(f.id);
    const fromEvents = (events: { kind: string; jobId?: unknown }[]) => {
      for (const e of events) if (e.kind === "JobPosted" && typeof e.jobId === "string") this.add(e.jobId);
    };
    node.on("tx", (t: { events: { kind: string; jobId?: unknown }[] }) => fromEvents(t.events));
    // system txs (L1 requests) and a follower's imported blocks come only as blocks
    node.on("block", (b: { receipts: { events: { kind: string; jobId?: unknown }[] }[] }) => {
      for (const r of b.receipts) fromEvents(r.events);
    });
  }
  private add(id: string): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.ids.push(id);
  }
  get size(): number {
    return this.ids.length;
  }
  /** Newest first. */
  *newest(): Generator<string> {
    for (let i = this.ids.length - 1; i >= 0; i--) yield this.ids[i];
  }
}

export async function registerDashboardRoutes(
  app: FastifyInstance,
  node: SequencerNode,
  opts: DashboardOptions = {},
): Promise<void> {
  const dir = import.meta.dirname;
  for (const [url, s] of Object.entries(STATIC)) {
    const body = readFileSync(join(dir, s.file));
    app.get(url, { schema: { hide: true } }, async (_req, reply) =>
      reply.header("content-type", s.type).header("cache-control", "no-cache").send(body),
    );
  }

  // Every open dashboard holds an event stream, i.e. a block and a tx listener on the node:
  // Node's default cap of 10 listeners would warn (as if leaking) from the 10th viewer on.
  if (node.getMaxListeners() < 1000) node.setMaxListeners(1000);
  const jobs = new JobIndex(node);
  const limitQuery = (max: number, dflt: number) =>
    ({
      type: "object",
      additionalProperties: false,
      properties: { limit: { type: "integer", minimum: 1, maximum: max, default: dflt } },
    }) as const;

  app.get(
    "/v1/blocks",
    {
      schema: {
        summary: "The newest blocks (headers and tx counts), newest first",
        querystring: limitQuery(100, 10),
        response: { 200: { type: "array", items: anyObject }, "4xx": errorReply },
      },
    },
    async (req) => {
      const { limit } = req.query as { limit: number };
      const head = node.chain.head.number;
      const out: unknown[] = [];
      for (let n = head; n >= 0 && out.length < limit; n--) {
        const b = await node.block(n);
        if (!b) break;
        out.push({ ...b.header, txCount: b.txs.length, txTypes: b.txs.map((t) => t.type) });
      }
      return out;
    },
  );

  app.get(
    "/v1/jobs",
    {
      schema: {
        summary: "The newest jobs with their status (pending block included), newest first",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            status: { type: "string", enum: [...JOB_STATUSES] },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["total", "challengeWindowMs", "jobs"],
            properties: {
              total: { type: "integer", description: "jobs ever posted" },
              challengeWindowMs: { type: "integer" },
              jobs: { type: "array", items: anyObject },
            },
          },
          "4xx": errorReply,
        },
      },
    },
    async (req) => {
      const { limit, status } = req.query as { limit: number; status?: string };
      const out: unknown[] = [];
      for (const id of jobs.newest()) {
        if (out.length >= limit) break;
        const j = node.record(keys.job(id)) as { status: string } | null;
        if (j && (!status || j.status === status)) out.push(j);
      }
      return {
        total: jobs.size,
        challengeWindowMs: node.opts.genesis.params.challengeWindowMs,
        jobs: out,
      };
    },
  );

  app.get(
    "/v1/disputes",
    {
      schema: {
        summary: "The newest disputes on L1 with the game's narrowing, newest first",
        querystring: limitQuery(100, 20),
        response: {
          200: {
            type: "object",
            required: ["l1", "game", "count", "disputes"],
            properties: {
              l1: { type: "boolean", description: "false: this node has no L1 connection (see note)" },
              note: { type: "string" },
              game: { type: ["string", "null"], description: "the DisputeGame the Bridge names" },
              count: { type: "integer", description: "disputes ever opened on that game" },
              disputes: { type: "array", items: anyObject },
            },
          },
          "4xx": errorReply,
          502: errorReply,
        },
      },
    },
    async (req, reply) => {
      const { limit } = req.query as { limit: number };
      if (!opts.disputes) return { l1: false, note: NO_L1, game: null, count: 0, disputes: [] };
      try {
        return { l1: true, ...(await opts.disputes.list(limit)) };
      } catch (e) {
        return reply.status(502).send({ error: `reading disputes from L1 failed: ${firstLine(e)}` });
      }
    },
  );

  app.get(
    "/v1/disputes/:id",
    {
      schema: {
        summary: "One dispute on L1: phase, narrowing level by level, winner, moves",
        response: { 200: anyObject, "4xx": errorReply, "5xx": errorReply },
        params: {
          type: "object",
          required: ["id"],
          properties: { id: { type: "string", pattern: "^[0-9]{1,20}$" } },
        },
      },
    },
    async (req, reply) => {
      if (!opts.disputes) return reply.status(503).send({ error: NO_L1 });
      const id = BigInt((req.params as { id: string }).id);
      let d: Awaited<ReturnType<DisputeSource["get"]>>;
      try {
        d = await opts.disputes.get(id);
      } catch (e) {
        return reply.status(502).send({ error: `reading dispute ${id} from L1 failed: ${firstLine(e)}` });
      }
      return d ?? reply.status(404).send({ error: `no dispute ${id} on L1` });
    },
  );
}
