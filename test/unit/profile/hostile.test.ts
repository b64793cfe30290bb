/**
 * Hostile files: garbage, truncation, impossible sizes and resource limits all end in a
 * ProfileError with clear lines, never in a crash or a huge allocation.
 */
import t from "tap";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { validateReport } from "../../../prover-trace/profile/cli.ts";
import {
  DEFAULT_LIMITS,
  loadProfileModel,
  ProfileError,
  validateModel,
} from "../../../prover-trace/profile/validate.ts";

function small(): Uint8Array {
  const g = new GraphBuilder("small");
  const x = g.input("x", "int8", [2, 4]);
  const w = g.constant("int8", [4, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "w");
  g.output(g.op("Relu", [g.op("Cast", [g.op("MatMulInteger", [x, w])], { to: 3 })]), "int8", [2, 3]);
  return encodeOnnx(g.build());
}

function linesOf(bytes: Uint8Array): string[] {
  try {
    loadProfileModel(bytes);
  } catch (e) {
    if (e instanceof ProfileError) return e.lines;
    throw e;
  }
  return [];
}

t.test("a valid file loads", async (t) => {
  const pm = loadProfileModel(small());
  t.equal(pm.nodes.length, 3);
  t.equal(pm.paramCount, 12);
});

t.test("empty file", async (t) => {
  t.same(linesOf(new Uint8Array(0)), ["model: empty file: not an ONNX model"]);
});

t.test("garbage bytes", async (t) => {
  const lines = linesOf(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03, 0x04, 0x05]));
  t.equal(lines.length, 1);
  t.match(lines[0], /^model: not a valid ONNX protobuf: /);
  // Random bytes of many lengths: always a ProfileError, never another exception.
  let seed = 7;
  for (let len = 1; len < 400; len += 13) {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    t.throws(() => loadProfileModel(b), ProfileError, `random ${len} bytes`);
  }
});

t.test("every truncation of a valid file is rejected cleanly", async (t) => {
  const full = small();
  for (let n = 1; n < full.length; n++) {
    let threw: unknown = null;
    try {
      loadProfileModel(full.subarray(0, n));
    } catch (e) {
      threw = e;
    }
    // Protobuf writes the opset import after the graph, so no strict prefix is a profile model.
    if (!(threw instanceof ProfileError)) t.fail(`prefix ${n}: ${String(threw)}`);
  }
  const lines = linesOf(full.subarray(0, full.length - 3));
  t.ok(lines.length > 0, "the file minus its last bytes is rejected");
  t.match(lines[0], /^model: /);
});

t.test("huge declared dims on a graph input", async (t) => {
  const g = new GraphBuilder("huge");
  g.output(g.op("Relu", [g.input("x", "int8", [2 ** 20, 2 ** 20])]), "int8");
  t.same(linesOf(encodeOnnx(g.build())), [
    `graph input 'x' int8[1048576,1048576]: 1099511627776 elements exceed the ${DEFAULT_LIMITS.maxTensorBytes}-byte tensor limit`,
  ]);
  const g2 = new GraphBuilder("huge2");
  g2.output(g2.op("Relu", [g2.input("x", "int8", [2 ** 60])]), "int8");
  t.same(linesOf(encodeOnnx(g2.build())), ["model: integer 1152921504606846976 does not fit a JS number"]);
});

t.test("huge dims on an initializer that does not back them with data", async (t) => {
  const g = new GraphBuilder("hugeinit");
  const x = g.input("x", "int8", [4]);
  g.output(g.op("Add", [x, g.constant("int8", [4], [1, 2, 3, 4], "w")]), "int8");
  const m = g.build();
  m.graph.initializers[0] = { ...m.graph.initializers[0], shape: [2 ** 40] };
  t.same(linesOf(encodeOnnx(m)), [
    "model: initializer: tensor w declares shape [1099511627776] but holds 4 values",
  ]);
});

t.test("an intermediate tensor over the limit is rejected at the node", async (t) => {
  const g = new GraphBuilder("outer");
  const a = g.input("a", "int8", [65536, 1]);
  const b = g.input("b", "int8", [1, 65536]);
  g.output(g.op("MatMulInteger", [a, b]), "int32");
  t.same(linesOf(encodeOnnx(g.build())), [
    `node 0 matmulinteger_0 (MatMulInteger): output 'matmulinteger_0' int32[65536,65536]: 4294967296 elements exceed the ${DEFAULT_LIMITS.maxTensorBytes}-byte tensor limit`,
  ]);
});

t.test("rank and node-count limits", async (t) => {
  const g = new GraphBuilder("rank");
  g.output(g.op("Relu", [g.input("x", "int8", [1, 1, 1, 1, 1, 1, 1, 1, 1])]), "int8");
  t.same(linesOf(encodeOnnx(g.build())), ["graph input 'x' int8[1,1,1,1,1,1,1,1,1]: rank 9 exceeds 8"]);

  const h = new GraphBuilder("many");
  let v = h.input("x", "int8", [2]);
  for (let i = 0; i < 20; i++) v = h.op("Relu", [v]);
  h.output(v, "int8");
  const r = validateModel(h.build(), { ...DEFAULT_LIMITS, maxNodes: 10 });
  t.same(r, { ok: false, errors: ["model: 20 nodes exceed the limit of 10"] });
  const r2 = validateModel(h.build(), { ...DEFAULT_LIMITS, maxActivationBytes: 30 });
  t.same(r2, { ok: false, errors: ["model: inputs and node outputs take 42 bytes, over the limit of 30"] });
});

t.test("validate report: OK summary or the offending lines", async (t) => {
  const ok = await validateReport(small());
  t.equal(ok.ok, true);
  t.equal(ok.lines[0], "OK");
  t.match(ok.lines.join("\n"), /nodes\s+3 \(MatMulInteger 1, Cast 1, Relu 1\)/);
  t.match(ok.lines.join("\n"), /params\s+12 in 1 data initializers/);
  t.match(ok.lines.join("\n"), /graph root\s+0x[0-9a-f]{64}/);
  t.match(ok.lines.join("\n"), /output refs\s+0x[0-9a-f]{64}/);
  t.match(ok.lines.join("\n"), /model id\s+0x[0-9a-f]{64}/);
  const bad = await validateReport(Uint8Array.from([1, 2, 3]));
  t.equal(bad.ok, false);
  t.ok(bad.lines.length >= 1 && bad.lines[0].startsWith("model: "));
});
