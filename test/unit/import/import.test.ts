import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { SplitMix64 } from "../../../prover-trace/builder/prng.ts";
import { absPercentile, parseCalibrationRule, type Sample } from "../../../prover-trace/import/calibrate.ts";
import { importModel, splitSamples } from "../../../prover-trace/import/importer.ts";
import { erf } from "../../../prover-trace/import/lower.ts";
import { readSamplesDir, writeSamplesDir } from "../../../prover-trace/import/samples-dir.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";

const rng = new SplitMix64(7);
const randn = (n: number, scale: number) =>
  Array.from({ length: n }, () => (rng.int(-1000, 1000) / 1000) * scale);

/** tokens int32 [4] -> embedding -> MatMul + bias -> Relu -> MatMul -> Sigmoid-gated output [4, 3]. */
function tinyFloatModel(extra?: (g: GraphBuilder, x: string) => string): IrModel {
  const g = new GraphBuilder("tiny");
  const tokens = g.input("tokens", "int32", [4]);
  let x = g.op("Gather", [g.floatConstant([10, 6], randn(60, 1), "emb"), tokens], { axis: 0 });
  x = g.op("Add", [
    g.op("MatMul", [x, g.floatConstant([6, 5], randn(30, 0.5), "w1")]),
    g.floatConstant([5], randn(5, 0.2), "b1"),
  ]);
  x = g.op("Relu", [x]);
  if (extra) x = extra(g, x);
  const y = g.op("MatMul", [x, g.floatConstant([5, 3], randn(15, 0.5), "w2")]);
  const out = g.op("Mul", [y, g.op("Sigmoid", [y])], {}, "scores");
  g.floatOutput(out, [4, 3]);
  return g.build();
}

const samples = (n: number, len = 4): Sample[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    inputs: {
      tokens: {
        dtype: "int32",
        shape: [len],
        data: Int32Array.from({ length: len }, (_, k) => (i * 3 + k) % 10),
      },
    },
  }));

t.test("a small float model imports into the profile and tracks the float outputs", async (t) => {
  const r = await importModel(encodeOnnx(tinyFloatModel()), samples(12));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  t.ok(validateModel(r.intModel).ok);
  t.same(r.report.heldOutSamples, ["s11", "s5", "s9"], "every 4th sample by name is held out");
  t.equal(r.report.calibrationSamples.length, 9);
  const out = r.report.outputs[0];
  t.equal(out.name, "scores");
  t.ok(out.relError < 0.05, `relative error ${out.relError}`);
  t.ok(out.scale > 0);
  t.ok(r.intModel.graph.nodes.every((n) => n.opType !== "MatMul"));
});

t.test(
  "RMSNorm is recognised with ReduceMean axes as an attribute (opset 17) or an input (opset 18+)",
  async (t) => {
    for (const opset of [17, 18]) {
      const g = new GraphBuilder("rms");
      const tokens = g.input("tokens", "int32", [4]);
      const x = g.op("Gather", [g.floatConstant([10, 8], randn(80, 2), "emb"), tokens], { axis: 0 });
      const mean =
        opset === 17
          ? g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 })
          : g.op("ReduceMean", [g.op("Mul", [x, x]), g.constant("int64", [1], [-1])], { keepdims: 1 });
      const n = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [mean, g.floatConstant([], [1e-5])])])]);
      const h = g.op("Mul", [n, g.floatConstant([8], randn(8, 1), "rms_w")]);
      g.floatOutput(g.op("MatMul", [h, g.floatConstant([8, 3], randn(24, 1), "w")], {}, "y"), [4, 3]);
      const m = g.build();
      m.opsetImports = [{ domain: "", version: opset }];
      const r = await importModel(encodeOnnx(m), samples(8));
      if (!r.ok) throw new Error(r.errors.join("\n"));
      t.ok(validateModel(r.intModel).ok, `opset ${opset}: accepted`);
      t.notOk(r.intModel.graph.nodes.some((x) => x.opType === "Sqrt" || x.opType === "ReduceMean"));
      t.ok(
        r.report.outputs[0].relError < 0.05,
        `opset ${opset}: relative error ${r.report.outputs[0].relError}`,
      );
    }
  },
);

