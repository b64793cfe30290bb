/**
 * Generation with an integer causal LM (docs/generation.md):
 *
 * - the worker (`generate`): incremental decoding with PLAIN runs (no trace), one step per token,
 *   each a full recompute over the window (prompt ++ generated so far, right-padded with 0); then,
 *   for a claim, ONE traced pass over the final sequence and a check that every generated token is
 *   the rule's pick from that pass's logits (a model for which this fails is not causal: refused);
 * - the watcher (`checkGeneration`, issue 19): one traced pass over the claimed sequence and the
 *   pure verdict of check.ts. An honest claim costs exactly one pass.
 *
 * The model is injected (runner-model.ts wraps the traced ONNX Runtime runner).
 */
import { generationSequence } from "../commit/generation.ts";
import {
  checkGenerationJob,
  firstTokenRuleBreak,
  type GenerationClaimRoots,
  type GenerationJob,
  GenerationJobError,
  type GenerationVerdict,
  generationClaimRoots,
  generationVerdict,
  type PassCommitments,
  rulePick,
  sequenceRuleBreak,
} from "./check.ts";
import { decodeStep } from "./decoding.ts";

export type { GenerationClaimRoots, GenerationJob, GenerationVerdict, PassCommitments };
export { checkGenerationJob, GenerationJobError };

/** A traced pass: its commitments and logits, plus the runner's own record of it (to serve a dispute). */
export type TracedPass<R> = PassCommitments & { run: R };

/** A causal LM over a fixed window: int32 tokens [window] -> int32 logits [window, vocab]. */
export interface LanguageModel<R = unknown> {
  readonly window: number;
  readonly vocab: number;
  /** A plain run (no commitment): the logits, int32 [window * vocab]. */
  logits(tokens: Int32Array): Promise<Int32Array>;
  /** A traced run: the claim-level roots of the pass, its logits, and the run itself. */
  pass(tokens: Int32Array): Promise<TracedPass<R>>;
}

export interface Decoded {
  /** Generated token ids (the stop token included when it ended the generation). */
  tokens: number[];
  stopped: boolean;
}

/** Incremental decoding with plain runs: step k reads row P+k-1 of a run over prompt ++ tokens[0..k). */
export async function decode(
  model: LanguageModel,
  job: GenerationJob,
  onStep?: (k: number, token: number) => void,
): Promise<Decoded> {
  checkGenerationJob(job, model.window, model.vocab);
  const window = new Int32Array(model.window);
  window.set(job.prompt);
  const tokens: number[] = [];
  let stopped = false;
  for (let k = 0; k < job.maxTokens && !stopped; k++) {
    const p = job.prompt.length + k - 1;
    const logits = await model.logits(window);
    const token = decodeStep(job.rule, logits.subarray(p * model.vocab, (p + 1) * model.vocab), k);
    window[p + 1] = token;
    tokens.push(token);
    stopped = token === job.stopToken;
    onStep?.(k, token);
  }
  return { tokens, stopped };
}

export interface ProvedGeneration<R> {
  claim: GenerationClaimRoots;
  pass: TracedPass<R>;
}

/**
 * The claim over a decoded generation: ONE traced pass over generationSequence(prompt, tokens, T),
 * then every token is checked against that pass's logits. Incremental decoding and the pass agree
 * on every row of a causal integer model; if they do not, the model is not causal and no claim
 * could be defended: refused.
 */
export async function proveGeneration<R>(
  model: LanguageModel<R>,
  job: GenerationJob,
  tokens: readonly number[],
): Promise<ProvedGeneration<R>> {
  checkGenerationJob(job, model.window, model.vocab);
  const why = sequenceRuleBreak(job, tokens, model.vocab);
  if (why) throw new GenerationJobError(why);
  const pass = await model.pass(generationSequence(job.prompt, tokens, model.window));
  const k = firstTokenRuleBreak(job.rule, pass.logits, model.vocab, job.prompt.length, tokens);
  if (k >= 0)
    throw new GenerationJobError(
      `model is not causal: decoding step ${k} picked token ${tokens[k]}, the one pass over the final sequence picks ${rulePick(job.rule, pass.logits, model.vocab, job.prompt.length, k)}`,
    );
  return { claim: generationClaimRoots(job, tokens, model.window, pass), pass };
}

export interface GenerationResult<R> extends Decoded {
  /** The claim roots and the traced pass (traced generations only). */
  proved: ProvedGeneration<R> | null;
}

/** The worker's generation: plain incremental decoding, then (traced) the one pass and the claim. */
export async function generate<R>(
  model: LanguageModel<R>,
  job: GenerationJob,
  opts: { traced?: boolean; onStep?: (k: number, token: number) => void } = {},
): Promise<GenerationResult<R>> {
  const d = await decode(model, job, opts.onStep);
  return { ...d, proved: opts.traced ? await proveGeneration(model, job, d.tokens) : null };
}

/**
 * The watcher's fast path: a claimed generation (tokens and claim roots) -> verdict, from one
 * traced pass over the claimed sequence (none at all when the tokens break the sequence rules).
 * The pass is returned too, so a watcher that disputes has the honest run at hand.
 */
export async function checkGeneration<R>(
  model: LanguageModel<R>,
  job: GenerationJob,
  generated: readonly number[],
  claim: GenerationClaimRoots,
): Promise<{ verdict: GenerationVerdict; pass: TracedPass<R> | null }> {
  checkGenerationJob(job, model.window, model.vocab);
  const why = sequenceRuleBreak(job, generated, model.vocab);
  if (why) return { verdict: { kind: "sequence", why }, pass: null };
  const pass = await model.pass(generationSequence(job.prompt, generated, model.window));
  return {
    verdict: generationVerdict({ job, generated, window: model.window, vocab: model.vocab, claim, pass }),
    pass,
  };
}
