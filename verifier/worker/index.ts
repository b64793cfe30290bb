/**
 * `startWorker(config)`: everything a worker process does, wired: L1 clients, the Bridge and its
 * DisputeGame, the served models (validated, model ids checked registered), stake on L1 if not
 * bonded, registerWorker on L2, the content layer, the store, the agent loop, the defender and
 * the metrics endpoint. The CLI (cli.ts) and tests (a child process) both start workers here.
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { type Address, type Hex, zeroAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { BridgeContract } from "../../bridge/bridge.ts";
import { connectL1, type L1Clients } from "../../bridge/clients.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { fromHex } from "../../protocol/bytes.ts";
import { provenClaimInclusion } from "../claim-inclusion.ts";
import { SequencerClient } from "../l2.ts";
import { WorkerAgent } from "./agent.ts";
import { checkFaultAllowed, resolveWorkerConfig, type WorkerConfig } from "./config.ts";
import type { WorkerContent } from "./content.ts";
import { Defender } from "./defender.ts";
import { loadServedModel, type ServedModel } from "./job.ts";
import { createWorkerMetrics, serveMetrics, type WorkerMetrics } from "./metrics.ts";
import { checkModelsRetained, modelsStillNeeded } from "./retention.ts";
import { WorkerStore } from "./store.ts";

export type { WorkerConfig } from "./config.ts";
export { FAULT_MODES, type FaultMode } from "./faults.ts";

export interface StartWorkerOptions {
  logger?: Logger;
  /** A content store to use instead of opening the configured one (tests, embedding). */
  content?: WorkerContent;
}

export interface WorkerHandle {
  address: Address;
  config: WorkerConfig;
  l1: L1Clients;
  bridge: BridgeContract;
  game: DisputeGameContract;
  models: ReadonlyMap<string, ServedModel>;
  agent: WorkerAgent;
  defender: Defender;
  metrics: WorkerMetrics;
  /** Where /metrics is served, when a port was given. */
  metricsUrl: string | null;
  /** The embedded content node's multiaddrs (empty with Kubo): peers fetch outputs and traces here. */
  contentAddrs: string[];
  close(): Promise<void>;
}

/** Opens the configured content layer (content/open.ts): Helia under the data dir, or Kubo. */
async function openConfiguredContent(cfg: WorkerConfig): Promise<WorkerContent> {
  const { openContent } = await import("../../content/open.ts");
  return openContent({
    dataDir: join(cfg.dataDir, "content"),
    ...(cfg.ipfsApi ? { ipfsApi: cfg.ipfsApi } : {}),
    ...cfg.contentOptions,
  });
}

/** Retries a connection a few times (a node that is still starting, a busy machine), then gives up. */
async function retrying<T>(logger: Logger, what: string, f: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= attempts) throw e;
      logger.warn({ err: (e as Error).message, attempt: i }, `${what} not reachable yet, retrying`);
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

