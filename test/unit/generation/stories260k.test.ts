import t from "tap";
import { bytesEqual, toHex } from "../../../protocol/index.ts";
import { generationSequence } from "../../../prover-trace/commit/generation.ts";
import { firstTokenRuleBreak, generationClaimRoots } from "../../../prover-trace/generation/check.ts";
import { checkGeneration, decode, generate } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { EOS_ID } from "../../../prover-trace/tokenizer/sentencepiece.ts";
import { importedStories260k, VOCAB, WINDOW } from "./stories260k.ts";

const { intBytes, golden, tokenizer } = await importedStories260k();
const runner = await createRunner(intBytes);
t.teardown(() => runner.dispose());
const model = runnerLanguageModel(runner);

t.test("greedy generation continues a golden prompt like the golden story", async (t) => {
  t.equal(model.window, WINDOW);
  t.equal(model.vocab, VOCAB);
  const c = golden.cases[2];
  const r = await generate(model, {
    prompt: c.promptTokens,
    maxTokens: 12,
    stopToken: EOS_ID,
    rule: { kind: "greedy" },
  });
  t.same(r.tokens, c.generated.slice(0, 12), "the first 12 greedy tokens are the golden ones");
  const text = tokenizer.decode([...c.promptTokens, ...r.tokens]);
  const goldenText = tokenizer.decode([...c.promptTokens, ...c.generated]);
  t.ok(goldenText.startsWith(text), `${JSON.stringify(text)} starts the golden story`);
  t.equal(r.proved, null, "a plain generation makes no claim");
});

const seed = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3);
const rules = [
  { name: "greedy", rule: { kind: "greedy" as const } },
  { name: "sample top-40", rule: { kind: "sample" as const, topK: 40, halfLife: 2500, seed } },
];

for (const { name, rule } of rules)
  t.test(
    `${name}: incremental tokens are the one pass's rule picks; the fast path judges claims`,
    async (t) => {
      const job = { prompt: golden.cases[1].promptTokens, maxTokens: 10, stopToken: null, rule };
      const inc = await generate(model, job, { traced: true });
      t.equal(inc.tokens.length, 10);
      const again = await generate(model, job, { traced: true });
      t.same(again.tokens, inc.tokens, "a second worker writes the same tokens");
      t.ok(bytesEqual(again.proved!.claim.traceRoot, inc.proved!.claim.traceRoot), "and the same trace root");
      const pass = await model.pass(generationSequence(job.prompt, inc.tokens, WINDOW));
      t.equal(
        firstTokenRuleBreak(rule, pass.logits, VOCAB, job.prompt.length, inc.tokens),
        -1,
        "every token is the pass's pick",
      );
      t.same((await checkGeneration(model, job, inc.tokens, inc.proved!.claim)).verdict, { kind: "agree" });
      t.comment(`${name}: ${JSON.stringify(tokenizer.decode([...job.prompt, ...inc.tokens]))}`);

      // One wrong token at step 4, defended with an honest pass over the lie: named at step 4.
      const lie = [...inc.tokens];
      lie[4] = (lie[4] + 1) % VOCAB;
      const liePass = await model.pass(generationSequence(job.prompt, lie, WINDOW));
      const { verdict } = await checkGeneration(
        model,
        job,
        lie,
        generationClaimRoots(job, lie, WINDOW, liePass),
      );
      t.match(verdict, {
        kind: "token-rule",
        step: 4,
        position: job.prompt.length + 4,
        expected: inc.tokens[4],
      });
    },
  );

t.test("one wrong element inside the pass is a pass mismatch", async (t) => {
  const node = Math.floor(runner.profile.nodes.length / 2);
  const job = {
    prompt: golden.cases[1].promptTokens,
    maxTokens: 6,
    stopToken: null,
    rule: { kind: "greedy" as const },
  };
  const faulty = runnerLanguageModel(runner, {
    tamper: (outs) => {
      const d = outs[node][0].data as Int32Array;
      d[d.length - 1] += 1; // the last row is padding: the tokens stay right
    },
  });
  const { tokens } = await decode(model, job);
  const liePass = await faulty.pass(generationSequence(job.prompt, tokens, WINDOW));
  const lieClaim = generationClaimRoots(job, tokens, WINDOW, liePass);
  const { verdict, pass } = await checkGeneration(model, job, tokens, lieClaim);
  t.match(verdict, { kind: "pass-differs", traceRootDiffers: true });
  t.not(toHex(pass!.traceRoot), toHex(lieClaim.traceRoot));
});

t.test("stop token and hostile jobs", async (t) => {
  const c = golden.cases[2];
  const stopAt = c.generated[3];
  const job = { prompt: c.promptTokens, maxTokens: 10, stopToken: stopAt, rule: { kind: "greedy" as const } };
  const r = await generate(model, job, { traced: true });
  t.ok(r.stopped, "the stop token ends the generation");
  t.equal(r.tokens[r.tokens.length - 1], stopAt, "and is part of the output");
  t.ok(r.tokens.length <= 4);
  const claim = r.proved!.claim;
  t.match((await checkGeneration(model, job, r.tokens.slice(0, -1), claim)).verdict, {
    kind: "sequence",
    why: /without the stop token/,
  });
  t.match((await checkGeneration(model, job, [...r.tokens, 5], claim)).verdict, {
    kind: "sequence",
    why: /after the stop token/,
  });
  t.match((await checkGeneration(model, job, [VOCAB], claim)).verdict, {
    kind: "sequence",
    why: /generated token 0/,
  });
  const greedy = { kind: "greedy" as const };
  const bad: [unknown, RegExp][] = [
    [{ prompt: [], maxTokens: 1, stopToken: null, rule: greedy }, /at least one token/],
    [{ prompt: [1, VOCAB], maxTokens: 1, stopToken: null, rule: greedy }, /prompt token 1/],
    [{ prompt: [1], maxTokens: 0, stopToken: null, rule: greedy }, /maxTokens/],
    [{ prompt: [1], maxTokens: WINDOW, stopToken: null, rule: greedy }, /maxTokens/],
    [{ prompt: [1], maxTokens: 2, stopToken: -1, rule: greedy }, /stop token/],
    [
      { prompt: [1], maxTokens: 2, stopToken: null, rule: { kind: "sample", topK: 0, halfLife: 1, seed } },
      /topK/,
    ],
  ];
  for (const [job, why] of bad) {
    await t.rejects(generate(model, job as never), { name: "GenerationJobError", message: why });
    await t.rejects(checkGeneration(model, job as never, [1], claim), {
      name: "GenerationJobError",
      message: why,
    });
  }
});

