/**
 * Graph-input value ranges (docs/profile.md, "Graph input ranges"). A model may declare that a
 * graph input only ever holds values in [min, max] (token ids in [0, vocab - 1], say) with one
 * ModelProto.metadata_props entry per input:
 *
 *   key   = "verdict.input_range." || input name
 *   value = min "," max            (decimal integers, no sign on 0, no leading zeros, min <= max,
 *                                   both inside the input's dtype)
 *
 * The entry is part of the ONNX file, so the model id commits to it through the file's CID. The
 * validator starts the input's interval at the declared range (an embedding Gather on raw token
 * ids needs no Clip), and every party that accepts an input for the model (the runner, the
 * reference, a job poster) refuses one with an element outside it: `inputRangeViolation`.
 */
import { dtypeByCode, isProfileDType } from "../../protocol/dtype.ts";
import type { IrModel } from "../onnx/ir.ts";
import type { Interval } from "./interval.ts";

export const INPUT_RANGE_KEY_PREFIX = "verdict.input_range.";
/** Metadata keys under this prefix are the profile's; an unknown one is refused, not ignored. */
const PROFILE_KEY_PREFIX = "verdict.";

const DECIMAL = /^(0|-?[1-9][0-9]*)$/;

/**
 * The declared ranges by input name. Problems (an unknown `verdict.` key, a range for no graph
 * input or for a non-integer one, a malformed or empty range, one outside the dtype, a key given
 * twice) are pushed to `errors`, one line each; such an entry declares nothing.
 */
export function declaredInputRanges(ir: IrModel, errors: string[]): Map<string, Interval> {
  const ranges = new Map<string, Interval>();
  const seen = new Set<string>();
  for (const { key, value } of ir.metadata ?? []) {
    if (!key.startsWith(PROFILE_KEY_PREFIX)) continue;
    const label = `metadata '${key}'`;
    if (seen.has(key)) {
      errors.push(`${label}: given twice`);
      ranges.delete(key.slice(INPUT_RANGE_KEY_PREFIX.length));
      continue;
    }
    seen.add(key);
    if (!key.startsWith(INPUT_RANGE_KEY_PREFIX)) {
      errors.push(`${label}: unknown profile key (the profile reads only ${INPUT_RANGE_KEY_PREFIX}<input>)`);
      continue;
    }
    const name = key.slice(INPUT_RANGE_KEY_PREFIX.length);
    const input = ir.graph.inputs.find((v) => v.name === name);
    if (!input) {
      errors.push(`${label}: the graph has no input '${name}'`);
      continue;
    }
    if (!isProfileDType(input.dtype)) {
      errors.push(`${label}: input '${name}' has no integer profile dtype`);
      continue;
    }
    const d = dtypeByCode(input.dtype);
    const parts = value.split(",");
    if (parts.length !== 2 || !parts.every((p) => DECIMAL.test(p))) {
      errors.push(`${label}: value '${value}' is not "min,max" in plain decimal integers`);
      continue;
    }
    const [lo, hi] = parts.map(BigInt);
    if (lo > hi) {
      errors.push(`${label}: empty range [${lo}, ${hi}]`);
      continue;
    }
    if (lo < d.min || hi > d.max) {
      errors.push(`${label}: range [${lo}, ${hi}] leaves ${d.name}'s [${d.min}, ${d.max}]`);
      continue;
    }
    ranges.set(name, { lo, hi });
  }
  return ranges;
}

/** The metadata entry declaring that input `name` holds values in [lo, hi]. */
export function inputRangeEntry(name: string, lo: bigint | number, hi: bigint | number) {
  return { key: `${INPUT_RANGE_KEY_PREFIX}${name}`, value: `${BigInt(lo)},${BigInt(hi)}` };
}

/**
 * Why input `index` (`decl`) cannot be given `data`: the first element outside the declared
 * interval, with its flat index, value and the range; null when every element is inside.
 * `data` is the input's typed array (the caller has checked its dtype).
 */
export function inputRangeViolation(
  decl: { name: string; interval: Interval },
  index: number,
  data: ArrayBufferView,
): string | null {
  const { lo, hi } = decl.interval;
  const outside = (e: number, v: bigint) =>
    `input ${index} (${decl.name}): element ${e} is ${v}, outside the model's declared range [${lo}, ${hi}]`;
  if (data instanceof BigInt64Array) {
    for (let e = 0; e < data.length; e++) if (data[e] < lo || data[e] > hi) return outside(e, data[e]);
    return null;
  }
  // int8/uint8/int32 elements are exact numbers, and so are bounds inside those dtypes.
  const l = Number(lo);
  const h = Number(hi);
  const nums = data as unknown as ArrayLike<number>;
  for (let e = 0; e < nums.length; e++) {
    const v = nums[e];
    if (v < l || v > h) return outside(e, BigInt(v));
  }
  return null;
}
