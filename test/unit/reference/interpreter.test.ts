/**
 * The reference interpreter on its own: hand-computed semantics, fold witnesses, and clear
 * errors for hostile models, inputs and element reads.
 */
import t from "tap";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import {
  elementDependencies,
  elementNode,
  evalElement,
  evalNode,
  foldInitial,
  foldStep,
  foldWitness,
  ModelInputError,
  packArgMaxState,
  ReferenceFault,
  ResolveError,
  readElement,
  resolveModel,
  runModel,
  type Tensor,
  tensorOf,
  unpackArgMaxState,
} from "../../../prover-trace/reference/index.ts";

const I8 = 3;
const U8 = 2;
const I32 = 6;
const I64 = 7;
const vals = (x: Tensor) => Array.from(x.data as ArrayLike<number | bigint>, (v) => BigInt(v));
const reader = (ins: Tensor[]) => (slot: number, i: number) => readElement(ins[slot], i);

t.test("hand-computed semantics", async (t) => {
  const i8 = (v: number[]) => tensorOf(I8, [v.length], v);
  const i32 = (v: (number | bigint)[]) => tensorOf(I32, [v.length], v);
  t.same(vals(evalNode("Add", [i8([127, -128]), i8([1, -1])])[0]), [-128n, 127n], "int8 Add wraps");
  t.same(
    vals(evalNode("Sub", [tensorOf(U8, [1], [0]), tensorOf(U8, [1], [1])])[0]),
    [255n],
    "uint8 Sub wraps",
  );
  t.same(
    vals(evalNode("Mul", [i32([65536, 46341]), i32([65536, 46341])])[0]),
    [0n, -2147479015n],
    "int32 Mul wraps",
  );
  t.same(
    vals(evalNode("Div", [i32([-7, 7, -7, -2147483648]), i32([2, -2, -2, 2])])[0]),
    [-3n, -3n, 3n, -1073741824n],
    "Div truncates toward zero",
  );
  t.same(
    vals(evalNode("Cast", [i32([300, -1, 2147483647])], { to: I8 })[0]),
    [44n, -1n, -1n],
    "Cast int32->int8 wraps",
  );
  t.same(vals(evalNode("Cast", [i8([-1])], { to: U8 })[0]), [255n], "Cast int8->uint8 wraps");
  t.same(
    vals(evalNode("Cast", [tensorOf(I64, [1], [2n ** 40n + 5n])], { to: I32 })[0]),
    [5n],
    "Cast int64->int32 wraps",
  );
  t.same(vals(evalNode("Clip", [i8([-100, 0, 100])], { min: -5n, max: 5n })[0]), [-5n, 0n, 5n]);
  t.same(
    vals(evalNode("Clip", [i8([-100, 0, 100])], { min: 5n, max: -5n })[0]),
    [-5n, -5n, -5n],
    "min > max gives max",
  );
  t.same(vals(evalNode("Relu", [i8([-128, 0, 7])])[0]), [0n, 0n, 7n]);
  t.same(vals(evalNode("Max", [i8([1, 5]), i8([3]), i8([2, 9])])[0]), [3n, 9n], "variadic Max broadcasts");
  t.same(
    vals(evalNode("Gather", [i8([10, 20, 30]), tensorOf(I64, [3], [-1, -3, 1])], { axis: 0 })[0]),
    [30n, 10n, 20n],
    "negative indices",
  );
  const tr = evalNode("Transpose", [tensorOf(I8, [2, 3], [1, 2, 3, 4, 5, 6])])[0];
  t.same(
    [tr.shape, vals(tr)],
    [
      [3, 2],
      [1n, 4n, 2n, 5n, 3n, 6n],
    ],
  );
  const am = evalNode("ArgMax", [tensorOf(I8, [2, 3], [4, 9, 9, -128, -128, -128])], {
    axis: 1,
    keepdims: false,
  })[0];
  t.same([am.dtype, am.shape, vals(am)], [I64, [2], [1n, 0n]], "ArgMax: ties -> first index");
  const rm = evalNode("ReduceMax", [tensorOf(I8, [2, 3], [4, 9, 9, -128, -128, -128])], {
    axis: 0,
    keepdims: true,
  })[0];
  t.same(
    [rm.shape, vals(rm)],
    [
      [1, 3],
      [4n, 9n, 9n],
    ],
  );
  const mm = evalNode("MatMulInteger", [tensorOf(U8, [1, 2], [255, 0]), tensorOf(U8, [2, 1], [0, 255])], {
    aZeroPoint: 128n,
    bZeroPoint: 255n,
  })[0];
  t.same(
    [mm.dtype, vals(mm)],
    [I32, [(255n - 128n) * (0n - 255n) + (0n - 128n) * 0n]],
    "zero points subtract",
  );
});

