/**
 * The worker's test-only fault modes, without a chain: each mode produces exactly the intended
 * wrong root and nothing else (the honest parts of the lie stay equal to the true run), the
 * PartyView the liar defends with is the lie (the planner reveals from it), the same run always
 * gives the same lie, and the move/publish policies are what the modes promise.
 */
import t from "tap";
import { concatBytes, fromHex, merkleRoot, sha256, toHex } from "../../../protocol/index.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import { type TensorData, tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { traceLeaf } from "../../../prover-trace/commit/trace.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { commitRun } from "../../../prover-trace/runner/runner.ts";
import {
  type GameView,
  type Move,
  Phase,
  planClaimerMove,
  planOutputAnswer,
} from "../../../verifier/game/planner.ts";
import { buildPartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import {
  bumpElement,
  claimedRun,
  FAULT_MODES,
  faultAllowsMove,
  faultPublishes,
  parseFaultMode,
} from "../../../verifier/worker/faults.ts";
import { disputeState } from "../../helpers/dispute-state.ts";

async function fixture() {
  // 11 nodes: MatMulInteger x3 (nodes 0, 5, 10), the last one producing the graph output.
  const bytes = encodeOnnx(buildMlp({ inputDim: 40, hidden: 300, layers: 2, classes: 4 }));
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(40).map((_, i) => ((i * 37) % 255) - 127);
  const input: TensorData = { dtype: 3, shape: [1, 40], data };
  const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [1, 40], data }]).nodeOutputs;
  return { pm, model, input, nodeOutputs, truth: commitRun(pm, [input], nodeOutputs) };
}

const differingIndexes = (a: readonly Uint8Array[], b: readonly Uint8Array[]) =>
  a.map((x, i) => (toHex(x) === toHex(b[i]) ? -1 : i)).filter((i) => i >= 0);

t.test("honest: the roots of the true run", async (t) => {
  const f = await fixture();
  const run = claimedRun(null, f.model, [f.input], f.nodeOutputs);
  t.equal(toHex(run.traceRoot), toHex(f.truth.traceRoot), "trace root as the runner commits it");
  t.equal(toHex(run.outputRoot), toHex(f.truth.outputRoot), "output root as the runner commits it");
  t.equal(run.fault, null);
  t.equal(run.nodeOutputs.length, f.model.nodeCount, "the trace file holds every node output");
});

t.test("wrong-element: one MatMulInteger element deep in the graph, downstream left true", async (t) => {
  const f = await fixture();
  const honest = claimedRun(null, f.model, [f.input], f.nodeOutputs);
  const run = claimedRun("wrong-element", f.model, [f.input], f.nodeOutputs);
  const site = run.fault!;
  t.equal(f.pm.nodes[site.node].op, "MatMulInteger", "a MatMulInteger node");
  t.equal(site.node, 5, "the middle one of those that produce no graph output (0 and 5): node 5");
  t.equal(site.element, 299, "its last element");
  const bad = run.nodeOutputs[site.node][0].data as Int32Array;
  const good = f.nodeOutputs[site.node][0].data as Int32Array;
  const diffs = [...bad].map((v, i) => (v === good[i] ? -1 : i)).filter((i) => i >= 0);
  t.same(diffs, [299], "exactly one element differs");
  t.equal(bad[299], good[299] + 1, "by +1");
  t.same(differingIndexes(run.view.trace.leaves, honest.view.trace.leaves), [5], "only leaf 5 differs");
  const expected = traceLeaf(5, [tensorRoot(6, f.nodeOutputs[5][0].shape, bad)]);
  t.equal(toHex(run.view.trace.leaves[5]), toHex(expected), "leaf 5 commits the changed tensor, recommitted");
  t.not(toHex(run.traceRoot), toHex(f.truth.traceRoot), "so the trace root is wrong");
  t.equal(toHex(run.traceRoot), toHex(run.view.trace.root), "and it is the root the view defends");
  t.equal(toHex(run.outputRoot), toHex(f.truth.outputRoot), "the outputs downstream are the true ones");
  t.equal(good[299], (f.nodeOutputs[5][0].data as Int32Array)[299], "the honest run is not mutated");
});

t.test("withhold and silent claim the wrong-element lie", async (t) => {
  const f = await fixture();
  const we = claimedRun("wrong-element", f.model, [f.input], f.nodeOutputs);
  for (const mode of ["withhold", "silent"] as const) {
    const run = claimedRun(mode, f.model, [f.input], f.nodeOutputs);
    t.equal(toHex(run.traceRoot), toHex(we.traceRoot), `${mode}: same trace root`);
    t.equal(run.fault?.mode, mode);
  }
});

