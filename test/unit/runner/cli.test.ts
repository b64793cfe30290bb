import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";

const run = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const dir = mkdtempSync(join(tmpdir(), "verdict-infer-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function verdict(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [VERDICT, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

t.test("model build + infer end to end through the CLI", async (t) => {
  const lm = join(dir, "lm.onnx");
  const built = await verdict(
    "model",
    "build",
    "--kind",
    "transformer",
    "--seed",
    "9",
    "--out",
    lm,
    "--json",
  );
  t.equal(built.code, 0, built.stderr);
  const summary = JSON.parse(built.stdout.trim().split("\n").at(-1)!);
  t.equal(summary.nodes > 100, true, `${summary.nodes} nodes`);
  t.match(summary.modelId, /^0x[0-9a-f]{64}$/);

  const a = await verdict("infer", "--model", lm, "--prompt", "Hello, Verdict", "--tokens", "16", "--json");
  t.equal(a.code, 0, a.stderr);
  const ja = JSON.parse(a.stdout.trim().split("\n").at(-1)!);
  t.equal(ja.tokens.length, 16, "16 tokens generated");
  t.equal(ja.steps.length, 16, "roots for every step");
  t.equal(ja.modelId, summary.modelId, "infer reports the same model id as build");
  for (const s of ja.steps)
    for (const k of ["inputRoot", "outputRoot", "traceRoot"]) t.match(s[k], /^0x[0-9a-f]{64}$/);

  const b = await verdict(
    "infer",
    "--model",
    lm,
    "--prompt",
    "Hello, Verdict",
    "--tokens",
    "16",
    "--json",
    "--threads",
    "2",
    "--opt-level",
    "disabled",
    "--pipeline",
  );
  t.equal(b.code, 0, b.stderr);
  t.same(
    JSON.parse(b.stdout.trim().split("\n").at(-1)!),
    ja,
    "same text and roots with 2 threads, no graph optimization, pipelined hashing",
  );

  const human = await verdict("infer", "--model", lm, "--prompt", "Hello, Verdict", "--tokens", "2");
  t.equal(human.code, 0, human.stderr);
  t.match(
    human.stdout,
    /^step 0 token \d+ '.*' input 0x[0-9a-f]{64} output 0x[0-9a-f]{64} trace 0x[0-9a-f]{64}$/m,
  );
  t.match(human.stdout, /^generated: .+$/m);
  t.match(human.stdout, new RegExp(`^model id ${summary.modelId}$`, "m"));
});

t.test("MLP infer with a seed and with JSON values", async (t) => {
  const mlp = join(dir, "mlp.onnx");
  t.equal(
    (await verdict("model", "build", "--kind", "mlp", "--seed", "2", "--input-dim", "4", "--out", mlp)).code,
    0,
  );
  const a = await verdict("infer", "--model", mlp, "--input", "7", "--json");
  t.equal(a.code, 0, a.stderr);
  const b = await verdict("infer", "--model", mlp, "--input", "7", "--json");
  t.same(JSON.parse(a.stdout), JSON.parse(b.stdout), "deterministic");
  t.equal(JSON.parse(a.stdout).outputs.logits.length, 10);
  const c = await verdict("infer", "--model", mlp, "--input", "[[1, -2, 3, 127]]", "--json");
  t.equal(c.code, 0, c.stderr);
  t.not(JSON.parse(c.stdout).traceRoot, JSON.parse(a.stdout).traceRoot);
});

t.test("hostile flags fail with one clear line", async (t) => {
  const mlp = join(dir, "mlp2.onnx");
  await verdict("model", "build", "--kind", "mlp", "--out", mlp);
  const garbage = join(dir, "garbage.onnx");
  writeFileSync(garbage, new Uint8Array([0x08, 0x07, 0x12, 0xff, 0xff, 0x01]));
  const cases: [string[], RegExp][] = [
    [["model", "build", "--kind", "cnn", "--out", join(dir, "x.onnx")], /--kind must be mlp or transformer/],
    [
      ["model", "build", "--kind", "mlp", "--seed", "1x", "--out", join(dir, "x.onnx")],
      /--seed must be a non-negative integer/,
    ],
    [
      [
        "model",
        "build",
        "--kind",
        "transformer",
        "--d-model",
        "30",
        "--heads",
        "4",
        "--out",
        join(dir, "x.onnx"),
      ],
      /not divisible by heads/,
    ],
    [["infer", "--model", mlp, "--input", "[1,2]"], /--input has 2 values, input 'x' \[1,64\] needs 64/],
    [
      ["infer", "--model", mlp, "--input", "[" + "300,".repeat(63) + "1]"],
      /--input value 0 \(300\) is not a int8 integer/,
    ],
    [["infer", "--model", mlp, "--input", "nope"], /--input must be a JSON array or an integer seed/],
    [["infer", "--model", mlp, "--prompt", "hi"], /not an LM/],
    [["infer", "--model", mlp, "--input", "1", "--ep", "cuda"], /CUDA execution provider is not available: /],
    [["infer", "--model", mlp, "--input", "1", "--opt-level", "max"], /--opt-level must be one of/],
    [["infer", "--model", join(dir, "missing.onnx"), "--input", "1"], /ENOENT/],
    [["infer", "--model", garbage, "--input", "1"], /model is outside the integer profile:\nmodel: /],
  ];
  for (const [args, re] of cases) {
    const r = await verdict(...args);
    t.equal(r.code, 1, `${args.join(" ")} exits 1`);
    t.match(r.stderr, re);
  }
});
