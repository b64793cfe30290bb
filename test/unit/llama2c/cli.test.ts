import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { parseNpy } from "../../../prover-trace/import/npy.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { decodeOnnx } from "../../../prover-trace/onnx/io.ts";

const run = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);

t.test("verdict model convert-llama2c writes the float model and calibration samples", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-llama2c-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "f.onnx");
  const r = await run(process.execPath, [
    VERDICT,
    "model",
    "convert-llama2c",
    files.checkpoint,
    "--out",
    out,
    "--window",
    "16",
    "--calib-out",
    join(dir, "calib"),
    "--calib-samples",
    "2",
  ]);
  t.match(
    r.stdout,
    /wrote .*f\.onnx: float32 llama2\.c model, dim 64, 5 layers, 8\/4 heads, vocab 512, window 16/,
  );
  const m = decodeOnnx(new Uint8Array(readFileSync(out)));
  t.same(m.graph.inputs[0].shape, [16]);
  t.same(m.graph.outputs[0].shape, [16, 512]);
  for (const s of ["sample-000", "sample-001"]) {
    const a = parseNpy(new Uint8Array(readFileSync(join(dir, "calib", s, "tokens.npy"))));
    t.same([a.dtype, a.shape], ["int32", [16]]);
    t.equal(a.data[0], 1, "BOS first");
    t.ok(Array.from(a.data as Int32Array).every((x) => x >= 0 && x < 512));
  }

  const fail = async (args: string[], re: RegExp) => {
    const e = (await run(process.execPath, [VERDICT, "model", "convert-llama2c", ...args]).catch(
      (x) => x,
    )) as {
      code: number;
      stderr: string;
    };
    t.equal(e.code, 1);
    t.match(e.stderr, re);
  };
  await fail(
    [files.checkpoint, "--out", join(dir, "x.onnx"), "--window", "600"],
    /window 600 outside \[1, 512\]/,
  );
  await fail([files.checkpoint, "--out", join(dir, "x.onnx"), "--window", "0"], /window 0/);
  writeFileSync(join(dir, "junk.bin"), "not a checkpoint at all, just text");
  await fail([join(dir, "junk.bin"), "--out", join(dir, "x.onnx")], /checkpoint header/);
  t.notOk(existsSync(join(dir, "x.onnx")), "nothing written on failure");
});
