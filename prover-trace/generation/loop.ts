/**
 * The generation loop (docs/generation.md): prompt token ids -> one token per step until
 * `maxTokens` or the stop token, each step a FULL recompute of the causal model over the window
 * (prompt ++ generated so far, right-padded with 0; causality makes the padding irrelevant to the
 * rows before it). With `traced`, each step also yields its commitment leaf
 * (commit/generation.ts). `onePassCheck` is the watcher's side (issue 19): one run over
 * prompt ++ generated rebuilds every step's leaf and checks every token against the rule.
 */
import {
  generationOutputRoot,
  generationRoot,
  positionRoot,
  stepLeaf,
  tensorRow,
  tokensRoot,
} from "../commit/generation.ts";
import type { TensorData } from "../commit/tensor.ts";
import { tensorRoot } from "../commit/tensor.ts";
import { checkDecodingRule, type DecodingRule, decodeStep } from "./decoding.ts";

/** A causal LM over a fixed window: int32 tokens [window] -> int32 logits [window, vocab]. */
export interface LanguageModel {
  readonly window: number;
  readonly vocab: number;
  /** Nodes whose outputs are all [window, ...] (commit/generation.ts rowNodes). */
  readonly rowNodes: readonly number[];
  run(tokens: Int32Array, traced: boolean): Promise<{ logits: Int32Array; nodeOutputs?: TensorData[][] }>;
}

export interface GenerationJob {
  prompt: readonly number[];
  /** Most tokens to generate, >= 1; prompt.length + maxTokens <= window. */
  maxTokens: number;
  /** Generation ends after this token is produced (it is part of the output); null: none. */
  stopToken: number | null;
  rule: DecodingRule;
}

export class GenerationJobError extends Error {
  override name = "GenerationJobError";
}

const INT32 = 6;

export function checkGenerationJob(job: GenerationJob, window: number, vocab: number): GenerationJob {
  if (!job || typeof job !== "object") throw new GenerationJobError("job must be an object");
  const { prompt, maxTokens, stopToken } = job;
  if (!Array.isArray(prompt) || prompt.length < 1)
    throw new GenerationJobError("the prompt needs at least one token (BOS)");
  prompt.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      throw new GenerationJobError(`prompt token ${i} (${t}) is not in [0, ${vocab - 1}]`);
  });
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || prompt.length + maxTokens > window)
    throw new GenerationJobError(
      `maxTokens must be an integer in [1, ${window - prompt.length}] (window ${window}, prompt ${prompt.length}), got ${maxTokens}`,
    );
  if (stopToken !== null && (!Number.isInteger(stopToken) || stopToken < 0 || stopToken >= vocab))
    throw new GenerationJobError(`stop token ${stopToken} is not null or in [0, ${vocab - 1}]`);
  try {
    checkDecodingRule(job.rule, vocab);
  } catch (err) {
    throw new GenerationJobError(err instanceof Error ? err.message : String(err));
  }
  return job;
}

function windowOf(seq: readonly number[], window: number): Int32Array {
  const t = new Int32Array(window);
  t.set(seq);
  return t;
}

function logitsRow(logits: Int32Array, p: number, vocab: number): Int32Array {
  return logits.subarray(p * vocab, (p + 1) * vocab);
}

/** The leaf of step k from one run's outputs (a step's own run or the single pass). */
function leafOf(
  model: LanguageModel,
  seq: readonly number[],
  promptLength: number,
  k: number,
  token: number,
  logits: Int32Array,
  nodeOutputs: readonly (readonly TensorData[])[],
): Uint8Array {
  const p = promptLength + k - 1;
  const row = tensorRow({ dtype: INT32, shape: [model.window, model.vocab], data: logits }, p);
  return stepLeaf(
    k,
    tokensRoot(seq.slice(0, p + 1)),
    positionRoot(nodeOutputs, model.rowNodes, p),
    tensorRoot(row.dtype, row.shape, row.data),
    token,
  );
}

