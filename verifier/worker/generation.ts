/**
 * A generation job on the worker (docs/generation.md section 2): plain incremental decoding on the
 * served model, then ONE traced pass over prompt ++ generated ++ 0-padding run as an ordinary job
 * (executeJob: the same claimed run, faults and published content as any job, so a dispute on the
 * pass is the ordinary game), then the honest worker checks every token against that pass's
 * logits and refuses a model that is not causal. A wrong-token liar (faults.ts) claims a sequence
 * with one token off the rule and an honest pass over it. The pass input is kept as a tensor file, so a
 * restarted worker rebuilds its view with executeJob on exactly those bytes.
 */
import { encodeTensorFile } from "../../content/tensor-file.ts";
import { toHex } from "../../protocol/bytes.ts";
import { decodeGenerationParams } from "../../protocol/generation-job.ts";
import type { Hex } from "../../protocol/tx.ts";
import {
  generationPassInputRoot,
  generationSequence,
  generationSpec,
} from "../../prover-trace/commit/generation.ts";
import {
  checkGenerationJob,
  firstTokenRuleBreak,
  type GenerationJob,
  GenerationJobError,
  jobParamsHash,
  sequenceRuleBreak,
} from "../../prover-trace/generation/check.ts";
import { decode } from "../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../prover-trace/generation/runner-model.ts";
import { type FaultMode, wrongTokenSite } from "./faults.ts";
import { type ExecutedJob, type ExecuteOptions, executeJob, type ServedModel } from "./job.ts";

/** A generation job as L2 reports it (GET /v1/jobs/:id `generation`, params in their JSON form). */
export interface L2Generation {
  prompt: number[];
  window: number;
  params: unknown;
}

/**
 * The job this model can run, or why not: the model is a causal LM with one int32 [T] input whose
 * T is the job's window (L2 fixes every claim to a pass input of that shape), and the prompt and
 * params fit its vocabulary and window.
 */
export function generationJobFor(model: ServedModel, g: L2Generation): GenerationJob {
  const lm = runnerLanguageModel(model.runner);
  const input = model.runner.profile.inputs[0];
  if (input.dtype !== 6)
    throw new GenerationJobError("the model's token input is not int32: it cannot carry a generation claim");
  if (lm.window !== g.window)
    throw new GenerationJobError(`the job's window ${g.window} is not the model's input length ${lm.window}`);
  const params = decodeGenerationParams(g.params);
  return checkGenerationJob({ prompt: g.prompt, ...params }, lm.window, lm.vocab);
}

export interface ExecutedGeneration {
  generated: number[];
  /** The pass input as a tensor file (kept to rebuild the view). */
  inputFile: Uint8Array;
  /** claim.inputRoot: generationPassInputRoot(prompt, generated, T). */
  passInputRoot: Hex;
  /** claim.generationSpec. */
  generationSpec: Hex;
  ex: ExecutedJob;
}

/** Decodes, runs the one pass as job `jobId` under `fault` and checks the tokens (honest only). */
export async function executeGeneration(
  model: ServedModel,
  jobId: Hex,
  job: GenerationJob,
  fault: FaultMode | null,
  opts: ExecuteOptions = {},
): Promise<ExecutedGeneration> {
  const lm = runnerLanguageModel(model.runner);
  let { tokens } = await decode(lm, job);
  if (fault === "wrong-token") {
    // the liar: one token that is not the rule's pick, then decoding on from it
    const site = wrongTokenSite(tokens, job.stopToken, lm.vocab);
    tokens = (await decode(lm, job, undefined, (k, picked) => (k === site.step ? site.token : picked)))
      .tokens;
  }
  const T = lm.window;
  const why = sequenceRuleBreak(job, tokens, lm.vocab);
  if (why) throw new GenerationJobError(why);
  const inputFile = encodeTensorFile([
    { dtype: 6, shape: [T], data: generationSequence(job.prompt, tokens, T) },
  ]);
  const passInputRoot = toHex(generationPassInputRoot(job.prompt, tokens, T));
  const ex = await executeJob(
    model,
    { id: jobId, modelId: model.modelId, inputRoot: passInputRoot },
    inputFile,
    fault,
    opts,
  );
  if (fault === null) {
    const logits = ex.run.outputs[0].data as Int32Array;
    const k = firstTokenRuleBreak(job.rule, logits, lm.vocab, job.prompt.length, tokens);
    if (k >= 0)
      throw new GenerationJobError(
        `model is not causal: decoding step ${k} picked token ${tokens[k]}, the one pass over the final sequence picks another`,
      );
  }
  return {
    generated: tokens,
    inputFile,
    passInputRoot,
    generationSpec: toHex(generationSpec(job.prompt.length, tokens.length, jobParamsHash(job))),
    ex,
  };
}
