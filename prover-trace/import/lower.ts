/**
 * Float ONNX graph -> integer-profile graph (normative text: docs/import.md). Every float tensor
 * becomes a quantized tensor (QT, int-emit.ts) whose scale comes from calibration; each float
 * node, or fused pattern of nodes, is replaced by an exact integer recipe:
 *
 * - MatMul with a constant B: int8 weights, symmetric per output channel, A at up to 16 bits
 *   (two bytes), MatMulInteger into int32; a per-channel scale of A (an RMSNorm weight) is
 *   folded into the weights first;
 * - MatMul of two activations: both at up to 15 bits, two bytes each, four MatMulIntegers;
 * - Softmax feeding a MatMul (attention): integer softmax over the last axis: row max,
 *   distance, uint8 exp table, row sums and the weighted sum as MatMulInteger, one rounded
 *   integer division per output;
 * - Softmax on its own: the same exp table, probabilities at scale 1/32767;
 * - RMSNorm (x / Sqrt(ReduceMean(x*x) + eps)): sum of squares as MatMulInteger, rsqrt table,
 *   multiply and rounding shift; LayerNormalization: the same after an exact integer mean;
 * - x * Sigmoid(x) (SiLU), Sigmoid, Tanh, Exp, Relu, Erf, Gelu, HardSwish, HardSigmoid,
 *   LeakyRelu, Softplus: 4095-row tables over a 12-bit input;
 * - Gemm with constant B and C: a constant-weight MatMul and a per-channel int32 bias;
 * - Add/Sub: at a common scale (requantized when the operands' scales differ), Mul by a scalar
 *   or per-channel constant: folded into the scale; by a constant tensor (RoPE tables):
 *   quantized to 14 bits, integer Mul; Mul of two activations: integer Mul;
 * - Gather from a constant table (embedding): 16-bit values in an int32 table, per-column scales;
 * - Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Identity, Gather with constant indices:
 *   the same op on the integers.
 *
 * Anything else is reported, one line per node, and no model is produced.
 */
import { numel } from "../../protocol/dtype.ts";
import type { IrAttr, IrModel, IrNode, IrTensor } from "../onnx/ir.ts";
import {
  I32_SAFE,
  IntEmitter,
  isUniform,
  LoweringError,
  NARROW,
  type QT,
  scaleAt,
  WIDE,
} from "./int-emit.ts";

export interface TensorStats {
  /** Largest |value| over the calibration samples. */
  absmax: number;
  /** The magnitude the integer form's scale maps to its bound (absmax, or a percentile). */
  range: number;
  shape: number[];
}

export type Calibration = ReadonlyMap<string, TensorStats>;

/** Calibration key of the centred form (x - mean over the last axis) of a LayerNormalization input. */
export const centredKey = (x: string): string => `${x}#centred`;

export interface LoweredOutput {
  name: string;
  /** real logits ~= integer output * scale */
  scale: number;
}

/** A float graph input (an image) becomes an int32 input: round(x / scale), |q| <= bound. */
export interface LoweredInput {
  name: string;
  scale: number;
  bound: number;
}

export type LowerResult =
  | {
      ok: true;
      model: IrModel;
      inputs: LoweredInput[];
      outputs: LoweredOutput[];
      quantized: Map<string, QT>;
    }
  | { ok: false; errors: string[] };

const FLOAT = 1;
const TABLE_BITS = 2047;
/** exp table rows per ln(2 * eMax) nats (beyond that the weights round to 0). */
const EXP_RESOLUTION = 4096;
const RSQRT_ROWS = 16384;
const CONST_TENSOR_BOUND = 16383;

/** erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7, far below a 12-bit table's step). */
export function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function floatAttr(n: IrNode, key: string, dflt: number): number {
  const a = n.attrs[key];
  return a?.type === "float" ? a.value : dflt;
}

