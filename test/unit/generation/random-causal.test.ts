// Issue 19's property on generated causal models: for every step of greedy and seeded sampling
// generations, the leaf from the incremental decode equals the leaf rebuilt from one pass.
import t from "tap";
import { bytesEqual, toHex } from "../../../protocol/index.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { generate, onePassCheck } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";

const seedBytes = (s: number) => Uint8Array.from({ length: 32 }, (_, i) => (s * 31 + i * 7) & 0xff);

for (const seed of [3, 11, 29]) {
  t.test(`seeded transformer ${seed}: incremental leaves equal one-pass leaves`, async (t) => {
    const runner = await createRunner(
      encodeOnnx(buildTransformerLm({ seed, seqLen: 16, dModel: 32, heads: 2, layers: 2, ffDim: 64 })),
    );
    t.teardown(() => runner.dispose());
    const model = runnerLanguageModel(runner);
    t.equal(model.window, 16);
    t.ok(model.rowNodes.length > 0);
    const prompt = [72, 105, 32].slice(0, 1 + (seed % 3));
    for (const rule of [
      { kind: "greedy" as const },
      { kind: "sample" as const, topK: 32, halfLife: 4, seed: seedBytes(seed) },
    ]) {
      const job = { prompt, maxTokens: 6, stopToken: null, rule };
      const inc = await generate(model, job, { traced: true });
      const pass = await onePassCheck(model, job, inc.tokens);
      t.equal(pass.firstWrongToken, -1, `${rule.kind}: every token is the rule's pick`);
      for (const [k, leaf] of inc.leaves.entries())
        t.equal(toHex(pass.leaves[k]), toHex(leaf), `${rule.kind}: step ${k} leaf`);
      t.ok(
        bytesEqual(pass.generationRoot, inc.generationRoot as Uint8Array),
        `${rule.kind}: generation root`,
      );
      // Not vacuous: the two runs differ after the step's position (padding vs the real tokens),
      // yet agree on the rows the leaves commit to.
      const step0 = new Int32Array(model.window);
      step0.set(prompt);
      const full = new Int32Array(model.window);
      full.set([...prompt, ...inc.tokens.slice(0, -1)]);
      const a = (await model.run(step0, false)).logits;
      const b = (await model.run(full, false)).logits;
      const P = prompt.length * model.vocab;
      t.same(a.slice(0, P), b.slice(0, P), `${rule.kind}: the prompt's rows agree`);
      t.notSame(a.slice(P), b.slice(P), `${rule.kind}: later rows differ`);
    }
  });
}
