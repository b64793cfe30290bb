/**
 * `verdict infer` on an imported llama2.c model (a token LM: int32 token ids in, int32 logits
 * out): the prompt goes through the tokenizer, the integer model generates greedily, one traced
 * run per token, and the continuation comes back as text. The model is made by the CLI
 * (convert-llama2c with its calibration samples, then import) once for this file.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { greedyGenerate } from "../../../prover-trace/llama2c/generate.ts";
import { ortLogits } from "../../../prover-trace/llama2c/ort-logits.ts";
import { parseTokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";

const run = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const WINDOW = 128;
const VOCAB = 512;
const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);
const dir = mkdtempSync(join(tmpdir(), "verdict-infer-llm-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function verdict(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [VERDICT, ...args], { maxBuffer: 1 << 24, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const float = join(dir, "float.onnx");
const model = join(dir, "int.onnx");
const made = [
  await verdict([
    "model",
    "convert-llama2c",
    files.checkpoint,
    "--out",
    float,
    "--calib-out",
    join(dir, "calib"),
    "--calib-samples",
    "4",
  ]),
  await verdict(["model", "import", float, "--calib", join(dir, "calib"), "--out", model]),
];
for (const m of made) if (m.code !== 0) throw new Error(m.stderr);
const tok = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB);
const PROMPT = "Once upon a time, there was a little";

t.test("a prompt in, the integer model's greedy text out", async (t) => {
  const r = await verdict(["infer", "--model", model, "--prompt", PROMPT, "--tokens", "12", "--json"]);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
  t.equal(j.tokenizer, files.tokenizer, "no tokenizer beside the model: stories260K's (vocabulary 512)");
  t.same(j.promptTokens, tok.encode(PROMPT), "the prompt as the tokenizer encodes it (BOS first)");
  t.equal(j.tokens.length, 12, "12 tokens generated");
  t.equal(j.steps.length, 12, "one traced run per token");
  for (const s of j.steps)
    for (const k of ["inputRoot", "outputRoot", "traceRoot"]) t.match(s[k], /^0x[0-9a-f]{64}$/);

  // the same greedy decoding through a plain ORT session of the same integer model
  const int = await ortLogits(new Uint8Array(readFileSync(model)));
  t.teardown(() => int.release());
  const expected = await greedyGenerate(
    int.logitsOf,
    j.promptTokens,
    j.promptTokens.length + 12,
    WINDOW,
    VOCAB,
  );
  t.same(
    j.tokens,
    expected.slice(j.promptTokens.length),
    "the tokens greedy decoding of the integer model gives",
  );
  t.equal(
    j.text,
    tok.decode(expected).slice(PROMPT.length),
    "the text is the tokens' decoding after the prompt",
  );
  t.match(j.text, /^[ ,.a-zA-Z]+$/, `reads as words: ${JSON.stringify(j.text)}`);

  const human = await verdict(["infer", "--model", model, "--prompt", PROMPT, "--tokens", "2"]);
  t.equal(human.code, 0, human.stderr);
  t.match(human.stdout, new RegExp(`^tokenizer ${files.tokenizer}$`, "m"), "says which tokenizer");
  t.match(
    human.stdout,
    /^step 0 token \d+ '.*' input 0x[0-9a-f]{64} output 0x[0-9a-f]{64} trace 0x[0-9a-f]{64}$/m,
  );
  t.match(human.stdout, `generated: ${j.text.slice(0, 4)}`);
});

t.test("tok<V>.bin beside the model, or --tokenizer, is used first", async (t) => {
  const beside = join(dir, "beside");
  mkdirSync(beside);
  copyFileSync(model, join(beside, "int.onnx"));
  copyFileSync(files.tokenizer, join(beside, "tok512.bin"));
  const a = await verdict([
    "infer",
    "--model",
    join(beside, "int.onnx"),
    "--prompt",
    "Tom",
    "--tokens",
    "3",
    "--json",
  ]);
  t.equal(a.code, 0, a.stderr);
  t.equal(JSON.parse(a.stdout).tokenizer, join(beside, "tok512.bin"), "the file beside the model");
  const explicit = join(dir, "my-tokenizer.bin");
  copyFileSync(files.tokenizer, explicit);
  const b = await verdict([
    "infer",
    "--model",
    model,
    "--prompt",
    "Tom",
    "--tokens",
    "3",
    "--tokenizer",
    explicit,
    "--json",
  ]);
  t.equal(b.code, 0, b.stderr);
  t.equal(JSON.parse(b.stdout).tokenizer, explicit, "--tokenizer");
  t.same(JSON.parse(b.stdout).tokens, JSON.parse(a.stdout).tokens, "same tokenizer, same tokens");
});

t.test("hostile tokenizer flags fail with one clear line", async (t) => {
  const short = join(dir, "short.bin");
  writeFileSync(short, new Uint8Array([1, 2]));
  const lm = join(dir, "byte-lm.onnx");
  t.equal((await verdict(["model", "build", "--kind", "transformer", "--out", lm])).code, 0);
  const empty = join(dir, "no-stories");
  mkdirSync(empty);
  const cases: [string[], RegExp, Record<string, string | undefined>?][] = [
    [
      ["infer", "--model", model, "--prompt", "x", "--tokenizer", join(dir, "none.bin")],
      /--tokenizer .*none\.bin: no such file/,
    ],
    [
      ["infer", "--model", model, "--prompt", "x", "--tokenizer", short],
      /tokenizer .*short\.bin: tokenizer file ends inside/,
    ],
    [["infer", "--model", model, "--prompt", "x", "--tokenizer", model], /tokenizer .*int\.onnx: /],
    [["infer", "--model", model], /this model is a token LM: give --prompt/],
    [["infer", "--model", model, "--input", "1"], /this model is a token LM: give --prompt/],
    [
      ["infer", "--model", lm, "--prompt", "x", "--tokenizer", files.tokenizer],
      /--tokenizer is for token LMs/,
    ],
    [
      ["infer", "--model", model, "--prompt", "x"],
      /this model is a token LM \(vocabulary 512\): give --tokenizer <tok\.bin> \(looked for .*tok512\.bin\)/,
      { ...process.env, VERDICT_STORIES260K_DIR: empty },
    ],
  ];
  for (const [args, re, env] of cases) {
    const r = await verdict(args, env);
    t.equal(r.code, 1, `${args.slice(3).join(" ")} exits 1`);
    t.match(r.stderr, re);
  }
});
