/**
 * Integer MLP: int8 input -> [MatMulInteger int8 x int8 -> power-of-two requant -> ReLU or a GELU
 * table] x layers -> MatMulInteger -> int32 logits. Deterministic from the seed.
 */
import { GraphBuilder } from "../onnx/graph-builder.ts";
import type { IrModel } from "../onnx/ir.ts";
import { IntOps, matmulShift } from "./ops.ts";
import { SplitMix64 } from "./prng.ts";
import { geluTableSigned } from "./tables.ts";

export interface MlpOptions {
  seed: number;
  inputDim: number;
  hidden: number;
  /** Hidden layers (each MatMulInteger + requant + activation); >= 1. */
  layers: number;
  classes: number;
  batch: number;
}

export const MLP_DEFAULTS: MlpOptions = {
  seed: 1,
  inputDim: 64,
  hidden: 128,
  layers: 3,
  classes: 10,
  batch: 1,
};

const WEIGHT_MAX = 64;

export function checkDims(opts: Record<string, number>, limits: Record<string, [number, number]>): void {
  for (const [k, [lo, hi]] of Object.entries(limits)) {
    const v = opts[k];
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new RangeError(`${k} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

export function buildMlp(options: Partial<MlpOptions> = {}): IrModel {
  const o: MlpOptions = { ...MLP_DEFAULTS, ...options };
  checkDims(o as unknown as Record<string, number>, {
    seed: [0, Number.MAX_SAFE_INTEGER],
    inputDim: [1, 4096],
    hidden: [1, 4096],
    layers: [1, 64],
    classes: [1, 4096],
    batch: [1, 1024],
  });
  const rng = new SplitMix64(o.seed);
  const g = new GraphBuilder(`verdict-mlp-s${o.seed}`);
  const ops = new IntOps(g);
  let h = g.input("x", "int8", [o.batch, o.inputDim]);
  let width = o.inputDim;
  let gelu = "";
  for (let l = 0; l < o.layers; l++) {
    const w = g.constant(
      "int8",
      [width, o.hidden],
      rng.ints(width * o.hidden, -WEIGHT_MAX, WEIGHT_MAX),
      `w${l}`,
    );
    const acc = ops.matmul(h, w, "int8", 0, 0);
    const q = ops.requantSigned(acc, matmulShift(width, WEIGHT_MAX));
    // Alternate the two activation kinds so both an op and a table non-linearity are exercised.
    if (l % 2 === 0) h = g.op("Relu", [ops.cast(q, "int8")]);
    else {
      gelu ||= g.constant("int8", [256], geluTableSigned(), "gelu_table");
      h = ops.lookup(gelu, ops.add(q, ops.scalar("int32", 128)));
    }
    width = o.hidden;
  }
  const wOut = g.constant(
    "int8",
    [width, o.classes],
    rng.ints(width * o.classes, -WEIGHT_MAX, WEIGHT_MAX),
    "w_out",
  );
  const logits = g.op("MatMulInteger", [h, wOut], {}, "logits");
  g.output(logits, "int32", [o.batch, o.classes]);
  return g.build();
}
