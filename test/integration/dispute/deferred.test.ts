/**
 * The deferred trace (docs/dispute-game.md "Deferred trace") on the real contracts on the embedded
 * chain: a claim with traceRoot = DEFERRED_TRACE is disputed with openDeferred; the claimer commits
 * its full trace root (commitTrace), the challenger chooses the opening against it (chooseOpening),
 * and the game goes on as today. On the level-0 fixture (three graph outputs):
 *
 * - a claimer that commits the honest trace for a wrong output loses at level 0 (unnamed, and
 *   named when the challenger knows k);
 * - a claimer that commits a trace consistent with its wrong output (a wrong node) loses at level 1;
 * - a claimer that never commits, or commits garbage, loses (on time / at the descent);
 * - an honest deferred claimer wins against a lying challenger's either choice, and against a
 *   challenger that never chooses;
 * - hostile openings and moves revert with named errors and change nothing.
 */

import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import type { Deployment } from "../../../bridge/deploy.ts";
import type { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { DEFERRED_TRACE } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import {
  type Opening,
  Phase,
  planChallengerMove,
  planDeferredOpening,
  planOpening,
  Winner,
} from "../../../verifier/game/planner.ts";
import { type PlayedGame, playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView, type PartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { signClaimAs, tamper } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CLOCK,
  deployGame,
  h32,
  MIN_STAKE,
  rejectsWith,
  STAKE,
  STRANGER,
  testClaim,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend, type L1Backend } from "../../helpers/l1.ts";
import { type Level0Fixture, level0Fixture } from "../../helpers/level0.ts";

interface Setup {
  d: Deployment;
  game: DisputeGameContract;
  as: (i: number) => DisputeGameContract;
  /** A deferred claim (traceRoot 0) on `v`'s outputs, signed by the worker. */
  claimOf: (v: PartyView, traceRoot?: Hex) => Promise<{ claim: ClaimMessage; signature: Hex }>;
}

let jobs = 0;
async function setup(b: L1Backend, f: Level0Fixture): Promise<Setup> {
  const { d, modelId, game, as } = await deployGame(b, f.model);
  await d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND * 10n);
  const claimOf = async (v: PartyView, traceRoot: Hex = DEFERRED_TRACE) => {
    const claim = testClaim(b, {
      jobId: h32(++jobs),
      modelId,
      inputRoot: toHex(tensorListRoot([f.input])),
      outputRoot: toHex(viewOutputRoot(v)),
      traceRoot,
    });
    return { claim, signature: await signClaimAs(b, WORKER, claim, d.address) };
  };
  return { d, game, as, claimOf };
}

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await level0Fixture();
const addr = (i: number) => b.accounts[i].address;
/** A trace consistent with its own wrong output: node 0's (Relu, graph output 2) element 0 + 1. */
const wrongNode = buildPartyView(f.model, [f.input], tamper(f.nodeOutputs, 0, 0));

function play(s: Setup, id: bigint, claimer: PartyView, challenger: PartyView): Promise<PlayedGame> {
  return playToEnd(id, { game: s.as(WORKER), view: claimer }, { game: s.as(CHALLENGER), view: challenger });
}

async function slashed(t: Test, s: Setup, id: bigint, stakeBefore: bigint): Promise<void> {
  const d = await s.game.getDispute(id);
  t.equal(d.winner, Winner.challenger, "the challenger wins");
  t.ok(await s.game.claimInvalidated(d.claimKey), "the claim is invalidated");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, stakeBefore - MIN_STAKE, "the worker is slashed");
}

t.test("a deferred claim: the challenger needs only the outputRoot to open", async (t) => {
  const claim = { traceRoot: DEFERRED_TRACE, outputRoot: toHex(viewOutputRoot(f.liar)) };
  const ours = toHex(viewOutputRoot(f.honest));
  t.same(planDeferredOpening(ours, claim), { kind: "openDeferred" }, "another outputRoot: openDeferred");
  t.equal(planDeferredOpening(ours, { ...claim, outputRoot: ours }), null, "the same: nothing to dispute");
  t.same(planOpening(f.honest, claim), { kind: "openDeferred" }, "planOpening on a deferred claim");
  t.throws(
    () => planDeferredOpening(ours, { ...claim, traceRoot: h32(1) }),
    "a traced claim is not deferred",
  );
});

