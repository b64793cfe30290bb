/**
 * Model commitments: descriptor bytes written out longhand, graph/weights roots and model id
 * recomputed from the spec's formulas, descriptor openings, input/output roots, the ONNX file's
 * CID against known Kubo CIDs and the UnixFS layout Kubo uses for multi-chunk files, and the
 * committed test vectors against ONNX Runtime.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CID } from "multiformats/cid";
import * as ort from "onnxruntime-node";
import t from "tap";
import { bytesEqual, fromHex, merkleRoot, toHex } from "../../../protocol/index.ts";
import {
  commitModel,
  encodeDescriptor,
  fileCid,
  graphRoot,
  inputRangesRoot,
  inputRoot,
  modelIdFromParts,
  nodeDescriptor,
  openInputRange,
  openNodeDescriptor,
  openOutputRef,
  outputRefLeaf,
  outputRefs,
  outputRefsRoot,
  outputRoot,
  rangeLeaf,
  verifyInputRange,
  verifyNodeDescriptor,
  verifyOutputRef,
  weightsRoot,
} from "../../../prover-trace/commit/model.ts";
import { tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { decodeOnnx, encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import {
  loadProfileModel,
  type ProfileModel,
  validateModel,
} from "../../../prover-trace/profile/validate.ts";

const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

function build(): { pm: ProfileModel; bytes: Uint8Array } {
  const g = new GraphBuilder("commit_test");
  const x = g.input("x", "int8", [2, 4]);
  const w = g.constant("int8", [4, 3], [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12], "w");
  const mm = g.op("MatMulInteger", [x, w, g.scalar("int8", -3, "azp")], {}, "mm");
  const c = g.op("Clip", [mm, g.scalar("int32", -100, "lo"), g.scalar("int32", 100, "hi")], {}, "c");
  const y = g.op("Transpose", [c], { perm: [1, 0] }, "y");
  g.output(y, "int32", [3, 2]);
  const ir = g.build();
  const bytes = encodeOnnx(ir);
  return { pm: loadProfileModel(bytes), bytes };
}

t.test("descriptors match the spec written out byte by byte", async (t) => {
  const { pm } = build();
  // node 0: MatMulInteger(x, w) zero points -3, 0 -> int32[2,3]
  const d0 = Uint8Array.from([
    0x4e,
    13,
    2,
    0,
    0,
    0,
    0,
    0,
    0, // graph input 0
    1,
    0,
    0,
    0,
    0,
    0, // initializer 0 (w)
    1,
    6,
    2,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    3, // int32 [2,3]
    0,
    16,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xfd,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  t.same(toHex(nodeDescriptor(pm, 0)), toHex(d0));
  // node 1: Clip(mm) [-100, 100]
  const d1 = Uint8Array.from([
    0x4e,
    7,
    1,
    2,
    0,
    0,
    0,
    0,
    0, // node 0 output 0
    1,
    6,
    2,
    0,
    0,
    0,
    2,
    0,
    0,
    0,
    3,
    0,
    16,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0x9c,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    100,
  ]);
  t.same(toHex(nodeDescriptor(pm, 1)), toHex(d1));
  // node 2: Transpose(c) perm [1, 0] -> int32[3,2]
  const d2 = Uint8Array.from([0x4e, 12, 1, 2, 0, 0, 0, 1, 0, 1, 6, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 2, 1, 0]);
  t.same(toHex(nodeDescriptor(pm, 2)), toHex(d2));
  t.same(
    toHex(
      encodeDescriptor({
        opCode: 12,
        inputs: [{ kind: 2, index: 1, slot: 0 }],
        outputs: [{ dtype: 6, shape: [3, 2] }],
        attrBytes: Uint8Array.of(1, 0),
      }),
    ),
    toHex(d2),
  );
  t.throws(() => nodeDescriptor(pm, 3), RangeError);
});

t.test("graph root, weights root and model id follow the formulas", async (t) => {
  const { pm, bytes } = build();
  const c = await commitModel(pm, bytes);
  const leaves = [0, 1, 2].map((i) => sha(nodeDescriptor(pm, i)));
  t.same(toHex(c.graphRoot), toHex(merkleRoot(leaves)));
  t.same(toHex(graphRoot(pm)), toHex(c.graphRoot));
  // Only w is a data initializer: azp, lo and hi are folded into attributes.
  t.same(
    pm.initializers.map((x) => x.name),
    ["w"],
  );
  const w = pm.initializers[0];
  t.same(toHex(c.weightsRoot), toHex(tensorRoot(3, [4, 3], w.data!)));
  t.same(toHex(weightsRoot(pm)), toHex(c.weightsRoot));
  // One graph output, y = output 0 of node 2: the ref tree is its one leaf.
  const ref0 = sha(Uint8Array.from([0x4f, 0, 0, 0, 2, 0]));
  t.same(toHex(c.outputRefsRoot), toHex(ref0), "outputRefsRoot = sha256(0x4f || u32 2 || u8 0)");
  // x is int8 with no declared range: its leaf is int8's whole range [-128, 127].
  const range0 = sha(
    Uint8Array.from([
      0x52,
      3,
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80],
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7f,
    ]),
  );
  t.same(
    toHex(c.inputRangesRoot),
    toHex(range0),
    "inputRangesRoot = sha256(0x52 || u8 3 || i64 -128 || i64 127)",
  );
  const preimage = Buffer.concat([
    Buffer.from([0x4d]),
    c.graphRoot,
    c.weightsRoot,
    c.outputRefsRoot,
    c.inputRangesRoot,
    Buffer.from([0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]),
    c.cid.bytes,
  ]);
  t.same(toHex(c.modelId), toHex(sha(preimage)));
  t.same(toHex(modelIdFromParts(c)), toHex(c.modelId));
  t.equal(c.cid.version, 1);
  t.equal(c.cid.code, 0x55, "a small file is one raw leaf");
  t.same(toHex(c.cid.multihash.digest), toHex(sha(bytes)));
});

t.test("the model id changes with the file, the weights and the graph", async (t) => {
  const { pm, bytes } = build();
  const base = await commitModel(pm, bytes);
  const renamed = { ...pm.ir, producerName: "someone else" };
  const bytes2 = encodeOnnx(renamed);
  const c2 = await commitModel(loadProfileModel(bytes2), bytes2);
  t.same(toHex(c2.graphRoot), toHex(base.graphRoot), "same graph");
  t.not(toHex(c2.modelId), toHex(base.modelId), "another file is another model");
  const w = pm.ir.graph.initializers.find((x) => x.name === "w")!;
  const w2 = { ...w, data: Int8Array.from(w.data as Int8Array, (v, i) => (i === 0 ? v + 1 : v)) };
  const ir3 = {
    ...pm.ir,
    graph: { ...pm.ir.graph, initializers: pm.ir.graph.initializers.map((x) => (x === w ? w2 : x)) },
  };
  const bytes3 = encodeOnnx(ir3);
  const c3 = await commitModel(loadProfileModel(bytes3), bytes3);
  t.same(toHex(c3.graphRoot), toHex(base.graphRoot));
  t.not(toHex(c3.weightsRoot), toHex(base.weightsRoot));
  t.not(toHex(c3.modelId), toHex(base.modelId));
});

t.test("node descriptor openings verify against the graph root, tampering does not", async (t) => {
  const g = new GraphBuilder("chain");
  let v = g.input("x", "int8", [3]);
  for (let i = 0; i < 5; i++) v = g.op(i % 2 ? "Relu" : "Identity", [v]);
  g.output(v, "int8", [3]);
  const bytes = encodeOnnx(g.build());
  const pm = loadProfileModel(bytes);
  const c = await commitModel(pm, bytes);
  for (let i = 0; i < 5; i++) {
    const o = openNodeDescriptor(c, i);
    t.equal(o.proof.length, 3, "5 leaves -> depth 3");
    t.ok(verifyNodeDescriptor(c.graphRoot, o), `node ${i} opens`);
    t.same(openNodeDescriptor(pm, i), o, "same opening straight from the model");
    const bad = o.descriptor.slice();
    bad[1] ^= 1;
    t.notOk(verifyNodeDescriptor(c.graphRoot, { ...o, descriptor: bad }), "tampered descriptor");
    t.notOk(verifyNodeDescriptor(c.graphRoot, { ...o, index: (i + 1) % 5 }), "wrong index");
    t.notOk(verifyNodeDescriptor(c.graphRoot, { ...o, nodeCount: 9 }), "wrong node count (depth)");
  }
  t.throws(() => openNodeDescriptor(c, 5), RangeError);
});

t.test("input and output roots check the tensors against the model", async (t) => {
  const { pm } = build();
  const x = new Int8Array(8).fill(1);
  const r = inputRoot(pm, [{ dtype: 3, shape: [2, 4], data: x }]);
  t.same(toHex(r), toHex(tensorRoot(3, [2, 4], x)), "one input: root = its tensor root");
  t.throws(() => inputRoot(pm, [{ dtype: 2, shape: [2, 4], data: new Uint8Array(8) }]), /graph input 0 'x'/);
  t.throws(() => inputRoot(pm, [{ dtype: 3, shape: [4, 2], data: x }]), /graph input 0 'x'/);
  t.throws(() => inputRoot(pm, []), /the model has 1, got 0/);
  const y = new Int32Array(6);
  t.same(toHex(outputRoot(pm, [{ dtype: 6, shape: [3, 2], data: y }])), toHex(tensorRoot(6, [3, 2], y)));
});

t.test("output refs: one leaf per graph output, openings verify, tampering does not", async (t) => {
  const g = new GraphBuilder("two_outputs");
  const x = g.input("x", "int8", [4]);
  const r = g.op("Relu", [x], {}, "r");
  const n = g.op("Relu", [r], {}, "n");
  g.output(n, "int8", [4]);
  g.output(r, "int8", [4]);
  const bytes = encodeOnnx(g.build());
  const pm = loadProfileModel(bytes);
  const c = await commitModel(pm, bytes);
  t.same(
    outputRefs(pm),
    [
      { node: 1, slot: 0 },
      { node: 0, slot: 0 },
    ],
    "graph output order, not node order",
  );
  const leaves = [sha(Uint8Array.from([0x4f, 0, 0, 0, 1, 0])), sha(Uint8Array.from([0x4f, 0, 0, 0, 0, 0]))];
  t.same(toHex(outputRefLeaf({ node: 1, slot: 0 })), toHex(leaves[0]));
  t.same(toHex(c.outputRefsRoot), toHex(merkleRoot(leaves)));
  t.same(toHex(outputRefsRoot(c.outputRefs)), toHex(c.outputRefsRoot));
  for (const k of [0, 1]) {
    const o = openOutputRef(c, k);
    t.ok(verifyOutputRef(c.outputRefsRoot, o), `output ${k} opens`);
    t.notOk(verifyOutputRef(c.outputRefsRoot, { ...o, node: o.node + 1 }), `output ${k} with another node`);
    t.notOk(verifyOutputRef(c.outputRefsRoot, { ...o, slot: 1 }), `output ${k} with another slot`);
    t.notOk(verifyOutputRef(c.outputRefsRoot, { ...o, index: 1 - k }), `output ${k} at the other index`);
  }
  t.throws(() => openOutputRef(c, 2), /graph output index 2 out of range/);
  t.throws(() => outputRefLeaf({ node: -1, slot: 0 }), RangeError);
  t.throws(() => outputRefLeaf({ node: 0, slot: 256 }), RangeError);
  t.throws(() => outputRefsRoot([]), /at least one graph output/);
  t.throws(() => modelIdFromParts({ ...c, outputRefsRoot: new Uint8Array(31) }), /roots must be 32 bytes/);
  // Swapping which output is which is another model.
  const swapped = modelIdFromParts({ ...c, outputRefsRoot: merkleRoot([leaves[1], leaves[0]]) });
  t.not(toHex(swapped), toHex(c.modelId), "the output order is part of the model id");
});

t.test("input ranges: declared or the dtype's, one leaf per graph input, in the model id", async (t) => {
  const make = (lo?: number, hi?: number) => {
    const g = new GraphBuilder("ranges");
    const ids = g.input("ids", "int32", [4]);
    const x = g.input("x", "uint8", [2]);
    if (lo !== undefined && hi !== undefined) g.inputRange("ids", lo, hi);
    g.output(g.op("Relu", [ids], {}, "r"), "int32", [4]);
    g.output(g.op("Identity", [x], {}, "i"), "uint8", [2]);
    const bytes = encodeOnnx(g.build());
    return commitModel(loadProfileModel(bytes), bytes);
  };
  const c = await make(0, 15);
  t.same(
    c.inputRanges,
    [
      { dtype: 6, min: 0n, max: 15n },
      { dtype: 2, min: 0n, max: 255n },
    ],
    "the declared range of ids, uint8's whole range for x",
  );
  const leaf0 = sha(Uint8Array.from([0x52, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15]));
  const leaf1 = sha(Uint8Array.from([0x52, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]));
  t.same(toHex(rangeLeaf(c.inputRanges[0])), toHex(leaf0), "leaf 0 byte by byte");
  t.same(toHex(c.inputRangesRoot), toHex(merkleRoot([leaf0, leaf1])));
  t.same(toHex(inputRangesRoot(c.inputRanges)), toHex(c.inputRangesRoot));
  for (const j of [0, 1]) {
    const o = openInputRange(c, j);
    t.ok(verifyInputRange(c.inputRangesRoot, o), `range ${j} opens`);
    t.notOk(verifyInputRange(c.inputRangesRoot, { ...o, max: o.max - 1n }), `range ${j} with another max`);
    t.notOk(verifyInputRange(c.inputRangesRoot, { ...o, index: 1 - j }), `range ${j} at the other index`);
  }
  t.throws(() => openInputRange(c, 2), /graph input index 2 out of range/);
  t.throws(() => rangeLeaf({ dtype: 2, min: -1n, max: 3n }), /not a range of uint8/);
  t.throws(() => rangeLeaf({ dtype: 6, min: 3n, max: 2n }), /not a range of int32/);
  t.throws(() => inputRangesRoot([]), /at least one graph input/);
  t.throws(() => modelIdFromParts({ ...c, inputRangesRoot: new Uint8Array(31) }), /roots must be 32 bytes/);
  const other = await make(0, 16);
  t.not(toHex(other.modelId), toHex(c.modelId), "another range is another model");
  const none = await make();
  t.same(
    none.inputRanges[0],
    { dtype: 6, min: -(2n ** 31n), max: 2n ** 31n - 1n },
    "no declaration: int32's range",
  );
  // The id binds the ranges through their root too, not only through the file's CID.
  const sameFileOtherRoot = modelIdFromParts({ ...c, inputRangesRoot: none.inputRangesRoot });
  t.not(toHex(sameFileOtherRoot), toHex(c.modelId), "inputRangesRoot is in the preimage");
});

t.test("CIDs of known Kubo files", async (t) => {
  const enc = (s: string) => new TextEncoder().encode(s);
  t.equal(
    (await fileCid(new Uint8Array(0))).toString(),
    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
  );
  // `echo "hello world" | ipfs add --cid-version=1`
  t.equal(
    (await fileCid(enc("hello world\n"))).toString(),
    "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
  );
  // `echo hello | ipfs add --cid-version 1` (Kubo test/sharness/t0114 fixtures)
  t.equal(
    (await fileCid(enc("hello\n"))).toString(),
    "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
  );
});

/** Minimal protobuf reader: field number -> list of values (varints as bigint, bytes as Uint8Array). */
function pb(buf: Uint8Array): Map<number, (bigint | Uint8Array)[]> {
  const out = new Map<number, (bigint | Uint8Array)[]>();
  let i = 0;
  const varint = () => {
    let v = 0n;
    let s = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << s;
      s += 7n;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    let val: bigint | Uint8Array;
    if ((key & 7) === 0) val = varint();
    else if ((key & 7) === 2) {
      const len = Number(varint());
      val = buf.subarray(i, i + len);
      i += len;
    } else throw new Error(`wire type ${key & 7}`);
    out.set(field, [...(out.get(field) ?? []), val]);
  }
  return out;
}

