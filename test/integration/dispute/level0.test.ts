/**
 * Level 0 of the dispute game (docs/dispute-game.md "Level 0"): outputs bound to the trace.
 *
 * A three-output model whose graph outputs are not in node order (refs (1,0), (2,0), (0,0)). A
 * worker that posts an honest trace but a wrong output loses level 0 (its own answer shows the
 * roots differ, or it stays silent and loses on time), slashed and invalidated like any loss; an
 * honest claimer wins a level-0 challenge; hostile answers and openings revert with named errors.
 * The lying-worker game runs on the embedded chain and on anvil.
 */

import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import type { Deployment } from "../../../bridge/deploy.ts";
import type { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import {
  type Move,
  type OutputAnswerArg,
  Phase,
  PlanError,
  planClaimerMove,
  planOpening,
  planOutputAnswer,
  Winner,
} from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { type PartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { signClaimAs } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CHALLENGER2,
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
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";
import { type Level0Fixture, level0Fixture } from "../../helpers/level0.ts";

interface Setup {
  d: Deployment;
  game: DisputeGameContract;
  as: (i: number) => DisputeGameContract;
  claimOf: (v: PartyView, job?: number) => Promise<{ claim: ClaimMessage; signature: Hex }>;
}

async function setup(b: L1Backend, f: Level0Fixture): Promise<Setup> {
  const { d, modelId, game, as } = await deployGame(b, f.model);
  const claimOf = async (v: PartyView, job = 1) => {
    const claim = testClaim(b, {
      jobId: h32(job),
      modelId,
      inputRoot: toHex(tensorListRoot([f.input])),
      outputRoot: toHex(viewOutputRoot(v)),
      traceRoot: toHex(v.trace.root),
    });
    return { claim, signature: await signClaimAs(b, WORKER, claim, d.address) };
  };
  return { d, game, as, claimOf };
}

/** The worker posts an honest trace and a wrong output 1; the challenger opens level 0 and wins. */
async function liarLoses(t: Test, b: L1Backend, f: Level0Fixture): Promise<void> {
  const addr = (i: number) => b.accounts[i].address;
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOf(f.liar);
  t.equal(claim.traceRoot, toHex(f.honest.trace.root), "the liar's trace is the honest trace");
  const opening = planOpening(
    f.honest,
    claim,
    f.liar.outputs.map((o) => o.root),
  );
  t.same(opening, { kind: "challengeOutput", outputIndex: 1 }, "level 0 on the wrong output");
  const opened = await s.as(CHALLENGER).openPlanned(claim, signature, opening!);
  const id = opened.disputeId;
  const before = await s.game.getDispute(id);
  t.equal(before.phase, Phase.outputAnswer, "the claimer must answer");
  t.equal(before.index, 1n, "for output 1");
  t.equal(before.node, claim.outputRoot, "against the claim's outputRoot");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).openDisputes, 1, "the worker's stake is frozen");
  const played = await playToEnd(
    id,
    { game: s.as(WORKER), view: f.liar },
    { game: s.as(CHALLENGER), view: f.honest },
  );
  t.equal(played.winner, Winner.challenger, "the challenger wins");
  t.same(
    played.moves.map((m) => m.kind),
    ["answerOutput"],
    "one answer decides it",
  );
  const after = await s.game.getDispute(id);
  t.equal(after.nodeIndex, 2, "output 1 is the ArgMax node's");
  t.ok(await s.game.claimInvalidated(after.claimKey), "the claim is invalidated");
  const stake = await s.d.bridge.stakeOf(addr(WORKER));
  t.equal(stake.active, STAKE - MIN_STAKE, "slashed by the minimum stake");
  t.equal(stake.openDisputes, 0, "unfrozen");
  t.same(
    await s.d.bridge.bondOf(addr(CHALLENGER)),
    { free: BOND + MIN_STAKE / 2n, locked: 0n },
    "bond + half",
  );
  t.equal(await s.d.bridge.burned(), MIN_STAKE / 2n, "the other half burned");
  t.comment(`gas: challengeOutput ${opened.gasUsed}, answerOutput ${played.moves[0].gas}`);

  const second = await s.as(CHALLENGER2).challengeOutput(claim, signature, 0);
  const d2 = await s.game.getDispute(second.disputeId);
  t.same([d2.phase, d2.winner], [Phase.resolved, Winner.void], "a second dispute on it is void at once");
  t.same(await s.d.bridge.bondOf(addr(CHALLENGER2)), { free: BOND, locked: 0n }, "bond returned");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "not slashed twice");
}

