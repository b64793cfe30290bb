/**
 * The deterministic integer profile, op by op (normative text: docs/profile.md).
 *
 * Every ONNX op type the profile accepts has one spec object: its canonical op, its input
 * arity, which inputs must be constant initializers (they are folded into the canonical
 * attributes), its allowed attributes, and an `infer` function that checks dtypes, parses and
 * validates attributes, folds constants, infers the output dtype and static shape and applies the
 * interval transfer function, rejecting every run-time hazard (Div by a possible 0, INT_MIN / -1,
 * out-of-range Gather indices). `inferNode` is the one entry point the validator and the
 * reference interpreter use.
 */
import { concatBytes, i64be, u8 } from "../../protocol/bytes.ts";
import { DTYPES, DType, type DTypeCode, dtypeByCode, isProfileDType, numel } from "../../protocol/dtype.ts";
import type { IrAttr, TensorData } from "../onnx/ir.ts";
import {
  bigMax,
  bigMin,
  contains,
  divInterval,
  formatInterval,
  hull,
  type Interval,
  mulInterval,
  wrapInterval,
} from "./interval.ts";
import { OpCode, type OpName } from "./opcodes.ts";
import { broadcastShapes } from "./shape.ts";

/** What inference knows about one node input. `constant` is set for graph initializers. */
export interface InferInput {
  name: string;
  /** ONNX dtype code; may be outside the profile (the op then rejects it by name). */
  dtype: number;
  shape: readonly number[];
  interval: Interval;
  constant: TensorData | null;
}

export interface InferOutput {
  dtype: DTypeCode;
  shape: number[];
  interval: Interval;
}

/**
 * Canonical attributes per op. Field names match the reference interpreter's `NodeAttrs`.
 * Clip bounds, Reshape target, zero points and reduction axes are folded here from constant
 * inputs or attributes; axes are non-negative.
 */
export interface OpAttrsMap {
  Add: Record<string, never>;
  Sub: Record<string, never>;
  Mul: Record<string, never>;
  Div: Record<string, never>;
  Max: Record<string, never>;
  Min: Record<string, never>;
  Relu: Record<string, never>;
  Abs: Record<string, never>;
  Concat: { axis: number };
  /** The output shape; every output dim is a multiple of the input's. */
  Tile: { shape: number[] };
  /**
   * Constant padding: output coordinate o reads input o - begins (per axis) when that lies in
   * the input, else `value`. Negative begins crop. `shape` is the output shape.
   */
  Pad: { begins: number[]; value: bigint; shape: number[] };
  /**
   * Max pooling over the spatial axes (2..r-1) of [N, C, spatial..]: output element o is the
   * maximum of input [n, c, o_i * strides_i - begins_i + j_i * dilations_i] over the kernel
   * positions j that lie inside the input (a fold over the kernel positions, row-major).
   * `shape` is the output shape (it carries the pad ends).
   */
  MaxPool: { kernel: number[]; strides: number[]; dilations: number[]; begins: number[]; shape: number[] };
  /**
   * Integer convolution over the spatial axes of X [N, C, spatial..] with W [M, C / group,
   * kernel..]: a fold over (input channel of the group, kernel position), row-major, of
   * (x - aZeroPoint) * (w - bZeroPoint) wrapped to int32; a position in the padding adds 0 (ONNX
   * pads X with its zero point). `shape` is the output shape (it carries the pad ends).
   */
  ConvInteger: {
    aZeroPoint: bigint;
    bZeroPoint: bigint;
    group: number;
    strides: number[];
    dilations: number[];
    begins: number[];
    shape: number[];
  };
  Neg: Record<string, never>;
  Clip: { min: bigint; max: bigint };
  Cast: { to: DTypeCode };
  Gather: { axis: number };
  Reshape: { shape: number[] };
  Transpose: { perm: number[] };
  MatMulInteger: { aZeroPoint: bigint; bZeroPoint: bigint };
  ReduceMax: { axis: number; keepdims: boolean };
  ArgMax: { axis: number; keepdims: boolean };
  /**
   * Strided view: output axis d reads input coordinate starts[d] + steps[d] * o[d] on the input
   * axis right-aligned with it; output axes left of the input's rank (Expand) have start 0 and
   * step 0. `shape` is the output shape.
   */
  Slice: { starts: number[]; steps: number[]; shape: number[] };
}
export type CanonicalAttrs = OpAttrsMap[OpName];

/** A node after inference: canonical op and attributes, which inputs stay data inputs, output. */
export type InferredNode = {
  [K in OpName]: {
    op: K;
    attrs: OpAttrsMap[K];
    /** Positions (in the ONNX node's input list) of the inputs that remain data inputs. */
    dataInputs: number[];
    output: InferOutput;
  };
}[OpName];

/** `subject` names the dtype, attribute or input at fault; `why` says what is wrong. */
export type InferResult = { ok: true; node: InferredNode } | { ok: false; subject: string; why: string };

/** Thrown inside an op's `infer`; `inferNode` turns it into a failed InferResult. */
export class OpReject extends Error {
  readonly subject: string;
  readonly why: string;
  constructor(subject: string, why: string) {
    super(`${subject}: ${why}`);
    this.subject = subject;
    this.why = why;
  }
}

const ONNX_DTYPE_NAMES: Record<number, string> = {
  0: "undefined",
  1: "float",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  21: "uint4",
  22: "int4",
  23: "float4e2m1",
};

/** Name of any ONNX dtype code, for messages. */
export function dtypeName(code: number): string {
  return ONNX_DTYPE_NAMES[code] ?? `dtype#${code}`;
}

export function typeString(dtype: number, shape: readonly number[]): string {
  return `${dtypeName(dtype)}[${shape.join(",")}]`;
}

const I8 = DType.int8;
const U8 = DType.uint8;
const I32 = DType.int32;
const I64 = DType.int64;
/** Element types of arithmetic and comparison ops (int64 only carries shapes and indices). */
const ARITH: readonly DTypeCode[] = [I8, U8, I32];
/**
 * Ops that wrap exactly on int64 in ORT 1.30 CPU (Add, Sub, Mul, Abs, Neg; measured on edge
 * values): index arithmetic (position ids, offsets) may stay in int64. Comparisons (Max, Min,
 * Clip, ReduceMax) stay out: ORT orders some int64 pairs wrongly.
 */
const WRAP_ARITH: readonly DTypeCode[] = [I8, U8, I32, I64];
const ALL: readonly DTypeCode[] = [I8, U8, I32, I64];
const INDEX: readonly DTypeCode[] = [I32, I64];
const each = (ds: readonly DTypeCode[], n = 1) => ds.map((d) => Array<DTypeCode>(n).fill(d));
const cross = (a: readonly DTypeCode[], b: readonly DTypeCode[]) => a.flatMap((x) => b.map((y) => [x, y]));

/** Default-domain opsets the profile reads, each op with its version's semantics. */
export const MIN_PROFILE_OPSET = 13;
export const MAX_PROFILE_OPSET = 21;
/** The opset the model builder writes (and inferNode's default). */
export const BUILDER_OPSET = 17;

interface Ctx {
  onnxOp: string;
  /** The model's default-domain opset (MIN_PROFILE_OPSET..MAX_PROFILE_OPSET). */
  opset: number;
  inputs: readonly (InferInput | null)[];
  attrs: Readonly<Record<string, IrAttr>>;
}

/** Spec of one accepted ONNX op type. */
export interface OnnxOpSpec {
  onnxOp: string;
  canonical: OpName;
  /** Input names as in the ONNX schema; entries from `minInputs` on are optional. */
  inputNames: readonly string[];
  /** Variadic ops (Concat): up to this many inputs, all named by `inputNames[0]`. */
  maxInputs?: number;
  minInputs: number;
  /** Inputs that must be constant initializers; they are folded into the attributes. */
  constInputs: readonly number[];
  /** Attribute names the op accepts (anything else is rejected). */
  attrs: readonly string[];
  /** Allowed dtypes in words, for docs. */
  dtypes: string;
  /**
   * Every allowed combination of dtypes of the inputs that stay data inputs, in input order
   * (machine-readable form of `dtypes`; the ORT kernel-matrix test runs each of them).
   */
  dataDtypes: readonly (readonly DTypeCode[])[];
  infer(ctx: Ctx): InferredNode;
}

// ---------------------------------------------------------------------------------------------
// helpers

