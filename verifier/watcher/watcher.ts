/**
 * The watcher process: follows L2 for submitted claims, re-executes them (all, or a sample),
 * and for every wrong one opens a dispute on L1 and plays it to the end (scheduler.ts). State is
 * in level under the data dir (store.ts): a watcher killed at any point and started again picks
 * up every claim it had seen, rebuilds its views by re-running inference, and resumes each game
 * from the chain.
 */
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Address } from "viem";
import { BridgeContract } from "../../bridge/bridge.ts";
import { connectL1 } from "../../bridge/clients.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { GenerationRuleContract } from "../../bridge/dispute/generation-rule.ts";
import type { InputOpeningArg } from "../../bridge/dispute/vocabulary.ts";
import { disputeGameAbi } from "../../contracts/artifacts/DisputeGame.ts";
import { toHex } from "../../protocol/bytes.ts";
import { claimDomain } from "../../protocol/eip712.ts";
import { claimDigest } from "../../protocol/tx.ts";
import { provenClaimInclusion } from "../claim-inclusion.ts";
import { PlanError } from "../game/planner.ts";
import { buildTokenProof, type TokenProofArg } from "../game/token-move.ts";
import type { PartyView } from "../game/view.ts";
import { type L2Block, SequencerReader } from "../l2.ts";
import {
  type Check,
  CheckError,
  Checker,
  type ContentGetter,
  InputOutsideRange,
  type TokenMovePlan,
} from "./checker.ts";
import type { WatcherConfig } from "./config.ts";
import { claimFinalOnL1 } from "./finality.ts";
import { claimsIn, L2Follower, type SubmittedClaim } from "./follower.ts";
import { createWatcherMetrics, type WatcherMetrics } from "./metrics.ts";
import { loadSamplingSecret, sampled, samplingOdds } from "./sampling.ts";
import { GameScheduler } from "./scheduler.ts";
import { type GameRecord, WatcherStore } from "./store.ts";

/** Whether this DisputeGame has level 0 (challengeOutput). */
export const HAS_LEVEL0 = (disputeGameAbi as readonly { type: string; name?: string }[]).some(
  (x) => x.type === "function" && x.name === "challengeOutput",
);

export interface RunningWatcher {
  me: Address;
  store: WatcherStore;
  metrics: WatcherMetrics;
  scheduler: GameScheduler;
  metricsUrl?: string;
  close(): Promise<void>;
}

export interface WatcherDeps {
  logger: Logger;
  /** The content layer (content/open.ts); without it only --model files and no job inputs. */
  content?: ContentGetter & { close?(): Promise<void> };
}

