/**
 * Integer arithmetic the importer emits (normative text: docs/import.md): exact rounding shifts,
 * requantization by an integer multiplier and shift, clipping, and 8-bit casts, all with static
 * bounds tracked alongside so that no int32 value can overflow and the validator's interval
 * analysis proves every Div and Gather safe.
 *
 * A quantized tensor (QT) holds integers q with |q| <= bound; its real value is q * scale, where
 * scale is one number or one number per channel of the last axis.
 */

import { IntOps } from "../builder/ops.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";

export interface QT {
  name: string;
  scale: number | Float64Array;
  bound: number;
  shape: number[];
  /**
   * Holds constants clamped far below the value range (an attention mask of -1e9): the integers
   * then do not dequantize to the float values, by design; accuracy reports skip such tensors.
   */
  saturated?: boolean;
}

/** Bound of every int32 intermediate the recipes allow (leaves headroom below 2^31). */
export const I32_SAFE = 2 ** 30;
export const WIDE = 32767;
export const NARROW = 127;

export class LoweringError extends Error {
  override name = "LoweringError";
}

export function scaleAt(s: number | Float64Array, c: number): number {
  return typeof s === "number" ? s : s[c];
}

export function isUniform(s: number | Float64Array): boolean {
  return typeof s === "number" || s.every((v) => v === s[0]);
}

export class IntEmitter {
  readonly g: GraphBuilder;
  readonly ops: IntOps;

  constructor(name: string) {
    this.g = new GraphBuilder(name);
    this.ops = new IntOps(this.g);
  }

  i32(v: number): string {
    if (!Number.isSafeInteger(v) || Math.abs(v) >= 2 ** 31)
      throw new LoweringError(`constant ${v} does not fit int32`);
    return this.ops.scalar("int32", v);
  }

  clip(x: string, bound: number): string {
    return this.ops.clip(x, "int32", -bound, bound);
  }

  /**
   * floor((x + 2^(k-1)) / 2^k): round half up, exactly, for |x| <= bound. ONNX Div truncates
   * toward zero, so x is first lifted by C * 2^k (C * 2^k > bound) to make the dividend
   * non-negative, and C is subtracted after the division.
   */
  roundShift(x: string, k: number, bound: number): { name: string; bound: number } {
    if (k <= 0) return { name: x, bound };
    const d = 2 ** k;
    const c = Math.floor(bound / d) + 1;
    const lift = c * d + d / 2;
    if (bound + lift >= 2 ** 31 - 1)
      throw new LoweringError(`rounding shift by ${k} of a value bounded by ${bound} overflows int32`);
    const q = this.g.op("Div", [this.g.op("Add", [x, this.i32(lift)]), this.i32(d)]);
    return { name: this.g.op("Sub", [q, this.i32(c)]), bound: Math.ceil(bound / d) + 1 };
  }

  /**
   * Requantize `v` to one scale `sOut`: q' = round(q * m) with m = scale / sOut (per channel),
   * as a multiply by M = round(m * 2^k) (|M| < 2^15) and a rounding shift by k, after a rounding
   * pre-shift that brings |q| under 2^15. Clipped to +-boundOut.
   */
  requant(v: QT, sOut: number, boundOut: number, channelShape?: number[]): QT {
    if (!(sOut > 0) || !Number.isFinite(sOut))
      throw new LoweringError(`output scale ${sOut} is not positive`);
    const channels = typeof v.scale === "number" ? 1 : v.scale.length;
    const m = Float64Array.from({ length: channels }, (_, c) => scaleAt(v.scale, c) / sOut);
    if (typeof v.scale === "number" && m[0] === 1) {
      return v.bound <= boundOut ? { ...v } : { ...v, name: this.clip(v.name, boundOut), bound: boundOut };
    }
    let x = v.name;
    let b = v.bound;
    const pre = Math.max(0, Math.ceil(Math.log2(b + 1)) - 15);
    if (pre > 0) {
      const r = this.roundShift(x, pre, b);
      x = r.name;
      b = r.bound;
      for (let c = 0; c < channels; c++) m[c] *= 2 ** pre;
    }
    const mMax = Math.max(...m.map(Math.abs));
    if (mMax === 0) throw new LoweringError("requantization multiplier is 0");
    let k = Math.min(
      Math.floor(Math.log2((2 ** 15 - 1) / mMax)),
      Math.floor(Math.log2(I32_SAFE / (b * mMax))),
    );
    k = Math.max(0, k);
    const M = Array.from(m, (mc) => Math.round(mc * 2 ** k));
    const Mmax = Math.max(...M.map(Math.abs));
    if (b * Mmax >= I32_SAFE)
      throw new LoweringError(`requantization of a value bounded by ${b} by ${mMax} overflows int32`);
    // Per-channel multipliers broadcast over the last axis, or over `channelShape` (a
    // convolution's [C, 1, 1] for channels on axis 1 of NCHW).
    const mult = channels === 1 ? this.i32(M[0]) : this.g.constant("int32", channelShape ?? [channels], M);
    const prod = this.g.op("Mul", [x, mult]);
    const r = this.roundShift(prod, k, b * Mmax);
    const name = r.bound > boundOut ? this.clip(r.name, boundOut) : r.name;
    return { name, scale: sOut, bound: Math.min(r.bound, boundOut), shape: v.shape };
  }

  /** int32 value with |q| <= 127 -> uint8 offset binary q + 128 (exact), for MatMulInteger. */
  toOffsetU8(v: QT): string {
    if (v.bound > NARROW) throw new LoweringError(`8-bit operand from a value bounded by ${v.bound}`);
    return this.ops.toOffsetU8(v.name);
  }
}
