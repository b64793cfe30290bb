import t from "tap";
import { bytesEqual, toHex } from "../../../protocol/index.ts";
import {
  firstLeafMismatch,
  generate,
  type LanguageModel,
  onePassCheck,
} from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { EOS_ID } from "../../../prover-trace/tokenizer/sentencepiece.ts";
import { importedStories260k, VOCAB, WINDOW } from "./stories260k.ts";

const { intBytes, golden, tokenizer } = await importedStories260k();
const runner = await createRunner(intBytes);
t.teardown(() => runner.dispose());
const model = runnerLanguageModel(runner);

t.test("the imported model is a causal LM with row nodes", async (t) => {
  t.equal(model.window, WINDOW);
  t.equal(model.vocab, VOCAB);
  const nodes = runner.profile.nodes.length;
  t.ok(
    model.rowNodes.length > nodes / 2,
    `${model.rowNodes.length} of ${nodes} nodes are [T, ...] row nodes`,
  );
  t.ok(model.rowNodes.includes(runner.profile.outputs[0].ref.index), "the logits node is a row node");
});

t.test("greedy generation continues a golden prompt like the golden story", async (t) => {
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
  t.equal(r.generationRoot, null, "a plain run commits no steps");
});

const seed = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3);
const rules = [
  { name: "greedy", rule: { kind: "greedy" as const } },
  { name: "sample top-40", rule: { kind: "sample" as const, topK: 40, halfLife: 2500, seed } },
];

for (const { name, rule } of rules)
  t.test(
    `${name}: each step's leaf from the incremental loop equals the one-pass leaf (issue 19)`,
    async (t) => {
      const job = { prompt: golden.cases[1].promptTokens, maxTokens: 5, stopToken: null, rule };
      const inc = await generate(model, job, { traced: true });
      t.equal(inc.leaves.length, 5);
      const again = await generate(model, job, { traced: true });
      t.same(again.tokens, inc.tokens, "a second worker writes the same tokens");
      t.ok(bytesEqual(again.generationRoot!, inc.generationRoot!), "and the same generation root");
      const pass = await onePassCheck(model, job, inc.tokens);
      t.equal(pass.firstWrongToken, -1, "every claimed token is the rule's pick");
      t.equal(pass.shapeError, null);
      for (const [k, leaf] of inc.leaves.entries())
        t.equal(toHex(pass.leaves[k]), toHex(leaf), `step ${k} leaf`);
      t.ok(bytesEqual(pass.generationRoot, inc.generationRoot!), "one pass rebuilds the generation root");
      t.comment(`${name}: ${JSON.stringify(tokenizer.decode([...job.prompt, ...inc.tokens]))}`);

      // A claim with one wrong token at step 2 is caught at step 2 by the same single pass.
      const lie = [...inc.tokens];
      lie[2] = (lie[2] + 1) % VOCAB;
      const caught = await onePassCheck(model, job, lie);
      t.equal(caught.firstWrongToken, 2, "the wrong token is found at step 2");
      t.ok(bytesEqual(caught.leaves[1], inc.leaves[1]), "steps before it keep their leaves");
      t.notOk(bytesEqual(caught.leaves[2], inc.leaves[2]), "step 2's leaf differs");
    },
  );

t.test("stop token and hostile jobs", async (t) => {
  const c = golden.cases[2];
  const stopAt = c.generated[3];
  const r = await generate(model, {
    prompt: c.promptTokens,
    maxTokens: 10,
    stopToken: stopAt,
    rule: { kind: "greedy" },
  });
  t.ok(r.stopped, "the stop token ends the generation");
  t.equal(r.tokens[r.tokens.length - 1], stopAt, "and is part of the output");
  t.ok(r.tokens.length <= 4);
  const job = { prompt: c.promptTokens, maxTokens: 10, stopToken: stopAt, rule: { kind: "greedy" as const } };
  t.match((await onePassCheck(model, job, r.tokens.slice(0, -1))).shapeError, /without the stop token/);
  t.match((await onePassCheck(model, job, [...r.tokens, 5])).shapeError, /after the stop token/);
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
  for (const [job, why] of bad)
    await t.rejects(generate(model, job as never), { name: "GenerationJobError", message: why });
  await t.rejects(onePassCheck(model, job, []), /1\.\.10 tokens/);
  await t.rejects(onePassCheck(model, job, [VOCAB]), /claimed token 0/);
});

