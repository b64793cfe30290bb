/**
 * ConvInteger's profile spec (ops.ts): output shapes, canonical attributes, the interval, and
 * every refused configuration with its reason.
 */
import t from "tap";
import type { IrAttr } from "../../../prover-trace/onnx/ir.ts";
import { type InferInput, inferNode, ONNX_OPS, OpReject } from "../../../prover-trace/profile/ops.ts";

const full = (name: string, dtype: number, shape: number[]): InferInput => ({
  name,
  dtype,
  shape,
  interval: dtype === 2 ? { lo: 0n, hi: 255n } : { lo: -128n, hi: 127n },
  constant: null,
});
const scalar = (name: string, dtype: number, v: number): InferInput => ({
  ...full(name, dtype, []),
  constant: dtype === 2 ? Uint8Array.of(v) : Int8Array.of(v),
});
const ints = (v: number[]): IrAttr => ({ type: "ints", value: v.map(BigInt) });
const int = (v: number): IrAttr => ({ type: "int", value: BigInt(v) });
const str = (v: string): IrAttr => ({ type: "string", value: v });

function infer(inputs: (InferInput | null)[], attrs: Record<string, IrAttr> = {}) {
  return ONNX_OPS.ConvInteger.infer({ onnxOp: "ConvInteger", opset: 17, inputs, attrs });
}

t.test("shapes, canonical attributes, interval", async (t) => {
  const n = infer([full("x", 3, [2, 4, 5, 5]), full("w", 3, [6, 2, 3, 3])], {
    group: int(2),
    strides: ints([2, 2]),
    pads: ints([1, 1, 1, 1]),
  });
  t.same(n.output.shape, [2, 6, 3, 3]);
  t.equal(n.output.dtype, 6, "int32");
  t.same(n.attrs, {
    aZeroPoint: 0n,
    bZeroPoint: 0n,
    group: 2,
    strides: [2, 2],
    dilations: [1, 1],
    begins: [1, 1],
    shape: [2, 6, 3, 3],
  });
  // 18 terms of at most 128 * 128 each way (a padding term is 0)
  t.same(n.output.interval, { lo: -18n * 128n * 127n, hi: 18n * 128n * 128n });
  const z = infer(
    [full("x", 2, [1, 1, 4]), full("w", 2, [1, 1, 2]), scalar("xz", 2, 7), scalar("wz", 2, 9)],
    {
      auto_pad: str("VALID"),
    },
  );
  const za = z.attrs as { aZeroPoint: bigint; bZeroPoint: bigint };
  t.same([za.aZeroPoint, za.bZeroPoint, z.output.shape], [7n, 9n, [1, 1, 3]]);
});

t.test("refused configurations, each with its reason", async (t) => {
  const refuse = (inputs: (InferInput | null)[], attrs: Record<string, IrAttr>, re: RegExp, label: string) =>
    t.throws(() => infer(inputs, attrs), { constructor: OpReject, message: re } as never, label);
  const x = full("x", 3, [1, 2, 4, 4]);
  const w = full("w", 3, [2, 2, 2, 2]);
  refuse([full("x", 2, [1, 2, 4, 4]), w], {}, /mixed uint8\/int8/, "uint8 x int8");
  refuse([full("x", 6, [1, 2, 4, 4]), w], {}, /takes int8, uint8/, "int32");
  refuse([full("x", 3, [2, 4]), full("w", 3, [2, 4])], {}, /spatial axes/, "rank 2");
  refuse([x, w], { group: int(2) }, /channels/, "group does not divide");
  refuse([x, w], { kernel_shape: ints([3, 3]) }, /W's spatial dims/, "kernel_shape differs from W");
  refuse([x, w], { pads: ints([2, 0, 0, 0]) }, /0..kernel-1/, "pad = kernel");
  refuse([x, w], { auto_pad: str("SAME_LOWER") }, /explicit pads/, "SAME_LOWER");
  refuse([x, w], { dilations: ints([0, 1]) }, /1..65536/, "dilation 0");
  refuse([x, full("w", 3, [2, 2, 5, 1])], {}, /does not fit/, "kernel larger than the input");
  refuse([x, w, full("xz", 3, [])], {}, /constant/, "a zero point that is not a constant");
});

t.test("the fold length cap and the line inferNode gives", async (t) => {
  // 4096 channels x a 64 x 65 kernel = 17,039,360 terms per output element, past 2^24.
  t.throws(
    () => infer([full("x", 2, [1, 4096, 64, 65]), full("w", 2, [1, 4096, 64, 65])]),
    { constructor: OpReject, message: /at most 2\^24 terms/ } as never,
    "more than 2^24 terms",
  );
  t.doesNotThrow(
    () => infer([full("x", 2, [1, 4096, 64, 64]), full("w", 2, [1, 4096, 64, 64])]),
    "exactly 2^24 terms",
  );
  const r = inferNode("ConvInteger", [full("x", 2, [1, 2, 4]), full("w", 3, [1, 2, 2])]);
  t.same(r.ok, false);
  if (!r.ok)
    t.match(`${r.subject}: ${r.why}`, /x uint8 x w int8: mixed uint8\/int8 ConvInteger may saturate/);
});
