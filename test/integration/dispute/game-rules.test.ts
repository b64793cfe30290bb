/**
 * The dispute game's rules around the moves, every one on the embedded chain and on a real anvil
 * node (one per backend for the file), on the MLP of game.test.ts: each side's clock running out
 * decides the game (a claimer withholding data loses on time); forged, tampered and replayed
 * signatures (another chain, another Bridge) are refused; only the deployer names the game and
 * only the game settles; a worker that unbonds after signing is still slashed; a contract
 * challenger that re-enters on its payout is paid once.
 */
import t, { type Test } from "tap";
import { encodeFunctionData, type Hex, parseEventLogs, toFunctionSelector } from "viem";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import {
  reentrantChallengerAbi,
  reentrantChallengerBytecode,
} from "../../../contracts/artifacts/ReentrantChallenger.ts";
import { type Move, planClaimerMove, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { type MlpFixture, mlpFixture, signClaimAs } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CLOCK,
  h32,
  MIN_STAKE,
  rejectsWith,
  STAKE,
  STRANGER,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

/** DisputeGame's winner code for a claim whose signer has no stake (lost at once, bond back). */
const UNBACKED = 4;

/** Every scenario on `b` (the embedded chain and anvil run the same list). */
async function scenarios(t: Test, b: L1Backend, f: MlpFixture): Promise<void> {
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  const addr = (i: number) => b.accounts[i].address;

  await t.test("a claimer that withholds data loses on time", async (t) => {
    const g = await setupGame(b, f, honest);
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    await rejectsWith(t, g.as(STRANGER).timeout(disputeId), "ClockNotExpired", "timeout too early");
    await b.increaseTime(Number(CLOCK) + 1);
    const view = await g.game.readGame(disputeId);
    const move = planClaimerMove(honest, view);
    t.ok(move, "the claimer has a move");
    await rejectsWith(
      t,
      g.as(WORKER).play(disputeId, move as Move),
      "ClockExpired",
      "moving after the clock ran out",
    );
    await g.as(STRANGER).timeout(disputeId);
    const d = await g.game.getDispute(disputeId);
    t.equal(d.winner, Winner.challenger, "the challenger wins on time");
  });

  await t.test("a challenger whose clock runs out loses", async (t) => {
    const g = await setupGame(b, f, honest);
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    const view = await g.game.readGame(disputeId);
    await g.as(WORKER).play(disputeId, planClaimerMove(honest, view) as Move);
    await rejectsWith(
      t,
      g.as(WORKER).play(disputeId, planClaimerMove(honest, view) as Move),
      "WrongPhase",
      "the claimer cannot move twice",
    );
    await b.increaseTime(Number(CLOCK) + 1);
    await g.as(STRANGER).timeout(disputeId);
    t.equal((await g.game.getDispute(disputeId)).winner, Winner.claimer);
    t.same(await g.d.bridge.bondOf(addr(WORKER)), { free: BOND, locked: 0n }, "the whole bond to the worker");
  });

  await t.test("forged, tampered and replayed signatures bind nobody with stake", async (t) => {
    const g = await setupGame(b, f, honest);
    const forged = await signClaimAs(b, STRANGER, g.claim, g.d.address);
    const otherChain = await signClaimAs(b, WORKER, g.claim, g.d.address, 1);
    const cases: [string, typeof g.claim, Hex][] = [
      ["signed by an unbonded key", g.claim, forged],
      ["a tampered claim", { ...g.claim, traceRoot: h32(9) }, g.signature],
      [
        "a signature for another Bridge replayed here",
        g.claim,
        await signClaimAs(b, WORKER, g.claim, addr(STRANGER)),
      ],
      ["another chain's domain", g.claim, otherChain],
    ];
    for (const [what, claim, sig] of cases) {
      // The recovered signer is not the worker the claim names: no dispute opens, nothing moves.
      await rejectsWith(t, g.as(CHALLENGER).open(claim, sig), "ClaimSignerNotWorker", `${what}: refused`);
      t.same(
        await g.d.bridge.bondOf(addr(CHALLENGER)),
        { free: BOND, locked: 0n },
        `${what}: bond untouched`,
      );
    }
    // A claim naming (and signed by) a key with no stake opens, and loses at once (never refused
    // for lack of stake): the bond comes back, the real worker is untouched.
    const unbacked = { ...g.claim, worker: addr(STRANGER).toLowerCase() as Hex };
    const { disputeId } = await g
      .as(CHALLENGER)
      .open(unbacked, await signClaimAs(b, STRANGER, unbacked, g.d.address));
    const d = await g.game.getDispute(disputeId);
    t.equal(d.claimer.toLowerCase(), addr(STRANGER).toLowerCase(), "the unstaked signer is the claimer");
    t.equal(d.winner, UNBACKED, "no stake behind it, lost at once (unbacked)");
    t.same(await g.d.bridge.bondOf(addr(CHALLENGER)), { free: BOND, locked: 0n }, "bond back");
    t.notOk(await g.game.claimInvalidated(await g.d.bridge.claimDigest(g.claim)), "the real claim stands");
    t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "the real worker is not slashed");
    await rejectsWith(t, g.as(CHALLENGER).open(g.claim, "0x1234"), "SignatureLength", "malformed");
    await rejectsWith(t, g.as(STRANGER).open(g.claim, g.signature), "InsufficientFreeBond", "without a bond");
  });

  await t.test("only the deployer names the game, once; only the game settles", async (t) => {
    const g = await setupGame(b, f, honest);
    await rejectsWith(
      t,
      g.d.bridge.as(b.wallet(STRANGER)).setDisputeGame(addr(STRANGER)),
      "NotDeployer",
      "a stranger",
    );
    await rejectsWith(t, g.d.bridge.setDisputeGame(addr(STRANGER)), "DisputeGameAlreadySet", "a second time");
    t.equal(
      (await g.d.bridge.disputeGame()).toLowerCase(),
      g.d.disputeGame.toLowerCase(),
      "the deployed game",
    );
    const pub = b.clients().publicClient;
    for (const [functionName, args] of [
      ["lockDispute", [addr(CHALLENGER), addr(WORKER), `0x${"00".repeat(32)}`]],
      ["settleDispute", [addr(CHALLENGER), addr(WORKER), `0x${"00".repeat(32)}`, 1]],
    ] as const) {
      await t.rejects(
        pub.simulateContract({
          address: g.d.address,
          abi: bridgeAbi,
          functionName,
          args,
          account: addr(STRANGER),
        } as unknown as Parameters<typeof pub.simulateContract>[0]),
        /NotDisputeGame/,
        `${functionName} from a stranger`,
      );
    }
  });

  await t.test("a worker that unbonds after signing is still disputed, frozen and slashed", async (t) => {
    const g = await setupGame(b, f, honest);
    const worker = g.d.bridge.as(b.wallet(WORKER));
    await worker.unbond(STAKE);
    t.notOk(await g.d.bridge.isBondedWorker(addr(WORKER)), "no longer bonded for new jobs");
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    await b.increaseTime(10_001);
    await rejectsWith(t, worker.withdrawUnbonded(), "StakeFrozenByDispute", "withdrawal during the dispute");
    await g.as(STRANGER).timeout(disputeId);
    t.equal((await g.game.getDispute(disputeId)).winner, Winner.challenger, "the silent worker loses");
    const st = await g.d.bridge.stakeOf(addr(WORKER));
    t.same([st.active, st.unbonding, st.openDisputes], [0n, STAKE - MIN_STAKE, 0], "slashed from unbonding");
    await worker.withdrawUnbonded();
    t.equal((await g.d.bridge.stakeOf(addr(WORKER))).unbonding, 0n, "the rest is withdrawn after");
    const late = { ...g.claim, jobId: h32(2) };
    const { disputeId: lateId } = await g
      .as(CHALLENGER)
      .open(late, await signClaimAs(b, WORKER, late, g.d.address));
    t.equal(
      (await g.game.getDispute(lateId)).winner,
      UNBACKED,
      "a claim of a worker with no stake left is disputed and lost at once",
    );
    t.notOk(
      await g.game.claimInvalidated(await g.d.bridge.claimDigest(late)),
      "a loss for want of stake is the signer's alone: the digest (which names no signer) is not marked",
    );
  });

  await t.test("a contract challenger that re-enters on its payout is paid once", async (t) => {
    const g = await setupGame(b, f, honest);
    const pub = b.clients().publicClient;
    const deployer = b.wallet(STRANGER);
    const deployHash = await deployer.deployContract({
      abi: reentrantChallengerAbi,
      bytecode: reentrantChallengerBytecode,
      args: [g.d.address],
    });
    const proxy = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Hex;
    const exec = async (target: Hex, data: Hex, value = 0n) => {
      const hash = await deployer.writeContract({
        address: proxy,
        abi: reentrantChallengerAbi,
        functionName: "exec",
        args: [target, data],
        value,
      });
      const r = await pub.waitForTransactionReceipt({ hash });
      t.equal(r.status, "success", "exec succeeded");
      return r;
    };
    await exec(g.d.address, encodeFunctionData({ abi: bridgeAbi, functionName: "depositBond" }), BOND);
    const r = await exec(
      g.d.disputeGame,
      encodeFunctionData({
        abi: disputeGameAbi,
        functionName: "openDispute",
        args: [g.claim, g.signature],
      }),
    );
    const [opened] = parseEventLogs({ abi: disputeGameAbi, logs: r.logs, eventName: "DisputeOpened" });
    // The worker never reveals: the contract challenger wins on time.
    await b.increaseTime(Number(CLOCK) + 1);
    await g.as(STRANGER).timeout(opened.args.disputeId);
    const credit = BOND + MIN_STAKE / 2n;
    t.same(await g.d.bridge.bondOf(proxy), { free: credit, locked: 0n }, "bond back plus half the slash");
    const before = await pub.getBalance({ address: g.d.address });
    await exec(
      g.d.address,
      encodeFunctionData({ abi: bridgeAbi, functionName: "withdrawBond", args: [credit] }),
    );
    const read = <F extends "attempted" | "reentrySucceeded" | "received" | "reentryError">(
      functionName: F,
    ) => pub.readContract({ address: proxy, abi: reentrantChallengerAbi, functionName });
    t.ok(await read("attempted"), "the payout tried to re-enter");
    t.notOk(await read("reentrySucceeded"), "the re-entry failed");
    t.equal(
      String(await read("reentryError")).slice(0, 10),
      toFunctionSelector("ReentrancyGuardReentrantCall()"),
      "blocked by the reentrancy guard",
    );
    t.equal(await read("received"), credit, "paid exactly once");
    t.equal(await pub.getBalance({ address: g.d.address }), before - credit, "the Bridge paid out only that");
    t.same(await g.d.bridge.bondOf(proxy), { free: 0n, locked: 0n });
  });
}

t.test("dispute rules on the embedded chain", async (t) => {
  const f = await mlpFixture();
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("dispute rules on anvil", async (t) => {
  const f = await mlpFixture();
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});
