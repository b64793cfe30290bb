/**
 * The rules a generation claim must satisfy (docs/generation.md, "The claim is one causal pass"),
 * as pure functions over one pass's logits, and the watcher's verdict (issue 19) built from them.
 * No I/O: the pass is run by the caller (loop.ts runs it through an injected LanguageModel).
 *
 * Rules over the pass sequence seq = prompt ++ generated ++ 0-padding (length T, P = prompt length,
 * n = generated count):
 *   token rule     for k in [0, n): seq[P+k] = decode(rule, logits row P+k-1, step k)
 *   stop rules     the stop token appears only as the last generated token;
 *                  n == maxTokens unless the last generated token is the stop token
 *   bounds         1 <= n <= maxTokens, P + n <= T, every token in [0, vocab)
 */
import { generationParamsHash } from "../../protocol/generation-job.ts";
import { bytesEqual, toHex } from "../../protocol/index.ts";
import { isDeferredTrace } from "../../protocol/tx.ts";
import { generationPassInputRoot, generationSpec } from "../commit/generation.ts";
import { checkDecodingRule, type DecodingRule, decodeStep } from "./decoding.ts";

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

/** The roots a generation claim signs besides the usual fields (32 bytes each). */
export interface GenerationClaimRoots {
  inputRoot: Uint8Array;
  outputRoot: Uint8Array;
  traceRoot: Uint8Array;
  generationSpec: Uint8Array;
}

/** What a traced pass commits to (the runner's roots) plus its logits, int32 [T * vocab]. */
export interface PassCommitments {
  inputRoot: Uint8Array;
  outputRoot: Uint8Array;
  traceRoot: Uint8Array;
  logits: Int32Array;
}

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

/**
 * Why `generated` cannot be the output of `job` whatever the model computes (bounds and stop
 * rules), or null. The job itself must already be valid (checkGenerationJob).
 */
export function sequenceRuleBreak(
  job: GenerationJob,
  generated: readonly number[],
  vocab: number,
): string | null {
  if (!Array.isArray(generated) || generated.length < 1) return "a generation has at least one token";
  if (generated.length > job.maxTokens)
    return `${generated.length} generated tokens, maxTokens is ${job.maxTokens}`;
  for (let i = 0; i < generated.length; i++) {
    const t = generated[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      return `generated token ${i} (${t}) is not in [0, ${vocab - 1}]`;
  }
  const stopAt = job.stopToken === null ? -1 : generated.indexOf(job.stopToken);
  if (stopAt >= 0 && stopAt < generated.length - 1)
    return `tokens continue after the stop token at step ${stopAt}`;
  if (stopAt < 0 && generated.length < job.maxTokens)
    return `${generated.length} tokens without the stop token, maxTokens is ${job.maxTokens}`;
  return null;
}

/** The rule's pick at step k from the pass's logits (row P+k-1). */
export function rulePick(
  rule: DecodingRule,
  logits: Int32Array,
  vocab: number,
  promptLength: number,
  k: number,
): number {
  const p = promptLength + k - 1;
  return decodeStep(rule, logits.subarray(p * vocab, (p + 1) * vocab), k);
}

/** First step k whose generated token is not the rule's pick from the pass's logits, or -1. */
export function firstTokenRuleBreak(
  rule: DecodingRule,
  logits: Int32Array,
  vocab: number,
  promptLength: number,
  generated: readonly number[],
): number {
  for (let k = 0; k < generated.length; k++)
    if (rulePick(rule, logits, vocab, promptLength, k) !== generated[k]) return k;
  return -1;
}

/** paramsHash of the job's parameters (protocol/generation-job.ts). */
export function jobParamsHash(job: GenerationJob): Uint8Array {
  return generationParamsHash({ maxTokens: job.maxTokens, stopToken: job.stopToken, rule: job.rule });
}

/**
 * The claim roots of an honest generation from its pass: the pass's output and trace roots, and
 * the two bindings to the job. Refuses a pass whose input root is not the generation's pass input
 * root (a model whose token input is not int32 [T] cannot carry a generation claim: the game
 * would open an input tensor the claim does not name).
 */
export function generationClaimRoots(
  job: GenerationJob,
  generated: readonly number[],
  window: number,
  pass: Omit<PassCommitments, "logits">,
): GenerationClaimRoots {
  const inputRoot = generationPassInputRoot(job.prompt, generated, window);
  if (!bytesEqual(inputRoot, pass.inputRoot))
    throw new GenerationJobError(
      "the pass's input root is not the generation's pass input root: a generation model takes int32 token ids [T]",
    );
  return {
    inputRoot,
    outputRoot: pass.outputRoot,
    traceRoot: pass.traceRoot,
    generationSpec: generationSpec(job.prompt.length, generated.length, jobParamsHash(job)),
  };
}

/**
 * The watcher's verdict on a generation claim, from ONE honest traced pass over the claimed
 * sequence. In order:
 *  - sequence: the claimed tokens break the bounds / stop rules, or the claim's inputRoot or
 *    generationSpec is not the one of (prompt, claimed tokens, params): no model run can make
 *    it right (L2 refuses such a claim);
 *  - pass-differs: the claim's outputRoot or traceRoot is not the honest pass's: the ordinary
 *    game (trace descent) on the claim; a deferred claim's traceRoot (DEFERRED_TRACE) never differs;
 *  - token-rule: the pass is right but the token at step k (the first such) is not the rule's
 *    pick from row P+k-1: the one-shot L1 move;
 *  - agree.
 */
export type GenerationVerdict =
  | { kind: "agree" }
  | { kind: "sequence"; why: string }
  | { kind: "pass-differs"; outputRootDiffers: boolean; traceRootDiffers: boolean }
  | { kind: "token-rule"; step: number; position: number; claimed: number; expected: number };

export function generationVerdict(args: {
  job: GenerationJob;
  generated: readonly number[];
  window: number;
  vocab: number;
  claim: GenerationClaimRoots;
  /** The honest pass over generationSequence(prompt, generated, window). */
  pass: PassCommitments;
}): GenerationVerdict {
  const { job, generated, window, vocab, claim, pass } = args;
  const why = sequenceRuleBreak(job, generated, vocab);
  if (why) return { kind: "sequence", why };
  if (!bytesEqual(claim.inputRoot, generationPassInputRoot(job.prompt, generated, window)))
    return { kind: "sequence", why: "the claim's inputRoot is not the pass input root of prompt ++ tokens" };
  if (
    !bytesEqual(claim.generationSpec, generationSpec(job.prompt.length, generated.length, jobParamsHash(job)))
  )
    return {
      kind: "sequence",
      why: "the claim's generationSpec does not name this prompt, count and params",
    };
  const outputRootDiffers = !bytesEqual(claim.outputRoot, pass.outputRoot);
  // A deferred claim (traceRoot DEFERRED_TRACE) commits to no trace: only its outputs can differ.
  const traceRootDiffers =
    !isDeferredTrace(toHex(claim.traceRoot)) && !bytesEqual(claim.traceRoot, pass.traceRoot);
  if (outputRootDiffers || traceRootDiffers)
    return { kind: "pass-differs", outputRootDiffers, traceRootDiffers };
  const k = firstTokenRuleBreak(job.rule, pass.logits, vocab, job.prompt.length, generated);
  if (k >= 0)
    return {
      kind: "token-rule",
      step: k,
      position: job.prompt.length + k,
      claimed: generated[k],
      expected: rulePick(job.rule, pass.logits, vocab, job.prompt.length, k),
    };
  return { kind: "agree" };
}
