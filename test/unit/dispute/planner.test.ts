/**
 * The pure planners of bridge/dispute without a chain: fold points follow the contract's rule,
 * each side moves only on its turn, the claimer's reveals hash up to the node the game holds,
 * the honest challenger names the leftmost differing child, the first differing element and the
 * first wrong fold segment, and a view that agrees with everything revealed is a named PlanError.
 */
import t from "tap";
import type { Hex } from "viem";
import { concatBytes, fromHex, sha256, toHex } from "../../../protocol/index.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import {
  foldPoints,
  Phase,
  PlanError,
  planChallengerMove,
  planClaimerMove,
  planOneStep,
} from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { disputeState, gameView } from "../../helpers/dispute-state.ts";

const _state = disputeState;

t.test("fold points: every step up to 16, else 15 evenly spaced", async (t) => {
  t.same(foldPoints(0n, 1n), []);
  t.same(foldPoints(0n, 4n), [1n, 2n, 3n]);
  t.same(foldPoints(10n, 26n), [11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n, 19n, 20n, 21n, 22n, 23n, 24n, 25n]);
  const p = foldPoints(0n, 300n);
  t.equal(p.length, 15);
  t.equal(p[0], 18n, "300 * 1 / 16");
  t.equal(p[14], 281n, "300 * 15 / 16");
  for (let k = 1; k < p.length; k++) t.ok(p[k] > p[k - 1], "strictly increasing");
});

t.test("planners on a small MLP", async (t) => {
  const bytes = encodeOnnx(buildMlp({ inputDim: 8, hidden: 300, layers: 1, classes: 3 }));
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(8).map((_, i) => i * 9 - 30);
  const input: TensorData = { dtype: 3, shape: [1, 8], data };
  const outputs = runModel(pm, [{ dtype: 3, shape: [1, 8], data }]).nodeOutputs;
  const honest = buildPartyView(model, [input], outputs);
  const bad = outputs.map((outs, i) =>
    outs.map((x) => {
      if (i !== 0) return x;
      const d = (x.data as Int32Array).slice();
      d[290] += 5;
      return { ...x, data: d };
    }),
  );
  const liar = buildPartyView(model, [input], bad);
  const depth = honest.trace.levels.length - 1;

  t.equal(
    planChallengerMove(honest, gameView({ phase: Phase.traceReveal, depthLeft: depth })),
    null,
    "not the challenger's turn",
  );
  t.equal(
    planClaimerMove(honest, gameView({ phase: Phase.tracePick, depthLeft: depth })),
    null,
    "not the claimer's turn",
  );

  const reveal = planClaimerMove(liar, gameView({ phase: Phase.traceReveal, depthLeft: depth }));
  if (reveal?.kind !== "revealTraceChildren") throw new Error("expected a trace reveal");
  t.equal(reveal.children.length, 2 ** Math.min(4, depth));
  let layer = reveal.children.map(fromHex);
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let k = 0; k < layer.length; k += 2) next.push(sha256(concatBytes(layer[k], layer[k + 1])));
    layer = next;
  }
  t.equal(toHex(layer[0]), toHex(liar.trace.root), "the revealed children hash to the claimer's root");

  const pick = planChallengerMove(
    honest,
    gameView(
      { phase: Phase.tracePick, depthLeft: depth },
      { traceReveals: [{ index: 0n, depthLeft: depth, children: reveal.children }] },
    ),
  );
  t.same(pick && pick.kind === "pickTraceChild" && pick.child, 0, "the leftmost differing child: node 0");
  t.throws(
    () =>
      planChallengerMove(
        liar,
        gameView(
          { phase: Phase.tracePick, depthLeft: depth },
          { traceReveals: [{ index: 0n, depthLeft: depth, children: reveal.children }] },
        ),
      ),
    PlanError,
    "nothing differs: a named error",
  );

  // Element 290 of node 0 (int32 [1,300]) is in chunk 1, at element 34 of the chunk.
  const chunk: Hex = toHex(liar.trace.outputs[0][0].chunk(1));
  const el = planChallengerMove(honest, gameView({ phase: Phase.elementPick, index: 1n }, { chunk }));
  t.same(el, { kind: "pickElement", chunk, elementInChunk: 34 });

  // Fold: K = 8; the lying claimer's intermediate states are the true ones, the end is its lie.
  const post = planClaimerMove(liar, gameView({ phase: Phase.foldPost, element: 290n, opCode: 13 }));
  if (post?.kind !== "postFoldStates") throw new Error("expected fold states");
  t.equal(post.foldLength, 8n);
  t.equal(post.states.length, 7);
  const seg = planChallengerMove(
    honest,
    gameView({ phase: Phase.foldPick, element: 290n, kLo: 0n, kHi: 8n }, { foldStates: post.states }),
  );
  t.same(seg && seg.kind === "pickFoldSegment" && seg.segment, 7, "all agreed: the last segment");
  const wrong = [...post.states];
  wrong[2] += 1n;
  const seg2 = planChallengerMove(
    honest,
    gameView({ phase: Phase.foldPick, element: 290n, kLo: 0n, kHi: 8n }, { foldStates: wrong }),
  );
  t.same(seg2 && seg2.kind === "pickFoldSegment" && seg2.segment, 2, "the first segment whose end is wrong");

  // Attack 8, fold length K + 1: the liar posts 9 for the op's 8, its states the true ones.
  const fold = { element: 290n, opCode: 13, foldLength: 9n };
  const segmentFor = (states: bigint[]) => {
    const m = planChallengerMove(
      honest,
      gameView({ ...fold, phase: Phase.foldPick, kLo: 0n, kHi: 9n }, { foldStates: states }),
    );
    return m && m.kind === "pickFoldSegment" && m.segment;
  };
  const trueS8 = BigInt((outputs[0][0].data as Int32Array)[290]);
  t.equal(segmentFor([...post.states, 123n]), 7, "a wrong state at K: the segment [7, 8] ending at it");
  t.equal(
    segmentFor([...post.states, trueS8]),
    8,
    "every state up to K true: the last segment [8, 9], past K",
  );
  const step = planOneStep(honest, gameView({ ...fold, phase: Phase.oneStep, kLo: 8n, kHi: 9n }));
  if (step.kind !== "oneStep") throw new Error("expected a one step");
  t.same(step.openings, [], "the step K + 1 does not exist: a one step with the bindings alone");
  t.equal(step.inputs.length, 2, "both inputs bound to their sources");
  const last = planOneStep(honest, gameView({ ...fold, phase: Phase.oneStep, kLo: 7n, kHi: 8n }));
  t.ok(last.kind === "oneStep" && last.openings.length > 0, "the real last step opens its elements");
  t.throws(
    () => planOneStep(honest, gameView({ ...fold, phase: Phase.oneStep, kLo: 0n, kHi: 0n })),
    PlanError,
    "step 0 is never a one step",
  );
});
