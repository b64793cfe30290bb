/** Start a sequencer (or follower) process: node + HTTP API + p2p, from a resolved config. */
import { mkdirSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildApi } from "./api.ts";
import { resolveGenesis, type SequencerConfig } from "./config.ts";
import type { L1Source } from "./l1.ts";
import { createMetrics } from "./metrics.ts";
import { SequencerNode } from "./node.ts";
import { type P2p, startP2p } from "./p2p.ts";

export interface Running {
  node: SequencerNode;
  app: FastifyInstance;
  url: string;
  p2p: P2p;
  close(): Promise<void>;
}

export async function startSequencer(cfg: SequencerConfig, logger: Logger, l1?: L1Source): Promise<Running> {
  const { genesis, key } = resolveGenesis(cfg);
  mkdirSync(cfg.dataDir, { recursive: true });
  const node = await SequencerNode.open({
    dataDir: cfg.dataDir,
    genesis,
    sequencerKey: key ?? undefined,
    blockTimeMs: cfg.blockTimeMs,
    l1,
    logger,
  });
  const metrics = createMetrics();
  const app = await buildApi(node, metrics, { rateLimit: cfg.rateLimit });
  const url = await app.listen({ host: cfg.httpHost, port: cfg.httpPort });
  logger.info({ url, role: key ? "sequencer" : "follower" }, "http listening");
  const p2p = await startP2p(node, { listen: cfg.p2pListen, follow: cfg.follow, logger, metrics });
  logger.info({ addrs: p2p.addrs() }, "p2p listening");
  node.start();
  node.on("fatal", () => process.exit(70));
  return {
    node,
    app,
    url,
    p2p,
    async close() {
      await app.close();
      await p2p.stop();
      await node.close();
    },
  };
}
