import t from "tap";
import { bytesEqual, toHex } from "../../../protocol/bytes.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { SplitMix64 } from "../../../prover-trace/builder/prng.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { inputRoot, outputRoot } from "../../../prover-trace/commit/model.ts";
import { TraceCommitment } from "../../../prover-trace/commit/trace.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { ProfileError } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/index.ts";
import {
  commitRun,
  createRunner,
  GRAPH_OPTIMIZATION_LEVELS,
  RunnerInputError,
} from "../../../prover-trace/runner/runner.ts";

const mlpBytes = encodeOnnx(buildMlp({ seed: 3, batch: 2 }));
// A smaller LM keeps the many sessions of this file quick; the CLI test runs the default size.
const lmBytes = encodeOnnx(
  buildTransformerLm({ seed: 4, layers: 2, dModel: 64, heads: 4, ffDim: 128, seqLen: 64 }),
);

function mlpInput(seed: number) {
  const rng = new SplitMix64(seed);
  return { x: { dtype: 3, shape: [2, 64], data: Int8Array.from(rng.ints(128, -128, 127)) } };
}
function lmInput(seed: number) {
  const rng = new SplitMix64(seed);
  return { tokens: { dtype: 2, shape: [64], data: Uint8Array.from(rng.ints(64, 0, 255)) } };
}
const models = [
  { name: "mlp", bytes: mlpBytes, input: mlpInput },
  { name: "transformer", bytes: lmBytes, input: lmInput },
];

t.test("trace roots are identical across runs, thread counts and optimization levels", async (t) => {
  for (const m of models) {
    const input = m.input(1);
    const base = await createRunner(m.bytes, { intraOpThreads: 1, graphOptimizationLevel: "all" });
    const first = await base.runTraced(input);
    const again = await base.runTraced(input);
    t.equal(toHex(again.traceRoot), toHex(first.traceRoot), `${m.name}: repeated run`);
    const other = await base.runTraced(m.input(2));
    t.not(toHex(other.traceRoot), toHex(first.traceRoot), `${m.name}: another input gives another trace`);
    await base.dispose();
    for (const threads of [1, 2])
      for (const level of GRAPH_OPTIMIZATION_LEVELS) {
        const r = await createRunner(m.bytes, { intraOpThreads: threads, graphOptimizationLevel: level });
        const run = await r.runTraced(input);
        t.equal(toHex(run.traceRoot), toHex(first.traceRoot), `${m.name}: ${threads} thread(s), ${level}`);
        t.equal(toHex(run.outputRoot), toHex(first.outputRoot));
        await r.dispose();
      }
  }
});

t.test("every node output equals the reference interpreter's, and the commitments agree", async (t) => {
  for (const m of models) {
    const r = await createRunner(m.bytes);
    for (const seed of [5, 6]) {
      const input = m.input(seed);
      const run = await r.runTraced(input);
      const ref = runModel(r.profile.ir, input as never);
      t.equal(run.nodeOutputs.length, r.profile.nodes.length, `${m.name}: one entry per node`);
      let mismatches = 0;
      for (const [i, outs] of run.nodeOutputs.entries())
        for (const [s, o] of outs.entries()) {
          const want = ref.nodeOutputs[i][s];
          const same =
            o.dtype === want.dtype &&
            o.shape.join() === want.shape.join() &&
            bytesEqual(
              new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength),
              new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength),
            );
          if (!same) {
            mismatches++;
            t.fail(
              `${m.name} seed ${seed}: node ${i} ${r.profile.nodes[i].name} output ${s} differs from the reference`,
            );
          }
        }
      t.equal(
        mismatches,
        0,
        `${m.name} seed ${seed}: ORT == reference on all ${run.nodeOutputs.length} nodes`,
      );
      // Roots recomputed from the reference interpreter's tensors, and by the commitment classes.
      const fromRef = commitRun(r.profile, Object.values(input), ref.nodeOutputs);
      t.equal(toHex(fromRef.traceRoot), toHex(run.traceRoot), `${m.name}: trace root from reference outputs`);
      t.equal(
        toHex(TraceCommitment.build(run.nodeOutputs).root),
        toHex(run.traceRoot),
        "TraceCommitment agrees",
      );
      t.equal(
        toHex(inputRoot(r.profile, Object.values(input))),
        toHex(run.inputRoot),
        "input root per commit/model.ts",
      );
      t.equal(
        toHex(outputRoot(r.profile, Object.values(run.outputs))),
        toHex(run.outputRoot),
        "output root per commit/model.ts",
      );
      const plain = await r.runPlain(input);
      for (const [k, v] of Object.entries(plain))
        t.same(
          Array.from(v.data as Int32Array),
          Array.from(run.outputs[k].data as Int32Array),
          `${m.name}: plain == traced ${k}`,
        );
    }
    await r.dispose();
  }
});

