/**
 * Integer intervals for the profile's static range analysis (docs/profile.md, "Interval
 * analysis"). Bounds are exact bigints and inclusive. An op whose exact result may leave its
 * dtype's range wraps at run time, so its interval widens to the whole dtype range: the
 * analysis is sound (every value a run can produce lies inside), never tight by accident.
 */
import type { DTypeInfo } from "../../protocol/dtype.ts";
import type { TensorData } from "../onnx/ir.ts";

export interface Interval {
  lo: bigint;
  hi: bigint;
}

export function interval(lo: bigint, hi: bigint): Interval {
  if (lo > hi) throw new RangeError(`empty interval [${lo}, ${hi}]`);
  return { lo, hi };
}

export function fullRange(d: DTypeInfo): Interval {
  return { lo: d.min, hi: d.max };
}

export function fitsIn(iv: Interval, d: DTypeInfo): boolean {
  return iv.lo >= d.min && iv.hi <= d.max;
}

/** The exact interval when no value can wrap, else the whole dtype range. */
export function wrapInterval(iv: Interval, d: DTypeInfo): Interval {
  return fitsIn(iv, d) ? iv : fullRange(d);
}

export function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function bigMin(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function contains(iv: Interval, v: bigint): boolean {
  return iv.lo <= v && v <= iv.hi;
}

export function hull(values: readonly bigint[]): Interval {
  let lo = values[0];
  let hi = values[0];
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

/** Exact [min, max] of a constant tensor (numel >= 1). */
export function dataInterval(data: TensorData): Interval {
  if (data.length === 0) throw new RangeError("dataInterval of an empty tensor");
  if (data instanceof BigInt64Array) {
    let lo = data[0];
    let hi = data[0];
    for (const v of data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return { lo, hi };
  }
  let lo = data[0];
  let hi = data[0];
  for (let i = 1; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  return { lo: BigInt(lo), hi: BigInt(hi) };
}

/** Products at the four corners bound a product of two intervals. */
export function mulInterval(a: Interval, b: Interval): Interval {
  return hull([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]);
}

/** Truncating division toward zero, as ONNX Div on integers (and Solidity `/`). */
export function truncDiv(a: bigint, b: bigint): bigint {
  return a / b; // bigint division truncates toward zero
}

/**
 * Bounds of trunc(a / b) for b not containing 0: trunc(a/b) is monotone in a for a fixed sign
 * of b and monotone in b for a fixed a, so the extremes lie at the corners.
 */
export function divInterval(a: Interval, b: Interval): Interval {
  if (contains(b, 0n)) throw new RangeError("divInterval: divisor interval contains 0");
  return hull([truncDiv(a.lo, b.lo), truncDiv(a.lo, b.hi), truncDiv(a.hi, b.lo), truncDiv(a.hi, b.hi)]);
}

export function formatInterval(iv: Interval): string {
  return `[${iv.lo}, ${iv.hi}]`;
}