t.test("faults the validator excludes are faults here too", async (t) => {
  t.throws(() => evalNode("Div", [tensorOf(I32, [1], [1]), tensorOf(I32, [1], [0])]), ReferenceFault);
  t.throws(
    () => evalNode("Div", [tensorOf(I32, [1], [-2147483648]), tensorOf(I32, [1], [-1])]),
    ReferenceFault,
  );
  t.throws(() => evalNode("Gather", [tensorOf(I8, [3], [1, 2, 3]), tensorOf(I32, [1], [3])]), ReferenceFault);
  const node = elementNode("Div", [
    { dtype: I32, shape: [1] },
    { dtype: I32, shape: [1] },
  ]);
  t.throws(() => evalElement(node, 0, (s) => (s === 0 ? -2147483648n : -1n)), ReferenceFault);
  t.throws(() => evalElement(node, 0, (s) => (s === 0 ? 5n : 0n)), ReferenceFault);
});

t.test("MatMulInteger fold witness: s_0 = 0, wraps, ends at the output", async (t) => {
  const K = 33100;
  const a = tensorOf(I8, [1, K], new Array(K).fill(-128));
  const b = tensorOf(I8, [K, 1], new Array(K).fill(-128));
  const attrs = { aZeroPoint: 127n, bZeroPoint: 127n };
  const node = elementNode("MatMulInteger", [a, b], attrs);
  const w = foldWitness(node, 0, reader([a, b]));
  t.equal(w.states.length, K + 1);
  t.equal(w.states[0], 0n);
  t.equal(w.states[1], 65025n);
  t.equal(w.output, BigInt.asIntN(32, 65025n * BigInt(K)), "wrapped mod 2^32");
  t.ok(w.output < 0n, "the sum really wrapped");
  t.equal(w.output, BigInt(evalNode("MatMulInteger", [a, b], attrs)[0].data[0]));
  t.same(w.steps[7], [
    { input: 0, index: 7 },
    { input: 1, index: 7 },
  ]);
});

t.test("batched MatMulInteger element dependencies", async (t) => {
  const node = elementNode("MatMulInteger", [
    { dtype: U8, shape: [2, 3, 4] },
    { dtype: U8, shape: [2, 4, 5] },
  ]);
  const deps = elementDependencies(node, 1 * 15 + 2 * 5 + 3); // batch 1, i 2, j 3
  t.equal(deps.kind, "fold");
  if (deps.kind === "fold")
    t.same(deps.steps[1], [
      { input: 0, index: 12 + 8 + 1 },
      { input: 1, index: 20 + 5 + 3 },
    ]);
  const shared = elementNode("MatMulInteger", [
    { dtype: U8, shape: [2, 3, 4] },
    { dtype: U8, shape: [4, 5] },
  ]);
  const d2 = elementDependencies(shared, 15 + 3);
  if (d2.kind === "fold")
    t.same(d2.steps[2], [
      { input: 0, index: 12 + 2 },
      { input: 1, index: 10 + 3 },
    ]);
});

t.test("ReduceMax and ArgMax witnesses start from constants and keep the first maximum", async (t) => {
  const x = tensorOf(I8, [5], [-128, -128, -128, -128, -128]);
  const rm = elementNode("ReduceMax", [x], { axis: 0, keepdims: false });
  t.same(foldWitness(rm, 0, reader([x])).states, new Array(6).fill(-128n));
  const am = elementNode("ArgMax", [x], { axis: 0, keepdims: false });
  const w = foldWitness(am, 0, reader([x]));
  t.equal(w.states[0], foldInitial(am));
  t.equal(w.output, 0n, "all equal to the dtype minimum: index 0");
  const y = tensorOf(I32, [4], [3, 7, 7, -1]);
  const am2 = elementNode("ArgMax", [y], { axis: 0 });
  const w2 = foldWitness(am2, 0, reader([y]));
  t.same(w2.states.map(unpackArgMaxState), [
    { max: -2147483648n, index: 0n },
    { max: 3n, index: 0n },
    { max: 7n, index: 1n },
    { max: 7n, index: 1n },
    { max: 7n, index: 1n },
  ]);
  t.equal(w2.output, 1n);
});