t.test("the honest trace committed for a wrong output loses at level 0", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.liar);
  const opened = await s.as(CHALLENGER).openDeferred(claim, signature);
  const d0 = await s.game.getDispute(opened.disputeId);
  t.equal(d0.phase, Phase.traceCommit, "the claimer must commit its trace");
  t.equal(d0.node, claim.outputRoot, "the claim's outputRoot is kept for the choice");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).openDisputes, 1, "the worker's stake is frozen");
  const played = await play(s, opened.disputeId, f.liar, f.honest);
  t.same(
    played.moves.map((m) => m.kind),
    ["commitTrace", "chooseOpening", "revealOutputs", "pickOutput", "answerOutput"],
    "commit, then level 0 without naming k (three outputs, no verified file)",
  );
  await slashed(t, s, opened.disputeId, STAKE);
  t.equal(
    (await s.game.getDispute(opened.disputeId)).traceRoot,
    toHex(f.honest.trace.root),
    "committed root kept",
  );
  t.comment(
    `gas: openDeferred ${opened.gasUsed}, ${played.moves.map((m) => `${m.kind} ${m.gas}`).join(", ")}`,
  );
});

t.test("level 0 named k after the commit, when the challenger knows k", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.liar);
  const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
  await s.as(WORKER).play(disputeId, { kind: "commitTrace", traceRoot: toHex(f.liar.trace.root) });
  const g = await s.game.readGame(disputeId);
  const roots = f.liar.outputs.map((o) => toHex(o.root));
  const move = planChallengerMove(f.honest, { ...g, claimedOutputRoots: roots });
  t.same(
    move,
    { kind: "chooseOpening", opening: { kind: "challengeOutput", outputIndex: 1 } },
    "names output 1",
  );
  await s.as(CHALLENGER).play(disputeId, move as never);
  t.equal((await s.game.getDispute(disputeId)).phase, Phase.outputAnswer, "the claimer must answer output 1");
  const played = await play(s, disputeId, f.liar, f.honest);
  t.same(
    played.moves.map((m) => m.kind),
    ["answerOutput"],
    "one answer decides it",
  );
  await slashed(t, s, disputeId, STAKE);
});

t.test("a trace consistent with its wrong output loses at level 1", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(wrongNode);
  t.not(claim.outputRoot, toHex(viewOutputRoot(f.honest)), "the wrong node reaches a graph output");
  const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
  const played = await play(s, disputeId, wrongNode, f.honest);
  const kinds = played.moves.map((m) => m.kind);
  t.same(
    kinds.slice(0, 3),
    ["commitTrace", "chooseOpening", "revealTraceChildren"],
    "level 1 on the committed trace",
  );
  t.equal(kinds[kinds.length - 1], "oneStep", "ends in the one step");
  await slashed(t, s, disputeId, STAKE);
  t.equal((await s.game.getDispute(disputeId)).nodeIndex, 0, "node 0 is the first wrong node");
});

t.test("a claimer that never commits loses on time; garbage loses at level 1", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.liar);
  const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
  await rejectsWith(t, s.as(STRANGER).timeout(disputeId), "ClockNotExpired", "timeout too early");
  await b.increaseTime(Number(CLOCK) + 1);
  await rejectsWith(
    t,
    s.as(WORKER).play(disputeId, { kind: "commitTrace", traceRoot: toHex(f.liar.trace.root) }),
    "ClockExpired",
    "committing after the clock ran out",
  );
  await s.as(STRANGER).timeout(disputeId);
  await slashed(t, s, disputeId, STAKE);

  const g2 = await s.claimOf(wrongNode);
  const second = await s.as(CHALLENGER).openDeferred(g2.claim, g2.signature);
  await s.as(WORKER).play(second.disputeId, { kind: "commitTrace", traceRoot: h32(77) });
  const choice = planChallengerMove(f.honest, await s.game.readGame(second.disputeId));
  t.same(choice, { kind: "chooseOpening", opening: { kind: "openDispute" } }, "another trace: level 1");
  await s.as(CHALLENGER).play(second.disputeId, choice as never);
  await rejectsWith(
    t,
    s.as(WORKER).play(second.disputeId, {
      kind: "revealTraceChildren",
      children: Array.from({ length: 4 }, (_, i) => h32(i)), // 3 nodes: 4 leaves
    }),
    "ChildrenDoNotHashToNode",
    "garbage has no children to reveal",
  );
  await b.increaseTime(Number(CLOCK) + 1);
  await s.as(STRANGER).timeout(second.disputeId);
  await slashed(t, s, second.disputeId, STAKE - MIN_STAKE);
});

t.test("a second dispute on a lost deferred claim is void", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.liar);
  const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
  await play(s, disputeId, f.liar, f.honest);
  const again = await s.as(CHALLENGER).openDeferred(claim, signature);
  const d = await s.game.getDispute(again.disputeId);
  t.same([d.phase, d.winner], [Phase.resolved, Winner.void], "a second dispute on a lost claim is void");
});