t.test(
  "Gemm (transB, alpha, beta, bias in int32) and element-wise tables (Erf, Gelu, HardSwish...)",
  async (t) => {
    const build = (opset: number, body: (g: GraphBuilder, x: string) => string) => {
      const g = new GraphBuilder("ew");
      const tokens = g.input("tokens", "int32", [4]);
      const x = g.op("Gather", [g.floatConstant([10, 6], randn(60, 2), "emb"), tokens], { axis: 0 });
      const y = g.op(
        "Gemm",
        [x, g.floatConstant([5, 6], randn(30, 0.7), "wT"), g.floatConstant([5], randn(5, 0.5), "bias")],
        { transB: 1, alpha: { type: "float", value: 0.5 }, beta: { type: "float", value: 2 } },
      );
      g.floatOutput(g.op("Identity", [body(g, y)], {}, "out"), [4, 5]);
      const m = g.build();
      m.opsetImports = [{ domain: "", version: opset }];
      return m;
    };
    const cases: [string, number, (g: GraphBuilder, x: string) => string][] = [
      ["Gemm", 17, (_g, x) => x],
      ["Erf", 17, (g, x) => g.op("Erf", [x])],
      ["HardSwish", 17, (g, x) => g.op("HardSwish", [x])],
      ["HardSigmoid", 17, (g, x) => g.op("HardSigmoid", [x], { alpha: { type: "float", value: 0.3 } })],
      ["LeakyRelu", 17, (g, x) => g.op("LeakyRelu", [x], { alpha: { type: "float", value: 0.1 } })],
      ["Softplus", 17, (g, x) => g.op("Softplus", [x])],
      ["Neg+Tanh", 17, (g, x) => g.op("Tanh", [g.op("Neg", [x])])],
      ["Gelu", 20, (g, x) => g.op("Gelu", [x])],
      ["Gelu tanh", 20, (g, x) => g.op("Gelu", [x], { approximate: "tanh" })],
    ];
    for (const [name, opset, body] of cases) {
      const r = await importModel(encodeOnnx(build(opset, body)), samples(8));
      if (!r.ok) throw new Error(`${name}: ${r.errors.join("\n")}`);
      t.ok(validateModel(r.intModel).ok, `${name}: accepted`);
      t.ok(r.report.outputs[0].relError < 0.03, `${name}: relative error ${r.report.outputs[0].relError}`);
    }
    t.ok(Math.abs(erf(0.5) - 0.5204998778) < 2e-7 && Math.abs(erf(-2) + 0.995322265) < 2e-7, "erf");
  },
);

t.test("LayerNormalization (last axis, Scale and B) in integers", async (t) => {
  const g = new GraphBuilder("ln");
  const tokens = g.input("tokens", "int32", [4]);
  // Rows with a large common offset: the mean must be removed exactly for the result to hold.
  const emb = randn(80, 1).map((v, i) => v + (Math.floor(i / 8) % 3) * 3);
  const x = g.op("Gather", [g.floatConstant([10, 8], emb, "emb"), tokens], { axis: 0 });
  const ln = g.op(
    "LayerNormalization",
    [
      x,
      g.floatConstant(
        [8],
        randn(8, 1).map((v) => v + 1.5),
        "gamma",
      ),
      g.floatConstant([8], randn(8, 0.5), "beta"),
    ],
    { axis: -1, epsilon: { type: "float", value: 1e-5 } },
  );
  const y = g.op("Add", [x, g.op("MatMul", [ln, g.floatConstant([8, 8], randn(64, 0.5), "w")])]);
  g.floatOutput(g.op("Identity", [y], {}, "y"), [4, 8]);
  const r = await importModel(encodeOnnx(g.build()), samples(8));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  t.ok(validateModel(r.intModel).ok, "accepted");
  t.notOk(r.intModel.graph.nodes.some((n) => n.opType === "LayerNormalization"));
  t.ok(r.report.outputs[0].relError < 0.02, `relative error ${r.report.outputs[0].relError}`);
  const lnError = r.report.worstTensors.find((e) => e.tensor === ln)?.relError;
  t.ok(lnError !== undefined && lnError < 0.01, `the normalised tensor itself: relative error ${lnError}`);
  const bad = new GraphBuilder("ln-axis");
  const tk = bad.input("tokens", "int32", [4]);
  const xb = bad.op("Gather", [bad.floatConstant([10, 8], emb, "emb"), tk], { axis: 0 });
  bad.floatOutput(
    bad.op(
      "LayerNormalization",
      [xb, bad.floatConstant([4, 8], new Array(32).fill(1), "gamma")],
      { axis: 0 },
      "y",
    ),
    [4, 8],
  );
  const rb = await importModel(encodeOnnx(bad.build()), samples(4));
  t.notOk(rb.ok);
  if (!rb.ok) t.match(rb.errors[0], /LayerNormalization\): only the last axis is supported/);
});

