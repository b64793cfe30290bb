/**
 * Lookup tables that stand in for non-linearities in the integer models. Each is computed once at
 * build time with floats and stored as integer initializers, so inference itself is integer-only
 * and exact. Tables are indexed by `value + 128` for a signed 8-bit value (or `0..255` for the
 * exponent table), so a clipped int32 index is provably inside the 256-row table.
 */

/** Fixed-point scale of 8-bit activations: a real value x is stored as round(x * ACT_SCALE). */
export const ACT_SCALE = 32;

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(v)));
}

function gelu(x: number): number {
  // tanh approximation of x * Phi(x); only used to fill a table at build time.
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** GELU over signed 8-bit inputs: entry i = gelu((i - 128) / s) * s, signed, clipped to int8. */
export function geluTableSigned(): number[] {
  return Array.from({ length: 256 }, (_, i) => clampInt(gelu((i - 128) / ACT_SCALE) * ACT_SCALE, -128, 127));
}

/** The same GELU stored in offset binary (value + 128) as uint8, the transformer's activation form. */
export function geluTableOffset(): number[] {
  return geluTableSigned().map((v) => v + 128);
}

/**
 * A 256-row table indexed directly by a signed value v in [-128, 127], using Gather's negative
 * indices (v < 0 reads row v + 256): row r holds entry (r < 128 ? r : r - 256) + 128 of `byOffset`.
 * Saves the int32 `Add 128` that an offset index would need (one int32 tensor less in the trace).
 */
export function signedIndexed(byOffset: readonly number[]): number[] {
  if (byOffset.length !== 256) throw new RangeError(`table must have 256 rows, got ${byOffset.length}`);
  return Array.from({ length: 256 }, (_, r) => byOffset[(r < 128 ? r : r - 256) + 128]);
}

/**
 * Exponent table for integer softmax, indexed by the distance d = rowMax - score clipped to
 * [0, rows - 1]: entry = round(255 * exp(-d / tau)). The last entry is forced to 0 so that masked
 * positions (far below the maximum, clipped to the last row) get exactly zero weight, and entry
 * 0 = 255, so every row sum is at least 255 (the row maximum always contributes).
 */
export function expTable(tau: number, rows = 256): number[] {
  if (!(tau > 0)) throw new RangeError(`exp table temperature must be > 0, got ${tau}`);
  if (!Number.isInteger(rows) || rows < 2) throw new RangeError(`exp table needs >= 2 rows, got ${rows}`);
  const t = Array.from({ length: rows }, (_, d) => clampInt(255 * Math.exp(-d / tau), 0, 255));
  t[rows - 1] = 0;
  return t;
}

/**
 * Reciprocal square root for the integer RMS-norm: index m = mean(x^2) / 128 (0..128) of signed
 * 8-bit values x; entry = round(2^k / sqrt(m * 128 / s^2) ) so that x * entry >> k is x
 * normalised to unit RMS at activation scale s. m = 0 maps to the m = 1 entry (no division by 0).
 */
export function rsqrtTable(shift: number): number[] {
  return Array.from({ length: 129 }, (_, m) => {
    const meanSq = Math.max(m, 1) * 128;
    const rms = Math.sqrt(meanSq);
    return Math.round((2 ** shift * ACT_SCALE) / rms);
  });
}
