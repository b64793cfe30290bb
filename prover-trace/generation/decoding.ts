/**
 * The decoding rule of a generation job (docs/generation.md, "Decoding"): which token a step
 * appends, given the integer logits row of the last position. Pure and integer-only, so every
 * honest worker (and the watcher, and a contract) picks the same token:
 *
 * - greedy: the argmax, the lowest index on ties;
 * - sample: the `topK` largest logits (ties to the lower index), each weighted by
 *   2^(-(max - logit) / halfLife) in 2^30 fixed point (a 17-entry table of 2^(-j/16) and linear
 *   interpolation, no float), and one draw from a counter-mode sha256 keyed by the job's seed and
 *   the step index.
 */
import { type DecodingRule, MAX_HALF_LIFE } from "../../protocol/generation-job.ts";
import { concatBytes, sha256, u32be } from "../../protocol/index.ts";

// The rule's shape and encoding live in protocol/ (one definition); its semantics live here.
export type { DecodingRule };
export { MAX_HALF_LIFE };

export class DecodingRuleError extends Error {
  override name = "DecodingRuleError";
}

/** round(2^30 * 2^(-j/16)), j = 0..16: the fixed table of the weight function (normative). */
export const EXP2_TABLE: readonly number[] = [
  1073741824, 1028218693, 984625594, 942880699, 902905651, 864625413, 827968132, 792865000, 759250125,
  727060411, 696235434, 666717336, 638450708, 611382493, 585461881, 560640218, 536870912,
];

/** Domain tag of the sampling PRNG: ASCII "verdict/sample/v1". */
export const SAMPLE_DOMAIN = new TextEncoder().encode("verdict/sample/v1");

/** Throws a DecodingRuleError naming the first problem; returns the rule for chaining. */
export function checkDecodingRule(rule: DecodingRule, vocab: number): DecodingRule {
  if (!rule || typeof rule !== "object") throw new DecodingRuleError("decoding rule must be an object");
  if (rule.kind === "greedy") return rule;
  if (rule.kind !== "sample")
    throw new DecodingRuleError(
      `decoding rule kind must be "greedy" or "sample", got ${String((rule as { kind?: unknown }).kind)}`,
    );
  if (!Number.isInteger(rule.topK) || rule.topK < 1 || rule.topK > vocab)
    throw new DecodingRuleError(`topK must be an integer in [1, ${vocab}], got ${rule.topK}`);
  if (!Number.isInteger(rule.halfLife) || rule.halfLife < 1 || rule.halfLife > MAX_HALF_LIFE)
    throw new DecodingRuleError(`halfLife must be an integer in [1, ${MAX_HALF_LIFE}], got ${rule.halfLife}`);
  if (!(rule.seed instanceof Uint8Array) || rule.seed.length !== 32)
    throw new DecodingRuleError("seed must be 32 bytes");
  return rule;
}

function checkRow(row: ArrayLike<number>): void {
  if (row.length < 1) throw new RangeError("a logits row has at least one entry");
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      throw new RangeError(`logit ${i} (${v}) is not an int32`);
  }
}

/** Index of the largest logit; the lowest index on ties. */
export function argmax(row: ArrayLike<number>): number {
  checkRow(row);
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Indices of the topK largest logits, largest first, the lower index first on ties. */
export function topKIndices(row: ArrayLike<number>, topK: number): number[] {
  checkRow(row);
  if (!Number.isInteger(topK) || topK < 1 || topK > row.length)
    throw new RangeError(`topK must be an integer in [1, ${row.length}], got ${topK}`);
  const idx = Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => row[b] - row[a] || a - b);
  return idx.slice(0, topK);
}

/**
 * Weight of a logit `d` units below the maximum: floor(2^30 * 2^(-d / halfLife)) as the spec
 * computes it. q = floor(d * 2^16 / halfLife); e = q >> 16, f = q & 0xffff; j = f >> 12,
 * r = f & 0xfff; w0 = T[j] - floor((T[j] - T[j+1]) * r / 4096); weight = w0 >> e (0 when e >= 31).
 */
export function sampleWeight(d: number, halfLife: number): number {
  if (!Number.isInteger(d) || d < 0 || d >= 2 ** 32)
    throw new RangeError(`distance ${d} is not in [0, 2^32)`);
  if (!Number.isInteger(halfLife) || halfLife < 1 || halfLife > MAX_HALF_LIFE)
    throw new RangeError(`halfLife ${halfLife} is not in [1, ${MAX_HALF_LIFE}]`);
  // d * 2^16 < 2^48 is exact, and IEEE division rounds correctly: a quotient just below an
  // integer n is at least n - 1/halfLife, a relative gap >= 2^-48, far above a double's 2^-53,
  // so the floor is the exact integer floor on every platform.
  const q = Math.floor((d * 65536) / halfLife);
  const e = Math.floor(q / 65536);
  if (e >= 31) return 0;
  const f = q % 65536;
  const j = f >>> 12;
  const r = f & 0xfff;
  const w0 = EXP2_TABLE[j] - Math.floor(((EXP2_TABLE[j] - EXP2_TABLE[j + 1]) * r) / 4096);
  return Math.floor(w0 / 2 ** e);
}

/**
 * The step's random draw: the first 16 bytes of sha256("verdict/sample/v1" || seed || u32 step)
 * as a big-endian 128-bit integer.
 */
export function sampleDraw(seed: Uint8Array, step: number): bigint {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError("seed must be 32 bytes");
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff)
    throw new RangeError(`step ${step} is not a u32`);
  const h = sha256(concatBytes(SAMPLE_DOMAIN, seed, u32be(step)));
  let x = 0n;
  for (let i = 0; i < 16; i++) x = (x << 8n) | BigInt(h[i]);
  return x;
}

/**
 * The token of step `step`: candidates in topKIndices order with their weights, total W;
 * u = sampleDraw mod W; the first candidate whose running weight sum exceeds u.
 */
export function sampleToken(
  row: ArrayLike<number>,
  topK: number,
  halfLife: number,
  seed: Uint8Array,
  step: number,
): number {
  const cands = topKIndices(row, topK);
  const max = row[cands[0]];
  const weights = cands.map((i) => BigInt(sampleWeight(max - row[i], halfLife)));
  const total = weights.reduce((a, b) => a + b, 0n); // >= 2^30: the maximum weighs 2^30
  const u = sampleDraw(seed, step) % total;
  let acc = 0n;
  for (let c = 0; c < cands.length; c++) {
    acc += weights[c];
    if (u < acc) return cands[c];
  }
  throw new Error("unreachable: u < total");
}

/** The token a step appends under `rule`, from the logits row of the last position. */
export function decodeStep(rule: DecodingRule, row: ArrayLike<number>, step: number): number {
  checkDecodingRule(rule, row.length);
  if (rule.kind === "greedy") return argmax(row);
  return sampleToken(row, rule.topK, rule.halfLife, rule.seed, step);
}
