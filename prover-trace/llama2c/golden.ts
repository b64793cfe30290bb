/** golden.json of stories260K: prompts and greedy continuations from the float32 reference. */

export interface GoldenCase {
  prompt: string;
  promptTokens: number[];
  generated: number[];
}

export interface Golden {
  cases: GoldenCase[];
}

export function parseGolden(text: string, vocab: number): Golden {
  const j = JSON.parse(text) as { cases?: unknown };
  if (!Array.isArray(j.cases) || j.cases.length === 0) throw new Error("golden.json: no cases");
  const ids = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0 && x < vocab))
      throw new Error(`golden.json: ${what} must be token ids in [0, ${vocab - 1}]`);
    return v as number[];
  };
  return {
    cases: j.cases.map((c: { prompt?: unknown; promptTokens?: unknown; generated?: unknown }, i) => {
      if (typeof c.prompt !== "string") throw new Error(`golden.json: case ${i} has no prompt`);
      return {
        prompt: c.prompt,
        promptTokens: ids(c.promptTokens, `case ${i} promptTokens`),
        generated: ids(c.generated, `case ${i} generated`),
      };
    }),
  };
}

/** prompt ++ generated: the full golden sequence of a case. */
export const goldenSequence = (c: GoldenCase): number[] => [...c.promptTokens, ...c.generated];
