/**
 * How far an integer LM agrees with the float one on golden.json: teacher-forced top-1
 * agreement over the golden positions (each model fed the golden prefix; the positions that
 * predict the generated tokens), the first greedy divergence from the golden sequence per case,
 * and the integer model's own greedy story.
 */
import { firstDivergence, greedyGenerate, type LogitsFn, teacherForcedArgmax } from "./generate.ts";
import { type Golden, goldenSequence } from "./golden.ts";

export interface LmCaseResult {
  prompt: string;
  /** First position where the integer model's greedy sequence leaves golden.json (-1: never, or greedy not run). */
  firstDivergence: number;
  /** Teacher-forced positions where integer and float argmax agree, of `positions`. */
  agree: number;
  positions: number;
  /** The integer model's greedy sequence (prompt included; empty when greedy was not run). */
  tokens: number[];
}

export interface LmAgreement {
  top1Agreement: number;
  agree: number;
  positions: number;
  cases: LmCaseResult[];
}

export async function lmAgreement(
  floatLogits: LogitsFn,
  intLogits: LogitsFn,
  golden: Golden,
  window: number,
  vocab: number,
  options: { greedy?: boolean } = {},
): Promise<LmAgreement> {
  const cases: LmCaseResult[] = [];
  for (const c of golden.cases) {
    const seq = goldenSequence(c);
    const f = await teacherForcedArgmax(floatLogits, seq, window, vocab);
    const i = await teacherForcedArgmax(intLogits, seq, window, vocab);
    let agree = 0;
    let positions = 0;
    for (let p = c.promptTokens.length - 1; p < seq.length - 1; p++) {
      positions++;
      if (f[p] === i[p]) agree++;
    }
    // Greedy decoding costs one run per token; without it the case reports no divergence.
    const tokens =
      options.greedy === false
        ? []
        : await greedyGenerate(intLogits, c.promptTokens, seq.length, window, vocab);
    cases.push({ prompt: c.prompt, firstDivergence: firstDivergence(tokens, seq), agree, positions, tokens });
  }
  const agree = cases.reduce((n, c) => n + c.agree, 0);
  const positions = cases.reduce((n, c) => n + c.positions, 0);
  return { top1Agreement: agree / positions, agree, positions, cases };
}
