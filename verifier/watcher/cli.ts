/** `verdict watch`: follow L2, re-execute claims, dispute the wrong ones on L1 and play to the end. */

import { join } from "node:path";
import { type Command, Option } from "commander";
import pino from "pino";
import { addContentOptions, contentOptionsFromCli, openContent } from "../../content/open.ts";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerWatcherCommands(program: Command): void {
  const cmd = program
    .command("watch")
    .description(
      "run a watcher: re-execute claims from L2 and dispute wrong ones on L1 until they are slashed",
    )
    .option("--sequencer <url>", "sequencer API URL (env VERDICT_SEQUENCER_URL)")
    .option("--l1-rpc <url>", "L1 JSON-RPC URL (env VERDICT_L1_RPC)")
    .option("--bridge <address>", "Bridge contract address (env VERDICT_BRIDGE)")
    .option("--dispute-game <address>", "DisputeGame address (default: the one the Bridge names)")
    .option(
      "--key <hex>",
      "watcher L1 private key (env VERDICT_WATCHER_KEY; default: dev account 4 of the test mnemonic)",
    )
    .option("--data-dir <dir>", "level data dir for game records", "data/watcher")
    .option("--model <file.onnx>", "local model file (repeatable); other models are fetched by CID", collect)
    .option(
      "--sample-rate <r>",
      "fraction of claims re-executed, 0..1 (picked with a secret in --data-dir)",
      "1",
    )
    .option(
      "--assume-watchers <n>",
      "print at start the odds a lie is checked by n independent watchers at this rate",
    )
    .option("--poll-ms <ms>", "L2 poll interval and L1 re-read interval while waiting", "1000")
    .option(
      "--bond-deposit <wei>",
      "deposit this much when the free bond is short (default: one challenger bond)",
    )
    .option("--withdraw-idle-bond", "withdraw the free bond whenever no dispute of ours runs")
    .option(
      "--l2-challenge-window-ms <ms>",
      "skip claims older than this (the sequencer's challengeWindowMs)",
    )
    .option("--metrics-port <port>", "serve Prometheus metrics on 127.0.0.1:<port>/metrics (0: any port)")
    .addOption(new Option("--log-level <level>", "pino level").default("info"));
  addContentOptions(cmd).action(async (o: Record<string, unknown>) => {
    const { resolveWatcherConfig } = await import("./config.ts");
    const cfg = resolveWatcherConfig({
      sequencerUrl: o.sequencer ?? process.env.VERDICT_SEQUENCER_URL,
      l1Rpc: o.l1Rpc ?? process.env.VERDICT_L1_RPC,
      bridge: o.bridge ?? process.env.VERDICT_BRIDGE,
      disputeGame: o.disputeGame,
      key: o.key,
      dataDir: o.dataDir,
      models: o.model,
      sampleRate: o.sampleRate,
      assumeWatchers: o.assumeWatchers,
      pollMs: o.pollMs,
      bondDeposit: o.bondDeposit,
      withdrawIdleBond: o.withdrawIdleBond === true,
      l2ChallengeWindowMs: o.l2ChallengeWindowMs,
      metricsPort: o.metricsPort,
      logLevel: o.logLevel,
    });
    const logger = pino({ level: cfg.logLevel, base: { svc: "watcher" } });
    // Loaded here: the runner, viem and level cost time every other command should not pay.
    const { startWatcher } = await import("./watcher.ts");
    const contentOpts = contentOptionsFromCli(o);
    const content = await openContent({
      ...contentOpts,
      dataDir: contentOpts.dataDir ?? join(cfg.dataDir, "content"),
    });
    const running = await startWatcher(cfg, { logger, content });
    const stop = async (sig: string) => {
      logger.info({ sig }, "shutting down");
      await running.close();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
  });
}