t.test("a Softmax of its own: probabilities at scale 1/32767", async (t) => {
  const g = new GraphBuilder("cls");
  const tokens = g.input("tokens", "int32", [4]);
  const x = g.op("Gather", [g.floatConstant([10, 6], randn(60, 1), "emb"), tokens], { axis: 0 });
  const logits = g.op("MatMul", [x, g.floatConstant([6, 7], randn(42, 2), "w")]);
  g.floatOutput(g.op("Softmax", [logits], { axis: -1 }, "probs"), [4, 7]);
  const r = await importModel(encodeOnnx(g.build()), samples(8));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  t.ok(validateModel(r.intModel).ok, "accepted");
  t.equal(r.report.outputs[0].scale, 1 / 32767);
  t.ok(r.report.outputs[0].relError < 0.01, `relative error ${r.report.outputs[0].relError}`);
  t.equal(r.report.outputs[0].top1Agreement, 1, "same argmax in every row");
  const axis0 = new GraphBuilder("cls0");
  const tk = axis0.input("tokens", "int32", [4]);
  const x0 = axis0.op("Gather", [axis0.floatConstant([10, 6], randn(60, 1), "emb"), tk], { axis: 0 });
  axis0.floatOutput(axis0.op("Softmax", [x0], { axis: 0 }, "p"), [4, 6]);
  const r0 = await importModel(encodeOnnx(axis0.build()), samples(4));
  t.notOk(r0.ok);
  if (!r0.ok) t.match(r0.errors[0], /\(Softmax\): only the last axis is supported/);
});

t.test("calibration rules", async (t) => {
  t.same(parseCalibrationRule("max"), { kind: "max" });
  t.same(parseCalibrationRule("percentile:99.9"), { kind: "percentile", p: 99.9 });
  for (const bad of ["percentile:100", "percentile:20", "percentile:", "min", "percentile:9x"])
    t.throws(() => parseCalibrationRule(bad), /use max or percentile:P/, bad);
  // 1000 values 0.001..1: the 99th percentile lies in the bin holding 0.99.
  const d = Float32Array.from({ length: 1000 }, (_, i) => ((i + 1) / 1000) * (i % 2 ? 1 : -1));
  const p99 = absPercentile(d, 1, 99);
  t.ok(p99 >= 0.99 && p99 <= 0.99 + 1 / 4096, `${p99}`);
  t.equal(absPercentile(new Float32Array(4), 0, 99), 0);
  const r = await importModel(encodeOnnx(tinyFloatModel()), samples(8), {
    calibration: { kind: "percentile", p: 99.9 },
  });
  t.ok(r.ok && r.report.calibration === "percentile:99.9");
});

t.test(
  "the same float model and samples import to the same bytes (the model id is reproducible)",
  async (t) => {
    const bytes = encodeOnnx(tinyFloatModel());
    const a = await importModel(bytes, samples(8));
    const b = await importModel(bytes, samples(8));
    t.ok(a.ok && b.ok && Buffer.from(a.intBytes).equals(Buffer.from(b.intBytes)));
  },
);

t.test("sample split: fewer than 4 samples are all used for calibration and for the report", async (t) => {
  t.same(splitSamples(samples(3)).heldOut, []);
  const r = await importModel(encodeOnnx(tinyFloatModel()), samples(2));
  t.ok(r.ok);
  if (r.ok) t.same(r.report.heldOutSamples, []);
});

t.test("unsupported nodes: one line per node, no model", async (t) => {
  // Two unsupported nodes side by side; what follows them is not reported again.
  const m = tinyFloatModel((g, x) => g.op("Add", [g.op("Cos", [x]), g.op("Sin", [x])]));
  const r = await importModel(encodeOnnx(m), samples(4));
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 2, r.errors.join("\n"));
  t.match(r.errors[0], /node 'cos_\d+' \(Cos\): Cos is not supported/);
  t.match(r.errors[1], /node 'sin_\d+' \(Sin\): Sin is not supported/);
});

