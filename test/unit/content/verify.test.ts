/**
 * Tensor files and the commitment checks callers run after `get`: bytes -> model id, bytes ->
 * input root / output root, with hostile files and mismatches refused with clear errors.
 */
import t from "tap";
import {
  decodeTensorFile,
  encodeTensorFile,
  MAX_TENSORS,
  TensorFileError,
} from "../../../content/tensor-file.ts";
import { ContentError } from "../../../content/types.ts";
import { verifyInputBytes, verifyModelBytes, verifyOutputBytes } from "../../../content/verify.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitOnnxFile, inputRoot, outputRoot } from "../../../prover-trace/commit/model.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { DEFAULT_LIMITS } from "../../../prover-trace/profile/validate.ts";

t.test("tensor files round-trip every profile dtype", async (t) => {
  const tensors = [
    { dtype: 2, shape: [2, 3], data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
    { dtype: 3, shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { dtype: 6, shape: [1, 2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
    { dtype: 7, shape: [], data: new BigInt64Array([-(2n ** 63n)]) },
  ];
  const file = encodeTensorFile(tensors);
  t.same([...file.subarray(0, 8)], [0x56, 0x54, 0x46, 0x31, 0, 0, 0, 4], "magic and count");
  const back = decodeTensorFile(file);
  t.equal(back.length, 4);
  back.forEach((b, i) => {
    t.equal(b.dtype, tensors[i].dtype);
    t.same(b.shape, tensors[i].shape);
    t.same(
      [...(b.data as unknown as Iterable<number | bigint>)],
      [...(tensors[i].data as unknown as Iterable<number | bigint>)],
    );
    t.equal(b.data.constructor, tensors[i].data.constructor, "typed array of the dtype");
  });
  t.same(decodeTensorFile(encodeTensorFile([])), []);
});

t.test("hostile tensor files are refused", async (t) => {
  const good = encodeTensorFile([{ dtype: 6, shape: [2], data: new Int32Array([1, 2]) }]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /truncated/],
    ["bad magic", Uint8Array.from([...good].map((b, i) => (i === 0 ? 0x58 : b))), /magic/],
    ["truncated data", good.subarray(0, good.length - 1), /truncated tensor file: tensor 0 data/],
    ["trailing byte", Uint8Array.from([...good, 0]), /1 trailing bytes/],
    [
      "dtype 1 (float)",
      Uint8Array.from([...good.subarray(0, 8), 1, 1, ...u32be(2), ...new Uint8Array(8)]),
      /dtype 1/,
    ],
    ["rank 9", Uint8Array.from([...good.subarray(0, 8), 6, 9]), /rank 9/],
    [
      "count 2^32-1",
      Uint8Array.from([0x56, 0x54, 0x46, 0x31, 255, 255, 255, 255]),
      /declares 4294967295 tensors/,
    ],
    [
      "dims overflow the bytes",
      Uint8Array.from([...good.subarray(0, 8), 6, 2, ...u32be(65536), ...u32be(65536)]),
      /truncated/,
    ],
  ];
  for (const [name, bytes, re] of cases) t.throws(() => decodeTensorFile(bytes), re, name);
  t.throws(() => encodeTensorFile([{ dtype: 6, shape: [3], data: new Int32Array(2) }]), TensorFileError);
  t.throws(
    () => encodeTensorFile([{ dtype: 1, shape: [1], data: new Float32Array(1) }]),
    /not in the integer profile/,
  );
});

t.test("a trace of every node of a model at the profile's node limit fits one tensor file", async (t) => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ dtype: 6, shape: [1], data: new Int32Array([i]) }));
  const back = decodeTensorFile(encodeTensorFile(many(MAX_TENSORS)));
  t.equal(back.length, MAX_TENSORS, `${MAX_TENSORS} tensors round-trip`);
  t.same(back[MAX_TENSORS - 1].data, new Int32Array([MAX_TENSORS - 1]));
  t.equal(MAX_TENSORS, DEFAULT_LIMITS.maxNodes, "the bound is the profile's node limit");
  t.throws(() => encodeTensorFile(many(MAX_TENSORS + 1)), /at most 65536 tensors, got 65537/);
  const over = Uint8Array.from([0x56, 0x54, 0x46, 0x31, ...u32be(MAX_TENSORS + 1)]);
  t.throws(() => decodeTensorFile(over), /declares 65537 tensors, at most 65536/);
});

