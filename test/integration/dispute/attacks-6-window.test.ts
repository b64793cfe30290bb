/**
 * Attack 6 of issue 18, disputes never expire, on the real Bridge and DisputeGame (embedded
 * devnet) with a real sequencer node following L1, its real Batcher posting the batches and the
 * ClaimsRecorder (sequencer/batch-claims.ts) recording each batch's claims root on L1:
 *  - an honest worker disputed on an old claim, after that claim's window, wins without running
 *    anything: it proves the claim's inclusion in a recorded batch (DisputeGame.proveClaimFinal)
 *    and is paid the challenger's bond;
 *  - a lie disputed inside its window cannot use the proof, not even once the window is over,
 *    and still loses (slashed);
 *  - a claim in no batch yet stays disputable (no proof exists), and loses when it cannot answer;
 *  - every hostile call (wrong proof, unrecorded batch, a stranger or a second recording, an
 *    empty root) reverts by name and changes nothing.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import t from "tap";
import type { Hex } from "viem";
import { walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import {
  type ClaimMsg,
  claimDigest,
  encodeTx,
  NO_GENERATION,
  signClaim,
  signTx,
  type UserTx,
} from "../../../protocol/tx.ts";
import { buildApi } from "../../../sequencer/api.ts";
import { Batcher } from "../../../sequencer/batch.ts";
import { type ClaimInclusion, ClaimsRecorder } from "../../../sequencer/batch-claims.ts";
import { bridgeBatchView } from "../../../sequencer/batch-l1.ts";
import { registerClaimRoutes } from "../../../sequencer/claims-routes.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { SequencerReader } from "../../../verifier/l2.ts";
import { Defender } from "../../../verifier/worker/defender.ts";
import { createWorkerMetrics } from "../../../verifier/worker/metrics.ts";
import { WorkerStore } from "../../../verifier/worker/store.ts";

const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const cidOf = (b: number) => `0x01551220${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;

t.test("attack 6: a claim is disputable only inside its window on L1", async (t) => {
  const devnet = await startDevnet({});
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const pub = devnet.clients.publicClient;
  const chain = devnet.chain;
  const wallet = (i: number) => walletClientFor(devnet.clients, chain.accounts[i].privateKey);
  const worker = { key: fromHex(chain.accounts[2].privateKey), l1: wallet(2) };
  const workerAddr = addressOf(worker.key);
  const challenger = wallet(4);
  const stranger = wallet(5);
  const cfg = await dep.bridge.config();
  const window = Number(cfg.challengeWindow);
  const l1Now = async () => Number((await pub.getBlock({ blockTag: "latest" })).timestamp);

  const model = await dep.bridge.registerModel(
    {
      graphRoot: h32(0x11),
      weightsRoot: h32(0),
      outputRefsRoot: h32(0x12),
      inputRangesRoot: h32(0x13),
      nodeCount: 1,
      weightCount: 0,
      inputCount: 1,
      outputCount: 1,
    },
    cidOf(0x13),
  );
  const modelId = model.modelId;
  await dep.bridge.as(worker.l1).stake(cfg.minWorkerStake * 4n);
  await dep.bridge.as(challenger).depositBond(cfg.challengerBond * 5n);

  // ---------------------------------------------------------------- a sequencer following L1
  const { genesis, key } = resolveGenesis({
    ...DEFAULTS,
    genesis: {
      ...DEFAULTS.genesis,
      l1ChainId: String(dep.chainId),
      bridge: dep.address,
      challengeWindowMs: 60_000,
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "verdict-attack6-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let l2Now = (await l1Now()) * 1000;
  const node = await SequencerNode.open({
    dataDir: dir,
    genesis,
    sequencerKey: key ?? undefined,
    verifyWorkers: 0,
    clock: () => l2Now,
    l1: new BridgeFollower(devnet.clients, {
      bridge: dep.address,
      confirmations: 0,
      startBlock: Number(dep.blockNumber),
    }),
  });
  t.teardown(() => node.close());
  // with the L1 view: the batch counts the inbox messages (models, L1 requests, stake changes) its blocks derived
  const batcher = new Batcher(node, dep.bridge, {
    cidOf: async (d) => toHex((await fileCid(d)).bytes),
    l1: bridgeBatchView(dep.bridge),
    confirmations: 0,
  });
  const cdom = claimDomain(BigInt(dep.chainId), dep.address);
  const recorder = new ClaimsRecorder({
    block: (n) => node.block(n),
    confirmed: () => batcher.confirmed(),
    l1: dep.bridge,
    claimDomain: cdom,
  });
  const app = await buildApi(node, createMetrics(), { batcher });
  registerClaimRoutes(app, recorder);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  t.teardown(() => app.close());
  const l2dom = l2Domain(genesis.l2ChainId);
  let nonce = 0;
  const send = async (body: Record<string, unknown>) => {
    const tx = signTx(
      { ...body, from: workerAddr, nonce: nonce++, fee: 0n } as never,
      worker.key,
      l2dom,
    ) as UserTx;
    await node.submit(encodeTx(tx));
  };
  const game = new DisputeGameContract(devnet.clients, dep.disputeGame, challenger);
  const claimer = game.as(worker.l1);

  // L1 requests become L2 jobs; the worker claims three and submits a claim for each.
  const jobOf = new Map<number, Hex>();
  for (const n of [1, 2, 3]) {
    const r = await dep.bridge.as(wallet(3)).requestInference({
      modelId,
      inputRoot: h32(0x30 + n),
      inputCid: cidOf(0x30 + n),
      deadline: BigInt(await l1Now()) + 7200n,
      escrow: 1n,
    });
    t.ok(r.requestId >= 0n);
  }
  const sealed = await node.sealNow();
  for (const rc of sealed?.receipts ?? [])
    for (const e of rc.events)
      if (e.kind === "JobPosted" && e.l1RequestId) jobOf.set(Number(e.l1RequestId) + 1, e.jobId as Hex);
  t.equal(jobOf.size, 3, "three L2 jobs");
  await send({
    type: "registerWorker",
    models: [modelId],
    price: 1n,
    capacity: 10,
    multiaddr: "/ip4/127.0.0.1/tcp/4001",
  });
  for (const n of [1, 2, 3]) await send({ type: "claimJob", jobId: jobOf.get(n) });
  await node.sealNow();
  const claims = new Map<number, { claim: ClaimMsg; sig: Hex; key: Hex }>();
  const submit = async (n: number) => {
    const claim: ClaimMsg = {
      jobId: jobOf.get(n) as Hex,
      worker: addressOf(worker.key),
      modelId,
      inputRoot: h32(0x30 + n),
      outputRoot: h32(0x40 + n),
      traceRoot: h32(0x50 + n),
      generationSpec: NO_GENERATION,
      outputCid: cidOf(0x60 + n),
      traceCid: "0x",
    };
    const sig = signClaim(claim, worker.key, cdom);
    claims.set(n, { claim, sig, key: toHex(claimDigest(claim, cdom)) });
    await send({ type: "submitResult", claim, claimSignature: sig });
  };
  // Claim 1 (honest: it is never shown wrong) and claim 2 (a lie) go into batch 0.
  await submit(1);
  await submit(2);
  await node.sealNow();
  const batch0 = await batcher.postOnce();
  t.equal(batch0?.index, 0, "batch 0 posted");
  await batcher.postOnce(); // the next step finds it on L1: confirmed (0 confirmations)
  t.same(await recorder.recordOnce(), [0], "its claims root recorded");
  t.same(await recorder.recordOnce(), [], "once");
  const onL1 = await dep.bridge.batchClaims(0n);
  t.equal(onL1.root, (await recorder.tree(batch0!))?.rootHex, "L1 holds the tree of the batch's two claims");
  t.same((await recorder.tree(batch0!))?.claimKeys, [claims.get(1)!.key, claims.get(2)!.key]);

  const incl1 = (await recorder.inclusion(claims.get(1)!.key)) as ClaimInclusion;
  const incl2 = (await recorder.inclusion(claims.get(2)!.key)) as ClaimInclusion;
  t.equal(incl1.batchIndex, 0);
  t.equal(
    await dep.bridge.claimFinalAt(0n, claims.get(1)!.key, incl1),
    onL1.recordedAt + cfg.challengeWindow,
    "a batched claim is final challengeWindow after L1 recorded it",
  );

  // ---------------------------------------------------------------- hostile recordings
  await t.rejects(dep.bridge.as(stranger).recordBatchClaims(0n, h32(1)), /NotSequencer/, "a stranger");
  await t.rejects(dep.bridge.recordBatchClaims(0n, h32(1)), /BatchClaimsAlreadyRecorded/, "twice");
  await t.rejects(dep.bridge.recordBatchClaims(5n, h32(1)), /UnknownBatch/, "a batch L1 does not hold");
  await t.rejects(dep.bridge.recordBatchClaims(0n, h32(0)), /EmptyClaimsRoot/, "an empty root");
  t.same(await dep.bridge.batchClaims(0n), onL1, "the record is unchanged");

  // ---------------------------------------------------------------- a lie disputed inside its window
  const lie = claims.get(2)!;
  const inWindow = await game.challengeOutput(lie.claim, lie.sig, 0);
  await t.rejects(
    claimer.proveClaimFinal(inWindow.disputeId, 0n, incl2),
    /ClaimStillDisputable/,
    "no escape in the window",
  );

  // ---------------------------------------------------------------- claim 3: not batched yet
  await submit(3);
  await node.sealNow();
  const fresh = claims.get(3)!;
  t.match(
    await recorder.inclusion(fresh.key),
    { error: /in no recorded batch/ },
    "no proof for an unbatched claim",
  );

  // ---------------------------------------------------------------- past the window
  await chain.increaseTime(window + 1);
  await chain.mine(1);
  l2Now = (await l1Now()) * 1000;
  const unbatched = await game.challengeOutput(fresh.claim, fresh.sig, 0);
  await t.rejects(
    claimer.proveClaimFinal(unbatched.disputeId, 0n, incl1),
    /ClaimNotInBatch/,
    "another claim's proof",
  );
  await t.rejects(
    claimer.proveClaimFinal(unbatched.disputeId, 1n, incl1),
    /BatchClaimsNotRecorded/,
    "a batch never recorded",
  );
  await t.rejects(
    claimer.proveClaimFinal(inWindow.disputeId, 0n, incl2),
    /ClaimStillDisputable/,
    "a dispute opened inside the window stays, whenever the proof comes",
  );

  // The honest worker, long after claim 1 was final, is disputed on it: it proves the claim final.
  const honest = claims.get(1)!;
  const bondBefore = (await dep.bridge.bondOf(workerAddr)).free;
  const challengerBefore = await dep.bridge.bondOf(challenger.account.address);
  const late = await game.challengeOutput(honest.claim, honest.sig, 0);
  await t.rejects(
    claimer.proveClaimFinal(late.disputeId, 0n, { ...incl1, leafIndex: 1 }),
    /ClaimNotInBatch/,
    "a proof at another index",
  );
  await t.rejects(
    claimer.proveClaimFinal(late.disputeId, 0n, { ...incl1, proof: [] }),
    /ProofLengthMismatch/,
    "a proof of the wrong depth",
  );
  t.equal((await game.getDispute(late.disputeId)).winner, Winner.none, "hostile proofs changed nothing");
  // The worker's real defender, with the model dropped (its view cannot be rebuilt), asks the
  // sequencer API for the claim's inclusion, checks it on L1 and proves the claim final.
  const wdir = mkdtempSync(join(tmpdir(), "verdict-attack6-worker-"));
  t.teardown(() => rmSync(wdir, { recursive: true, force: true }));
  const store = new WorkerStore(join(wdir, "db"));
  await store.open();
  const reader = new SequencerReader(url);
  const viewsAsked: Hex[] = [];
  const defender = new Defender({
    game: claimer,
    store,
    logger: pino({ level: "silent" }),
    metrics: createWorkerMetrics(),
    claimer: workerAddr,
    viewFor: async (jobId) => {
      viewsAsked.push(jobId);
      throw new Error(`job ${jobId} was run on model ${modelId}, which this worker no longer serves`);
    },
    claimInclusion: async (claimKey) => {
      const p = await reader.claimInclusion(claimKey);
      return p && { ...p, finalAt: await dep.bridge.claimFinalAt(BigInt(p.batchIndex), claimKey, p) };
    },
    pollMs: 20,
    startBlock: Number(dep.blockNumber),
  });
  t.teardown(async () => {
    await defender.stop();
    await store.close();
  });
  await defender.scan();
  const deadline = Date.now() + 60_000;
  while ((await game.getDispute(late.disputeId)).winner === Winner.none && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const ended = await game.getDispute(late.disputeId);
  t.equal(ended.winner, Winner.claimer, "the honest worker wins without its model");
  t.notOk(viewsAsked.includes(honest.claim.jobId), "never needing the model for the old claim");
  t.ok(viewsAsked.includes(lie.claim.jobId), "while the lie disputed in its window needs it (and has none)");
  t.equal(
    (await dep.bridge.bondOf(workerAddr)).free - bondBefore,
    cfg.challengerBond,
    "and is paid the challenger's bond",
  );
  const challengerAfter = await dep.bridge.bondOf(challenger.account.address);
  t.same(
    [challengerAfter.free, challengerAfter.locked],
    [challengerBefore.free - cfg.challengerBond, challengerBefore.locked],
    "the challenger's bond for it is spent",
  );
  t.notOk(await game.claimInvalidated(honest.key), "the claim stands");
  await t.rejects(game.as(stranger).proveClaimFinal(late.disputeId, 0n, incl1), /WrongPhase/, "once");

  // Anyone may send the proof; it costs O(1) gas.
  const again = await game.challengeOutput(honest.claim, honest.sig, 0);
  const proved = await game.as(stranger).proveClaimFinal(again.disputeId, 0n, incl1);
  t.ok(proved.gasUsed < 120_000n, `proveClaimFinal costs O(1) gas (${proved.gasUsed})`);
  t.equal(
    (await game.getDispute(again.disputeId)).winner,
    Winner.claimer,
    "a second late dispute ends the same way",
  );

  // The lie and the unbatched claim cannot answer level 0 (their roots are made up): they lose.
  await chain.increaseTime(Number(dep.params.disputeClock) + 1);
  await chain.mine(1);
  const stakeBefore = await dep.bridge.stakeOf(workerAddr);
  await game.timeout(inWindow.disputeId);
  await game.timeout(unbatched.disputeId);
  t.equal(
    (await game.getDispute(inWindow.disputeId)).winner,
    Winner.challenger,
    "the lie disputed in its window loses",
  );
  t.equal(
    (await game.getDispute(unbatched.disputeId)).winner,
    Winner.challenger,
    "the unbatched claim was disputable",
  );
  t.ok(await game.claimInvalidated(lie.key), "the lie is invalidated");
  t.equal(
    stakeBefore.active - (await dep.bridge.stakeOf(workerAddr)).active,
    2n * cfg.minWorkerStake,
    "and each loss is slashed",
  );
});
