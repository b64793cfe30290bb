/**
 * Small integer decoder-only transformer LM over byte tokens (vocabulary 256), deterministic from
 * the seed. Everything is integer and inside the profile:
 *
 * - activations between layers are signed 8-bit values held in int32 (the residual stream);
 *   matmul operands are uint8 in offset binary (v + 128) with constant zero points 128, because
 *   ORT's uint8 x uint8 MatMulInteger kernels are several times faster than int8 x int8 on this
 *   CPU (docs/profile.md) while computing exactly the same signed products;
 * - requantization is Div by a power of two + Clip; GELU and exp are 256-row tables, 1/sqrt a 129-row one
 *   (the GELU table is indexed by the signed value itself: Gather's negative indices wrap);
 * - integer RMS-norm: per-row sum of squares via a batched MatMulInteger, rsqrt table;
 * - attention: scores = MatMulInteger(Q, K^T) per head, Add a causal mask, ReduceMax, Sub from
 *   the row maximum, Clip to the exp table's 2^16 rows, Gather (last entry 0; the score scale is
 *   folded into the table, so no Div over [H, T, T]), row sums via
 *   MatMulInteger with a ones vector (exact; ReduceSum would saturate), Max(sum, 1) so the divisor
 *   is provably >= 1, then the softmax-weighted average as MatMulInteger(e, V) / sum;
 * - logits [T, 256] int32 = MatMulInteger with a separate head [D, 256].
 */
import { GraphBuilder } from "../onnx/graph-builder.ts";
import type { IrModel } from "../onnx/ir.ts";
import { checkDims } from "./mlp.ts";
import { IntOps, matmulShift } from "./ops.ts";
import { SplitMix64 } from "./prng.ts";
import { ACT_SCALE, expTable, geluTableOffset, rsqrtTable, signedIndexed } from "./tables.ts";

export interface TransformerOptions {
  seed: number;
  seqLen: number;
  dModel: number;
  heads: number;
  layers: number;
  ffDim: number;
  /** Integer RMS-norm before attention, before the FFN and before the head. */
  rmsNorm: boolean;
  /**
   * Token id input dtype: uint8 (the byte LM) or int32 (what a generation claim's pass input is,
   * docs/generation.md; the ids are clipped to [0, 255] before the embedding lookup).
   */
  tokenInput: "uint8" | "int32";
}

export const TRANSFORMER_DEFAULTS: TransformerOptions = {
  seed: 1,
  seqLen: 64,
  dModel: 128,
  heads: 4,
  layers: 2,
  ffDim: 512,
  rmsNorm: true,
  tokenInput: "uint8",
};

export const VOCAB = 256;
const WEIGHT_MAX = 64;
const EMBED_MAX = 48;
const POS_MAX = 16;
/** Softmax temperature in units of the scaled score. */
const EXP_TAU = 24;
/** Rows of the exp table, indexed by the raw (unscaled) distance below the row maximum. */
const EXP_ROWS = 1 << 16;
/** Far below any reachable score (|score| <= dh * 2^14 <= 2^26), and rowMax - masked stays < 2^31. */
const MASK_NEG = -(1 << 28);
const RSQRT_SHIFT = 8;

