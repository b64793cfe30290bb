/**
 * Level 0 of the planners without a chain: the claimer's answer opens output k, ref k and the
 * trace leaf against the roots the contract holds (checked here with the TypeScript encodings),
 * only the claimer moves in the answer phase, and the challenger's opening picks level 1 for
 * another trace, level 0 for the same trace with other outputs, and nothing for the same claim.
 */
import t from "tap";
import { fromHex, toHex, verifyMerkleProof } from "../../../protocol/index.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, outputRefLeaf } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { traceLeaf } from "../../../prover-trace/commit/trace.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import {
  claimerToMove,
  type DisputeState,
  Phase,
  PlanError,
  planChallengerMove,
  planClaimerMove,
  planOpening,
  planOutputAnswer,
} from "../../../verifier/game/planner.ts";
import { buildPartyView, viewOutputRoot } from "../../../verifier/game/view.ts";

t.test("level 0 planners on a one-output MLP", async (t) => {
  const bytes = encodeOnnx(buildMlp({ inputDim: 8, hidden: 16, layers: 1, classes: 3 }));
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  t.equal(model.outputCount, 1);
  const data = new Int8Array(8).map((_, i) => i * 9 - 30);
  const input: TensorData = { dtype: 3, shape: [1, 8], data };
  const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [1, 8], data }]).nodeOutputs;
  const honest = buildPartyView(model, [input], nodeOutputs);
  const ref = model.outputRefs[0];
  t.equal(ref.node, model.nodeCount - 1, "the logits are the last node's output");
  t.equal(
    toHex(honest.outputs[0].root),
    toHex(honest.trace.outputs[ref.node][ref.slot].root),
    "by default a view claims its trace's outputs",
  );
  const logits = nodeOutputs[ref.node][0];
  const wrong = (logits.data as Int32Array).slice();
  wrong[2] += 1;
  const liar = buildPartyView(model, [input], nodeOutputs, { outputs: [{ ...logits, data: wrong }] });
  t.equal(toHex(liar.trace.root), toHex(honest.trace.root), "same trace");
  t.not(toHex(viewOutputRoot(liar)), toHex(viewOutputRoot(honest)), "other outputRoot");
  t.throws(
    () => buildPartyView(model, [input], nodeOutputs, { outputs: [] }),
    /1 graph outputs, got 0/,
    "claimed outputs must match the model's count",
  );

  t.test("the answer opens against the roots the contract holds", async (t) => {
    for (const v of [honest, liar]) {
      const a = planOutputAnswer(v, 0);
      t.ok(
        verifyMerkleProof(viewOutputRoot(v), fromHex(a.outputTensorRoot), 0, 1, a.outputProof.map(fromHex)),
        "output 0 against outputRoot",
      );
      t.ok(
        verifyMerkleProof(model.outputRefsRoot, outputRefLeaf(a), 0, 1, a.refProof.map(fromHex)),
        "ref 0 against outputRefsRoot",
      );
      const leaf = traceLeaf(a.node, a.leafOutputs.map(fromHex));
      t.ok(
        verifyMerkleProof(v.trace.root, leaf, a.node, model.nodeCount, a.traceProof.map(fromHex)),
        "leaf against traceRoot",
      );
    }
    const h = planOutputAnswer(honest, 0);
    t.equal(h.leafOutputs[h.slot], h.outputTensorRoot, "honest: the roots are equal");
    const l = planOutputAnswer(liar, 0);
    t.not(l.leafOutputs[l.slot], l.outputTensorRoot, "liar: they differ");
  });

  t.test("only the claimer moves in the answer phase", async (t) => {
    const d = { phase: Phase.outputAnswer, index: 0n } as DisputeState;
    const move = planClaimerMove(honest, { dispute: d, traceReveals: [] });
    t.same(move, { kind: "answerOutput", answer: planOutputAnswer(honest, 0) });
    t.equal(planChallengerMove(honest, { dispute: d, traceReveals: [] }), null);
    t.ok(claimerToMove(Phase.outputAnswer), "the claimer's clock runs");
    t.same(
      Object.entries(Phase)
        .filter(([, p]) => claimerToMove(p))
        .map(([k]) => k),
      [
        "traceReveal",
        "leafReveal",
        "chunkReveal",
        "chunkData",
        "foldPost",
        "outputAnswer",
        "outputsReveal",
        "traceCommit",
      ],
      "the contract's claimer phases",
    );
  });

  t.test("the challenger's opening", async (t) => {
    const claimOf = (v: typeof honest) => ({
      traceRoot: toHex(v.trace.root),
      outputRoot: toHex(viewOutputRoot(v)),
    });
    t.equal(planOpening(honest, claimOf(honest)), null, "nothing to dispute");
    t.same(
      planOpening(honest, claimOf(liar)),
      { kind: "challengeOutput", outputIndex: 0 },
      "one output: output 0 without the claimed roots",
    );
    t.same(
      planOpening(honest, {
        ...claimOf(liar),
        outputRoot: claimOf(liar).outputRoot.toUpperCase().replace("0X", "0x") as `0x${string}`,
      }),
      { kind: "challengeOutput", outputIndex: 0 },
      "hex case does not matter",
    );
    const otherTrace = buildPartyView(
      model,
      [input],
      nodeOutputs.map((outs, i) =>
        i === 0 ? outs.map((x) => ({ ...x, data: (x.data as Int32Array).map((v) => v + 1) })) : outs,
      ),
    );
    t.same(planOpening(honest, claimOf(otherTrace)), { kind: "openDispute" }, "another trace: level 1");
  });
  t.test("a deferred claim: the claimer commits its root, the challenger chooses against it", async (t) => {
    const otherTrace = buildPartyView(
      model,
      [input],
      nodeOutputs.map((outs, i) =>
        i === 0 ? outs.map((x) => ({ ...x, data: (x.data as Int32Array).map((v) => v + 1) })) : outs,
      ),
    );
    const commit = { phase: Phase.traceCommit } as DisputeState;
    t.same(
      planClaimerMove(liar, { dispute: commit, traceReveals: [] }),
      { kind: "commitTrace", traceRoot: toHex(liar.trace.root) },
      "the claimer commits its own view's trace root",
    );
    t.equal(planChallengerMove(honest, { dispute: commit, traceReveals: [] }), null, "the claimer's turn");
    t.ok(claimerToMove(Phase.traceCommit) && !claimerToMove(Phase.openingChoice), "whose clock runs");
    const choice = (committed: typeof honest, claimed: typeof honest) =>
      planChallengerMove(honest, {
        dispute: {
          phase: Phase.openingChoice,
          traceRoot: toHex(committed.trace.root),
          node: toHex(viewOutputRoot(claimed)),
        } as DisputeState,
        traceReveals: [],
      });
    t.same(
      choice(liar, liar),
      { kind: "chooseOpening", opening: { kind: "challengeOutput", outputIndex: 0 } },
      "our trace committed for a wrong output: level 0",
    );
    t.same(
      choice(otherTrace, otherTrace),
      { kind: "chooseOpening", opening: { kind: "openDispute" } },
      "another trace committed: level 1",
    );
    t.throws(() => choice(honest, honest), PlanError, "our trace and our outputs: nothing to dispute");
    t.throws(
      () =>
        planChallengerMove(honest, {
          dispute: { phase: Phase.openingChoice } as DisputeState,
          traceReveals: [],
        }),
      PlanError,
      "no committed root in the view",
    );
  });
});
