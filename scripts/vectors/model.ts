/**
 * Test vectors for the model commitments (docs/commitments.md "Model commitments", attribute
 * bytes per op in docs/profile.md): one node descriptor per op and attribute edge case, and a
 * small model with its ONNX bytes, CID, graph root, weights root, output refs (leaves, proofs,
 * root), model id, descriptor openings, input root and output root. Byte strings are 0x-hex; bigints are decimal strings.
 */
import { sha256, toHex } from "../../protocol/index.ts";
import {
  commitModel,
  graphLevels,
  inputRoot,
  nodeDescriptor,
  openInputRange,
  openNodeDescriptor,
  openOutputRef,
  outputRefLeaf,
  outputRoot,
  rangeLeaf,
  weightsRoot,
} from "../../prover-trace/commit/model.ts";
import { GraphBuilder } from "../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";
import { type ProfileModel, validateModel } from "../../prover-trace/profile/validate.ts";

function analyse(g: GraphBuilder): ProfileModel {
  const r = validateModel(g.build());
  if (!r.ok) throw new Error(`vector model rejected:\n${r.errors.join("\n")}`);
  return r.profileModel;
}

const jsonAttrs = (a: object) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));

interface DescriptorCase {
  name: string;
  build(g: GraphBuilder): void;
}