t.test("wrong-leaf: one leaf replaced by a hash that opens to nothing", async (t) => {
  const f = await fixture();
  const honest = claimedRun(null, f.model, [f.input], f.nodeOutputs);
  const run = claimedRun("wrong-leaf", f.model, [f.input], f.nodeOutputs);
  const node = run.fault!.node;
  t.equal(node, 5, "the middle of the 10 nodes that produce no graph output");
  t.same(differingIndexes(run.view.trace.leaves, honest.view.trace.leaves), [node], "only that leaf differs");
  const wouldOpen = traceLeaf(
    node,
    run.view.trace.outputs[node].map((o) => o.root),
  );
  t.not(
    toHex(run.view.trace.leaves[node]),
    toHex(wouldOpen),
    "the leaf is not the commitment of its outputs",
  );
  t.equal(toHex(run.outputRoot), toHex(f.truth.outputRoot), "outputs honest");
  t.equal(toHex(run.traceRoot), toHex(run.view.trace.root), "the view's tree is the lie");
  // the planner reveals the lie's children: they hash up to the claimed (wrong) root
  const depth = run.view.trace.levels.length - 1;
  const g: GameView = {
    dispute: disputeState({ phase: Phase.traceReveal, depthLeft: depth }),
    traceReveals: [],
  };
  const move = planClaimerMove(run.view, g);
  if (move?.kind !== "revealTraceChildren") throw new Error(`unexpected move ${move?.kind}`);
  let layer = move.children.map((h) => fromHex(h));
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let k = 0; k < layer.length; k += 2) next.push(sha256(concatBytes(layer[k], layer[k + 1])));
    layer = next;
  }
  if (depth <= 4) t.equal(toHex(layer[0]), toHex(run.traceRoot), "revealed children hash to the wrong root");
  t.equal(run.view.trace.output(node).root.length, 32, "the view's methods still work");
});

t.test("wrong-output: honest trace, outputRoot over a changed output", async (t) => {
  const f = await fixture();
  const run = claimedRun("wrong-output", f.model, [f.input], f.nodeOutputs);
  t.equal(toHex(run.traceRoot), toHex(f.truth.traceRoot), "the trace is the true one");
  t.not(toHex(run.outputRoot), toHex(f.truth.outputRoot), "the output root is not");
  const out0 = f.nodeOutputs[f.pm.outputs[0].ref.index][f.pm.outputs[0].ref.slot];
  const bumped = bumpElement(out0, 0);
  t.equal(
    toHex(run.outputRoot),
    toHex(merkleRoot([tensorRoot(bumped.dtype, bumped.shape, bumped.data)])),
    "it commits to output 0 with element 0 + 1",
  );
  t.same(run.outputs[0].data, bumped.data, "the published output is the claimed one");
  t.equal(run.fault?.node, 10, "produced by the last node");
  const honestView = buildPartyView(f.model, [f.input], f.nodeOutputs);
  t.equal(toHex(run.view.trace.root), toHex(honestView.trace.root), "the view's trace is honest");
  t.equal(toHex(viewOutputRoot(run.view)), toHex(run.outputRoot), "the view claims the wrong outputs");
  const lie = planOutputAnswer(run.view, 0);
  t.not(lie.outputTensorRoot, lie.leafOutputs[lie.slot], "its level-0 answer shows roots that differ");
  const truth = planOutputAnswer(honestView, 0);
  t.equal(truth.outputTensorRoot, truth.leafOutputs[truth.slot], "an honest answer shows equal roots");
});

t.test("the same run always gives the same lie", async (t) => {
  const f = await fixture();
  for (const mode of FAULT_MODES) {
    const a = claimedRun(mode, f.model, [f.input], f.nodeOutputs);
    const b = claimedRun(mode, f.model, [f.input], f.nodeOutputs);
    t.equal(toHex(a.traceRoot), toHex(b.traceRoot), `${mode}: trace root`);
    t.equal(toHex(a.outputRoot), toHex(b.outputRoot), `${mode}: output root`);
  }
});

t.test("bumpElement wraps in the dtype and refuses a bad index", async (t) => {
  const i8: TensorData = { dtype: 3, shape: [2], data: new Int8Array([127, 0]) };
  t.same([...(bumpElement(i8, 0).data as Int8Array)], [-128, 0], "int8 127 + 1 wraps");
  const i64: TensorData = { dtype: 7, shape: [1], data: new BigInt64Array([5n]) };
  t.same([...(bumpElement(i64, 0).data as BigInt64Array)], [6n], "int64");
  t.throws(() => bumpElement(i8, 2), /element 2 out of range \[0, 2\)/);
  t.throws(() => bumpElement(i8, -1), /out of range/);
});

t.test("move and publish policies", async (t) => {
  const reveal: Move = { kind: "revealTraceChildren", children: [] };
  const chunk: Move = { kind: "revealChunk", chunk: "0x" };
  const fold: Move = { kind: "postFoldStates", foldLength: 0n, finalState: 0n, states: [] };
  for (const m of [null, "wrong-output", "wrong-element", "wrong-leaf"] as const) {
    t.ok(faultAllowsMove(m, reveal) && faultAllowsMove(m, chunk) && faultAllowsMove(m, fold), `${m} answers`);
    t.ok(faultPublishes(m), `${m} publishes`);
  }
  t.ok(faultAllowsMove("withhold", reveal), "withhold still descends the trace");
  t.notOk(faultAllowsMove("withhold", chunk), "withhold reveals no chunk");
  t.notOk(faultAllowsMove("withhold", fold), "nor fold states");
  t.notOk(faultPublishes("withhold"), "and publishes nothing");
  t.notOk(faultAllowsMove("silent", reveal), "silent never moves");
  t.throws(
    () => parseFaultMode("lie-a-little"),
    /unknown test fault 'lie-a-little': expected one of wrong-output/,
  );
  t.equal(parseFaultMode("silent"), "silent");
});
