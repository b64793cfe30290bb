/**
 * Whole-tensor evaluation of every profile op on typed arrays. Wrapping comes from the typed
 * arrays themselves (a store into Int8Array/Uint8Array/Int32Array/BigInt64Array reduces modulo
 * 2^bits, two's complement) and from Math.imul for 32-bit products, so no path needs bigint
 * except int64 data.
 */
import { DType, numel } from "../../protocol/dtype.ts";
import type { TensorData } from "../onnx/ir.ts";
import type { OpName } from "../profile/opcodes.ts";
import { strides } from "../profile/shape.ts";
import { checkNode } from "./infer.ts";
import { allocTensor, type Tensor, TYPED_ARRAY_NAME } from "./tensor.ts";
import { type NodeAttrs, ReferenceFault } from "./types.ts";

type NumArray = Int8Array | Uint8Array | Int32Array;

/**
 * For each output element (row-major), the flat index of the broadcast source element in an
 * operand of shape `inShape`. Null when the operand already has the output shape.
 */
function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const n = numel(outShape);
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return null;
  const r = outShape.length;
  const off = r - inShape.length;
  const inStr = strides(inShape);
  // step[i]: how far the source index moves when output dim i advances (0 where broadcast).
  const step = new Array<number>(r).fill(0);
  for (let i = 0; i < inShape.length; i++) step[off + i] = inShape[i] === 1 ? 0 : inStr[i];
  const idx = new Int32Array(n);
  const ctr = new Array<number>(r).fill(0);
  let src = 0;
  for (let e = 0; e < n; e++) {
    idx[e] = src;
    for (let d = r - 1; d >= 0; d--) {
      ctr[d]++;
      src += step[d];
      if (ctr[d] < outShape[d]) break;
      src -= step[d] * outShape[d];
      ctr[d] = 0;
    }
  }
  return idx;
}

type NumFn = (a: number, b: number) => number;
type BigFn = (a: bigint, b: bigint) => bigint;

const INT32_MIN = -2147483648;
const INT64_MIN = -(2n ** 63n);

function divNum(isInt32: boolean): NumFn {
  return (a, b) => {
    if (b === 0) throw new ReferenceFault("Div: division by zero");
    if (isInt32 && a === INT32_MIN && b === -1) throw new ReferenceFault("Div: int32 INT_MIN / -1 overflows");
    // Exact: for |a|,|b| < 2^31 the rounded quotient never crosses an integer.
    return Math.trunc(a / b);
  };
}
const divBig: BigFn = (a, b) => {
  if (b === 0n) throw new ReferenceFault("Div: division by zero");
  if (a === INT64_MIN && b === -1n) throw new ReferenceFault("Div: int64 INT_MIN / -1 overflows");
  return a / b; // bigint division truncates toward zero
};

const NUM: Record<"Add" | "Sub" | "Mul" | "Max" | "Min", NumFn> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => Math.imul(a, b),
  Max: (a, b) => (a > b ? a : b),
  Min: (a, b) => (a < b ? a : b),
};
const BIG: Record<"Add" | "Sub" | "Mul" | "Max" | "Min", BigFn> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Max: (a, b) => (a > b ? a : b),
  Min: (a, b) => (a < b ? a : b),
};

/** Binary op on number arrays without broadcasting: one tight loop per op (no call per element). */
function sameShapeBinary(op: string, o: NumArray, a: NumArray, b: NumArray): boolean {
  const n = o.length;
  switch (op) {
    case "Add":
      for (let e = 0; e < n; e++) o[e] = a[e] + b[e];
      return true;
    case "Sub":
      for (let e = 0; e < n; e++) o[e] = a[e] - b[e];
      return true;
    case "Mul":
      for (let e = 0; e < n; e++) o[e] = Math.imul(a[e], b[e]);
      return true;
    case "Max":
      for (let e = 0; e < n; e++) o[e] = a[e] > b[e] ? a[e] : b[e];
      return true;
    case "Min":
      for (let e = 0; e < n; e++) o[e] = a[e] < b[e] ? a[e] : b[e];
      return true;
  }
  return false;
}