function input(ctx: Ctx, k: number): InferInput {
  const x = ctx.inputs[k];
  if (!x) throw new OpReject(`input ${k}`, "missing");
  return x;
}

function describe(x: InferInput): string {
  return `'${x.name}' ${dtypeName(x.dtype)}`;
}

function requireDtype(ctx: Ctx, k: number, allowed: readonly DTypeCode[], role?: string): DTypeCode {
  const x = input(ctx, k);
  if (!(allowed as readonly number[]).includes(x.dtype)) {
    const names = allowed.map((d) => dtypeByCode(d).name).join(", ");
    const outside = isProfileDType(x.dtype) ? "" : "outside the integer profile; ";
    throw new OpReject(`${role ?? `input ${k}`} ${describe(x)}`, `${outside}${ctx.onnxOp} takes ${names}`);
  }
  return x.dtype as DTypeCode;
}

/**
 * Rejects an op, attribute or input the model's opset does not define for this op (ORT refuses
 * such a model: "Type Error ... is invalid" or "Unrecognized attribute", measured on 1.30).
 */
function requireOpset(ctx: Ctx, since: number, subject: string, what: string): void {
  if (ctx.opset < since)
    throw new OpReject(subject, `${what} needs opset >= ${since} (the model imports opset ${ctx.opset})`);
}

function sameDtype(ctx: Ctx, ks: readonly number[]): DTypeCode {
  const first = input(ctx, ks[0]);
  for (const k of ks.slice(1)) {
    const x = input(ctx, k);
    if (x.dtype !== first.dtype)
      throw new OpReject(
        `inputs ${describe(first)}, ${describe(x)}`,
        `${ctx.onnxOp} needs one dtype for all inputs`,
      );
  }
  return first.dtype as DTypeCode;
}

function requireConst(ctx: Ctx, k: number, role: string, what: string): TensorData {
  const x = input(ctx, k);
  if (!x.constant) throw new OpReject(`${role} '${x.name}'`, `must be a constant initializer (${what})`);
  return x.constant;
}

function constScalar(ctx: Ctx, k: number, role: string, dtype: DTypeCode, allowVector1: boolean): bigint {
  const x = input(ctx, k);
  const data = requireConst(ctx, k, role, "constant scalar");
  if (x.dtype !== dtype)
    throw new OpReject(`${role} ${describe(x)}`, `must have the operand dtype ${dtypeName(dtype)}`);
  const okShape = x.shape.length === 0 || (allowVector1 && x.shape.length === 1 && x.shape[0] === 1);
  if (!okShape)
    throw new OpReject(
      `${role} '${x.name}' ${typeString(x.dtype, x.shape)}`,
      allowVector1 ? "must be a scalar (or a 1-element vector)" : "must be a scalar",
    );
  const v = data[0];
  return typeof v === "bigint" ? v : BigInt(v);
}

/** A constant 1-D int64 initializer read as numbers (Reshape shape, Squeeze/Unsqueeze axes). */
function constInt64Vector(ctx: Ctx, k: number, role: string): number[] {
  const x = input(ctx, k);
  const data = requireConst(ctx, k, role, `${ctx.onnxOp} ${role} is resolved at validation time`);
  if (x.dtype !== I64 || x.shape.length !== 1)
    throw new OpReject(`${role} '${x.name}' ${typeString(x.dtype, x.shape)}`, "must be a 1-D int64 tensor");
  return Array.from(data as BigInt64Array, (v) => {
    if (v > 2n ** 40n || v < -(2n ** 40n))
      throw new OpReject(`${role} '${x.name}'`, `entry ${v} out of range`);
    return Number(v);
  });
}

function intAttr(ctx: Ctx, name: string, dflt: number): number {
  const a = ctx.attrs[name];
  if (a === undefined) return dflt;
  if (a.type !== "int") throw new OpReject(`attr ${name}`, `must be an int, got ${a.type}`);
  if (a.value > 2n ** 40n || a.value < -(2n ** 40n))
    throw new OpReject(`attr ${name}=${a.value}`, "out of range");
  return Number(a.value);
}

function intsAttr(ctx: Ctx, name: string): number[] | undefined {
  const a = ctx.attrs[name];
  if (a === undefined) return undefined;
  if (a.type !== "ints") throw new OpReject(`attr ${name}`, `must be a list of ints, got ${a.type}`);
  return a.value.map((v) => {
    if (v > 2n ** 40n || v < -(2n ** 40n)) throw new OpReject(`attr ${name}`, `entry ${v} out of range`);
    return Number(v);
  });
}

function boolAttr(ctx: Ctx, name: string, dflt: boolean): boolean {
  const v = intAttr(ctx, name, dflt ? 1 : 0);
  if (v !== 0 && v !== 1) throw new OpReject(`attr ${name}=${v}`, "must be 0 or 1");
  return v === 1;
}

