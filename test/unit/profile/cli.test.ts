/**
 * `verdict validate` end to end: exit status, OK summary, offending lines on stderr. (Each spawn
 * loads the whole CLI, so this keeps to two; malformed files are covered in hostile.test.ts.)
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";

const run = promisify(execFile);
const cli = new URL("../../../bin/verdict.ts", import.meta.url).pathname;

async function validate(path: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cli, "validate", path]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

t.test("verdict validate", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-validate-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const ok = new GraphBuilder("ok");
  ok.output(ok.op("Relu", [ok.input("x", "int8", [4])]), "int8", [4]);
  writeFileSync(join(dir, "ok.onnx"), encodeOnnx(ok.build()));
  const good = await validate(join(dir, "ok.onnx"));
  t.equal(good.code, 0);
  t.match(good.stdout, /^OK\n/);
  t.match(good.stdout, /nodes\s+1 \(Relu 1\)/);
  t.match(good.stdout, /model id\s+0x[0-9a-f]{64}/);

  const bad = new GraphBuilder("bad");
  const a = bad.input("a", "int32", [4]);
  bad.output(bad.op("Div", [a, a]), "int32");
  bad.output(bad.op("ReduceSum", [a]), "int32");
  writeFileSync(join(dir, "bad.onnx"), encodeOnnx(bad.build()));
  const r = await validate(join(dir, "bad.onnx"));
  t.equal(r.code, 1);
  t.same(r.stderr.trim().split("\n"), [
    "node 0 div_0 (Div): divisor 'a' int32 [-2147483648, 2147483647]: may be 0 (division by zero is a run error); guard it, e.g. Max(divisor, 1)",
    "node 1 reducesum_1 (ReduceSum): op: ONNX Runtime saturates integer ReduceSum; sum with MatMulInteger against a ones vector",
  ]);
});