/** out = fold of f over the operands, element by element with broadcasting. */
function elementwise(op: string, out: Tensor, ins: readonly Tensor[], fNum: NumFn, fBig: BigFn): void {
  const n = out.data.length;
  const maps = ins.map((t) => broadcastIndex(t.shape, out.shape));
  if (out.data instanceof BigInt64Array) {
    const o = out.data;
    const first = ins[0].data as BigInt64Array;
    const m0 = maps[0];
    for (let e = 0; e < n; e++) o[e] = first[m0 ? m0[e] : e];
    for (let k = 1; k < ins.length; k++) {
      const src = ins[k].data as BigInt64Array;
      const m = maps[k];
      for (let e = 0; e < n; e++) o[e] = fBig(o[e], src[m ? m[e] : e]);
    }
    return;
  }
  const o = out.data as NumArray;
  const first = ins[0].data as NumArray;
  const m0 = maps[0];
  if (ins.length === 2 && !m0 && !maps[1] && sameShapeBinary(op, o, first, ins[1].data as NumArray)) return;
  if (ins.length === 1) {
    for (let e = 0; e < n; e++) o[e] = first[m0 ? m0[e] : e];
    return;
  }
  // Accumulate in a wide array so that a variadic Max/Min never compares already-wrapped values
  // (Add/Sub/Mul are binary, so the single store into \`o\` performs the one wrap).
  const acc = new Float64Array(n);
  for (let e = 0; e < n; e++) acc[e] = first[m0 ? m0[e] : e];
  for (let k = 1; k < ins.length; k++) {
    const src = ins[k].data as NumArray;
    const m = maps[k];
    if (m) for (let e = 0; e < n; e++) acc[e] = fNum(acc[e], src[m[e]]);
    else for (let e = 0; e < n; e++) acc[e] = fNum(acc[e], src[e]);
  }
  for (let e = 0; e < n; e++) o[e] = acc[e];
}

function unary(out: Tensor, x: Tensor, fNum: (a: number) => number, fBig: (a: bigint) => bigint): void {
  const n = out.data.length;
  if (out.data instanceof BigInt64Array) {
    const s = x.data as BigInt64Array;
    for (let e = 0; e < n; e++) out.data[e] = fBig(s[e]);
  } else {
    const o = out.data as NumArray;
    const s = x.data as NumArray;
    for (let e = 0; e < n; e++) o[e] = fNum(s[e]);
  }
}

function cast(out: Tensor, x: Tensor): void {
  const n = out.data.length;
  if (out.data instanceof BigInt64Array) {
    if (x.data instanceof BigInt64Array) out.data.set(x.data);
    else for (let e = 0; e < n; e++) out.data[e] = BigInt(x.data[e]);
  } else if (x.data instanceof BigInt64Array) {
    const o = out.data as NumArray;
    // Reduce to 32 bits first so the Number is exact; the store then wraps to 8 bits if needed.
    for (let e = 0; e < n; e++) o[e] = Number(BigInt.asIntN(32, x.data[e]));
  } else {
    (out.data as NumArray).set(x.data as NumArray);
  }
}

function gather(out: Tensor, data: Tensor, indices: Tensor, axis: number): void {
  const dim = data.shape[axis];
  const outer = numel(data.shape.slice(0, axis));
  const inner = numel(data.shape.slice(axis + 1));
  const nIdx = indices.data.length;
  const pos = new Int32Array(nIdx);
  const idx = indices.data;
  for (let j = 0; j < nIdx; j++) {
    let v = Number(idx[j]);
    if (v < -dim || v >= dim)
      throw new ReferenceFault(
        `Gather: index ${indices.data[j]} out of range [-${dim}, ${dim - 1}] on axis ${axis}`,
      );
    if (v < 0) v += dim;
    pos[j] = v;
  }
  if (inner === 1) {
    // Lookup tables: one element per index.
    const src = data.data as unknown as { [i: number]: number | bigint };
    const dst = out.data as unknown as { [i: number]: number | bigint };
    for (let o = 0; o < outer; o++) for (let j = 0; j < nIdx; j++) dst[o * nIdx + j] = src[o * dim + pos[j]];
    return;
  }
  const src = data.data as TensorData & { subarray(a: number, b: number): TensorData };
  const dst = out.data as TensorData & { set(a: TensorData, off: number): void };
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < nIdx; j++) {
      const s = (o * dim + pos[j]) * inner;
      dst.set(src.subarray(s, s + inner), (o * nIdx + j) * inner);
    }
}

/** Slice (and Expand): output axis d walks the input from starts[d] in steps of steps[d]. */
function strided(out: Tensor, x: Tensor, starts: readonly number[], steps: readonly number[]): void {
  const shape = out.shape;
  const r = shape.length;
  const off = r - x.shape.length;
  const inStr = strides(x.shape);
  // move[d]: source advance when output axis d advances; base: source of output element 0.
  const move = new Array<number>(r).fill(0);
  let src = 0;
  for (let d = off; d < r; d++) {
    move[d] = steps[d] * inStr[d - off];
    src += starts[d] * inStr[d - off];
  }
  const from = x.data as unknown as { [i: number]: number | bigint };
  const to = out.data as unknown as { [i: number]: number | bigint };
  const ctr = new Array<number>(r).fill(0);
  const n = out.data.length;
  for (let e = 0; e < n; e++) {
    to[e] = from[src];
    for (let d = r - 1; d >= 0; d--) {
      ctr[d]++;
      src += move[d];
      if (ctr[d] < shape[d]) break;
      src -= move[d] * shape[d];
      ctr[d] = 0;
    }
  }
}