function normAxis(axis: number, rank: number, subject: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw new OpReject(subject, `out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

function broadcast(ctx: Ctx, a: InferInput, b: InferInput): number[] {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    throw new OpReject(
      `shapes ${typeString(a.dtype, a.shape)}, ${typeString(b.dtype, b.shape)}`,
      `do not broadcast (${ctx.onnxOp} uses numpy broadcasting)`,
    );
  return shape;
}

const NO_ATTRS: Record<string, never> = {};

// ---------------------------------------------------------------------------------------------
// interval transfer functions of the element-wise binary ops

function addI(a: Interval, b: Interval): Interval {
  return { lo: a.lo + b.lo, hi: a.hi + b.hi };
}
function subI(a: Interval, b: Interval): Interval {
  return { lo: a.lo - b.hi, hi: a.hi - b.lo };
}
function maxI(a: Interval, b: Interval): Interval {
  return { lo: bigMax(a.lo, b.lo), hi: bigMax(a.hi, b.hi) };
}
function minI(a: Interval, b: Interval): Interval {
  return { lo: bigMin(a.lo, b.lo), hi: bigMin(a.hi, b.hi) };
}

function wrappingBinary(op: "Add" | "Sub" | "Mul", f: (a: Interval, b: Interval) => Interval): OnnxOpSpec {
  return {
    onnxOp: op,
    canonical: op,
    inputNames: ["A", "B"],
    minInputs: 2,
    constInputs: [],
    attrs: [],
    dtypes: "int8, uint8, int32, int64 (both inputs the same); int8 and uint8 from opset 14",
    dataDtypes: each(WRAP_ARITH, 2),
    infer(ctx) {
      requireDtype(ctx, 0, WRAP_ARITH);
      requireDtype(ctx, 1, WRAP_ARITH);
      const dtype = sameDtype(ctx, [0, 1]);
      // Add/Sub/Mul-13 have no 8-bit types; version 14 added int8 and uint8.
      if (dtype === I8 || dtype === U8)
        requireOpset(ctx, 14, `${dtypeName(dtype)} ${op}`, `${op} on ${dtypeName(dtype)}`);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      const shape = broadcast(ctx, a, b);
      const iv = wrapInterval(f(a.interval, b.interval), dtypeByCode(dtype));
      return { op, attrs: NO_ATTRS, dataInputs: [0, 1], output: { dtype, shape, interval: iv } };
    },
  };
}

function minMax(op: "Max" | "Min", f: (a: Interval, b: Interval) => Interval): OnnxOpSpec {
  return {
    onnxOp: op,
    canonical: op,
    inputNames: ["data_0", "data_1"],
    minInputs: 2,
    constInputs: [],
    attrs: [],
    dtypes: "int8, uint8, int32 (exactly two inputs of one dtype)",
    dataDtypes: each(ARITH, 2),
    infer(ctx) {
      requireDtype(ctx, 0, ARITH);
      requireDtype(ctx, 1, ARITH);
      const dtype = sameDtype(ctx, [0, 1]);
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      const shape = broadcast(ctx, a, b);
      return {
        op,
        attrs: NO_ATTRS,
        dataInputs: [0, 1],
        output: { dtype, shape, interval: f(a.interval, b.interval) },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the ops

const Div: OnnxOpSpec = {
  onnxOp: "Div",
  canonical: "Div",
  inputNames: ["A", "B"],
  minInputs: 2,
  constInputs: [],
  attrs: [],
  dtypes: "int32",
  dataDtypes: [[I32, I32]],
  infer(ctx) {
    requireDtype(ctx, 0, [I32]);
    requireDtype(ctx, 1, [I32]);
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const shape = broadcast(ctx, a, b);
    const d = DTYPES.int32;
    // A constant divisor is checked element by element (its hull may straddle 0 without
    // containing it); any other divisor through its interval.
    const bc = b.constant;
    const has = (v: bigint) => (bc ? (bc as Int32Array).includes(Number(v)) : contains(b.interval, v));
    const divisor = `divisor ${describe(b)} ${formatInterval(b.interval)}`;
    if (has(0n))
      throw new OpReject(
        divisor,
        bc
          ? "constant contains 0 (division by zero is a run error)"
          : "may be 0 (division by zero is a run error); guard it, e.g. Max(divisor, 1)",
      );
    if (has(-1n) && contains(a.interval, d.min))
      throw new OpReject(
        divisor,
        `may be -1 while dividend '${a.name}' ${formatInterval(a.interval)} may be ${d.min} (INT_MIN / -1 kills ONNX Runtime with SIGFPE)`,
      );
    // With 0 and INT_MIN / -1 excluded the quotient always fits, so no wrap is possible. The
    // divisor's negative and positive parts are bounded separately (0 itself is excluded).
    // A constant divisor's parts are the exact hulls of its negative and positive elements.
    const parts: Interval[] = [];
    if (bc) {
      const vals = Array.from(bc as Int32Array, (v) => BigInt(v));
      const neg = vals.filter((v) => v < 0n);
      const pos = vals.filter((v) => v > 0n);
      if (neg.length > 0) parts.push(hull(neg));
      if (pos.length > 0) parts.push(hull(pos));
    } else {
      if (b.interval.lo < 0n) parts.push({ lo: b.interval.lo, hi: bigMin(b.interval.hi, -1n) });
      if (b.interval.hi > 0n) parts.push({ lo: bigMax(b.interval.lo, 1n), hi: b.interval.hi });
    }
    const bounds = parts.map((p) => divInterval(a.interval, p));
    const iv = { lo: bounds.map((x) => x.lo).reduce(bigMin), hi: bounds.map((x) => x.hi).reduce(bigMax) };
    return { op: "Div", attrs: NO_ATTRS, dataInputs: [0, 1], output: { dtype: I32, shape, interval: iv } };
  },
};

/**
 * Abs and Neg wrap: ORT computes |INT_MIN| and -INT_MIN as INT_MIN on int8, int32 and int64
 * (measured on 1.30), as two's complement negation does.
 */
function signOp(op: "Abs" | "Neg", dtypes: readonly DTypeCode[]): OnnxOpSpec {
  return {
    onnxOp: op,
    canonical: op,
    inputNames: ["X"],
    minInputs: 1,
    constInputs: [],
    attrs: [],
    dtypes: `${dtypes.map((d) => dtypeByCode(d).name).join(", ")} (wraps: ${op}(min) = min)`,
    dataDtypes: each(dtypes),
    infer(ctx) {
      const dtype = requireDtype(ctx, 0, dtypes);
      const x = input(ctx, 0);
      const { lo, hi } = x.interval;
      const exact =
        op === "Neg"
          ? { lo: -hi, hi: -lo }
          : lo >= 0n
            ? { lo, hi }
            : hi <= 0n
              ? { lo: -hi, hi: -lo }
              : { lo: 0n, hi: bigMax(-lo, hi) };
      const iv = wrapInterval(exact, dtypeByCode(dtype));
      return { op, attrs: NO_ATTRS, dataInputs: [0], output: { dtype, shape: [...x.shape], interval: iv } };
    },
  };
}

const Relu: OnnxOpSpec = {
  onnxOp: "Relu",
  canonical: "Relu",
  inputNames: ["X"],
  minInputs: 1,
  constInputs: [],
  attrs: [],
  dtypes: "int8, int32 (ONNX Runtime has no uint8 or int64 Relu kernel); opset >= 14",
  dataDtypes: each([I8, I32]),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, [I8, I32]);
    // Relu-13 is float-only; Relu-14 added the integer types.
    requireOpset(ctx, 14, "op", `integer Relu (Relu-14)`);
    const x = input(ctx, 0);
    const iv = { lo: bigMax(x.interval.lo, 0n), hi: bigMax(x.interval.hi, 0n) };
    return {
      op: "Relu",
      attrs: NO_ATTRS,
      dataInputs: [0],
      output: { dtype, shape: [...x.shape], interval: iv },
    };
  },
};

const Clip: OnnxOpSpec = {
  onnxOp: "Clip",
  canonical: "Clip",
  inputNames: ["input", "min", "max"],
  minInputs: 1,
  constInputs: [1, 2],
  attrs: [],
  dtypes: "int8, uint8, int32; min and max constant scalars of the same dtype",
  dataDtypes: each(ARITH),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, ARITH);
    const d = dtypeByCode(dtype);
    const x = input(ctx, 0);
    const min = ctx.inputs[1] ? constScalar(ctx, 1, "min", dtype, false) : d.min;
    const max = ctx.inputs[2] ? constScalar(ctx, 2, "max", dtype, false) : d.max;
    // y = min(max(x, lo), hi): when lo > hi every element becomes hi, as ONNX Runtime does.
    const clamp = (v: bigint) => bigMin(bigMax(v, min), max);
    const iv = { lo: clamp(x.interval.lo), hi: clamp(x.interval.hi) };
    return {
      op: "Clip",
      attrs: { min, max },
      dataInputs: [0],
      output: { dtype, shape: [...x.shape], interval: iv },
    };
  },
};

const Cast: OnnxOpSpec = {
  onnxOp: "Cast",
  canonical: "Cast",
  inputNames: ["input"],
  minInputs: 1,
  constInputs: [],
  attrs: ["to", "saturate"],
  dtypes: "int8, uint8, int32, int64 to int8, uint8, int32, int64 (wraps); saturate (opset >= 19) only 1",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL);
    const x = input(ctx, 0);
    if (ctx.attrs.saturate !== undefined) {
      // Cast-19's saturate only concerns float8 targets; ORT 1.30 refuses saturate=0 on any
      // other cast ("Attribute saturate is only used for cast to float 8 types").
      requireOpset(ctx, 19, "attr saturate", "saturate (Cast-19)");
      if (intAttr(ctx, "saturate", 1) !== 1)
        throw new OpReject("attr saturate=0", "ONNX Runtime refuses saturate=0 on integer casts; omit it");
    }
    if (ctx.attrs.to === undefined) throw new OpReject("attr to", "missing");
    const to = intAttr(ctx, "to", 0);
    if (!isProfileDType(to))
      throw new OpReject(`attr to=${to} (${dtypeName(to)})`, "only casts between int8, uint8, int32, int64");
    const iv = wrapInterval(x.interval, dtypeByCode(to));
    return {
      op: "Cast",
      attrs: { to },
      dataInputs: [0],
      output: { dtype: to, shape: [...x.shape], interval: iv },
    };
  },
};

const Gather: OnnxOpSpec = {
  onnxOp: "Gather",
  canonical: "Gather",
  inputNames: ["data", "indices"],
  minInputs: 2,
  constInputs: [],
  attrs: ["axis"],
  dtypes: "data int8, uint8, int32, int64; indices int32, int64",
  dataDtypes: cross(ALL, INDEX),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, ALL, "data");
    requireDtype(ctx, 1, INDEX, "indices");
    const data = input(ctx, 0);
    const idx = input(ctx, 1);
    const r = data.shape.length;
    if (r < 1)
      throw new OpReject(`data '${data.name}' ${typeString(data.dtype, data.shape)}`, "must have rank >= 1");
    const a = intAttr(ctx, "axis", 0);
    const axis = normAxis(a, r, `attr axis=${a}`);
    const dim = BigInt(data.shape[axis]);
    if (idx.interval.lo < -dim || idx.interval.hi > dim - 1n)
      throw new OpReject(
        `indices ${describe(idx)} ${formatInterval(idx.interval)}`,
        `must lie in [${-dim}, ${dim - 1n}] for axis ${axis} of size ${dim} (an out-of-range index is a run error); clip them first or declare the graph input's range`,
      );
    const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
    return {
      op: "Gather",
      attrs: { axis },
      dataInputs: [0, 1],
      output: { dtype, shape, interval: data.interval },
    };
  },
};

