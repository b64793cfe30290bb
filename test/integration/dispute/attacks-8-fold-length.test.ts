/**
 * Attack 8 of issue 18, fold length K + 1: a lying claimer posts one fold state more than its
 * MatMulInteger has (K = 40 here, it claims 41). The fold length is fixed by the registered model
 * (the operands' shapes, bound to inputRoot / weightsRoot / the trace), and the contract checks
 * it: on the real contracts on the embedded chain the honest challenger wins at once with
 * `challengeFoldLength` (the node's descriptor and its inputs bound to their sources), or, had it
 * bisected into the step K + 1 that does not exist, with a one step that needs no element
 * openings. Against the true K the challenge is refused and the game goes on to the honest end.
 */
import t, { type Test } from "tap";
import {
  type Move,
  Phase,
  planChallengerMove,
  planClaimerMove,
  planOneStep,
  Winner,
} from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { mlpFixture, tamper } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  type Game,
  MIN_STAKE,
  playOut,
  rejectsWith,
  STAKE,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const honest = buildPartyView(f.model, [f.input], f.outputs);
// A wrong element of node 0, a MatMulInteger over the 40 input features (K = 40).
const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 0, 3));
const K = 40n;

/** Plays the planners until the claimer's first fold post; returns the game at that point. */
async function untilFoldPost(g: Game, id: bigint) {
  for (;;) {
    const view = await g.game.readGame(id);
    if (view.dispute.phase === Phase.foldPost) return view;
    const c = planClaimerMove(liar, view);
    if (c) await g.as(WORKER).play(id, c);
    else await g.as(CHALLENGER).play(id, planChallengerMove(honest, view) as Move);
  }
}

/** The disputed node's descriptor and its inputs bound to their sources, as a one step sends them. */
async function bindings(g: Game, id: bigint) {
  const view = await g.game.readGame(id);
  const step = planOneStep(honest, { ...view, dispute: { ...view.dispute, kHi: 1n } });
  if (step.kind !== "oneStep") throw new Error("not a one step");
  return step;
}

async function slashed(t: Test, g: Game, id: bigint) {
  t.equal((await g.game.getDispute(id)).winner, Winner.challenger, "the honest challenger wins");
  t.equal(
    (await g.d.bridge.stakeOf(b.accounts[WORKER].address)).active,
    STAKE - MIN_STAKE,
    "the liar is slashed",
  );
  t.same(await g.d.bridge.bondOf(b.accounts[CHALLENGER].address), {
    free: BOND + MIN_STAKE / 2n,
    locked: 0n,
  });
}

t.test("attack 8: a claimer posting K + 1 fold states loses to challengeFoldLength", async (t) => {
  const g = await setupGame(b, f, liar);
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  const view = await untilFoldPost(g, disputeId);
  const honestPost = planClaimerMove(liar, view) as Move & { kind: "postFoldStates" };
  t.equal(honestPost.foldLength, K, "the op's K is 40");
  await g.as(WORKER).play(disputeId, { ...honestPost, foldLength: K + 1n });
  t.equal((await g.game.getDispute(disputeId)).foldLength, K + 1n, "the claimer posted K + 1");
  const step = await bindings(g, disputeId);
  await rejectsWith(
    t,
    g.as(WORKER).challengeFoldLength(disputeId, step.descriptor, step.inputs),
    "NotYourMove",
    "only the challenger",
  );
  await rejectsWith(
    t,
    g.as(CHALLENGER).challengeFoldLength(disputeId, step.descriptor, [step.inputs[1], step.inputs[0]]),
    "InputNotBound",
    "inputs not bound to their sources",
  );
  await g.as(CHALLENGER).challengeFoldLength(disputeId, step.descriptor, step.inputs);
  await slashed(t, g, disputeId);
});

t.test("attack 8: bisected into the step K + 1, a one step without openings wins", async (t) => {
  const g = await setupGame(b, f, liar);
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  await untilFoldPost(g, disputeId);
  // The liar posts K + 1 and plausible states; the challenger takes the last segment each round.
  for (;;) {
    const d = await g.game.getDispute(disputeId);
    if (d.phase === Phase.oneStep) break;
    if (d.phase === Phase.foldPost) {
      const n = (d.kHi === 0n ? K + 1n : d.kHi) - d.kLo;
      const count = n <= 16n ? Number(n) - 1 : 15;
      await g.as(WORKER).play(disputeId, {
        kind: "postFoldStates",
        foldLength: K + 1n,
        finalState: 0n,
        states: Array.from({ length: count }, () => 0n),
      });
    } else {
      const view = await g.game.readGame(disputeId);
      const states = view.foldStates as bigint[];
      await g.as(CHALLENGER).play(disputeId, { kind: "pickFoldSegment", states, segment: states.length });
    }
  }
  const d = await g.game.getDispute(disputeId);
  t.same([d.kLo, d.kHi], [K, K + 1n], "the last step is K + 1, past the op's K");
  const step = await bindings(g, disputeId);
  await g.as(CHALLENGER).play(disputeId, { ...step, openings: [] });
  await slashed(t, g, disputeId);
});

t.test("against the true K the challenge is refused, and the honest side still wins", async (t) => {
  const g = await setupGame(b, f, liar);
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  const view = await untilFoldPost(g, disputeId);
  await g.as(WORKER).play(disputeId, planClaimerMove(liar, view) as Move);
  const step = await bindings(g, disputeId);
  await rejectsWith(
    t,
    g.as(CHALLENGER).challengeFoldLength(disputeId, step.descriptor, step.inputs),
    "FoldLengthMatches",
    "K is the op's",
  );
  const played = await playOut(g, disputeId, liar, honest);
  t.equal(played.winner, Winner.challenger, "the bisection finds the wrong step");
});
