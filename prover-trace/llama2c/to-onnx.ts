/**
 * llama2.c checkpoint -> float32 ONNX graph over a window of T tokens: input `tokens` int32 [T],
 * output `logits` float32 [T, vocab] (the logits of every position, causal, positions 0..T-1).
 * The forward pass is the README's (llama2.c `run.c`):
 *
 * - RMSNorm as ReduceMean(x*x) + eps, Sqrt, Div, times the weight;
 * - RoPE as `q*cos + swap(q)*sin` with [T, width] cos/sin tables (angle `pos / 10000^(j/head)`
 *   computed in float32 as run.c does) and `swap` a constant signed permutation matrix, so the
 *   rotation is plain Mul/Add/MatMul;
 * - grouped-query attention: kv heads are repeated with a Gather over the head axis, scores
 *   scaled by 1/sqrt(head), a constant causal mask (-1e9 above the diagonal) added, Softmax;
 * - SwiGLU FFN `w2 (silu(w1 h) * (w3 h))` with silu as x * Sigmoid(x);
 * - the classifier is the token embedding (tied) unless the checkpoint has its own.
 *
 * Opset 17, the profile's, so the float model and its imported integer model share one opset.
 * Values that matter for error reports are named (`l3_wq_out`, `l3_probs`, `l3_w2_out`...).
 */
import { GraphBuilder } from "../onnx/graph-builder.ts";
import type { IrModel } from "../onnx/ir.ts";
import type { Llama2cCheckpoint } from "./checkpoint.ts";

export const RMS_EPS = 1e-5;
/** Added to masked (future) attention scores; exp underflows to exactly 0 in float32. */
export const MASK_VALUE = -1e9;

/** [out][in] row-major -> [in][out] (ONNX MatMul's B). */
function transpose(w: Float32Array, out: number, inp: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i];
  return t;
}

/** cos and sin tables [T, width] for a q or k of `width` = heads * headSize (run.c's float32 math). */
export function ropeTables(
  T: number,
  width: number,
  headSize: number,
): { cos: Float32Array; sin: Float32Array } {
  const f = Math.fround;
  const cos = new Float32Array(T * width);
  const sin = new Float32Array(T * width);
  for (let pos = 0; pos < T; pos++)
    for (let i = 0; i < width; i += 2) {
      const j = i % headSize;
      const freq = f(1 / f(10000 ** f(j / headSize)));
      const angle = f(pos * freq);
      cos[pos * width + i] = cos[pos * width + i + 1] = Math.cos(angle);
      sin[pos * width + i] = sin[pos * width + i + 1] = Math.sin(angle);
    }
  return { cos, sin };
}

/** [width, width] matrix S with (q S)_i = -q_{i+1}, (q S)_{i+1} = q_i for each even i. */
export function ropeSwap(width: number): Float32Array {
  const s = new Float32Array(width * width);
  for (let i = 0; i < width; i += 2) {
    s[(i + 1) * width + i] = -1; // out i <- -q[i+1]
    s[i * width + i + 1] = 1; // out i+1 <- q[i]
  }
  return s;
}

