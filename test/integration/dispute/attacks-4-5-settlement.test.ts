/**
 * Attacks 4 and 5 of issue 18, settlement: every dispute counts, whenever it ends. On the real
 * Bridge and DisputeGame on the embedded chain, played by the real planners, and the real L2
 * state machine fed by the real BridgeFollower:
 *  4. a sock-puppet dispute: the liar's puppet opens a level-0 dispute beside the honest one and
 *     loses it on purpose in one move; L2 keeps the job disputed (the honest dispute is still
 *     open), refuses to pay it, and refunds it when the honest challenger wins;
 *     On L1 the same rule: Bridge.deliverResult holds the result back while any dispute on its
 *     claim is open (ClaimUnderDispute), and refuses it once one is lost (ClaimInvalidated);
 *  5. a claim invalidated before it is submitted: the liar's puppet disputes the signed claim
 *     while the job is only claimed on L2, and wins; L2 refunds the job at once (capacity and
 *     collateral freed) and refuses the claim when it is submitted afterwards.
 */
import t from "tap";
import type { Hex } from "viem";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { ClaimsTree } from "../../../protocol/claims.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { MessageTree } from "../../../protocol/withdrawal.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { keys } from "../../../sequencer/state/records.ts";
import { type Move, planClaimerMove, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { mlpFixture, signClaimAs, tamper } from "../../helpers/dispute.ts";
import {
  CHALLENGER,
  CHALLENGER2,
  type Game,
  MIN_STAKE,
  playOut,
  rejectsWith,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { L2Machine } from "../../helpers/l2-machine.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const honest = buildPartyView(f.model, [f.input], f.outputs);
// A wrong element deep in the trace; its outputs are its own trace's, so level 0 finds no fault.
const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3));
const worker = b.accounts[WORKER].address.toLowerCase() as Hex;

/** The game's contracts, an L2 that follows them, and the liar's job claimed on it. */
async function rig(): Promise<{ g: Game; l2: L2Machine; sync: () => Promise<void> }> {
  const game = await setupGame(b, f, liar);
  // The claim's outputRoot is the liar's own outputs: bound to its trace, so level 0 holds.
  const claim = { ...game.claim, outputRoot: toHex(viewOutputRoot(liar)) };
  const g: Game = { ...game, claim, signature: await signClaimAs(b, WORKER, claim, game.d.address) };
  const chainId = BigInt(await b.clients().publicClient.getChainId());
  const l2 = new L2Machine(claimDomain(chainId, g.d.address), 60_000, MIN_STAKE);
  const follower = new BridgeFollower(b.clients(0), { bridge: g.d.address, confirmations: 0 });
  let after = Number(g.d.blockNumber) - 1;
  const sync = async () => {
    const { origin, txs } = await follower.derive(after);
    for (const tx of txs) {
      try {
        l2.apply(tx);
      } catch {
        // a derived tx the state machine refuses is skipped, as the node does
      }
    }
    after = origin.number;
  };
  l2.registerWorker(worker, g.claim.modelId);
  await sync();
  l2.postAndClaim(g.claim.jobId, g.claim.modelId, g.claim.inputRoot, worker);
  return { g, l2, sync };
}

t.test("attack 4: a puppet's lost dispute does not release the job; the honest win refunds it", async (t) => {
  const { g, l2, sync } = await rig();
  const jobId = g.claim.jobId;
  l2.apply(l2.submit(worker, g.claim, g.signature));
  const honestGame = await g.as(CHALLENGER).open(g.claim, g.signature);
  const puppet = await g.as(CHALLENGER2).challengeOutput(g.claim, g.signature, 0);
  await sync();
  t.equal(l2.job(jobId).status, "disputed", "both disputes reach L2");
  t.equal(
    (l2.state.get(keys.jobDisputes(jobId)) as { open: unknown[] }).open.length,
    2,
    "L2 follows both, not only the first",
  );

  // The puppet loses on purpose: the liar answers level 0 in one move and wins it.
  await g
    .as(WORKER)
    .play(puppet.disputeId, planClaimerMove(liar, await g.game.readGame(puppet.disputeId)) as Move);
  t.equal((await g.game.getDispute(puppet.disputeId)).winner, Winner.claimer, "the puppet lost");
  await sync();
  t.equal(l2.job(jobId).status, "disputed", "the honest dispute still holds the job");
  l2.now += 120_000; // past the window
  l2.rejects(
    t,
    { type: "finalize", ...l2.user(worker), jobId },
    /is disputed, nothing to finalize/,
    "no payout",
  );

  const played = await playOut(g, honestGame.disputeId, liar, honest);
  t.equal(played.winner, Winner.challenger, "the honest challenger wins");
  await sync();
  t.equal(l2.job(jobId).status, "refunded", "the job is refunded");
  t.equal(l2.job(jobId).refundReason, "dispute lost");
});

