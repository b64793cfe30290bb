/** `verdict sequencer`: run the L2 sequencer, or a follower with --follow <multiaddr>. */
import type { Command } from "commander";
import pino from "pino";
import { SEQUENCER_FAULT_MODES } from "./batch-faults.ts";
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
    .option(
      "--test-fault <mode>",
      `TEST ONLY: post lying batch roots (${SEQUENCER_FAULT_MODES.join(", ")}); refused off dev chains`,
    )
    .option("--i-know-this-is-a-test-fault", "allow --test-fault on any L1 chain")
    .action(async (o: Record<string, unknown>) => {
      const cfg = loadConfig({
        testFault: o.testFault,
        iKnowThisIsATestFault: o.iKnowThisIsATestFault,
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

  program
    .command("validator")
    .description(
      "rebuild L2 from L1 batch data alone and report any batch whose roots its data does not re-execute to",
    )
    .option("--config <file>", "JSON config file with the genesis (the sequencer's; env VERDICT_SEQ_CONFIG)")
    .option("--l1-rpc <url>", "L1 JSON-RPC (env VERDICT_SEQ_L1_RPC)")
    .option(
      "--l1-confirmations <n>",
      "L1 blocks on top before a batch is read (env VERDICT_SEQ_L1_CONFIRMATIONS)",
    )
    .option("--l1-start-block <n>", "first L1 block to read (env VERDICT_SEQ_L1_START_BLOCK)")
    .option("--check", "one pass over the batches confirmed now; exit 0 if all are right, 2 if one is wrong")
    .option("--interval-ms <ms>", "how often to look for new batches when watching (default 2000)")
    .option("--metrics-port <port>", "serve Prometheus metrics at /metrics on 127.0.0.1 (0: any port)")
    .option(
      "--challenge-key <hex>",
      "challenge the first bad batch on L1 (Bridge.batchChallenge) from this L1 key, bond included (env VERDICT_VALIDATOR_CHALLENGE_KEY)",
    )
    .option("--log-level <level>", "pino level (env VERDICT_SEQ_LOG_LEVEL)")
    .action(async (o: Record<string, unknown>) => {
      const challengeKey = (o.challengeKey ?? process.env.VERDICT_VALIDATOR_CHALLENGE_KEY) as
        | string
        | undefined;
      if (challengeKey !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(challengeKey))
        throw new Error("--challenge-key: a 0x-prefixed 32-byte hex private key");
      const cfg = loadConfig({
        config: o.config as string | undefined,
        l1Rpc: o.l1Rpc,
        l1Confirmations: o.l1Confirmations,
        l1StartBlock: o.l1StartBlock,
        logLevel: o.logLevel,
      });
      const logger = pino({ level: cfg.logLevel, base: { svc: "validator" } });
      const { connectValidator, EXIT_BAD_BATCH } = await import("./validator.ts");
      const v = await connectValidator(cfg, logger, challengeKey as `0x${string}` | undefined);
      if (o.check) {
        await v.step();
        const s = v.summary();
        process.stdout.write(`${JSON.stringify({ msg: "validator summary", ...s })}\n`);
        process.exit(s.bad ? EXIT_BAD_BATCH : 0);
      }
      const interval = Number(o.intervalMs ?? 2000);
      if (!Number.isInteger(interval) || interval < 10)
        throw new Error(`--interval-ms: at least 10, got ${o.intervalMs}`);
      if (o.metricsPort !== undefined) {
        const port = Number(o.metricsPort);
        if (!Number.isInteger(port) || port < 0)
          throw new Error(`--metrics-port: not a port: ${o.metricsPort}`);
        const { url } = await v.serveMetrics("127.0.0.1", port);
        logger.info({ url }, "metrics listening");
      }
      const loop = async () => {
        try {
          await v.step();
        } catch (err) {
          logger.error({ err: (err as Error).message }, "validator step failed; retrying");
        }
        setTimeout(loop, interval);
      };
      process.once("SIGINT", () => process.exit(v.summary().bad ? EXIT_BAD_BATCH : 0));
      process.once("SIGTERM", () => process.exit(v.summary().bad ? EXIT_BAD_BATCH : 0));
      await loop();
    });
}