t.test(
  "multi-chunk files: raw 256 KiB leaves under a balanced dag-pb tree of at most 174 links",
  async (t) => {
    const CH = 262_144;
    const blocks = new Map<string, Uint8Array>();
    const sink = {
      put: (cid: { toString(): string }, b: Uint8Array) => {
        blocks.set(cid.toString(), b);
        return cid as never;
      },
    };
    const data = new Uint8Array(175 * CH + 10);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 0xff;
    const root = await fileCid(data, sink);
    t.equal(root.code, 0x70, "root is dag-pb");
    const node = pb(blocks.get(root.toString())!);
    const links = (node.get(2) ?? []) as Uint8Array[];
    t.equal(links.length, 2, "176 leaves: 174 under the first child, 2 under the second");
    const unixfs = pb((node.get(1) as Uint8Array[])[0]);
    t.equal(unixfs.get(1)![0], 2n, "UnixFS type File");
    t.equal(unixfs.get(3)![0], BigInt(data.length), "filesize");
    const first = blocks.get(CID.decode(pb(links[0]).get(1)![0] as Uint8Array).toString())!;
    const firstLinks = (pb(first).get(2) ?? []) as Uint8Array[];
    t.equal(firstLinks.length, 174, "a full inner node has 174 links");
    const leaf0 = CID.decode(pb(firstLinks[0]).get(1)![0] as Uint8Array);
    t.equal(leaf0.code, 0x55, "leaves are raw blocks");
    t.same(toHex(leaf0.multihash.digest), toHex(sha(data.subarray(0, CH))), "leaf 0 is the first 256 KiB");
    t.equal(blocks.get(leaf0.toString())!.length, CH);
  },
);