function reshapeTo(x: InferInput, shape: number[]): InferredNode {
  return {
    op: "Reshape",
    attrs: { shape },
    dataInputs: [0],
    output: { dtype: x.dtype as DTypeCode, shape: [...shape], interval: x.interval },
  };
}

const Reshape: OnnxOpSpec = {
  onnxOp: "Reshape",
  canonical: "Reshape",
  inputNames: ["data", "shape"],
  minInputs: 2,
  constInputs: [1],
  attrs: ["allowzero"],
  dtypes: "int8, uint8, int32, int64; shape a constant 1-D int64 initializer",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "data");
    const x = input(ctx, 0);
    if (ctx.attrs.allowzero !== undefined) requireOpset(ctx, 14, "attr allowzero", "allowzero (Reshape-14)");
    const allowzero = boolAttr(ctx, "allowzero", false);
    const target = constInt64Vector(ctx, 1, "shape");
    const spec = `shape [${target.join(",")}]`;
    const out: number[] = [];
    let infer = -1;
    for (let i = 0; i < target.length; i++) {
      const t = target[i];
      if (t === -1) {
        if (infer >= 0) throw new OpReject(spec, "more than one -1");
        infer = i;
        out.push(1);
      } else if (t === 0 && !allowzero) {
        if (i >= x.shape.length) throw new OpReject(spec, `0 at position ${i} copies a dim the input lacks`);
        out.push(x.shape[i]);
      } else if (t < 1) {
        throw new OpReject(spec, `dim ${t} at position ${i}: dims must be >= 1`);
      } else out.push(t);
    }
    const n = numel(x.shape);
    if (infer >= 0) {
      const rest = numel(out);
      if (n % rest !== 0) throw new OpReject(spec, `cannot hold the ${n} elements of [${x.shape.join(",")}]`);
      out[infer] = n / rest;
    }
    if (numel(out) !== n) throw new OpReject(spec, `cannot hold the ${n} elements of [${x.shape.join(",")}]`);
    return reshapeTo(x, out);
  },
};

function axesSet(axes: number[], rank: number, subject: string): Set<number> {
  const s = new Set<number>();
  for (const a of axes) {
    const n = normAxis(a, rank, subject);
    if (s.has(n)) throw new OpReject(subject, `axis ${a} repeated`);
    s.add(n);
  }
  return s;
}

const Squeeze: OnnxOpSpec = {
  onnxOp: "Squeeze",
  canonical: "Reshape",
  inputNames: ["data", "axes"],
  minInputs: 1,
  constInputs: [1],
  attrs: [],
  dtypes: "int8, uint8, int32, int64; axes a constant 1-D int64 initializer",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "data");
    const x = input(ctx, 0);
    const r = x.shape.length;
    let drop: Set<number>;
    if (ctx.inputs[1]) {
      const axes = constInt64Vector(ctx, 1, "axes");
      drop = axesSet(axes, r, `axes [${axes.join(",")}]`);
      for (const a of drop)
        if (x.shape[a] !== 1)
          throw new OpReject(`axes [${axes.join(",")}]`, `dim ${a} has size ${x.shape[a]}, not 1`);
    } else {
      drop = new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    }
    return reshapeTo(
      x,
      x.shape.filter((_, i) => !drop.has(i)),
    );
  },
};

const Unsqueeze: OnnxOpSpec = {
  onnxOp: "Unsqueeze",
  canonical: "Reshape",
  inputNames: ["data", "axes"],
  minInputs: 2,
  constInputs: [1],
  attrs: [],
  dtypes: "int8, uint8, int32, int64; axes a constant 1-D int64 initializer",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "data");
    const x = input(ctx, 0);
    const axes = constInt64Vector(ctx, 1, "axes");
    const outRank = x.shape.length + axes.length;
    const add = axesSet(axes, outRank, `axes [${axes.join(",")}]`);
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < outRank; i++) out.push(add.has(i) ? 1 : x.shape[j++]);
    return reshapeTo(x, out);
  },
};

const Flatten: OnnxOpSpec = {
  onnxOp: "Flatten",
  canonical: "Reshape",
  inputNames: ["input"],
  minInputs: 1,
  constInputs: [],
  attrs: ["axis"],
  dtypes: "int8, uint8, int32, int64",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL);
    const x = input(ctx, 0);
    const r = x.shape.length;
    const a = intAttr(ctx, "axis", 1);
    if (a < -r || a > r)
      throw new OpReject(`attr axis=${a}`, `out of range for rank ${r} (allowed ${-r}..${r})`);
    const axis = a < 0 ? a + r : a;
    return reshapeTo(x, [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))]);
  },
};

const Identity: OnnxOpSpec = {
  onnxOp: "Identity",
  canonical: "Reshape",
  inputNames: ["input"],
  minInputs: 1,
  constInputs: [],
  attrs: [],
  dtypes: "int8, uint8, int32, int64",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL);
    const x = input(ctx, 0);
    return reshapeTo(x, [...x.shape]);
  },
};

const Transpose: OnnxOpSpec = {
  onnxOp: "Transpose",
  canonical: "Transpose",
  inputNames: ["data"],
  minInputs: 1,
  constInputs: [],
  attrs: ["perm"],
  dtypes: "int8, uint8, int32, int64",
  dataDtypes: each(ALL),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, ALL);
    const x = input(ctx, 0);
    const r = x.shape.length;
    const perm = intsAttr(ctx, "perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    const seen = new Set(perm);
    if (perm.length !== r || seen.size !== r || perm.some((p) => p < 0 || p >= r))
      throw new OpReject(`attr perm=[${perm.join(",")}]`, `is not a permutation of 0..${r - 1}`);
    const shape = perm.map((p) => x.shape[p]);
    return {
      op: "Transpose",
      attrs: { perm },
      dataInputs: [0],
      output: { dtype, shape, interval: x.interval },
    };
  },
};

const MatMulInteger: OnnxOpSpec = {
  onnxOp: "MatMulInteger",
  canonical: "MatMulInteger",
  inputNames: ["A", "B", "a_zero_point", "b_zero_point"],
  minInputs: 2,
  constInputs: [2, 3],
  attrs: [],
  dtypes: "int8 x int8 or uint8 x uint8 (never mixed); zero points constant scalars of the operand dtype",
  dataDtypes: each([I8, U8], 2),
  infer(ctx) {
    const da = requireDtype(ctx, 0, [I8, U8], "A");
    const db = requireDtype(ctx, 1, [I8, U8], "B");
    if (da !== db)
      throw new OpReject(
        `A ${dtypeName(da)} x B ${dtypeName(db)}`,
        "mixed uint8/int8 MatMulInteger may saturate on CPUs without VNNI; use int8 x int8 or uint8 x uint8",
      );
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const ta = `A ${typeString(a.dtype, a.shape)}`;
    const tb = `B ${typeString(b.dtype, b.shape)}`;
    if (ra < 2) throw new OpReject(ta, "must have rank >= 2");
    if (rb !== 2 && rb !== ra) throw new OpReject(tb, `must have rank 2 or the rank of A (${ra})`);
    if (rb === ra && a.shape.slice(0, ra - 2).some((d, i) => d !== b.shape[i]))
      throw new OpReject(`${ta}, ${tb}`, "batch dims differ (no broadcasting)");
    const k = a.shape[ra - 1];
    if (k !== b.shape[rb - 2]) throw new OpReject(`${ta}, ${tb}`, "inner dims differ");
    const aZeroPoint = ctx.inputs[2] ? constScalar(ctx, 2, "a_zero_point", da, true) : 0n;
    const bZeroPoint = ctx.inputs[3] ? constScalar(ctx, 3, "b_zero_point", db, true) : 0n;
    const shape = [...a.shape.slice(0, ra - 1), b.shape[rb - 1]];
    const term = mulInterval(
      { lo: a.interval.lo - aZeroPoint, hi: a.interval.hi - aZeroPoint },
      { lo: b.interval.lo - bZeroPoint, hi: b.interval.hi - bZeroPoint },
    );
    const K = BigInt(k);
    const iv = wrapInterval({ lo: term.lo * K, hi: term.hi * K }, DTYPES.int32);
    return {
      op: "MatMulInteger",
      attrs: { aZeroPoint, bZeroPoint },
      dataInputs: [0, 1],
      output: { dtype: I32, shape, interval: iv },
    };
  },
};