/** Single-node models; the last node's descriptor is the vector. */
const DESCRIPTOR_CASES: DescriptorCase[] = [
  {
    name: "Add int8 broadcast, graph input + initializer",
    build: (g) => void g.op("Add", [g.input("x", "int8", [2, 3]), g.constant("int8", [3], [1, 2, 3])]),
  },
  {
    name: "Sub uint8",
    build: (g) => void g.op("Sub", [g.input("x", "uint8", [4]), g.input("y", "uint8", [4])]),
  },
  {
    name: "Mul int32 scalar operand",
    build: (g) => void g.op("Mul", [g.input("x", "int32", [2, 2]), g.scalar("int32", -7)]),
  },
  {
    name: "Div int32 guarded divisor (second node)",
    build: (g) =>
      void g.op("Div", [
        g.input("x", "int32", [3]),
        g.op("Max", [g.input("d", "int32", [3]), g.scalar("int32", 1)]),
      ]),
  },
  {
    name: "Max int8",
    build: (g) => void g.op("Max", [g.input("x", "int8", [3]), g.input("y", "int8", [3])]),
  },
  { name: "Min uint8", build: (g) => void g.op("Min", [g.input("x", "uint8", [3]), g.scalar("uint8", 9)]) },
  {
    name: "Clip int32 [-128, 127]",
    build: (g) =>
      void g.op("Clip", [g.input("x", "int32", [5]), g.scalar("int32", -128), g.scalar("int32", 127)]),
  },
  {
    name: "Clip int8 max only (min folds to -128)",
    build: (g) => void g.op("Clip", [g.input("x", "int8", [5]), "", g.scalar("int8", 0)]),
  },
  { name: "Clip uint8 no bounds (0, 255)", build: (g) => void g.op("Clip", [g.input("x", "uint8", [5])]) },
  { name: "Relu int8", build: (g) => void g.op("Relu", [g.input("x", "int8", [2, 2])]) },
  { name: "Cast int32 -> int8", build: (g) => void g.op("Cast", [g.input("x", "int32", [4])], { to: 3 }) },
  { name: "Cast int64 -> int32", build: (g) => void g.op("Cast", [g.input("x", "int64", [4])], { to: 6 }) },
  {
    name: "Gather axis 0 lookup table (indices clipped)",
    build: (g) =>
      void g.op("Gather", [
        g.constant("int8", [4], [-1, 0, 1, 2]),
        g.op("Clip", [g.input("i", "int32", [2, 2]), g.scalar("int32", -4), g.scalar("int32", 3)]),
      ]),
  },
  {
    name: "Gather axis -1 normalises to 1, int64 constant indices",
    build: (g) =>
      void g.op("Gather", [g.input("x", "uint8", [2, 5]), g.constant("int64", [3], [-5, 0, 4])], {
        axis: -1,
      }),
  },
  {
    name: "Gather scalar index, rank-0 output",
    build: (g) => void g.op("Gather", [g.input("x", "int32", [6]), g.scalar("int32", 5)]),
  },
  {
    name: "Reshape [2,3,4] with [0,-1]",
    build: (g) => void g.op("Reshape", [g.input("x", "int8", [2, 3, 4]), g.constant("int64", [2], [0, -1])]),
  },
  {
    name: "Squeeze as Reshape",
    build: (g) => void g.op("Squeeze", [g.input("x", "int8", [1, 3, 1]), g.constant("int64", [1], [0])]),
  },
  {
    name: "Unsqueeze as Reshape",
    build: (g) => void g.op("Unsqueeze", [g.input("x", "int32", [3]), g.constant("int64", [1], [-1])]),
  },
  {
    name: "Flatten as Reshape",
    build: (g) => void g.op("Flatten", [g.input("x", "uint8", [2, 3, 4])], { axis: 2 }),
  },
  { name: "Identity as Reshape", build: (g) => void g.op("Identity", [g.input("x", "int64", [2])]) },
  {
    name: "Transpose explicit perm",
    build: (g) => void g.op("Transpose", [g.input("x", "int8", [2, 3, 4])], { perm: [2, 0, 1] }),
  },
  { name: "Transpose default perm", build: (g) => void g.op("Transpose", [g.input("x", "int8", [2, 3])]) },
  {
    name: "MatMulInteger int8 no zero points",
    build: (g) =>
      void g.op("MatMulInteger", [
        g.input("a", "int8", [2, 4]),
        g.constant("int8", [4, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      ]),
  },
  {
    name: "MatMulInteger int8 zero points -128 and 127",
    build: (g) =>
      void g.op("MatMulInteger", [
        g.input("a", "int8", [2, 4]),
        g.input("b", "int8", [4, 3]),
        g.scalar("int8", -128),
        g.scalar("int8", 127),
      ]),
  },
  {
    name: "MatMulInteger uint8 batched, b zero point only",
    build: (g) =>
      void g.op("MatMulInteger", [
        g.input("a", "uint8", [2, 3, 4]),
        g.input("b", "uint8", [2, 4, 5]),
        "",
        g.scalar("uint8", 128),
      ]),
  },
  {
    name: "ReduceMax axis -1 keepdims",
    build: (g) => void g.op("ReduceMax", [g.input("x", "int8", [2, 3])], { axes: [-1] }),
  },
  {
    name: "ReduceMax axis 0 no keepdims",
    build: (g) => void g.op("ReduceMax", [g.input("x", "int32", [2, 3])], { axes: [0], keepdims: 0 }),
  },
  {
    name: "ArgMax defaults (axis 0, keepdims)",
    build: (g) => void g.op("ArgMax", [g.input("x", "uint8", [4, 2])]),
  },
  {
    name: "ArgMax axis 1 no keepdims",
    build: (g) => void g.op("ArgMax", [g.input("x", "int32", [4, 2])], { axis: 1, keepdims: 0 }),
  },
];

function descriptorVectors() {
  return DESCRIPTOR_CASES.map((c) => {
    const g = new GraphBuilder("vector");
    c.build(g);
    const ir = g.build();
    const lastNode = ir.graph.nodes[ir.graph.nodes.length - 1];
    ir.graph.outputs.push({ name: lastNode.outputs[0], dtype: 0, shape: null });
    const pm = analyseWithOutput(ir);
    const i = pm.nodes.length - 1;
    const n = pm.nodes[i];
    const out = pm.values.get(n.outputs[0])!;
    const d = nodeDescriptor(pm, i);
    return {
      name: c.name,
      onnxOp: n.onnxOp,
      opCode: n.opCode,
      attrs: jsonAttrs(n.attrs),
      inputs: n.inputRefs,
      output: { dtype: out.dtype, shape: out.shape },
      attrBytes: toHex(n.attrBytes),
      descriptor: toHex(d),
      leaf: toHex(sha256(d)),
    };
  });
}

/** Validates a model whose last node's output was appended as graph output with dtype 0. */
function analyseWithOutput(ir: ReturnType<GraphBuilder["build"]>): ProfileModel {
  const outs = ir.graph.outputs;
  const last = outs[outs.length - 1];
  // Discover the output dtype from the analysis of the nodes alone, then declare it.
  for (const dtype of [2, 3, 6, 7]) {
    last.dtype = dtype;
    const r = validateModel(ir);
    if (r.ok) return r.profileModel;
  }
  const r = validateModel(ir);
  throw new Error(`vector model rejected:\n${r.ok ? "" : r.errors.join("\n")}`);
}

/** The small model of the model-level vector: int8 MLP layer with requantisation and argmax. */
export function smallModel(): GraphBuilder {
  const g = new GraphBuilder("verdict_vector_mlp");
  const x = g.input("x", "int8", [2, 4]);
  const w = g.constant("int8", [4, 3], [3, -1, 2, 0, 5, -7, 1, 1, 1, -2, 4, 6], "w");
  const bias = g.constant("int32", [3], [10, -20, 30], "bias");
  const mm = g.op("MatMulInteger", [x, w, g.scalar("int8", 0, "x_zp")], {}, "mm");
  const acc = g.op("Add", [mm, bias], {}, "acc");
  const q = g.op("Div", [acc, g.scalar("int32", 8, "scale")], {}, "q");
  const c = g.op("Clip", [q, g.scalar("int32", -128, "lo"), g.scalar("int32", 127, "hi")], {}, "c");
  const y = g.op("Cast", [c], { to: 3 }, "y");
  const am = g.op("ArgMax", [y], { axis: 1, keepdims: 0 }, "am");
  g.output(y, "int8", [2, 3]);
  g.output(am, "int64", [2]);
  return g;
}

/** The small model evaluated by hand (the spec's formulas, no interpreter). */
function evalSmall(x: Int8Array): { y: Int8Array; am: BigInt64Array } {
  const w = [3, -1, 2, 0, 5, -7, 1, 1, 1, -2, 4, 6];
  const bias = [10, -20, 30];
  const y = new Int8Array(6);
  const am = new BigInt64Array(2);
  for (let i = 0; i < 2; i++) {
    let best = -1;
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += x[i * 4 + k] * w[k * 3 + j];
      const q = Math.trunc((s + bias[j]) / 8);
      const v = Math.max(-128, Math.min(127, q));
      y[i * 3 + j] = v;
      if (best < 0 || v > y[i * 3 + best]) best = j;
    }
    am[i] = BigInt(best);
  }
  return { y, am };
}

async function modelVector() {
  const g = smallModel();
  const ir = g.build();
  const bytes = encodeOnnx(ir);
  const pm = analyse(g);
  const c = await commitModel(pm, bytes);
  const x = Int8Array.from([127, -128, 5, -3, 0, 1, 2, 3]);
  const { y, am } = evalSmall(x);
  const levels = graphLevels(pm);
  return {
    name: "verdict_vector_mlp",
    onnx: toHex(bytes),
    cid: c.cid.toString(),
    cidBytes: toHex(c.cidBytes),
    nodeCount: c.nodeCount,
    weightCount: c.weightCount,
    inputCount: c.inputCount,
    outputCount: c.outputCount,
    initializers: pm.initializers.map((t) => t.name),
    descriptors: c.descriptors.map((d) => toHex(d)),
    graphRoot: toHex(c.graphRoot),
    weightsRoot: toHex(c.weightsRoot),
    // Graph output k is output `slot` of node `node`; leaf = sha256(0x4f || u32 node || u8 slot).
    outputRefs: c.outputRefs.map((r, k) => ({
      ...r,
      leaf: toHex(outputRefLeaf(r)),
      proof: openOutputRef(c, k).proof.map((p) => toHex(p)),
    })),
    outputRefsRoot: toHex(c.outputRefsRoot),
    // Graph input j holds values in [min, max] (declared, else its dtype's range);
    // leaf = sha256(0x52 || u8 dtype || i64 min || i64 max).
    inputRanges: c.inputRanges.map((r, j) => ({
      dtype: r.dtype,
      min: r.min.toString(),
      max: r.max.toString(),
      leaf: toHex(rangeLeaf(r)),
      proof: openInputRange(c, j).proof.map((p) => toHex(p)),
    })),
    inputRangesRoot: toHex(c.inputRangesRoot),
    modelId: toHex(c.modelId),
    openings: pm.nodes.map((_, i) => {
      const o = openNodeDescriptor(c, i);
      return { index: i, proof: o.proof.map((p) => toHex(p)) };
    }),
    graphDepth: levels.length - 1,
    input: { name: "x", dtype: 3, shape: [2, 4], data: Array.from(x) },
    inputRoot: toHex(inputRoot(pm, [{ dtype: 3, shape: [2, 4], data: x }])),
    outputs: [
      { name: "y", dtype: 3, shape: [2, 3], data: Array.from(y) },
      { name: "am", dtype: 7, shape: [2], data: Array.from(am, String) },
    ],
    outputRoot: toHex(
      outputRoot(pm, [
        { dtype: 3, shape: [2, 3], data: y },
        { dtype: 7, shape: [2], data: am },
      ]),
    ),
  };
}

// The CID comes from the async UnixFS importer; computing it at module load keeps the generator
// synchronous like the others (scripts/vectors/index.ts).
const MODEL_VECTOR = await modelVector();

export function modelVectors() {
  const noWeights = new GraphBuilder("no_weights");
  noWeights.output(noWeights.op("Relu", [noWeights.input("x", "int8", [2])]), "int8", [2]);
  const nw = analyse(noWeights);
  return {
    spec: "docs/commitments.md (Model commitments), docs/profile.md (op codes, attribute bytes)",
    generator: "scripts/vectors/model.ts (npm run vectors)",
    descriptors: descriptorVectors(),
    model: MODEL_VECTOR,
    // Range leaves at the edges of each dtype (i64 two's complement, big-endian).
    rangeLeaves: [
      { dtype: 2, min: 0n, max: 255n },
      { dtype: 3, min: -128n, max: 127n },
      { dtype: 6, min: 0n, max: 15n },
      { dtype: 6, min: -5n, max: -5n },
      { dtype: 7, min: -(2n ** 63n), max: 2n ** 63n - 1n },
    ].map((r) => ({
      dtype: r.dtype,
      min: r.min.toString(),
      max: r.max.toString(),
      leaf: toHex(rangeLeaf(r)),
    })),
    emptyWeightsRoot: toHex(weightsRoot(nw)),
  };
}