t.test("the committed model vector is what ONNX Runtime computes", async (t) => {
  const v = JSON.parse(readFileSync(new URL("../../vectors/model.json", import.meta.url), "utf8"));
  const m = v.model;
  const bytes = fromHex(m.onnx);
  const r = validateModel(decodeOnnx(bytes));
  t.ok(r.ok);
  const c = await commitModel(loadProfileModel(bytes), bytes);
  t.equal(toHex(c.modelId), m.modelId);
  t.equal(c.cid.toString(), m.cid);
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  try {
    const out = await s.run({ x: new ort.Tensor("int8", Int8Array.from(m.input.data), m.input.shape) });
    t.same(Array.from(out.y.data as Int8Array), m.outputs[0].data, "y");
    t.same(Array.from(out.am.data as BigInt64Array, String), m.outputs[1].data, "am");
    const root = outputRoot(c.model, [
      { dtype: 3, shape: [2, 3], data: out.y.data as Int8Array },
      { dtype: 7, shape: [2], data: out.am.data as BigInt64Array },
    ]);
    t.equal(toHex(root), m.outputRoot);
  } finally {
    await s.release();
  }
  for (const d of v.descriptors) t.ok(bytesEqual(sha(fromHex(d.descriptor)), fromHex(d.leaf)), d.name);
});