function transpose(out: Tensor, x: Tensor, perm: readonly number[]): void {
  const r = perm.length;
  const inStr = strides(x.shape);
  const step = perm.map((p) => inStr[p]);
  const shape = out.shape;
  const n = out.data.length;
  const ctr = new Array<number>(r).fill(0);
  const o = out.data as unknown as { [i: number]: number | bigint };
  const s = x.data as unknown as { [i: number]: number | bigint };
  let src = 0;
  for (let e = 0; e < n; e++) {
    o[e] = s[src];
    for (let d = r - 1; d >= 0; d--) {
      ctr[d]++;
      src += step[d];
      if (ctr[d] < shape[d]) break;
      src -= step[d] * shape[d];
      ctr[d] = 0;
    }
  }
}

function matMulInteger(out: Tensor, a: Tensor, b: Tensor, azp: number, bzp: number): void {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = a.shape[ra - 2];
  const K = a.shape[ra - 1];
  const N = b.shape[rb - 1];
  const batches = numel(a.shape.slice(0, ra - 2));
  const A = a.data as Int8Array | Uint8Array;
  const B = b.data as Int8Array | Uint8Array;
  // B with its zero point removed, once: values fit in [-255, 255].
  const Bz = new Int32Array(B.length);
  for (let i = 0; i < B.length; i++) Bz[i] = B[i] - bzp;
  const Y = out.data as Int32Array;
  const bStride = rb === 2 ? 0 : K * N;
  for (let bt = 0; bt < batches; bt++) {
    const aOff = bt * M * K;
    const bOff = bt * bStride;
    const yOff = bt * M * N;
    for (let i = 0; i < M; i++) {
      const yRow = yOff + i * N;
      for (let k = 0; k < K; k++) {
        const av = A[aOff + i * K + k] - azp;
        if (av === 0) continue;
        const bRow = bOff + k * N;
        // |av * b| <= 65025 and the running sum is kept in int32 by |0: the wrap mod 2^32.
        for (let j = 0; j < N; j++) Y[yRow + j] = (Y[yRow + j] + av * Bz[bRow + j]) | 0;
      }
    }
  }
}

function reduceAxis(out: Tensor, x: Tensor, axis: number, argmax: boolean): void {
  const K = x.shape[axis];
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const s = x.data as unknown as { [i: number]: number | bigint };
  const o = out.data as unknown as { [i: number]: number | bigint };
  for (let p = 0; p < outer; p++)
    for (let q = 0; q < inner; q++) {
      const base = p * K * inner + q;
      let best = s[base];
      let at = 0;
      for (let k = 1; k < K; k++) {
        const v = s[base + k * inner];
        // Strictly greater: ties keep the first index.
        if (v > best) {
          best = v;
          at = k;
        }
      }
      o[p * inner + q] = argmax ? BigInt(at) : best;
    }
}

/** The data must be the dtype's typed array with exactly numel(shape) elements. */
/** Writes the mixed-radix digits of `index` over `dims` (last axis fastest) into `into`. */
function unravel(index: number, dims: readonly number[], into: number[]): void {
  let r = index;
  for (let d = dims.length - 1; d >= 0; d--) {
    into[d] = r % dims[d];
    r = Math.floor(r / dims[d]);
  }
}

/**
 * The flat position inside one input plane of spatial dims `xs` that kernel tap `j` of output
 * position `o` reads (o*stride - begin + j*dilation per axis), or -1 when it lies in the padding.
 */
function windowSource(
  o: readonly number[],
  j: readonly number[],
  strides: readonly number[],
  begins: readonly number[],
  dilations: readonly number[],
  xs: readonly number[],
): number {
  let src = 0;
  let inside = true;
  for (let d = 0; d < xs.length; d++) {
    const p = o[d] * strides[d] - begins[d] + j[d] * dilations[d];
    if (p < 0 || p >= xs[d]) inside = false;
    src = src * xs[d] + p;
  }
  return inside ? src : -1;
}

/**
 * MaxPool over the spatial axes of [N, C, spatial..] (int8/uint8): each output element is the
 * maximum of the window positions that lie inside the input, the dtype minimum if none does.
 */
