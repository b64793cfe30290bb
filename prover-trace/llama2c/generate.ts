/**
 * Greedy decoding and teacher-forced predictions over a fixed-window causal LM, whatever runs it
 * (float ORT session, integer ORT session): `LogitsFn` maps a full window of token ids to the
 * [window, vocab] logits of every position. Positions past the sequence are padded with id 0;
 * causality makes them irrelevant to the positions before them.
 */

/** Logits (float or integer values) of every position, row-major [window][vocab]. */
export type LogitsFn = (tokens: Int32Array) => Promise<ArrayLike<number>>;

/** Index of the largest value in row `pos`; the lowest index on ties (run.c's argmax). */
export function argmaxRow(logits: ArrayLike<number>, pos: number, vocab: number): number {
  let best = 0;
  const base = pos * vocab;
  for (let v = 1; v < vocab; v++) if (logits[base + v] > logits[base + best]) best = v;
  return best;
}

function windowOf(seq: readonly number[], window: number): Int32Array {
  if (seq.length > window)
    throw new RangeError(`sequence of ${seq.length} tokens exceeds the window ${window}`);
  const t = new Int32Array(window);
  t.set(seq);
  return t;
}

/** Greedy continuation of `prompt` until `total` tokens (prompt included) are reached. */
export async function greedyGenerate(
  logitsOf: LogitsFn,
  prompt: readonly number[],
  total: number,
  window: number,
  vocab: number,
): Promise<number[]> {
  if (prompt.length < 1) throw new RangeError("the prompt needs at least one token (BOS)");
  if (total > window) throw new RangeError(`total ${total} exceeds the window ${window}`);
  const seq = [...prompt];
  while (seq.length < total)
    seq.push(argmaxRow(await logitsOf(windowOf(seq, window)), seq.length - 1, vocab));
  return seq;
}

/** The argmax of every position 0..seq.length-1 when the model is fed `seq` (one run). */
export async function teacherForcedArgmax(
  logitsOf: LogitsFn,
  seq: readonly number[],
  window: number,
  vocab: number,
): Promise<number[]> {
  const logits = await logitsOf(windowOf(seq, window));
  return seq.map((_, pos) => argmaxRow(logits, pos, vocab));
}

/** First index where the two sequences differ, or -1 when they agree over the shorter one. */
export function firstDivergence(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
