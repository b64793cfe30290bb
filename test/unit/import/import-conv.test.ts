/**
 * The convolutional recipes of the importer on a small float network built here (every recipe
 * PP-OCRv4 rec needs, in one graph): Conv + BatchNorm, HardSwish op by op, depthwise Conv,
 * squeeze-excitation (GlobalAveragePool, 1x1 Convs, Relu, HardSigmoid, Mul), a tiling
 * AveragePool, Concat, Clip, Slice, Reshape/Transpose, op-by-op LayerNorm, MatMul, Softmax, and a
 * float image input (the input quantizer).
 */
import t from "tap";
import { SplitMix64 } from "../../../prover-trace/builder/prng.ts";
import type { Sample } from "../../../prover-trace/import/calibrate.ts";
import { importModel } from "../../../prover-trace/import/importer.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";

const rng = new SplitMix64(11n);
const randn = (n: number, scale: number) =>
  Array.from({ length: n }, () => (rng.int(-1000, 1000) / 1000) * scale);
const H = 8;
const W = 12;

function tinyCnn(): IrModel {
  const g = new GraphBuilder("tiny-cnn");
  const f = (shape: number[], scale: number, name?: string) =>
    g.floatConstant(
      shape,
      randn(
        shape.reduce((a, b) => a * b, 1),
        scale,
      ),
      name,
    );
  const s = (v: number) => g.floatConstant([], [v]);
  const hardSwish = (x: string) =>
    g.op("Div", [g.op("Mul", [x, g.op("Clip", [g.op("Add", [x, s(3)]), s(0), s(6)])]), s(6)]);
  const x = g.floatInput("x", [1, 3, H, W]);
  // Conv 3 -> 4, 3x3, pad 1, then BatchNormalization (folded)
  let y = g.op("Conv", [x, f([4, 3, 3, 3], 0.5), f([4], 0.1)], {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
    strides: [1, 1],
  });
  y = g.op("BatchNormalization", [
    y,
    g.floatConstant([4], [1.2, 0.8, 1.0, 0.5]),
    f([4], 0.2),
    f([4], 0.1),
    g.floatConstant([4], [0.9, 1.1, 0.7, 1.3]),
  ]);
  y = hardSwish(y);
  // depthwise 3x3, stride (2, 1)
  y = g.op("Conv", [y, f([4, 1, 3, 3], 0.6), f([4], 0.1)], {
    kernel_shape: [3, 3],
    pads: [1, 1, 1, 1],
    strides: [2, 1],
    group: 4,
  }); // [1, 4, 4, 12]
  // squeeze-excitation
  const se = g.op(
    "HardSigmoid",
    [
      g.op(
        "Conv",
        [
          g.op("Relu", [
            g.op("Conv", [g.op("GlobalAveragePool", [y]), f([2, 4, 1, 1], 0.7), f([2], 0.1)], {
              kernel_shape: [1, 1],
            }),
          ]),
          f([4, 2, 1, 1], 0.7),
          f([4], 0.1),
        ],
        { kernel_shape: [1, 1] },
      ),
    ],
    { alpha: { type: "float", value: 1 / 6 }, beta: { type: "float", value: 0.5 } },
  );
  y = g.op("Mul", [y, se]);
  const pooled = g.op("AveragePool", [y], { kernel_shape: [2, 2], strides: [2, 2] }); // [1, 4, 2, 6]
  const other = g.op("Clip", [
    g.op("Conv", [pooled, f([4, 4, 1, 3], 0.4)], { kernel_shape: [1, 3], pads: [0, 1, 0, 1] }),
    s(-1),
    s(1.5),
  ]);
  y = g.op("Concat", [pooled, other], { axis: 1 }); // [1, 8, 2, 6]
  y = g.op("Slice", [
    y,
    g.constant("int64", [1], [0n]),
    g.constant("int64", [1], [1n]),
    g.constant("int64", [1], [2n]),
  ]); // [1, 8, 1, 6]
  y = g.op("Transpose", [g.op("Reshape", [y, g.constant("int64", [3], [1n, 8n, 6n])])], { perm: [0, 2, 1] }); // [1, 6, 8]
  // LayerNorm op by op
  const mean = g.op("ReduceMean", [y], { axes: [-1] });
  const c = g.op("Sub", [y, mean]);
  const v = g.op("ReduceMean", [g.op("Pow", [c, s(2)])], { axes: [-1] });
  y = g.op("Div", [c, g.op("Sqrt", [g.op("Add", [v, s(1e-5)])])]);
  y = g.op("Add", [
    g.op("Mul", [y, g.floatConstant([8], [1, 0.9, 1.1, 0.8, 1.2, 1, 0.7, 1.3])]),
    f([8], 0.1),
  ]);
  y = g.op("Add", [g.op("MatMul", [y, f([8, 5], 0.5)]), f([5], 0.1)]);
  g.floatOutput(g.op("Softmax", [y], { axis: -1 }, "probs"), [1, 6, 5]);
  return g.build();
}