t.test("attack 5: a claim invalidated before it is submitted refunds the job at once", async (t) => {
  const { g, l2, sync } = await rig();
  const jobId = g.claim.jobId;
  // The liar's puppet (dev account CHALLENGER here) disputes the signed claim while L2 has the
  // job only claimed, and wins.
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  await sync();
  t.equal(l2.job(jobId).status, "claimed", "L2 records the dispute on the claimed job");
  const played = await playOut(g, disputeId, liar, honest);
  t.equal(played.winner, Winner.challenger);
  t.ok(await g.game.claimInvalidated(await g.d.bridge.claimDigest(g.claim)), "invalidated on L1");
  await sync();
  t.equal(l2.job(jobId).status, "refunded", "refunded although the claim never reached L2");
  t.equal(l2.job(jobId).refundReason, "dispute lost");
  t.equal((l2.state.get(keys.stake(worker)) as { backing: number }).backing, 0, "its collateral is free");
  l2.rejects(
    t,
    l2.submit(worker, g.claim, g.signature),
    /is refunded, not claimed/,
    "the claim comes too late",
  );
});

t.test("a staked accomplice's copy of the liar's claim opens no dispute and changes nothing", async (t) => {
  // The claim names its worker: an accomplice signing the liar's claim content (to lose on purpose
  // and invalidate the digest, so that L2 would have to refund a job its worker was never
  // disputed on) is refused up front, on L1 and so on L2.
  const { g, l2, sync } = await rig();
  const jobId = g.claim.jobId;
  l2.apply(l2.submit(worker, g.claim, g.signature));
  const ACCOMPLICE = 6;
  await g.d.bridge.as(b.wallet(ACCOMPLICE)).stake(MIN_STAKE);
  const copy = await signClaimAs(b, ACCOMPLICE, g.claim, g.d.address);
  await rejectsWith(
    t,
    g.as(CHALLENGER).open(g.claim, copy),
    "ClaimSignerNotWorker",
    "the copy opens no dispute",
  );
  await sync();
  t.equal(l2.job(jobId).status, "submitted", "L2 still holds the worker's claim");
  t.notOk(await g.game.claimInvalidated(await g.d.bridge.claimDigest(g.claim)), "the digest stands on L1");
});

t.test("attack 4 on L1: no result is delivered while any dispute on its claim is open", async (t) => {
  const { g } = await rig();
  const requester = g.d.bridge.as(b.wallet(5));
  const pub = b.clients().publicClient;
  const now = (await pub.getBlock()).timestamp;
  const { requestId } = await requester.requestInference({
    modelId: g.claim.modelId,
    inputRoot: g.claim.inputRoot,
    inputCid: `0x01551220${"bb".repeat(32)}`,
    deadline: now + 100_000n,
    escrow: 1000n,
  });
  // The sequencer (the deployer) posts a batch whose message tree holds the claim's result.
  const claimKey = await g.d.bridge.claimDigest(g.claim);
  const result = { requestId, claimKey, outputRoot: g.claim.outputRoot, outputCid: g.claim.outputCid };
  const tree = new MessageTree([{ kind: "result", ...result }]);
  const { batchIndex } = await g.d.bridge.postBatch({
    firstBlock: 1n,
    lastBlock: 1n,
    stateRoot: `0x${"11".repeat(32)}`,
    withdrawalRoot: tree.rootHex,
    // the Bridge checks the batch data against its hash: one byte stands in for the blocks
    txDataHash: batchDataHash(batchDataWithoutTxs()),
    txData: toHex(batchDataWithoutTxs()),
    cid: "0x01",
  });
  const p = tree.proof(0);
  // ...and records the claim on L1 (its claims tree), which starts the claim's L1 window.
  const claims = new ClaimsTree([claimKey]);
  await g.d.bridge.recordBatchClaims(batchIndex, claims.rootHex);
  const inc = claims.proofOf(claimKey) as NonNullable<ReturnType<ClaimsTree["proofOf"]>>;
  const delivery = {
    requestId,
    claim: g.claim,
    claimSignature: g.signature,
    result: { batchIndex, leafIndex: p.leafIndex, leafCount: p.leafCount, proof: p.proof },
    inclusion: { batchIndex, ...inc },
  };
  await b.increaseTime(101);

  const honestGame = await g.as(CHALLENGER).open(g.claim, g.signature);
  const puppet = await g.as(CHALLENGER2).challengeOutput(g.claim, g.signature, 0);
  await g
    .as(WORKER)
    .play(puppet.disputeId, planClaimerMove(liar, await g.game.readGame(puppet.disputeId)) as Move);
  t.equal((await g.game.getDispute(puppet.disputeId)).winner, Winner.claimer, "the puppet lost");
  await rejectsWith(
    t,
    requester.deliverResult(delivery),
    "ClaimUnderDispute",
    "held back by the honest dispute",
  );
  await playOut(g, honestGame.disputeId, liar, honest);
  await rejectsWith(t, requester.deliverResult(delivery), "ClaimInvalidated", "refused once the claim lost");
  t.equal((await g.d.bridge.getRequest(requestId)).result, 0, "never delivered (L2 refunds the job)");
});
