/** `verdict worker`: run a worker agent (take jobs, run traced inference, claim, defend disputes). */
import type { Command } from "commander";
import { addContentOptions, contentOptionsFromCli } from "../../content/open.ts";
import { FAULT_MODES } from "./faults.ts";

function withoutUndefined(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerWorkerCommands(program: Command): void {
  const cmd = program
    .command("worker")
    .description("run a worker: take jobs for its models, run traced inference, claim, defend disputes")
    .requiredOption(
      "--l1-rpc <url>",
      "L1 JSON-RPC URL (env VERDICT_WORKER_L1_RPC)",
      process.env.VERDICT_WORKER_L1_RPC,
    )
    .requiredOption(
      "--bridge <address>",
      "Bridge contract on L1 (env VERDICT_WORKER_BRIDGE)",
      process.env.VERDICT_WORKER_BRIDGE,
    )
    .option("--dispute-game <address>", "DisputeGame contract (default: the one the Bridge names)")
    .option("--l1-start-block <n>", "first L1 block searched for disputes on a fresh data dir", "0")
    .option(
      "--key <hex>",
      "worker key: L1 stake, L2 account, claim signatures (env VERDICT_WORKER_KEY; default: anvil dev account 2)",
    )
    .option(
      "--sequencer <url>",
      "sequencer API (env VERDICT_WORKER_SEQUENCER; default http://127.0.0.1:7545)",
    )
    .option("--l2-chain-id <id>", "L2 chain id (the sequencer genesis l2ChainId)", "424242")
    .option(
      "--model <path.onnx>",
      "model file to serve (repeatable; must be registered on the Bridge)",
      collect,
    )
    .option("--price <wei>", "advertised price per job", "0")
    .option("--capacity <n>", "jobs worked on at once", "2")
    .option("--multiaddr <addr>", "advertised libp2p multiaddr", "")
    .option("--fee <wei>", "fee per L2 tx", "0")
    .option(
      "--data-dir <dir>",
      "where job records and dispute state live (env VERDICT_WORKER_DATA_DIR; default ./data/worker)",
    )
    .option("--stake <wei>", "stake to put on L1 when not bonded (default: the Bridge's minimum)")
    .option("--challenge-window-ms <ms>", "the L2 challenge window (genesis challengeWindowMs)", "60000")
    .option(
      "--dispute-window-ms <ms>",
      "how long a claim stays disputable after inclusion (default: the challenge window); models with claims that young are never dropped",
    )
    .option("--poll-ms <ms>", "poll interval for blocks, finalize and disputes", "500")
    .option("--deadline-margin-ms <ms>", "skip jobs whose deadline is closer than this", "5000")
    .option("--from-block <n>", "first L2 block to scan on a fresh data dir (default: the head)")
    .option("--metrics-port <port>", "serve Prometheus metrics on this port (0: any)")
    .option("--metrics-host <host>", "metrics listen host", "127.0.0.1")
    .option("--log-level <level>", "pino level (env VERDICT_WORKER_LOG_LEVEL; default info)")
    .option(
      "--commit-trace",
      "commit the full trace at claim time (a traced run, the trace published); default: deferred claims, traced only when disputed",
    )
    .option(
      "--test-fault <mode>",
      `TEST ONLY: lie on purpose (${FAULT_MODES.join(" | ")}); refused on a non-dev chain without the guard below`,
    )
    .option("--i-know-this-is-a-test-fault", "allow --test-fault on any chain (the worker WILL be slashed)");
  addContentOptions(cmd).action(async (o: Record<string, unknown>) => {
    // loaded here: onnxruntime, level and viem cost time every other command would pay
    const { startWorker } = await import("./index.ts");
    const opt = (v: unknown) => (v === undefined ? undefined : v);
    const worker = await startWorker({
      l1Rpc: o.l1Rpc,
      bridge: o.bridge,
      disputeGame: opt(o.disputeGame),
      l1StartBlock: o.l1StartBlock,
      key: opt(o.key),
      sequencer: o.sequencer,
      l2ChainId: o.l2ChainId,
      models: o.model ?? [],
      price: o.price,
      capacity: o.capacity,
      multiaddr: o.multiaddr,
      fee: o.fee,
      dataDir: o.dataDir,
      stake: opt(o.stake),
      challengeWindowMs: o.challengeWindowMs,
      disputeWindowMs: opt(o.disputeWindowMs),
      pollMs: o.pollMs,
      deadlineMarginMs: o.deadlineMarginMs,
      fromBlock: opt(o.fromBlock),
      metricsPort: opt(o.metricsPort),
      metricsHost: o.metricsHost,
      contentOptions: withoutUndefined(contentOptionsFromCli(o)),
      logLevel: o.logLevel,
      commitTrace: o.commitTrace === true,
      testFault: opt(o.testFault),
      iKnowThisIsATestFault: o.iKnowThisIsATestFault === true,
    });
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await worker.close();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });
}