function maxPool(out: Tensor, x: Tensor, a: NodeAttrs): void {
  const kernel = a.kernel as number[];
  const strides = a.strides as number[];
  const dilations = a.dilations as number[];
  const begins = a.begins as number[];
  const sp = kernel.length;
  const xs = x.shape.slice(2);
  const os = out.shape.slice(2);
  const inPlane = numel(xs);
  const outPlane = numel(os);
  const from = x.data as unknown as ArrayLike<number>;
  const to = out.data as unknown as { [i: number]: number };
  const lowest = out.data instanceof Int8Array ? -128 : 0;
  const windows = numel(kernel);
  const o = new Array<number>(sp).fill(0);
  const j = new Array<number>(sp).fill(0);
  for (let plane = 0; plane < x.shape[0] * x.shape[1]; plane++) {
    for (let e = 0; e < outPlane; e++) {
      unravel(e, os, o);
      let m = lowest;
      for (let w = 0; w < windows; w++) {
        unravel(w, kernel, j);
        const src = windowSource(o, j, strides, begins, dilations, xs);
        if (src >= 0 && from[plane * inPlane + src] > m) m = from[plane * inPlane + src];
      }
      to[plane * outPlane + e] = m;
    }
  }
}

/**
 * ConvInteger: out[n, m, o] = wrap32(sum over the group's channels c and kernel positions j of
 * (x[n, g*Cg + c, o*stride - begin + j*dilation] - azp) * (w[m, c, j] - bzp)), a position in the
 * padding adding 0. Sums stay below 2^53 (at most 2^24 terms of at most 2^16), so doubles are exact.
 */
function convInteger(out: Tensor, x: Tensor, w: Tensor, a: NodeAttrs): void {
  const strides = a.strides as number[];
  const dilations = a.dilations as number[];
  const begins = a.begins as number[];
  const group = a.group ?? 1;
  const azp = Number(a.aZeroPoint ?? 0n);
  const bzp = Number(a.bZeroPoint ?? 0n);
  const xs = x.shape;
  const ws = w.shape;
  const os = out.shape;
  const sp = xs.length - 2;
  const kernel = ws.slice(2);
  const taps = numel(kernel);
  const [M, Cg] = ws;
  const Mg = M / group;
  const xsp = xs.slice(2);
  const osp = os.slice(2);
  const inPlane = numel(xsp);
  const outPlane = numel(osp);
  const xd = x.data as unknown as ArrayLike<number>;
  const wd = w.data as unknown as ArrayLike<number>;
  const to = out.data as Int32Array;
  const o = new Array<number>(sp).fill(0);
  const j = new Array<number>(sp).fill(0);
  for (let nn = 0; nn < xs[0]; nn++)
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      for (let e = 0; e < outPlane; e++) {
        unravel(e, osp, o);
        let acc = 0;
        for (let c = 0; c < Cg; c++) {
          const xPlane = (nn * xs[1] + g * Cg + c) * inPlane;
          const wBase = (m * Cg + c) * taps;
          for (let t = 0; t < taps; t++) {
            unravel(t, kernel, j);
            const src = windowSource(o, j, strides, begins, dilations, xsp);
            if (src >= 0) acc += (xd[xPlane + src] - azp) * (wd[wBase + t] - bzp);
          }
        }
        to[(nn * M + m) * outPlane + e] = Number(BigInt.asIntN(32, BigInt(acc)));
      }
    }
}

function checkTensorData(op: OpName, slot: number, t: Tensor): void {
  if (!t || typeof t !== "object" || !Array.isArray(t.shape))
    throw new TypeError(`${op}: input ${slot} is not a tensor`);
  const want = TYPED_ARRAY_NAME[t.dtype];
  if (!want) throw new TypeError(`${op}: input ${slot} has dtype code ${t.dtype}, not a profile dtype`);
  if (!t.data || t.data.constructor.name !== want)
    throw new TypeError(`${op}: input ${slot} data must be a ${want}`);
  if (t.data.length !== numel(t.shape))
    throw new RangeError(
      `${op}: input ${slot} has ${t.data.length} elements, shape [${t.shape.join(",")}] needs ${numel(t.shape)}`,
    );
}

/**
 * Evaluates one canonical op on whole tensors. `attrs` are completed by checkNode (defaults,
 * negative axes), so callers may pass partial attributes.
 */