async function scenarios(t: Test, b: L1Backend, f: Level0Fixture): Promise<void> {
  const addr = (i: number) => b.accounts[i].address;

  await t.test("an honest trace with a wrong output loses level 0", (t) => liarLoses(t, b, f));

  await t.test("a claimer that does not answer loses on time", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOf(f.liar);
    const { disputeId } = await s.as(CHALLENGER).challengeOutput(claim, signature, 1);
    await rejectsWith(t, s.as(STRANGER).timeout(disputeId), "ClockNotExpired", "timeout too early");
    await b.increaseTime(Number(CLOCK) + 1);
    const move = planClaimerMove(f.honest, await s.game.readGame(disputeId)) as Move;
    t.equal(move.kind, "answerOutput");
    await rejectsWith(
      t,
      s.as(WORKER).play(disputeId, move),
      "ClockExpired",
      "answering after the clock ran out",
    );
    await s.as(STRANGER).timeout(disputeId);
    const d = await s.game.getDispute(disputeId);
    t.equal(d.winner, Winner.challenger, "the challenger wins on time");
    t.ok(await s.game.claimInvalidated(d.claimKey), "the claim is invalidated");
    t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "slashed");
  });

  await t.test("an honest claimer wins a level-0 challenge", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOf(f.honest);
    t.equal(planOpening(f.honest, claim), null, "an honest challenger sees nothing to dispute");
    for (const k of [0, 1, 2]) {
      const bond = s.d.bridge.as(b.wallet(CHALLENGER));
      if (k > 0) await bond.depositBond(BOND);
      const { disputeId } = await s.as(CHALLENGER).challengeOutput(claim, signature, k);
      const played = await playToEnd(
        disputeId,
        { game: s.as(WORKER), view: f.honest },
        { game: s.as(CHALLENGER), view: f.liar },
      );
      t.equal(played.winner, Winner.claimer, `output ${k}: the claimer wins`);
      t.equal(
        (await s.game.getDispute(disputeId)).nodeIndex,
        f.model.outputRefs[k].node,
        `output ${k}'s node`,
      );
    }
    t.notOk(await s.game.claimInvalidated((await s.game.getDispute(0n)).claimKey), "nothing invalidated");
    t.same(
      await s.d.bridge.bondOf(addr(CHALLENGER)),
      { free: 0n, locked: 0n },
      "the challenger lost 3 bonds",
    );
    t.same(
      await s.d.bridge.bondOf(addr(WORKER)),
      { free: 3n * BOND, locked: 0n },
      "each whole bond to the worker",
    );
    t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "stake untouched");
  });

  await t.test("the challenger's opening: which level, which output", async (t) => {
    const { liar, honest } = f;
    const claim = { traceRoot: toHex(liar.trace.root), outputRoot: toHex(viewOutputRoot(liar)) };
    const unnamed = { kind: "challengeOutputs" };
    t.same(
      planOpening(honest, claim),
      unnamed,
      "several outputs and no claimed roots: level 0 without naming one (attack 11)",
    );
    t.same(planOpening(honest, claim, [liar.outputs[0].root]), unnamed, "too few claimed roots");
    t.same(
      planOpening(
        honest,
        claim,
        honest.outputs.map((o) => o.root),
      ),
      unnamed,
      "claimed roots that do not make the claimed outputRoot name nothing (attack 10)",
    );
    t.same(
      planOpening(honest, { ...claim, traceRoot: h32(1) }),
      { kind: "openDispute" },
      "another trace: level 1",
    );
    t.throws(() => planOutputAnswer(honest, 3), PlanError, "no output 3");
  });

  await t.test("hostile openings and answers revert with named errors", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOf(f.honest);
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeOutput(claim, signature, 3),
      "OutputIndexOutOfRange",
      "an output past the model's outputs",
    );
    // A claim the worker did not sign recovers another key than claim.worker: refused up front.
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeOutput({ ...claim, outputRoot: h32(9) }, signature, 0),
      "ClaimSignerNotWorker",
      "a claim the worker did not sign",
    );
    await rejectsWith(
      t,
      s.as(STRANGER).challengeOutput(claim, signature, 0),
      "InsufficientFreeBond",
      "no bond",
    );
    const { disputeId } = await s.as(CHALLENGER).challengeOutput(claim, signature, 1);
    const good = planOutputAnswer(f.honest, 1);
    const answer = (a: OutputAnswerArg): Move => ({ kind: "answerOutput", answer: a });
    const other = planOutputAnswer(f.honest, 0);
    const cases: [string, OutputAnswerArg, string][] = [
      ["output 0 opened for output 1 (wrong k)", other, "OutputNotInRoot"],
      [
        "output 0's root with output 1's proof",
        { ...good, outputTensorRoot: other.outputTensorRoot },
        "OutputNotInRoot",
      ],
      [
        "an output proof one level short",
        { ...good, outputProof: good.outputProof.slice(1) },
        "ProofLengthMismatch",
      ],
      ["another node for output 1", { ...good, node: 1 }, "OutputRefNotInModel"],
      ["another slot for output 1", { ...good, slot: 1 }, "OutputRefNotInModel"],
      ["output 0's ref proof", { ...good, refProof: other.refProof }, "OutputRefNotInModel"],
      ["a slot past the leaf's outputs", { ...good, leafOutputs: [] }, "SlotOutOfRange"],
      ["a leaf with another tensor root", { ...good, leafOutputs: [h32(4)] }, "TraceLeafNotInTrace"],
      [
        "a leaf with two outputs",
        { ...good, leafOutputs: [...good.leafOutputs, h32(4)] },
        "TraceLeafNotInTrace",
      ],
      ["output 0's trace proof", { ...good, traceProof: other.traceProof }, "TraceLeafNotInTrace"],
      [
        "a trace proof one level long",
        { ...good, traceProof: [...good.traceProof, h32(5)] },
        "ProofLengthMismatch",
      ],
    ];
    for (const [what, a, err] of cases)
      await rejectsWith(t, s.as(WORKER).play(disputeId, answer(a)), err, what);
    await rejectsWith(t, s.as(STRANGER).play(disputeId, answer(good)), "NotYourMove", "a stranger answers");
    await rejectsWith(
      t,
      s.as(CHALLENGER).play(disputeId, answer(good)),
      "NotYourMove",
      "the challenger answers",
    );
    await rejectsWith(
      t,
      s.as(WORKER).play(disputeId, { kind: "revealTraceChildren", children: [] }),
      "WrongPhase",
      "a level-1 move in a level-0 dispute",
    );
    await s.as(WORKER).play(disputeId, answer(good));
    t.equal((await s.game.getDispute(disputeId)).winner, Winner.claimer, "the real answer decides");
    await rejectsWith(t, s.as(WORKER).play(disputeId, answer(good)), "WrongPhase", "no answer after the end");
    await rejectsWith(t, s.as(STRANGER).timeout(disputeId), "WrongPhase", "no timeout after the end");
  });
}

t.test("level 0 on the embedded chain", async (t) => {
  const f = await level0Fixture();
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("level 0 on anvil: the worker with a wrong output loses", async (t) => {
  const f = await level0Fixture();
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await liarLoses(t, b, f);
});
