/** Start a sequencer (or follower) process: node + HTTP API + p2p, from a resolved config. */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { BatchChallengeContract } from "../bridge/batch-challenge.ts";
import { BridgeContract } from "../bridge/bridge.ts";
import { connectL1 } from "../bridge/clients.ts";
import { BridgeFollower } from "../bridge/follower.ts";
import { challengeWindowConflict } from "../bridge/params.ts";
import { ContentSweeper, UploadLog } from "../content/upload-gc.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { toHex } from "../protocol/bytes.ts";
import { fileCid } from "../protocol/cid.ts";
import { buildApi } from "./api.ts";
import { Batcher, type SequencerBond } from "./batch.ts";
import { ClaimsRecorder } from "./batch-claims.ts";
import { BatchDefender } from "./batch-defence.ts";
import { checkFaultAllowed, parseSequencerFault } from "./batch-faults.ts";
import { bridgeBatchView } from "./batch-l1.ts";
import { registerClaimRoutes } from "./claims-routes.ts";
import { resolveGenesis, type SequencerConfig } from "./config.ts";
import { L1DisputeFeed } from "./dashboard/feed.ts";
import { challengeGenesisMismatch } from "./fault-proof/genesis.ts";
import type { L1Source } from "./l1.ts";
import { createMetrics } from "./metrics.ts";
import { SequencerNode, SubmitError } from "./node.ts";
import { type P2p, startP2p, type WorkerAdvert } from "./p2p.ts";

export interface Running {
  node: SequencerNode;
  app: FastifyInstance;
  url: string;
  p2p: P2p;
  close(): Promise<void>;
}

/**
 * The process wiring. L1 (when `l1Rpc` is set) comes from bridge/ (viem clients, the Bridge
 * event follower, the Bridge contract as batch poster) and the batch CID from the content
 * helper in prover-trace/commit; the sequencer's own modules only see the L1Source and
 * BatchPoster interfaces.
 */