t.test("hostile inputs to the importer get clear errors", async (t) => {
  const bytes = encodeOnnx(tinyFloatModel());
  const fail = async (b: Uint8Array, s: Sample[], re: RegExp) => {
    const r = await importModel(b, s);
    t.notOk(r.ok);
    if (!r.ok) t.match(r.errors.join("\n"), re);
  };
  await fail(new Uint8Array([1, 2, 3]), samples(2), /not a valid ONNX|ONNX model has no graph/);
  await fail(bytes, [], /no calibration samples/);
  await fail(bytes, [{ name: "x", inputs: {} }], /sample 'x': no tokens.npy/);
  await fail(bytes, samples(2, 5), /tokens.npy has shape \(5\), the model takes \[4\]/);
  const old = tinyFloatModel();
  old.opsetImports = [{ domain: "", version: 8 }];
  await fail(encodeOnnx(old), samples(2), /opset 8/);
});

t.test("a float graph input gets an input quantizer: int32 at 8 bits of its calibrated range", async (t) => {
  const g = new GraphBuilder("float-in");
  const x = g.floatInput("x", [2, 3]);
  g.floatOutput(g.op("Relu", [x], {}, "y"), [2, 3]);
  const data = (k: number) =>
    Float32Array.from([-1, 0.5, 2, -0.25, 1.5, 0].map((v) => v * (1 + (3 - k) / 8)));
  const s: Sample[] = [0, 1, 2, 3].map((k) => ({
    name: `s${k}`,
    inputs: { x: { dtype: "float32", shape: [2, 3], data: data(k) } },
  }));
  const r = await importModel(encodeOnnx(g.build()), s);
  t.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  if (!r.ok) return;
  // max |x| over the three calibration samples (s0, s1, s2): 2 * (1 + 3/8), from s0
  t.same(r.report.inputs, [{ name: "x", scale: 2.75 / 127, bound: 127 }]);
  t.equal(r.intModel.graph.inputs[0].dtype, 6, "the integer model takes int32");
  t.ok(r.report.outputs[0].relError < 0.01, `held-out relative error ${r.report.outputs[0].relError}`);
});

const run = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");

t.test("verdict model import: writes the model and report, or nothing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-import-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "float.onnx"), encodeOnnx(tinyFloatModel()));
  writeSamplesDir(join(dir, "calib"), samples(8));
  const back = readSamplesDir(join(dir, "calib"));
  t.ok(back.ok && back.samples.length === 8, "samples round-trip through the directory");
  const ok = await run(process.execPath, [
    VERDICT,
    "model",
    "import",
    join(dir, "float.onnx"),
    "--calib",
    join(dir, "calib"),
    "--out",
    join(dir, "int.onnx"),
    "--report",
    join(dir, "report.json"),
  ]);
  t.match(ok.stdout, /wrote .*int\.onnx: \d+ integer nodes/);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
  t.equal(report.outputs[0].name, "scores");
  t.equal(report.calibration, "max", "the default rule");

  writeFileSync(join(dir, "bad.onnx"), encodeOnnx(tinyFloatModel((g, x) => g.op("Cos", [x]))));
  const err = await run(process.execPath, [
    VERDICT,
    "model",
    "import",
    join(dir, "bad.onnx"),
    "--calib",
    join(dir, "calib"),
    "--out",
    join(dir, "bad-int.onnx"),
  ]).catch((e: { code: number; stderr: string }) => e);
  t.equal((err as { code: number }).code, 1);
  t.match((err as { stderr: string }).stderr, /Cos is not supported/);
  t.notOk(existsSync(join(dir, "bad-int.onnx")), "no output file");
  const noDir = await run(process.execPath, [
    VERDICT,
    "model",
    "import",
    join(dir, "float.onnx"),
    "--calib",
    join(dir, "nope"),
    "--out",
    join(dir, "x.onnx"),
  ]).catch((e: { stderr: string }) => e);
  t.match((noDir as { stderr: string }).stderr, /calibration directory .* does not exist/);
  writeFileSync(join(dir, "calib", "s0", "tokens.npy"), "garbage");
  const badNpy = await run(process.execPath, [
    VERDICT,
    "model",
    "import",
    join(dir, "float.onnx"),
    "--calib",
    join(dir, "calib"),
    "--out",
    join(dir, "x.onnx"),
  ]).catch((e: { stderr: string }) => e);
  t.match((badNpy as { stderr: string }).stderr, /s0\/tokens.npy: not a .npy file/);
  t.notOk(existsSync(join(dir, "x.onnx")));
});
