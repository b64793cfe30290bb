/**
 * The worker's deferred claim path (docs/dispute-game.md "Deferred trace"), with the real ONNX
 * Runtime and no chain: a deferred honest claim is a plain run whose outputRoot is the true one,
 * with traceRoot DEFERRED_TRACE, no view and no trace file; the dispute's re-run (`view`) builds
 * the true trace from the same input and keeps the claim's roots; a deferred wrong-element lie
 * shows in the outputs (the output node changed, its trace consistent with it); --commit-trace's
 * traced path is unchanged.
 */
import t from "tap";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { DEFERRED_TRACE } from "../../../protocol/tx.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { commitRun, createRunner } from "../../../prover-trace/runner/runner.ts";
import { viewOutputRoot } from "../../../verifier/game/view.ts";
import { executeJob, type ServedModel } from "../../../verifier/worker/job.ts";

const bytes = encodeOnnx(buildMlp({ inputDim: 40, hidden: 300, layers: 2, classes: 4 }));
const runner = await createRunner(bytes);
t.teardown(() => runner.dispose());
const commitment = await commitModel(runner.profile, bytes);
const model: ServedModel = { path: "mlp.onnx", modelId: toHex(commitment.modelId), commitment, runner };
const data = new Int8Array(40).map((_, i) => ((i * 37) % 255) - 127);
const input: TensorData = { dtype: 3, shape: [1, 40], data };
const nodeOutputs = runModel(runner.profile, [{ dtype: 3, shape: [1, 40], data }]).nodeOutputs;
const truth = commitRun(runner.profile, [input], nodeOutputs);
const job = {
  id: toHex(new Uint8Array(32)),
  modelId: model.modelId,
  inputRoot: toHex(tensorListRoot([input])),
};
const file = encodeTensorFile([input]);
const outputNode = commitment.model.outputs[0].ref.index;

t.test("a deferred honest claim: a plain run, the true outputRoot, no trace", async (t) => {
  const ex = await executeJob(model, job, file, null, { deferred: true });
  t.equal(toHex(ex.run.traceRoot), DEFERRED_TRACE, "traceRoot is DEFERRED_TRACE");
  t.equal(toHex(ex.run.outputRoot), toHex(truth.outputRoot), "the true outputRoot");
  t.equal(ex.run.view, null, "no view built");
  t.equal(ex.traceFile, null, "no trace file to publish");
  t.same(ex.run.nodeOutputs, [], "no node output kept");
  t.equal(toHex(ex.inputRoot), job.inputRoot, "the job's input root");
});

t.test("the dispute's re-run builds the true trace and keeps the claim's roots", async (t) => {
  const ex = await executeJob(model, job, file, null, { deferred: true, view: true });
  t.equal(toHex(ex.run.traceRoot), DEFERRED_TRACE, "the claim's traceRoot is still deferred");
  t.equal(toHex(ex.run.outputRoot), toHex(truth.outputRoot), "the same outputRoot as the claim");
  t.ok(ex.run.view, "a view");
  t.equal(toHex(ex.run.view?.trace.root ?? new Uint8Array()), toHex(truth.traceRoot), "the true trace root");
  t.equal(ex.traceFile, null, "still nothing published");
});

t.test("a deferred wrong-element lie shows in its outputs, its trace consistent with them", async (t) => {
  const ex = await executeJob(model, job, file, "wrong-element", { deferred: true });
  t.equal(toHex(ex.run.traceRoot), DEFERRED_TRACE, "deferred");
  t.equal(ex.run.fault?.node, outputNode, "the node producing graph output 0");
  t.not(toHex(ex.run.outputRoot), toHex(truth.outputRoot), "a wrong outputRoot");
  const view = ex.run.view;
  t.ok(view, "the liar keeps the view it defends with");
  if (!view) return;
  t.equal(toHex(viewOutputRoot(view)), toHex(ex.run.outputRoot), "its trace's outputs are the claimed ones");
  t.not(toHex(view.trace.root), toHex(truth.traceRoot), "its trace is not the true one");
  const again = await executeJob(model, job, file, "wrong-element", { deferred: true, view: true });
  t.equal(toHex(again.run.view?.trace.root ?? new Uint8Array()), toHex(view.trace.root), "deterministic");
});

t.test("--commit-trace: the traced claim path as before", async (t) => {
  const ex = await executeJob(model, job, file, null);
  t.equal(toHex(ex.run.traceRoot), toHex(truth.traceRoot), "the true trace root in the claim");
  t.equal(toHex(ex.run.outputRoot), toHex(truth.outputRoot));
  t.ok(ex.traceFile && ex.traceFile.length > 0, "a trace file to publish");
  const lie = await executeJob(model, job, file, "wrong-element");
  t.not(lie.run.fault?.node, outputNode, "the traced lie stays deep in the graph");
  t.equal(toHex(lie.run.outputRoot), toHex(truth.outputRoot), "its outputs are the true ones");
});