export function buildTransformerLm(options: Partial<TransformerOptions> = {}): IrModel {
  const o: TransformerOptions = { ...TRANSFORMER_DEFAULTS, ...options };
  checkDims(o as unknown as Record<string, number>, {
    seed: [0, Number.MAX_SAFE_INTEGER],
    seqLen: [1, 4096],
    dModel: [1, 4096],
    heads: [1, 256],
    layers: [1, 64],
    ffDim: [1, 16384],
  });
  if (o.dModel % o.heads !== 0)
    throw new RangeError(`dModel ${o.dModel} is not divisible by heads ${o.heads}`);
  const { seqLen: T, dModel: D, heads: H, ffDim: F } = o;
  const dh = D / H;
  const rng = new SplitMix64(o.seed);
  const g = new GraphBuilder(`verdict-lm-s${o.seed}`);
  const ops = new IntOps(g);
  const offsetWeights = (name: string, rows: number, cols: number, max = WEIGHT_MAX) =>
    g.constant("uint8", [rows, cols], rng.ints(rows * cols, 128 - max, 128 + max), name);

  // Shared tables and constants.
  const ones = (n: number) => g.constant("uint8", [n, 1], new Array(n).fill(1), `ones_${n}`);
  const onesT = ones(T);
  const rsTable = o.rmsNorm ? g.constant("int32", [129], rsqrtTable(RSQRT_SHIFT), "rsqrt_table") : "";
  const scoreShift = Math.round(Math.log2(Math.sqrt(dh) * ACT_SCALE));
  // The score scale 2^-scoreShift is folded into the table (tau in raw units), which saves a Div
  // over every [H, T, T] score tensor.
  const expT = g.constant("uint8", [EXP_ROWS], expTable(EXP_TAU * 2 ** scoreShift, EXP_ROWS), "exp_table");
  const geluT = g.constant("uint8", [256], signedIndexed(geluTableOffset()), "gelu_table");
  const mask = g.constant(
    "int32",
    [T, T],
    Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? MASK_NEG : 0)),
    "causal_mask",
  );

  /** signed residual (int32 in [-128,127]) -> uint8 offset operand, RMS-normalised if enabled. */
  const normToU8 = (h: string): string => {
    const hU8 = ops.toOffsetU8(h);
    if (!o.rmsNorm) return hU8;
    // Per-row sum of squares as a batched [1, D] x [D, 1] MatMulInteger: exact, and far cheaper
    // in ORT than a per-element square table (Gather costs ~30-40 ns per element on this CPU).
    const sumSq = ops.matmul(ops.reshape(hU8, [T, 1, D]), ops.reshape(hU8, [T, D, 1]), "uint8", 128, 128);
    const meanSq = g.op("Div", [ops.reshape(sumSq, [T, 1]), ops.scalar("int32", D * 128)]); // mean(x^2) / 128
    const r = ops.lookup(rsTable, ops.clip(meanSq, "int32", 0, 128)); // int32 [T, 1]
    return ops.toOffsetU8(ops.requantSigned(g.op("Mul", [h, r]), RSQRT_SHIFT));
  };

  // Embedding: uint8 token ids -> int32 indices in [0, 255] -> offset table rows.
  if (o.tokenInput !== "uint8" && o.tokenInput !== "int32")
    throw new RangeError(`tokenInput must be "uint8" or "int32", got ${JSON.stringify(o.tokenInput)}`);
  const tokens = g.input("tokens", o.tokenInput, [T]);
  const emb = offsetWeights("tok_embedding", VOCAB, D, EMBED_MAX);
  const ids = o.tokenInput === "uint8" ? ops.cast(tokens, "int32") : ops.clip(tokens, "int32", 0, VOCAB - 1);
  const tokEmb = ops.lookup(emb, ids); // uint8 [T, D]
  // Position embedding folded with the -128 of the offset form: h = tokEmb - 128 + pos.
  const pos = g.constant("int32", [T, D], rng.ints(T * D, -POS_MAX - 128, POS_MAX - 128), "pos_embedding");
  let h = ops.clip(ops.add(ops.cast(tokEmb, "int32"), pos), "int32", -128, 127);

  const qkvShift = matmulShift(D, WEIGHT_MAX);
  const ffShiftUp = matmulShift(D, WEIGHT_MAX);
  const ffShiftDown = matmulShift(F, WEIGHT_MAX);

  for (let l = 0; l < o.layers; l++) {
    // --- attention ---
    const a = normToU8(h);
    const wqkv = offsetWeights(`l${l}_wqkv`, D, 3 * D);
    const qkv = ops.toOffsetU8(ops.requantSigned(ops.matmul(a, wqkv, "uint8", 128, 128), qkvShift)); // [T, 3D]
    const heads = ops.transpose(ops.reshape(qkv, [T, 3, H, dh]), [1, 2, 0, 3]); // [3, H, T, dh]
    const pick = (i: number) => g.op("Gather", [heads, ops.scalar("int64", i)], { axis: 0 }); // [H, T, dh]
    const q = pick(0);
    const kT = ops.transpose(pick(1), [0, 2, 1]); // [H, dh, T]
    const v = pick(2);
    const scores = ops.matmul(q, kT, "uint8", 128, 128); // [H, T, T], raw scale
    const masked = ops.add(scores, mask); // [H, T, T]
    const rowMax = g.op("ReduceMax", [masked], { axes: [-1], keepdims: 1 }); // [H, T, 1]
    // Distance below the row maximum, clipped to the table: 0 = the maximum, last row = masked/far.
    const below = ops.clip(g.op("Sub", [rowMax, masked]), "int32", 0, EXP_ROWS - 1);
    const e = ops.lookup(expT, below); // uint8 [H, T, T]
    const rowSum = g.op("Max", [g.op("MatMulInteger", [e, onesT]), ops.scalar("int32", 1)]); // [H, T, 1] >= 1
    const weighted = ops.matmul(e, v, "uint8", 0, 128); // [H, T, dh] = sum_j e_j * v_j (signed v)
    const attn = ops.toOffsetU8(g.op("Div", [weighted, rowSum])); // softmax-weighted mean, in [-128, 127]
    const merged = ops.reshape(ops.transpose(attn, [1, 0, 2]), [T, D]);
    const wo = offsetWeights(`l${l}_wo`, D, D);
    // Residual: add the rescaled projection, then saturate once (no clip before the add).
    const proj = g.op("Div", [ops.matmul(merged, wo, "uint8", 128, 128), ops.scalar("int32", 2 ** qkvShift)]);
    h = ops.clip(ops.add(h, proj), "int32", -128, 127);

    // --- feed-forward with a GELU table ---
    const a2 = normToU8(h);
    const w1 = offsetWeights(`l${l}_w1`, D, F);
    const up = ops.requantSigned(ops.matmul(a2, w1, "uint8", 128, 128), ffShiftUp);
    const act = ops.lookup(geluT, up); // uint8 offset [T, F]; negative indices read rows v + 256
    const w2 = offsetWeights(`l${l}_w2`, F, D);
    const down = g.op("Div", [ops.matmul(act, w2, "uint8", 128, 128), ops.scalar("int32", 2 ** ffShiftDown)]);
    h = ops.clip(ops.add(h, down), "int32", -128, 127);
  }

  // A separate random head: with random weights, a head tied to the embedding mostly predicts the
  // last token again (x . e_x dominates), which makes the gibberish degenerate.
  const head = offsetWeights("lm_head", D, VOCAB);
  const logits = g.op(
    "MatMulInteger",
    [normToU8(h), head, ops.scalar("uint8", 128), ops.scalar("uint8", 128)],
    {},
    "logits",
  );
  g.output(logits, "int32", [T, VOCAB]);
  return g.build();
}
