/**
 * Soundness of the interval analysis: random small graphs built from every profile op are
 * validated, then run by ONNX Runtime (CPU) on random and extreme inputs with every node output
 * exposed; no value may ever leave the interval the validator computed, ORT and the reference
 * interpreter must never fail on a model the validator accepted, and both must agree bit for bit.
 */
import t from "tap";
import { DTYPES, type DTypeName, numel } from "../../../protocol/dtype.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/index.ts";
import {
  exposeAll,
  type FillMode,
  feedsFor,
  fillTensor,
  ortRunAll,
  ortSession,
  outside,
  prng,
} from "./helpers.ts";

interface V {
  name: string;
  dtype: DTypeName;
  shape: number[];
}

const GRAPHS = 400;
const NODES = 12;
const MODES: FillMode[] = ["random", "random", "random", "min", "max", "alternate", "edges", "small"];

class RandomGraph {
  readonly g: GraphBuilder;
  readonly pool: V[] = [];
  private readonly rnd: () => number;

  constructor(seed: number) {
    this.rnd = prng(seed);
    this.g = new GraphBuilder(`random_${seed}`);
    const shapes = [[2, 3], [3], [2, 1, 3], [4, 3], [3, 4]];
    const n = 1 + this.int(3);
    for (let i = 0; i < n; i++) {
      const dtype = this.choice<DTypeName>(["int8", "uint8", "int32", "int32"]);
      const shape = this.choice(shapes);
      this.pool.push({ name: this.g.input(`in${i}`, dtype, shape), dtype, shape });
    }
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  choice<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  value(dtype: DTypeName): bigint {
    const d = DTYPES[dtype];
    return BigInt(fillTensor(d.code, [1], this.choice<FillMode>(["random", "small", "edges"]), this.rnd)[0]);
  }
  constant(dtype: DTypeName, shape: number[]): V {
    const data = fillTensor(
      DTYPES[dtype].code,
      shape,
      this.choice<FillMode>(["random", "small", "edges"]),
      this.rnd,
    );
    return { name: this.g.constant(dtype, shape, data), dtype, shape };
  }
  scalar(dtype: DTypeName, v: bigint | number): string {
    return this.g.scalar(dtype, v);
  }
  add(v: V): V {
    this.pool.push(v);
    return v;
  }
  /** Some pool value, cast to `dtype` when it has another one. */
  of(dtypes: DTypeName[]): V {
    const ok = this.pool.filter((v) => dtypes.includes(v.dtype));
    if (ok.length > 0 && this.rnd() < 0.85) return this.choice(ok);
    const v = this.choice(this.pool);
    const to = this.choice(dtypes);
    return this.add({
      name: this.g.op("Cast", [v.name], { to: DTYPES[to].code }),
      dtype: to,
      shape: v.shape,
    });
  }
  /** A second operand that broadcasts against `a`. */
  partner(a: V): V {
    const same = this.pool.filter(
      (v) => v.dtype === a.dtype && v.name !== a.name && v.shape.join() === a.shape.join(),
    );
    const r = this.rnd();
    if (same.length > 0 && r < 0.4) return this.choice(same);
    if (r < 0.55) return a;
    if (r < 0.8) return this.constant(a.dtype, a.shape.length > 0 ? [a.shape[a.shape.length - 1]] : []);
    return this.constant(a.dtype, []);
  }

  step(): void {
    const g = this.g;
    const op = this.choice([
      "Add",
      "Sub",
      "Mul",
      "Div",
      "Max",
      "Min",
      "Clip",
      "Relu",
      "Cast",
      "Gather",
      "Reshape",
      "Transpose",
      "MatMulInteger",
      "ReduceMax",
      "ArgMax",
      "Squeeze",
      "Unsqueeze",
      "Flatten",
      "Abs",
      "Neg",
      "Slice",
    ]);
    switch (op) {
      case "Add":
      case "Sub":
      case "Mul":
      case "Max":
      case "Min": {
        // int64 only where ORT wraps exactly (Add, Sub, Mul); its comparisons are kept out.
        const a = this.of(
          op === "Max" || op === "Min" ? ["int8", "uint8", "int32"] : ["int8", "uint8", "int32", "int64"],
        );
        const b = this.partner(a);
        const [x, y] = this.rnd() < 0.5 ? [a, b] : [b, a];
        const shape = x.shape.length >= y.shape.length ? x.shape : y.shape;
        this.add({ name: g.op(op, [x.name, y.name]), dtype: a.dtype, shape });
        return;
      }
      case "Div": {
        const a = this.of(["int32"]);
        const d = this.partner(a);
        let divisor: string;
        let dividend = a.name;
        const r = this.rnd();
        if (r < 0.3) divisor = g.op("Max", [d.name, this.scalar("int32", 1 + this.int(5))]);
        else if (r < 0.5)
          divisor = g.op("Clip", [d.name, this.scalar("int32", 2), this.scalar("int32", 2 + this.int(300))]);
        else if (r < 0.7)
          divisor = g.op("Clip", [
            d.name,
            this.scalar("int32", -(2 + this.int(300))),
            this.scalar("int32", -2),
          ]);
        else if (r < 0.85) {
          // Divisor may be -1: the dividend is kept off INT_MIN.
          divisor = g.op("Clip", [d.name, this.scalar("int32", -3), this.scalar("int32", -1)]);
          dividend = g.op("Max", [a.name, this.scalar("int32", -(2 ** 31) + 1)]);
        } else {
          const c = Array.from({ length: 3 }, () => (this.rnd() < 0.5 ? -1 : 1) * (1 + this.int(1000)));
          divisor = g.constant("int32", [3], c);
          dividend = g.op("Max", [a.name, this.scalar("int32", -(2 ** 31) + 1)]);
          const shape = a.shape.length > 0 && a.shape[a.shape.length - 1] === 3 ? a.shape : [3];
          if (shape !== a.shape) dividend = g.op("Reshape", [dividend, g.constant("int64", [1], [-1])]);
          const outShape = shape === a.shape ? a.shape : [numel(a.shape)];
          if (outShape[outShape.length - 1] !== 3) return;
          this.add({ name: g.op("Div", [dividend, divisor]), dtype: "int32", shape: outShape });
          return;
        }
        this.add({
          name: g.op("Div", [dividend, divisor]),
          dtype: "int32",
          shape: a.shape.length >= d.shape.length ? a.shape : d.shape,
        });
        return;
      }
      case "Clip": {
        const a = this.of(["int8", "uint8", "int32"]);
        const lo = this.value(a.dtype);
        const hi = this.value(a.dtype);
        const ins = [
          a.name,
          this.rnd() < 0.8 ? this.scalar(a.dtype, lo) : "",
          this.rnd() < 0.8 ? this.scalar(a.dtype, hi) : "",
        ];
        while (ins[ins.length - 1] === "") ins.pop();
        this.add({ name: g.op("Clip", ins), dtype: a.dtype, shape: a.shape });
        return;
      }
      case "Abs":
      case "Neg": {
        const a = this.of(op === "Abs" ? ["int8", "uint8", "int32", "int64"] : ["int8", "int32", "int64"]);
        this.add({ name: g.op(op, [a.name]), dtype: a.dtype, shape: a.shape });
        return;
      }
      case "Slice": {
        // Reverse the last axis of anything (rank >= 1): the interval must stay the input's.
        const a = this.choice(this.pool.filter((v) => v.shape.length > 0));
        if (!a) return;
        const c = (v: number) => g.constant("int64", [1], [v]);
        this.add({
          name: g.op("Slice", [a.name, c(-1), c(-(2 ** 40)), c(-1), c(-1)]),
          dtype: a.dtype,
          shape: a.shape,
        });
        return;
      }
      case "Relu": {
        const a = this.of(["int8", "int32"]);
        this.add({ name: g.op("Relu", [a.name]), dtype: a.dtype, shape: a.shape });
        return;
      }
      case "Cast": {
        const a = this.choice(this.pool);
        const to = this.choice<DTypeName>(["int8", "uint8", "int32", "int64"]);
        this.add({ name: g.op("Cast", [a.name], { to: DTYPES[to].code }), dtype: to, shape: a.shape });
        return;
      }
      case "Gather": {
        const idx = this.of(["int8", "uint8", "int32"]);
        let data: V;
        if (this.rnd() < 0.5)
          data = this.constant(this.choice<DTypeName>(["int8", "uint8", "int32", "int64"]), [
            1 + this.int(300),
          ]);
        else data = this.choice(this.pool);
        if (data.shape.length === 0) return;
        const axis = this.int(data.shape.length);
        const dim = data.shape[axis];
        const i32 = idx.dtype === "int32" ? idx.name : g.op("Cast", [idx.name], { to: 6 });
        const lo = this.rnd() < 0.5 ? -dim : 0;
        const clipped = g.op("Clip", [i32, this.scalar("int32", lo), this.scalar("int32", dim - 1)]);
        const indices = this.rnd() < 0.3 ? g.op("Cast", [clipped], { to: 7 }) : clipped;
        const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
        if (numel(shape) > 4096) return;
        this.add({ name: g.op("Gather", [data.name, indices], { axis }), dtype: data.dtype, shape });
        return;
      }
      case "Reshape": {
        const a = this.choice(this.pool);
        const n = numel(a.shape);
        const target = n % 3 === 0 && this.rnd() < 0.5 ? [-1, 3] : [n];
        const shape = target[0] === -1 ? [n / 3, 3] : [n];
        this.add({
          name: g.op("Reshape", [a.name, g.constant("int64", [target.length], target)]),
          dtype: a.dtype,
          shape,
        });
        return;
      }
      case "Transpose": {
        const a = this.choice(this.pool);
        const perm = a.shape.map((_, i) => i);
        for (let i = perm.length - 1; i > 0; i--) {
          const j = this.int(i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        this.add({
          name: g.op("Transpose", [a.name], { perm }),
          dtype: a.dtype,
          shape: perm.map((p) => a.shape[p]),
        });
        return;
      }
      case "MatMulInteger": {
        const dt = this.choice<DTypeName>(["int8", "uint8"]);
        let a = this.of([dt]);
        while (a.shape.length < 2)
          a = this.add({
            name: g.op("Unsqueeze", [a.name, g.constant("int64", [1], [0])]),
            dtype: dt,
            shape: [1, ...a.shape],
          });
        const k = a.shape[a.shape.length - 1];
        const n = 1 + this.int(4);
        const b = this.constant(dt, [k, n]);
        const ins = [a.name, b.name];
        if (this.rnd() < 0.6) ins.push(this.scalar(dt, this.value(dt)));
        if (this.rnd() < 0.4) {
          if (ins.length === 2) ins.push("");
          ins.push(this.scalar(dt, this.value(dt)));
        }
        this.add({ name: g.op("MatMulInteger", ins), dtype: "int32", shape: [...a.shape.slice(0, -1), n] });
        return;
      }
      case "ReduceMax":
      case "ArgMax": {
        const a = this.of(["int8", "uint8", "int32"]);
        if (a.shape.length === 0) return;
        const axis = this.int(a.shape.length);
        const keep = this.rnd() < 0.5;
        const shape = keep
          ? a.shape.map((d, i) => (i === axis ? 1 : d))
          : a.shape.filter((_, i) => i !== axis);
        const attrs: Record<string, number | number[]> =
          op === "ReduceMax" ? { axes: [axis], keepdims: keep ? 1 : 0 } : { axis, keepdims: keep ? 1 : 0 };
        this.add({ name: g.op(op, [a.name], attrs), dtype: op === "ArgMax" ? "int64" : a.dtype, shape });
        return;
      }
      case "Squeeze": {
        const a = this.choice(this.pool);
        this.add({ name: g.op("Squeeze", [a.name]), dtype: a.dtype, shape: a.shape.filter((d) => d !== 1) });
        return;
      }
      case "Unsqueeze": {
        const a = this.choice(this.pool);
        if (a.shape.length >= 4) return;
        this.add({
          name: g.op("Unsqueeze", [a.name, g.constant("int64", [1], [-1])]),
          dtype: a.dtype,
          shape: [...a.shape, 1],
        });
        return;
      }
      default: {
        const a = this.choice(this.pool);
        if (a.shape.length === 0) return;
        this.add({
          name: g.op("Flatten", [a.name]),
          dtype: a.dtype,
          shape: [a.shape[0] ?? 1, numel(a.shape.slice(1))],
        });
      }
    }
  }
}

t.test("random graphs never leave their intervals in ONNX Runtime", async (t) => {
  let accepted = 0;
  let checkedValues = 0;
  const opsSeen = new Set<string>();
  const rejected: string[] = [];
  for (let seed = 1; seed <= GRAPHS; seed++) {
    const rg = new RandomGraph(seed);
    for (let i = 0; i < NODES; i++) rg.step();
    const last = rg.pool[rg.pool.length - 1];
    rg.g.output(last.name, last.dtype);
    const r = validateModel(rg.g.build());
    if (!r.ok) {
      rejected.push(`seed ${seed}: ${r.errors.join(" | ")}`);
      continue;
    }
    accepted++;
    const pm = r.profileModel;
    for (const n of pm.nodes) opsSeen.add(n.onnxOp);
    const s = await ortSession(exposeAll(pm));
    try {
      const rnd = prng(seed * 31);
      for (const mode of MODES) {
        const feeds = feedsFor(pm, mode, rnd);
        const res = await ortRunAll(s, feeds);
        // The reference interpreter must not fault either, and must agree with ORT bit for bit.
        const ref = runModel(pm, feeds);
        for (const n of pm.nodes) {
          const want = pm.values.get(n.outputs[0])!;
          const got = res[want.name];
          const mine = ref.nodeOutputs[n.index][0].data;
          if (mine.length !== got.data.length || mine.some((v, i) => v !== got.data[i]))
            t.fail(
              `seed ${seed} ${mode} node ${n.index} ${n.onnxOp}: reference interpreter differs from ORT`,
            );
          if (got.dims.join() !== want.shape.join())
            t.fail(`seed ${seed} ${want.name}: ORT shape [${got.dims}] vs inferred [${want.shape}]`);
          const bad = outside(got.data, want.interval);
          if (bad)
            t.fail(
              `seed ${seed} ${mode} node ${n.index} ${n.onnxOp} ${want.name}: value ${bad.value} at ${bad.index} outside [${want.interval.lo}, ${want.interval.hi}]`,
            );
          checkedValues += got.data.length;
        }
      }
    } finally {
      await s.release();
    }
  }
  t.same(rejected, [], "the generator only builds guarded graphs, so none is rejected");
  t.ok(accepted >= GRAPHS * 0.95, `${accepted} of ${GRAPHS} graphs accepted`);
  t.ok(checkedValues > 100_000, `${checkedValues} values checked`);
  for (const op of [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Max",
    "Min",
    "Clip",
    "Relu",
    "Cast",
    "Gather",
    "Reshape",
    "Transpose",
    "MatMulInteger",
    "ReduceMax",
    "ArgMax",
    "Squeeze",
    "Unsqueeze",
    "Flatten",
  ])
    t.ok(opsSeen.has(op), `${op} covered`);
});