t.test("ArgMax state packing", async (t) => {
  for (const [max, index] of [
    [-(2n ** 63n), 0n],
    [-1n, 5n],
    [2n ** 63n - 1n, 2n ** 32n],
    [255n, 17n],
  ])
    t.same(unpackArgMaxState(packArgMaxState(max, index)), { max, index });
  t.equal(packArgMaxState(-1n, 1n), (1n << 64n) | ((1n << 64n) - 1n), "documented layout");
  t.throws(() => unpackArgMaxState(-1n), RangeError);
  t.throws(() => unpackArgMaxState(1n << 128n), RangeError);
  t.throws(() => packArgMaxState(0n, -1n), RangeError);
});

t.test("foldStep rejects hostile steps clearly", async (t) => {
  const mm = elementNode("MatMulInteger", [
    { dtype: I8, shape: [2, 3] },
    { dtype: I8, shape: [3, 2] },
  ]);
  t.equal(foldStep(mm, 1, 10n, -2n, 3n), 4n);
  t.throws(() => foldStep(mm, 0, 0n, 1n, 1n), /step 0 outside 1..3/);
  t.throws(() => foldStep(mm, 4, 0n, 1n, 1n), /step 4 outside 1..3/);
  t.throws(() => foldStep(mm, 1, 0n, 128n, 1n), /outside int8/);
  t.throws(() => foldStep(mm, 1, 0n, 1n), /needs operand b/);
  const add = elementNode("Add", [
    { dtype: I8, shape: [1] },
    { dtype: I8, shape: [1] },
  ]);
  t.throws(() => foldStep(add, 1, 0n, 1n), /not a fold op/);
  const am = elementNode("ArgMax", [{ dtype: I8, shape: [3] }], { axis: 0 });
  t.throws(() => foldStep(am, 1, -5n, 1n), /not a packed state/);
});

t.test("evalNode: hostile tensors and attributes get clear errors", async (t) => {
  const ok = tensorOf(I8, [2], [1, 2]);
  t.throws(
    () => evalNode("Add", [ok, { dtype: I8, shape: [2], data: new Int8Array(3) }]),
    /input 1 has 3 elements, shape \[2\] needs 2/,
  );
  t.throws(
    () => evalNode("Add", [ok, { dtype: I8, shape: [2], data: new Uint8Array(2) }]),
    /input 1 data must be a Int8Array/,
  );
  t.throws(
    () => evalNode("Relu", [{ dtype: 1, shape: [2], data: new Int8Array(2) } as unknown as Tensor]),
    /dtype code 1/,
  );
  t.throws(() => evalNode("Relu", [null as unknown as Tensor]), /input 0 is not a tensor/);
  t.throws(() => evalNode("Add", [ok]), /expects 2 data inputs, got 1/);
  t.throws(() => evalNode("Gather", [ok, ok]), /indices must be int32 or int64/);
  t.throws(() => evalNode("ReduceMax", [ok], { axis: 2 }), /axis 2 out of range/);
  t.throws(() => evalNode("Reshape", [ok], { shape: [3] }), /cannot reshape/);
  t.throws(() => evalNode("Clip", [ok], { min: -129n }), /min -129 is outside int8/);
  t.throws(
    () =>
      evalNode("MatMulInteger", [tensorOf(I8, [1, 2], [1, 2]), tensorOf(I8, [2, 1], [1, 2])], {
        aZeroPoint: 200n,
      }),
    /a_zero_point 200 is outside int8/,
  );
  t.throws(() => evalNode("Nope" as "Add", [ok, ok]), /unknown op/);
});

