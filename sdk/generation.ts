/**
 * A paid generation job, checked here (sdk/client.ts awaitResult): the tokens L2 holds are bound to
 * the claim (its inputRoot is the pass input of prompt ++ tokens, its generationSpec names the
 * prompt length, the count and the job's params), they obey the stop rules, and each one is the
 * decoding rule's pick from the claim's logits (the published output, already checked against
 * claim.outputRoot). So the only thing left on trust is that the logits are the model's, which is
 * what the challenge window and the watchers guarantee. Pure.
 */
import { bytesEqual, fromHex, toHex } from "../protocol/bytes.ts";
import { decodeGenerationParams } from "../protocol/generation-job.ts";
import { generationPassInputRoot, generationSpec } from "../prover-trace/commit/generation.ts";
import {
  type GenerationJob,
  jobParamsHash,
  rulePick,
  sequenceRuleBreak,
} from "../prover-trace/generation/check.ts";
import type { L2JobJson } from "./outcome.ts";

/** Why the paid generation `j` with claimed logits `logits` ([window * vocab]) is not valid, or null. */
export function generationProblem(j: L2JobJson, logits: Int32Array): string | null {
  const g = j.generation;
  const claim = j.claim;
  if (!g || !claim) return "not a generation job with a claim";
  const generated = g.generated;
  if (!generated) return "no generated tokens on the job";
  if (logits.length % g.window !== 0) return `${logits.length} logits are not [${g.window}, vocab]`;
  const vocab = logits.length / g.window;
  let job: GenerationJob;
  try {
    job = { prompt: g.prompt, ...decodeGenerationParams(g.params) };
  } catch (e) {
    return `the job's params: ${(e as Error).message}`;
  }
  const why = sequenceRuleBreak(job, generated, vocab);
  if (why) return why;
  const passRoot = generationPassInputRoot(g.prompt, generated, g.window);
  if (!bytesEqual(passRoot, fromHex(claim.inputRoot)))
    return `claim inputRoot ${claim.inputRoot} is not the pass input root ${toHex(passRoot)}`;
  const spec = generationSpec(g.prompt.length, generated.length, jobParamsHash(job));
  if (!bytesEqual(spec, fromHex(claim.generationSpec)))
    return `claim generationSpec ${claim.generationSpec} is not ${toHex(spec)}`;
  for (let k = 0; k < generated.length; k++) {
    const pick = rulePick(job.rule, logits, vocab, g.prompt.length, k);
    if (pick !== generated[k])
      return `token ${k} is ${generated[k]}, the rule picks ${pick} from the claim's logits`;
  }
  return null;
}
