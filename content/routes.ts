/**
 * HTTP access to a node's content store, for clients without libp2p (SDK, dashboard, curl):
 *
 *   POST /v1/content            raw body, at most maxUploadBytes -> { cid, size }; with content type
 *                               application/vnd.verdict.tensors the body must be a tensor file
 *                               (content/tensor-file.ts; a job's inputs), else 415
 * Uploads (here and /api/v0/add) count against a per-client quota of bytes per window
 * (content/upload-quota.ts): past it, 429 with Retry-After, checked against Content-Length before
 * the body is read.
 *   GET  /v1/content/:cid       the file's bytes, every block verified; fetched from peers when
 *                               the node does not hold it (?timeoutMs=, capped)
 *
 * and a minimal Kubo-RPC-compatible surface, so a Kubo client (kubo-rpc-client, the Kubo
 * backend in content/kubo.ts, `ipfs --api`) can use the node as its IPFS daemon:
 *
 *   POST /api/v0/add?cid-version=1[&raw-leaves=true][&chunker=size-262144][&only-hash=true]
 *        multipart body, one file -> ndjson { Name, Hash, Size }
 *   POST /api/v0/cat?arg=<cid>[&offset=][&length=]
 *   POST /api/v0/block/get?arg=<cid>[&offline=true]
 *
 * Anything the node cannot do exactly as Kubo would (CIDv0, other chunkers, trickle layout,
 * directories) is refused with Kubo's error shape, never approximated. Errors of /v1 routes are
 * { error } with a status per ContentError code.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { fileCid } from "../protocol/cid.ts";
import { parseCid } from "./blocks.ts";
import { HeliaContent } from "./helia.ts";
import { decodeTensorFile, TENSOR_CONTENT_TYPE } from "./tensor-file.ts";
import { ContentError, type ContentErrorCode, type ContentStore } from "./types.ts";
import { type UploadLimits, UploadQuota } from "./upload-quota.ts";

export interface ContentRouteOptions {
  /** Largest upload (POST /v1/content, /api/v0/add); default 256 MiB. */
  maxUploadBytes?: number;
  /** Largest file served; default 1 GiB. */
  maxServeBytes?: number;
  /** Default and largest fetch time for a file the node must get from peers; default 10 s / 60 s. */
  fetchTimeoutMs?: number;
  maxFetchTimeoutMs?: number;
  /** Bytes each client (IP) may upload per window; default 1 GiB per hour. */
  uploadLimits?: Partial<UploadLimits>;
  clock?: () => number;
  /** Hears each file stored by an upload (its CID): the upload log the garbage collector sweeps. */
  onUploaded?: (cid: string) => void;
}

export { TENSOR_CONTENT_TYPE };

const STATUS: Record<ContentErrorCode, number> = {
  "bad-cid": 400,
  tampered: 502,
  malformed: 502,
  "too-large": 413,
  timeout: 504,
  aborted: 499,
  "commitment-mismatch": 422,
  backend: 500,
};

export function contentErrorStatus(err: ContentError): number {
  return STATUS[err.code] ?? 500;
}

const CID_PARAM = { type: "string", minLength: 1, maxLength: 256 } as const;

