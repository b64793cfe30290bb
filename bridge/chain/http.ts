/**
 * The embedded chain as an HTTP JSON-RPC endpoint (fastify), so viem's http() transport, cast or a
 * browser wallet can connect. Single and batch requests; malformed input gets a JSON-RPC error
 * object, never an HTML page or a dropped connection.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { ChainError, RpcErrorCode } from "./errors.ts";
import type { ChainRpc } from "./rpc.ts";

export interface ChainHttpServer {
  url: string;
  port: number;
  server: FastifyInstance;
  close(): Promise<void>;
}

type Id = string | number | null;

interface RpcResponse {
  jsonrpc: "2.0";
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const MAX_BATCH = 1000;

function errorResponse(id: Id, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
}

async function handleOne(rpc: ChainRpc, req: unknown): Promise<RpcResponse> {
  if (typeof req !== "object" || req === null || Array.isArray(req)) {
    return errorResponse(null, RpcErrorCode.invalidRequest, "invalid request: expected a JSON-RPC object");
  }
  const r = req as { id?: unknown; method?: unknown; params?: unknown; jsonrpc?: unknown };
  const id: Id = typeof r.id === "string" || typeof r.id === "number" ? r.id : null;
  if (typeof r.method !== "string")
    return errorResponse(id, RpcErrorCode.invalidRequest, "invalid request: method must be a string");
  try {
    const result = await rpc.request(r.method, r.params);
    return { jsonrpc: "2.0", id, result: result ?? null };
  } catch (err) {
    if (err instanceof ChainError) return errorResponse(id, err.code, err.message, err.data);
    return errorResponse(id, RpcErrorCode.internal, `internal error: ${(err as Error).message}`);
  }
}

export async function serveChainHttp(
  rpc: ChainRpc,
  opts: { port?: number; host?: string } = {},
): Promise<ChainHttpServer> {
  const server = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  // Take the body raw so that a JSON syntax error becomes a JSON-RPC parse error.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  // Browser pages (the dashboard, a dapp) call the node cross-origin, as they do any dev node.
  server.addHook("onRequest", async (_request, reply) => {
    reply.header("access-control-allow-origin", "*");
    reply.header("access-control-allow-methods", "POST, GET, OPTIONS");
    reply.header("access-control-allow-headers", "content-type");
  });
  server.options("/", async (_request, reply) => reply.code(204).send());
  server.post("/", async (request, reply) => {
    let payload: unknown;
    try {
      payload = JSON.parse(String(request.body ?? ""));
    } catch {
      return reply.send(errorResponse(null, RpcErrorCode.parse, "parse error: body is not valid JSON"));
    }
    if (Array.isArray(payload)) {
      if (payload.length === 0)
        return reply.send(errorResponse(null, RpcErrorCode.invalidRequest, "empty batch"));
      if (payload.length > MAX_BATCH) {
        return reply.send(errorResponse(null, RpcErrorCode.invalidRequest, `batch larger than ${MAX_BATCH}`));
      }
      const out: RpcResponse[] = [];
      for (const item of payload) out.push(await handleOne(rpc, item));
      return reply.send(out);
    }
    return reply.send(await handleOne(rpc, payload));
  });
  server.get("/", async () => ({
    name: "verdict embedded L1",
    chainId: rpc.chain.chainId,
    rpc: "POST / (JSON-RPC 2.0)",
  }));
  const address = await server.listen({ port: opts.port ?? 8545, host: opts.host ?? "127.0.0.1" });
  const port = Number(new URL(address).port);
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}`,
    port,
    server,
    close: () => server.close(),
  };
}
