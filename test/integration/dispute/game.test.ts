/**
 * Whole dispute games, every one on the embedded chain and on a real anvil node (one per backend
 * for the file): a small MLP from buildMlp (test/helpers/dispute.ts: 11 nodes, MatMulInteger with
 * K = 40 and K = 300, a Gather table, outputs of 300 int32 over two chunks), run by the reference
 * interpreter, committed, registered on the Bridge; a worker signs a claim and the planners of
 * bridge/dispute play both sides through the DisputeGame contract.
 *
 * A lying claimer loses (a wrong MatMulInteger element deep in a fold, decided by bisection; a
 * wrong Gather table lookup, decided by the one-step map check); a second dispute on the
 * invalidated claim ends at once with the bond returned, and one already running when the claim
 * lost settles void at its one step (one slash, one refund reserve); an honest claimer beats a lying
 * challenger; hostile moves are refused with named errors; direct mode skips the descents.
 * Clocks, signatures and payouts: game-rules.test.ts. Wrong Reshape/Transpose/ReduceMax:
 * transformer.test.ts.
 */
import t, { type Test } from "tap";
import type { Hex } from "viem";
import {
  type Move,
  Phase,
  planChallengerMove,
  planClaimerMove,
  planDirectChunk,
  planDirectTraceLeaf,
  Winner,
} from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { type MlpFixture, mlpFixture, tamper } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CHALLENGER2,
  h32,
  MIN_STAKE,
  playOut,
  rejectsWith,
  STAKE,
  STRANGER,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

/** Every scenario on `b` (the embedded chain and anvil run the same list). */
async function scenarios(t: Test, b: L1Backend, f: MlpFixture): Promise<void> {
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

  /** The honest outputs with Gather's (node 9) element 7 changed. */
  const wrongGather = () =>
    f.outputs.map((outs, i) =>
      outs.map((x) => {
        if (i !== 9) return x;
        const data = (x.data as Int8Array).slice();
        data[7] = data[7] === 127 ? 126 : data[7] + 1;
        return { ...x, data };
      }),
    );

  await t.test("a wrong Gather lookup loses at the one-step map check", async (t) => {
    const liar = buildPartyView(f.model, [f.input], wrongGather());
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

  await t.test(
    "two disputes on one lie: the second challenger's win settles void (the Bridge's claim record)",
    async (t) => {
      const liar = buildPartyView(f.model, [f.input], wrongGather());
      const g = await setupGame(b, f, liar);
      const key = await g.d.bridge.claimDigest(g.claim);
      const first = await g.as(CHALLENGER).open(g.claim, g.signature);
      const second = await g.as(CHALLENGER2).open(g.claim, g.signature);
      t.equal(await g.d.bridge.openDisputesOn(key), 2n, "two disputes running on the claim");
      t.equal((await playOut(g, first.disputeId, liar, honest)).winner, Winner.challenger);
      t.equal(await g.d.bridge.openDisputesOn(key), 1n, "one left");
      t.ok(await g.game.claimInvalidated(key), "the claim is invalidated");
      const played = await playToEnd(
        second.disputeId,
        { game: g.as(WORKER), view: liar },
        { game: g.as(CHALLENGER2), view: honest },
      );
      t.equal(played.moves[played.moves.length - 1].kind, "oneStep", "the second one played to its one step");
      t.equal((await g.game.getDispute(second.disputeId)).winner, Winner.void, "and settled void");
      t.equal(await g.d.bridge.openDisputesOn(key), 0n, "none left");
      t.same(
        await g.d.bridge.bondOf(addr(CHALLENGER2)),
        { free: BOND, locked: 0n },
        "its bond back, no reward",
      );
      t.same(
        await g.d.bridge.bondOf(addr(CHALLENGER)),
        { free: BOND + MIN_STAKE / 2n, locked: 0n },
        "the first challenger: bond back plus half the slash",
      );
      t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "slashed once");
      t.equal(await g.d.bridge.burned(), MIN_STAKE / 2n, "half of one slash burned");
      t.equal(await g.d.bridge.refundReserve(key), MIN_STAKE / 2n, "and kept once for the claim's refund");
    },
  );

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
    t.same(await g.d.bridge.bondOf(addr(WORKER)), { free: BOND, locked: 0n }, "the whole bond to the worker");
    t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "stake untouched");
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
      "PaddingChildIsEmpty",
      "a child past the last node whose padding is empty: nothing to dispute there",
    );
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { kind: "pickTraceChild", children: reveal.children, child: 16 }),
      "ChildOutOfRange",
      "a child past the revealed ones",
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

t.test("dispute games on the embedded chain", async (t) => {
  const f = await mlpFixture();
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("dispute games on anvil", async (t) => {
  const f = await mlpFixture();
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});