export async function registerContentRoutes(
  app: FastifyInstance,
  store: ContentStore,
  opts: ContentRouteOptions = {},
): Promise<void> {
  const maxUpload = opts.maxUploadBytes ?? 256 * 1024 * 1024;
  const maxServe = opts.maxServeBytes ?? 1024 * 1024 * 1024;
  const fetchTimeout = opts.fetchTimeoutMs ?? 10_000;
  const maxFetchTimeout = opts.maxFetchTimeoutMs ?? 60_000;
  const timeoutOf = (q: { timeoutMs?: number }) => Math.min(q.timeoutMs ?? fetchTimeout, maxFetchTimeout);

  const quota = new UploadQuota(opts.uploadLimits, opts.clock);
  const overQuota = (reply: FastifyReply, a: { retryAfterMs: number; available: number }, kubo: boolean) => {
    const msg = `upload quota: ${a.available} of ${quota.limits.bytesPerWindow} bytes per ${quota.limits.windowMs / 1000} s left for this client; retry in ${Math.ceil(a.retryAfterMs / 1000)} s`;
    reply.header("retry-after", String(Math.ceil(a.retryAfterMs / 1000)));
    return kubo ? kuboError(reply, 429, msg) : reply.status(429).send({ error: msg, code: "quota" });
  };

  // Own encapsulated context: these routes take raw bodies; the rest of the API stays JSON-only.
  await app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxUpload }, (_req, body, done) =>
      done(null, body),
    );
    // refuse an upload over quota by its declared length, before its bytes are read
    sub.addHook("onRequest", async (req, reply) => {
      if (req.method !== "POST" || !(req.url.startsWith("/v1/content") || req.url.startsWith("/api/v0/add")))
        return;
      const declared = Number(req.headers["content-length"] ?? 0);
      const a = quota.check(req.ip, Number.isFinite(declared) ? declared : 0);
      if (!a.ok) return overQuota(reply, a, req.url.startsWith("/api/"));
    });

    const fail = (reply: FastifyReply, err: unknown) => {
      if (err instanceof ContentError)
        return reply.status(contentErrorStatus(err)).send({ error: err.message, code: err.code });
      throw err;
    };

    sub.post(
      "/v1/content",
      {
        bodyLimit: maxUpload,
        schema: {
          summary: "Add a file (raw body); returns { cid, size }, the CIDv1 `ipfs add --cid-version=1` gives",
        },
      },
      async (req, reply) => {
        // no body at all is the empty file
        const body = req.body ?? new Uint8Array(0);
        if (!(body instanceof Uint8Array))
          return reply.status(400).send({ error: "send the file as the raw request body" });
        if (
          String(req.headers["content-type"] ?? "")
            .split(";")[0]
            .trim() === TENSOR_CONTENT_TYPE
        )
          try {
            decodeTensorFile(body);
          } catch (err) {
            return reply
              .status(415)
              .send({ error: `not a tensor file: ${(err as Error).message}`, code: "not-tensors" });
          }
        const a = quota.take(req.ip, body.length);
        if (!a.ok) return overQuota(reply, a, false);
        try {
          const cid = await store.add(body);
          opts.onUploaded?.(cid);
          return { cid, size: body.length };
        } catch (err) {
          return fail(reply, err);
        }
      },
    );

    sub.get(
      "/v1/content/:cid",
      {
        schema: {
          summary: "A file by CID (string or 0x-hex binary), verified block by block",
          params: { type: "object", properties: { cid: CID_PARAM }, required: ["cid"] },
          querystring: {
            type: "object",
            properties: { timeoutMs: { type: "integer", minimum: 1 } },
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        const { cid } = req.params as { cid: string };
        try {
          const bytes = await store.get(cid, {
            timeoutMs: timeoutOf(req.query as { timeoutMs?: number }),
            maxBytes: maxServe,
          });
          return reply
            .header("content-type", "application/octet-stream")
            .header("cache-control", "public, max-age=31536000, immutable")
            .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        } catch (err) {
          return fail(reply, err);
        }
      },
    );

    registerKuboRpc(sub, store, {
      maxServe,
      timeoutOf,
      quota: (ip, n) => quota.take(ip, n),
      onUploaded: opts.onUploaded,
      overQuota,
    });
  });
}

/** Kubo's RPC error body: HTTP 500 (400 for bad arguments) with { Message, Code, Type }. */
function kuboError(reply: FastifyReply, status: number, message: string) {
  return reply.status(status).send({ Message: message, Code: 0, Type: "error" });
}

/** The first file part of a multipart/form-data body (what kubo-rpc-client's add sends). */
export function firstMultipartFile(body: Buffer, contentType: string): Uint8Array {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error("multipart body without a boundary");
  const boundary = Buffer.from(`--${(m[1] ?? m[2]).trim()}`);
  const start = body.indexOf(boundary);
  if (start < 0) throw new Error("multipart boundary not found");
  const headersEnd = body.indexOf("\r\n\r\n", start);
  if (headersEnd < 0) throw new Error("multipart part without headers");
  const headers = body.subarray(start + boundary.length, headersEnd).toString("latin1");
  if (/application\/x-directory/i.test(headers)) throw new Error("directories are not supported");
  const dataStart = headersEnd + 4;
  const end = body.indexOf(Buffer.concat([Buffer.from("\r\n"), boundary]), dataStart);
  if (end < 0) throw new Error("multipart part not terminated");
  return new Uint8Array(body.buffer, body.byteOffset + dataStart, end - dataStart);
}

