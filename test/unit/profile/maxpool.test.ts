/**
 * MaxPool's profile spec (ops.ts): output shapes, canonical attributes, every refused
 * configuration with its reason, and the validator's line for a refused MaxPool node.
 */
import t from "tap";
import type { IrAttr } from "../../../prover-trace/onnx/ir.ts";
import { inferNode, ONNX_OPS, OpReject } from "../../../prover-trace/profile/ops.ts";

const x = (dtype: number, shape: number[]) => ({
  name: "x",
  dtype,
  shape,
  interval: { lo: -128n, hi: 127n },
  constant: null,
});
const ints = (v: number[]): IrAttr => ({ type: "ints", value: v.map(BigInt) });
const int = (v: number): IrAttr => ({ type: "int", value: BigInt(v) });
const str = (v: string): IrAttr => ({ type: "string", value: v });

function infer(shape: number[], attrs: Record<string, IrAttr>, dtype = 3) {
  return ONNX_OPS.MaxPool.infer({ onnxOp: "MaxPool", opset: 17, inputs: [x(dtype, shape)], attrs });
}

t.test("shapes and canonical attributes", async (t) => {
  const n = infer([2, 3, 5, 5], {
    kernel_shape: ints([3, 3]),
    strides: ints([2, 2]),
    pads: ints([1, 1, 1, 1]),
  });
  t.same(n.output.shape, [2, 3, 3, 3]);
  t.same(n.attrs, {
    kernel: [3, 3],
    strides: [2, 2],
    dilations: [1, 1],
    begins: [1, 1],
    shape: [2, 3, 3, 3],
  });
  const d = infer([1, 1, 7], { kernel_shape: ints([3]), dilations: ints([2]), pads: ints([2, 0]) }, 2);
  t.same(d.output.shape, [1, 1, 5], "(7 + 2 - 5) / 1 + 1");
  t.same(
    infer([1, 2, 5, 4], { kernel_shape: ints([2, 2]), auto_pad: str("VALID") }).output.shape,
    [1, 2, 4, 3],
  );
});

t.test("refused configurations, each with its reason", async (t) => {
  const refuse = (shape: number[], attrs: Record<string, IrAttr>, re: RegExp, label: string, dtype = 3) =>
    t.throws(() => infer(shape, attrs, dtype), { constructor: OpReject, message: re } as never, label);
  refuse([1, 1, 4, 4], { kernel_shape: ints([2, 2]) }, /takes int8, uint8/, "int32", 6);
  refuse([1, 4, 4], { kernel_shape: ints([2, 2]) }, /one entry per spatial axis/, "kernel rank");
  refuse([4, 4], { kernel_shape: ints([2]) }, /1 to 3 spatial axes/, "rank 2");
  refuse([1, 1, 4, 4], { kernel_shape: ints([2, 2]), ceil_mode: int(1) }, /ceil/, "ceil_mode");
  refuse([1, 1, 4, 4], { kernel_shape: ints([2, 2]), auto_pad: str("SAME_UPPER") }, /SAME/, "SAME_UPPER");
  refuse(
    [1, 1, 4, 4],
    { kernel_shape: ints([2, 2]), pads: ints([2, 0, 0, 0]) },
    /0..kernel-1/,
    "pad = kernel",
  );
  refuse(
    [1, 1, 4, 4],
    { kernel_shape: ints([2, 2]), pads: ints([-1, 0, 0, 0]) },
    /0..kernel-1/,
    "negative pad",
  );
  refuse([1, 1, 4, 4], { kernel_shape: ints([2, 2]), strides: ints([0, 1]) }, /1..65536/, "stride 0");
  refuse(
    [1, 1, 2],
    { kernel_shape: ints([3]), dilations: ints([2]) },
    /does not fit/,
    "window larger than input",
  );
  // dim 1, kernel 2, dilation 2, pads 1, 1: one window, positions -1 and 1, both miss [0, 1)
  refuse(
    [1, 1, 1],
    { kernel_shape: ints([2]), dilations: ints([2]), pads: ints([1, 1]) },
    /only padding/,
    "all padding",
  );
});

t.test("inferNode names the refused attribute", async (t) => {
  const r = inferNode("MaxPool", [x(3, [1, 1, 4, 4])], { kernel_shape: ints([2, 2]), ceil_mode: int(1) });
  t.same(r.ok, false);
  if (!r.ok) t.match(`${r.subject}: ${r.why}`, /attr ceil_mode: only 0/);
});
