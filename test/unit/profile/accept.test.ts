/**
 * Accepted models, one or more per op: the validator's canonical op, folded attributes, output
 * dtype and shape; ONNX Runtime must agree on dtype and shape, and every value it computes on
 * random and extreme inputs must lie inside the interval the validator computed.
 */
import t from "tap";
import { DTYPES, type DTypeName, dtypeByCode } from "../../../protocol/dtype.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import type { OpName } from "../../../prover-trace/profile/opcodes.ts";
import type { CanonicalAttrs } from "../../../prover-trace/profile/ops.ts";
import { type ProfileModel, validateModel } from "../../../prover-trace/profile/validate.ts";
import { exposeAll, type FillMode, feedsFor, ortRunAll, ortSession, outside, prng } from "./helpers.ts";

interface Case {
  name: string;
  build(g: GraphBuilder): string;
  outDtype: DTypeName;
  op: OpName;
  attrs: CanonicalAttrs;
  shape: number[];
  /** Expected interval of the last node, when the test pins it. */
  interval?: [bigint, bigint];
}

const cases: Case[] = [
  {
    name: "Add int8 broadcast",
    build: (g) => g.op("Add", [g.input("a", "int8", [2, 3]), g.input("b", "int8", [3])]),
    outDtype: "int8",
    op: "Add",
    attrs: {},
    shape: [2, 3],
    interval: [-128n, 127n],
  },
  {
    name: "Add int32 no wrap keeps exact interval",
    build: (g) =>
      g.op("Add", [g.op("Cast", [g.input("a", "int8", [4])], { to: 6 }), g.scalar("int32", 1000)]),
    outDtype: "int32",
    op: "Add",
    attrs: {},
    shape: [4],
    interval: [872n, 1127n],
  },
  {
    name: "Sub uint8 outer broadcast",
    build: (g) => g.op("Sub", [g.input("a", "uint8", [2, 1]), g.input("b", "uint8", [1, 3])]),
    outDtype: "uint8",
    op: "Sub",
    attrs: {},
    shape: [2, 3],
  },
  {
    name: "Mul int32 by scalar",
    build: (g) => g.op("Mul", [g.input("a", "int32", [3, 2]), g.scalar("int32", -3)]),
    outDtype: "int32",
    op: "Mul",
    attrs: {},
    shape: [3, 2],
  },
  {
    name: "Div int32 by positive constant",
    build: (g) => g.op("Div", [g.input("a", "int32", [2, 4]), g.constant("int32", [4], [1, 2, 4, 8])]),
    outDtype: "int32",
    op: "Div",
    attrs: {},
    shape: [2, 4],
    interval: [-(2n ** 31n), 2n ** 31n - 1n],
  },
  {
    name: "Div guarded by Max(d, 1)",
    build: (g) =>
      g.op("Div", [
        g.input("a", "int32", [5]),
        g.op("Max", [g.input("d", "int32", [5]), g.scalar("int32", 1)]),
      ]),
    outDtype: "int32",
    op: "Div",
    attrs: {},
    shape: [5],
  },
  {
    name: "Div by -1 when the dividend cannot be INT_MIN",
    build: (g) =>
      g.op("Div", [
        g.op("Clip", [g.input("a", "int32", [3]), g.scalar("int32", -1000), g.scalar("int32", 1000)]),
        g.constant("int32", [3], [-1, -2, 7]),
      ]),
    outDtype: "int32",
    op: "Div",
    attrs: {},
    shape: [3],
    interval: [-1000n, 1000n],
  },
  {
    name: "Max int8",
    build: (g) => g.op("Max", [g.input("a", "int8", [2, 2]), g.scalar("int8", -5)]),
    outDtype: "int8",
    op: "Max",
    attrs: {},
    shape: [2, 2],
    interval: [-5n, 127n],
  },
  {
    name: "Min uint8",
    build: (g) => g.op("Min", [g.input("a", "uint8", [3]), g.input("b", "uint8", [3])]),
    outDtype: "uint8",
    op: "Min",
    attrs: {},
    shape: [3],
  },
  {
    name: "Clip int32 both bounds",
    build: (g) => g.op("Clip", [g.input("a", "int32", [6]), g.scalar("int32", -128), g.scalar("int32", 127)]),
    outDtype: "int32",
    op: "Clip",
    attrs: { min: -128n, max: 127n },
    shape: [6],
    interval: [-128n, 127n],
  },
  {
    name: "Clip int8 max only",
    build: (g) => g.op("Clip", [g.input("a", "int8", [6]), "", g.scalar("int8", 10)]),
    outDtype: "int8",
    op: "Clip",
    attrs: { min: -128n, max: 10n },
    shape: [6],
    interval: [-128n, 10n],
  },
  {
    name: "Clip uint8 no bounds",
    build: (g) => g.op("Clip", [g.input("a", "uint8", [2])]),
    outDtype: "uint8",
    op: "Clip",
    attrs: { min: 0n, max: 255n },
    shape: [2],
  },
  {
    name: "Clip min > max gives max",
    build: (g) => g.op("Clip", [g.input("a", "int32", [4]), g.scalar("int32", 5), g.scalar("int32", 2)]),
    outDtype: "int32",
    op: "Clip",
    attrs: { min: 5n, max: 2n },
    shape: [4],
    interval: [2n, 2n],
  },
  {
    name: "Relu int8",
    build: (g) => g.op("Relu", [g.input("a", "int8", [3, 3])]),
    outDtype: "int8",
    op: "Relu",
    attrs: {},
    shape: [3, 3],
    interval: [0n, 127n],
  },
  {
    name: "Relu int32",
    build: (g) => g.op("Relu", [g.input("a", "int32", [3])]),
    outDtype: "int32",
    op: "Relu",
    attrs: {},
    shape: [3],
  },
  {
    name: "Gather lookup table by uint8 cast to int32",
    build: (g) =>
      g.op("Gather", [
        g.constant(
          "int8",
          [256],
          Array.from({ length: 256 }, (_, i) => ((i * 7) % 256) - 128),
        ),
        g.op("Cast", [g.input("x", "uint8", [2, 3])], { to: 6 }),
      ]),
    outDtype: "int8",
    op: "Gather",
    attrs: { axis: 0 },
    shape: [2, 3],
  },
  {
    name: "Gather int8 index shifted into [0, 255] (int32 Add)",
    build: (g) =>
      g.op("Gather", [
        g.constant(
          "int32",
          [256],
          Array.from({ length: 256 }, (_, i) => i * 1000),
        ),
        g.op("Add", [g.op("Cast", [g.input("x", "int8", [5])], { to: 6 }), g.scalar("int32", 128)]),
      ]),
    outDtype: "int32",
    op: "Gather",
    attrs: { axis: 0 },
    shape: [5],
    interval: [0n, 255000n],
  },
  {
    name: "Gather negative axis, negative constant int64 indices",
    build: (g) =>
      g.op("Gather", [g.input("d", "uint8", [3, 4]), g.constant("int64", [2], [-1, -4])], { axis: -1 }),
    outDtype: "uint8",
    op: "Gather",
    attrs: { axis: 1 },
    shape: [3, 2],
  },
  {
    name: "Gather scalar index drops the axis",
    build: (g) => g.op("Gather", [g.input("d", "int32", [3, 4]), g.scalar("int32", 2)]),
    outDtype: "int32",
    op: "Gather",
    attrs: { axis: 0 },
    shape: [4],
  },
  {
    name: "Gather by ArgMax (int64 indices)",
    build: (g) =>
      g.op("Gather", [
        g.constant("int64", [4], [10, 20, 30, 40]),
        g.op("ArgMax", [g.input("x", "int8", [2, 4])], { axis: 1 }),
      ]),
    outDtype: "int64",
    op: "Gather",
    attrs: { axis: 0 },
    shape: [2, 1],
    interval: [10n, 40n],
  },
  {
    name: "Reshape with 0 and -1",
    build: (g) => g.op("Reshape", [g.input("x", "int8", [2, 3, 4]), g.constant("int64", [2], [0, -1])]),
    outDtype: "int8",
    op: "Reshape",
    attrs: { shape: [2, 12] },
    shape: [2, 12],
  },
  {
    name: "Reshape allowzero=1 without zeros",
    build: (g) =>
      g.op("Reshape", [g.input("x", "int64", [6]), g.constant("int64", [3], [3, 1, 2])], { allowzero: 1 }),
    outDtype: "int64",
    op: "Reshape",
    attrs: { shape: [3, 1, 2] },
    shape: [3, 1, 2],
  },
  {
    name: "Squeeze with axes",
    build: (g) => g.op("Squeeze", [g.input("x", "int32", [1, 3, 1]), g.constant("int64", [1], [-1])]),
    outDtype: "int32",
    op: "Reshape",
    attrs: { shape: [1, 3] },
    shape: [1, 3],
  },
  {
    name: "Squeeze without axes",
    build: (g) => g.op("Squeeze", [g.input("x", "uint8", [1, 3, 1])]),
    outDtype: "uint8",
    op: "Reshape",
    attrs: { shape: [3] },
    shape: [3],
  },
  {
    name: "Unsqueeze negative axes",
    build: (g) => g.op("Unsqueeze", [g.input("x", "int8", [3]), g.constant("int64", [2], [0, -1])]),
    outDtype: "int8",
    op: "Reshape",
    attrs: { shape: [1, 3, 1] },
    shape: [1, 3, 1],
  },
  {
    name: "Flatten axis 2",
    build: (g) => g.op("Flatten", [g.input("x", "int8", [2, 3, 4, 5])], { axis: 2 }),
    outDtype: "int8",
    op: "Reshape",
    attrs: { shape: [6, 20] },
    shape: [6, 20],
  },
  {
    name: "Flatten axis 0",
    build: (g) => g.op("Flatten", [g.input("x", "int32", [2, 3])], { axis: 0 }),
    outDtype: "int32",
    op: "Reshape",
    attrs: { shape: [1, 6] },
    shape: [1, 6],
  },
  {
    name: "Flatten default axis",
    build: (g) => g.op("Flatten", [g.input("x", "int32", [2, 3, 2])]),
    outDtype: "int32",
    op: "Reshape",
    attrs: { shape: [2, 6] },
    shape: [2, 6],
  },
  {
    name: "Identity",
    build: (g) => g.op("Identity", [g.input("x", "uint8", [2, 2])]),
    outDtype: "uint8",
    op: "Reshape",
    attrs: { shape: [2, 2] },
    shape: [2, 2],
  },
  {
    name: "Transpose perm",
    build: (g) => g.op("Transpose", [g.input("x", "int8", [2, 3, 4])], { perm: [1, 2, 0] }),
    outDtype: "int8",
    op: "Transpose",
    attrs: { perm: [1, 2, 0] },
    shape: [3, 4, 2],
  },
  {
    name: "Transpose default perm reverses",
    build: (g) => g.op("Transpose", [g.input("x", "int64", [2, 3, 4])]),
    outDtype: "int64",
    op: "Transpose",
    attrs: { perm: [2, 1, 0] },
    shape: [4, 3, 2],
  },
  {
    name: "MatMulInteger int8 x int8 with zero points",
    build: (g) =>
      g.op("MatMulInteger", [
        g.input("a", "int8", [2, 4]),
        g.constant("int8", [4, 3], [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]),
        g.scalar("int8", 3),
        g.scalar("int8", -1),
      ]),
    outDtype: "int32",
    op: "MatMulInteger",
    attrs: { aZeroPoint: 3n, bZeroPoint: -1n },
    shape: [2, 3],
    // (a - 3) in [-131, 124], (b + 1) in [-11, 12]: product in [-1572, 1488], times K = 4.
    interval: [-6288n, 5952n],
  },
  {
    name: "MatMulInteger uint8 x uint8 wraps for long K",
    build: (g) =>
      g.op("MatMulInteger", [g.input("a", "uint8", [1, 40000]), g.input("b", "uint8", [40000, 2])]),
    outDtype: "int32",
    op: "MatMulInteger",
    attrs: { aZeroPoint: 0n, bZeroPoint: 0n },
    shape: [1, 2],
    interval: [-(2n ** 31n), 2n ** 31n - 1n],
  },
  {
    name: "MatMulInteger batched, 1-element zero point vector",
    build: (g) =>
      g.op("MatMulInteger", [
        g.input("a", "uint8", [2, 3, 4]),
        g.input("b", "uint8", [2, 4, 5]),
        g.constant("uint8", [1], [128]),
      ]),
    outDtype: "int32",
    op: "MatMulInteger",
    attrs: { aZeroPoint: 128n, bZeroPoint: 0n },
    shape: [2, 3, 5],
  },
  {
    name: "MatMulInteger rank-3 A x rank-2 B",
    build: (g) => g.op("MatMulInteger", [g.input("a", "int8", [2, 3, 4]), g.input("b", "int8", [4, 5])]),
    outDtype: "int32",
    op: "MatMulInteger",
    attrs: { aZeroPoint: 0n, bZeroPoint: 0n },
    shape: [2, 3, 5],
  },
  {
    name: "ReduceMax keepdims",
    build: (g) => g.op("ReduceMax", [g.input("x", "int8", [2, 3])], { axes: [-1] }),
    outDtype: "int8",
    op: "ReduceMax",
    attrs: { axis: 1, keepdims: true },
    shape: [2, 1],
  },
  {
    name: "ReduceMax uint8 no keepdims",
    build: (g) => g.op("ReduceMax", [g.input("x", "uint8", [2, 3, 4])], { axes: [1], keepdims: 0 }),
    outDtype: "uint8",
    op: "ReduceMax",
    attrs: { axis: 1, keepdims: false },
    shape: [2, 4],
  },
  {
    name: "ArgMax defaults",
    build: (g) => g.op("ArgMax", [g.input("x", "int32", [3, 2])]),
    outDtype: "int64",
    op: "ArgMax",
    attrs: { axis: 0, keepdims: true },
    shape: [1, 2],
    interval: [0n, 2n],
  },
  {
    name: "ArgMax last axis, no keepdims, explicit select_last_index=0",
    build: (g) =>
      g.op("ArgMax", [g.input("x", "uint8", [2, 5])], { axis: -1, keepdims: 0, select_last_index: 0 }),
    outDtype: "int64",
    op: "ArgMax",
    attrs: { axis: 1, keepdims: false },
    shape: [2],
    interval: [0n, 4n],
  },
];