t.test(
  "verdict generate: local generation, --traced claim roots, --check names the wrong step",
  async (t) => {
    const { execFile } = await import("node:child_process");
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { promisify } = await import("node:util");
    const run = promisify(execFile);
    const dir = mkdtempSync(join(tmpdir(), "verdict-generate-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const modelPath = join(dir, "stories260k-int.onnx");
    writeFileSync(modelPath, intBytes);
    const bin = join(import.meta.dirname, "../../../bin/verdict.ts");
    const c = golden.cases[2];
    const args = ["generate", "--model", modelPath, "--prompt", c.prompt, "--tokens", "6", "--json"];
    const r = await run(process.execPath, [bin, ...args], { timeout: 120_000 });
    const out = JSON.parse(r.stdout.trim().split("\n").pop() as string);
    t.same(out.promptTokens, c.promptTokens, "the TS tokenizer encodes the prompt as golden.json does");
    t.same(out.tokens, c.generated.slice(0, 6), "greedy tokens are the golden ones");
    t.ok(out.text.startsWith(c.prompt), `text ${JSON.stringify(out.text)} continues the prompt`);
    t.same(out.rule, { kind: "greedy" });
    t.equal(out.traceRoot, undefined, "no claim without --traced");
    const sampling = ["--top-k", "40", "--half-life", "2500", "--seed", toHex(seed)];
    const sampled = await run(process.execPath, [bin, ...args, ...sampling, "--traced"], {
      timeout: 120_000,
    });
    const claim = JSON.parse(sampled.stdout.trim().split("\n").pop() as string);
    const lib = await generate(
      model,
      { prompt: c.promptTokens, maxTokens: 6, stopToken: 1, rule: rules[1].rule },
      { traced: true },
    );
    t.same(claim.tokens, lib.tokens, "the CLI samples what the library samples");
    t.equal(claim.traceRoot, toHex(lib.proved!.claim.traceRoot), "and claims the same pass");
    t.equal(claim.generationSpec, toHex(lib.proved!.claim.generationSpec));

    const check = async (cl: unknown) => {
      const f = join(dir, "claim.json");
      writeFileSync(f, JSON.stringify(cl));
      try {
        const r = await run(process.execPath, [bin, "generate", "--model", modelPath, "--check", f], {
          timeout: 120_000,
        });
        return { code: 0, out: JSON.parse(r.stdout.trim()) };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout.trim() ? JSON.parse(e.stdout.trim()) : e.stderr };
      }
    };
    const honest = await check(claim);
    t.same(
      { code: honest.code, ok: honest.out.ok, kind: honest.out.verdict.kind },
      { code: 0, ok: true, kind: "agree" },
    );
    // A wrong token at step 3 (roots recomputed honestly over the lie, as a careful liar would).
    const lieTokens = claim.tokens.map((x: number, k: number) => (k === 3 ? (x + 1) % VOCAB : x));
    const job = { prompt: c.promptTokens, maxTokens: 6, stopToken: 1, rule: rules[1].rule };
    const liePass = await model.pass(generationSequence(c.promptTokens, lieTokens, WINDOW));
    const lieRoots = generationClaimRoots(job, lieTokens, WINDOW, liePass);
    const wrongToken = await check({
      ...claim,
      tokens: lieTokens,
      inputRoot: toHex(lieRoots.inputRoot),
      outputRoot: toHex(lieRoots.outputRoot),
      traceRoot: toHex(lieRoots.traceRoot),
    });
    t.equal(wrongToken.code, 1);
    t.equal(wrongToken.out.firstWrongStep, 3, "a wrong token at step 3 is named");
    t.match(wrongToken.out.why, /step 3 .* the one-shot token move/);
    const wrongTrace = await check({ ...claim, traceRoot: `0x${"ab".repeat(32)}` });
    t.equal(wrongTrace.code, 1);
    t.match(wrongTrace.out.verdict, {
      kind: "pass-differs",
      traceRootDiffers: true,
      outputRootDiffers: false,
    });
    const hostile = await check({
      ...claim,
      rule: { kind: "sample", topK: 0, halfLife: 1, seed: claim.rule.seed },
    });
    t.equal(hostile.code, 1);
    t.match(hostile.out, /rule.topK/);
    const noRoot = await check({ ...claim, traceRoot: "0x12" });
    t.match(noRoot.out, /claim field traceRoot/);
    await t.rejects(run(process.execPath, [bin, ...args, "--seed", "0x12"]), /sampling needs all of/);
    await t.rejects(run(process.execPath, [bin, "generate", "--prompt", "x"]), /needs --model/);
  },
);