function singleAxisReduction(x: InferInput, axis: number, keepdims: boolean): number[] {
  return keepdims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
}

const ReduceMax: OnnxOpSpec = {
  onnxOp: "ReduceMax",
  canonical: "ReduceMax",
  inputNames: ["data", "axes"],
  minInputs: 1,
  constInputs: [1],
  attrs: ["axes", "keepdims", "noop_with_empty_axes"],
  dtypes:
    "int8, uint8, int32; exactly one axis: the axes attribute up to opset 17, a constant 1-D int64 axes input from opset 18",
  dataDtypes: each(ARITH),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, ARITH);
    const x = input(ctx, 0);
    const r = x.shape.length;
    // ReduceMax-18 moved axes from an attribute to an optional input (and added
    // noop_with_empty_axes, irrelevant with exactly one axis); ORT refuses the other form.
    let axes: number[] | undefined;
    if (ctx.opset >= 18) {
      if (ctx.attrs.axes !== undefined)
        throw new OpReject(
          "attr axes",
          `ReduceMax-18 takes axes as an input (the model imports opset ${ctx.opset})`,
        );
      if (ctx.inputs[1]) axes = constInt64Vector(ctx, 1, "axes");
      boolAttr(ctx, "noop_with_empty_axes", false);
    } else {
      if (ctx.inputs[1])
        throw new OpReject(
          `input 1 '${ctx.inputs[1].name}'`,
          `axes as an input needs opset >= 18 (the model imports opset ${ctx.opset})`,
        );
      if (ctx.attrs.noop_with_empty_axes !== undefined)
        requireOpset(ctx, 18, "attr noop_with_empty_axes", "noop_with_empty_axes (ReduceMax-18)");
      axes = intsAttr(ctx, "axes");
    }
    if (axes?.length !== 1)
      throw new OpReject(
        `attr axes=${axes ? `[${axes.join(",")}]` : "(all)"}`,
        "the profile reduces exactly one axis per node",
      );
    const axis = normAxis(axes[0], r, `attr axes=[${axes[0]}]`);
    const keepdims = boolAttr(ctx, "keepdims", true);
    const shape = singleAxisReduction(x, axis, keepdims);
    return {
      op: "ReduceMax",
      attrs: { axis, keepdims },
      dataInputs: [0],
      output: { dtype, shape, interval: x.interval },
    };
  },
};

const ArgMax: OnnxOpSpec = {
  onnxOp: "ArgMax",
  canonical: "ArgMax",
  inputNames: ["data"],
  minInputs: 1,
  constInputs: [],
  attrs: ["axis", "keepdims", "select_last_index"],
  dtypes: "int8, uint8, int32 in, int64 out; select_last_index 0",
  dataDtypes: each(ARITH),
  infer(ctx) {
    requireDtype(ctx, 0, ARITH);
    const x = input(ctx, 0);
    const r = x.shape.length;
    if (r < 1) throw new OpReject(`data '${x.name}' ${typeString(x.dtype, x.shape)}`, "must have rank >= 1");
    const a = intAttr(ctx, "axis", 0);
    const axis = normAxis(a, r, `attr axis=${a}`);
    const keepdims = boolAttr(ctx, "keepdims", true);
    if (boolAttr(ctx, "select_last_index", false))
      throw new OpReject("attr select_last_index=1", "only 0 (ties go to the first index) is in the profile");
    const shape = singleAxisReduction(x, axis, keepdims);
    const iv = { lo: 0n, hi: BigInt(x.shape[axis] - 1) };
    return {
      op: "ArgMax",
      attrs: { axis, keepdims },
      dataInputs: [0],
      output: { dtype: I64, shape, interval: iv },
    };
  },
};

/** A 1-D int32 or int64 constant initializer read as bigints (Slice starts/ends/axes/steps). */
function constIndexVector(ctx: Ctx, k: number, role: string): bigint[] {
  const x = input(ctx, k);
  const data = requireConst(ctx, k, role, `${ctx.onnxOp} ${role} is resolved at validation time`);
  if ((x.dtype !== I64 && x.dtype !== I32) || x.shape.length !== 1)
    throw new OpReject(
      `${role} '${x.name}' ${typeString(x.dtype, x.shape)}`,
      "must be a 1-D int32 or int64 tensor",
    );
  return Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v));
}

const clampBig = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);

function sliceTo(x: InferInput, starts: number[], steps: number[], shape: number[]): InferredNode {
  return {
    op: "Slice",
    attrs: { starts, steps, shape },
    dataInputs: [0],
    output: { dtype: x.dtype as DTypeCode, shape: [...shape], interval: x.interval },
  };
}

const Slice: OnnxOpSpec = {
  onnxOp: "Slice",
  canonical: "Slice",
  inputNames: ["data", "starts", "ends", "axes", "steps"],
  minInputs: 3,
  constInputs: [1, 2, 3, 4],
  attrs: [],
  dtypes: "int8, uint8, int32, int64; starts, ends, axes, steps constant 1-D int32/int64 initializers",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "data");
    const x = input(ctx, 0);
    const r = x.shape.length;
    if (r < 1) throw new OpReject(`data '${x.name}' ${typeString(x.dtype, x.shape)}`, "must have rank >= 1");
    const starts = constIndexVector(ctx, 1, "starts");
    const ends = constIndexVector(ctx, 2, "ends");
    const n = starts.length;
    const axes = ctx.inputs[3] ? constIndexVector(ctx, 3, "axes") : starts.map((_, i) => BigInt(i));
    const steps = ctx.inputs[4] ? constIndexVector(ctx, 4, "steps") : starts.map(() => 1n);
    if (ends.length !== n || axes.length !== n || steps.length !== n)
      throw new OpReject("starts, ends, axes, steps", "must have the same length");
    const st = x.shape.map(() => 0);
    const sp = x.shape.map(() => 1);
    const shape = [...x.shape];
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const a = Number(axes[i]);
      if (axes[i] < BigInt(-r) || axes[i] >= BigInt(r))
        throw new OpReject(`axes[${i}]=${axes[i]}`, `out of range for rank ${r}`);
      const axis = a < 0 ? a + r : a;
      if (seen.has(axis)) throw new OpReject(`axes[${i}]=${axes[i]}`, "repeated");
      seen.add(axis);
      const step = steps[i];
      if (step === 0n) throw new OpReject(`steps[${i}]=0`, "a step must not be 0");
      // ONNX Slice-13: negative start/end count from the end; then clamp to [0, dim] for a
      // positive step and to [0, dim-1] / [-1, dim-1] for a negative one.
      const dim = BigInt(x.shape[axis]);
      let s = starts[i] < 0n ? starts[i] + dim : starts[i];
      let e = ends[i] < 0n ? ends[i] + dim : ends[i];
      if (step > 0n) {
        s = clampBig(s, 0n, dim);
        e = clampBig(e, 0n, dim);
      } else {
        s = clampBig(s, 0n, dim - 1n);
        e = clampBig(e, -1n, dim - 1n);
      }
      const len = step > 0n ? (e - s + step - 1n) / step : (s - e - step - 1n) / -step;
      if (len < 1n)
        throw new OpReject(
          `axis ${axis}: start ${starts[i]}, end ${ends[i]}, step ${step}`,
          `selects no element of dim ${dim} (empty tensors are outside the profile)`,
        );
      // One element taken: the step is irrelevant, so the canonical step is 1 (this also keeps
      // a huge step out of the attribute bytes).
      sp[axis] = len === 1n ? 1 : Number(step);
      st[axis] = Number(s);
      shape[axis] = Number(len);
    }
    return sliceTo(x, st, sp, shape);
  },
};

const Expand: OnnxOpSpec = {
  onnxOp: "Expand",
  canonical: "Slice",
  inputNames: ["input", "shape"],
  minInputs: 2,
  constInputs: [1],
  attrs: [],
  dtypes: "int8, uint8, int32, int64; shape a constant 1-D int64 initializer",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "input");
    const x = input(ctx, 0);
    const target = constInt64Vector(ctx, 1, "shape");
    // Expand broadcasts the input and the shape both ways (numpy rules): a 1 in `shape` keeps
    // the input's dim.
    const shape = broadcastShapes(x.shape, target);
    if (!shape || target.some((d) => d < 1))
      throw new OpReject(
        `shape [${target.join(",")}]`,
        `does not broadcast with ${typeString(x.dtype, x.shape)} (dims must be >= 1)`,
      );
    const off = shape.length - x.shape.length;
    const starts = shape.map(() => 0);
    const steps = shape.map((_, d) => (d < off || x.shape[d - off] === 1 ? 0 : 1));
    return sliceTo(x, starts, steps, shape);
  },
};