t.test("verdict generate --model --prompt --tokens --json: token ids and text, no network", async (t) => {
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
  t.match(out.outputRoot, /^0x[0-9a-f]{64}$/);
  const sampled = await run(
    process.execPath,
    [bin, ...args, "--top-k", "40", "--half-life", "2500", "--seed", toHex(seed), "--traced"],
    { timeout: 120_000 },
  );
  const s = JSON.parse(sampled.stdout.trim().split("\n").pop() as string);
  const lib = await generate(
    model,
    { prompt: c.promptTokens, maxTokens: 6, stopToken: 1, rule: rules[1].rule },
    { traced: true },
  );
  t.same(s.tokens, lib.tokens, "the CLI samples what the library samples");
  t.equal(s.generationRoot, toHex(lib.generationRoot!), "and commits the same generation root");
  await t.rejects(run(process.execPath, [bin, ...args, "--seed", "0x12"]), /sampling needs all of/);
  await t.rejects(
    run(process.execPath, [bin, ...args, "--top-k", "4", "--half-life", "9", "--seed", "0x12"]),
    /--seed must be 0x and 64 hex digits/,
  );
  await t.rejects(run(process.execPath, [bin, "generate", "--prompt", "x"]), /needs --model/);
  await t.rejects(
    run(process.execPath, [bin, ...args, "--top-k", "513", "--half-life", "9", "--seed", toHex(seed)]),
    /topK/,
  );
});

t.test("one wrong element inside step 2's rows is found at step 2 by the one-pass check", async (t) => {
  // A faulty worker: the real model, but in its third run one element of a row node's row p
  // (the new position) is off by one before it is committed: the tokens stay right.
  let calls = 0;
  const victim = model.rowNodes[Math.floor(model.rowNodes.length / 2)];
  const faulty: LanguageModel = {
    window: model.window,
    vocab: model.vocab,
    rowNodes: model.rowNodes,
    async run(tokens, traced) {
      const r = await model.run(tokens, traced);
      if (traced && calls++ === 2 && r.nodeOutputs) {
        const out = r.nodeOutputs[victim][0];
        const p = golden.cases[1].promptTokens.length + 2 - 1; // step 2 reads position P + 1
        const rowElems = out.data.byteLength / out.shape[0] / (out.data as Int32Array).BYTES_PER_ELEMENT;
        const data = out.data as Int32Array | Int8Array | Uint8Array;
        data[p * rowElems] += 1; // typed arrays wrap, so the element always changes
      }
      return r;
    },
  };
  const job = {
    prompt: golden.cases[1].promptTokens,
    maxTokens: 4,
    stopToken: null,
    rule: { kind: "greedy" as const },
  };
  const lie = await generate(faulty, job, { traced: true });
  const pass = await onePassCheck(model, job, lie.tokens);
  t.equal(pass.firstWrongToken, -1, "every token is right");
  t.equal(firstLeafMismatch(lie.leaves, pass.leaves), 2, "the first wrong leaf is step 2's");
  t.ok(bytesEqual(lie.leaves[3], pass.leaves[3]), "step 3's leaf is right again");
  t.notOk(bytesEqual(lie.generationRoot!, pass.generationRoot), "the generation roots differ");
});

t.test("verdict generate --check: one pass over a claim file names the wrong step", async (t) => {
  const { execFile } = await import("node:child_process");
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { promisify } = await import("node:util");
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), "verdict-check-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const modelPath = join(dir, "m.onnx");
  writeFileSync(modelPath, intBytes);
  const bin = join(import.meta.dirname, "../../../bin/verdict.ts");
  const gen = await run(
    process.execPath,
    [
      bin,
      "generate",
      "--model",
      modelPath,
      "--prompt",
      golden.cases[0].prompt,
      "--tokens",
      "5",
      "--traced",
      "--json",
      "--top-k",
      "20",
      "--half-life",
      "3000",
      "--seed",
      toHex(seed),
    ],
    { timeout: 120_000 },
  );
  const claim = JSON.parse(gen.stdout.trim().split("\n").pop() as string);
  t.equal(claim.stepLeaves.length, claim.tokens.length);
  const check = async (c: unknown) => {
    const f = join(dir, "claim.json");
    writeFileSync(f, JSON.stringify(c));
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
  t.equal(honest.code, 0);
  t.same({ ok: honest.out.ok, root: honest.out.generationRoot }, { ok: true, root: claim.generationRoot });
  const wrongToken = await check({
    ...claim,
    tokens: claim.tokens.map((x: number, k: number) => (k === 3 ? (x + 1) % VOCAB : x)),
  });
  t.equal(wrongToken.code, 1);
  t.equal(wrongToken.out.firstWrongToken, 3, "a wrong token at step 3 is named");
  const wrongLeaf = await check({
    ...claim,
    stepLeaves: claim.stepLeaves.map((l: string, k: number) => (k === 1 ? `0x${"ab".repeat(32)}` : l)),
  });
  t.equal(wrongLeaf.code, 1);
  t.equal(wrongLeaf.out.firstWrongLeaf, 1, "a wrong leaf at step 1 is named");
  t.equal(wrongLeaf.out.firstWrongToken, -1);
  const hostile = await check({
    ...claim,
    rule: { kind: "sample", topK: 0, halfLife: 1, seed: claim.rule.seed },
  });
  t.equal(hostile.code, 1);
  t.match(hostile.out, /rule.topK/);
});
