/**
 * The worker's Defender (worker/defender.ts) on the embedded L1 chain, in process: it finds
 * disputes on its own claims only (DisputeOpened filtered on `claimer`), answers the claimer's
 * turns from its view, calls `timeout` once a silent challenger's clock has run out and wins,
 * records the outcome in its store, and as a `silent` liar never moves (nor times anyone out)
 * and loses on time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import t from "tap";
import { type Address, type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { Phase, planChallengerMove, planOpening, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { buildClaim, signWorkerClaim } from "../../../verifier/worker/claim.ts";
import { Defender } from "../../../verifier/worker/defender.ts";
import { claimedRun, type FaultMode } from "../../../verifier/worker/faults.ts";
import { createWorkerMetrics } from "../../../verifier/worker/metrics.ts";
import type { ViewedRun } from "../../../verifier/worker/run.ts";
import { WorkerStore } from "../../../verifier/worker/store.ts";

const CLOCK = 300n;
const BOND = parseEther("0.1");
const MIN_STAKE = parseEther("1");
const WORKER = 2;
const OTHER_WORKER = 4;
const CHALLENGER = 3;

const devnet = await startDevnet({
  bridgeParams: {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: CLOCK,
  },
});
t.teardown(() => devnet.close());
const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
const acct = devnet.chain.accounts;
const wallet = (i: number) => walletClientFor(devnet.clients, acct[i].privateKey);
const addr = (i: number) => acct[i].address.toLowerCase() as Address;

const onnx = encodeOnnx(buildMlp({ inputDim: 40, hidden: 300, layers: 2, classes: 4 }));
const pm = loadProfileModel(onnx);
const model = await commitModel(pm, onnx);
const { modelId } = await dep.bridge.registerCommittedModel(model);
await dep.bridge.as(wallet(WORKER)).stake(MIN_STAKE * 6n);
await dep.bridge.as(wallet(OTHER_WORKER)).stake(MIN_STAKE);
await dep.bridge.as(wallet(CHALLENGER)).depositBond(BOND * 8n);
const challengerGame = new DisputeGameContract(devnet.clients, dep.disputeGame, wallet(CHALLENGER));

const data = new Int8Array(40).map((_, i) => ((i * 37) % 255) - 127);
const input: TensorData = { dtype: 3, shape: [1, 40], data };
const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [1, 40], data }]).nodeOutputs;
const inputRoot = tensorListRoot([input]);

let jobCounter = 0;
function signedClaim(run: ViewedRun, signer: number): { claim: ClaimMessage; signature: Hex; jobId: Hex } {
  const jobId = toHex(sha256(new TextEncoder().encode(`job ${jobCounter++}`)));
  const claim = buildClaim(
    { id: jobId, modelId, inputRoot: toHex(inputRoot) },
    acct[signer].address,
    modelId,
    inputRoot,
    run,
    {
      outputCid: "0x01551220aa",
      traceCid: "0x01551220bb",
    },
  );
  const key = Buffer.from(acct[signer].privateKey.slice(2), "hex");
  return {
    claim,
    signature: signWorkerClaim(claim, key, BigInt(dep.chainId), dep.address, addr(signer)),
    jobId,
  };
}

async function defenderFor(fault: FaultMode | null, run: ViewedRun) {
  const dir = mkdtempSync(join(tmpdir(), "verdict-defender-"));
  const store = new WorkerStore(join(dir, "db"));
  await store.open();
  const metrics = createWorkerMetrics();
  const resolved: [Hex, number][] = [];
  const defender = new Defender({
    game: new DisputeGameContract(devnet.clients, dep.disputeGame, wallet(WORKER)),
    store,
    logger: pino({ level: "silent" }),
    metrics,
    claimer: addr(WORKER),
    viewFor: async () => ({ view: run.view, fault }),
    onResolved: (jobId, winner) => resolved.push([jobId, winner]),
    pollMs: 20,
    startBlock: Number(dep.blockNumber),
  });
  return {
    defender,
    store,
    metrics,
    resolved,
    close: async () => {
      await defender.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitPhase(id: bigint, pred: (phase: number) => boolean, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (pred((await challengerGame.getDispute(id)).phase)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test("answers its turn, times out a silent challenger, wins; ignores others' claims", async (t) => {
  const honest = claimedRun(null, model, [input], nodeOutputs);
  const d = await defenderFor(null, honest);
  t.teardown(d.close);
  const mine = signedClaim(honest, WORKER);
  const theirs = signedClaim(honest, OTHER_WORKER);
  const other = await challengerGame.open(theirs.claim, theirs.signature);
  const { disputeId } = await challengerGame.open(mine.claim, mine.signature);
  t.equal(await d.defender.scan(), 1, "one dispute found");
  t.equal(await d.defender.scan(), 0, "and not twice");
  t.equal(await d.store.dispute(other.disputeId), null, "the other worker's dispute is not ours");
  const rec = await d.store.dispute(disputeId);
  t.equal(rec?.jobId, mine.jobId, "ours is recorded with its job");
  // the defender reveals the first trace layer; the challenger never picks
  await waitPhase(disputeId, (p) => p === Phase.tracePick, "the claimer's reveal");
  devnet.chain.increaseTime(Number(CLOCK) + 5);
  await devnet.chain.mine(1);
  await waitPhase(disputeId, (p) => p === Phase.resolved, "the timeout");
  const g = await challengerGame.getDispute(disputeId);
  t.equal(g.winner, Winner.claimer, "the claimer wins on the challenger's time");
  const end = Date.now() + 10_000;
  while (d.resolved.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.same(d.resolved, [[mine.jobId, Winner.claimer]], "the agent is told");
  t.equal((await d.store.dispute(disputeId))?.winner, Winner.claimer, "the outcome is stored");
  const text = await d.metrics.registry.metrics();
  t.match(text, /verdict_worker_dispute_moves_total\{kind="timeout"\} 1/, "one timeout sent");
  t.match(text, /verdict_worker_dispute_moves_total\{kind="revealTraceChildren"\} 1/, "after one reveal");
  t.match(text, /verdict_worker_disputes_total\{outcome="won"\} 1/);
});

t.test("a silent liar never moves and loses on time", async (t) => {
  const lie = claimedRun("silent", model, [input], nodeOutputs);
  const d = await defenderFor("silent", lie);
  t.teardown(d.close);
  const c = signedClaim(lie, WORKER);
  const { disputeId } = await challengerGame.open(c.claim, c.signature);
  t.equal(
    await d.defender.scan(),
    2,
    "a fresh data dir finds every dispute on its key's claims (the first, resolved, too)",
  );
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await challengerGame.getDispute(disputeId)).phase, Phase.traceReveal, "no reveal after 15 turns");
  devnet.chain.increaseTime(Number(CLOCK) + 5);
  await devnet.chain.mine(1);
  await challengerGame.timeout(disputeId);
  await waitPhase(disputeId, (p) => p === Phase.resolved, "resolution");
  t.equal((await challengerGame.getDispute(disputeId)).winner, Winner.challenger, "the challenger wins");
  const end = Date.now() + 10_000;
  const lost = () => d.resolved.find(([j]) => j === c.jobId);
  while (!lost() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  t.same(lost(), [c.jobId, Winner.challenger], "and the liar's agent records the loss");
  t.notMatch(await d.metrics.registry.metrics(), /dispute_moves_total\{kind=/, "not one move sent");
});

/**
 * The other lies, each defended by its own view against an honest challenger (this test, with
 * the challenger planner): the liar makes exactly the moves its mode allows and loses where the
 * mode says (docs in worker/faults.ts).
 */
