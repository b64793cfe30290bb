/**
 * bridge/follower.ts on the DisputeGame: DisputeOpened and DisputeResolved become disputeOpened /
 * disputeResolved system txs carrying the job id and the claim key, in L1 log order together
 * with the Bridge's model registration and deposits, across getLogs range chunks; a resolution whose opening lies before
 * the range (a restarted follower) finds it by scanning back; a void end (a dispute on an
 * invalidated claim) is derived as a loss for the claimer. On the embedded chain and on anvil.
 */

import t, { type Test } from "tap";
import { type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import type { Tx } from "../../../protocol/tx.ts";
import { NO_GENERATION } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import { type Move, planClaimerMove, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { type MlpFixture, mlpFixture, registerModel, signClaimAs } from "../../helpers/dispute.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const WORKER = 1;
const CHALLENGER = 2;
const STRANGER = 5;
const CLOCK = 600n;

/** The derived txs other than stake changes (checked on their own below). */
const games = (txs: Tx[]) => txs.filter((x) => x.type !== "workerStake");

/** A compact view of derived txs for comparison. */
function brief(tx: Tx): unknown[] {
  switch (tx.type) {
    case "deposit":
      return ["deposit", tx.depositId];
    case "disputeOpened":
      return ["opened", tx.disputeId, tx.jobId, tx.claimKey, tx.challenger.toLowerCase()];
    case "disputeResolved":
      return ["resolved", tx.disputeId, tx.jobId, tx.claimKey, tx.claimerWon];
    case "modelRegistered":
      return ["model", tx.modelId];
    default:
      return [tx.type];
  }
}

async function scenario(t: Test, b: L1Backend, f: MlpFixture): Promise<void> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
    disputeClock: CLOCK,
  });
  const start = Number(d.blockNumber);
  const modelId = await registerModel(d.bridge, f.model);
  await d.bridge.as(b.wallet(WORKER)).stake(parseEther("3"));
  await d.bridge.as(b.wallet(CHALLENGER)).depositBond(parseEther("1"));
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  const as = (i: number) => game.as(b.wallet(i));
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  const claimFor = (n: number): ClaimMessage => ({
    jobId: toHex(sha256(new Uint8Array([n]))),
    modelId,
    inputRoot: toHex(tensorListRoot([f.input])),
    outputRoot: toHex(sha256(honest.trace.outputs[f.model.nodeCount - 1][0].root)),
    traceRoot: toHex(honest.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: "0x01",
    traceCid: "0x",
  });
  const challenger = b.accounts[CHALLENGER].address.toLowerCase();
  const depositor = d.bridge.as(b.wallet(STRANGER));
  const recipient = b.accounts[7].address;

  const c1 = claimFor(1);
  const c2 = claimFor(2);
  const [s1, s2] = [await signClaimAs(b, WORKER, c1, d.address), await signClaimAs(b, WORKER, c2, d.address)];
  const k1 = (await d.bridge.claimDigest(c1)) as Hex;
  const k2 = (await d.bridge.claimDigest(c2)) as Hex;

  await depositor.deposit(recipient, 1n);
  const a = await as(CHALLENGER).open(c1, s1);
  await depositor.deposit(recipient, 2n);
  const bb = await as(CHALLENGER).open(c2, s2);
  const afterOpen = Number(bb.receipt.blockNumber);
  // Dispute b: the claimer reveals once, then the challenger stays silent and loses on time.
  await as(WORKER).play(bb.disputeId, planClaimerMove(honest, await game.readGame(bb.disputeId)) as Move);
  await b.increaseTime(Number(CLOCK) + 1);
  await as(STRANGER).timeout(a.disputeId); // claimer silent: challenger wins
  await as(STRANGER).timeout(bb.disputeId); // challenger silent: claimer wins
  t.equal((await game.getDispute(a.disputeId)).winner, Winner.challenger);
  t.equal((await game.getDispute(bb.disputeId)).winner, Winner.claimer);
  // A dispute on the invalidated claim ends void in the same tx that opens it.
  const v = await as(CHALLENGER).open(c1, s1);
  t.equal((await game.getDispute(v.disputeId)).winner, Winner.void);

  const follower = new BridgeFollower(b.clients(0), {
    bridge: d.address,
    confirmations: 0,
    startBlock: start,
    maxRange: 2,
  });
  const all = await follower.derive(start);
  t.same(
    games(all.txs).map(brief),
    [
      ["model", modelId],
      ["deposit", 0n],
      ["opened", a.disputeId, c1.jobId, k1, challenger],
      ["deposit", 1n],
      ["opened", bb.disputeId, c2.jobId, k2, challenger],
      ["resolved", a.disputeId, c1.jobId, k1, false],
      ["resolved", bb.disputeId, c2.jobId, k2, true],
      ["opened", v.disputeId, c1.jobId, k1, challenger],
      ["resolved", v.disputeId, c1.jobId, k1, false],
    ],
    "the model's registration, deposits and disputes in log order; void derived as a loss for the claimer",
  );
  const slashes = all.txs.filter((x) => x.type === "workerStake");
  t.same(
    slashes.map((x) => x.type === "workerStake" && [x.worker, x.active]),
    [
      [b.accounts[WORKER].address.toLowerCase(), parseEther("3")],
      [b.accounts[WORKER].address.toLowerCase(), parseEther("2")],
    ],
    "the stake, then the slash of the lost claim, reach L2 as the worker's stake",
  );

  // A follower started after the openings (a restarted sequencer) scans back for them.
  const restarted = new BridgeFollower(b.clients(0), {
    bridge: d.address,
    disputeGame: d.disputeGame,
    confirmations: 0,
    startBlock: start,
    maxRange: 1,
  });
  const later = await restarted.derive(afterOpen);
  t.same(
    games(later.txs).map(brief).slice(0, 2),
    [
      ["resolved", a.disputeId, c1.jobId, k1, false],
      ["resolved", bb.disputeId, c2.jobId, k2, true],
    ],
    "resolutions after a restart carry the job id and claim key of their openings",
  );

  // Openings before startBlock are not L2's business: their resolutions are not derived either.
  const late = new BridgeFollower(b.clients(0), {
    bridge: d.address,
    confirmations: 0,
    startBlock: afterOpen + 1,
  });
  t.same(
    games((await late.derive(afterOpen)).txs)
      .map(brief)
      .slice(0, 2),
    [
      ["opened", v.disputeId, c1.jobId, k1, challenger],
      ["resolved", v.disputeId, c1.jobId, k1, false],
    ],
    "only the dispute opened inside the followed range",
  );
}

t.test("embedded chain", async (t) => {
  const f = await mlpFixture(16, 32);
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenario(t, b, f);
});

t.test("anvil", async (t) => {
  const f = await mlpFixture(16, 32);
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenario(t, b, f);
});