t.test("bytes -> model id, input root, output root", async (t) => {
  const onnx = encodeOnnx(buildMlp({ seed: 3 }));
  const c = await commitOnnxFile(onnx);
  const got = await verifyModelBytes(onnx, toHex(c.modelId));
  t.equal(toHex(got.modelId), toHex(c.modelId));
  const wrongId = c.modelId.slice();
  wrongId[0] ^= 1;
  const e = await verifyModelBytes(onnx, wrongId).catch((x) => x);
  t.ok(e instanceof ContentError);
  t.equal(e.code, "commitment-mismatch");
  t.match(e.message, /model id mismatch: expected 0x/);
  const other = encodeOnnx(buildMlp({ seed: 4 }));
  t.equal(
    (await verifyModelBytes(other, c.modelId).catch((x) => x)).code,
    "commitment-mismatch",
    "another model's bytes",
  );
  await t.rejects(verifyModelBytes(new Uint8Array([1, 2, 3]), c.modelId), "garbage is not a model");
  t.throws(() => verifyInputBytes(onnx, c.model, new Uint8Array(31)), /32 bytes/);

  const decl = c.model.inputs[0];
  const n = decl.shape.reduce((a, b) => a * b, 1);
  const x = { dtype: decl.dtype, shape: decl.shape, data: new Int8Array(n).map((_, i) => (i * 37) % 100) };
  const root = inputRoot(c.model, [x]);
  const file = encodeTensorFile([x]);
  const tensors = verifyInputBytes(file, c.model, root);
  t.equal(tensors.length, 1);
  const flipped = file.slice();
  flipped[flipped.length - 1] ^= 1;
  t.throws(() => verifyInputBytes(flipped, c.model, root), {
    name: "ContentError",
    code: "commitment-mismatch",
  });
  t.throws(() => verifyInputBytes(flipped, c.model, root), /input root mismatch/);
  const wrongShape = encodeTensorFile([{ dtype: decl.dtype, shape: [n], data: x.data }]);
  t.throws(() => verifyInputBytes(wrongShape, c.model, root), /input does not fit the model: graph input 0/);
  t.throws(() => verifyInputBytes(new Uint8Array(3), c.model, root), /input is not a tensor file/);

  // A model whose input declares a range: a job input outside it is refused (the worker and the
  // watcher read a job's input through this check), naming the input, element and range.
  const g = new GraphBuilder("embed");
  g.inputRange(g.input("ids", "int32", [3]), 0, 3);
  const table = g.constant("int8", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  g.output(g.op("Gather", [table, "ids"], { axis: 0 }), "int8", [3, 2]);
  const ranged = await commitOnnxFile(encodeOnnx(g.build()));
  const inRange = { dtype: 6, shape: [3], data: Int32Array.of(0, 3, 1) };
  const outside = { dtype: 6, shape: [3], data: Int32Array.of(0, 4, 1) };
  const rangedRoot = inputRoot(ranged.model, [inRange]);
  t.equal(verifyInputBytes(encodeTensorFile([inRange]), ranged.model, rangedRoot).length, 1);
  t.throws(() => verifyInputBytes(encodeTensorFile([outside]), ranged.model, rangedRoot), {
    name: "ContentError",
    code: "commitment-mismatch",
    message: /input 0 \(ids\): element 1 is 4, outside the model's declared range \[0, 3\]/,
  });

  const odecl = c.model.outputs[0];
  const y = {
    dtype: odecl.dtype,
    shape: odecl.shape,
    data: new Int32Array(odecl.shape.reduce((a, b) => a * b, 1)),
  };
  const oroot = outputRoot(c.model, [y]);
  t.equal(verifyOutputBytes(encodeTensorFile([y]), c.model, oroot).length, 1);
  t.throws(() => verifyOutputBytes(encodeTensorFile([y]), c.model, root), /output root mismatch/);
});