export function evalNode(op: OpName, inputs: readonly Tensor[], attrs: NodeAttrs = {}): Tensor[] {
  for (let i = 0; i < inputs.length; i++) checkTensorData(op, i, inputs[i]);
  const checked = checkNode(op, inputs, attrs);
  const a = checked.attrs;
  const out = allocTensor(checked.outputs[0].dtype, checked.outputs[0].shape);
  const x = inputs[0];
  switch (op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Max":
    case "Min":
      elementwise(op, out, inputs, NUM[op], BIG[op]);
      break;
    case "Div":
      elementwise(op, out, inputs, divNum(x.dtype === DType.int32), divBig);
      break;
    case "Relu":
      unary(
        out,
        x,
        (v) => (v > 0 ? v : 0),
        (v) => (v > 0n ? v : 0n),
      );
      break;
    // The typed-array store wraps |min| and -min back to min, as ORT does.
    case "Abs":
      unary(
        out,
        x,
        (v) => (v < 0 ? -v : v),
        (v) => (v < 0n ? -v : v),
      );
      break;
    case "Neg":
      unary(
        out,
        x,
        (v) => -v,
        (v) => -v,
      );
      break;
    case "Clip": {
      const lo = a.min as bigint;
      const hi = a.max as bigint;
      const nlo = Number(lo);
      const nhi = Number(hi);
      // min(max(x, lo), hi): with lo > hi every element becomes hi, as in ONNX and ORT.
      unary(
        out,
        x,
        (v) => Math.min(Math.max(v, nlo), nhi),
        (v) => {
          const t = v < lo ? lo : v;
          return t > hi ? hi : t;
        },
      );
      break;
    }
    case "Cast":
      cast(out, x);
      break;
    case "Gather":
      gather(out, x, inputs[1], a.axis as number);
      break;
    case "Reshape":
      (out.data as unknown as { set(s: TensorData): void }).set(x.data);
      break;
    case "Transpose":
      transpose(out, x, a.perm as number[]);
      break;
    case "Slice":
      strided(out, x, a.starts as number[], a.steps as number[]);
      break;
    case "Pad": {
      // Fill with the constant, then copy every output element whose source lies in the input.
      const begins = a.begins as number[];
      const xs = x.shape;
      const os = out.shape;
      const str = strides(xs);
      const from = x.data as unknown as { [i: number]: number | bigint };
      const to = out.data as unknown as { [i: number]: number | bigint };
      const fill = out.data instanceof BigInt64Array ? (a.value as bigint) : Number(a.value);
      const ctr = new Array<number>(os.length).fill(0);
      for (let e = 0; e < out.data.length; e++) {
        let src = 0;
        let inside = true;
        for (let d = 0; d < os.length; d++) {
          const c = ctr[d] - begins[d];
          if (c < 0 || c >= xs[d]) inside = false;
          src += c * str[d];
        }
        to[e] = inside ? from[src] : fill;
        for (let d = os.length - 1; d >= 0; d--) {
          if (++ctr[d] < os[d]) break;
          ctr[d] = 0;
        }
      }
      break;
    }
    case "Tile": {
      // Output element o reads input o mod dim on every axis.
      const xs = x.shape;
      const os = out.shape;
      const str = strides(xs);
      const from = x.data as unknown as { [i: number]: number | bigint };
      const to = out.data as unknown as { [i: number]: number | bigint };
      const ctr = new Array<number>(os.length).fill(0);
      for (let e = 0; e < out.data.length; e++) {
        let src = 0;
        for (let d = 0; d < os.length; d++) src += (ctr[d] % xs[d]) * str[d];
        to[e] = from[src];
        for (let d = os.length - 1; d >= 0; d--) {
          if (++ctr[d] < os[d]) break;
          ctr[d] = 0;
        }
      }
      break;
    }
    case "Concat": {
      // Row by row of the outer dims: each input contributes dim_k * inner consecutive elements.
      const axis = a.axis as number;
      const outer = numel(out.shape.slice(0, axis));
      const inner = numel(out.shape.slice(axis + 1));
      const dst = out.data as TensorData & { set(s: TensorData, off: number): void };
      let pos = 0;
      for (let o = 0; o < outer; o++)
        for (const t of inputs) {
          const block = t.shape[axis] * inner;
          const src = t.data as TensorData & { subarray(a: number, b: number): TensorData };
          dst.set(src.subarray(o * block, (o + 1) * block), pos);
          pos += block;
        }
      break;
    }
    case "MatMulInteger":
      matMulInteger(out, x, inputs[1], Number(a.aZeroPoint), Number(a.bZeroPoint));
      break;
    case "MaxPool":
      maxPool(out, x, a);
      break;
    case "ConvInteger":
      convInteger(out, x, inputs[1], a);
      break;
    case "ReduceMax":
    case "ArgMax":
      reduceAxis(out, x, a.axis as number, op === "ArgMax");
      break;
  }
  return [out];
}