/**
 * The most inputs of one Concat node: the one-step proof binds every data input of the node to
 * its root (a Merkle proof each), so its gas grows with the input count.
 */
export const MAX_CONCAT_INPUTS = 8;

const Concat: OnnxOpSpec = {
  onnxOp: "Concat",
  canonical: "Concat",
  inputNames: ["inputs"],
  maxInputs: MAX_CONCAT_INPUTS,
  minInputs: 1,
  constInputs: [],
  attrs: ["axis"],
  dtypes: `int8, uint8, int32, int64 (one dtype); 1..${MAX_CONCAT_INPUTS} inputs; axis required`,
  dataDtypes: each(ALL),
  infer(ctx) {
    const ks = ctx.inputs.map((_, k) => k);
    for (const k of ks) requireDtype(ctx, k, ALL);
    const dtype = sameDtype(ctx, ks);
    const first = input(ctx, 0);
    const r = first.shape.length;
    if (r < 1) throw new OpReject(`input 0 ${describe(first)}`, "must have rank >= 1");
    if (ctx.attrs.axis === undefined) throw new OpReject("attr axis", "missing (required by Concat)");
    const a = intAttr(ctx, "axis", 0);
    const axis = normAxis(a, r, `attr axis=${a}`);
    const shape = [...first.shape];
    let lo = first.interval.lo;
    let hi = first.interval.hi;
    for (const k of ks.slice(1)) {
      const x = input(ctx, k);
      if (x.shape.length !== r || x.shape.some((d, i) => i !== axis && d !== first.shape[i]))
        throw new OpReject(
          `inputs ${typeString(first.dtype, first.shape)}, ${typeString(x.dtype, x.shape)}`,
          `must agree on every dim but axis ${axis}`,
        );
      shape[axis] += x.shape[axis];
      lo = bigMin(lo, x.interval.lo);
      hi = bigMax(hi, x.interval.hi);
    }
    return { op: "Concat", attrs: { axis }, dataInputs: ks, output: { dtype, shape, interval: { lo, hi } } };
  },
};

const Tile: OnnxOpSpec = {
  onnxOp: "Tile",
  canonical: "Tile",
  inputNames: ["input", "repeats"],
  minInputs: 2,
  constInputs: [1],
  attrs: [],
  dtypes: "int8, uint8, int32, int64; repeats a constant 1-D int64 initializer, one entry >= 1 per dim",
  dataDtypes: each(ALL),
  infer(ctx) {
    requireDtype(ctx, 0, ALL, "input");
    const x = input(ctx, 0);
    const repeats = constInt64Vector(ctx, 1, "repeats");
    if (repeats.length !== x.shape.length)
      throw new OpReject(
        `repeats [${repeats.join(",")}]`,
        `needs one entry per dim of ${typeString(x.dtype, x.shape)}`,
      );
    if (repeats.some((k) => k < 1))
      throw new OpReject(
        `repeats [${repeats.join(",")}]`,
        "entries must be >= 1 (empty tensors are outside the profile)",
      );
    const shape = x.shape.map((d, i) => d * repeats[i]);
    return {
      op: "Tile",
      attrs: { shape },
      dataInputs: [0],
      output: { dtype: x.dtype as DTypeCode, shape, interval: x.interval },
    };
  },
};

const Pad: OnnxOpSpec = {
  onnxOp: "Pad",
  canonical: "Pad",
  inputNames: ["data", "pads", "constant_value", "axes"],
  minInputs: 2,
  constInputs: [1, 2, 3],
  attrs: ["mode"],
  dtypes:
    "int8, uint8, int32, int64; mode constant; pads (1-D int64), constant_value (scalar of the data dtype) and axes (opset >= 18, 1-D int64) constants",
  dataDtypes: each(ALL),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, ALL, "data");
    const x = input(ctx, 0);
    const r = x.shape.length;
    const mode = ctx.attrs.mode;
    if (mode !== undefined && (mode.type !== "string" || mode.value !== "constant"))
      throw new OpReject(
        `attr mode=${mode.type === "string" ? mode.value : mode.type}`,
        "only constant padding is in the profile",
      );
    let axes = x.shape.map((_, i) => i);
    if (ctx.inputs[3]) {
      requireOpset(ctx, 18, "input 3 (axes)", "Pad axes (Pad-18)");
      const given = constInt64Vector(ctx, 3, "axes");
      axes = [...axesSet(given, r, `axes [${given.join(",")}]`)];
    }
    const pads = constInt64Vector(ctx, 1, "pads");
    if (pads.length !== 2 * axes.length)
      throw new OpReject(
        `pads [${pads.join(",")}]`,
        `needs ${2 * axes.length} entries (begin and end per axis)`,
      );
    const value = ctx.inputs[2] ? constScalar(ctx, 2, "constant_value", dtype, true) : 0n;
    const begins = x.shape.map(() => 0);
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const begin = pads[i];
      const end = pads[i + axes.length];
      begins[a] = begin;
      shape[a] = x.shape[a] + begin + end;
      if (shape[a] < 1)
        throw new OpReject(
          `pads [${pads.join(",")}]`,
          `axis ${a}: ${shape[a]} elements left (empty tensors are outside the profile)`,
        );
      // A begin past either end makes the whole axis padding; the canonical begin is then the
      // nearest such one, which keeps every begin within the dims (the verifier's bound).
      begins[a] = Math.min(Math.max(begin, -x.shape[a]), shape[a]);
    });
    // Every output element is an input element or the constant.
    const interval = { lo: bigMin(x.interval.lo, value), hi: bigMax(x.interval.hi, value) };
    return {
      op: "Pad",
      attrs: { begins, value, shape },
      dataInputs: [0],
      output: { dtype, shape, interval },
    };
  },
};

/** Output length of one pooled axis (floor mode), or < 1 when the window does not fit. */
function pooledLength(dim: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((dim + pb + pe - ((k - 1) * d + 1)) / s) + 1;
}