const expectations: {
  mode: FaultMode;
  stuckIn: number | null;
  check: (metrics: string) => boolean;
  what: string;
}[] = [
  {
    mode: "wrong-output",
    stuckIn: null,
    check: (m) => /dispute_moves_total\{kind="answerOutput"\} 1/.test(m),
    what: "answers level 0 with its outputs and loses there",
  },
  {
    mode: "wrong-leaf",
    stuckIn: Phase.leafReveal,
    check: (m) => /dispute_move_errors_total\{kind="revealLeaf"\} [1-9]/.test(m),
    what: "descends the trace, cannot open its leaf, loses on time",
  },
  {
    mode: "withhold",
    stuckIn: Phase.chunkReveal,
    check: (m) => /kind="revealLeaf"\} 1/.test(m) && !/kind="revealChunkChildren"/.test(m),
    what: "opens the leaf, reveals no chunk, loses on time",
  },
];
for (const e of expectations) {
  t.test(`${e.mode}: ${e.what}`, async (t) => {
    const honest = buildPartyView(model, [input], nodeOutputs);
    const lie = claimedRun(e.mode, model, [input], nodeOutputs);
    const d = await defenderFor(e.mode, lie);
    t.teardown(d.close);
    const c = signedClaim(lie, WORKER);
    const opening = planOpening(honest, c.claim);
    t.ok(opening, "the honest challenger disputes it");
    const { disputeId } = await challengerGame.openPlanned(c.claim, c.signature, opening!);
    await d.defender.scan();
    let idle = 0;
    let stuckIn: number | null = null;
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      const g = await challengerGame.readGame(disputeId);
      if (g.dispute.phase === Phase.resolved) break;
      const move = planChallengerMove(honest, g);
      if (move) {
        await challengerGame.play(disputeId, move);
        idle = 0;
        continue;
      }
      if (++idle > 40) {
        // the claimer has not moved for 40 turns of ours: its clock runs out
        stuckIn = g.dispute.phase;
        devnet.chain.increaseTime(Number(CLOCK) + 5);
        await devnet.chain.mine(1);
        await challengerGame.timeout(disputeId);
        continue;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const final = await challengerGame.getDispute(disputeId);
    t.equal(final.winner, Winner.challenger, "the liar loses");
    t.equal(stuckIn, e.stuckIn, e.stuckIn === null ? "without a timeout" : `timed out in phase ${e.stuckIn}`);
    if (e.mode !== "wrong-output") t.equal(final.nodeIndex, lie.fault?.node, "at the node it lied about");
    // the defender sees the end on its next turn, after counting its last move
    const until = Date.now() + 20_000;
    while (!d.resolved.some(([j]) => j === c.jobId) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    t.ok(
      d.resolved.some(([j, w]) => j === c.jobId && w === Winner.challenger),
      "its agent records the loss",
    );
    t.ok(e.check(await d.metrics.registry.metrics()), "its moves are the mode's");
  });
}