t.test("an honest deferred claimer wins against a lying challenger", async (t) => {
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.honest);
  const bondBefore = await s.d.bridge.bondOf(addr(CHALLENGER));
  const choices: Opening[] = [
    { kind: "openDispute" },
    { kind: "challengeOutput", outputIndex: 0 },
    { kind: "challengeOutput", outputIndex: 1 },
    { kind: "challengeOutputs" },
  ];
  for (const opening of choices) {
    const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
    await s.as(WORKER).play(disputeId, { kind: "commitTrace", traceRoot: toHex(f.honest.trace.root) });
    await s.as(CHALLENGER).play(disputeId, { kind: "chooseOpening", opening });
    // the lying challenger plays on with a view whose trace has a wrong node (level 1) or whose
    // outputs are wrong (level 0)
    const liar = opening.kind === "openDispute" ? wrongNode : f.liar;
    const played = await play(s, disputeId, f.honest, liar);
    t.equal(played.winner, Winner.claimer, `${JSON.stringify(opening)}: the claimer wins`);
  }
  // a challenger that never chooses loses on time
  const { disputeId } = await s.as(CHALLENGER).openDeferred(claim, signature);
  await s.as(WORKER).play(disputeId, { kind: "commitTrace", traceRoot: toHex(f.honest.trace.root) });
  await b.increaseTime(Number(CLOCK) + 1);
  await s.as(WORKER).timeout(disputeId);
  t.equal((await s.game.getDispute(disputeId)).winner, Winner.claimer, "silent challenger: the claimer wins");
  t.notOk(
    await s.game.claimInvalidated((await s.game.getDispute(disputeId)).claimKey),
    "nothing invalidated",
  );
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "stake untouched");
  t.same(
    await s.d.bridge.bondOf(addr(CHALLENGER)),
    { free: bondBefore.free - 5n * BOND, locked: 0n },
    "the challenger lost five bonds",
  );
});

t.test("hostile openings and moves revert with named errors", async (t) => {
  const s = await setup(b, f);
  const deferred = await s.claimOf(f.liar);
  const traced = await s.claimOf(f.liar, toHex(f.liar.trace.root));
  for (const [what, p] of [
    ["openDispute", s.as(CHALLENGER).open(deferred.claim, deferred.signature)],
    ["challengeOutput", s.as(CHALLENGER).challengeOutput(deferred.claim, deferred.signature, 0)],
    ["challengeOutputs", s.as(CHALLENGER).challengeOutputs(deferred.claim, deferred.signature)],
    ["openDeferred on a traced claim", s.as(CHALLENGER).openDeferred(traced.claim, traced.signature)],
  ] as const)
    await rejectsWith(t, p, "TraceDeferred", `${what} refused`);
  t.equal((await s.d.bridge.bondOf(addr(CHALLENGER))).locked, 0n, "nothing opened: no bond locked");
  const { disputeId } = await s.as(CHALLENGER).openDeferred(deferred.claim, deferred.signature);
  const commit = { kind: "commitTrace", traceRoot: toHex(f.honest.trace.root) } as const;
  await rejectsWith(t, s.as(CHALLENGER).play(disputeId, commit), "NotYourMove", "the challenger commits");
  await rejectsWith(
    t,
    s.as(WORKER).play(disputeId, { kind: "commitTrace", traceRoot: DEFERRED_TRACE }),
    "ZeroTraceRoot",
    "a zero root",
  );
  await rejectsWith(
    t,
    s.as(CHALLENGER).play(disputeId, { kind: "chooseOpening", opening: { kind: "openDispute" } }),
    "WrongPhase",
    "choosing before the commit",
  );
  await s.as(WORKER).play(disputeId, commit);
  await rejectsWith(t, s.as(WORKER).play(disputeId, commit), "WrongPhase", "committing twice");
  await rejectsWith(
    t,
    s.as(WORKER).play(disputeId, { kind: "chooseOpening", opening: { kind: "openDispute" } }),
    "NotYourMove",
    "the claimer chooses",
  );
  await rejectsWith(
    t,
    s
      .as(CHALLENGER)
      .play(disputeId, { kind: "chooseOpening", opening: { kind: "challengeOutput", outputIndex: 3 } }),
    "OutputIndexOutOfRange",
    "an output past the model's",
  );
  await rejectsWith(t, s.as(CHALLENGER).chooseOpening(disputeId, 3, 0n), "BadOpeningKind", "an unknown kind");
  const d = await s.game.getDispute(disputeId);
  t.same([d.phase, d.traceRoot], [Phase.openingChoice, toHex(f.honest.trace.root)], "the game is unchanged");
});