const MaxPool: OnnxOpSpec = {
  onnxOp: "MaxPool",
  canonical: "MaxPool",
  inputNames: ["X"],
  minInputs: 1,
  constInputs: [],
  attrs: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"],
  dtypes:
    "int8, uint8 (MaxPool-12); [N, C, 1..3 spatial axes]; explicit pads (auto_pad NOTSET or VALID), ceil_mode 0, one output (no Indices)",
  dataDtypes: each([I8, U8]),
  infer(ctx) {
    const dtype = requireDtype(ctx, 0, [I8, U8], "X");
    const x = input(ctx, 0);
    const r = x.shape.length;
    if (r < 3 || r > 5)
      throw new OpReject(`X ${typeString(x.dtype, x.shape)}`, "MaxPool takes [N, C] and 1 to 3 spatial axes");
    const n = r - 2;
    const autoPad = ctx.attrs.auto_pad;
    if (autoPad !== undefined && (autoPad.type !== "string" || !["NOTSET", "VALID"].includes(autoPad.value)))
      throw new OpReject(
        `attr auto_pad=${autoPad.type === "string" ? autoPad.value : autoPad.type}`,
        "only explicit pads (NOTSET) or VALID are in the profile (SAME_* pads depend on ORT's rounding)",
      );
    if (intAttr(ctx, "ceil_mode", 0) !== 0)
      throw new OpReject(
        "attr ceil_mode",
        "only 0 (floor) is in the profile: ceil mode's last window differs across runtimes",
      );
    const storage = intAttr(ctx, "storage_order", 0);
    if (storage !== 0 && storage !== 1) throw new OpReject(`attr storage_order=${storage}`, "must be 0 or 1");
    const kernel = intsAttr(ctx, "kernel_shape");
    if (!kernel || kernel.length !== n)
      throw new OpReject("attr kernel_shape", `required, one entry per spatial axis (${n})`);
    const strides = intsAttr(ctx, "strides") ?? kernel.map(() => 1);
    const dilations = intsAttr(ctx, "dilations") ?? kernel.map(() => 1);
    const isValid = autoPad?.type === "string" && autoPad.value === "VALID";
    if (isValid && ctx.attrs.pads !== undefined)
      throw new OpReject("attr pads", "auto_pad VALID takes no pads");
    const pads = intsAttr(ctx, "pads") ?? Array<number>(2 * n).fill(0);
    if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n)
      throw new OpReject("attrs strides, dilations, pads", `need ${n}, ${n} and ${2 * n} entries`);
    const shape = [x.shape[0], x.shape[1]];
    let steps = 1;
    for (let i = 0; i < n; i++) {
      const [k, s, d, pb, pe] = [kernel[i], strides[i], dilations[i], pads[i], pads[i + n]];
      const what = `spatial axis ${i}: kernel ${k}, stride ${s}, dilation ${d}, pads ${pb},${pe}`;
      if (k < 1 || s < 1 || d < 1 || k > 65536 || s > 65536 || d > 65536)
        throw new OpReject(what, "kernel, stride and dilation must be in 1..65536");
      // ORT enforces pads < kernel ("Pad should be smaller than kernel").
      if (pb < 0 || pe < 0 || pb >= k || pe >= k) throw new OpReject(what, "pads must be in 0..kernel-1");
      const len = pooledLength(x.shape[2 + i], k, s, d, pb, pe);
      if (len < 1) throw new OpReject(what, `the window does not fit the input's ${x.shape[2 + i]} elements`);
      // Every window must hold an input element: an all-padding window would be the dtype's minimum.
      for (let o = 0; o < len; o++) {
        const start = o * s - pb;
        if (start >= 0 && start < x.shape[2 + i]) continue; // only windows at the ends can miss
        let hit = false;
        for (let j = 0; j < k && !hit; j++) {
          const p = o * s - pb + j * d;
          hit = p >= 0 && p < x.shape[2 + i];
        }
        if (!hit) throw new OpReject(what, `output position ${o}'s window holds only padding`);
      }
      shape.push(len);
      steps *= k;
    }
    if (steps > 65536)
      throw new OpReject(`attr kernel_shape [${kernel.join(",")}]`, "at most 65536 window positions");
    return {
      op: "MaxPool",
      attrs: { kernel, strides, dilations, begins: pads.slice(0, n), shape },
      dataInputs: [0],
      // Every output is one of the window's input elements.
      output: { dtype, shape, interval: x.interval },
    };
  },
};

const ConvInteger: OnnxOpSpec = {
  onnxOp: "ConvInteger",
  canonical: "ConvInteger",
  inputNames: ["x", "w", "x_zero_point", "w_zero_point"],
  minInputs: 2,
  constInputs: [2, 3],
  attrs: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"],
  dtypes:
    "int8 x int8 or uint8 x uint8 (never mixed); X [N, C, 1..3 spatial], W [M, C/group, kernel..]; zero points constant scalars; explicit pads (NOTSET or VALID)",
  dataDtypes: each([I8, U8], 2),
  infer(ctx) {
    const dx = requireDtype(ctx, 0, [I8, U8], "x");
    const dw = requireDtype(ctx, 1, [I8, U8], "w");
    if (dx !== dw)
      throw new OpReject(
        `x ${dtypeName(dx)} x w ${dtypeName(dw)}`,
        "mixed uint8/int8 ConvInteger may saturate on CPUs without VNNI (as MatMulInteger); use int8 x int8 or uint8 x uint8",
      );
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const r = x.shape.length;
    if (r < 3 || r > 5 || w.shape.length !== r)
      throw new OpReject(
        `x ${typeString(x.dtype, x.shape)}, w ${typeString(w.dtype, w.shape)}`,
        "ConvInteger takes X [N, C, 1 to 3 spatial axes] and W of the same rank",
      );
    const n = r - 2;
    const group = intAttr(ctx, "group", 1);
    const [M, Cg] = w.shape;
    if (group < 1 || x.shape[1] !== Cg * group || M % group !== 0)
      throw new OpReject(
        `attr group=${group}`,
        `x has ${x.shape[1]} channels, w ${M} filters of ${Cg}: need C = group * ${Cg} and M a multiple of group`,
      );
    const autoPad = ctx.attrs.auto_pad;
    if (autoPad !== undefined && (autoPad.type !== "string" || !["NOTSET", "VALID"].includes(autoPad.value)))
      throw new OpReject(
        `attr auto_pad=${autoPad.type === "string" ? autoPad.value : autoPad.type}`,
        "only explicit pads (NOTSET) or VALID are in the profile",
      );
    const kernel = w.shape.slice(2);
    const given = intsAttr(ctx, "kernel_shape");
    if (given && (given.length !== n || given.some((k, i) => k !== kernel[i])))
      throw new OpReject(
        `attr kernel_shape [${given.join(",")}]`,
        `must equal W's spatial dims [${kernel.join(",")}]`,
      );
    const strides = intsAttr(ctx, "strides") ?? kernel.map(() => 1);
    const dilations = intsAttr(ctx, "dilations") ?? kernel.map(() => 1);
    const pads = intsAttr(ctx, "pads") ?? Array<number>(2 * n).fill(0);
    if (strides.length !== n || dilations.length !== n || pads.length !== 2 * n)
      throw new OpReject("attrs strides, dilations, pads", `need ${n}, ${n} and ${2 * n} entries`);
    const shape = [x.shape[0], M];
    for (let i = 0; i < n; i++) {
      const [k, s, d, pb, pe] = [kernel[i], strides[i], dilations[i], pads[i], pads[i + n]];
      const what = `spatial axis ${i}: kernel ${k}, stride ${s}, dilation ${d}, pads ${pb},${pe}`;
      if (s < 1 || d < 1 || s > 65536 || d > 65536 || k > 65536)
        throw new OpReject(what, "kernel, stride and dilation must be in 1..65536");
      if (pb < 0 || pe < 0 || pb >= k || pe >= k) throw new OpReject(what, "pads must be in 0..kernel-1");
      const len = pooledLength(x.shape[2 + i], k, s, d, pb, pe);
      if (len < 1) throw new OpReject(what, `the window does not fit the input's ${x.shape[2 + i]} elements`);
      shape.push(len);
    }
    const K = Cg * kernel.reduce((p, k) => p * k, 1);
    if (K > 2 ** 24)
      throw new OpReject(`w ${typeString(w.dtype, w.shape)}`, "at most 2^24 terms per output element");
    const aZeroPoint = ctx.inputs[2] ? constScalar(ctx, 2, "x_zero_point", dx, true) : 0n;
    const bZeroPoint = ctx.inputs[3] ? constScalar(ctx, 3, "w_zero_point", dw, true) : 0n;
    // A padding term is 0; every other term is a product of the shifted operands.
    const term = mulInterval(
      { lo: bigMin(x.interval.lo - aZeroPoint, 0n), hi: bigMax(x.interval.hi - aZeroPoint, 0n) },
      { lo: w.interval.lo - bZeroPoint, hi: w.interval.hi - bZeroPoint },
    );
    const iv = wrapInterval({ lo: term.lo * BigInt(K), hi: term.hi * BigInt(K) }, DTYPES.int32);
    return {
      op: "ConvInteger",
      attrs: { aZeroPoint, bZeroPoint, group, strides, dilations, begins: pads.slice(0, n), shape },
      dataInputs: [0, 1],
      output: { dtype: I32, shape, interval: iv },
    };
  },
};

/** Every ONNX op type in the profile, by ONNX name. */
export const ONNX_OPS: Readonly<Record<string, OnnxOpSpec>> = {
  Add: wrappingBinary("Add", addI),
  Sub: wrappingBinary("Sub", subI),
  Mul: wrappingBinary("Mul", mulInterval),
  Div,
  Max: minMax("Max", maxI),
  Min: minMax("Min", minI),
  Clip,
  Relu,
  Cast,
  Gather,
  Reshape,
  Squeeze,
  Unsqueeze,
  Flatten,
  Identity,
  Transpose,
  MatMulInteger,
  ReduceMax,
  ArgMax,
  Slice,
  Expand,
  // ORT 1.30 CPU has no uint8 Neg ("Type Error").
  Concat,
  Tile,
  Pad,
  MaxPool,
  ConvInteger,
  Abs: signOp("Abs", WRAP_ARITH),
  Neg: signOp("Neg", [I8, I32, I64]),
};