t.test("element reads are checked", async (t) => {
  const add = elementNode("Add", [
    { dtype: I8, shape: [2] },
    { dtype: I8, shape: [2] },
  ]);
  t.throws(() => evalElement(add, 0, () => 200n), /is not a int8/);
  t.throws(() => evalElement(add, 2, () => 0n), RangeError);
  t.throws(() => evalElement(add, -1, () => 0n), RangeError);
  const g = elementNode(
    "Gather",
    [
      { dtype: I8, shape: [4] },
      { dtype: I32, shape: [2] },
    ],
    { axis: 0 },
  );
  t.throws(() => elementDependencies(g, 0), /pass readInput/);
  t.same(
    elementDependencies(g, 1, () => -1n),
    {
      kind: "map",
      reads: [
        { input: 1, index: 1 },
        { input: 0, index: 3 },
      ],
    },
  );
  t.throws(() => elementDependencies(g, 0, () => 4n), ReferenceFault);
});

function smallModel() {
  const g = new GraphBuilder("m");
  g.input("a", "int8", [2, 3]);
  g.input("b", "int32", [3]);
  const c = g.op("Cast", ["a"], { to: 6 });
  g.output(g.op("Add", [c, "b"], {}, "y"), "int32");
  return g.build();
}

t.test("runModel: every node output in order, inputs by position or by name", async (t) => {
  const m = smallModel();
  const a = tensorOf(I8, [2, 3], [1, 2, 3, 4, 5, 6]);
  const b = tensorOf(I32, [3], [10, 20, 30]);
  const r = runModel(m, [a, b]);
  t.equal(r.nodeOutputs.length, 2);
  t.same(vals(r.outputs.y), [11n, 22n, 33n, 14n, 25n, 36n]);
  t.same(vals(runModel(resolveModel(m), { a, b }).outputs.y), vals(r.outputs.y));
});

t.test("runModel: hostile inputs get clear errors", async (t) => {
  const m = resolveModel(smallModel());
  const a = tensorOf(I8, [2, 3], [1, 2, 3, 4, 5, 6]);
  const b = tensorOf(I32, [3], [10, 20, 30]);
  const bad: [string, unknown, RegExp][] = [
    ["too few", [a], /takes 2 inputs, got 1/],
    ["too many", [a, b, b], /takes 2 inputs, got 3/],
    [
      "wrong dtype",
      [tensorOf(U8, [2, 3], [1, 2, 3, 4, 5, 6]), b],
      /input 0 \(a\): dtype code 2, model declares int8/,
    ],
    [
      "wrong shape",
      [tensorOf(I8, [3, 2], [1, 2, 3, 4, 5, 6]), b],
      /input 0 \(a\): shape \[3,2\], model declares int8\[2,3\]/,
    ],
    ["wrong rank", [a, tensorOf(I32, [1, 3], [1, 2, 3])], /input 1 \(b\): shape/],
    ["wrong array type", [a, { dtype: I32, shape: [3], data: new Float64Array(3) }], /must be a Int32Array/],
    ["wrong length", [a, { dtype: I32, shape: [3], data: new Int32Array(4) }], /4 elements, shape needs 3/],
    ["missing by name", { a }, /input 1 \(b\): missing/],
    ["unknown name", { a, b, c: b }, /unknown input\(s\): c/],
    ["null input", [a, null], /input 1 \(b\): missing/],
  ];
  for (const [label, ins, re] of bad)
    t.throws(() => runModel(m, ins as Tensor[]), { name: "ModelInputError", message: re }, label);
  t.ok(new ModelInputError("x") instanceof Error);
});

