import t from "tap";
import { bytesEqual, toHex } from "../../../protocol/bytes.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { SplitMix64 } from "../../../prover-trace/builder/prng.ts";
import {
  expTable,
  geluTableOffset,
  geluTableSigned,
  rsqrtTable,
  signedIndexed,
} from "../../../prover-trace/builder/tables.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "../../../prover-trace/builder/transformer.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";

async function idOf(m: IrModel): Promise<{ bytes: Uint8Array; id: string }> {
  const v = validateModel(m);
  if (!v.ok) throw new Error(v.errors.join("\n"));
  const bytes = encodeOnnx(m);
  return { bytes, id: toHex((await commitModel(v.profileModel, bytes)).modelId) };
}

t.test("splitmix64 matches the published reference sequence", async (t) => {
  // splitmix64 seeded with 0: first outputs of Vigna's reference implementation.
  const r = new SplitMix64(0);
  t.equal(r.next64(), 0xe220a8397b1dcdafn);
  t.equal(r.next64(), 0x6e789e6aa1b965f4n);
  t.equal(r.next64(), 0x06c45d188009454fn);
  const a = new SplitMix64(5).ints(1000, -3, 3);
  t.ok(a.every((x) => x >= -3 && x <= 3));
  t.equal(new Set(a).size, 7, "every value of a small range occurs");
  t.throws(() => new SplitMix64(-1), /seed/);
  t.throws(() => new SplitMix64(1).int(3, 2), /range/);
});

t.test("tables", async (t) => {
  const e = expTable(24);
  t.equal(e.length, 256);
  t.equal(e[0], 255, "the row maximum has weight 255");
  t.equal(e[255], 0, "masked / far positions get exactly zero");
  t.ok(
    e.every((v, i) => i === 0 || v <= e[i - 1]),
    "non-increasing",
  );
  t.throws(() => expTable(0), /temperature/);
  const g = geluTableSigned();
  t.equal(g[128], 0, "gelu(0) = 0");
  t.equal(g[255], 127, "gelu of a large positive input is ~ the input (clipped)");
  t.ok(g.every((v) => v >= -128 && v <= 127));
  t.same(
    geluTableOffset(),
    g.map((v) => v + 128),
  );
  const big = expTable(6144, 1 << 16);
  t.equal(big.length, 65536);
  t.equal(big[0], 255);
  t.equal(big[65535], 0);
  t.equal(big[6144], Math.round(255 / Math.E), "tau is in index units");
  t.throws(() => expTable(1, 1), /needs >= 2 rows/);
  // Row r of a signed-indexed table holds the entry of signed value r (r < 128) or r - 256.
  const off = Array.from({ length: 256 }, (_, i) => i);
  const s = signedIndexed(off);
  t.equal(s[0], 128, "v = 0");
  t.equal(s[127], 255, "v = 127");
  t.equal(s[128], 0, "row 128 is v = -128");
  t.equal(s[255], 127, "row 255 is v = -1");
  t.throws(() => signedIndexed([1, 2]), /256 rows/);
  const r = rsqrtTable(8);
  t.equal(r.length, 129);
  t.ok(
    r.every((v, i) => i < 2 || v <= r[i - 1]),
    "1/sqrt is non-increasing",
  );
});

t.test("builders are deterministic from the seed and pass the validator", async (t) => {
  for (const [kind, build] of [
    ["mlp", (seed: number) => buildMlp({ seed })],
    ["transformer", (seed: number) => buildTransformerLm({ seed })],
  ] as const) {
    const a = await idOf(build(11));
    const b = await idOf(build(11));
    const c = await idOf(build(12));
    t.ok(bytesEqual(a.bytes, b.bytes), `${kind}: same seed -> same bytes`);
    t.equal(a.id, b.id, `${kind}: same seed -> same model id`);
    t.notOk(bytesEqual(a.bytes, c.bytes), `${kind}: different seed -> different bytes`);
    t.not(a.id, c.id, `${kind}: different seed -> different model id`);
  }
});

t.test("size variants pass the validator", async (t) => {
  const variants: [string, IrModel][] = [
    ["mlp 1 layer", buildMlp({ layers: 1, inputDim: 3, hidden: 5, classes: 2, batch: 4 })],
    ["mlp 4 layers", buildMlp({ layers: 4 })],
    ["lm without norm", buildTransformerLm({ rmsNorm: false, layers: 1 })],
    ["lm 3 layers 8 heads", buildTransformerLm({ layers: 3, heads: 8, dModel: 64, ffDim: 128, seqLen: 96 })],
    ["lm 1 head", buildTransformerLm({ layers: 1, heads: 1, dModel: 16, ffDim: 32, seqLen: 8 })],
  ];
  for (const [name, m] of variants) {
    const v = validateModel(m);
    t.ok(v.ok, `${name}: ${v.ok ? "ok" : v.errors.join("; ")}`);
  }
});

t.test("the transformer is a real small LM inside the profile", async (t) => {
  const m = buildTransformerLm({});
  t.equal(TRANSFORMER_DEFAULTS.seqLen, 64, "sequence length 64");
  const v = validateModel(m);
  if (!v.ok) throw new Error(v.errors.join("\n"));
  const p = v.profileModel;
  t.same(p.inputs[0].shape, [64]);
  t.equal(p.inputs[0].dtype, 2, "uint8 byte tokens");
  t.same(p.outputs[0].shape, [64, 256]);
  t.equal(p.outputs[0].dtype, 6, "int32 logits");
  t.ok(p.paramCount > 400_000, `${p.paramCount} parameters`);
  const ops = new Set(p.nodes.map((n) => n.op));
  for (const op of [
    "Gather",
    "MatMulInteger",
    "ReduceMax",
    "Sub",
    "Div",
    "Max",
    "Clip",
    "Transpose",
    "Reshape",
    "Mul",
  ])
    t.ok(ops.has(op as never), `uses ${op}`);
  // Every runtime divisor is guarded: Div's divisor interval never contains 0.
  for (const n of p.nodes.filter((n) => n.op === "Div")) {
    const d = p.values.get(n.inputs[1]) ?? null;
    if (d) t.ok(d.interval.lo >= 1n, `${n.name}: divisor >= 1`);
  }
  // MatMulInteger never mixes uint8 and int8.
  for (const n of p.nodes.filter((n) => n.op === "MatMulInteger")) {
    const [a, b] = n.inputs.map((x) => p.values.get(x)!.dtype);
    t.equal(a, b, `${n.name}: operand dtypes equal`);
  }
});

t.test("bad builder options are refused clearly", async (t) => {
  t.throws(() => buildTransformerLm({ dModel: 100, heads: 3 }), /not divisible by heads/);
  t.throws(() => buildTransformerLm({ layers: 0 }), /layers must be an integer in \[1, 64\]/);
  t.throws(() => buildMlp({ hidden: 1.5 }), /hidden must be an integer/);
  t.throws(() => buildMlp({ seed: -2 }), /seed must be an integer/);
});