/** Element-wise functions lowered to a table, given the node (for its attributes). */
const UNARY: Record<string, (n: IrNode) => (x: number) => number> = {
  Sigmoid: () => sigmoid,
  Tanh: () => Math.tanh,
  Exp: () => Math.exp,
  Relu: () => (x) => Math.max(0, x),
  Erf: () => erf,
  Softplus: () => (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  HardSwish: () => (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  HardSigmoid: (n) => {
    const alpha = floatAttr(n, "alpha", 0.2);
    const beta = floatAttr(n, "beta", 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  },
  LeakyRelu: (n) => {
    const alpha = floatAttr(n, "alpha", 0.01);
    return (x) => (x >= 0 ? x : alpha * x);
  },
  Gelu: (n) =>
    n.attrs.approximate?.type === "string" && n.attrs.approximate.value === "tanh"
      ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))
      : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};

function intsAttr(n: IrNode, key: string): number[] | null {
  const a = n.attrs[key];
  if (!a) return null;
  if (a.type === "ints") return a.value.map(Number);
  if (a.type === "int") return [Number(a.value)];
  return null;
}

function intAttr(n: IrNode, key: string, dflt: number): number {
  const a = n.attrs[key];
  return a?.type === "int" ? Number(a.value) : dflt;
}

export function lowerToInteger(model: IrModel, calib: Calibration, name = "imported"): LowerResult {
  const g = model.graph;
  const inits = new Map<string, IrTensor>(g.initializers.map((t) => [t.name, t]));
  const producer = new Map<string, IrNode>();
  const consumers = new Map<string, IrNode[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const usedOnlyBy = (value: string, node: IrNode) =>
    !graphOutputs.has(value) && (consumers.get(value) ?? []).every((c) => c === node);
  const producedBy = (value: string, op: string): IrNode | null => {
    const p = producer.get(value);
    return p && p.opType === op ? p : null;
  };
  const floatConst = (v: string): IrTensor | null => {
    const t = inits.get(v);
    return t && t.dtype === FLOAT && t.floatData ? t : null;
  };
  const intConst = (v: string): IrTensor | null => {
    const t = inits.get(v);
    return t?.data ? t : null;
  };

  // ---- pattern matching: fused groups, rooted at their last node ----
  const absorbed = new Set<IrNode>();
  const rmsRoots = new Map<IrNode, { x: string; eps: number }>();
  const siluRoots = new Map<IrNode, { x: string; beta: number }>();
  const hardSwishRoots = new Map<IrNode, { x: string; f: (v: number) => number }>();
  const lnRoots = new Map<IrNode, { x: string; centred: string; eps: number }>();
  const bnOfConv = new Map<IrNode, IrNode>();
  /** Clip's bounds: attributes up to opset 10, constant inputs from 11 (absent = unbounded). */
  const clipBounds = (c: IrNode): { lo: number; hi: number } | null => {
    if (c.inputs.length <= 1)
      return {
        lo: floatAttr(c, "min", Number.NEGATIVE_INFINITY),
        hi: floatAttr(c, "max", Number.POSITIVE_INFINITY),
      };
    const lo = c.inputs[1] ? floatConst(c.inputs[1])?.floatData : undefined;
    const hi = c.inputs[2] ? floatConst(c.inputs[2])?.floatData : undefined;
    if ((c.inputs[1] && lo?.length !== 1) || (c.inputs[2] && hi?.length !== 1)) return null;
    return { lo: lo ? lo[0] : Number.NEGATIVE_INFINITY, hi: hi ? hi[0] : Number.POSITIVE_INFINITY };
  };
  const softmaxRoots = new Map<IrNode, { scores: string; v: string }>();
  for (const n of g.nodes) {
    if (n.opType === "Div" && n.inputs.length === 2) {
      const [x, r] = n.inputs;
      const sqrt = producedBy(r, "Sqrt");
      const add = sqrt && usedOnlyBy(r, n) ? producedBy(sqrt.inputs[0], "Add") : null;
      if (sqrt && add && usedOnlyBy(sqrt.inputs[0], sqrt)) {
        const epsIdx = add.inputs.findIndex((i) => floatConst(i)?.floatData?.length === 1);
        const mean = epsIdx >= 0 ? producedBy(add.inputs[1 - epsIdx], "ReduceMean") : null;
        if (mean && usedOnlyBy(mean.outputs[0], add)) {
          const sq = producedBy(mean.inputs[0], "Mul");
          // opset <= 17: axes attribute; opset 18+: a constant second input.
          const axesInput = mean.inputs[1] ? intConst(mean.inputs[1]) : null;
          const axes =
            intsAttr(mean, "axes") ?? (axesInput ? Array.from(axesInput.data ?? [], Number) : null);
          const rank = calib.get(x)?.shape.length ?? -1;
          const lastAxis = axes?.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
          if (
            sq &&
            sq.inputs[0] === x &&
            sq.inputs[1] === x &&
            usedOnlyBy(sq.outputs[0], mean) &&
            lastAxis &&
            intAttr(mean, "keepdims", 1) === 1
          ) {
            rmsRoots.set(n, { x, eps: (floatConst(add.inputs[epsIdx])?.floatData ?? [0])[0] });
            for (const a of [sq, mean, add, sqrt]) absorbed.add(a);
          }
        }
      }
    }
    if (n.opType === "Mul" && n.inputs.length === 2) {
      for (const k of [0, 1]) {
        const x = n.inputs[1 - k];
        const sig = producedBy(n.inputs[k], "Sigmoid");
        if (sig && sig.inputs[0] === x && usedOnlyBy(n.inputs[k], n)) {
          siluRoots.set(n, { x, beta: 1 });
          absorbed.add(sig);
          break;
        }
        // Swish with a constant: x * Sigmoid(beta * x) (Paddle's export of swish).
        const inner = sig && usedOnlyBy(n.inputs[k], n) ? producedBy(sig.inputs[0], "Mul") : null;
        const betaIdx = inner ? inner.inputs.findIndex((i) => floatConst(i)?.floatData?.length === 1) : -1;
        if (
          inner &&
          sig &&
          betaIdx >= 0 &&
          inner.inputs[1 - betaIdx] === x &&
          usedOnlyBy(sig.inputs[0], sig)
        ) {
          siluRoots.set(n, { x, beta: (floatConst(inner.inputs[betaIdx])?.floatData ?? [1])[0] });
          absorbed.add(sig);
          absorbed.add(inner);
          break;
        }
        // HardSwish as x * Clip(x + c, lo, hi) (its / 6 is a scale): one table over x.
        const clip = producedBy(n.inputs[k], "Clip");
        const shift = clip && usedOnlyBy(n.inputs[k], n) ? producedBy(clip.inputs[0], "Add") : null;
        const cIdx = shift ? shift.inputs.findIndex((i) => floatConst(i)?.floatData?.length === 1) : -1;
        const bounds = clip ? clipBounds(clip) : null;
        if (
          clip &&
          shift &&
          bounds &&
          cIdx >= 0 &&
          shift.inputs[1 - cIdx] === x &&
          usedOnlyBy(clip.inputs[0], clip)
        ) {
          const c = (floatConst(shift.inputs[cIdx])?.floatData ?? [0])[0];
          hardSwishRoots.set(n, { x, f: (v) => v * Math.min(bounds.hi, Math.max(bounds.lo, v + c)) });
          absorbed.add(clip);
          absorbed.add(shift);
          break;
        }
      }
    }
    // LayerNorm exported op by op: c = x - ReduceMean(x); c / Sqrt(ReduceMean(c^2) + eps).
    if (n.opType === "Div" && n.inputs.length === 2) {
      const [c, r] = n.inputs;
      const sub = producedBy(c, "Sub");
      const sqrt = producedBy(r, "Sqrt");
      const add = sqrt && usedOnlyBy(r, n) ? producedBy(sqrt.inputs[0], "Add") : null;
      const epsIdx = add ? add.inputs.findIndex((i) => floatConst(i)?.floatData?.length === 1) : -1;
      const var_ = add && epsIdx >= 0 ? producedBy(add.inputs[1 - epsIdx], "ReduceMean") : null;
      const pow = var_ ? producedBy(var_.inputs[0], "Pow") : null;
      const two = pow ? floatConst(pow.inputs[1])?.floatData : null;
      const mean = sub ? producedBy(sub.inputs[1], "ReduceMean") : null;
      const lastAxisMean = (m: IrNode) => {
        const axes =
          intsAttr(m, "axes") ?? (m.inputs[1] ? Array.from(intConst(m.inputs[1])?.data ?? [], Number) : null);
        const rank = calib.get(m.inputs[0])?.shape.length ?? -1;
        return (
          axes?.length === 1 && (axes[0] === -1 || axes[0] === rank - 1) && intAttr(m, "keepdims", 1) === 1
        );
      };
      if (
        sub &&
        add &&
        sqrt &&
        var_ &&
        pow &&
        mean &&
        two?.length === 1 &&
        two[0] === 2 &&
        pow.inputs[0] === c &&
        mean.inputs[0] === sub.inputs[0] &&
        lastAxisMean(mean) &&
        lastAxisMean(var_) &&
        usedOnlyBy(sub.inputs[1], sub) &&
        usedOnlyBy(sqrt.inputs[0], sqrt) &&
        usedOnlyBy(add.inputs[1 - epsIdx], add) &&
        usedOnlyBy(pow.outputs[0], var_) &&
        !graphOutputs.has(c) &&
        (consumers.get(c) ?? []).every((u) => u === pow || u === n)
      ) {
        lnRoots.set(n, {
          x: sub.inputs[0],
          centred: c,
          eps: (floatConst(add.inputs[epsIdx])?.floatData ?? [0])[0],
        });
        for (const a of [sub, mean, pow, var_, add, sqrt]) absorbed.add(a);
      }
    }
    // Conv followed only by BatchNormalization (inference form): folded into the weights.
    if (n.opType === "BatchNormalization") {
      const conv = producedBy(n.inputs[0], "Conv");
      if (conv && usedOnlyBy(n.inputs[0], n) && n.inputs.slice(1, 5).every((i) => floatConst(i))) {
        bnOfConv.set(conv, n);
        absorbed.add(n);
      }
    }
    if (n.opType === "MatMul") {
      const sm = producedBy(n.inputs[0], "Softmax");
      if (sm && usedOnlyBy(n.inputs[0], n)) {
        const rank = calib.get(sm.inputs[0])?.shape.length ?? -1;
        const axis = intAttr(sm, "axis", -1);
        if (axis === -1 || axis === rank - 1) {
          softmaxRoots.set(n, { scores: sm.inputs[0], v: n.inputs[1] });
          absorbed.add(sm);
        }
      }
    }
  }

  const e = new IntEmitter(name);
  // A float weight used by several MatMuls (a shared RoPE swap matrix) is quantized once per use
  // (the folded input scale differs), each copy under its own name.
  const usedNames = new Set<string>();
  const uniqueName = (base: string): string => {
    let n = base;
    for (let i = 1; usedNames.has(n); i++) n = `${base}_${i}`;
    usedNames.add(n);
    return n;
  };
  const q = new Map<string, QT>();
  const errors: string[] = [];
  const loweredInputs: LoweredInput[] = [];
  const stats = (v: string): TensorStats => {
    const s = calib.get(v);
    if (!s) throw new LoweringError(`no calibration statistics for '${v}'`);
    return s;
  };
  const scaleFor = (v: string, bound: number) => {
    const a = stats(v).range;
    return a > 0 ? a / bound : 1;
  };
  const get = (v: string): QT => {
    const t = q.get(v);
    if (!t) throw new LoweringError(`input '${v}' has no integer form (unsupported producer)`);
    return t;
  };
  /** `v` with |q| <= maxBound and, when `scalar`, one scale (requantized at its calibrated range). */
  const fit = (v: string, maxBound: number, scalar = true): QT => {
    const t = get(v);
    if (t.bound <= maxBound && (!scalar || typeof t.scale === "number")) return t;
    if (t.bound <= maxBound && isUniform(t.scale)) return { ...t, scale: scaleAt(t.scale, 0) };
    const b = Math.min(maxBound, WIDE);
    return e.requant(t, scaleFor(v, b), b);
  };
  const narrowCache = new Map<string, QT>();
  const narrow = (v: string): QT => {
    let t = narrowCache.get(v);
    if (!t) {
      t = fit(v, NARROW);
      narrowCache.set(v, t);
    }
    return t;
  };
  const shapeOf = (v: string): number[] => {
    const t = inits.get(v);
    if (t) return t.shape;
    const i = g.inputs.find((x) => x.name === v);
    if (i?.shape?.every((d) => typeof d === "number")) return i.shape as number[];
    return stats(v).shape;
  };
  const lastDimScale = (s: number | Float64Array, c: number) => scaleAt(s, c);

  // ---- graph inputs ----
  for (const i of g.inputs) {
    if (inits.has(i.name)) continue;
    if (i.dtype === FLOAT) {
      // The input quantizer: the caller feeds round(x / scale) at 8 bits of the calibrated range
      // (an image normalised to [-1, 1] loses nothing a camera's 8-bit pixel had).
      const st = calib.get(i.name);
      if (!st?.shape.every((d) => Number.isInteger(d) && d >= 1)) {
        errors.push(`graph input '${i.name}' float: no calibrated static shape`);
        continue;
      }
      const scale = st.range > 0 ? st.range / NARROW : 1;
      e.g.input(i.name, "int32", st.shape);
      // The declared range (committed in the model id) lets the validator bound everything
      // downstream; a caller feeding more is refused at run time.
      e.g.inputRange(i.name, -NARROW, NARROW);
      q.set(i.name, { name: i.name, scale, bound: NARROW, shape: st.shape });
      loweredInputs.push({ name: i.name, scale, bound: NARROW });
      continue;
    }
    if (i.dtype !== 6 && i.dtype !== 7) {
      errors.push(`graph input '${i.name}': dtype ${i.dtype} not supported (int32 or int64 token ids)`);
      continue;
    }
    if (!i.shape?.every((d) => typeof d === "number" && d >= 1)) {
      errors.push(`graph input '${i.name}': needs a static shape`);
      continue;
    }
    e.g.input(i.name, i.dtype === 6 ? "int32" : "int64", i.shape as number[]);
  }
  const rawInputs = new Set(g.inputs.map((i) => i.name));

  /** The integer form of node `n`'s output (its shape is filled in by the caller). */
  const lowerNode = (n: IrNode): QT => {
    const out = n.outputs[0];
    const [a, b] = n.inputs;
    switch (n.opType) {
      case "Gather": {
        const table = floatConst(a);
        if (table && rawInputs.has(b)) {
          if (intAttr(n, "axis", 0) !== 0 || table.shape.length !== 2)
            throw new LoweringError("only an axis-0 Gather from a 2-D table (an embedding) is supported");
          const [rows, cols] = table.shape;
          const t = table.floatData as Float32Array;
          const s = new Float64Array(cols);
          for (let r = 0; r < rows; r++)
            for (let c = 0; c < cols; c++) s[c] = Math.max(s[c], Math.abs(t[r * cols + c]));
          // 16-bit values (int32 storage): the rows feed a 16-bit residual stream or a norm, and
          // an int8 table's error (1/254 of a column's range) shows up in every later layer.
          for (let c = 0; c < cols; c++) s[c] = s[c] > 0 ? s[c] / WIDE : 1;
          const tq = Array.from(t, (v, i) => Math.round(v / s[i % cols]));
          const tableName = e.g.constant("int32", table.shape, tq, uniqueName(`${table.name}_q`));
          // Token ids outside the table are clipped (the float model would fault on them).
          const isI64 = g.inputs.find((x) => x.name === b)?.dtype === 7;
          const idx = e.ops.clip(isI64 ? e.ops.cast(b, "int32") : b, "int32", 0, rows - 1);
          const rowsQ = e.g.op("Gather", [tableName, idx], { axis: 0 });
          return { name: rowsQ, scale: s, bound: WIDE, shape: [] };
        }
        const idx = intConst(b);
        if (!floatConst(a) && idx) {
          const x = fit(a, get(a).bound);
          const idxName = e.g.constant(
            idx.dtype === 7 ? "int64" : "int32",
            idx.shape,
            idx.data as BigInt64Array,
          );
          return { ...x, name: e.g.op("Gather", [x.name, idxName], { axis: intAttr(n, "axis", 0) }) };
        }
        throw new LoweringError(
          "Gather needs a constant table with graph-input indices, or constant indices",
        );
      }
      case "Reshape":
      case "Squeeze":
      case "Unsqueeze":
      case "Flatten": {
        // All four only change the shape: a Reshape to the calibrated (static) output shape,
        // whatever computed the target (a Shape/Slice/Concat chain, an axes attribute or input).
        const x = fit(a, get(a).bound);
        const target = stats(out).shape;
        return { ...x, name: e.ops.reshape(x.name, target) };
      }
      case "Slice":
        return slice(n);
      case "Conv":
        return conv(n);
      case "GlobalAveragePool":
        return globalAveragePool(a);
      case "AveragePool":
        return averagePool(n);
      case "Clip": {
        const bounds = clipBounds(n);
        if (!bounds) throw new LoweringError("Clip bounds must be constant scalars");
        const x = fit(a, get(a).bound);
        const s = x.scale as number;
        const lo = Math.max(-x.bound, Math.ceil(bounds.lo / s - 0.5));
        const hi = Math.min(x.bound, Math.floor(bounds.hi / s + 0.5));
        return {
          ...x,
          name: e.ops.clip(x.name, "int32", lo, hi),
          bound: Math.max(Math.abs(lo), Math.abs(hi)),
        };
      }
      case "Concat": {
        // Every part at one scale: 16 bits of the concatenation's calibrated range.
        const sOut = scaleFor(out, WIDE);
        const parts = n.inputs.map((v) => e.requant(fit(v, get(v).bound), sOut, WIDE));
        return {
          name: e.g.op(
            "Concat",
            parts.map((p) => p.name),
            { axis: intAttr(n, "axis", 0) },
          ),
          scale: sOut,
          bound: WIDE,
          shape: [],
        };
      }
      case "BatchNormalization":
        throw new LoweringError("BatchNormalization is supported only right after a Conv (folded into it)");
      case "Transpose":
      case "Identity": {
        const x = fit(a, get(a).bound);
        return { ...x, name: e.g.op(n.opType, [x.name], { ...n.attrs }) };
      }
      case "MatMul": {
        const sm = softmaxRoots.get(n);
        if (sm) return softmaxAttention(sm.scores, sm.v);
        const w = floatConst(b);
        if (w) return linear(a, w);
        if (floatConst(a)) throw new LoweringError("MatMul with a constant A is not supported");
        return activationMatMul(a, b);
      }
      case "Div": {
        const rms = rmsRoots.get(n);
        if (rms) return rmsNorm(rms.x, rms.eps, out);
        const ln = lnRoots.get(n);
        if (ln) return normalise(ln.x, ln.eps, scaleFor(ln.centred, NARROW));
        const c = floatConst(b);
        if (c && c.floatData?.length === 1 && c.floatData[0] !== 0) return scaled(get(a), 1 / c.floatData[0]);
        throw new LoweringError("Div is supported only inside RMSNorm or by a non-zero constant scalar");
      }
      case "Mul": {
        const silu = siluRoots.get(n);
        if (silu) return table(silu.x, out, (x) => x / (1 + Math.exp(-silu.beta * x)));
        const hs = hardSwishRoots.get(n);
        if (hs) return table(hs.x, out, hs.f);
        for (const k of [0, 1]) {
          const c = floatConst(n.inputs[k]);
          if (c) return mulConst(n.inputs[1 - k], c);
        }
        const A = fit(a, TABLE_BITS, false);
        const B = fit(b, TABLE_BITS, false);
        const sa = A.scale;
        const sb = B.scale;
        if (typeof sa !== "number" && typeof sb !== "number" && sa.length !== sb.length)
          throw new LoweringError("Mul of two per-channel tensors of different widths");
        const scale =
          typeof sa === "number" && typeof sb === "number"
            ? sa * sb
            : Float64Array.from(
                { length: typeof sa === "number" ? (sb as Float64Array).length : sa.length },
                (_, c) => scaleAt(sa, c) * scaleAt(sb, c),
              );
        return { name: e.g.op("Mul", [A.name, B.name]), scale, bound: A.bound * B.bound, shape: [] };
      }
      case "Add":
      case "Sub": {
        const neg = n.opType === "Sub";
        for (const k of [0, 1]) {
          const c = floatConst(n.inputs[k]);
          if (c) {
            if (neg && k === 0) throw new LoweringError("Sub from a constant is not supported");
            return addConst(n.inputs[1 - k], c, neg ? -1 : 1);
          }
        }
        return addAct(a, b, out, neg);
      }
      case "Softmax":
        return softmax(n);
      case "LayerNormalization":
        return layerNorm(n);
      case "Neg":
        return scaled(get(a), -1);
      case "Gemm":
        return gemm(n);
      default:
        if (UNARY[n.opType]) return table(a, out, UNARY[n.opType](n));
        throw new LoweringError(`${n.opType} is not supported by the importer`);
    }
  };

  /** Slice with constant starts/ends/axes/steps (attributes up to opset 9, inputs from 10). */
  const slice = (n: IrNode): QT => {
    const x = fit(n.inputs[0], get(n.inputs[0]).bound);
    const rank = shapeOf(n.inputs[0]).length;
    const arr = (i: number, key: string): number[] | null => {
      if (n.inputs.length > 1) {
        const v = n.inputs[i];
        if (!v) return null;
        const c = intConst(v);
        if (!c) throw new LoweringError(`Slice needs a constant '${v}'`);
        return Array.from(c.data ?? [], Number);
      }
      return intsAttr(n, key);
    };
    const starts = arr(1, "starts");
    const ends = arr(2, "ends");
    if (!starts || !ends) throw new LoweringError("Slice needs starts and ends");
    const axes = arr(3, "axes") ?? starts.map((_, i) => i);
    const steps = arr(4, "steps") ?? starts.map(() => 1);
    const c64 = (v: number[]) =>
      e.g.constant(
        "int64",
        [v.length],
        v.map((k) => BigInt(Math.max(-(2 ** 62), Math.min(2 ** 62, k)))),
      );
    const name = e.g.op("Slice", [
      x.name,
      c64(starts),
      c64(ends),
      c64(axes.map((k) => (k < 0 ? k + rank : k))),
      c64(steps),
    ]);
    return { ...x, name };
  };

  /**
   * Conv with constant weights (and bias), a following BatchNormalization folded in: x at 8
   * bits in offset binary, weights int8 symmetric per output channel in offset binary, one
   * ConvInteger (padding reads the zero point, i.e. real 0), the bias added as int32 at each
   * channel's accumulator scale, then requantized per channel to one 16-bit scale.
   */
  const conv = (n: IrNode): QT => {
    const [xName, wName, bName] = n.inputs;
    const w = floatConst(wName);
    if (w?.shape.length !== 4) throw new LoweringError("Conv needs constant 4-D (2-D image) weights");
    const [M, Cg, kh, kw] = w.shape;
    const wf = Float64Array.from(w.floatData as Float32Array);
    const bias = new Float64Array(M);
    if (bName) {
      const b = floatConst(bName);
      if (b?.floatData?.length !== M)
        throw new LoweringError("Conv needs a constant bias of one value per output channel");
      bias.set(b.floatData);
    }
    const bn = bnOfConv.get(n);
    let out = n.outputs[0];
    if (bn) {
      const [gamma, beta, mean, variance] = bn.inputs
        .slice(1, 5)
        .map((v) => floatConst(v)?.floatData as Float32Array);
      const eps = floatAttr(bn, "epsilon", 1e-5);
      const per = M * Cg * kh * kw;
      for (let m = 0; m < M; m++) {
        const k = gamma[m] / Math.sqrt(variance[m] + eps);
        for (let i = 0; i < per / M; i++) wf[m * (per / M) + i] *= k;
        bias[m] = (bias[m] - mean[m]) * k + beta[m];
      }
      out = bn.outputs[0];
    }
    const auto = n.attrs.auto_pad?.type === "string" ? n.attrs.auto_pad.value : "NOTSET";
    if (auto !== "NOTSET")
      throw new LoweringError(`Conv auto_pad ${auto} is not supported (explicit pads only)`);
    const per = Cg * kh * kw;
    // x at up to 16 bits when the accumulator allows it (as for MatMul): above 8 bits it enters
    // as two bytes, two ConvIntegers. 8-bit conv inputs cost a few characters of OCR text.
    const X = fit(xName, Math.max(NARROW, Math.min(WIDE, Math.floor(I32_SAFE / (NARROW * per * 2)))));
    const sx = X.scale as number;
    const sw = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let mx = 0;
      for (let i = 0; i < per; i++) mx = Math.max(mx, Math.abs(wf[m * per + i]));
      // A channel whose weights are tiny next to its bias (a dead channel a BatchNorm shifted)
      // gets coarser weights: its bias stays within the largest accumulator any channel can
      // reach (127 * 127 * terms), so that one channel does not force a coarse requantization
      // on all. The weights it loses are below 1/(127 * 127 * terms) of its bias.
      sw[m] = Math.max(mx > 0 ? mx / NARROW : 1 / NARROW, Math.abs(bias[m]) / (sx * NARROW * NARROW * per));
    }
    const wq = Array.from(wf, (v, i) => Math.round(v / sw[Math.floor(i / per)]));
    let accBound = 0;
    for (let m = 0; m < M; m++) {
      let t = 0;
      for (let i = 0; i < per; i++) t += Math.abs(wq[m * per + i]);
      accBound = Math.max(accBound, t * X.bound);
    }
    const accScale = Float64Array.from(sw, (v) => v * sx);
    const bq = Array.from(bias, (v, m) => Math.round(v / accScale[m]));
    const bBound = Math.max(...bq.map(Math.abs));
    if (accBound + bBound >= I32_SAFE) throw new LoweringError(`Conv over ${per} terms may overflow int32`);
    const wU8 = e.g.constant(
      "uint8",
      w.shape,
      wq.map((v) => v + 128),
      uniqueName(`${w.name}_q`),
    );
    const u128 = e.ops.scalar("uint8", 128);
    const attrs: Record<string, IrAttr> = {};
    for (const k of ["dilations", "group", "kernel_shape", "pads", "strides"])
      if (n.attrs[k]) attrs[k] = n.attrs[k];
    let acc: string;
    if (X.bound <= NARROW) acc = e.g.op("ConvInteger", [e.toOffsetU8(X), wU8, u128, u128], attrs);
    else {
      // x = 256 hi + lo; padding reads each part's zero point, i.e. a real 0 for both.
      const { hi, lo } = splitBytes(X);
      acc = e.g.op("Add", [
        e.g.op("Mul", [e.g.op("ConvInteger", [hi, wU8, u128, u128], attrs), e.i32(256)]),
        e.g.op("ConvInteger", [lo, wU8, e.ops.scalar("uint8", 0), u128], attrs),
      ]);
    }
    const withBias = e.g.op("Add", [acc, e.g.constant("int32", [M, 1, 1], bq)]);
    return {
      ...e.requant(
        { name: withBias, scale: accScale, bound: accBound + bBound, shape: [] },
        scaleFor(out, WIDE),
        WIDE,
        [M, 1, 1],
      ),
      shape: [],
    };
  };

  /**
   * Sums over the last axis of x viewed as [rows, K], exactly, as MatMulInteger against a ones
   * vector (x as two bytes when wider than 8 bits): [rows, 1] int32.
   */
  const rowSums = (x: QT, rows: number, K: number): { name: string; bound: number } => {
    const ones = e.g.constant("uint8", [K, 1], new Array(K).fill(1));
    const u0 = e.ops.scalar("uint8", 0);
    if (x.bound * K >= I32_SAFE) throw new LoweringError(`a sum of ${K} terms may overflow int32`);
    if (x.bound <= NARROW)
      return {
        name: e.g.op("MatMulInteger", [
          e.ops.reshape(e.toOffsetU8(x), [rows, K]),
          ones,
          e.ops.scalar("uint8", 128),
          u0,
        ]),
        bound: x.bound * K,
      };
    const { hi, lo } = splitBytes(x);
    return {
      name: e.g.op("Add", [
        e.g.op("Mul", [
          e.g.op("MatMulInteger", [e.ops.reshape(hi, [rows, K]), ones, e.ops.scalar("uint8", 128), u0]),
          e.i32(256),
        ]),
        e.g.op("MatMulInteger", [e.ops.reshape(lo, [rows, K]), ones, u0, u0]),
      ]),
      bound: x.bound * K,
    };
  };

  /** GlobalAveragePool over H x W: the exact sum, and the division folded into the scale. */
  const globalAveragePool = (xName: string): QT => {
    const shape = shapeOf(xName);
    const [N, C] = shape;
    const K = numel(shape) / (N * C);
    const x = fit(xName, WIDE);
    const s = rowSums(x, N * C, K);
    return {
      name: e.ops.reshape(s.name, [N, C, ...shape.slice(2).map(() => 1)]),
      scale: (x.scale as number) / K,
      bound: s.bound,
      shape: [],
    };
  };

  /**
   * AveragePool with non-overlapping windows that tile the input (kernel = strides, no pads):
   * the windows brought to the last axis by a Reshape and a Transpose, summed exactly, the
   * division folded into the scale.
   */
  const averagePool = (n: IrNode): QT => {
    const shape = shapeOf(n.inputs[0]);
    const k = intsAttr(n, "kernel_shape") ?? [];
    const st = intsAttr(n, "strides") ?? k.map(() => 1);
    const pads = intsAttr(n, "pads") ?? k.map(() => 0);
    if (
      shape.length !== 4 ||
      k.length !== 2 ||
      st.some((v, i) => v !== k[i]) ||
      pads.some((v) => v !== 0) ||
      shape[2] % k[0] !== 0 ||
      shape[3] % k[1] !== 0
    )
      throw new LoweringError(
        "AveragePool is supported for 2-D windows that tile the input (kernel = strides, no pads)",
      );
    const [N, C, H, W] = shape;
    const [oh, ow] = [H / k[0], W / k[1]];
    const x = fit(n.inputs[0], WIDE);
    const win = e.g.op("Transpose", [e.ops.reshape(x.name, [N, C, oh, k[0], ow, k[1]])], {
      perm: [0, 1, 2, 4, 3, 5],
    });
    const s = rowSums({ ...x, name: win }, N * C * oh * ow, k[0] * k[1]);
    return {
      name: e.ops.reshape(s.name, [N, C, oh, ow]),
      scale: (x.scale as number) / (k[0] * k[1]),
      bound: s.bound,
      shape: [],
    };
  };

  /** A QT whose real value is multiplied by the real constant c (no integer op). */
  const scaled = (x: QT, c: number): QT => ({
    ...x,
    scale: typeof x.scale === "number" ? x.scale * c : x.scale.map((s) => s * c),
  });

  const linear = (a: string, w: IrTensor): QT => {
    if (w.shape.length !== 2) throw new LoweringError("MatMul with a constant B needs a 2-D B");
    return linearOf(a, w.floatData as Float32Array, w.shape[0], w.shape[1], w.name);
  };

  /** Gemm(A, B, C): alpha * A B' + beta * C with constant B and C; transA = 0, 2-D A. */
  const gemm = (n: IrNode): QT => {
    const [a, b, c] = n.inputs;
    const w = floatConst(b);
    if (w?.shape.length !== 2) throw new LoweringError("Gemm needs a constant 2-D B");
    if (intAttr(n, "transA", 0) !== 0) throw new LoweringError("Gemm with transA = 1 is not supported");
    if (shapeOf(a).length !== 2) throw new LoweringError("Gemm needs a 2-D A");
    const alpha = floatAttr(n, "alpha", 1);
    const beta = floatAttr(n, "beta", 1);
    const transB = intAttr(n, "transB", 0) === 1;
    const [r, cols] = w.shape;
    const [K, N] = transB ? [cols, r] : [r, cols];
    const wf = w.floatData as Float32Array;
    const kn = new Float32Array(K * N);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < N; j++) kn[k * N + j] = alpha * (transB ? wf[j * K + k] : wf[k * N + j]);
    const acc = linearOf(a, kn, K, N, w.name);
    if (!c || beta === 0) return acc;
    const bias = floatConst(c);
    if (!bias) throw new LoweringError("Gemm needs a constant C");
    return addConstTo(acc, bias.floatData as Float32Array, bias.shape, beta, N);
  };

  const linearOf = (a: string, wf: Float32Array, K: number, N: number, wName0: string): QT => {
    // A at up to 16 bits when the accumulator allows it (bound * 127 * K < 2^30): above 8 bits
    // it enters MatMulInteger as two bytes (see below).
    const wideA = Math.min(WIDE, Math.floor(I32_SAFE / (NARROW * K * 2)));
    const A = fit(a, Math.max(NARROW, wideA), false);
    // Fold A's per-channel (per-k) scale into the weights, then quantize per output column.
    const sw = new Float64Array(N);
    const folded = new Float64Array(K * N);
    for (let k = 0; k < K; k++)
      for (let j = 0; j < N; j++) {
        const v = wf[k * N + j] * scaleAt(A.scale, k);
        folded[k * N + j] = v;
        sw[j] = Math.max(sw[j], Math.abs(v));
      }
    for (let j = 0; j < N; j++) sw[j] = sw[j] > 0 ? sw[j] / NARROW : 1;
    const wq = Array.from(folded, (v, i) => Math.round(v / sw[i % N]));
    let bound = 0;
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(wq[k * N + j]);
      bound = Math.max(bound, s * A.bound);
    }
    if (bound >= I32_SAFE) throw new LoweringError(`MatMul over ${K} terms may overflow int32`);
    // Both operands in offset binary (v + 128, zero point 128): the same signed products, and
    // ORT's uint8 x uint8 kernels are several times faster than int8 x int8 (docs/profile.md).
    const wName = e.g.constant(
      "uint8",
      [K, N],
      wq.map((v) => v + 128),
      uniqueName(`${wName0}_q`),
    );
    const u128 = e.ops.scalar("uint8", 128);
    if (A.bound <= NARROW) {
      const name = e.g.op("MatMulInteger", [e.toOffsetU8(A), wName, u128, u128]);
      return { name, scale: isUniform(sw) ? sw[0] : sw, bound, shape: [] };
    }
    // a = 256 hi + lo: hi signed (offset binary, zero point 128), lo in [0, 255] (zero point 0).
    const { hi, lo } = splitBytes(A);
    const name = e.g.op("Add", [
      e.g.op("Mul", [e.g.op("MatMulInteger", [hi, wName, u128, u128]), e.i32(256)]),
      e.g.op("MatMulInteger", [lo, wName, e.ops.scalar("uint8", 0), u128]),
    ]);
    return { name, scale: isUniform(sw) ? sw[0] : sw, bound, shape: [] };
  };

  const mulConst = (x: string, c: IrTensor): QT => {
    const cf = c.floatData as Float32Array;
    const xShape = shapeOf(x);
    const C = xShape.at(-1) as number;
    if (cf.length === 1) {
      if (cf[0] === 0) throw new LoweringError("Mul by the constant 0");
      return scaled(get(x), cf[0]);
    }
    const perChannel = c.shape.at(-1) === C && numel(c.shape) === C;
    if (perChannel) {
      const t = get(x);
      if (cf.some((v) => v === 0)) throw new LoweringError("Mul by a per-channel constant with a 0 entry");
      return { ...t, scale: Float64Array.from({ length: C }, (_, i) => lastDimScale(t.scale, i) * cf[i]) };
    }
    // A constant tensor (RoPE cos/sin): 14-bit integers at one scale.
    const t = fit(x, WIDE, false);
    let absmax = 0;
    for (const v of cf) absmax = Math.max(absmax, Math.abs(v));
    const sc = absmax > 0 ? absmax / CONST_TENSOR_BOUND : 1;
    const cq = e.g.constant(
      "int32",
      c.shape,
      Array.from(cf, (v) => Math.round(v / sc)),
    );
    const bound = t.bound * CONST_TENSOR_BOUND;
    if (bound >= I32_SAFE) throw new LoweringError("Mul by a constant tensor may overflow int32");
    return { name: e.g.op("Mul", [t.name, cq]), scale: scaled(t, sc).scale, bound, shape: [] };
  };

  const addConst = (x: string, c: IrTensor, sign: number): QT =>
    addConstTo(get(x), c.floatData as Float32Array, c.shape, sign, shapeOf(x).at(-1) as number, x);

  /**
   * x + sign * c. A per-channel constant on a per-channel tensor (a bias on a MatMul
   * accumulator) is added in int32 at the accumulator's own scales, with no requantization.
   */
  const addConstTo = (
    raw: QT,
    cf: Float32Array,
    cShape: number[],
    sign: number,
    channels: number,
    xName?: string,
  ): QT => {
    if (typeof raw.scale !== "number" && cf.length === channels && cShape.at(-1) === channels) {
      const sv = raw.scale;
      const cq = Array.from(cf, (v, j) => Math.round((sign * v) / sv[j]));
      const cb = Math.max(...cq.map(Math.abs));
      if (raw.bound + cb < I32_SAFE)
        return {
          ...raw,
          name: e.g.op("Add", [raw.name, e.g.constant("int32", [channels], cq)]),
          bound: raw.bound + cb,
        };
    }
    let t = raw;
    if (typeof raw.scale !== "number") {
      if (!xName) throw new LoweringError("a bias that is neither per output channel nor a scalar");
      t = fit(xName, raw.bound);
    }
    const s = t.scale as number;
    const lim = I32_SAFE - t.bound;
    // Constants far outside the value's range (a -1e9 attention mask) are clamped: they only
    // need to stay far below every real value.
    const cq = Array.from(cf, (v) => Math.max(-lim, Math.min(lim, Math.round((sign * v) / s))));
    const cb = Math.max(...cq.map(Math.abs));
    const cName = cf.length === 1 ? e.i32(cq[0]) : e.g.constant("int32", cShape, cq);
    const saturated = cf.some((v, i) => Math.abs((sign * v) / s - cq[i]) > 1);
    return { name: e.g.op("Add", [t.name, cName]), scale: s, bound: t.bound + cb, shape: [], saturated };
  };

  const addAct = (a: string, b: string, out: string, neg: boolean): QT => {
    let A = get(a);
    let B = get(b);
    const sameScale = typeof A.scale === "number" && typeof B.scale === "number" && A.scale === B.scale;
    if (!sameScale || A.bound + B.bound >= I32_SAFE) {
      const s = scaleFor(out, WIDE);
      A = e.requant(A, s, WIDE);
      B = e.requant(B, s, WIDE);
    }
    const name = e.g.op(neg ? "Sub" : "Add", [A.name, B.name]);
    const bound = A.bound + B.bound;
    if (!sameScale) return { name: e.clip(name, WIDE), scale: A.scale, bound: WIDE, shape: [] };
    return { name, scale: A.scale, bound, shape: [] };
  };

  /** f over the int8 input: 256-row int32 table, output at 11 bits of its calibrated range. */
  const table = (x: string, out: string, f: (v: number) => number): QT => {
    // Input at 12 bits (4095-row table; a Gather costs the same per element whatever the table).
    const t = fit(x, TABLE_BITS);
    const sOut = scaleFor(out, TABLE_BITS);
    const rows = Array.from({ length: 2 * t.bound + 1 }, (_, i) => {
      const v = Math.round(f((i - t.bound) * (t.scale as number)) / sOut);
      return Math.max(-TABLE_BITS, Math.min(TABLE_BITS, v));
    });
    const tName = e.g.constant("int32", [rows.length], rows);
    const idx = e.g.op("Add", [t.name, e.i32(t.bound)]);
    return { name: e.g.op("Gather", [tName, idx], { axis: 0 }), scale: sOut, bound: TABLE_BITS, shape: [] };
  };

  /** rsqrt table over a sum of D squares of int8 values (see rmsNorm): index and table. */
  const rsqrtLookup = (sumSq: string, D: number, real: (ss: number) => number, xBound: number) => {
    const ssMax = D * NARROW * NARROW;
    const rows = Math.min(RSQRT_ROWS, ssMax + 1);
    const step = Math.ceil((ssMax + 1) / rows);
    const idx = e.ops.clip(
      step > 1 ? e.g.op("Div", [e.g.op("Add", [sumSq, e.i32(Math.floor(step / 2))]), e.i32(step)]) : sumSq,
      "int32",
      0,
      rows - 1,
    );
    // Rows below 1/1024 of the range take the value at that row: such a tiny norm only occurs
    // for an all-but-zero row, and the cap keeps the table's precision for the real ones.
    const floorRow = Math.max(1, Math.floor(rows / 1024));
    const values = Array.from({ length: rows }, (_, i) => real(Math.max(i, floorRow) * step));
    const rMax = Math.max(...values);
    const k = Math.max(
      0,
      Math.min(
        Math.floor(Math.log2((2 ** 15 - 1) / rMax)),
        Math.floor(Math.log2(I32_SAFE / (xBound * rMax))),
      ),
    );
    const R = values.map((r) => Math.round(r * 2 ** k));
    const Rmax = Math.max(...R);
    if (Rmax * xBound >= I32_SAFE) throw new LoweringError("normalisation rescale may overflow int32");
    return { r: e.g.op("Gather", [e.g.constant("int32", [rows], R), idx], { axis: 0 }), k, Rmax };
  };

  /** Sum of squares over the last axis of an 8-bit QT, as one batched MatMulInteger: [..., 1]. */
  const sumOfSquares = (t: QT, shape: number[]): string => {
    const D = shape.at(-1) as number;
    const rowsN = numel(shape) / D;
    const u = e.toOffsetU8(t);
    const u128 = e.ops.scalar("uint8", 128);
    return e.ops.reshape(
      e.g.op("MatMulInteger", [e.ops.reshape(u, [rowsN, 1, D]), e.ops.reshape(u, [rowsN, D, 1]), u128, u128]),
      [...shape.slice(0, -1), 1],
    );
  };

  /**
   * LayerNormalization over the last axis: the mean as an exact integer sum (two bytes against
   * a ones vector) and a rounded division by D, the centred values c = x - mean, their sum of
   * squares at 8 bits and the rsqrt table of RMSNorm. The normalised values are at most sqrt(D)
   * in magnitude, which fixes their 16-bit scale; Scale and B then act per channel (a lazy
   * per-channel scale and an int32 bias).
   */
  const layerNorm = (n: IrNode): QT => {
    const [x, scaleName, biasName] = n.inputs;
    const shape = shapeOf(x);
    const D = shape.at(-1) as number;
    const axis = intAttr(n, "axis", -1);
    if (axis !== -1 && axis !== shape.length - 1) throw new LoweringError("only the last axis is supported");
    const gamma = floatConst(scaleName);
    const beta = biasName ? floatConst(biasName) : null;
    if (!gamma || gamma.floatData?.length !== D || (biasName && beta?.floatData?.length !== D))
      throw new LoweringError("LayerNormalization needs constant per-channel Scale (and B)");
    const eps = floatAttr(n, "epsilon", 1e-5);
    const normed = normalise(
      x,
      eps,
      calib.has(centredKey(x)) ? scaleFor(centredKey(x), NARROW) : scaleFor(x, NARROW),
    );
    const g = gamma.floatData as Float32Array;
    if (g.some((v) => v === 0)) throw new LoweringError("LayerNormalization Scale with a 0 entry");
    const withScale: QT = { ...normed, scale: Float64Array.from(g, (v) => (normed.scale as number) * v) };
    if (!beta) return withScale;
    return addConstTo(withScale, beta.floatData as Float32Array, beta.shape, 1, D);
  };

  /**
   * (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over the last axis, at scale sqrt(D) / 32767;
   * `centredScale` is the 8-bit scale of the centred values (from their calibrated range).
   */
  const normalise = (x: string, eps: number, centredScale: number): QT => {
    const shape = shapeOf(x);
    const D = shape.at(-1) as number;
    // x at 15 bits so that the centred values fit 16 bits.
    const xw = fit(x, 16383);
    const sx = xw.scale as number;
    const rowsN = numel(shape) / D;
    const { hi, lo } = splitBytes(xw);
    const ones = e.g.constant("uint8", [D, 1], new Array(D).fill(1));
    const u0 = e.ops.scalar("uint8", 0);
    const rows2 = (v: string) => e.ops.reshape(v, [rowsN, D]);
    const sum = e.g.op("Add", [
      e.g.op("Mul", [e.g.op("MatMulInteger", [rows2(hi), ones, e.ops.scalar("uint8", 128), u0]), e.i32(256)]),
      e.g.op("MatMulInteger", [rows2(lo), ones, u0, u0]),
    ]); // [rowsN, 1], exact
    // mean = floor((sum + floor(D / 2)) / D), lifted to a non-negative dividend.
    const C = xw.bound + 1;
    const mean = e.g.op("Sub", [
      e.g.op("Div", [e.g.op("Add", [sum, e.i32(C * D + Math.floor(D / 2))]), e.i32(D)]),
      e.i32(C),
    ]);
    if ((xw.bound + C) * D + D >= 2 ** 31 - 1)
      throw new LoweringError(`LayerNormalization over ${D} channels may overflow int32`);
    const centred: QT = {
      name: e.g.op("Sub", [xw.name, e.ops.reshape(mean, [...shape.slice(0, -1), 1])]),
      scale: sx,
      bound: 2 * xw.bound + 1,
      shape,
    };
    const c8 = e.requant(centred, centredScale, NARROW);
    const s8 = c8.scale as number;
    const sN = Math.sqrt(D) / WIDE;
    const { r, k, Rmax } = rsqrtLookup(
      sumOfSquares(c8, shape),
      D,
      (ss) => sx / (sN * Math.sqrt((ss * s8 * s8) / D + eps)),
      centred.bound,
    );
    const prod = e.g.op("Mul", [centred.name, r]);
    const rs = e.roundShift(prod, k, centred.bound * Rmax);
    return { name: e.clip(rs.name, WIDE), scale: sN, bound: WIDE, shape };
  };

  const rmsNorm = (x: string, eps: number, out: string): QT => {
    const shape = shapeOf(x);
    const D = shape.at(-1) as number;
    const xw = fit(x, WIDE);
    const x8 = narrow(x);
    const s8 = x8.scale as number;
    const sN = scaleFor(out, WIDE);
    const { r, k, Rmax } = rsqrtLookup(
      sumOfSquares(x8, shape),
      D,
      (ss) => (xw.scale as number) / (sN * Math.sqrt((ss * s8 * s8) / D + eps)),
      xw.bound,
    );
    const rs = e.roundShift(e.g.op("Mul", [xw.name, r]), k, xw.bound * Rmax);
    return { name: e.clip(rs.name, WIDE), scale: sN, bound: WIDE, shape: [] };
  };

  /**
   * x (|x| <= 32767) = 256 hi + lo with hi = floor(x / 256) in [-128, 127], as uint8 hi + 128
   * (offset binary) and lo in [0, 255]. The truncating Div sees x lifted by 128 * 256.
   */
  const splits = new Map<string, { hi: string; lo: string }>();
  const splitBytes = (t: QT): { hi: string; lo: string } => {
    if (t.bound > WIDE) throw new LoweringError(`byte split of a value bounded by ${t.bound}`);
    // q, k and v (w1 and w3) read the same normalised input: split it once.
    const cached = splits.get(t.name);
    if (cached) return cached;
    const hi32 = e.g.op("Sub", [
      e.g.op("Div", [e.g.op("Add", [t.name, e.i32(32768)]), e.i32(256)]),
      e.i32(128),
    ]);
    const lo = e.ops.cast(e.g.op("Sub", [t.name, e.g.op("Mul", [hi32, e.i32(256)])]), "uint8");
    const parts = { hi: e.ops.cast(e.g.op("Add", [hi32, e.i32(128)]), "uint8"), lo };
    splits.set(t.name, parts);
    return parts;
  };

  /**
   * Two activations (attention scores q.k^T): each operand at up to 15 bits, split into a
   * signed high byte and an unsigned low byte (x = 256 hi + lo), four uint8 MatMulIntegers
   * (hi in offset binary, zero point 128) recombined as 65536 hh + 256 (hl + lh) + ll. Softmax
   * turns an absolute score error into a relative weight error, so 8-bit q and k are not enough.
   */
  const activationMatMul = (a: string, b: string): QT => {
    const K = shapeOf(a).at(-1) as number;
    const B = Math.min(WIDE, Math.floor(Math.sqrt(I32_SAFE / (2 * K))));
    if (B < NARROW) throw new LoweringError(`MatMul over ${K} terms may overflow int32`);
    const A = fit(a, B);
    const Bq = fit(b, B);
    const u0 = e.ops.scalar("uint8", 0);
    const u128 = e.ops.scalar("uint8", 128);
    const pa = splitBytes(A);
    const pb = splitBytes(Bq);
    const mm = (x: string, zx: string, y: string, zy: string) => e.g.op("MatMulInteger", [x, y, zx, zy]);
    const hh = mm(pa.hi, u128, pb.hi, u128);
    const hl = mm(pa.hi, u128, pb.lo, u0);
    const lh = mm(pa.lo, u0, pb.hi, u128);
    const ll = mm(pa.lo, u0, pb.lo, u0);
    const name = e.g.op("Add", [
      e.g.op("Add", [
        e.g.op("Mul", [hh, e.i32(65536)]),
        e.g.op("Mul", [e.g.op("Add", [hl, lh]), e.i32(256)]),
      ]),
      ll,
    ]);
    return {
      name,
      scale: (A.scale as number) * (Bq.scale as number),
      bound: A.bound * Bq.bound * K,
      shape: [],
    };
  };

  /**
   * exp(S - rowMax(S)) over the last axis as integers in [0, eMax] (eMax at the row maximum),
   * from a table indexed by the distance below the row maximum.
   */
  const integerExp = (scores: string, eMaxCap: number): { ex: string; eMax: number; T: number } => {
    const S = fit(scores, get(scores).bound);
    const s = S.scale as number;
    if (!(s > 0)) throw new LoweringError("Softmax input has a non-positive scale");
    const T = shapeOf(scores).at(-1) as number;
    const eMax = Math.min(32767, eMaxCap);
    if (eMax < 255) throw new LoweringError(`softmax over ${T} positions may overflow int32`);
    const cut = Math.log(2 * eMax);
    const stepInt = Math.max(1, Math.floor(cut / EXP_RESOLUTION / s));
    const rows = Math.min(1 << 16, Math.ceil(cut / (stepInt * s)) + 2);
    const expT = Array.from({ length: rows }, (_, i) =>
      Math.min(eMax, Math.round(eMax * Math.exp(-i * stepInt * s))),
    );
    expT[rows - 1] = 0;
    const rowMax = e.g.op("ReduceMax", [S.name], { axes: [-1], keepdims: 1 });
    const dist = e.g.op("Sub", [rowMax, S.name]);
    const idx = e.ops.clip(
      stepInt > 1
        ? e.g.op("Div", [e.g.op("Add", [dist, e.i32(Math.floor(stepInt / 2))]), e.i32(stepInt)])
        : dist,
      "int32",
      0,
      rows - 1,
    );
    const ex = e.g.op("Gather", [e.g.constant("int32", [rows], expT), idx], { axis: 0 }); // eMax at the row max
    return { ex, eMax, T };
  };

  /** Softmax over the last axis on its own: probabilities at scale 1/32767, rounded. */
  const softmax = (n: IrNode): QT => {
    const x = n.inputs[0];
    const rank = shapeOf(x).length;
    const axis = intAttr(n, "axis", -1);
    if (axis !== -1 && axis !== rank - 1) throw new LoweringError("only the last axis is supported");
    const T = shapeOf(x).at(-1) as number;
    // p = floor((e * 32767 + floor(sum / 2)) / sum) in [0, 32767]; needs e * 32767 + sum / 2 < 2^31.
    const { ex } = integerExp(x, Math.floor((2 ** 31 - 1) / (WIDE + Math.ceil(T / 2))));
    const hi32 = e.g.op("Div", [ex, e.i32(256)]);
    const lo = e.ops.cast(e.g.op("Sub", [ex, e.g.op("Mul", [hi32, e.i32(256)])]), "uint8");
    const hi = e.ops.cast(hi32, "uint8");
    const ones = e.g.constant("uint8", [T, 1], new Array(T).fill(1));
    const u0 = e.ops.scalar("uint8", 0);
    const sum = e.g.op("Max", [
      e.g.op("Add", [
        e.g.op("Mul", [e.g.op("MatMulInteger", [hi, ones, u0, u0]), e.i32(256)]),
        e.g.op("MatMulInteger", [lo, ones, u0, u0]),
      ]),
      e.i32(1),
    ]);
    const p = e.g.op("Div", [
      e.g.op("Add", [e.g.op("Mul", [ex, e.i32(WIDE)]), e.g.op("Div", [sum, e.i32(2)])]),
      sum,
    ]);
    return { name: p, scale: 1 / WIDE, bound: WIDE, shape: [] };
  };

  const softmaxAttention = (scores: string, v: string): QT => {
    const V = narrow(v);
    // Exp weights need more than 8 bits: with 8-bit weights every position below 1/510 of the
    // row maximum counts 0, and over a long context those tails carry real mass. Weights get
    // up to 15 bits (as many as keep sum * 257 under 2^31) and enter MatMulInteger as two bytes.
    const T0 = shapeOf(scores).at(-1) as number;
    const { ex, T } = integerExp(scores, Math.floor((2 ** 31 - 1) / (257 * T0)));
    const hi32 = e.g.op("Div", [ex, e.i32(256)]);
    const lo = e.ops.cast(e.g.op("Sub", [ex, e.g.op("Mul", [hi32, e.i32(256)])]), "uint8");
    const hi = e.ops.cast(hi32, "uint8");
    const ones = e.g.constant("uint8", [T, 1], new Array(T).fill(1));
    const u0 = e.ops.scalar("uint8", 0);
    const u128 = e.ops.scalar("uint8", 128);
    const bytePair = (b: string) =>
      e.g.op("Add", [
        e.g.op("Mul", [e.g.op("MatMulInteger", [hi, b, u0, b === ones ? u0 : u128]), e.i32(256)]),
        e.g.op("MatMulInteger", [lo, b, u0, b === ones ? u0 : u128]),
      ]);
    const sum = e.g.op("Max", [bytePair(ones), e.i32(1)]); // >= 1 (>= eMax in fact)
    const vU8 = e.ops.cast(e.g.op("Add", [V.name, e.i32(128)]), "uint8");
    const weighted = bytePair(vU8); // sum_j e_j v_j, |.| <= 127 sum
    // round(w / sum) = floor((w + floor(sum / 2)) / sum), lifted by C = 128 sums so that the
    // truncating Div sees a non-negative dividend: at most 257 sum < 2^31.
    const C = 128;
    const num = e.g.op("Add", [
      e.g.op("Add", [weighted, e.g.op("Mul", [sum, e.i32(C)])]),
      e.g.op("Div", [sum, e.i32(2)]),
    ]);
    const quo = e.g.op("Div", [num, sum]);
    return { name: e.clip(e.g.op("Sub", [quo, e.i32(C)]), NARROW), scale: V.scale, bound: NARROW, shape: [] };
  };

  // Shape arithmetic (Shape, Slice, Concat, Cast... on int64 shape vectors) only feeds Reshape
  // targets, which are taken from the calibrated shapes: such nodes are dropped, walking back
  // from the Reshapes' shape inputs through nodes whose every consumer is itself dropped.
  const shapeOnly = new Set<IrNode>();
  for (const n of [...g.nodes].reverse()) {
    const outs = n.outputs;
    if (outs.some((o) => graphOutputs.has(o) || calib.has(o))) continue;
    const users = outs.flatMap((o) => consumers.get(o) ?? []);
    if (
      users.length > 0 &&
      users.every(
        (u) =>
          shapeOnly.has(u) ||
          (u.opType === "Reshape" &&
            u.inputs.slice(1).some((i) => outs.includes(i)) &&
            !outs.includes(u.inputs[0])),
      )
    )
      shapeOnly.add(n);
  }

  // Nodes downstream of an unsupported one are not reported again: one line per unsupported node.
  const failed = new Set<string>();
  for (const n of g.nodes) {
    if (shapeOnly.has(n)) continue;
    if (n.inputs.some((i) => failed.has(i))) {
      for (const o of n.outputs) failed.add(o);
      continue;
    }
    if (absorbed.has(n)) continue;
    try {
      if (n.domain !== "" && n.domain !== "ai.onnx")
        throw new LoweringError(`domain '${n.domain}' is not supported`);
      if (n.outputs.length !== 1) throw new LoweringError(`${n.outputs.length} outputs (one expected)`);
      const lowered = { ...lowerNode(n), shape: shapeOf(n.outputs[0]) };
      // A Conv with a folded BatchNormalization computes the BatchNorm's output (the Conv's own
      // float output has no integer form, and error reports must not compare against it).
      const bn = bnOfConv.get(n);
      q.set(bn ? bn.outputs[0] : n.outputs[0], lowered);
    } catch (err) {
      if (!(err instanceof LoweringError)) throw err;
      errors.push(`node '${n.name}' (${n.opType}): ${err.message}`);
      for (const o of n.outputs) failed.add(o);
    }
  }

  const outputs: LoweredOutput[] = [];
  for (const o of g.outputs) {
    if (failed.has(o.name)) continue;
    try {
      const t = q.get(o.name);
      if (!t) throw new LoweringError("has no integer form");
      const f = typeof t.scale === "number" ? t : e.requant(t, scaleFor(o.name, WIDE), WIDE);
      e.g.op("Identity", [f.name], {}, `${o.name}`);
      // The integer output replaces the float one under the same name.
      e.g.output(o.name, "int32", f.shape);
      outputs.push({ name: o.name, scale: f.scale as number });
    } catch (err) {
      if (!(err instanceof LoweringError)) throw err;
      errors.push(`graph output '${o.name}': ${err.message}`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, model: e.g.build(), inputs: loweredInputs, outputs, quantized: q };
}