// Every profile cast.
for (const from of ["int8", "uint8", "int32", "int64"] as DTypeName[])
  for (const to of ["int8", "uint8", "int32", "int64"] as DTypeName[])
    cases.push({
      name: `Cast ${from} -> ${to}`,
      build: (g) => g.op("Cast", [g.input("x", from, [7])], { to: DTYPES[to].code }),
      outDtype: to,
      op: "Cast",
      attrs: { to: DTYPES[to].code },
      shape: [7],
    });

const MODES: FillMode[] = ["random", "min", "max", "alternate", "edges", "small"];

function analyse(c: Case): ProfileModel {
  const g = new GraphBuilder(c.name);
  const out = c.build(g);
  g.output(out, c.outDtype, c.shape);
  const r = validateModel(g.build());
  if (!r.ok) throw new Error(`${c.name}: rejected:\n${r.errors.join("\n")}`);
  return r.profileModel;
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const pm = analyse(c);
    const last = pm.nodes[pm.nodes.length - 1];
    t.equal(last.op, c.op, "canonical op");
    t.same(last.attrs, c.attrs, "canonical attributes");
    const v = pm.values.get(last.outputs[0])!;
    t.equal(v.dtype, DTYPES[c.outDtype].code, "output dtype");
    t.same(v.shape, c.shape, "output shape");
    if (c.interval) t.same([v.interval.lo, v.interval.hi], c.interval, "interval");

    const s = await ortSession(exposeAll(pm));
    try {
      const rnd = prng(c.name.length * 7919);
      for (const mode of MODES) {
        const res = await ortRunAll(s, feedsFor(pm, mode, rnd));
        for (const n of pm.nodes) {
          const want = pm.values.get(n.outputs[0])!;
          const got = res[want.name];
          t.equal(got.type, dtypeByCode(want.dtype).name, `ORT dtype of ${want.name}`);
          t.same(got.dims, want.shape, `ORT shape of ${want.name} (${mode})`);
          const bad = outside(got.data, want.interval);
          t.equal(
            bad,
            null,
            `ORT values of ${want.name} inside [${want.interval.lo}, ${want.interval.hi}] (${mode})`,
          );
        }
      }
    } finally {
      await s.release();
    }
  });
}