export async function startSequencer(
  cfg: SequencerConfig,
  logger: Logger,
  l1Override?: L1Source,
): Promise<Running> {
  const { genesis, key } = resolveGenesis(cfg);
  mkdirSync(cfg.dataDir, { recursive: true });
  let l1 = l1Override;
  let poster: BridgeContract | null = null;
  let disputes: L1DisputeFeed | undefined;
  const fault = cfg.testFault ? parseSequencerFault(cfg.testFault) : null;
  if (fault) checkFaultAllowed(fault, genesis.l1ChainId, cfg.iKnowThisIsATestFault);
  if (!l1 && cfg.l1Rpc) {
    const l1Key = cfg.l1Key ?? (key ? toHex(key) : undefined);
    const clients = await connectL1({ rpcUrl: cfg.l1Rpc, privateKey: l1Key as `0x${string}` | undefined });
    const chainId = BigInt(clients.publicClient.chain.id);
    if (chainId !== genesis.l1ChainId)
      throw new Error(
        `L1 at ${cfg.l1Rpc} has chain id ${chainId}, genesis.l1ChainId is ${genesis.l1ChainId}`,
      );
    l1 = new BridgeFollower(clients, {
      bridge: genesis.bridge,
      confirmations: cfg.l1Confirmations,
      startBlock: cfg.l1StartBlock,
    });
    const bridge = new BridgeContract(clients, genesis.bridge);
    const windowConflict = challengeWindowConflict(
      genesis.params.challengeWindowMs,
      (await bridge.config()).challengeWindow,
    );
    if (windowConflict) throw new Error(windowConflict);
    if (key) poster = bridge;
    disputes = new L1DisputeFeed(clients, genesis.bridge, { startBlock: cfg.l1StartBlock });
  }
  // the Bridge's batch challenge, when it has one: the batcher bonds, the defender answers
  const game = poster ? await batchChallengeOf(poster) : null;
  if (game) {
    const wrong = challengeGenesisMismatch(await game.deployedGenesis(), genesis);
    if (wrong)
      throw new Error(
        `the Bridge's batch challenge ${game.address} was deployed for another L2 genesis (${wrong}): ` +
          "a challenger could prove this node's honest batch 0 wrong against it; deploy one for this genesis",
      );
  }
  const node = await SequencerNode.open({
    dataDir: cfg.dataDir,
    genesis,
    sequencerKey: key ?? undefined,
    blockTimeMs: cfg.blockTimeMs,
    verifyWorkers: cfg.verifyWorkers,
    l1,
    logger,
  });
  if (fault === "censor") {
    logger.warn({ fault }, "TEST FAULT: refusing every user tx offered directly");
    // every way in (API, batch API, p2p forwarding) goes through submit; L1-derived txs do not
    node.submit = async () => {
      throw new SubmitError(503, "censored (sequencer test fault)");
    };
  }
  const metrics = createMetrics();
  let claims: ClaimsRecorder | null = null;
  const batcher = poster
    ? new Batcher(node, poster, {
        cidOf: async (data) => toHex((await fileCid(data)).bytes),
        logger,
        // a batch is confirmed at the same depth as L1 events are derived
        l1: bridgeBatchView(poster),
        confirmations: cfg.l1Confirmations,
        bond: game ? bondOf(game) : undefined,
        onRemoved: (from) => claims?.forget(from),
        fault:
          fault && fault !== "censor"
            ? {
                mode: fault,
                sequencer: genesis.sequencer,
                sequencerKey: key ?? undefined,
                claimDomain: node.chain.claimDomain,
              }
            : null,
      })
    : null;
  const adverts = new Map<string, WorkerAdvert>();
  // p2p before the API: the API serves the content store that runs on the p2p host
  const p2p = await startP2p(node, {
    listen: cfg.p2pListen,
    follow: cfg.follow,
    logger,
    metrics,
    adverts,
    contentDir: join(cfg.dataDir, "content"),
    keyDir: cfg.dataDir,
    followerLimits: { staleAfterMs: cfg.followerStaleMs, maxLag: cfg.followerMaxLag },
  });
  // uploads nobody references are swept after a grace period (content/upload-gc.ts, docs/content.md)
  const uploads = new UploadLog(join(cfg.dataDir, "content-uploads.jsonl"));
  const sweeper = new ContentSweeper({
    store: p2p.content,
    log: uploads,
    references: () => node.contentReferences(),
    graceMs: cfg.contentGraceMs,
    clock: Date.now,
  });
  const app = await buildApi(node, metrics, {
    content: p2p.content,
    rateLimit: cfg.rateLimit,
    batcher: batcher ?? undefined,
    adverts,
    disputes,
    follower: p2p.follower ?? undefined,
    eventBufferBytes: cfg.eventBufferBytes,
    contentRoutes: {
      uploadLimits: { bytesPerWindow: cfg.uploadBytesPerHour, windowMs: 3_600_000 },
      onUploaded: (cid) => uploads.record(cid, Date.now()),
    },
  });
  // issue 18, attack 6: each confirmed batch's claims root on L1, and the proofs against it
  claims =
    batcher && poster
      ? new ClaimsRecorder({
          block: (n) => node.block(n),
          confirmed: () => batcher.confirmed(),
          l1: poster,
          claimDomain: node.chain.claimDomain,
          logger,
          extraClaims: fault === "forge-result" ? (i) => batcher.forgedClaimKeys(i) : undefined,
        })
      : null;
  if (claims) registerClaimRoutes(app, claims);
  const defender =
    game && batcher
      ? new BatchDefender({
          game,
          answers: (i, txRoot) => batcher.challengeAnswers(i, txRoot),
          now: async () => (await game.clients.publicClient.getBlock({ blockTag: "latest" })).timestamp,
          logger,
        })
      : null;
  const url = await app.listen({ host: cfg.httpHost, port: cfg.httpPort });
  logger.info({ url, role: key ? "sequencer" : "follower" }, "http listening");
  // logged after "http listening": process harnesses take this line as "fully started"
  logger.info({ addrs: p2p.addrs() }, "p2p listening");
  node.start();
  batcher?.start(cfg.batchIntervalMs);
  claims?.start(cfg.batchIntervalMs);
  // challenges are answered at least every second: each side's clock is minutes, not batch intervals
  defender?.start(Math.min(cfg.batchIntervalMs, 1000));
  if (game)
    logger.info({ batchChallenge: game.address }, "defending batches in the Bridge's batch challenge");
  if (cfg.contentSweepIntervalMs > 0)
    sweeper.start(cfg.contentSweepIntervalMs, (r) => {
      if (r instanceof Error) logger.warn({ err: r.message }, "content sweep failed");
      else if (r.deleted.length) logger.info({ files: r.deleted.length, blocks: r.blocks }, "content swept");
    });
  node.on("fatal", () => process.exit(70));
  return {
    node,
    app,
    url,
    p2p,
    async close() {
      await sweeper.stop();
      await app.close();
      await defender?.stop();
      await batcher?.stop();
      await claims?.stop();
      await p2p.stop();
      await node.close();
    },
  };
}

/** The Bridge's BatchChallenge, sending from the poster's (the sequencer's) L1 account; null: none. */
async function batchChallengeOf(bridge: BridgeContract): Promise<BatchChallengeContract | null> {
  const address = (await bridge.clients.publicClient.readContract({
    address: bridge.address,
    abi: bridgeAbi,
    functionName: "batchChallenge",
  })) as `0x${string}`;
  if (/^0x0{40}$/.test(address)) return null;
  return new BatchChallengeContract(bridge.clients, address, bridge.wallet);
}

function bondOf(game: BatchChallengeContract): SequencerBond {
  return {
    status: async () => ({
      balance: await game.sequencerBondBalance(),
      required: await game.sequencerBond(),
    }),
    deposit: async (amount) => {
      await game.depositSequencerBond(amount);
    },
  };
}
