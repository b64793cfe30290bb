/**
 * Single-op test models for the differential tests: every profile op on every dtype combination
 * ORT CPU has a kernel for, with random inputs and extreme inputs (dtype min/max, -1, 0, values
 * whose results wrap). Inputs are deterministic (seeded) so failures reproduce.
 */
import {
  DTYPES,
  DType,
  type DTypeCode,
  type DTypeName,
  dtypeByCode,
  numel,
} from "../../../protocol/dtype.ts";
import { type AttrInput, GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { readElement, type Tensor, tensorOf, writeElement } from "../../../prover-trace/reference/tensor.ts";

export const ALL_TYPES: DTypeName[] = ["int8", "uint8", "int32", "int64"];

export interface OpCase {
  label: string;
  model: IrModel;
  /** input sets, each in graph input order */
  inputSets: Tensor[][];
  /**
   * Set where ORT 1.30 CPU is known to compute a wrong result: ORT is then compared only on
   * input sets whose values all lie in the int32 range (see ort-int64-compare.test.ts).
   */
  ortDeviation?: string;
}

export const INT64_COMPARE_BUG =
  "ORT 1.30 CPU int64 Max/Min/Clip/ReduceMax compare the low 32-bit words signed when the high words are equal";

/** Cases on int64 data whose ORT kernels compare wrongly get an extra input set inside int32. */
function markInt64Compare(cases: OpCase[], r: () => number): OpCase[] {
  for (const c of cases) {
    c.ortDeviation = INT64_COMPARE_BUG;
    c.inputSets.push(
      c.inputSets[0].map((x) =>
        tensorOf(
          x.dtype,
          x.shape,
          Array.from({ length: x.data.length }, () => randomValue("int32", r)),
        ),
      ),
    );
  }
  return cases;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomValue(dt: DTypeName, r: () => number): bigint {
  const d = DTYPES[dt];
  const raw = d.bytes === 8 ? (BigInt(r()) << 32n) | BigInt(r()) : BigInt(r());
  return d.signed ? BigInt.asIntN(d.bytes * 8, raw) : BigInt.asUintN(d.bytes * 8, raw);
}

/** Values at and around the edges of the dtype, and ones whose sums/products wrap. */
export function edgeValues(dt: DTypeName): bigint[] {
  const d = DTYPES[dt];
  const bits = BigInt(d.bytes * 8);
  const half = 1n << (bits / 2n); // its square is 2^bits: products around it wrap
  const vals = [
    d.min,
    d.min + 1n,
    -half,
    -2n,
    -1n,
    0n,
    1n,
    2n,
    half - 1n,
    half,
    half + 1n,
    d.max - 1n,
    d.max,
  ];
  return [...new Set(vals.filter((v) => v >= d.min && v <= d.max))];
}

export function randomTensor(
  dt: DTypeName,
  shape: number[],
  r: () => number,
  gen: (r: () => number) => bigint = (rr) => randomValue(dt, rr),
): Tensor {
  return tensorOf(
    DTYPES[dt].code,
    shape,
    Array.from({ length: numel(shape) }, () => gen(r)),
  );
}

/** Small random values, so that lookups and equal elements (ties) are frequent. */
function smallValue(dt: DTypeName, r: () => number, span: number): bigint {
  const v = BigInt(r() % span);
  return DTYPES[dt].signed ? v - BigInt(span >> 1) : v;
}

function edgeTensor(dt: DTypeName, shape: number[], offset = 0): Tensor {
  const e = edgeValues(dt);
  return tensorOf(
    DTYPES[dt].code,
    shape,
    Array.from({ length: numel(shape) }, (_, i) => e[(i + offset) % e.length]),
  );
}

function unaryModel(
  op: string,
  inT: DTypeName,
  outT: DTypeName,
  shape: number[],
  attrs: Record<string, AttrInput>,
  extra: (g: GraphBuilder) => string[] = () => [],
): IrModel {
  const g = new GraphBuilder(op);
  g.input("x", inT, shape);
  g.output(g.op(op, ["x", ...extra(g)], attrs, "y"), outT);
  return g.build();
}

function elementwiseCases(op: string, dt: DTypeName, seed: number): OpCase[] {
  const cases: OpCase[] = [];
  const sanitizeDiv = (a: Tensor, b: Tensor): void => {
    // Keep ORT alive: no zero divisor, and no INT_MIN / -1 for int32/int64 (SIGFPE). Pairs are
    // matched by index when the shapes are equal; random broadcast operands essentially never
    // hold INT_MIN or -1, and the 0 divisor is replaced everywhere.
    const d = dtypeByCode(a.dtype);
    const wide = d.code === DType.int32 || d.code === DType.int64;
    const paired = a.data.length === b.data.length;
    for (let i = 0; i < b.data.length; i++) {
      const bi = readElement(b, i);
      const ai = paired ? readElement(a, i) : 0n;
      if (bi === 0n || (wide && bi === -1n && ai === d.min)) writeElement(b, i, 3n);
    }
  };
  const binary = (shapeA: number[], shapeB: number[], sets: Tensor[][], tag: string): OpCase => {
    const g = new GraphBuilder(op);
    g.input("a", dt, shapeA);
    g.input("b", dt, shapeB);
    g.output(g.op(op, ["a", "b"], {}, "y"), dt);
    if (op === "Div") for (const [a, b] of sets) sanitizeDiv(a, b);
    return { label: `${op} ${dt} ${tag}`, model: g.build(), inputSets: sets };
  };
  const r = rng(seed);
  cases.push(
    binary(
      [3, 4],
      [3, 4],
      [0, 1].map(() => [randomTensor(dt, [3, 4], r), randomTensor(dt, [3, 4], r)]),
      "random [3,4]x[3,4]",
    ),
  );
  cases.push(
    binary(
      [2, 3, 4],
      [3, 1],
      [[randomTensor(dt, [2, 3, 4], r), randomTensor(dt, [3, 1], r)]],
      "broadcast [2,3,4]x[3,1]",
    ),
  );
  cases.push(
    binary(
      [1, 5],
      [4, 1],
      [[randomTensor(dt, [1, 5], r), randomTensor(dt, [4, 1], r)]],
      "broadcast [1,5]x[4,1]",
    ),
  );
  cases.push(
    binary([], [2, 3], [[randomTensor(dt, [], r), randomTensor(dt, [2, 3], r)]], "broadcast scalar x [2,3]"),
  );
  // Every pair of edge values: wraps, INT_MIN, -1, negative truncation.
  const e = edgeValues(dt);
  const n = e.length;
  const code = DTYPES[dt].code;
  const a = tensorOf(
    code,
    [n * n],
    Array.from({ length: n * n }, (_, i) => e[Math.floor(i / n)]),
  );
  const b = tensorOf(
    code,
    [n * n],
    Array.from({ length: n * n }, (_, i) => e[i % n]),
  );
  cases.push(binary([n * n], [n * n], [[a, b]], "edge x edge"));
  if (op === "Max" || op === "Min") {
    const g = new GraphBuilder(op);
    g.input("a", dt, [2, 1, 4]);
    g.input("b", dt, [3, 1]);
    g.input("c", dt, [4]);
    g.output(g.op(op, ["a", "b", "c"], {}, "y"), dt);
    cases.push({
      label: `${op} ${dt} variadic 3 inputs broadcast`,
      model: g.build(),
      inputSets: [[randomTensor(dt, [2, 1, 4], r), randomTensor(dt, [3, 1], r), edgeTensor(dt, [4])]],
    });
    cases.push({
      label: `${op} ${dt} single input`,
      model: unaryModel(op, dt, dt, [5], {}),
      inputSets: [[edgeTensor(dt, [5])]],
    });
  }
  return cases;
}

function unarySets(dt: DTypeName, shape: number[], r: () => number): Tensor[][] {
  return [[randomTensor(dt, shape, r)], [edgeTensor(dt, shape)]];
}

function clipCases(dt: DTypeName, r: () => number): OpCase[] {
  const d = DTYPES[dt];
  const e = edgeValues(dt);
  const bounds: [bigint | null, bigint | null, string][] = [
    [e[2], e[e.length - 3], "edge bounds"],
    [randomValue(dt, r) / 4n, null, "min only"],
    [null, 1n, "max only"],
    [null, null, "no bounds"],
    [d.max - 1n, d.min + 1n, "min > max"],
    [d.min, d.max, "full range"],
  ];
  return bounds.map(([lo, hi, tag]) => ({
    label: `Clip ${dt} ${tag}`,
    model: unaryModel("Clip", dt, dt, [4, 5], {}, (g) => {
      const ins = [lo === null ? "" : g.scalar(dt, lo), hi === null ? "" : g.scalar(dt, hi)];
      while (ins.length > 0 && ins[ins.length - 1] === "") ins.pop();
      return ins;
    }),
    inputSets: unarySets(dt, [4, 5], r),
  }));
}

function gatherCases(dt: DTypeName, it: DTypeName, r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  const specs: [number[], number, number[]][] = [
    [[256], 0, [3, 5]], // a lookup table
    [[4, 6], 1, [7]],
    [[4, 6], -1, [2, 2]],
    [[3, 4, 5], 1, []],
    [[3, 4, 5], 0, [2]],
  ];
  for (const [dataShape, axis, idxShape] of specs) {
    const dim = dataShape[axis < 0 ? axis + dataShape.length : axis];
    const g = new GraphBuilder("Gather");
    g.input("data", dt, dataShape);
    g.input("idx", it, idxShape);
    g.output(g.op("Gather", ["data", "idx"], { axis }, "y"), dt);
    const idxGen = (rr: () => number) => BigInt(rr() % (2 * dim)) - BigInt(dim); // [-dim, dim-1]
    const ends = [-dim, -1, 0, dim - 1].map(BigInt);
    const edgeIdx = tensorOf(
      DTYPES[it].code,
      idxShape,
      Array.from({ length: numel(idxShape) }, (_, i) => ends[i % 4]),
    );
    cases.push({
      label: `Gather ${dt} idx ${it} data [${dataShape}] axis ${axis} idx [${idxShape}]`,
      model: g.build(),
      inputSets: [
        [randomTensor(dt, dataShape, r), randomTensor(it, idxShape, r, idxGen)],
        [edgeTensor(dt, dataShape), edgeIdx],
      ],
    });
  }
  return cases;
}

function movementCases(dt: DTypeName, r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  const withShape = (
    op: string,
    shape: number[],
    attrs: Record<string, AttrInput>,
    extra: (g: GraphBuilder) => string[],
    tag: string,
  ) =>
    cases.push({
      label: `${op} ${dt} ${tag}`,
      model: unaryModel(op, dt, dt, shape, attrs, extra),
      inputSets: unarySets(dt, shape, r),
    });
  withShape("Reshape", [2, 3, 4], {}, (g) => [g.constant("int64", [3], [0, -1, 2])], "[2,3,4] -> [0,-1,2]");
  withShape("Reshape", [6], {}, (g) => [g.constant("int64", [2], [3, 2])], "[6] -> [3,2]");
  withShape("Squeeze", [1, 3, 1, 2], {}, (g) => [g.constant("int64", [1], [-2])], "[1,3,1,2] axes [-2]");
  withShape("Squeeze", [1, 3, 1, 2], {}, () => [], "[1,3,1,2] all");
  withShape("Unsqueeze", [3, 2], {}, (g) => [g.constant("int64", [2], [0, -1])], "[3,2] axes [0,-1]");
  withShape("Flatten", [2, 3, 4], { axis: 2 }, () => [], "[2,3,4] axis 2");
  withShape("Flatten", [2, 3, 4], { axis: 0 }, () => [], "[2,3,4] axis 0");
  withShape("Identity", [3, 3], {}, () => [], "[3,3]");
  withShape("Transpose", [2, 3, 4], {}, () => [], "[2,3,4] default perm");
  withShape("Transpose", [2, 3, 4], { perm: [1, 2, 0] }, () => [], "[2,3,4] perm [1,2,0]");
  withShape("Transpose", [2, 1, 3, 4], { perm: [0, 2, 1, 3] }, () => [], "[2,1,3,4] perm [0,2,1,3]");
  const I64_MAX = 2n ** 63n - 1n;
  const I64_MIN = -(2n ** 63n);
  // Slice: [starts, ends, axes | null, steps | null, index dtype], on a [4,5,6] input.
  const slices: [bigint[], bigint[], bigint[] | null, bigint[] | null, DTypeName][] = [
    [[1n], [3n], null, null, "int64"],
    [[0n, 1n, 2n], [4n, 5n, 6n], null, null, "int32"],
    [[-1n], [I64_MIN], [1n], [-1n], "int64"],
    [[I64_MAX], [-7n], [-1n], [-2n], "int64"],
    [[-100n, 2n], [I64_MAX, -1n], [2n, 0n], [3n, 1n], "int64"],
    [[3n], [0n], [0n], [-1n], "int32"],
    [[1n], [2n], [2n], [I64_MAX], "int64"],
    [[5n, 0n], [-8n, 6n], [1n, 2n], [-2n, 5n], "int64"],
  ];
  for (const [starts, ends, axes, steps, it] of slices) {
    const tag = `starts ${starts} ends ${ends} axes ${axes ?? "-"} steps ${steps ?? "-"} (${it})`;
    withShape(
      "Slice",
      [4, 5, 6],
      {},
      (g) => {
        const ins = [g.constant(it, [starts.length], starts), g.constant(it, [ends.length], ends)];
        if (axes || steps) ins.push(axes ? g.constant(it, [axes.length], axes) : "");
        if (steps) ins.push(g.constant(it, [steps.length], steps));
        return ins;
      },
      tag,
    );
  }
  // Concat: graph inputs and a weight, along a middle, the last and a negative axis.
  for (const [shapes, axis] of [
    [
      [
        [2, 3, 4],
        [2, 1, 4],
        [2, 5, 4],
      ],
      1,
    ],
    [
      [
        [3, 2],
        [3, 7],
      ],
      -1,
    ],
    [[[1], [4], [2], [1]], 0],
  ] as [number[][], number][]) {
    const g = new GraphBuilder("Concat");
    const names = shapes.map((s, k) => (k === 1 ? "" : g.input(`x${k}`, dt, s)));
    const wShape = shapes[1];
    const w = Array.from({ length: wShape.reduce((a, b) => a * b, 1) }, () => randomValue(dt, r));
    names[1] = g.constant(dt, wShape, w, "w");
    g.output(g.op("Concat", names, { axis }, "y"), dt);
    cases.push({
      label: `Concat ${dt} ${shapes.map((s) => `[${s}]`).join("+")} axis ${axis}`,
      model: g.build(),
      inputSets: [0, 1].map(() =>
        shapes.flatMap((s, k) => (k === 1 ? [] : [k % 2 === 0 ? randomTensor(dt, s, r) : edgeTensor(dt, s)])),
      ),
    });
  }
  const d = DTYPES[dt];
  withShape("Pad", [2, 3], {}, (g) => [g.constant("int64", [4], [1, 0, 2, 2])], "[2,3] pads 1,0,2,2 (zero)");
  withShape(
    "Pad",
    [3, 4],
    {},
    (g) => [g.constant("int64", [4], [-1, 2, 1, -3]), g.constant(dt, [], [d.max])],
    "[3,4] pads -1,2,1,-3 (crop), constant max",
  );
  withShape(
    "Pad",
    [2, 2, 3],
    { mode: "constant" },
    (g) => [g.constant("int64", [6], [-5, 0, 3, 5, 0, 0]), g.constant(dt, [], [d.min])],
    "[2,2,3] pads -5,0,3,5,0,0 (an axis all padding), constant min",
  );
  withShape("Tile", [2, 3], {}, (g) => [g.constant("int64", [2], [3, 2])], "[2,3] x [3,2]");
  withShape("Tile", [1, 4, 1], {}, (g) => [g.constant("int64", [3], [2, 1, 5])], "[1,4,1] x [2,1,5]");
  withShape("Expand", [3, 1], {}, (g) => [g.constant("int64", [3], [2, 1, 4])], "[3,1] -> [2,1,4]");
  withShape("Expand", [1, 4], {}, (g) => [g.constant("int64", [1], [1])], "[1,4] -> [1]");
  withShape("Expand", [2, 1, 3], {}, (g) => [g.constant("int64", [4], [2, 1, 5, 3])], "[2,1,3] -> [2,1,5,3]");
  return cases;
}

/**
 * MaxPool on 1-3 spatial axes: padding on either side (windows that are mostly padding),
 * strides, dilations, a kernel as large as the padded input, storage_order and auto_pad VALID.
 */
function poolCases(dt: "int8" | "uint8", r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  const d = DTYPES[dt];
  for (const [shape, attrs] of [
    [[1, 1, 5, 5], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }],
    [[2, 3, 6, 7], { kernel_shape: [2, 3], strides: [1, 2], pads: [0, 2, 1, 1] }],
    [[1, 2, 7, 6], { kernel_shape: [3, 2], dilations: [2, 3], pads: [2, 0, 1, 1] }],
    [[1, 1, 3, 3], { kernel_shape: [3, 3], pads: [2, 2, 2, 2] }],
    [[2, 2, 9], { kernel_shape: [4], strides: [3], pads: [3, 2], storage_order: 1 }],
    [[1, 2, 4, 5, 3], { kernel_shape: [2, 3, 2], strides: [2, 1, 1], pads: [1, 1, 0, 0, 2, 1] }],
    [[1, 3, 5, 4], { kernel_shape: [2, 2], auto_pad: "VALID" }],
    [[1, 1, 4, 4], { kernel_shape: [1, 1], strides: [3, 2] }],
  ] as [number[], Record<string, AttrInput>][]) {
    cases.push({
      label: `MaxPool ${dt} [${shape}] ${JSON.stringify(attrs)}`,
      model: unaryModel("MaxPool", dt, dt, shape, attrs),
      inputSets: [
        [randomTensor(dt, shape, r)],
        [randomTensor(dt, shape, r, (rr) => smallValue(dt, rr, 3))],
        [edgeTensor(dt, shape)],
        [tensorOf(d.code, shape, new Array(numel(shape)).fill(d.min))],
        [tensorOf(d.code, shape, new Array(numel(shape)).fill(d.max))],
      ],
    });
  }
  return cases;
}

/**
 * ConvInteger (same-signedness): 1-3 spatial axes, padding (filled with the x zero point),
 * strides, dilations, groups, zero points at the dtype's ends, W as a weight and as an input.
 */
function convCases(dt: "int8" | "uint8", r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  const d = DTYPES[dt];
  for (const [xs, ws, attrs, zps, wInput] of [
    [[1, 2, 5, 5], [3, 2, 3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }, [3n, -1n], false],
    [[2, 4, 6, 5], [4, 2, 2, 3], { group: 2, dilations: [2, 1], pads: [0, 2, 1, 0] }, [d.max, d.min], false],
    [[1, 3, 7], [2, 3, 3], { pads: [2, 1], strides: [3] }, null, true],
    [[1, 2, 3, 4, 3], [2, 1, 2, 2, 2], { group: 2, pads: [1, 0, 1, 0, 1, 0] }, [d.min, d.max], false],
    [[1, 2, 4, 4], [2, 2, 2, 2], { auto_pad: "VALID", kernel_shape: [2, 2] }, [0n, 0n], true],
  ] as [number[], number[], Record<string, AttrInput>, bigint[] | null, boolean][]) {
    const g = new GraphBuilder("ConvInteger");
    g.input("x", dt, xs);
    if (wInput) g.input("w", dt, ws);
    const wName = wInput
      ? "w"
      : g.constant(
          dt,
          ws,
          Array.from({ length: numel(ws) }, () => randomValue(dt, r)),
          "w",
        );
    const ins = ["x", wName];
    if (zps) {
      const clamp = (v: bigint) => (v < d.min ? d.min : v > d.max ? d.max : v);
      ins.push(g.scalar(dt, clamp(zps[0])), g.scalar(dt, clamp(zps[1])));
    }
    g.output(g.op("ConvInteger", ins, attrs, "y"), "int32");
    const sets = (mode: "random" | "edge") =>
      [xs, ...(wInput ? [ws] : [])].map((s) =>
        mode === "edge" ? edgeTensor(dt, s) : randomTensor(dt, s, r),
      );
    cases.push({
      label: `ConvInteger ${dt} x[${xs}] w[${ws}] ${JSON.stringify(attrs)}${zps ? ` zp ${zps}` : ""}${wInput ? " (w an input)" : ""}`,
      model: g.build(),
      inputSets: [sets("random"), sets("edge"), sets("random")],
    });
  }
  return cases;
}

function reduceCases(op: "ReduceMax" | "ArgMax", dt: DTypeName, r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  const outT: DTypeName = op === "ArgMax" ? "int64" : dt;
  for (const [shape, axis, keepdims] of [
    [[3, 4, 5], 1, 1],
    [[3, 4, 5], -1, 0],
    [[3, 4, 5], 0, 1],
    [[7], 0, 0],
    [[6, 8], 1, 0],
  ] as [number[], number, number][]) {
    const attrs: Record<string, AttrInput> =
      op === "ArgMax" ? { axis, keepdims } : { axes: [axis], keepdims };
    const code = DTYPES[dt].code;
    const d = DTYPES[dt];
    cases.push({
      label: `${op} ${dt} [${shape}] axis ${axis} keepdims ${keepdims}`,
      model: unaryModel(op, dt, outT, shape, attrs),
      inputSets: [
        [randomTensor(dt, shape, r)],
        // few distinct values: ties everywhere, first index must win
        [randomTensor(dt, shape, r, (rr) => smallValue(dt, rr, 3))],
        [edgeTensor(dt, shape)],
        [tensorOf(code, shape, new Array(numel(shape)).fill(d.min))],
        [tensorOf(code, shape, new Array(numel(shape)).fill(d.max))],
      ],
    });
  }
  return cases;
}

function matMulCases(dt: "int8" | "uint8", r: () => number): OpCase[] {
  const d = DTYPES[dt];
  const cases: OpCase[] = [];
  const mk = (
    sa: number[],
    sb: number[],
    zp: [bigint | null, bigint | null],
    sets: Tensor[][],
    tag: string,
  ) => {
    const g = new GraphBuilder("MatMulInteger");
    g.input("a", dt, sa);
    g.input("b", dt, sb);
    const ins = ["a", "b"];
    if (zp[0] !== null || zp[1] !== null) ins.push(zp[0] === null ? "" : g.scalar(dt, zp[0]));
    if (zp[1] !== null) ins.push(g.scalar(dt, zp[1]));
    g.output(g.op("MatMulInteger", ins, {}, "y"), "int32");
    cases.push({ label: `MatMulInteger ${dt}x${dt} ${tag}`, model: g.build(), inputSets: sets });
  };
  const rand = (sa: number[], sb: number[]) => [randomTensor(dt, sa, r), randomTensor(dt, sb, r)];
  mk([4, 8], [8, 5], [null, null], [rand([4, 8], [8, 5])], "[4,8]x[8,5]");
  mk(
    [4, 8],
    [8, 5],
    [randomValue(dt, r), randomValue(dt, r)],
    [rand([4, 8], [8, 5])],
    "[4,8]x[8,5] random zero points",
  );
  mk(
    [4, 8],
    [8, 5],
    [d.min, d.max],
    [rand([4, 8], [8, 5]), [edgeTensor(dt, [4, 8]), edgeTensor(dt, [8, 5], 3)]],
    "zero points min,max",
  );
  mk([4, 8], [8, 5], [d.max, null], [rand([4, 8], [8, 5])], "a zero point only");
  mk([4, 8], [8, 5], [null, d.min], [rand([4, 8], [8, 5])], "b zero point only (a omitted)");
  mk([2, 3, 6], [6, 4], [1n, 2n], [rand([2, 3, 6], [6, 4])], "batched [2,3,6]x[6,4]");
  {
    // zero points given as shape [1] rather than rank 0
    const g = new GraphBuilder("MatMulInteger");
    g.input("a", dt, [3, 4]);
    g.input("b", dt, [4, 2]);
    const zp = [g.constant(dt, [1], [d.max]), g.constant(dt, [1], [d.min + 1n])];
    g.output(g.op("MatMulInteger", ["a", "b", ...zp], {}, "y"), "int32");
    cases.push({
      label: `MatMulInteger ${dt}x${dt} zero points of shape [1]`,
      model: g.build(),
      inputSets: [rand([3, 4], [4, 2])],
    });
  }
  mk([2, 3, 6], [2, 6, 4], [null, null], [rand([2, 3, 6], [2, 6, 4])], "batched [2,3,6]x[2,6,4]");
  mk([2, 2, 3, 5], [2, 2, 5, 3], [3n, null], [rand([2, 2, 3, 5], [2, 2, 5, 3])], "rank 4");
  // |a - azp| * |b - bzp| = 255^2 summed over K = 33100 passes 2^31: the int32 sum must wrap.
  const K = 33100;
  const lo = tensorOf(d.code, [1, K], new Array(K).fill(d.min));
  const loB = tensorOf(d.code, [K, 2], new Array(2 * K).fill(d.min));
  mk([1, K], [K, 2], [d.max, d.max], [[lo, loB]], `[1,${K}]x[${K},2] wraps mod 2^32`);
  return cases;
}

/**
 * Gather and Div as the profile admits them: indices whose interval provably fits (a uint8 cast
 * up), divisors that are nonzero constants or guarded by Max(d, 1).
 */
function guardedCases(r: () => number): OpCase[] {
  const cases: OpCase[] = [];
  for (const dt of ALL_TYPES)
    for (const it of ["int32", "int64"] as DTypeName[]) {
      const g = new GraphBuilder("lut");
      g.input("table", dt, [256]);
      g.input("u", "uint8", [3, 4]);
      g.output(g.op("Gather", ["table", g.op("Cast", ["u"], { to: DTYPES[it].code })], { axis: 0 }, "y"), dt);
      cases.push({
        label: `Gather ${dt} table, uint8 indices cast to ${it}`,
        model: g.build(),
        inputSets: [
          [randomTensor(dt, [256], r), randomTensor("uint8", [3, 4], r)],
          [edgeTensor(dt, [256]), edgeTensor("uint8", [3, 4])],
        ],
      });
    }
  const c = new GraphBuilder("div");
  c.input("x", "int32", [2, 4]);
  c.output(c.op("Div", ["x", c.constant("int32", [4], [3, -7, 256, 2147483647])], {}, "y"), "int32");
  cases.push({
    label: "Div int32 by nonzero constants",
    model: c.build(),
    inputSets: [[randomTensor("int32", [2, 4], r)], [edgeTensor("int32", [2, 4])]],
  });
  const q = new GraphBuilder("guarded");
  q.input("x", "int32", [2, 5]);
  q.input("d", "int32", [2, 1]);
  q.output(q.op("Div", ["x", q.op("Max", ["d", q.scalar("int32", 1)])], {}, "y"), "int32");
  cases.push({
    label: "Div int32 by Max(d, 1) (the softmax guard)",
    model: q.build(),
    inputSets: [
      [randomTensor("int32", [2, 5], r), randomTensor("int32", [2, 1], r)],
      [edgeTensor("int32", [2, 5]), tensorOf(DType.int32, [2, 1], [-2147483648, 7])],
    ],
  });
  return cases;
}

/** Every (op, dtype combination) ORT 1.30 CPU runs, with the inputs described above. */
export function allOpCases(): OpCase[] {
  const cases: OpCase[] = [];
  let seed = 1;
  const r = rng(12345);
  for (const op of ["Add", "Sub", "Mul", "Div", "Max", "Min"])
    for (const dt of ALL_TYPES) {
      const cs = elementwiseCases(op, dt, seed++);
      cases.push(...(dt === "int64" && (op === "Max" || op === "Min") ? markInt64Compare(cs, r) : cs));
    }
  for (const dt of ALL_TYPES)
    for (const op of dt === "uint8" ? ["Abs"] : ["Abs", "Neg"])
      cases.push({
        label: `${op} ${dt}`,
        model: unaryModel(op, dt, dt, [edgeValues(dt).length + 5], {}),
        inputSets: unarySets(dt, [edgeValues(dt).length + 5], r),
      });
  for (const dt of ["int8", "int32"] as DTypeName[])
    cases.push({
      label: `Relu ${dt}`,
      model: unaryModel("Relu", dt, dt, [3, 7], {}),
      inputSets: unarySets(dt, [3, 7], r),
    });
  for (const dt of ALL_TYPES) {
    const cs = clipCases(dt, r);
    cases.push(...(dt === "int64" ? markInt64Compare(cs, r) : cs));
  }
  for (const from of ALL_TYPES)
    for (const to of ALL_TYPES)
      cases.push({
        label: `Cast ${from}->${to}`,
        model: unaryModel("Cast", from, to, [edgeValues(from).length + 5], { to: DTYPES[to].code }),
        inputSets: unarySets(from, [edgeValues(from).length + 5], r),
      });
  for (const dt of ALL_TYPES)
    for (const it of ["int32", "int64"] as DTypeName[]) cases.push(...gatherCases(dt, it, r));
  for (const dt of ALL_TYPES) cases.push(...movementCases(dt, r));
  for (const dt of ["int8", "uint8"] as const) cases.push(...matMulCases(dt, r));
  cases.push(...guardedCases(r));
  for (const dt of ["int8", "uint8"] as const) cases.push(...poolCases(dt, r));
  for (const dt of ["int8", "uint8"] as const) cases.push(...convCases(dt, r));
  for (const op of ["ReduceMax", "ArgMax"] as const)
    for (const dt of ALL_TYPES) {
      const cs = reduceCases(op, dt, r);
      cases.push(...(dt === "int64" && op === "ReduceMax" ? markInt64Compare(cs, r) : cs));
    }
  return cases;
}

export function dtypeCode(dt: DTypeName): DTypeCode {
  return DTYPES[dt].code;
}