export async function startWorker(
  config: Partial<Record<keyof WorkerConfig, unknown>>,
  opts: StartWorkerOptions = {},
): Promise<WorkerHandle> {
  const cfg = resolveWorkerConfig(config);
  const logger = opts.logger ?? pino({ level: cfg.logLevel, base: { svc: "worker" } });
  const address = privateKeyToAddress(cfg.key).toLowerCase() as Address;
  const l1 = await retrying(logger, "L1", () => connectL1({ rpcUrl: cfg.l1Rpc, privateKey: cfg.key }));
  checkFaultAllowed(cfg, l1.chain.id);
  if (cfg.testFault)
    logger.warn(
      { testFault: cfg.testFault },
      "TEST FAULT MODE: this worker lies on purpose and will be slashed",
    );

  const bridge = new BridgeContract(l1, cfg.bridge);
  const code = await l1.publicClient.getCode({ address: cfg.bridge });
  if (!code || code === "0x") throw new Error(`no contract at bridge address ${cfg.bridge} on ${cfg.l1Rpc}`);
  const gameAddress = cfg.disputeGame ?? ((await bridge.disputeGame()) as Address);
  if (gameAddress === zeroAddress) throw new Error(`the Bridge at ${cfg.bridge} names no dispute game`);
  const game = new DisputeGameContract(l1, gameAddress);

  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    const models = new Map<string, ServedModel>();
    for (const path of cfg.models) {
      const m = await loadServedModel(path, (id) => bridge.isModelRegistered(id) as Promise<boolean>);
      closers.push(() => m.runner.dispose());
      if (models.has(m.modelId))
        throw new Error(`model ${path} is the same model as ${models.get(m.modelId)?.path}`);
      models.set(m.modelId, m);
      logger.info({ path, modelId: m.modelId, nodes: m.commitment.nodeCount }, "model loaded");
    }

    mkdirSync(cfg.dataDir, { recursive: true });
    const store = new WorkerStore(join(cfg.dataDir, "db"));
    await store.open();
    closers.push(() => store.close());
    // Claims still disputable need their model served (attack 6): refuse before touching L1 or L2.
    checkModelsRetained(
      models.keys(),
      modelsStillNeeded(
        await store.jobs(),
        await store.disputes(),
        Date.now(),
        cfg.disputeWindowMs ?? cfg.challengeWindowMs,
      ),
    );

    // stake on L1 when not bonded
    const params = await bridge.config();
    if (!(await bridge.isBondedWorker(address))) {
      const stake = (await bridge.stakeOf(address)) as { active: bigint };
      const amount = cfg.stake ?? params.minWorkerStake - stake.active;
      if (stake.active + amount < params.minWorkerStake)
        throw new Error(
          `a stake of ${amount} wei leaves ${address} below the minimum ${params.minWorkerStake}`,
        );
      await bridge.stake(amount);
      logger.info({ amount: amount.toString() }, "staked on L1");
    }

    const content = opts.content ?? (await openConfiguredContent(cfg));
    if (!opts.content && content.close) closers.push(() => (content.close as () => Promise<void>)());

    const key = fromHex(cfg.key);
    const l2 = new SequencerClient({
      url: cfg.sequencer,
      key,
      address,
      l2ChainId: cfg.l2ChainId,
      fee: cfg.fee,
    });
    await retrying(logger, "sequencer", () =>
      l2.health().catch((e) => {
        throw new Error(`cannot reach the sequencer at ${cfg.sequencer}: ${(e as Error).message}`);
      }),
    );
    // the embedded content node's addresses: where others fetch our outputs and traces
    const contentAddrs = (content as { addrs?: () => string[] }).addrs?.() ?? [];
    const multiaddr = cfg.multiaddr || (contentAddrs.find((a) => a.length <= 256) ?? "");
    await l2.send({
      type: "registerWorker",
      models: [...models.keys()] as Hex[],
      price: cfg.price,
      capacity: cfg.capacity,
      multiaddr,
    });

    const metrics = createWorkerMetrics();
    let metricsUrl: string | null = null;
    if (cfg.metricsPort !== null) {
      const server: Server = await serveMetrics(metrics, cfg.metricsPort, cfg.metricsHost);
      closers.push(() => new Promise((r) => server.close(r)));
      const a = server.address();
      metricsUrl = `http://${cfg.metricsHost}:${typeof a === "object" && a ? a.port : cfg.metricsPort}/metrics`;
    }

    const agent = new WorkerAgent({
      logger,
      l2,
      content,
      store,
      models,
      metrics,
      key,
      address,
      l1ChainId: BigInt(l1.chain.id),
      bridge: cfg.bridge,
      capacity: cfg.capacity,
      challengeWindowMs: cfg.challengeWindowMs,
      deadlineMarginMs: cfg.deadlineMarginMs,
      pollMs: cfg.pollMs,
      fromBlock: cfg.fromBlock,
      testFault: cfg.testFault,
      commitTrace: cfg.commitTrace,
    });
    const defender = new Defender({
      game,
      store,
      logger,
      metrics,
      claimer: address,
      viewFor: (jobId) => agent.viewFor(jobId),
      // issue 18, attack 6: a claim's inclusion on L1, checked by the Bridge itself (claimFinalAt)
      claimInclusion: (claimKey) => provenClaimInclusion(l2, bridge, claimKey),
      onResolved: (jobId, winner) => void agent.disputeResolved(jobId, winner),
      pollMs: cfg.pollMs,
      startBlock: cfg.l1StartBlock,
    });
    await agent.start();
    closers.push(() => agent.stop());
    await defender.resume();
    let scanning = false;
    const scanTimer = setInterval(() => {
      if (scanning) return;
      scanning = true;
      defender
        .scan()
        .catch((e) => logger.warn({ err: (e as Error).message }, "dispute scan failed"))
        .finally(() => (scanning = false));
    }, cfg.pollMs);
    closers.push(async () => {
      clearInterval(scanTimer);
      await defender.stop();
    });

    logger.info(
      {
        address,
        bridge: cfg.bridge,
        disputeGame: gameAddress,
        sequencer: cfg.sequencer,
        models: [...models.keys()],
        capacity: cfg.capacity,
        multiaddr,
        contentAddrs,
        metrics: metricsUrl,
        testFault: cfg.testFault,
        commitTrace: cfg.commitTrace,
      },
      "worker ready",
    );
    return {
      address,
      config: cfg,
      l1,
      bridge,
      game,
      models,
      agent,
      defender,
      metrics,
      metricsUrl,
      contentAddrs,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
