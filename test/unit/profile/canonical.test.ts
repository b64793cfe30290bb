/**
 * One file, one graph: hand-made ONNX files that protobufjs and ONNX Runtime read differently
 * (a field with the wrong wire type, a singular message given twice), and siblings that read the
 * same but are not canonical (unknown field, repeated singular string, invalid UTF-8). Each is
 * first shown to be what it claims (protobufjs' reading vs ORT's), then refused by the one
 * loader with a `model: not in canonical protobuf form` line, by every path that loads a model.
 * The honest builder's files are canonical and still load.
 */
import * as ort from "onnxruntime-node";
import t, { type Test } from "tap";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { commitModel, commitOnnxFile } from "../../../prover-trace/commit/model.ts";
import { canonicalEncodingProblem, decodeOnnx, encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { validateReport } from "../../../prover-trace/profile/cli.ts";
import { loadProfileModel, ProfileError, validateModel } from "../../../prover-trace/profile/validate.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";

// A minimal protobuf writer, byte by byte, independent of protobufjs.
const utf8 = new TextEncoder();
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
/** Field `f` with wire type 2 (length-delimited). */
const lenField = (f: number, payload: number[]) => [
  ...varint((f << 3) | 2),
  ...varint(payload.length),
  ...payload,
];
/** Field `f` with wire type 0 (varint). */
const intField = (f: number, v: number) => [...varint(f << 3), ...varint(v)];
const strField = (f: number, s: string) => lenField(f, [...utf8.encode(s)]);
/** ValueInfoProto: name, int32 tensor of shape [4]. */
const int32x4 = (name: string) => [
  ...strField(1, name),
  ...lenField(2, lenField(1, [...intField(1, 6), ...lenField(2, lenField(1, intField(1, 4)))])),
];
/** NodeProto x -> y: input(1), output(2), op_type(4), then `extra` raw bytes. */
const node = (opType: string, extra: number[] = []) => [
  ...strField(1, "x"),
  ...strField(2, "y"),
  ...strField(4, opType),
  ...extra,
];
const graphOf = (nodeBytes: number[]) => [
  ...lenField(1, nodeBytes),
  ...lenField(11, int32x4("x")),
  ...lenField(12, int32x4("y")),
];
/** ModelProto: ir_version 8 (1), graph (7), opset_import {version 17} (8). */
const modelOf = (graphs: number[][]) =>
  Uint8Array.from([
    ...intField(1, 8),
    ...graphs.flatMap((g) => lenField(7, g)),
    ...lenField(8, intField(2, 17)),
  ]);

const X = Int32Array.from([-5, -1, 0, 7]);
const RELU = [0, 0, 0, 7];
const ABS = [5, 1, 0, 7];

/** What ONNX Runtime's own parser makes of the bytes: y for X, or the session-creation error. */
async function ortRun(bytes: Uint8Array): Promise<number[] | string> {
  try {
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
    const r = await s.run({ x: new ort.Tensor("int32", X, [4]) });
    await s.release();
    return Array.from(r.y.data as Int32Array);
  } catch (e) {
    return (e as Error).message;
  }
}

function loadLines(bytes: Uint8Array): string[] {
  try {
    loadProfileModel(bytes);
  } catch (e) {
    if (e instanceof ProfileError) return e.lines;
    throw e;
  }
  return [];
}

const NON_CANONICAL =
  /^model: not in canonical protobuf form: the file \(\d+ bytes\) differs from its re-encoding/;

/** Every path that turns bytes into something run or committed refuses the file. */
async function refusedEverywhere(t: Test, bytes: Uint8Array): Promise<void> {
  const lines = loadLines(bytes);
  t.ok(lines.length >= 1, "loadProfileModel refuses");
  t.match(lines[0], NON_CANONICAL, lines[0]);
  await t.rejects(createRunner(bytes), ProfileError, "runner (worker, watcher, run CLI) refuses");
  await t.rejects(commitOnnxFile(bytes), ProfileError, "model commitment / registration refuses");
  const report = await validateReport(bytes);
  t.equal(report.ok, false);
  t.match(report.lines[0], NON_CANONICAL, "verdict validate names it");
}

t.test("the hand-made honest file is canonical and loads (the check is not over-strict)", async (t) => {
  const honest = modelOf([graphOf(node("Relu"))]);
  t.equal(canonicalEncodingProblem(honest), null);
  t.equal(loadProfileModel(honest).nodes[0].op, "Relu");
  t.same(await ortRun(honest), RELU);
});

t.test("wrong wire type: protobufjs reads Relu, ORT runs Abs; refused", async (t) => {
  // After op_type "Abs" comes field 4 (op_type) again with wire type 5 (fixed32). protobufjs
  // ignores the wire type and reads a string: "Relu" (length 4), then two empty domains.
  // ORT's parser sees a wire-type mismatch, keeps 4 bytes as an unknown fixed32 field, then
  // reads 0x75 (field 14, fixed32) as another unknown field over the two "domains".
  const bytes = modelOf([graphOf(node("Abs", [0x25, 4, ...utf8.encode("Relu"), 0x3a, 0, 0x3a, 0]))]);
  t.equal(bytes.length, 65);
  const seenHere = decodeOnnx(bytes);
  t.equal(seenHere.graph.nodes[0].opType, "Relu", "protobufjs' reading");
  t.ok(validateModel(seenHere).ok, "the graph as read here is a valid profile model");
  t.same(await ortRun(bytes), ABS, "ORT's reading of the same bytes: Abs");
  await refusedEverywhere(t, bytes);
});

t.test(
  "singular message twice (71 bytes): protobufjs keeps the last graph, ORT merges both; refused",
  async (t) => {
    const bytes = modelOf([lenField(1, node("Abs")), graphOf(node("Relu"))]);
    t.equal(bytes.length, 71);
    t.equal(decodeOnnx(bytes).graph.nodes.length, 1, "protobufjs: one Relu node");
    t.equal(decodeOnnx(bytes).graph.nodes[0].opType, "Relu");
    t.match(await ortRun(bytes), /Duplicate definition of name \(y\)/, "ORT: Abs and Relu both define y");
    await refusedEverywhere(t, bytes);
  },
);

t.test("a singular string field twice (same meaning in both parsers today) is refused", async (t) => {
  const bytes = modelOf([graphOf(node("Abs", strField(4, "Relu")))]);
  t.equal(decodeOnnx(bytes).graph.nodes[0].opType, "Relu");
  t.same(await ortRun(bytes), RELU);
  await refusedEverywhere(t, bytes);
});

t.test("an unknown field (NodeProto field 8, `overload` in newer onnx.proto) is refused", async (t) => {
  const bytes = modelOf([graphOf(node("Relu", strField(8, "other")))]);
  t.equal(decodeOnnx(bytes).graph.nodes[0].opType, "Relu", "protobufjs drops the field silently");
  await refusedEverywhere(t, bytes);
});

t.test("a node name that is not valid UTF-8 is refused (it would be decoded lossily)", async (t) => {
  const a = modelOf([graphOf(node("Relu", lenField(3, [0xff, 0xfe])))]);
  const b = modelOf([graphOf(node("Relu", lenField(3, [0xfe, 0xff])))]);
  t.equal(decodeOnnx(a).graph.nodes[0].name, decodeOnnx(b).graph.nodes[0].name, "two names, one reading");
  await refusedEverywhere(t, a);
  await refusedEverywhere(t, b);
});

t.test("a non-minimal varint (ir_version 8 in two bytes) is refused", async (t) => {
  const honest = modelOf([graphOf(node("Relu"))]);
  const bytes = Uint8Array.from([0x08, 0x88, 0x00, ...honest.subarray(2)]);
  t.equal(decodeOnnx(bytes).irVersion, 8);
  await refusedEverywhere(t, bytes);
});

t.test("the model builder emits canonical bytes", async (t) => {
  for (const [name, ir] of [
    ["mlp", buildMlp()],
    ["transformer", buildTransformerLm({ seed: 3 })],
  ] as const) {
    const bytes = encodeOnnx(ir);
    t.equal(canonicalEncodingProblem(bytes), null, name);
    t.ok(loadProfileModel(bytes).nodes.length > 0, `${name} loads`);
  }
});

t.test("commitModel refuses non-canonical bytes even next to a validated model", async (t) => {
  const honest = modelOf([graphOf(node("Relu"))]);
  const pm = loadProfileModel(honest);
  const hostile = modelOf([graphOf(node("Relu", strField(8, "other")))]);
  await t.rejects(commitModel(pm, hostile), ProfileError);
  await t.rejects(commitModel(pm, Uint8Array.from([0xff, 0xff])), ProfileError, "undecodable bytes");
  t.ok((await commitModel(pm, honest)).modelId.length === 32);
});