t.test("bad inputs are refused by name", async (t) => {
  const r = await createRunner(mlpBytes);
  const ok = mlpInput(1).x;
  await t.rejects(r.runTraced({}), new RunnerInputError("input 0 (x): missing"));
  await t.rejects(r.runTraced({ x: ok, y: ok }), /unknown input\(s\): y/);
  await t.rejects(
    r.runTraced({ x: { ...ok, dtype: 2 } }),
    /input 0 \(x\): dtype code 2, model declares int8/,
  );
  await t.rejects(r.runTraced({ x: { ...ok, shape: [1, 128] } }), /shape \[1,128\], model declares \[2,64\]/);
  await t.rejects(r.runTraced({ x: { ...ok, data: new Uint8Array(128) } }), /data must be a Int8Array/);
  await t.rejects(r.runTraced({ x: { ...ok, data: new Int8Array(3) } }), /3 elements, shape needs 128/);
  await t.rejects(r.runPlain([ok, ok]), /model takes 1 input\(s\), got 2/);
  await r.dispose();
});

t.test("a model outside the profile is refused before ORT sees it", async (t) => {
  const g = new GraphBuilder("bad");
  const x = g.input("x", "int32", [4]);
  const y = g.op("ReduceSum", [x, g.constant("int64", [1], [0])], { keepdims: 1 });
  const z = g.op("Div", [g.constant("int32", [4], [1, 2, 3, 4]), x]);
  g.output(y, "int32");
  g.output(z, "int32");
  const err = await createRunner(encodeOnnx(g.build())).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof ProfileError, "ProfileError");
  const lines = (err as ProfileError).lines;
  t.ok(
    lines.some((l) => /node 0 .*\(ReduceSum\)/.test(l)),
    `names the ReduceSum node: ${lines.join(" | ")}`,
  );
  t.ok(
    lines.some((l) => /node 1 .*\(Div\)/.test(l)),
    "names the Div whose divisor may be 0",
  );
  await t.rejects(createRunner(new Uint8Array([1, 2, 3, 4, 5])), ProfileError, "garbage bytes");
});

t.test("--ep cuda fails with a clear message where CUDA is not installed", async (t) => {
  const err = await createRunner(mlpBytes, { ep: "cuda" }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (err === null) {
    t.comment("the CUDA provider is installed here; nothing to check");
    return;
  }
  t.match(err.message, /^CUDA execution provider is not available: /);
  t.match(err.message, /onnxruntime-node-install=cuda12/, "says what to install");
  t.match(err.message, /--ep cpu/, "and how to run without it");
  await t.rejects(createRunner(mlpBytes, { ep: "tpu" as never }), /execution provider must be cpu or cuda/);
  await t.rejects(createRunner(mlpBytes, { intraOpThreads: 0 }), /intraOpThreads must be an integer/);
  await t.rejects(
    createRunner(mlpBytes, { graphOptimizationLevel: "max" as never }),
    /graphOptimizationLevel/,
  );
});

t.test("pipelined runs (hashing on a thread-pool thread) commit exactly like runTraced", async (t) => {
  const r = await createRunner(lmBytes);
  const inputs = [lmInput(7), lmInput(8), lmInput(9)];
  const started = [];
  for (const input of inputs) started.push(await r.startTraced(input));
  for (const [i, input] of inputs.entries()) {
    const want = await r.runTraced(input);
    const got = await started[i].committed;
    t.equal(toHex(got.traceRoot), toHex(want.traceRoot), `run ${i}: trace root`);
    t.equal(toHex(got.inputRoot), toHex(want.inputRoot), `run ${i}: input root`);
    t.equal(toHex(got.outputRoot), toHex(want.outputRoot), `run ${i}: output root`);
    t.same(
      got.tensorRoots.map((rs) => rs.map(toHex)),
      want.tensorRoots.map((rs) => rs.map(toHex)),
    );
    t.same(
      Array.from(started[i].outputs.logits.data as Int32Array),
      Array.from(want.outputs.logits.data as Int32Array),
    );
    t.same(
      Array.from(got.nodeOutputs[5][0].data as Int32Array),
      Array.from(want.nodeOutputs[5][0].data as Int32Array),
      "node outputs intact after hashing",
    );
  }
  await r.dispose();
  await t.rejects(r.startTraced(inputs[0]), "a disposed runner refuses work");
});

t.test("pipelined generation gives the same tokens and roots as step-by-step runs", async (t) => {
  const { generate, windowTokens, argmaxRow } = await import("../../../prover-trace/runner/generate.ts");
  const r = await createRunner(lmBytes);
  const prompt = new TextEncoder().encode("abc");
  const seen: number[] = [];
  const { generated, steps } = await generate(r, prompt, 5, (_s, k) => seen.push(k), { pipelined: true });
  t.same(seen, [0, 1, 2, 3, 4], "steps reported in order");
  const history = Array.from(prompt);
  for (const [k, step] of steps.entries()) {
    const { tokens, last } = windowTokens(history, 64);
    const run = await r.runTraced({ tokens: { dtype: 2, shape: [64], data: tokens } });
    const token = argmaxRow(run.outputs.logits.data as Int32Array, last, 256);
    t.equal(step.token, token, `step ${k}: token`);
    t.equal(toHex(step.run.traceRoot), toHex(run.traceRoot), `step ${k}: trace root`);
    history.push(token);
  }
  t.same(Array.from(generated), history.slice(3));
  const serial = await generate(r, prompt, 5);
  t.same(Array.from(serial.generated), Array.from(generated), "serial hashing: same tokens");
  t.same(
    serial.steps.map((s) => toHex(s.run.traceRoot)),
    steps.map((s) => toHex(s.run.traceRoot)),
    "serial hashing: same roots",
  );
  await r.dispose();
});

t.test("the default-size transformer: ORT == reference interpreter on every node", async (t) => {
  const r = await createRunner(encodeOnnx(buildTransformerLm({ seed: 1 })));
  const input = lmInput(21);
  const run = await r.runTraced(input);
  const ref = runModel(r.profile.ir, input as never);
  const differing = run.nodeOutputs.flatMap((outs, i) =>
    outs.flatMap((o, s) => {
      const w = ref.nodeOutputs[i][s];
      const same = bytesEqual(
        new Uint8Array(o.data.buffer, o.data.byteOffset, o.data.byteLength),
        new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength),
      );
      return same ? [] : [`${i}:${s}`];
    }),
  );
  t.same(differing, [], `all ${run.nodeOutputs.length} nodes agree`);
  t.equal(toHex(commitRun(r.profile, [input.tokens], ref.nodeOutputs).traceRoot), toHex(run.traceRoot));
  await r.dispose();
});

