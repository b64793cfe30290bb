/**
 * A multi-op integer model in the shape of one transformer block step (quantised matmul,
 * requantisation by power-of-two Div + Clip + Cast, a lookup-table non-linearity, integer
 * softmax with the Max(sum, 1) guard, ArgMax), with every node output exposed as a graph output
 * so ORT cannot fuse traced nodes away.
 */
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { resolveModel } from "../../../prover-trace/reference/index.ts";
import { rng } from "./cases.ts";

export function multiOpModel(): IrModel {
  const r = rng(99);
  const g = new GraphBuilder("block");
  const x = g.input("x", "int8", [4, 16]);
  const w = g.constant(
    "int8",
    [16, 32],
    Array.from({ length: 512 }, () => (r() % 256) - 128),
  );
  const h = g.op("MatMulInteger", [x, w, g.scalar("int8", 3), g.scalar("int8", -2)]);
  const h2 = g.op("Div", [h, g.scalar("int32", 256)]);
  const h3 = g.op("Clip", [h2, g.scalar("int32", -128), g.scalar("int32", 127)]);
  const h4 = g.op("Cast", [h3], { to: 3 });
  const h5 = g.op("Relu", [h4]);
  const idx = g.op("Add", [g.op("Cast", [h4], { to: 6 }), g.scalar("int32", 128)]);
  const gelu = g.constant(
    "int8",
    [256],
    Array.from({ length: 256 }, (_, i) => Math.max(-20, Math.min(127, i - 128))),
  );
  const lut = g.op("Gather", [gelu, idx], { axis: 0 });
  const m = g.op("Max", [h5, lut]);
  const tr = g.op("Transpose", [m], { perm: [1, 0] });
  const back = g.op("Reshape", [tr, g.constant("int64", [2], [4, -1])]);
  const rowMax = g.op("ReduceMax", [back], { axes: [1], keepdims: 1 });
  const centred = g.op("Sub", [back, rowMax]);
  const c32 = g.op("Add", [g.op("Cast", [centred], { to: 6 }), g.scalar("int32", 128)]);
  const expTable = g.constant(
    "int32",
    [256],
    Array.from({ length: 256 }, (_, i) => Math.round(255 * Math.exp(Math.min(0, i - 128) / 16))),
  );
  const e = g.op("Gather", [expTable, c32], { axis: 0 });
  const eu8 = g.op("Cast", [e], { to: 2 });
  const sum = g.op("MatMulInteger", [eu8, g.constant("uint8", [32, 1], new Array(32).fill(1))]);
  const guarded = g.op("Max", [sum, g.scalar("int32", 1)]);
  const p = g.op("Div", [g.op("Mul", [e, g.scalar("int32", 256)]), guarded]);
  const am = g.op("ArgMax", [p], { axis: 1, keepdims: 0 });
  const u = g.op("Unsqueeze", [am, g.constant("int64", [1], [0])]);
  g.op("Squeeze", [u, g.constant("int64", [1], [0])]);
  g.op("Identity", [g.op("Flatten", [p], { axis: 1 })]);
  const model = g.build();
  // Every node output becomes a graph output, typed from the reference's inference.
  const ref = resolveModel(model);
  model.graph.outputs = model.graph.nodes.map((n, i) => ({
    name: n.outputs[0],
    dtype: ref.nodes[i].outputs[0].dtype,
    shape: [...ref.nodes[i].outputs[0].shape],
  }));
  return model;
}