t.test(
  "data initializers are numbered in order of first use; folded constants are not weights",
  async (t) => {
    const g = new GraphBuilder("order");
    const x = g.input("x", "int8", [2, 4]);
    const unused = g.constant("int8", [1], [1], "unused");
    const lo = g.scalar("int8", -10, "lo");
    const w2 = g.constant("int8", [4], [1, 2, 3, 4], "w2");
    const w1 = g.constant("int8", [4], [5, 6, 7, 8], "w1");
    const shape = g.constant("int64", [1], [8], "shape");
    const a = g.op("Add", [x, w1]);
    const b = g.op("Clip", [a, lo]);
    const c = g.op("Sub", [b, w2]);
    const d = g.op("Mul", [c, w1]);
    const e = g.op("Max", [d, lo]); // lo is a folded constant above and a data input here
    g.output(g.op("Reshape", [e, shape]), "int8", [8]);
    void unused;
    const r = validateModel(g.build());
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const pm = r.profileModel;
    t.same(
      pm.initializers.map((x) => x.name),
      ["w1", "w2", "lo"],
    );
    t.same(pm.nodes[0].inputRefs, [
      { kind: 0, index: 0, slot: 0 },
      { kind: 1, index: 0, slot: 0 },
    ]);
    t.same(pm.nodes[1].inputRefs, [{ kind: 2, index: 0, slot: 0 }]);
    t.same(pm.nodes[3].inputRefs, [
      { kind: 2, index: 2, slot: 0 },
      { kind: 1, index: 0, slot: 0 },
    ]);
    t.same(pm.nodes[4].inputRefs, [
      { kind: 2, index: 3, slot: 0 },
      { kind: 1, index: 2, slot: 0 },
    ]);
    t.equal(pm.paramCount, 9);
  },
);
