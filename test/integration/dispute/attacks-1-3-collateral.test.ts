/**
 * Attacks 1-3 of issue 18, collateral per claim, on the real Bridge and DisputeGame on the
 * embedded chain and the real L2 state machine fed by the real BridgeFollower (L1 stake reaches
 * L2 as `workerStake` system txs, like deposits):
 *  1. an unstaked worker: L2 refuses its claim up front, and a claim it signed anyway is disputed
 *     on L1 and ends at once, unbacked, the bond back (never refused for lack of stake); a copy
 *     of a staked worker's claim signed by an empty key does not touch that worker's claim;
 *  2. one stake behind many claims: L2 lets a worker back only as many open claims as its active
 *     stake covers (claimCollateral = minWorkerStake each), so three concurrent lies have three
 *     slashes behind them and every winning challenger is paid;
 *  3. unbond, then lie: L2 learns the unbonding and refuses the claim; a claim submitted before
 *     the unbonding is still disputed, freezes the withdrawal and is slashed from unbonding
 *     stake; once the stake is gone, a claim signed earlier is disputed and ends at once.
 */

import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { type Deployment, deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import type { Tx } from "../../../protocol/tx.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { mlpFixture, registerModel, signClaimAs } from "../../helpers/dispute.ts";
import { BOND, CLOCK, h32, MIN_STAKE, rejectsWith, testClaim } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { L2_REQUESTER, L2Machine, SOME_CID } from "../../helpers/l2-machine.ts";

const WORKER = 1;
const CHALLENGERS = [2, 3, 4];
const UNSTAKED = 6;
/** DisputeGame's winner code for a claim whose signer has no stake (lost at once, bond back). */
const UNBACKED = 4;

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const addr = (i: number) => b.accounts[i].address.toLowerCase() as Hex;

interface Rig {
  d: Deployment;
  game: DisputeGameContract;
  l2: L2Machine;
  modelId: Hex;
  /** Derives every L1 event so far into L2 (the follower, then the state machine). */
  sync: () => Promise<void>;
  /** A claim (a lie: an arbitrary trace) for L2 job `job`, signed by dev account `signer`. */
  claim: (job: number, signer?: number) => Promise<{ claim: ClaimMessage; signature: Hex }>;
}

async function rig(): Promise<Rig> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: CLOCK,
  });
  const modelId = await registerModel(d.bridge, f.model);
  for (const c of CHALLENGERS) await d.bridge.as(b.wallet(c)).depositBond(BOND);
  const chainId = BigInt(await b.clients().publicClient.getChainId());
  const l2 = new L2Machine(claimDomain(chainId, d.address), 60_000, MIN_STAKE);
  const follower = new BridgeFollower(b.clients(0), { bridge: d.address, confirmations: 0 });
  let after = Number(await b.clients().publicClient.getBlockNumber()) - 50;
  const sync = async () => {
    const { origin, txs } = await follower.derive(Math.max(after, 0));
    for (const tx of txs) {
      try {
        l2.apply(tx);
      } catch {
        // derived txs that do not apply (a deposit of an earlier test's Bridge, ...) are skipped, as the node does
      }
    }
    after = origin.number;
  };
  const claim = async (job: number, signer = WORKER) => {
    const c = testClaim(b, {
      jobId: h32(1000 + job),
      worker: addr(signer),
      modelId,
      inputRoot: h32(7),
      outputRoot: h32(8),
      traceRoot: h32(9 + job),
    });
    return { claim: c, signature: await signClaimAs(b, signer, c, d.address) };
  };
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  return { d, game, l2, modelId, sync, claim };
}

/** Posts L2 job `job` (input h32(7)) and has `worker` claim it. */
function post(r: Rig, job: number, worker: number): Hex {
  const id = h32(1000 + job);
  r.l2.postAndClaim(id, r.modelId, h32(7), addr(worker));
  return id;
}