export function llama2cToOnnx(ckpt: Llama2cCheckpoint, window: number): IrModel {
  const c = ckpt.config;
  const w = ckpt.weights;
  if (!Number.isInteger(window) || window < 1 || window > c.seqLen)
    throw new RangeError(`window ${window} outside [1, ${c.seqLen}] (the checkpoint's seq_len)`);
  const T = window;
  const { dim: D, hiddenDim: F, nHeads: H, nKvHeads: KV, headSize: hd, kvDim, vocabSize: V } = c;
  const g = new GraphBuilder("llama2c");
  const f32 = (shape: number[], v: ArrayLike<number>, name: string) => g.floatConstant(shape, v, name);
  const i64 = (v: number[], name: string) => g.constant("int64", [v.length], v, name);

  const eps = f32([], [RMS_EPS], "rms_eps");
  const rmsnorm = (x: string, weight: Float32Array, name: string): string => {
    const ms = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
    const n = g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, eps])])], {}, `${name}_normed`);
    return g.op("Mul", [n, f32([D], weight, name)], {}, `${name}_out`);
  };
  const linear = (x: string, wt: Float32Array, out: number, inp: number, name: string) =>
    g.op("MatMul", [x, f32([inp, out], transpose(wt, out, inp), name)], {}, `${name}_out`);

  const qRope = ropeTables(T, D, hd);
  const kRope = ropeTables(T, kvDim, hd);
  const qCos = f32([T, D], qRope.cos, "rope_q_cos");
  const qSin = f32([T, D], qRope.sin, "rope_q_sin");
  const kCos = f32([T, kvDim], kRope.cos, "rope_k_cos");
  const kSin = f32([T, kvDim], kRope.sin, "rope_k_sin");
  const qSwap = f32([D, D], ropeSwap(D), "rope_q_swap");
  const kSwap = f32([kvDim, kvDim], ropeSwap(kvDim), "rope_k_swap");
  const rope = (x: string, cos: string, sin: string, swap: string) =>
    g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [g.op("MatMul", [x, swap]), sin])], {}, `${x}_rope`);
  const mask = f32(
    [T, T],
    Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? MASK_VALUE : 0)),
    "causal_mask",
  );
  const scale = f32([], [1 / Math.sqrt(hd)], "score_scale");
  const kvRepeat = i64(
    Array.from({ length: H }, (_, h) => Math.floor(h / (H / KV))),
    "kv_head_of_head",
  );
  const qShape = i64([T, H, hd], "shape_q_heads");
  const kvShape = i64([T, KV, hd], "shape_kv_heads");
  const mergedShape = i64([T, D], "shape_merged");

  const tokens = g.input("tokens", "int32", [T]);
  let x = g.op("Gather", [f32([V, D], w.tokenEmbedding, "token_embedding"), tokens], { axis: 0 });
  for (let l = 0; l < c.nLayers; l++) {
    const h = rmsnorm(x, w.rmsAtt[l], `l${l}_rms_att`);
    const q = rope(linear(h, w.wq[l], D, D, `l${l}_wq`), qCos, qSin, qSwap);
    const k = rope(linear(h, w.wk[l], kvDim, D, `l${l}_wk`), kCos, kSin, kSwap);
    const v = linear(h, w.wv[l], kvDim, D, `l${l}_wv`);
    const qh = g.op("Transpose", [g.op("Reshape", [q, qShape])], { perm: [1, 0, 2] }); // [H, T, hd]
    const heads = (kv: string) =>
      g.op("Gather", [g.op("Transpose", [g.op("Reshape", [kv, kvShape])], { perm: [1, 0, 2] }), kvRepeat], {
        axis: 0,
      }); // [H, T, hd]
    const kT = g.op("Transpose", [heads(k)], { perm: [0, 2, 1] }); // [H, hd, T]
    const qk = g.op("MatMul", [qh, kT], {}, `l${l}_qk`);
    const scores = g.op("Add", [g.op("Mul", [qk, scale]), mask], {}, `l${l}_scores_masked`); // [H, T, T]
    const probs = g.op("Softmax", [scores], { axis: -1 }, `l${l}_probs`);
    const att = g.op("MatMul", [probs, heads(v)], {}, `l${l}_attention`); // [H, T, hd]
    const merged = g.op("Reshape", [g.op("Transpose", [att], { perm: [1, 0, 2] }), mergedShape]);
    x = g.op("Add", [x, linear(merged, w.wo[l], D, D, `l${l}_wo`)], {}, `l${l}_residual_att`);

    const h2 = rmsnorm(x, w.rmsFfn[l], `l${l}_rms_ffn`);
    const a = linear(h2, w.w1[l], F, D, `l${l}_w1`);
    const silu = g.op("Mul", [a, g.op("Sigmoid", [a])], {}, `l${l}_silu`);
    const gate = g.op("Mul", [silu, linear(h2, w.w3[l], F, D, `l${l}_w3`)], {}, `l${l}_swiglu`);
    x = g.op("Add", [x, linear(gate, w.w2[l], D, F, `l${l}_w2`)], {}, `l${l}_residual_ffn`);
  }
  const hf = rmsnorm(x, w.rmsFinal, "rms_final");
  const logits = g.op("MatMul", [hf, f32([D, V], transpose(w.classifier, V, D), "classifier")], {}, "logits");
  g.floatOutput(logits, [T, V]);
  return g.build();
}
