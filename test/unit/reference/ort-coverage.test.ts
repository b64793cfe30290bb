/**
 * What ORT 1.30 CPU really does outside the exact cases of ort-diff.test.ts: missing kernels,
 * run errors, the process-killing INT_MIN / -1, and the int64 compare bug. These pin the
 * "ORT CPU kernel coverage (measured)" table in docs/profile.md: if ORT changes, a test fails.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import t from "tap";
import type { DTypeName } from "../../../protocol/dtype.ts";
import { DTYPES } from "../../../protocol/dtype.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { ReferenceFault, runModel, type Tensor, tensorOf } from "../../../prover-trace/reference/index.ts";
import { ortRun, ortSession } from "./ort-harness.ts";

function unary(
  op: string,
  dt: DTypeName,
  outT: DTypeName = dt,
  attrs = {},
  consts: (g: GraphBuilder) => string[] = () => [],
) {
  const g = new GraphBuilder(op);
  g.input("x", dt, [4]);
  g.output(g.op(op, ["x", ...consts(g)], attrs, "y"), outT);
  return g.build();
}

function binary(op: string, dt: DTypeName) {
  const g = new GraphBuilder(op);
  g.input("a", dt, [1]);
  g.input("b", dt, [1]);
  g.output(g.op(op, ["a", "b"], {}, "y"), dt);
  return g.build();
}

t.test("no kernel: Relu uint8 is not a valid model, Relu int64 has no CPU kernel", async (t) => {
  await t.rejects(
    ortSession(unary("Relu", "uint8")),
    /Type 'tensor\(uint8\)' of input parameter .* is invalid/,
  );
  await t.rejects(ortSession(unary("Relu", "int64")), /Could not find an implementation for Relu/);
});

t.test("integer division by zero is a run error in ORT and a fault in the reference", async (t) => {
  for (const dt of ["int8", "uint8", "int32", "int64"] as DTypeName[]) {
    const m = binary("Div", dt);
    const ins = [tensorOf(DTYPES[dt].code, [1], [5]), tensorOf(DTYPES[dt].code, [1], [0])];
    await t.rejects(ortRun(m, ins), /Integer division by zero/, `ORT ${dt}`);
    t.throws(() => runModel(m, ins), ReferenceFault, `reference ${dt}`);
  }
});

t.test("int8 -128 / -1 wraps to -128 in both", async (t) => {
  const m = binary("Div", "int8");
  const ins = [tensorOf(3, [1], [-128]), tensorOf(3, [1], [-1])];
  t.equal((await ortRun(m, ins))[0].data[0], -128);
  t.equal(runModel(m, ins).outputs.y.data[0], -128);
});

t.test("int32 and int64 INT_MIN / -1 kill the ORT process (SIGFPE); the reference faults", async (t) => {
  const script = fileURLToPath(new URL("./fixtures/div-int-min.ts", import.meta.url));
  for (const dt of ["int32", "int64"] as DTypeName[]) {
    const r = spawnSync(process.execPath, [script, dt], { encoding: "utf8", timeout: 60_000 });
    t.equal(r.signal, "SIGFPE", `${dt}: ${r.stdout}${r.stderr.slice(0, 200)}`);
    const m = binary("Div", dt);
    const min = DTYPES[dt].min;
    t.throws(
      () => runModel(m, [tensorOf(DTYPES[dt].code, [1], [min]), tensorOf(DTYPES[dt].code, [1], [-1])]),
      ReferenceFault,
    );
  }
});

t.test("Gather index out of range is a run error in ORT and a fault in the reference", async (t) => {
  for (const bad of [4n, -5n]) {
    const g = new GraphBuilder("g");
    g.input("d", "int8", [4]);
    g.input("i", "int64", [1]);
    g.output(g.op("Gather", ["d", "i"], { axis: 0 }, "y"), "int8");
    const m = g.build();
    const ins = [tensorOf(3, [4], [1, 2, 3, 4]), tensorOf(7, [1], [bad])];
    await t.rejects(ortRun(m, ins), /indices element out of data bounds/, `ORT index ${bad}`);
    t.throws(() => runModel(m, ins), ReferenceFault, `reference index ${bad}`);
  }
});

function withConst(op: string, c: bigint[]) {
  const g = new GraphBuilder(op);
  g.input("x", "int64", [4]);
  g.output(g.op(op, ["x", g.constant("int64", [4], c)], {}, "y"), "int64");
  return g.build();
}

t.test(
  "int64 Max/Min/Clip/ReduceMax: ORT compares wrongly once the high 32-bit words are equal",
  async (t) => {
    // -2^32 = 0xFFFFFFFF_00000000 and -2 = 0xFFFFFFFF_FFFFFFFE share the high word, as do 2^32-1
    // and 0; ORT orders the low words as signed (0 > -2, 0xFFFFFFFF < 0).
    const P = 2n ** 32n;
    const x = tensorOf(7, [4], [-P, -2n, P - 1n, 0n]);
    // The vectorised reduction shows it on 4 elements in this order (2 elements come out right).
    const r = tensorOf(7, [4], [0n, P - 1n, 0n, 0n]);
    const cases: [string, IrModel, Tensor, bigint[], bigint[]][] = [
      ["Max(x, c)", withConst("Max", [-2n, -2n, 0n, 0n]), x, [-P, -2n, 0n, 0n], [-2n, -2n, P - 1n, 0n]],
      ["Min(x, c)", withConst("Min", [-2n, -2n, 0n, 0n]), x, [-2n, -2n, P - 1n, 0n], [-P, -2n, 0n, 0n]],
      [
        "Clip(x, -3, 1)",
        unary("Clip", "int64", "int64", {}, (g) => [g.scalar("int64", -3n), g.scalar("int64", 1n)]),
        x,
        [-P, -2n, P - 1n, 0n],
        [-3n, -2n, 1n, 0n],
      ],
      ["ReduceMax", unary("ReduceMax", "int64", "int64", { axes: [0], keepdims: 1 }), r, [0n], [P - 1n]],
    ];
    for (const [label, m, input, ortSays, exact] of cases) {
      t.same(
        Array.from((await ortRun(m, [input]))[0].data as BigInt64Array),
        ortSays,
        `ORT ${label} (wrong)`,
      );
      t.same(
        Array.from(runModel(m, [input]).outputs.y.data as BigInt64Array),
        exact,
        `reference ${label} (exact)`,
      );
    }
  },
);
