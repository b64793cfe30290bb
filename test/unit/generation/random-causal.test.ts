// The generation claim on generated causal models (seeded builder transformers, int32 token input):
// plain incremental decoding writes exactly the tokens the rule picks from ONE traced pass over the
// final sequence, for greedy and seeded sampling; the watcher's fast path agrees with the honest
// claim, names a wrong token at its step and a wrong element inside the pass as a pass mismatch.
import t from "tap";
import { bytesEqual } from "../../../protocol/index.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { generationSequence } from "../../../prover-trace/commit/generation.ts";
import { firstTokenRuleBreak, generationClaimRoots } from "../../../prover-trace/generation/check.ts";
import { checkGeneration, decode, generate } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";

const seedBytes = (s: number) => Uint8Array.from({ length: 32 }, (_, i) => (s * 31 + i * 7) & 0xff);
const lm = (seed: number, tokenInput: "uint8" | "int32") =>
  encodeOnnx(
    buildTransformerLm({ seed, seqLen: 16, dModel: 32, heads: 2, layers: 2, ffDim: 64, tokenInput }),
  );

for (const seed of [3, 11, 29]) {
  t.test(`seeded transformer ${seed}: incremental tokens are the one pass's rule picks`, async (t) => {
    const runner = await createRunner(lm(seed, "int32"));
    t.teardown(() => runner.dispose());
    const model = runnerLanguageModel(runner);
    t.equal(model.window, 16);
    const prompt = [72, 105, 32].slice(0, 1 + (seed % 3));
    for (const rule of [
      { kind: "greedy" as const },
      { kind: "sample" as const, topK: 32, halfLife: 4, seed: seedBytes(seed) },
    ]) {
      const job = { prompt, maxTokens: 6, stopToken: null, rule };
      const inc = await generate(model, job, { traced: true });
      t.equal(inc.tokens.length, 6);
      const proved = inc.proved!;
      // Independently of proveGeneration's own check: a fresh pass over the final sequence.
      const again = await model.pass(generationSequence(prompt, inc.tokens, model.window));
      t.equal(
        firstTokenRuleBreak(rule, again.logits, model.vocab, prompt.length, inc.tokens),
        -1,
        `${rule.kind}: every token is the pass's pick`,
      );
      t.ok(
        bytesEqual(again.traceRoot, proved.claim.traceRoot),
        `${rule.kind}: a second pass has the same trace root`,
      );
      const { verdict } = await checkGeneration(model, job, inc.tokens, proved.claim);
      t.same(verdict, { kind: "agree" }, `${rule.kind}: the fast path agrees`);

      // Not vacuous: the step runs and the pass differ after each step's position (padding vs
      // the real tokens), yet the rows up to it agree.
      const step0 = new Int32Array(model.window);
      step0.set(prompt);
      const a = await model.logits(step0);
      const P = prompt.length * model.vocab;
      t.same(a.slice(0, P), again.logits.slice(0, P), `${rule.kind}: the prompt's rows agree`);
      t.notSame(a.slice(P), again.logits.slice(P), `${rule.kind}: later rows differ`);

      // One wrong token at step 3, defended with an honest pass over the lie: named at step 3.
      const lie = [...inc.tokens];
      lie[3] = (lie[3] + 1) % model.vocab;
      const liePass = await model.pass(generationSequence(prompt, lie, model.window));
      const lieClaim = generationClaimRoots(job, lie, model.window, liePass);
      const caught = (await checkGeneration(model, job, lie, lieClaim)).verdict;
      t.match(
        caught,
        { kind: "token-rule", step: 3, claimed: lie[3], expected: inc.tokens[3] },
        `${rule.kind}: wrong token at step 3`,
      );
    }
  });
}

t.test("one wrong element inside the pass is a pass mismatch", async (t) => {
  const runner = await createRunner(lm(5, "int32"));
  t.teardown(() => runner.dispose());
  const honest = runnerLanguageModel(runner);
  const victim = Math.floor(runner.profile.nodes.length / 2);
  const faulty = runnerLanguageModel(runner, {
    tamper: (outs) => {
      const d = outs[victim][0].data as Int32Array;
      d[d.length - 1] += 1; // the last element: a padding row, so no token changes
    },
  });
  const job = { prompt: [1, 2], maxTokens: 5, stopToken: null, rule: { kind: "greedy" as const } };
  const lie = await generate(faulty, job, { traced: true });
  const truth = await generate(honest, job, { traced: true });
  t.same(lie.tokens, truth.tokens, "the tokens are right");
  t.ok(bytesEqual(lie.proved!.claim.inputRoot, truth.proved!.claim.inputRoot));
  const { verdict } = await checkGeneration(honest, job, lie.tokens, lie.proved!.claim);
  t.match(verdict, { kind: "pass-differs", traceRootDiffers: true }, "found as a pass mismatch");
});

t.test("a uint8-input model generates but cannot carry a claim", async (t) => {
  const runner = await createRunner(lm(3, "uint8"));
  t.teardown(() => runner.dispose());
  const model = runnerLanguageModel(runner);
  const job = { prompt: [72], maxTokens: 3, stopToken: null, rule: { kind: "greedy" as const } };
  const plain = await decode(model, job);
  t.equal(plain.tokens.length, 3);
  await t.rejects(generate(model, job, { traced: true }), {
    name: "GenerationJobError",
    message: /int32 token ids/,
  });
});

t.test("a model that is not causal is refused", async (t) => {
  // Incremental decoding on one model, the pass on another: exactly what a non-causal model looks
  // like to the worker (the pass's rows disagree with the step runs).
  const a = await createRunner(lm(7, "int32"));
  const b = await createRunner(lm(8, "int32"));
  t.teardown(async () => {
    await a.dispose();
    await b.dispose();
  });
  const ma = runnerLanguageModel(a);
  const mb = runnerLanguageModel(b);
  const mixed = { window: ma.window, vocab: ma.vocab, logits: ma.logits, pass: mb.pass };
  const job = { prompt: [1, 2], maxTokens: 6, stopToken: null, rule: { kind: "greedy" as const } };
  await t.rejects(generate(mixed, job, { traced: true }), {
    name: "GenerationJobError",
    message: /model is not causal: decoding step \d+/,
  });
});
