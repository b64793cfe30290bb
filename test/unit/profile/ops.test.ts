/**
 * The op-level API (`inferNode`) and the interval transfer functions: transfer functions are
 * checked exhaustively against brute force on small intervals (every exact result inside, and
 * the bounds attained, i.e. tight), the API on arity, optional inputs and unknown ops.
 */
import t from "tap";
import { DTYPES } from "../../../protocol/dtype.ts";
import type { TensorData } from "../../../prover-trace/onnx/ir.ts";
import {
  bigMax,
  bigMin,
  divInterval,
  type Interval,
  mulInterval,
  wrapInterval,
} from "../../../prover-trace/profile/interval.ts";
import { attrBytes, type InferInput, inferNode } from "../../../prover-trace/profile/ops.ts";

function intervals(lo: number, hi: number): Interval[] {
  const out: Interval[] = [];
  for (let a = lo; a <= hi; a++) for (let b = a; b <= hi; b++) out.push({ lo: BigInt(a), hi: BigInt(b) });
  return out;
}

function brute(a: Interval, b: Interval, f: (x: bigint, y: bigint) => bigint | null): Interval | null {
  let lo: bigint | null = null;
  let hi: bigint | null = null;
  for (let x = a.lo; x <= a.hi; x++)
    for (let y = b.lo; y <= b.hi; y++) {
      const v = f(x, y);
      if (v === null) continue;
      if (lo === null || v < lo) lo = v;
      if (hi === null || v > hi) hi = v;
    }
  return lo === null || hi === null ? null : { lo, hi };
}

t.test("mulInterval is exact on every pair of intervals in [-5, 5]", async (t) => {
  let n = 0;
  for (const a of intervals(-5, 5))
    for (const b of intervals(-5, 5)) {
      const got = mulInterval(a, b);
      const want = brute(a, b, (x, y) => x * y)!;
      if (got.lo !== want.lo || got.hi !== want.hi) t.fail(`[${a.lo},${a.hi}] * [${b.lo},${b.hi}]`);
      n++;
    }
  t.ok(n > 4000);
});

t.test("divInterval (truncating) is exact for divisors without 0", async (t) => {
  let n = 0;
  for (const a of intervals(-9, 9))
    for (const b of intervals(-4, 4)) {
      if (b.lo <= 0n && b.hi >= 0n) {
        t.throws(() => divInterval(a, b), RangeError);
        continue;
      }
      const got = divInterval(a, b);
      const want = brute(a, b, (x, y) => x / y)!;
      if (got.lo !== want.lo || got.hi !== want.hi) t.fail(`[${a.lo},${a.hi}] / [${b.lo},${b.hi}]`);
      n++;
    }
  t.ok(n > 1000);
});

const full = (dtype: number, shape: number[], lo: bigint, hi: bigint, name = "x"): InferInput => ({
  name,
  dtype,
  shape,
  interval: { lo, hi },
  constant: null,
});
const constant = (dtype: number, shape: number[], data: TensorData, name = "c"): InferInput => {
  const vals = Array.from(data as ArrayLike<number | bigint>, (v) => BigInt(v));
  const lo = vals.reduce(bigMin);
  const hi = vals.reduce(bigMax);
  return { name, dtype, shape, interval: { lo, hi }, constant: data };
};

t.test("Div through a constant divisor of both signs: exact per sign part", async (t) => {
  // dividend [-100, 100], divisor constant {-3, 7}: quotients lie in [-33, 33].
  const r = inferNode("Div", [full(6, [2], -100n, 100n), constant(6, [2], Int32Array.from([-3, 7]))]);
  t.ok(r.ok);
  if (r.ok) t.same(r.node.output.interval, { lo: -33n, hi: 33n });
});

t.test("inferNode: arity, optional inputs, unknown ops, attribute bytes", async (t) => {
  const x = full(3, [4], -128n, 127n);
  const hi = constant(3, [], Int8Array.of(5), "hi");
  const clip = inferNode("Clip", [x, null, hi]);
  t.ok(clip.ok);
  if (clip.ok) {
    t.same(clip.node.attrs, { min: -128n, max: 5n });
    t.same(clip.node.dataInputs, [0]);
    t.same(clip.node.output, { dtype: 3, shape: [4], interval: { lo: -128n, hi: 5n } });
    t.same(
      Array.from(attrBytes(clip.node)),
      [255, 255, 255, 255, 255, 255, 255, 128, 0, 0, 0, 0, 0, 0, 0, 5],
    );
  }
  t.same(inferNode("Conv", [x]), { ok: false, subject: "op", why: "not in the integer profile" });
  t.same(inferNode("Max", [x, x, x]), {
    ok: false,
    subject: "3 inputs",
    why: "Max takes 2 (data_0, data_1)",
  });
  t.same(inferNode("Add", [x, null]), { ok: false, subject: "input 1 (B)", why: "is required" });
  t.same(inferNode("Relu", [x], { alpha: { type: "float", value: 1 } }), {
    ok: false,
    subject: "attr alpha",
    why: "unknown attribute for Relu",
  });
  t.same(inferNode("Cast", [x]), { ok: false, subject: "attr to", why: "missing" });
  t.same(inferNode("Gather", [x, full(6, [], 0n, 3n)], { axis: { type: "ints", value: [0n] } }), {
    ok: false,
    subject: "attr axis",
    why: "must be an int, got ints",
  });
  const wide = inferNode("Add", [full(6, [2], 0n, DTYPES.int32.max), full(6, [2], 0n, 1n)]);
  t.ok(wide.ok);
  if (wide.ok) t.same(wide.node.output.interval, wrapInterval({ lo: 0n, hi: 2n ** 31n }, DTYPES.int32));
});