export async function startWatcher(cfg: WatcherConfig, deps: WatcherDeps): Promise<RunningWatcher> {
  const { logger } = deps;
  mkdirSync(cfg.dataDir, { recursive: true });
  const clients = await connectL1({
    rpcUrl: cfg.l1Rpc,
    privateKey: cfg.key,
    pollingIntervalMs: Math.min(cfg.pollMs, 250),
    timeoutMs: 60_000,
  });
  const me = clients.walletClient?.account.address as Address;
  const bridge = new BridgeContract(clients, cfg.bridge);
  const gameAddress = cfg.disputeGame ?? ((await bridge.disputeGame()) as Address);
  if (/^0x0{40}$/.test(gameAddress)) throw new Error(`the Bridge at ${cfg.bridge} names no dispute game`);
  const game = new DisputeGameContract(clients, gameAddress);
  const domain = claimDomain(BigInt(clients.chain.id), cfg.bridge);
  const api = new SequencerReader(cfg.sequencerUrl);
  const metrics = createWatcherMetrics();
  const content = deps.content;
  const checker = await Checker.create({
    modelFiles: cfg.models,
    content,
    l1: { clients, bridge: cfg.bridge },
  });
  const store = await WatcherStore.open(join(cfg.dataDir, "db"));
  // Which claims we check: keyed by a secret only this watcher holds (sampling.ts), never logged.
  const samplingSecret = loadSamplingSecret(cfg.dataDir);

  // A generation claim is checked with the one-pass fast path (no input to fetch), any other
  // claim by re-running its job's input.
  const runCheck = (r: GameRecord) =>
    r.generation && r.generated
      ? checker.checkGeneration(r.claim, { ...r.generation, generated: r.generated })
      : checker.check(r.claim, {
          modelId: r.claim.modelId,
          inputRoot: r.claim.inputRoot,
          inputCid: r.inputCid,
        });
  // Views are kept in memory only, while their game is played (release): a restart or a resumed
  // game rebuilds them by re-running the claim's inference.
  const views = new Map<string, Promise<PartyView>>();
  const keepView = (claimKey: string, v: Promise<PartyView>) => {
    views.set(claimKey, v);
    metrics.viewsHeld.set(views.size);
    v.catch(() => {
      if (views.get(claimKey) === v) views.delete(claimKey);
      metrics.viewsHeld.set(views.size);
    });
  };
  // One traced run for a deferred claim's view, logged (how long it held this thread).
  const tracedView = (build: () => Promise<PartyView>, log: Logger): Promise<PartyView> => {
    const t0 = performance.now();
    const v = build();
    v.then(
      (view) =>
        log.info(
          { traceRoot: toHex(view.trace.root), ms: Math.round(performance.now() - t0) },
          "view built (traced run)",
        ),
      (e) => log.warn({ err: (e as Error).message }, "traced run failed; the game rebuilds it"),
    );
    return v;
  };
  // A deferred claim's traced run, not started yet: the game starts it once the dispute is open
  // (ORT's run holds this thread, so started at the check it would hold the opening back).
  const tracesToRun = new Map<string, () => Promise<PartyView>>();
  const viewFor = (r: GameRecord): Promise<PartyView> => {
    let v = views.get(r.claimKey);
    const traceLater = tracesToRun.get(r.claimKey);
    if (!v && traceLater) {
      tracesToRun.delete(r.claimKey);
      v = tracedView(traceLater, logger.child({ claimKey: r.claimKey, jobId: r.jobId }));
      keepView(r.claimKey, v);
    }
    if (!v) {
      v = runCheck(r).then((c) => {
        if (c.view) return c.view;
        if (c.traceView) return c.traceView();
        throw new Error(`claim ${r.claimKey}: our run agrees with it, there is no game to play`);
      });
      keepView(r.claimKey, v);
    }
    return v;
  };
  // The token move's calldata, like views: in memory only, rebuilt after a restart by the same
  // one pass (deterministic, so the proof is the one the record was opened for).
  const tokenProofs = new Map<string, Promise<TokenProofArg>>();
  const proofOf = (plan: TokenMovePlan) => buildTokenProof(plan.statement, plan.pass, plan.position);
  const tokenProofFor = (r: GameRecord): Promise<TokenProofArg> => {
    let p = tokenProofs.get(r.claimKey);
    if (!p) {
      p = runCheck(r).then((c: Check) => {
        if (c.verdict !== "token-rule" || !c.tokenMove)
          throw new PlanError(
            `re-checking the claim gives verdict ${c.verdict}, not a broken generation rule`,
          );
        return proofOf(c.tokenMove);
      });
      tokenProofs.set(r.claimKey, p);
      p.catch(() => tokenProofs.delete(r.claimKey));
    }
    return p;
  };
  // challengeInput's opening, like the token proofs: rebuilt from the job's input after a restart.
  const inputChallenges = new Map<string, Promise<InputOpeningArg>>();
  const inputChallengeFor = (r: GameRecord): Promise<InputOpeningArg> => {
    let p = inputChallenges.get(r.claimKey);
    if (!p) {
      p = checker
        .inputChallenge(r.claim, {
          modelId: r.claim.modelId,
          inputRoot: r.claim.inputRoot,
          inputCid: r.inputCid,
        })
        .then((c) => c.opening);
      inputChallenges.set(r.claimKey, p);
      p.catch(() => inputChallenges.delete(r.claimKey));
    }
    return p;
  };
  // A game's task ended: what was cached for it goes (an imported OCR model's view is ~1.5 GB).
  const release = (r: GameRecord) => {
    tokenProofs.delete(r.claimKey);
    inputChallenges.delete(r.claimKey);
    tracesToRun.delete(r.claimKey);
    if (!views.delete(r.claimKey)) return;
    metrics.viewsHeld.set(views.size);
    logger.info({ claimKey: r.claimKey, status: r.status, held: views.size }, "claim view released");
  };
  const generationRule = await GenerationRuleContract.of(clients, gameAddress);
  const scheduler = new GameScheduler({
    game,
    bridge,
    store,
    metrics,
    logger,
    me,
    pollMs: cfg.pollMs,
    viewFor,
    tokenProofFor,
    inputChallengeFor,
    generationRule,
    release,
    bondDeposit: cfg.bondDeposit,
    withdrawIdleBond: cfg.withdrawIdleBond,
    claimFinalOnL1: claimFinalOnL1({
      inclusion: (claimKey) => provenClaimInclusion(api, bridge, claimKey),
      l1Now: async () => (await clients.publicClient.getBlock({ blockTag: "latest" })).timestamp,
    }),
  });

  // ------------------------------------------------------------------ checking claims
  // Re-execution is CPU-bound: one claim at a time, in arrival order (games run beside it).
  let checks: Promise<void> = Promise.resolve();
  let closing = false;
  const enqueueCheck = (r: GameRecord) => {
    checks = checks.then(() => (closing ? undefined : checkClaim(r)));
  };
  const save = async (r: GameRecord, patch: Partial<GameRecord>) => {
    Object.assign(r, patch, { updatedAt: Date.now() });
    await store.put(r);
  };
  const checkClaim = async (r: GameRecord): Promise<void> => {
    const log = logger.child({ claimKey: r.claimKey, jobId: r.jobId });
    if (!sampled(samplingSecret, r.claimKey, cfg.sampleRate)) {
      metrics.claimsChecked.inc({ verdict: "skipped" });
      return save(r, { status: "skipped", reason: "not sampled" });
    }
    if (cfg.l2ChallengeWindowMs !== undefined && Date.now() > r.submittedAt + cfg.l2ChallengeWindowMs) {
      metrics.claimsChecked.inc({ verdict: "skipped" });
      return save(r, { status: "skipped", reason: "L2 challenge window passed" });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const t0 = performance.now();
        const c = await runCheck(r);
        metrics.claimsChecked.inc({ verdict: c.verdict });
        log.info(
          {
            verdict: c.verdict,
            ms: Math.round(performance.now() - t0),
            ours: c.ours,
            tokenPosition: c.tokenMove?.position,
          },
          "claim checked",
        );
        if (c.verdict === "agree") return save(r, { status: "agreed" });
        if (c.verdict === "token-rule" && c.tokenMove) {
          // The pass is right, a token (or the count / stop rules) is not: no game, one L1 call
          // that the contract checks against the claim itself (GenerationRule).
          const plan = c.tokenMove;
          tokenProofs.set(r.claimKey, Promise.resolve(proofOf(plan)));
          log.warn(
            { position: plan.position, why: plan.why },
            "a generation rule is broken: opening a dispute for the token move",
          );
          await save(r, { status: "opening", level: "token", reason: plan.why });
          scheduler.start(r);
          return;
        }
        if (c.verdict === "output" && !HAS_LEVEL0) {
          log.warn("only the outputRoot differs and this DisputeGame has no level 0 (challengeOutput)");
          return save(r, {
            status: "skipped",
            level: "output",
            reason: "outputRoot wrong, trace right: level 0 not available",
          });
        }
        // kept for the game only (the scheduler releases it when the game's task ends); a deferred
        // claim's is traced when the game first asks for it, after openDeferred, while the
        // claimer commits its trace
        if (c.view) keepView(r.claimKey, Promise.resolve(c.view));
        else if (c.traceView) tracesToRun.set(r.claimKey, c.traceView);
        await save(r, {
          status: "opening",
          level: c.verdict === "output" || c.verdict === "deferred" ? c.verdict : "trace",
          outputIndex: c.outputIndex,
        });
        scheduler.start(r);
        return;
      } catch (e) {
        const err = e as Error;
        if (e instanceof InputOutsideRange) {
          // The claimer asserts an output the model does not have: one L1 call shows it.
          metrics.claimsChecked.inc({ verdict: "input-range" });
          inputChallenges.set(r.claimKey, Promise.resolve(e.challenge.opening));
          log.warn(
            { why: e.challenge.why },
            "the job's input leaves its declared range: opening challengeInput",
          );
          await save(r, { status: "opening", level: "input", reason: e.challenge.why });
          scheduler.start(r);
          return;
        }
        if (attempt >= 2 || closing) {
          metrics.claimsChecked.inc({ verdict: "error" });
          log.error({ err: err.message }, "cannot re-execute the claim");
          return save(r, { status: "skipped", reason: `re-execution failed: ${err.message}` });
        }
        log.warn({ err: err.message, attempt }, "re-execution failed; retrying");
        await new Promise((res) => setTimeout(res, err instanceof CheckError ? 2000 : 500));
      }
    }
  };

  // ------------------------------------------------------------------ following L2
  const recordClaim = async (s: SubmittedClaim): Promise<GameRecord | undefined> => {
    const claimKey = toHex(claimDigest(s.claim, domain));
    if (await store.get(claimKey)) return undefined; // seen before the restart
    metrics.claimsSeen.inc();
    const job = await api.job(s.jobId);
    if (!job) throw new Error(`job ${s.jobId} of an included claim is unknown to the sequencer`);
    const r: GameRecord = {
      claimKey,
      jobId: s.jobId,
      claim: s.claim,
      signature: s.signature,
      worker: s.worker,
      l2Block: s.l2Block,
      submittedAt: s.submittedAt,
      inputCid: job.inputCid,
      ...(job.generation && s.generated
        ? {
            generation: {
              prompt: job.generation.prompt,
              window: job.generation.window,
              params: job.generation.params,
            },
            generated: s.generated,
          }
        : {}),
      status: "checking",
      updatedAt: Date.now(),
    };
    await store.put(r);
    return r;
  };
  const onBlock = async (b: L2Block): Promise<void> => {
    const fresh: GameRecord[] = [];
    for (const s of claimsIn(b)) {
      const r = await recordClaim(s);
      if (r) fresh.push(r);
    }
    // the cursor moves only after every claim of the block is recorded
    await store.setCursor(b.header.number);
    metrics.l2Block.set(b.header.number);
    for (const r of fresh) enqueueCheck(r);
  };

  // ------------------------------------------------------------------ resume
  const unfinished = await store.unfinished();
  for (const r of unfinished) {
    if (r.status === "checking") enqueueCheck(r);
    else scheduler.start(r);
  }
  const cursor = await store.cursor();
  const follower = new L2Follower(api, {
    pollMs: cfg.pollMs,
    onError: (err, where) => logger.warn({ err: err.message, where }, "L2 follower error"),
  });
  follower.start(cursor, onBlock);

  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (cfg.metricsPort !== undefined) {
    server = createServer(async (req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    });
    await new Promise<void>((r) => server?.listen(cfg.metricsPort, "127.0.0.1", r));
    const addr = server.address();
    metricsUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : cfg.metricsPort}/metrics`;
  }
  logger.info(
    {
      me,
      bridge: cfg.bridge,
      disputeGame: gameAddress,
      cursor,
      resumed: unfinished.length,
      models: checker.localModels,
      sampleRate: cfg.sampleRate,
      level0: HAS_LEVEL0,
      metricsUrl,
    },
    "watcher started",
  );
  // The odds a claimer faces (docs/dispute-game.md "Sampling"): our own rate, and the network's
  // for --assume-watchers N, against the stake one claim puts at risk.
  const stake = await bridge
    .config()
    .then((c) => c.minWorkerStake)
    .catch(() => undefined);
  const odds = samplingOdds(cfg.sampleRate, cfg.assumeWatchers, stake);
  logger.info(
    {
      sampleRate: odds.rate,
      assumeWatchers: odds.assumeWatchers,
      pCaught: odds.pCaught,
      maxUnprofitableGainWei: odds.maxUnprofitableGainWei,
    },
    odds.text,
  );

  return {
    me,
    store,
    metrics,
    scheduler,
    metricsUrl,
    async close() {
      closing = true;
      await follower.stop();
      await scheduler.stop();
      await checks;
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      await checker.close();
      await deps.content?.close?.();
      await store.close();
    },
  };
}