export interface GenerationResult {
  /** Generated token ids (the stop token included when it ended the generation). */
  tokens: number[];
  stopped: boolean;
  /** Per-step leaves (traced runs only). */
  leaves: Uint8Array[];
  /** generationRoot over the leaves (traced runs only). */
  generationRoot: Uint8Array | null;
  outputRoot: Uint8Array;
}

export async function generate(
  model: LanguageModel,
  job: GenerationJob,
  opts: { traced?: boolean; onStep?: (k: number, token: number) => void } = {},
): Promise<GenerationResult> {
  checkGenerationJob(job, model.window, model.vocab);
  const traced = opts.traced ?? false;
  const seq = [...job.prompt];
  const tokens: number[] = [];
  const leaves: Uint8Array[] = [];
  let stopped = false;
  for (let k = 0; k < job.maxTokens && !stopped; k++) {
    const { logits, nodeOutputs } = await model.run(windowOf(seq, model.window), traced);
    const p = seq.length - 1;
    const token = decodeStep(job.rule, logitsRow(logits, p, model.vocab), k);
    if (traced) {
      if (!nodeOutputs) throw new Error("a traced run must return the node outputs");
      leaves.push(leafOf(model, seq, job.prompt.length, k, token, logits, nodeOutputs));
    }
    seq.push(token);
    tokens.push(token);
    stopped = token === job.stopToken;
    opts.onStep?.(k, token);
  }
  return {
    tokens,
    stopped,
    leaves,
    generationRoot: traced ? generationRoot(leaves) : null,
    outputRoot: generationOutputRoot(tokens),
  };
}

export interface OnePassResult {
  /** Every step's leaf rebuilt from the single pass. */
  leaves: Uint8Array[];
  generationRoot: Uint8Array;
  /** First step whose claimed token is not what the rule picks from the pass's logits, or -1. */
  firstWrongToken: number;
  /** Why the claimed token sequence cannot be the job's output (stop rules), or null. */
  shapeError: string | null;
}

/**
 * The watcher's fast path (issue 19): ONE traced run over prompt ++ claimed tokens (the last one
 * needs no run of its own) gives, at every position, the rows the step's own run gave, so every
 * step leaf and every decoding check comes out of that run.
 */
export async function onePassCheck(
  model: LanguageModel,
  job: GenerationJob,
  claimed: readonly number[],
): Promise<OnePassResult> {
  checkGenerationJob(job, model.window, model.vocab);
  if (!Array.isArray(claimed) || claimed.length < 1 || claimed.length > job.maxTokens)
    throw new GenerationJobError(`a claim has 1..${job.maxTokens} tokens, got ${claimed?.length}`);
  claimed.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= model.vocab)
      throw new GenerationJobError(`claimed token ${i} (${t}) is not in [0, ${model.vocab - 1}]`);
  });
  const seq = [...job.prompt, ...claimed];
  const { logits, nodeOutputs } = await model.run(windowOf(seq.slice(0, -1), model.window), true);
  if (!nodeOutputs) throw new Error("a traced run must return the node outputs");
  const P = job.prompt.length;
  const leaves: Uint8Array[] = [];
  let firstWrongToken = -1;
  claimed.forEach((token, k) => {
    leaves.push(leafOf(model, seq, P, k, token, logits, nodeOutputs));
    if (firstWrongToken < 0 && decodeStep(job.rule, logitsRow(logits, P + k - 1, model.vocab), k) !== token)
      firstWrongToken = k;
  });
  let shapeError: string | null = null;
  const stopAt = job.stopToken === null ? -1 : claimed.indexOf(job.stopToken);
  if (stopAt >= 0 && stopAt < claimed.length - 1)
    shapeError = `tokens continue after the stop token at step ${stopAt}`;
  else if (stopAt < 0 && claimed.length < job.maxTokens)
    shapeError = `${claimed.length} tokens without the stop token, maxTokens is ${job.maxTokens}`;
  return { leaves, generationRoot: generationRoot(leaves), firstWrongToken, shapeError };
}

/** First index where two leaf lists differ (a missing leaf counts as different), or -1. */
export function firstLeafMismatch(a: readonly Uint8Array[], b: readonly Uint8Array[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.length !== y.length || x.some((v, j) => v !== y[j])) return i;
  }
  return -1;
}
