/**
 * The watcher on a claim whose job input leaves its model's declared range (docs/dispute-game.md
 * "Inputs outside a declared range"): the real Checker (model by its registered CID, input through
 * the content layer) finds the first offending element instead of only refusing the input, and
 * the real GameScheduler opens challengeInput on it against the real contracts and records the
 * win; restarted after the tx landed, it finds the dispute on chain and opens no second one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { openContent } from "../../../content/open.ts";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { cidToBytesHex } from "../../../protocol/cid.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { toHex } from "../../../protocol/index.ts";
import { claimDigest, NO_GENERATION } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import { viewOutputRoot } from "../../../verifier/game/view.ts";
import { CheckError, Checker, InputOutsideRange } from "../../../verifier/watcher/checker.ts";
import { createWatcherMetrics } from "../../../verifier/watcher/metrics.ts";
import { GameScheduler } from "../../../verifier/watcher/scheduler.ts";
import { type GameRecord, WatcherStore } from "../../../verifier/watcher/store.ts";
import { signClaimAs } from "../../helpers/dispute.ts";
import { BOND, CHALLENGER, deployGame, h32, MIN_STAKE, STAKE, WORKER } from "../../helpers/dispute-game.ts";
import { inputRangeFixture } from "../../helpers/input-range.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const f = await inputRangeFixture();
const b = await embeddedBackend();
const content = await openContent();
t.teardown(async () => {
  await content.close();
  await b.close();
});
const g = await deployGame(b, f.model);
await g.d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND * 4n);
await content.add(f.bytes);
const checker = await Checker.create({ content, l1: { clients: b.clients(0), bridge: g.d.address } });
t.teardown(() => checker.close());
const me = b.accounts[CHALLENGER].address;
const worker = b.accounts[WORKER].address;
const chainId = BigInt(await b.clients().publicClient.getChainId());

let jobs = 700;
async function claimOn(inputs: TensorData[]) {
  const inputCid = cidToBytesHex(await content.add(encodeTensorFile(inputs)));
  const claim: ClaimMessage = {
    jobId: h32(jobs++),
    worker: worker.toLowerCase() as Hex,
    modelId: g.modelId,
    inputRoot: toHex(tensorListRoot(inputs)),
    outputRoot: toHex(viewOutputRoot(f.honest)),
    traceRoot: toHex(f.honest.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: "0x",
    traceCid: "0x",
  };
  const signature = await signClaimAs(b, WORKER, claim, g.d.address);
  const job = { modelId: g.modelId, inputRoot: claim.inputRoot, inputCid };
  const record: GameRecord = {
    claimKey: toHex(claimDigest(claim, claimDomain(chainId, g.d.address))),
    jobId: claim.jobId,
    claim,
    signature,
    worker,
    l2Block: 1,
    submittedAt: 0,
    inputCid,
    status: "opening",
    level: "input",
    updatedAt: 0,
  };
  return { claim, signature, job, record };
}

/** A watcher's scheduler started afresh on a store holding `record`, playing as the watcher does. */
async function restartOn(t: Test, record: GameRecord) {
  const dir = mkdtempSync(join(tmpdir(), "verdict-input-range-"));
  const store = await WatcherStore.open(join(dir, "db"));
  await store.put(record);
  let built = 0;
  const scheduler = new GameScheduler({
    game: g.as(CHALLENGER),
    bridge: g.d.bridge.as(b.wallet(CHALLENGER)),
    store,
    metrics: createWatcherMetrics(),
    logger: pino({ level: "silent" }),
    me,
    pollMs: 20,
    viewFor: async () => {
      throw new Error("challengeInput needs no game view");
    },
    inputChallengeFor: async (r) => {
      built++;
      return (
        await checker.inputChallenge(r.claim, {
          modelId: r.claim.modelId,
          inputRoot: r.claim.inputRoot,
          inputCid: r.inputCid,
        })
      ).opening;
    },
  });
  t.teardown(async () => {
    await scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const r of await store.unfinished()) scheduler.start(r);
  return { scheduler, store, built: () => built };
}

const ourDisputes = async (claimKey: Hex) =>
  (await g.game.disputesOpened({ claimKey }, 0n)).filter(
    (e) => e.challenger.toLowerCase() === me.toLowerCase(),
  );

async function restake(): Promise<bigint> {
  if ((await g.d.bridge.stakeOf(worker)).active < MIN_STAKE)
    await g.d.bridge.as(b.wallet(WORKER)).stake(STAKE);
  return (await g.d.bridge.stakeOf(worker)).active;
}

t.test("the checker names the first out-of-range element instead of only refusing", async (t) => {
  const bad = await claimOn(f.badInputs);
  const err = await checker.check(bad.claim, bad.job).then(
    () => null,
    (e) => e,
  );
  t.ok(err instanceof InputOutsideRange, "an InputOutsideRange");
  t.match(err?.message, /input 0 \(ids\): element 257 is 16, outside the model's declared range \[0, 15\]/);
  t.equal((err as InputOutsideRange).challenge.opening.element, 257n);
  t.ok(err instanceof CheckError, "still a CheckError: nothing is re-executed");
  const honest = await claimOn(f.inputs);
  t.equal((await checker.check(honest.claim, honest.job)).verdict, "agree", "the in-range claim agrees");
  await t.rejects(checker.inputChallenge(honest.claim, honest.job), /inside its model's declared ranges/);
  // An input that is not the job's (another root) is refused as before, never challenged.
  const other = await claimOn(f.badInputs);
  const wrongRoot = { ...other.job, inputRoot: h32(5) };
  const e2 = await checker.check(other.claim, wrongRoot).then(
    () => null,
    (e) => e,
  );
  t.ok(
    e2 instanceof CheckError && !(e2 instanceof InputOutsideRange),
    "another root: refused, not challenged",
  );
});

t.test("from 'opening': challengeInput opened and won at once", async (t) => {
  const stake = await restake();
  const bad = await claimOn(f.badInputs);
  const r = await restartOn(t, bad.record);
  await r.scheduler.idle();
  const after = await r.store.get(bad.record.claimKey);
  t.equal(after?.status, "won");
  t.same(after?.moves, { openDispute: 1 }, "one tx, no game");
  const opened = await ourDisputes(bad.record.claimKey);
  t.equal(opened.length, 1);
  const d = await g.game.getDispute(opened[0].disputeId);
  t.same([d.phase, d.winner], [Phase.resolved, Winner.challenger]);
  t.equal(stake - (await g.d.bridge.stakeOf(worker)).active, MIN_STAKE, "the worker slashed");
});

t.test("crashed after challengeInput landed: found on chain, not reopened", async (t) => {
  await restake();
  const bad = await claimOn(f.badInputs);
  const c = await checker.inputChallenge(bad.claim, bad.job);
  const { disputeId } = await g.as(CHALLENGER).challengeInput(bad.claim, bad.signature, c.opening);
  const r = await restartOn(t, { ...bad.record, pending: { kind: "openDispute", at: 0 } });
  await r.scheduler.idle();
  const after = await r.store.get(bad.record.claimKey);
  t.equal(after?.status, "won");
  t.equal(after?.disputeId, disputeId.toString(), "the dispute it had opened");
  t.equal((await ourDisputes(bad.record.claimKey)).length, 1, "no second dispute");
  t.equal(r.built(), 0, "no opening rebuilt: nothing left to send");
});
