/**
 * Output types of a canonical op from its input types and attributes, plus attribute
 * normalisation (defaults filled in, negative axes resolved). This is the interpreter's only
 * shape computation: the profile validator's per-op inference (prover-trace/profile/ops.ts)
 * can replace it here without touching the evaluators.
 */
import { DType, type DTypeCode, dtypeByCode, isProfileDType, numel } from "../../protocol/dtype.ts";
import type { OpName } from "../profile/opcodes.ts";
import { broadcastShapes } from "../profile/shape.ts";
import { type TensorType, typeString } from "./tensor.ts";
import { type NodeAttrs, ResolveError } from "./types.ts";

export interface CheckedNode {
  attrs: NodeAttrs;
  outputs: TensorType[];
}

function fail(op: OpName, msg: string): never {
  throw new ResolveError(`${op}: ${msg}`);
}

function arity(op: OpName, ins: readonly TensorType[], min: number, max = min): void {
  if (ins.length < min || ins.length > max)
    fail(op, `expects ${min === max ? min : `${min}..${max}`} data inputs, got ${ins.length}`);
}

function sameDtype(op: OpName, ins: readonly TensorType[]): DTypeCode {
  const d = ins[0].dtype;
  for (const t of ins)
    if (t.dtype !== d) fail(op, `inputs must share one dtype, got ${ins.map(typeString).join(", ")}`);
  return d;
}

function normAxis(op: OpName, axis: number | undefined, rank: number, dflt: number): number {
  const a = axis ?? dflt;
  if (!Number.isInteger(a) || a < -rank || a >= rank) fail(op, `axis ${a} out of range for rank ${rank}`);
  return a < 0 ? a + rank : a;
}

function inRange(op: OpName, what: string, v: bigint, dtype: DTypeCode): void {
  const d = dtypeByCode(dtype);
  if (v < d.min || v > d.max) fail(op, `${what} ${v} is outside ${d.name}`);
}

