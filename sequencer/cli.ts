/** `verdict sequencer`: run the L2 sequencer, or a follower with --follow <multiaddr>. */
import type { Command } from "commander";
import pino from "pino";
import { loadConfig } from "./config.ts";

export function registerSequencerCommands(program: Command): void {
  program
    .command("sequencer")
    .description("run the L2 sequencer (or a follower that re-executes its blocks)")
    .option("--config <file>", "JSON config file (env VERDICT_SEQ_CONFIG)")
    .option("--data-dir <dir>", "level data dir (env VERDICT_SEQ_DATA_DIR)")
    .option("--http-host <host>", "API host (env VERDICT_SEQ_HTTP_HOST)")
    .option("--http-port <port>", "API port, 0 = any (env VERDICT_SEQ_HTTP_PORT)")
    .option("--block-time-ms <ms>", "block time (env VERDICT_SEQ_BLOCK_TIME_MS)")
    .option("--sequencer-key <hex>", "block signing key (env VERDICT_SEQ_KEY); default: the dev key")
    .option("--follow <multiaddr>", "follow this sequencer over libp2p instead of sequencing")
    .option(
      "--p2p-listen <multiaddr...>",
      "libp2p listen addresses (env VERDICT_SEQ_P2P_LISTEN, comma-separated)",
    )
    .option("--rate-limit <n>", "requests per second per client IP, 0 = off (env VERDICT_SEQ_RATE_LIMIT)")
    .option("--log-level <level>", "pino level (env VERDICT_SEQ_LOG_LEVEL)")
    .option(
      "--l1-rpc <url>",
      "L1 JSON-RPC: derive deposits from genesis.bridge, post batches (env VERDICT_SEQ_L1_RPC)",
    )
    .option(
      "--l1-confirmations <n>",
      "L1 blocks on top before an event is derived (env VERDICT_SEQ_L1_CONFIRMATIONS)",
    )
    .option("--l1-start-block <n>", "first L1 block to read (env VERDICT_SEQ_L1_START_BLOCK)")
    .option("--l1-key <hex>", "key posting batches, the bridge's sequencer (env VERDICT_SEQ_L1_KEY)")
    .option("--batch-interval-ms <ms>", "how often to post a batch (env VERDICT_SEQ_BATCH_INTERVAL_MS)")
    .option(
      "--verify-workers <n>",
      "signature-checking threads, 0 = main thread (env VERDICT_SEQ_VERIFY_WORKERS)",
    )
    .action(async (o: Record<string, unknown>) => {
      const cfg = loadConfig({
        config: o.config as string | undefined,
        dataDir: o.dataDir,
        httpHost: o.httpHost,
        httpPort: o.httpPort,
        blockTimeMs: o.blockTimeMs,
        sequencerKey: o.sequencerKey,
        follow: o.follow,
        p2pListen: o.p2pListen,
        rateLimit: o.rateLimit,
        logLevel: o.logLevel,
        l1Rpc: o.l1Rpc,
        l1Confirmations: o.l1Confirmations,
        l1StartBlock: o.l1StartBlock,
        l1Key: o.l1Key,
        batchIntervalMs: o.batchIntervalMs,
        verifyWorkers: o.verifyWorkers,
      });
      const logger = pino({ level: cfg.logLevel, base: { svc: cfg.follow ? "follower" : "sequencer" } });
      // Loaded here, not at the top: libp2p, level and fastify cost ~1 s to import, which every
      // other verdict command (and --help) would pay otherwise.
      const { startSequencer } = await import("./run.ts");
      const running = await startSequencer(cfg, logger);
      const stop = async (sig: string) => {
        logger.info({ sig }, "shutting down");
        await running.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    });
}