function registerKuboRpc(
  app: FastifyInstance,
  store: ContentStore,
  o: {
    maxServe: number;
    timeoutOf: (q: { timeoutMs?: number }) => number;
    quota: (client: string, bytes: number) => ReturnType<UploadQuota["take"]>;
    onUploaded?: (cid: string) => void;
    overQuota: (
      reply: FastifyReply,
      a: { retryAfterMs: number; available: number },
      kubo: boolean,
    ) => unknown;
  },
) {
  const str = (q: unknown, k: string): string | undefined => {
    const v = (q as Record<string, unknown>)[k];
    return typeof v === "string" ? v : Array.isArray(v) ? String(v[0]) : undefined;
  };
  const flag = (q: unknown, k: string, dflt: boolean): boolean => {
    const v = str(q, k);
    return v === undefined ? dflt : v === "" || v === "true" || v === "1";
  };

  app.post("/api/v0/add", { schema: { hide: true } }, async (req, reply) => {
    const q = req.query;
    // Refuse what would give a different CID than Kubo's: only its CIDv1 defaults are served.
    const cidVersion = str(q, "cid-version") ?? "0";
    if (cidVersion !== "1")
      return kuboError(reply, 400, "this node adds files as CIDv1 only: pass cid-version=1");
    if (!flag(q, "raw-leaves", true)) return kuboError(reply, 400, "raw-leaves=false is not supported");
    const chunker = str(q, "chunker");
    if (chunker !== undefined && chunker !== "size-262144")
      return kuboError(reply, 400, `chunker ${chunker} is not supported (only size-262144)`);
    if (flag(q, "trickle", false)) return kuboError(reply, 400, "trickle layout is not supported");
    const hash = str(q, "hash");
    if (hash !== undefined && hash !== "sha2-256")
      return kuboError(reply, 400, `hash ${hash} is not supported`);
    if (flag(q, "wrap-with-directory", false) || flag(q, "inline", false))
      return kuboError(reply, 400, "wrap-with-directory and inline are not supported");
    const body = req.body;
    if (!(body instanceof Buffer)) return kuboError(reply, 400, "expected a multipart/form-data body");
    let file: Uint8Array;
    try {
      file = firstMultipartFile(body, String(req.headers["content-type"] ?? ""));
    } catch (err) {
      return kuboError(reply, 400, `add: ${(err as Error).message}`);
    }
    const onlyHash = flag(q, "only-hash", false);
    if (!onlyHash) {
      const a = o.quota(req.ip, file.length);
      if (!a.ok) return o.overQuota(reply, a, true);
    }
    const cid = onlyHash ? (await fileCid(file)).toString() : await store.add(file);
    if (!onlyHash) o.onUploaded?.(cid);
    // Kubo's Size is the cumulative DAG size; this node reports the file size.
    return reply
      .header("content-type", "application/json")
      .send(`${JSON.stringify({ Name: cid, Hash: cid, Size: String(file.length) })}\n`);
  });

  const arg = (q: unknown): string | undefined => str(q, "arg");

  app.post("/api/v0/cat", { schema: { hide: true } }, async (req, reply) => {
    const cid = arg(req.query);
    if (!cid) return kuboError(reply, 400, 'argument "ipfs-path" is required');
    const offset = Number(str(req.query, "offset") ?? 0);
    const length = str(req.query, "length");
    if (!Number.isSafeInteger(offset) || offset < 0) return kuboError(reply, 400, "bad offset");
    try {
      const bytes = await store.get(cid.replace(/^\/ipfs\//, ""), {
        timeoutMs: o.timeoutOf({}),
        maxBytes: o.maxServe,
      });
      const end = length === undefined ? bytes.length : Math.min(bytes.length, offset + Number(length));
      const slice = bytes.subarray(Math.min(offset, bytes.length), end);
      return reply
        .header("content-type", "text/plain")
        .send(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength));
    } catch (err) {
      return kuboError(
        reply,
        err instanceof ContentError && err.code === "bad-cid" ? 400 : 500,
        (err as Error).message,
      );
    }
  });

  app.post("/api/v0/block/get", { schema: { hide: true } }, async (req, reply) => {
    const cidStr = arg(req.query);
    if (!cidStr) return kuboError(reply, 400, 'argument "cid" is required');
    if (!(store instanceof HeliaContent)) return kuboError(reply, 500, "block/get needs a Helia-backed node");
    try {
      const cid = parseCid(cidStr);
      if (flag(req.query, "offline", false) && !(await store.blockstore.has(cid)))
        return kuboError(reply, 500, `block was not found locally (offline): ${cid}`);
      const bytes = await store.getBlock(cid, AbortSignal.timeout(o.timeoutOf({})));
      return reply
        .header("content-type", "text/plain")
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      return kuboError(
        reply,
        err instanceof ContentError && err.code === "bad-cid" ? 400 : 500,
        (err as Error).message,
      );
    }
  });
}
