/**
 * Greedy generation with a traced runner, for a byte LM (uint8 [T] bytes in) or a token LM (int32
 * [T] token ids in, e.g. an imported llama2.c model; text <-> ids is the tokenizer's job). Pure
 * helpers (windowing, argmax, escaping) are separate from the loop so they can be tested on their
 * own.
 */
import type { Runner, TracedRun } from "./runner.ts";

/**
 * The model input for a token history: the last `seqLen` tokens, right-padded with 0. With a
 * causal mask, padding after the last real token cannot change its logits. `last` is the position
 * of the last real token (whose logits predict the next one).
 */
export function windowTokens(
  history: ArrayLike<number>,
  seqLen: number,
): { tokens: Uint8Array; last: number } {
  if (history.length === 0) throw new RangeError("the prompt must have at least one byte");
  const start = Math.max(0, history.length - seqLen);
  const tokens = new Uint8Array(seqLen);
  for (let i = start; i < history.length; i++) {
    const t = history[i];
    if (!Number.isInteger(t) || t < 0 || t > 255) throw new RangeError(`token ${t} is not a byte`);
    tokens[i - start] = t;
  }
  return { tokens, last: history.length - start - 1 };
}

/**
 * windowTokens for a token LM: the last `seqLen` ids as int32, right-padded with 0 (every id in
 * [0, vocab)).
 */
export function windowIds(
  history: ArrayLike<number>,
  seqLen: number,
  vocab: number,
): { tokens: Int32Array; last: number } {
  if (history.length === 0) throw new RangeError("the prompt must have at least one token");
  const start = Math.max(0, history.length - seqLen);
  const tokens = new Int32Array(seqLen);
  for (let i = start; i < history.length; i++) {
    const t = history[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      throw new RangeError(`token ${t} is outside the vocabulary [0, ${vocab})`);
    tokens[i - start] = t;
  }
  return { tokens, last: history.length - start - 1 };
}

/** Index of the largest of logits[row, 0..vocab); ties go to the lowest index. */
export function argmaxRow(logits: Int32Array, row: number, vocab: number): number {
  if (!Number.isInteger(row) || row < 0 || (row + 1) * vocab > logits.length)
    throw new RangeError(`row ${row} is outside logits of ${logits.length / vocab} rows`);
  let best = 0;
  let bestVal = logits[row * vocab];
  for (let j = 1; j < vocab; j++) {
    const v = logits[row * vocab + j];
    if (v > bestVal) {
      bestVal = v;
      best = j;
    }
  }
  return best;
}

/** Bytes as text: printable ASCII as is, backslash and everything else as \xNN, newline as \n. */
export function escapeBytes(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x5c) s += "\\\\";
    else if (b === 0x0a) s += "\\n";
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return s;
}

export interface LmShape {
  /** byte: uint8 [T] input, V <= 256; token: int32 [T] token ids. */
  kind: "byte" | "token";
  inputName: string;
  outputName: string;
  seqLen: number;
  vocab: number;
}

/**
 * The LM interface the generator needs: one [T] input, uint8 bytes (a byte LM, V <= 256) or int32
 * token ids (a token LM), and one int32 [T, V] output (logits of every position).
 */
export function lmShape(runner: Runner): LmShape | null {
  const p = runner.profile;
  if (p.inputs.length !== 1 || p.outputs.length !== 1) return null;
  const [i] = p.inputs;
  const [o] = p.outputs;
  if ((i.dtype !== 2 && i.dtype !== 6) || i.shape.length !== 1) return null;
  if (o.dtype !== 6 || o.shape.length !== 2 || o.shape[0] !== i.shape[0]) return null;
  if (i.dtype === 2 && o.shape[1] > 256) return null;
  return {
    kind: i.dtype === 2 ? "byte" : "token",
    inputName: i.name,
    outputName: o.name,
    seqLen: i.shape[0],
    vocab: o.shape[1],
  };
}

export interface GenerationStep {
  token: number;
  /** The run that produced this token (input window, every node output, commitments). */
  run: TracedRun;
}

/** Hashing runs this many steps behind ORT at most (bounds the node outputs held in memory). */
const MAX_IN_FLIGHT = 2;

/**
 * Greedily generates `count` tokens (bytes for a byte LM) after `prompt`, one traced run per
 * token; past the window, the window slides (the last T tokens). With `pipelined`,
 * ORT computes step k+1 while step k is hashed on a thread-pool thread (the next token only needs
 * the logits); that pays only when a core is idle, so the default hashes each step on this thread.
 * `onStep` sees the steps in order, each with its commitments.
 */
export async function generate(
  runner: Runner,
  prompt: ArrayLike<number>,
  count: number,
  onStep?: (step: GenerationStep, index: number) => void,
  opts: { pipelined?: boolean } = {},
): Promise<{ generated: number[]; steps: GenerationStep[] }> {
  const pipelined = opts.pipelined ?? false;
  const lm = lmShape(runner);
  if (!lm)
    throw new Error(
      "model is not an LM (one uint8 [T] byte or int32 [T] token input, one int32 [T, V] output)",
    );
  if (!Number.isInteger(count) || count < 0 || count > 1_000_000)
    throw new RangeError(`token count must be an integer in [0, 1000000], got ${count}`);
  const history = Array.from(prompt);
  const steps: GenerationStep[] = [];
  const inFlight: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();
  for (let k = 0; k < count; k++) {
    if (inFlight.length >= MAX_IN_FLIGHT) await inFlight.shift();
    const { tokens, last } =
      lm.kind === "byte" ? windowTokens(history, lm.seqLen) : windowIds(history, lm.seqLen, lm.vocab);
    const input = {
      [lm.inputName]: { dtype: lm.kind === "byte" ? 2 : 6, shape: [lm.seqLen], data: tokens },
    };
    let outputs: Awaited<ReturnType<Runner["startTraced"]>>["outputs"];
    let committed: Promise<TracedRun>;
    if (pipelined) ({ outputs, committed } = await runner.startTraced(input));
    else {
      // Hash on this thread before the next step.
      const run = await runner.runTraced(input);
      outputs = run.outputs;
      committed = Promise.resolve(run);
    }
    const token = argmaxRow(outputs[lm.outputName].data as Int32Array, last, lm.vocab);
    history.push(token);
    chain = chain.then(async () => {
      const step = { token, run: await committed };
      steps.push(step);
      onStep?.(step, k);
    });
    inFlight.push(chain);
  }
  await chain;
  return { generated: history.slice(prompt.length), steps };
}