t.test("resolveModel: models the interpreter cannot execute get clear errors", async (t) => {
  const build = (f: (g: GraphBuilder) => void) => {
    const g = new GraphBuilder("bad");
    f(g);
    return g.build();
  };
  const cases: [string, ReturnType<typeof build>, RegExp][] = [
    [
      "non-profile op",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("Where", ["x", "x", "x"], {}, "y"), "int8");
      }),
      /node 0 where_0 \(Where\): not a profile op/,
    ],
    [
      "non-constant Clip bound",
      build((g) => {
        g.input("x", "int8", [2]);
        g.input("m", "int8", []);
        g.output(g.op("Clip", ["x", "m"], {}, "y"), "int8");
      }),
      /min must be a constant initializer/,
    ],
    [
      "Clip bound of another dtype",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("Clip", ["x", g.scalar("int32", 1)], {}, "y"), "int8");
      }),
      /scalar of the operand dtype/,
    ],
    [
      "two reduction axes",
      build((g) => {
        g.input("x", "int8", [2, 2]);
        g.output(g.op("ReduceMax", ["x"], { axes: [0, 1] }, "y"), "int8");
      }),
      /exactly one axis/,
    ],
    [
      "select_last_index",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("ArgMax", ["x"], { select_last_index: 1 }, "y"), "int64");
      }),
      /select_last_index must be 0/,
    ],
    [
      "unknown attribute",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("Relu", ["x"], { alpha: 1 }, "y"), "int8");
      }),
      /unknown attribute alpha/,
    ],
    [
      "float input",
      (() => {
        const m = build((g) => {
          g.input("x", "int8", [2]);
          g.output(g.op("Relu", ["x"], {}, "y"), "int8");
        });
        m.graph.inputs[0].dtype = 1;
        return m;
      })(),
      /graph input x: dtype 1/,
    ],
    [
      "dynamic shape",
      (() => {
        const m = build((g) => {
          g.input("x", "int8", [2]);
          g.output(g.op("Relu", ["x"], {}, "y"), "int8");
        });
        m.graph.inputs[0].shape = ["batch"];
        return m;
      })(),
      /shape must be static/,
    ],
    [
      "bad reshape",
      build((g) => {
        g.input("x", "int8", [2, 3]);
        g.output(g.op("Reshape", ["x", g.constant("int64", [1], [5])], {}, "y"), "int8");
      }),
      /cannot reshape int8\[2,3\] to \[5\]/,
    ],
    [
      "undefined input",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("Add", ["x", "nope"], {}, "y"), "int8");
      }),
      /input nope is not defined/,
    ],
    [
      "mixed dtypes",
      build((g) => {
        g.input("x", "int8", [2]);
        g.input("z", "int32", [2]);
        g.output(g.op("Add", ["x", "z"], {}, "y"), "int8");
      }),
      /share one dtype/,
    ],
    [
      "bad broadcast",
      build((g) => {
        g.input("x", "int8", [2]);
        g.input("z", "int8", [3]);
        g.output(g.op("Add", ["x", "z"], {}, "y"), "int8");
      }),
      /do not broadcast/,
    ],
    [
      "Cast to float",
      build((g) => {
        g.input("x", "int8", [2]);
        g.output(g.op("Cast", ["x"], { to: 1 }, "y"), "int8");
      }),
      /'to' must be a profile dtype/,
    ],
    [
      "bad perm",
      build((g) => {
        g.input("x", "int8", [2, 2]);
        g.output(g.op("Transpose", ["x"], { perm: [0, 0] }, "y"), "int8");
      }),
      /not a permutation/,
    ],
    [
      "MatMulInteger int32",
      build((g) => {
        g.input("x", "int32", [2, 2]);
        g.output(g.op("MatMulInteger", ["x", "x"], {}, "y"), "int32");
      }),
      /operands must be int8 or uint8/,
    ],
    [
      "MatMulInteger inner dims",
      build((g) => {
        g.input("x", "int8", [2, 3]);
        g.output(g.op("MatMulInteger", ["x", "x"], {}, "y"), "int32");
      }),
      /inner dims differ/,
    ],
    [
      "Gather float indices",
      (() => {
        const m = build((g) => {
          g.input("x", "int8", [2]);
          g.input("i", "int32", [1]);
          g.output(g.op("Gather", ["x", "i"], {}, "y"), "int8");
        });
        m.graph.inputs[1].dtype = 1;
        return m;
      })(),
      /dtype 1 is not a profile dtype/,
    ],
    [
      "unproduced output",
      build((g) => {
        g.input("x", "int8", [2]);
        g.op("Relu", ["x"]);
        g.output("ghost", "int8");
      }),
      /graph output ghost is not produced/,
    ],
  ];
  for (const [label, m, re] of cases)
    t.throws(() => resolveModel(m), { name: "ResolveError", message: re }, label);
  t.ok(new ResolveError("x") instanceof Error);
});
