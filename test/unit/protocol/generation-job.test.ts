import t from "tap";
import {
  decodeGenerationParams,
  encodeGenerationParams,
  type GenerationParams,
  GenerationParamsError,
  generationParamsHash,
  generationParamsToJson,
  NO_STOP_TOKEN,
} from "../../../protocol/generation-job.ts";
import { toHex } from "../../../protocol/index.ts";
import { generationInputRoot, tokensRoot } from "../../../prover-trace/commit/generation.ts";

const seed = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const sample: GenerationParams = {
  maxTokens: 128,
  stopToken: 1,
  rule: { kind: "sample", topK: 40, halfLife: 2500, seed },
};
const greedy: GenerationParams = { maxTokens: 7, stopToken: null, rule: { kind: "greedy" } };

t.test("encoding layout, hand-checked", async (t) => {
  const e = encodeGenerationParams(sample);
  t.equal(e.length, 50);
  t.equal(
    toHex(e.subarray(0, 18)),
    "0x4a" + "00000080" + "00000001" + "01" + "00000028" + "000009c4",
    "tag, maxTokens, stopToken, kind, topK, halfLife",
  );
  t.same(e.subarray(18), seed);
  const g = encodeGenerationParams(greedy);
  t.equal(toHex(g.subarray(0, 18)), `0x4a00000007${NO_STOP_TOKEN.toString(16)}00${"00".repeat(8)}`);
  t.same(g.subarray(18), new Uint8Array(32), "greedy has a zero seed");
});

t.test("JSON round trip; the hash changes with every field", async (t) => {
  for (const p of [sample, greedy]) {
    const back = decodeGenerationParams(JSON.parse(JSON.stringify(generationParamsToJson(p))));
    t.same(encodeGenerationParams(back), encodeGenerationParams(p));
  }
  const variants: GenerationParams[] = [
    { ...sample, maxTokens: 127 },
    { ...sample, stopToken: null },
    { ...sample, stopToken: 2 },
    {
      ...sample,
      rule: {
        ...(sample.rule as { kind: "sample"; topK: number; halfLife: number; seed: Uint8Array }),
        topK: 41,
      },
    },
    { ...sample, rule: { kind: "sample", topK: 40, halfLife: 2501, seed } },
    {
      ...sample,
      rule: { kind: "sample", topK: 40, halfLife: 2500, seed: seed.map((x, i) => (i === 31 ? x ^ 1 : x)) },
    },
    { ...sample, rule: { kind: "greedy" } },
  ];
  const h = toHex(generationParamsHash(sample));
  for (const v of variants) t.not(toHex(generationParamsHash(v)), h);
});

t.test("hostile JSON is refused with the field named", async (t) => {
  const ok = generationParamsToJson(sample) as Record<string, unknown>;
  const rule = ok.rule as Record<string, unknown>;
  const bad: [unknown, RegExp][] = [
    [null, /expected an object/],
    [[], /expected an object/],
    [{ ...ok, extra: 1 }, /unknown field\(s\) extra/],
    [{ maxTokens: 5, rule }, /stopToken: missing/],
    [{ ...ok, maxTokens: 0 }, /field maxTokens/],
    [{ ...ok, maxTokens: "5" }, /field maxTokens/],
    [{ ...ok, maxTokens: 2 ** 31 }, /field maxTokens/],
    [{ ...ok, stopToken: -1 }, /field stopToken/],
    [{ ...ok, stopToken: 1.5 }, /field stopToken/],
    [{ ...ok, rule: "greedy" }, /field rule: expected an object/],
    [{ ...ok, rule: { kind: "beam" } }, /rule.kind/],
    [{ ...ok, rule: { kind: "greedy", topK: 1 } }, /unknown field\(s\) topK/],
    [{ ...ok, rule: { ...rule, topK: 0 } }, /rule.topK/],
    [{ ...ok, rule: { ...rule, halfLife: 0 } }, /rule.halfLife/],
    [{ ...ok, rule: { ...rule, halfLife: 2 ** 31 } }, /rule.halfLife/],
    [{ ...ok, rule: { ...rule, seed: "0x1234" } }, /rule.seed/],
    [{ ...ok, rule: { ...rule, seed: undefined } }, /rule.seed/],
  ];
  for (const [json, why] of bad)
    t.throws(
      () => decodeGenerationParams(json),
      { name: GenerationParamsError.name, message: why },
      String(why),
    );
  t.throws(
    () =>
      encodeGenerationParams({
        ...sample,
        rule: { kind: "sample", topK: 4, halfLife: 9, seed: new Uint8Array(3) },
      }),
    /seed/,
  );
});

t.test("the job's input root is step 0's input root", async (t) => {
  const prompt = [1, 403, 407, 261];
  t.same(generationInputRoot(prompt), tokensRoot(prompt));
});