const image = (k: number): Float32Array =>
  Float32Array.from({ length: 3 * H * W }, (_, i) => Math.sin(i * 0.37 + k * 1.3) * Math.cos(i * 0.11 - k));

t.test("a small CNN with every recipe PP-OCRv4 needs imports and agrees with the float model", async (t) => {
  const samples: Sample[] = Array.from({ length: 12 }, (_, k) => ({
    name: `s${String(k).padStart(2, "0")}`,
    inputs: { x: { dtype: "float32", shape: [1, 3, H, W], data: image(k) } },
  }));
  const r = await importModel(encodeOnnx(tinyCnn()), samples);
  t.ok(r.ok, r.ok ? "imported" : r.errors.join("\n"));
  if (!r.ok) return;
  t.ok(validateModel(r.intModel).ok, "in the profile");
  const ops = new Set(r.intModel.graph.nodes.map((n) => n.opType));
  for (const op of ["ConvInteger", "MatMulInteger", "Concat", "Slice", "Gather"])
    t.ok(ops.has(op), `emits ${op}`);
  for (const op of ["Conv", "BatchNormalization", "AveragePool", "GlobalAveragePool", "ReduceMean", "Sqrt"])
    t.notOk(ops.has(op), `no float ${op} left`);
  const o = r.report.outputs[0];
  t.comment(
    `held-out: top-1 ${o.top1Agreement}, relative error ${o.relError}; worst ${JSON.stringify(r.report.worstTensors.slice(0, 3))}`,
  );
  t.ok(o.relError < 0.05, `output relative error ${o.relError} < 0.05`);
  t.ok(o.top1Agreement >= 0.9, `top-1 agreement ${o.top1Agreement}`);
});

t.test("unsupported convolution forms are reported, one line per node", async (t) => {
  const g = new GraphBuilder("bad-cnn");
  const x = g.floatInput("x", [1, 2, 4, 4]);
  const w = g.floatConstant([2, 2, 3, 3], randn(36, 0.5));
  const a = g.op("Conv", [x, w], { kernel_shape: [3, 3], auto_pad: "SAME_UPPER" });
  const b = g.op("AveragePool", [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
  g.floatOutput(g.op("Add", [a, b], {}, "y"), [1, 2, 4, 4]);
  const samples: Sample[] = [0, 1].map((k) => ({
    name: `s${k}`,
    inputs: { x: { dtype: "float32", shape: [1, 2, 4, 4], data: Float32Array.from(randn(32, 1 + k)) } },
  }));
  const r = await importModel(encodeOnnx(g.build()), samples);
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 2, r.errors.join("\n"));
  t.match(r.errors[0], /\(Conv\): Conv auto_pad SAME_UPPER is not supported/);
  t.match(r.errors[1], /\(AveragePool\): AveragePool is supported for 2-D windows that tile the input/);
});