/** Posts L2 job `job`; `claimTx(worker)` is the claimJob tx of `worker` for it, built at call time. */
function postOnly(r: Rig, job: number): { id: Hex; claimTx: (worker?: number) => Tx } {
  const id = h32(1000 + job);
  r.l2.registerModel(r.modelId);
  r.l2.apply(
    {
      type: "postJob",
      ...r.l2.user(L2_REQUESTER),
      modelId: r.modelId,
      inputRoot: h32(7),
      inputCid: SOME_CID,
      escrow: 1000n,
      deadline: r.l2.now + 3_600_000,
    },
    id,
  );
  return { id, claimTx: (worker = WORKER) => ({ type: "claimJob", ...r.l2.user(addr(worker)), jobId: id }) };
}

async function lostAtOnce(t: Test, r: Rig, claim: ClaimMessage, signature: Hex, what: string) {
  const before = await r.d.bridge.bondOf(addr(CHALLENGERS[0]));
  const { disputeId } = await r.game.as(b.wallet(CHALLENGERS[0])).open(claim, signature);
  const d = await r.game.getDispute(disputeId);
  t.equal(d.winner, UNBACKED, `${what}: disputed and lost at once (unbacked)`);
  t.notOk(
    await r.game.claimInvalidated(await r.d.bridge.claimDigest(claim)),
    `${what}: the loss is its signer's alone (the digest, which names no signer, is not marked)`,
  );
  t.same(await r.d.bridge.bondOf(addr(CHALLENGERS[0])), before, `${what}: the bond is back`);
  t.equal(
    await r.d.bridge.openDisputesOn(await r.d.bridge.claimDigest(claim)),
    0n,
    `${what}: no dispute left running on it`,
  );
}

t.test("attack 1: an unstaked worker's claim is refused by L2 and lost at once on L1", async (t) => {
  const r = await rig();
  r.l2.registerWorker(addr(UNSTAKED), r.modelId);
  const { claimTx } = postOnly(r, 1);
  r.l2.rejects(
    t,
    claimTx(UNSTAKED),
    /active L1 stake 0 does not cover another claim/,
    "L2 refuses the claim of a worker with no stake",
  );
  const { claim, signature } = await r.claim(1, UNSTAKED);
  await lostAtOnce(t, r, claim, signature, "a claim it signed anyway");
});

t.test("attack 1: a key with no stake signing a worker's claim cannot touch it", async (t) => {
  const r = await rig();
  r.l2.registerWorker(addr(WORKER), r.modelId);
  await r.d.bridge.as(b.wallet(WORKER)).stake(MIN_STAKE);
  await r.sync();
  post(r, 5, WORKER);
  const honest = await r.claim(5);
  r.l2.apply(r.l2.submit(addr(WORKER), honest.claim, honest.signature));
  // The claim names its worker: the same claim signed by an unstaked key opens no dispute.
  const impostor = await signClaimAs(b, UNSTAKED, honest.claim, r.d.address);
  await rejectsWith(
    t,
    r.game.as(b.wallet(CHALLENGERS[1])).open(honest.claim, impostor),
    "ClaimSignerNotWorker",
    "a signature by a key other than the named worker",
  );
  // Its own copy (naming itself) is another claim: lost at once (unbacked), by that key alone.
  const copy = { ...honest.claim, worker: addr(UNSTAKED) };
  const { disputeId } = await r.game
    .as(b.wallet(CHALLENGERS[1]))
    .open(copy, await signClaimAs(b, UNSTAKED, copy, r.d.address));
  const d = await r.game.getDispute(disputeId);
  t.equal(d.claimer.toLowerCase(), addr(UNSTAKED), "the dispute is against the impostor's copy");
  t.equal(d.winner, UNBACKED, "which has no stake: lost at once (unbacked)");
  t.not(d.claimKey, await r.d.bridge.claimDigest(honest.claim), "under another claim key");
  t.notOk(
    await r.game.claimInvalidated(await r.d.bridge.claimDigest(honest.claim)),
    "the claim stands on L1",
  );
  await r.sync();
  t.equal(r.l2.job(h32(1005)).status, "submitted", "and on L2: the job is not refunded");
});