t.test("inputs may be views into larger buffers or Node Buffers", async (t) => {
  const r = await createRunner(lmBytes);
  const base = lmInput(3).tokens;
  const want = await r.runTraced({ tokens: base });
  const big = new Uint8Array(200);
  big.set(base.data, 37);
  const view = await r.runTraced({ tokens: { ...base, data: big.subarray(37, 37 + 64) } });
  t.equal(toHex(view.traceRoot), toHex(want.traceRoot), "subarray view");
  const buf = await r.runTraced({ tokens: { ...base, data: Buffer.from(base.data) } });
  t.equal(toHex(buf.traceRoot), toHex(want.traceRoot), "Buffer");
  await t.rejects(
    r.runTraced({ tokens: { ...base, data: new Uint8ClampedArray(64) } }),
    /data must be a Uint8Array/,
  );
  await r.dispose();
});

t.test(
  "Relu whose only consumer is Clip(min) runs in the plain and traced sessions at every level",
  async (t) => {
    // ORT's FuseReluClip fails session creation on integer Clip bounds ("Unexpected data type for
    // Clip 'min' input") at optimization level basic and above; the runner disables that rewrite.
    for (const dtype of ["int32", "int8"] as const)
      for (const viaAdd of [false, true]) {
        const g = new GraphBuilder("relu_clip");
        const x = g.input("x", dtype, [6]);
        let r = g.op("Relu", [x]);
        if (viaAdd) r = g.op("Add", [r, g.scalar(dtype, 0)]);
        g.output(g.op("Clip", [r, g.scalar(dtype, 3), g.scalar(dtype, 100)]), dtype, [6]);
        const bytes = encodeOnnx(g.build());
        const data =
          dtype === "int32"
            ? Int32Array.from([-5, 1, 50, 120, -128, 127])
            : Int8Array.from([-5, 1, 50, 120, -128, 127]);
        const input = { x: { dtype: dtype === "int32" ? 6 : 3, shape: [6], data } };
        const want = [3, 3, 50, 100, 3, 100];
        for (const level of GRAPH_OPTIMIZATION_LEVELS) {
          const label = `${dtype}${viaAdd ? " through Add 0" : ""}, ${level}`;
          const runner = await createRunner(bytes, { graphOptimizationLevel: level });
          const plain = await runner.runPlain(input);
          t.same(Array.from(Object.values(plain)[0].data as Int32Array), want, `plain: ${label}`);
          const traced = await runner.runTraced(input);
          t.same(Array.from(Object.values(traced.outputs)[0].data as Int32Array), want, `traced: ${label}`);
          await runner.dispose();
        }
      }
  },
);