export function checkNode(op: OpName, ins: readonly TensorType[], attrs: NodeAttrs = {}): CheckedNode {
  for (const t of ins) {
    if (!isProfileDType(t.dtype)) fail(op, `dtype code ${t.dtype} is not a profile integer dtype`);
    if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 1))
      fail(op, `input shape [${t.shape.join(",")}] must have static dims >= 1`);
  }
  switch (op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div": {
      arity(op, ins, 2);
      const dtype = sameDtype(op, ins);
      const shape = broadcastShapes(ins[0].shape, ins[1].shape);
      if (!shape) fail(op, `shapes ${ins.map(typeString).join(" and ")} do not broadcast`);
      return { attrs: {}, outputs: [{ dtype, shape }] };
    }
    case "Max":
    case "Min": {
      arity(op, ins, 1, Number.MAX_SAFE_INTEGER);
      const dtype = sameDtype(op, ins);
      const shape = broadcastShapes(...ins.map((t) => t.shape));
      if (!shape) fail(op, `shapes ${ins.map(typeString).join(", ")} do not broadcast`);
      return { attrs: {}, outputs: [{ dtype, shape }] };
    }
    case "Relu":
    case "Abs":
    case "Neg":
      arity(op, ins, 1);
      return { attrs: {}, outputs: [{ dtype: ins[0].dtype, shape: [...ins[0].shape] }] };
    case "Clip": {
      arity(op, ins, 1);
      const d = dtypeByCode(ins[0].dtype);
      const min = attrs.min ?? d.min;
      const max = attrs.max ?? d.max;
      inRange(op, "min", min, d.code);
      inRange(op, "max", max, d.code);
      return { attrs: { min, max }, outputs: [{ dtype: d.code, shape: [...ins[0].shape] }] };
    }
    case "Cast": {
      arity(op, ins, 1);
      const to = attrs.to;
      if (to === undefined || !isProfileDType(to)) fail(op, `'to' must be a profile dtype, got ${to}`);
      return { attrs: { to }, outputs: [{ dtype: to, shape: [...ins[0].shape] }] };
    }
    case "Gather": {
      arity(op, ins, 2);
      const [data, idx] = ins;
      if (idx.dtype !== DType.int32 && idx.dtype !== DType.int64)
        fail(op, `indices must be int32 or int64, got ${typeString(idx)}`);
      if (data.shape.length < 1) fail(op, "data must have rank >= 1");
      const axis = normAxis(op, attrs.axis, data.shape.length, 0);
      const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
      return { attrs: { axis }, outputs: [{ dtype: data.dtype, shape }] };
    }
    case "Reshape": {
      arity(op, ins, 1);
      const shape = attrs.shape;
      if (!shape) fail(op, "missing resolved target shape");
      if (shape.some((d) => !Number.isSafeInteger(d) || d < 1))
        fail(op, `target shape [${shape.join(",")}] must have dims >= 1`);
      if (numel(shape) !== numel(ins[0].shape))
        fail(op, `cannot reshape ${typeString(ins[0])} to [${shape.join(",")}]`);
      return { attrs: { shape: [...shape] }, outputs: [{ dtype: ins[0].dtype, shape: [...shape] }] };
    }
    case "Transpose": {
      arity(op, ins, 1);
      const r = ins[0].shape.length;
      const perm = attrs.perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      const seen = new Set(perm);
      if (perm.length !== r || seen.size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r))
        fail(op, `perm [${perm.join(",")}] is not a permutation of rank ${r}`);
      return {
        attrs: { perm: [...perm] },
        outputs: [{ dtype: ins[0].dtype, shape: perm.map((p) => ins[0].shape[p]) }],
      };
    }
    case "MatMulInteger": {
      arity(op, ins, 2);
      const [a, b] = ins;
      for (const t of ins)
        if (t.dtype !== DType.int8 && t.dtype !== DType.uint8)
          fail(op, `operands must be int8 or uint8, got ${typeString(t)}`);
      const ra = a.shape.length;
      const rb = b.shape.length;
      if (ra < 2) fail(op, `A must have rank >= 2, got ${typeString(a)}`);
      if (rb !== 2 && rb !== ra) fail(op, `B must have rank 2 or the rank of A, got ${typeString(b)}`);
      if (rb === ra && a.shape.slice(0, ra - 2).some((d, i) => d !== b.shape[i]))
        fail(op, `batch dims of ${typeString(a)} and ${typeString(b)} differ`);
      if (a.shape[ra - 1] !== b.shape[rb - 2])
        fail(op, `inner dims differ: ${typeString(a)} x ${typeString(b)}`);
      const aZeroPoint = attrs.aZeroPoint ?? 0n;
      const bZeroPoint = attrs.bZeroPoint ?? 0n;
      inRange(op, "a_zero_point", aZeroPoint, a.dtype);
      inRange(op, "b_zero_point", bZeroPoint, b.dtype);
      const shape = [...a.shape.slice(0, ra - 1), b.shape[rb - 1]];
      return { attrs: { aZeroPoint, bZeroPoint }, outputs: [{ dtype: DType.int32, shape }] };
    }
    case "ReduceMax":
    case "ArgMax": {
      arity(op, ins, 1);
      const shape = ins[0].shape;
      if (shape.length < 1) fail(op, "input must have rank >= 1");
      const axis = normAxis(op, attrs.axis, shape.length, 0);
      const keepdims = attrs.keepdims ?? true;
      const out = keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
      const dtype = op === "ArgMax" ? DType.int64 : ins[0].dtype;
      return { attrs: { axis, keepdims }, outputs: [{ dtype, shape: out }] };
    }
    case "Pad": {
      arity(op, ins, 1);
      const { shape, begins } = attrs;
      const x = ins[0].shape;
      if (!shape || !begins || shape.length !== x.length || begins.length !== x.length)
        fail(op, "missing or mis-sized output shape or begins");
      if (
        shape.some((d) => !Number.isSafeInteger(d) || d < 1) ||
        begins.some((b, d) => !Number.isSafeInteger(b) || b < -x[d] || b > shape[d])
      )
        fail(op, `output [${shape.join(",")}] or begins [${begins.join(",")}] invalid`);
      const value = attrs.value ?? 0n;
      inRange(op, "value", value, ins[0].dtype);
      return {
        attrs: { shape: [...shape], begins: [...begins], value },
        outputs: [{ dtype: ins[0].dtype, shape: [...shape] }],
      };
    }
    case "ConvInteger": {
      arity(op, ins, 2);
      const [xt, wt] = ins;
      const x = xt.shape;
      const w = wt.shape;
      if (xt.dtype !== wt.dtype || (xt.dtype !== DType.int8 && xt.dtype !== DType.uint8))
        fail(op, `takes int8 x int8 or uint8 x uint8, got ${typeString(xt)} x ${typeString(wt)}`);
      if (x.length < 3 || x.length > 5 || w.length !== x.length)
        fail(
          op,
          `x must be [N, C] and 1 to 3 spatial axes and w of its rank, got ${typeString(xt)}, ${typeString(wt)}`,
        );
      const n = x.length - 2;
      const { strides, dilations, begins, shape } = attrs;
      const group = attrs.group ?? 1;
      if (!strides || !dilations || !begins || !shape)
        fail(op, "missing strides, dilations, begins or output shape");
      if ([strides, dilations, begins].some((v) => v.length !== n) || shape.length !== x.length)
        fail(op, `attributes must have ${n} entries and the output rank ${x.length}`);
      if (!Number.isSafeInteger(group) || group < 1 || x[1] !== w[1] * group || w[0] % group !== 0)
        fail(op, `group ${group} does not fit x ${typeString(xt)} and w ${typeString(wt)}`);
      if (shape[0] !== x[0] || shape[1] !== w[0]) fail(op, "output must be [N, M, ..]");
      for (let i = 0; i < n; i++) {
        const [k, s, d, pb, o] = [w[2 + i], strides[i], dilations[i], begins[i], shape[2 + i]];
        if (![s, d, pb, o].every(Number.isSafeInteger) || s < 1 || d < 1 || pb < 0 || pb >= k || o < 1)
          fail(op, `spatial axis ${i}: stride ${s}, dilation ${d}, pad ${pb}, output ${o} invalid`);
        const len = (pe: number) => Math.floor((x[2 + i] + pb + pe - ((k - 1) * d + 1)) / s) + 1;
        if (o < len(0) || o > len(k - 1))
          fail(op, `spatial axis ${i}: output length ${o} fits no pad end in [0, ${k - 1}]`);
      }
      const aZeroPoint = attrs.aZeroPoint ?? 0n;
      const bZeroPoint = attrs.bZeroPoint ?? 0n;
      inRange(op, "x_zero_point", aZeroPoint, xt.dtype);
      inRange(op, "w_zero_point", bZeroPoint, wt.dtype);
      return {
        attrs: {
          aZeroPoint,
          bZeroPoint,
          group,
          strides: [...strides],
          dilations: [...dilations],
          begins: [...begins],
          shape: [...shape],
        },
        outputs: [{ dtype: DType.int32, shape: [...shape] }],
      };
    }
    case "MaxPool": {
      arity(op, ins, 1);
      const x = ins[0].shape;
      const dtype = ins[0].dtype;
      if (dtype !== DType.int8 && dtype !== DType.uint8)
        fail(op, `takes int8 or uint8, got ${typeString(ins[0])}`);
      if (x.length < 3 || x.length > 5)
        fail(op, `input must be [N, C] and 1 to 3 spatial axes, got ${typeString(ins[0])}`);
      const n = x.length - 2;
      const { kernel, strides, dilations, begins, shape } = attrs;
      if (!kernel || !strides || !dilations || !begins || !shape)
        fail(op, "missing kernel, strides, dilations, begins or output shape");
      if ([kernel, strides, dilations, begins].some((v) => v.length !== n) || shape.length !== x.length)
        fail(op, `attributes must have ${n} entries and the output rank ${x.length}`);
      if (shape[0] !== x[0] || shape[1] !== x[1]) fail(op, "output N and C must be the input's");
      for (let i = 0; i < n; i++) {
        const [k, s, d, pb, o] = [kernel[i], strides[i], dilations[i], begins[i], shape[2 + i]];
        if (
          ![k, s, d, pb, o].every(Number.isSafeInteger) ||
          k < 1 ||
          s < 1 ||
          d < 1 ||
          pb < 0 ||
          pb >= k ||
          o < 1
        )
          fail(
            op,
            `spatial axis ${i}: kernel ${k}, stride ${s}, dilation ${d}, pad ${pb}, output ${o} invalid`,
          );
        // Some pad end in [0, k-1] gives this output length (floor mode).
        const len = (pe: number) => Math.floor((x[2 + i] + pb + pe - ((k - 1) * d + 1)) / s) + 1;
        if (o < len(0) || o > len(k - 1))
          fail(op, `spatial axis ${i}: output length ${o} fits no pad end in [0, ${k - 1}]`);
      }
      return {
        attrs: {
          kernel: [...kernel],
          strides: [...strides],
          dilations: [...dilations],
          begins: [...begins],
          shape: [...shape],
        },
        outputs: [{ dtype, shape: [...shape] }],
      };
    }
    case "Tile": {
      arity(op, ins, 1);
      const shape = attrs.shape;
      const x = ins[0].shape;
      if (
        !shape ||
        shape.length !== x.length ||
        shape.some((d, i) => !Number.isSafeInteger(d) || d < x[i] || d % x[i] !== 0)
      )
        fail(op, `output [${shape?.join(",")}] is not a tiling of ${typeString(ins[0])}`);
      return { attrs: { shape: [...shape] }, outputs: [{ dtype: ins[0].dtype, shape: [...shape] }] };
    }
    case "Concat": {
      arity(op, ins, 1, Number.MAX_SAFE_INTEGER);
      const dtype = sameDtype(op, ins);
      const r = ins[0].shape.length;
      if (r < 1) fail(op, "inputs must have rank >= 1");
      const axis = normAxis(op, attrs.axis, r, 0);
      const shape = [...ins[0].shape];
      shape[axis] = 0;
      for (const t of ins) {
        if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== ins[0].shape[i]))
          fail(op, `shapes ${ins.map(typeString).join(", ")} differ off axis ${axis}`);
        shape[axis] += t.shape[axis];
      }
      return { attrs: { axis }, outputs: [{ dtype, shape }] };
    }
    case "Slice": {
      arity(op, ins, 1);
      const x = ins[0].shape;
      const { shape, starts, steps } = attrs;
      if (!shape || !starts || !steps) fail(op, "missing output shape, starts or steps");
      const r = shape.length;
      const off = r - x.length;
      if (off < 0 || starts.length !== r || steps.length !== r)
        fail(
          op,
          `output rank ${r} vs input ${typeString(ins[0])}, ${starts.length} starts, ${steps.length} steps`,
        );
      for (let d = 0; d < r; d++) {
        const [s, k, n] = [starts[d], steps[d], shape[d]];
        if (![s, k, n].every(Number.isSafeInteger) || n < 1) fail(op, `axis ${d}: bad start/step/dim`);
        if (d < off) {
          if (s !== 0 || k !== 0) fail(op, `axis ${d} is left of the input's rank: start and step must be 0`);
          continue;
        }
        // Every coordinate s + k*o, o in [0, n-1], lies on the input axis: the two ends do.
        const dim = x[d - off];
        const last = s + k * (n - 1);
        if (s < 0 || s >= dim || last < 0 || last >= dim)
          fail(op, `axis ${d}: start ${s}, step ${k}, ${n} elements leave [0, ${dim - 1}]`);
      }
      return {
        attrs: { shape: [...shape], starts: [...starts], steps: [...steps] },
        outputs: [{ dtype: ins[0].dtype, shape: [...shape] }],
      };
    }
  }
  fail(op, "unknown op");
}