t.test("attack 2: every open claim has its own collateral; three lies, three slashes", async (t) => {
  const r = await rig();
  const worker = r.d.bridge.as(b.wallet(WORKER));
  r.l2.registerWorker(addr(WORKER), r.modelId);
  await worker.stake(MIN_STAKE);
  await r.sync();
  post(r, 1, WORKER);
  const second = postOnly(r, 2);
  r.l2.rejects(t, second.claimTx(), /does not cover another claim: it backs 1 of/, "one stake, one claim");
  await worker.stake(2n * MIN_STAKE);
  await r.sync();
  r.l2.apply(second.claimTx());
  post(r, 3, WORKER);
  const fourth = postOnly(r, 4);
  r.l2.rejects(t, fourth.claimTx(), /it backs 3 of/, "three stakes, three claims");

  // Three lies submitted on L2, each disputed on L1 by its own challenger at once.
  const ids: bigint[] = [];
  for (const job of [1, 2, 3]) {
    const { claim, signature } = await r.claim(job);
    r.l2.apply(r.l2.submit(addr(WORKER), claim, signature));
    const { disputeId } = await r.game.as(b.wallet(CHALLENGERS[job - 1])).open(claim, signature);
    ids.push(disputeId);
  }
  await r.sync();
  t.same(
    [1, 2, 3].map((j) => r.l2.job(h32(1000 + j)).status),
    ["disputed", "disputed", "disputed"],
    "L2 follows the three disputes",
  );
  await b.increaseTime(Number(CLOCK) + 1);
  for (const id of ids) await r.game.as(b.wallet(CHALLENGERS[0])).timeout(id);
  for (const [k, id] of ids.entries()) {
    t.equal((await r.game.getDispute(id)).winner, Winner.challenger, `lie ${k + 1} loses`);
    t.same(
      await r.d.bridge.bondOf(addr(CHALLENGERS[k])),
      { free: BOND + MIN_STAKE / 2n, locked: 0n },
      `challenger ${k + 1} is paid from its own claim's collateral`,
    );
  }
  t.equal((await r.d.bridge.stakeOf(addr(WORKER))).active, 0n, "three slashes took the three stakes");
  await r.sync();
  t.same(
    [1, 2, 3].map((j) => r.l2.job(h32(1000 + j)).status),
    ["refunded", "refunded", "refunded"],
    "every lie is refunded on L2",
  );
  r.l2.rejects(t, fourth.claimTx(), /active L1 stake 0 does not cover/, "L2 knows the stake is gone");
});

t.test("attack 3: unbonding stake backs no new claim, and cannot escape a claim it backs", async (t) => {
  const r = await rig();
  const worker = r.d.bridge.as(b.wallet(WORKER));
  r.l2.registerWorker(addr(WORKER), r.modelId);
  await worker.stake(2n * MIN_STAKE);
  await r.sync();
  // Claim 1 is submitted before the unbonding; claim 2 is claimed before and submitted after it.
  post(r, 1, WORKER);
  post(r, 2, WORKER);
  const one = await r.claim(1);
  r.l2.apply(r.l2.submit(addr(WORKER), one.claim, one.signature));
  await worker.unbond(2n * MIN_STAKE);
  await r.sync();
  const two = await r.claim(2);
  r.l2.rejects(
    t,
    r.l2.submit(addr(WORKER), two.claim, two.signature),
    /no longer covers the 2 claims it backs/,
    "L2 refuses a lie submitted after the unbonding",
  );
  const third = postOnly(r, 3);
  r.l2.rejects(t, third.claimTx(), /active L1 stake 0 does not cover/, "and any new claim");

  // The claim submitted before is disputed within its window: the withdrawal waits for the game.
  const { disputeId } = await r.game.as(b.wallet(CHALLENGERS[0])).open(one.claim, one.signature);
  await b.increaseTime(10_001);
  await rejectsWith(t, worker.withdrawUnbonded(), "StakeFrozenByDispute", "no withdrawal during the dispute");
  await r.game.as(b.wallet(CHALLENGERS[0])).timeout(disputeId);
  t.equal((await r.game.getDispute(disputeId)).winner, Winner.challenger, "the lie loses");
  const st = await r.d.bridge.stakeOf(addr(WORKER));
  t.same([st.active, st.unbonding], [0n, MIN_STAKE], "slashed from the unbonding stake");
  await worker.withdrawUnbonded();
  await r.sync();
  t.equal(r.l2.job(h32(1001)).status, "refunded", "L2 refunds the lie");

  // With the stake gone, a lie signed earlier (claim 2) is still disputable: it loses at once.
  await lostAtOnce(t, r, two.claim, two.signature, "a lie of a worker that withdrew");
});