/** ONNX op types accepted by the profile and the canonical op each becomes (from the op table). */
export const CANONICAL_OP: Readonly<Record<string, OpName>> = Object.fromEntries(
  Object.entries(ONNX_OPS).map(([onnxOp, spec]) => [onnxOp, spec.canonical]),
);

/** Ops that look like they belong but are kept out on purpose, with the reason. */
export const EXCLUDED_OPS: Readonly<Record<string, string>> = {
  ReduceSum: "ONNX Runtime saturates integer ReduceSum; sum with MatMulInteger against a ones vector",
  ReduceProd: "ONNX Runtime saturates integer reductions",
  ReduceL1: "ONNX Runtime saturates integer reductions",
  ReduceL2: "float reduction",
  ReduceSumSquare: "ONNX Runtime saturates integer reductions",
  ReduceMean: "float/saturating reduction",
  ReduceMin: "not in the profile (use ReduceMax on negated values)",
  Mod: "Mod by zero is a run error and the sign rules differ by fmod; not in the profile",
  Where: "ONNX Runtime has no int8 Where kernel; not in the profile",
  MatMul: "float or non-wrapping integer matmul; use MatMulInteger",
  Constant: "constants must be graph initializers",
};

/** Canonical (descriptor-level) spec of each op: op code, data input count, attribute bytes. */
export interface CanonicalOpSpec<K extends OpName> {
  op: K;
  code: number;
  dataInputs: number;
  attrBytes(attrs: OpAttrsMap[K]): Uint8Array;
}

const EMPTY = new Uint8Array(0);
const none = () => EMPTY;
const axisKeep = (a: { axis: number; keepdims: boolean }) => concatBytes(u8(a.axis), u8(a.keepdims ? 1 : 0));

export const CANONICAL_OPS: { readonly [K in OpName]: CanonicalOpSpec<K> } = {
  Add: { op: "Add", code: OpCode.Add, dataInputs: 2, attrBytes: none },
  Sub: { op: "Sub", code: OpCode.Sub, dataInputs: 2, attrBytes: none },
  Mul: { op: "Mul", code: OpCode.Mul, dataInputs: 2, attrBytes: none },
  Div: { op: "Div", code: OpCode.Div, dataInputs: 2, attrBytes: none },
  Max: { op: "Max", code: OpCode.Max, dataInputs: 2, attrBytes: none },
  Min: { op: "Min", code: OpCode.Min, dataInputs: 2, attrBytes: none },
  Clip: {
    op: "Clip",
    code: OpCode.Clip,
    dataInputs: 1,
    attrBytes: (a) => concatBytes(i64be(a.min), i64be(a.max)),
  },
  Relu: { op: "Relu", code: OpCode.Relu, dataInputs: 1, attrBytes: none },
  Abs: { op: "Abs", code: OpCode.Abs, dataInputs: 1, attrBytes: none },
  // Variadic: every input is a data input.
  Concat: { op: "Concat", code: OpCode.Concat, dataInputs: -1, attrBytes: (a) => u8(a.axis) },
  // The repeats are output dim / input dim: nothing to repeat.
  Tile: { op: "Tile", code: OpCode.Tile, dataInputs: 1, attrBytes: none },
  // i64 value || i64 begin per axis.
  Pad: {
    op: "Pad",
    code: OpCode.Pad,
    dataInputs: 1,
    attrBytes: (a) => concatBytes(i64be(a.value), ...a.begins.map((b) => i64be(BigInt(b)))),
  },
  // Per spatial axis: i64 kernel || i64 stride || i64 dilation || i64 pad begin (the output
  // shape, hence the pad end, is the descriptor's).
  MaxPool: {
    op: "MaxPool",
    code: OpCode.MaxPool,
    dataInputs: 1,
    attrBytes: (a) =>
      concatBytes(
        ...a.kernel.flatMap((k, i) =>
          [k, a.strides[i], a.dilations[i], a.begins[i]].map((v) => i64be(BigInt(v))),
        ),
      ),
  },
  // i64 x zero point || i64 w zero point || i64 group, then per spatial axis i64 stride ||
  // i64 dilation || i64 pad begin (kernel dims are W's, the output shape the descriptor's).
  ConvInteger: {
    op: "ConvInteger",
    code: OpCode.ConvInteger,
    dataInputs: 2,
    attrBytes: (a) =>
      concatBytes(
        i64be(a.aZeroPoint),
        i64be(a.bZeroPoint),
        i64be(BigInt(a.group)),
        ...a.strides.flatMap((s, i) => [s, a.dilations[i], a.begins[i]].map((v) => i64be(BigInt(v)))),
      ),
  },
  Neg: { op: "Neg", code: OpCode.Neg, dataInputs: 1, attrBytes: none },
  // The target dtype is the output descriptor's dtype; nothing to repeat.
  Cast: { op: "Cast", code: OpCode.Cast, dataInputs: 1, attrBytes: none },
  Gather: { op: "Gather", code: OpCode.Gather, dataInputs: 2, attrBytes: (a) => u8(a.axis) },
  // The resolved target shape is the output descriptor's shape; nothing to repeat.
  Reshape: { op: "Reshape", code: OpCode.Reshape, dataInputs: 1, attrBytes: none },
  Transpose: {
    op: "Transpose",
    code: OpCode.Transpose,
    dataInputs: 1,
    attrBytes: (a) => Uint8Array.from(a.perm.map((p) => u8(p)[0])),
  },
  MatMulInteger: {
    op: "MatMulInteger",
    code: OpCode.MatMulInteger,
    dataInputs: 2,
    attrBytes: (a) => concatBytes(i64be(a.aZeroPoint), i64be(a.bZeroPoint)),
  },
  ReduceMax: { op: "ReduceMax", code: OpCode.ReduceMax, dataInputs: 1, attrBytes: axisKeep },
  ArgMax: { op: "ArgMax", code: OpCode.ArgMax, dataInputs: 1, attrBytes: axisKeep },
  // Per output axis: i64 start || i64 step (the output shape is the descriptor's).
  Slice: {
    op: "Slice",
    code: OpCode.Slice,
    dataInputs: 1,
    attrBytes: (a) =>
      concatBytes(...a.starts.flatMap((s, d) => [i64be(BigInt(s)), i64be(BigInt(a.steps[d]))])),
  },
};

/** Canonical attribute bytes of an inferred node (docs/profile.md, "Attribute bytes"). */
export function attrBytes(node: Pick<InferredNode, "op" | "attrs">): Uint8Array {
  const spec = CANONICAL_OPS[node.op] as CanonicalOpSpec<OpName>;
  return spec.attrBytes(node.attrs as never);
}

/**
 * Checks and infers one node. `inputs[k]` is null for an omitted optional input ("" in ONNX).
 * Never throws for bad input: every problem comes back as { ok: false, subject, why }.
 */
export function inferNode(
  onnxOp: string,
  inputs: readonly (InferInput | null)[],
  attrs: Readonly<Record<string, IrAttr>> = {},
  opset: number = BUILDER_OPSET,
): InferResult {
  const spec = Object.hasOwn(ONNX_OPS, onnxOp) ? ONNX_OPS[onnxOp] : undefined;
  if (!spec) {
    const why = Object.hasOwn(EXCLUDED_OPS, onnxOp) ? EXCLUDED_OPS[onnxOp] : "not in the integer profile";
    return { ok: false, subject: "op", why };
  }
  const max = spec.maxInputs ?? spec.inputNames.length;
  if (inputs.length < spec.minInputs || inputs.length > max)
    return {
      ok: false,
      subject: `${inputs.length} inputs`,
      why: `${onnxOp} takes ${spec.minInputs === max ? max : `${spec.minInputs}..${max}`} (${spec.inputNames.join(", ")})`,
    };
  for (let k = 0; k < spec.minInputs; k++)
    if (!inputs[k]) return { ok: false, subject: `input ${k} (${spec.inputNames[k]})`, why: "is required" };
  for (const [name, a] of Object.entries(attrs)) {
    if (!spec.attrs.includes(name))
      return { ok: false, subject: `attr ${name}`, why: `unknown attribute for ${onnxOp}` };
    if (a.type === "unsupported")
      return { ok: false, subject: `attr ${name}`, why: "unsupported attribute type" };
  }
  try {
    return { ok: true, node: spec.infer({ onnxOp, opset, inputs, attrs }) };
  } catch (e) {
    if (e instanceof OpReject) return { ok: false, subject: e.subject, why: e.why };
    throw e;
  }
}
