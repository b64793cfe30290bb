/**
 * The dispute game end to end, every scenario on the embedded chain and on a real anvil node (one
 * per backend for the whole file): a small MLP from buildMlp, run by the reference interpreter,
 * committed, registered on the Bridge; a worker signs a claim and the planners of bridge/dispute
 * play both sides through the DisputeGame contract.
 *
 * A lying claimer loses (a wrong MatMulInteger element, decided by fold bisection; a wrong Gather
 * table lookup, decided by the one-step map check), an honest claimer beats a lying challenger,
 * each side's clock running out decides the game (a claimer withholding data loses on time),
 * forged and replayed signatures are refused, a second dispute on an invalidated claim ends at
 * once with the bond returned, and a re-entering contract challenger is paid once.
 */
import t, { type Test } from "tap";
import { encodeFunctionData, type Hex, parseEther, parseEventLogs, toFunctionSelector } from "viem";
import { BridgeRevert, type ClaimMessage } from "../../../bridge/bridge.ts";
import { type Deployment, deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import {
  type Move,
  Phase,
  planChallengerMove,
  planClaimerMove,
  planDirectChunk,
  planDirectTraceLeaf,
  Winner,
} from "../../../bridge/dispute/planner.ts";
import { type PlayedGame, playToEnd } from "../../../bridge/dispute/play.ts";
import { buildPartyView, type PartyView } from "../../../bridge/dispute/view.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import {
  reentrantChallengerAbi,
  reentrantChallengerBytecode,
} from "../../../contracts/artifacts/ReentrantChallenger.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { claimDomain, typesFor } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, type ModelCommitment, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const WORKER = 1;
const CHALLENGER = 2;
const CHALLENGER2 = 3;
const STRANGER = 5;
const CLOCK = 600n;
const STAKE = parseEther("2");
const MIN_STAKE = parseEther("1");
const BOND = parseEther("0.1");

const h32 = (n: number): Hex => toHex(sha256(u32be(n)));

interface Fixture {
  model: ModelCommitment;
  input: TensorData;
  outputs: TensorData[][];
}

async function fixture(): Promise<Fixture> {
  // 11 nodes: MatMulInteger (K=40), Div, Clip, Cast, Relu, MatMulInteger (K=300), Div, Clip, Add,
  // Gather (the GELU table), MatMulInteger (K=300). Node outputs of 300 int32 span two chunks.
  const bytes = encodeOnnx(buildMlp({ inputDim: 40, hidden: 300, layers: 2, classes: 4 }));
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(40);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 255) - 127;
  const input: TensorData = { dtype: 3, shape: [1, 40], data };
  const run = runModel(pm, [{ dtype: 3, shape: [1, 40], data }]);
  return { model, input, outputs: run.nodeOutputs };
}

/** The node outputs with element `e` of node `node` changed (a lie in one place). */
function tamper(outputs: TensorData[][], node: number, e: number, delta = 1): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((t) => {
      if (i !== node) return t;
      const data = (t.data as Int32Array).slice();
      data[e] = data[e] + delta;
      return { ...t, data };
    }),
  );
}

interface Game {
  b: L1Backend;
  d: Deployment;
  game: DisputeGameContract;
  claim: ClaimMessage;
  signature: Hex;
  as: (i: number) => DisputeGameContract;
}

async function setupGame(b: L1Backend, f: Fixture, claimerView: PartyView): Promise<Game> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: CLOCK,
  });
  const bridgeAs = (i: number) => d.bridge.as(b.wallet(i));
  const m = f.model;
  const { modelId } = await d.bridge.registerModel(
    {
      graphRoot: toHex(m.graphRoot),
      weightsRoot: toHex(m.weightsRoot),
      outputRefsRoot: toHex(m.outputRefsRoot),
      nodeCount: m.nodeCount,
      weightCount: m.weightCount,
      inputCount: m.inputCount,
      outputCount: m.outputCount,
    },
    m.cidBytes,
  );
  await bridgeAs(WORKER).stake(STAKE);
  await bridgeAs(CHALLENGER).depositBond(BOND);
  await bridgeAs(CHALLENGER2).depositBond(BOND);
  const lastNode = claimerView.trace.outputs[m.nodeCount - 1][0];
  const claim: ClaimMessage = {
    jobId: h32(1),
    modelId,
    inputRoot: toHex(tensorListRoot([f.input])),
    outputRoot: toHex(sha256(lastNode.root)),
    traceRoot: toHex(claimerView.trace.root),
    outputCid: `0x01551220${"aa".repeat(32)}`,
    traceCid: "0x",
  };
  const signature = await signClaim(b, WORKER, claim, d.address);
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  return { b, d, game, claim, signature, as: (i) => game.as(b.wallet(i)) };
}

