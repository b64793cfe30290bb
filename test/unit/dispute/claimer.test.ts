/**
 * The claimer's decision (verifier/game/claimer.ts) without a chain: a resolved game ends with
 * the outcome from the claimer's side; on its turn it plays the planner's move unless its policy
 * holds it back; on the challenger's turn it waits until the challenger's clock has run out
 * (DisputeGame.timeout's `elapsed > left`) and then calls timeout, unless it never does.
 */
import t from "tap";
import type { FullDisputeState } from "../../../bridge/dispute/game.ts";
import { Phase, Winner } from "../../../bridge/dispute/vocabulary.ts";
import { decide, HONEST_CLAIMER } from "../../../verifier/game/claimer.ts";
import { planClaimerMove } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { mlpFixture } from "../../helpers/dispute.ts";
import { fullDisputeState } from "../../helpers/dispute-state.ts";

t.test("the claimer's next action", async (t) => {
  const f = await mlpFixture(8, 16);
  const view = buildPartyView(f.model, [f.input], f.outputs);
  t.ok(f.model.nodeCount <= 16, "one trace round: the root's children are the leaves");
  const s = (p: Partial<FullDisputeState>, now = 1010n) => ({
    game: {
      dispute: fullDisputeState({ lastMoveAt: 1000n, claimerTimeLeft: 60n, challengerTimeLeft: 60n, ...p }),
      traceReveals: [],
    },
    now,
  });

  t.same(decide(s({ phase: Phase.resolved, winner: Winner.claimer }), null), {
    kind: "ended",
    winner: Winner.claimer,
    outcome: "won",
  });
  t.same(decide(s({ phase: Phase.resolved, winner: Winner.challenger }), null), {
    kind: "ended",
    winner: Winner.challenger,
    outcome: "lost",
  });
  t.same(decide(s({ phase: Phase.resolved, winner: Winner.void }), view).kind, "ended", "void");
  t.throws(() => decide(s({ phase: Phase.traceReveal, depthLeft: 4 }), null), /needs its view/);

  const ours = s({ phase: Phase.traceReveal, depthLeft: 4 });
  const move = planClaimerMove(view, ours.game);
  t.ok(move, "the planner has a move on our turn");
  t.same(decide(ours, view), { kind: "move", move }, "our turn: the planner's move");
  t.same(
    decide(ours, view, { allowsMove: () => false, callsTimeout: true }),
    { kind: "wait" },
    "a move the policy holds back: wait",
  );
  t.same(decide({ ...ours, now: 5000n }, view).kind, "move", "our own clock is not ours to time out");

  const theirs = { phase: Phase.tracePick, depthLeft: 4 };
  t.same(decide(s(theirs, 1010n), view), { kind: "wait" }, "challenger's turn, its clock running");
  t.same(decide(s(theirs, 1060n), view), { kind: "wait" }, "exactly at its budget: not yet");
  t.same(decide(s(theirs, 1061n), view), { kind: "timeout" }, "past its budget: timeout");
  t.same(
    decide(s(theirs, 1061n), view, { ...HONEST_CLAIMER, callsTimeout: false }),
    { kind: "wait" },
    "a claimer that never calls timeout waits",
  );
});

t.test("a dispute opened after the claim's window: prove the claim final, without a view", async (t) => {
  const inclusion = {
    batchIndex: 3,
    leafIndex: 1,
    leafCount: 2,
    proof: [`0x${"11".repeat(32)}` as const],
    finalAt: 500n,
  };
  const s = (openedAt: bigint, phase: number = Phase.traceReveal) => ({
    game: {
      dispute: fullDisputeState({
        phase,
        depthLeft: 4,
        openedAt,
        lastMoveAt: openedAt,
        claimerTimeLeft: 60n,
      }),
      traceReveals: [],
    },
    now: openedAt + 10n,
    inclusion,
  });
  t.same(decide(s(500n), null), { kind: "proveFinal", inclusion }, "opened when the window closed");
  t.same(decide(s(900n, Phase.tracePick), null).kind, "proveFinal", "on the challenger's turn too");
  t.throws(() => decide(s(499n), null), /needs its view/, "opened inside the window: the game is played");
  t.throws(
    () => decide({ ...s(900n), inclusion: null }, null),
    /needs its view/,
    "no inclusion known: played",
  );
  t.same(
    decide(
      {
        ...s(900n, Phase.resolved),
        game: {
          ...s(900n).game,
          dispute: fullDisputeState({ phase: Phase.resolved, winner: Winner.claimer, openedAt: 900n }),
        },
      },
      null,
    ).kind,
    "ended",
    "an ended game stays ended",
  );
});