async function signClaim(b: L1Backend, signer: number, claim: ClaimMessage, bridge: Hex, chainDelta = 0) {
  const chainId = BigInt(await b.clients().publicClient.getChainId()) + BigInt(chainDelta);
  const domain = claimDomain(chainId, bridge);
  const w = b.wallet(signer);
  return w.signTypedData({
    domain: { ...domain, chainId: Number(domain.chainId) },
    types: typesFor("Claim"),
    primaryType: "Claim",
    message: claim,
  } as unknown as Parameters<typeof w.signTypedData>[0]);
}

/** Plays the game to the end with the two planners, each on its own view. */
function playOut(g: Game, id: bigint, claimer: PartyView, challenger: PartyView): Promise<PlayedGame> {
  return playToEnd(id, { game: g.as(WORKER), view: claimer }, { game: g.as(CHALLENGER), view: challenger });
}

async function rejectsWith(t: Test, p: Promise<unknown>, errorName: string, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.ok(err instanceof BridgeRevert, `${what}: a BridgeRevert (${(err as Error).message})`);
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}

/** Every scenario on `b` (the embedded chain and anvil run the same list). */
async function scenarios(t: Test, b: L1Backend, f: Fixture): Promise<void> {
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  const addr = (i: number) => b.accounts[i].address;

  await t.test(
    "a wrong MatMulInteger element loses by fold bisection; the stake is slashed once",
    async (t) => {
      const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 270));
      const g = await setupGame(b, f, liar);
      const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
      const stake0 = await g.d.bridge.stakeOf(addr(WORKER));
      t.equal(stake0.openDisputes, 1, "the worker's stake is frozen");
      t.same(await g.d.bridge.bondOf(addr(CHALLENGER)), { free: 0n, locked: BOND }, "the bond is locked");
      const played = await playOut(g, disputeId, liar, honest);
      t.equal(played.winner, Winner.challenger, "the challenger wins");
      const kinds = played.moves.map((m) => m.kind);
      t.ok(kinds.includes("pickChunkChild"), "descended the chunk tree");
      t.equal(kinds.filter((k) => k === "postFoldStates").length, 3, "K = 300: three bisection rounds");
      t.equal(kinds[kinds.length - 1], "oneStep", "ends with the one step");
      const dispute = await g.game.getDispute(disputeId);
      t.equal(dispute.nodeIndex, 5, "narrowed to node 5");
      t.equal(dispute.element, 270n, "and element 270");
      t.equal(dispute.kHi - dispute.kLo, 1n, "to one fold step");
      t.equal(dispute.kHi, 300n, "the last one: every earlier state was right");
      t.ok(await g.game.claimInvalidated(dispute.claimKey), "the claim is invalidated");
      const stake = await g.d.bridge.stakeOf(addr(WORKER));
      t.equal(stake.active, STAKE - MIN_STAKE, "slashed by the minimum stake");
      t.equal(stake.openDisputes, 0, "unfrozen");
      t.same(
        await g.d.bridge.bondOf(addr(CHALLENGER)),
        { free: BOND + MIN_STAKE / 2n, locked: 0n },
        "bond back plus half the slash",
      );
      t.equal(await g.d.bridge.burned(), MIN_STAKE / 2n, "the other half burned");
      for (const m of played.moves) t.ok(m.gas < 1_000_000n, `${m.side} ${m.kind}: ${m.gas} gas`);

      await t.test("a second dispute on the invalidated claim ends at once, bond returned", async (t) => {
        const second = await g.as(CHALLENGER2).open(g.claim, g.signature);
        const d2 = await g.game.getDispute(second.disputeId);
        t.equal(d2.phase, Phase.resolved);
        t.equal(d2.winner, Winner.void);
        t.same(await g.d.bridge.bondOf(addr(CHALLENGER2)), { free: BOND, locked: 0n });
        t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "not slashed twice");
      });
    },
  );

  await t.test("a wrong Gather lookup loses at the one-step map check", async (t) => {
    const bad = f.outputs.map((outs, i) =>
      outs.map((x) => {
        if (i !== 9) return x;
        const data = (x.data as Int8Array).slice();
        data[7] = data[7] === 127 ? 126 : data[7] + 1;
        return { ...x, data };
      }),
    );
    const liar = buildPartyView(f.model, [f.input], bad);
    const g = await setupGame(b, f, liar);
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    const played = await playOut(g, disputeId, liar, honest);
    t.equal(played.winner, Winner.challenger);
    const d = await g.game.getDispute(disputeId);
    t.equal(d.nodeIndex, 9);
    t.equal(d.element, 7n);
    t.notOk(
      played.moves.some((m) => m.kind === "postFoldStates"),
      "no bisection for a map op",
    );
  });

  await t.test("an honest claimer beats a lying challenger", async (t) => {
    const g = await setupGame(b, f, honest);
    const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3, 1000));
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    const played = await playOut(g, disputeId, honest, liar);
    t.equal(played.winner, Winner.claimer, "the claimer wins");
    t.notOk(
      await g.game.claimInvalidated((await g.game.getDispute(disputeId)).claimKey),
      "nothing invalidated",
    );
    t.same(
      await g.d.bridge.bondOf(addr(CHALLENGER)),
      { free: 0n, locked: 0n },
      "the challenger lost its bond",
    );
    t.same(await g.d.bridge.bondOf(addr(WORKER)), { free: BOND / 2n, locked: 0n }, "half to the worker");
    t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "stake untouched");
  });

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
    t.same(await g.d.bridge.bondOf(addr(WORKER)), { free: BOND / 2n, locked: 0n });
  });

  await t.test("forged, tampered and replayed signatures are refused", async (t) => {
    const g = await setupGame(b, f, honest);
    const forged = await signClaim(b, STRANGER, g.claim, g.d.address);
    await rejectsWith(
      t,
      g.as(CHALLENGER).open(g.claim, forged),
      "NotBondedWorker",
      "signed by an unbonded key",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).open({ ...g.claim, traceRoot: h32(9) }, g.signature),
      "NotBondedWorker",
      "a tampered claim",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).open(g.claim, await signClaim(b, WORKER, g.claim, addr(STRANGER))),
      "NotBondedWorker",
      "a signature for another Bridge replayed here",
    );
    const otherChain = await signClaim(b, WORKER, g.claim, g.d.address, 1);
    await rejectsWith(
      t,
      g.as(CHALLENGER).open(g.claim, otherChain),
      "NotBondedWorker",
      "another chain's domain",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).open(g.claim, "0x1234"),
      "ECDSAInvalidSignatureLength",
      "malformed",
    );
    await rejectsWith(t, g.as(STRANGER).open(g.claim, g.signature), "InsufficientFreeBond", "without a bond");
  });

  await t.test("hostile moves are refused with named errors", async (t) => {
    const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 270));
    const g = await setupGame(b, f, liar);
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    await rejectsWith(t, g.as(STRANGER).timeout(99n), "UnknownDispute", "an unknown dispute");
    let view = await g.game.readGame(disputeId);
    const reveal = planClaimerMove(liar, view) as Move & { kind: "revealTraceChildren" };
    t.equal(reveal.kind, "revealTraceChildren");
    await rejectsWith(t, g.as(STRANGER).play(disputeId, reveal), "NotYourMove", "a stranger reveals");
    await rejectsWith(t, g.as(CHALLENGER).play(disputeId, reveal), "NotYourMove", "the challenger reveals");
    const wrong = [...reveal.children];
    wrong[3] = h32(3);
    await rejectsWith(
      t,
      g.as(WORKER).play(disputeId, { kind: "revealTraceChildren", children: wrong }),
      "ChildrenDoNotHashToNode",
      "children that do not hash to the node",
    );
    await rejectsWith(
      t,
      g.as(WORKER).play(disputeId, { kind: "revealTraceChildren", children: wrong.slice(0, 8) }),
      "ChildCountMismatch",
      "too few children",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { kind: "pickTraceChild", children: reveal.children, child: 0 }),
      "WrongPhase",
      "a pick before the reveal",
    );
    await g.as(WORKER).play(disputeId, reveal);
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { kind: "pickTraceChild", children: reveal.children, child: 11 }),
      "ChildOutOfRange",
      "a child past the last node (zero padding)",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { kind: "pickTraceChild", children: wrong, child: 1 }),
      "StatesMismatch",
      "children other than the revealed ones",
    );
    // Play on to the one step, then try openings that do not open the operands.
    for (;;) {
      view = await g.game.readGame(disputeId);
      if (view.dispute.phase === Phase.oneStep) break;
      const c = planClaimerMove(liar, view);
      if (c) await g.as(WORKER).play(disputeId, c);
      else await g.as(CHALLENGER).play(disputeId, planChallengerMove(honest, view) as Move);
    }
    const step = planChallengerMove(honest, view) as Move & { kind: "oneStep" };
    const badChunk = { ...step.openings[0], chunk: `0x${"00".repeat(1024)}` as Hex };
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { ...step, openings: [badChunk, step.openings[1]] }),
      "OpeningMismatch",
      "an operand chunk that is not in its tensor",
    );
    const badBinding = { ...step.inputs[1], dataRoot: h32(7) };
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { ...step, inputs: [step.inputs[0], badBinding] }),
      "InputNotBound",
      "an operand tensor not in the weights",
    );
    await rejectsWith(t, g.as(STRANGER).play(disputeId, step), "NotAParty", "a stranger's one step");
    await g.as(CHALLENGER).play(disputeId, step);
    t.equal((await g.game.getDispute(disputeId)).winner, Winner.challenger, "the real openings decide");
    await rejectsWith(t, g.as(CHALLENGER).play(disputeId, step), "WrongPhase", "no move after the end");
    await rejectsWith(t, g.as(STRANGER).timeout(disputeId), "WrongPhase", "no timeout after the end");
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
      ["lockDispute", [addr(CHALLENGER), addr(WORKER)]],
      ["settleDispute", [addr(CHALLENGER), addr(WORKER), 1]],
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
    await rejectsWith(
      t,
      g
        .as(CHALLENGER)
        .open(
          { ...g.claim, jobId: h32(2) },
          await signClaim(b, WORKER, { ...g.claim, jobId: h32(2) }, g.d.address),
        ),
      "NotBondedWorker",
      "a worker with no stake left",
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

  await t.test("direct mode: the challenger names the leaf and the chunk of a published trace", async (t) => {
    const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 270));
    const g = await setupGame(b, f, liar);
    const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
    let view = await g.game.readGame(disputeId);
    const leafMove = planDirectTraceLeaf(honest, view, liar.trace) as Move & { kind: "directTraceLeaf" };
    t.equal(leafMove.nodeIndex, 5, "the first wrong leaf of the published trace");
    await rejectsWith(t, g.as(WORKER).play(disputeId, leafMove), "NotYourMove", "the claimer cannot");
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { ...leafMove, leaf: h32(5) }),
      "ChildrenDoNotHashToNode",
      "a leaf not in the claimer's trace",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { ...leafMove, nodeIndex: 11 }),
      "ChildOutOfRange",
      "a leaf past the last node",
    );
    await g.as(CHALLENGER).play(disputeId, leafMove);
    view = await g.game.readGame(disputeId);
    t.equal(view.dispute.phase, Phase.leafReveal, "straight to the leaf reveal");
    await g.as(WORKER).play(disputeId, planClaimerMove(liar, view) as Move);
    view = await g.game.readGame(disputeId);
    const chunkMove = planDirectChunk(honest, view, liar.trace.outputs[5][0]) as Move & {
      kind: "directChunk";
    };
    t.equal(chunkMove.chunkIndex, 1n, "the chunk holding element 270");
    await g.as(CHALLENGER).play(disputeId, chunkMove);
    const played = await playOut(g, disputeId, liar, honest);
    t.equal(played.winner, Winner.challenger, "the challenger wins");
    t.notOk(
      played.moves.some((m) => m.kind === "revealTraceChildren" || m.kind === "revealChunkChildren"),
      "no descent rounds were needed",
    );
  });
}

t.test("dispute game on the embedded chain", async (t) => {
  const f = await fixture();
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("dispute game on anvil", async (t) => {
  const f = await fixture();
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});
