/**
 * Graph-input ranges (docs/profile.md, "Graph input ranges"): a range declared in the file's
 * metadata starts the input's interval (an embedding Gather on raw token ids validates without a
 * Clip), is committed in the model id (through the file), and binds every input the model is
 * given: the reference, the ORT runner and the job's input root refuse an element outside it,
 * naming the input, the element and the range. Malformed declarations are refused, one line each.
 */
import t from "tap";
import { commitModel, inputRoot } from "../../../prover-trace/commit/model.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { decodeOnnx, encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { INPUT_RANGE_KEY_PREFIX } from "../../../prover-trace/profile/input-range.ts";
import { loadProfileModel, validateModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { ModelInputError } from "../../../prover-trace/reference/types.ts";
import { createRunner, RunnerInputError } from "../../../prover-trace/runner/runner.ts";

const VOCAB = 16;

/** Token ids [1, 6] (int64, raw: no Clip) -> an embedding Gather from a [VOCAB, 4] int8 table. */
function embedding(range?: [number, number], dtype: "int64" | "int32" = "int64"): IrModel {
  const g = new GraphBuilder("embed");
  const ids = g.input("ids", dtype, [1, 6]);
  if (range) g.inputRange("ids", range[0], range[1]);
  const table = g.constant(
    "int8",
    [VOCAB, 4],
    Array.from({ length: VOCAB * 4 }, (_, i) => ((i * 29) % 255) - 127),
  );
  g.output(g.op("Gather", [table, ids], { axis: 0 }), "int8", [1, 6, 4]);
  return g.build();
}

const ids = (...v: number[]) => ({
  dtype: 7 as const,
  shape: [1, 6],
  data: BigInt64Array.from(v.map(BigInt)),
});

t.test("a declared range replaces the Clip an embedding Gather needs", async (t) => {
  const bare = validateModel(embedding());
  t.notOk(bare.ok, "raw token ids without a range are refused");
  if (!bare.ok) t.match(bare.errors.join("\n"), /clip them first or declare the graph input's range/);

  const r = validateModel(embedding([0, VOCAB - 1]));
  t.ok(r.ok, "ids in [0, vocab - 1] validate without a Clip");
  if (r.ok)
    t.same(r.profileModel.inputs[0].interval, { lo: 0n, hi: BigInt(VOCAB - 1) }, "the input's interval");

  const wide = validateModel(embedding([0, VOCAB]));
  t.notOk(wide.ok, "a range one past the table is refused");
  if (!wide.ok) t.match(wide.errors.join("\n"), /must lie in \[-16, 15\]/);
  t.ok(
    validateModel(embedding([-VOCAB, VOCAB - 1])).ok,
    "negative ids (Gather's wrap-around) may be declared",
  );
});

t.test("the range is in the file, canonical, and committed in the model id", async (t) => {
  const bytes = encodeOnnx(embedding([0, VOCAB - 1]));
  t.same(decodeOnnx(bytes).metadata, [{ key: `${INPUT_RANGE_KEY_PREFIX}ids`, value: "0,15" }]);
  const withRange = await commitModel(loadProfileModel(bytes), bytes);
  const narrower = encodeOnnx(embedding([0, VOCAB - 2]));
  const other = await commitModel(loadProfileModel(narrower), narrower);
  t.not(
    Buffer.from(withRange.modelId).toString("hex"),
    Buffer.from(other.modelId).toString("hex"),
    "another range is another model id",
  );
  t.same(decodeOnnx(encodeOnnx(embedding())).metadata, undefined, "a model without a range has no metadata");
});

t.test("an input outside the range is refused by the reference, the job's input root and ORT", async (t) => {
  const bytes = encodeOnnx(embedding([0, VOCAB - 1]));
  const pm = loadProfileModel(bytes);
  const good = ids(0, 3, 15, 7, 1, 2);
  const bad = ids(0, 3, 15, 16, 1, 2);
  const line = "input 0 (ids): element 3 is 16, outside the model's declared range [0, 15]";

  t.equal(runModel(pm, [good]).nodeOutputs.length, 1, "an in-range input runs");
  t.throws(() => runModel(pm, [bad]), new ModelInputError(line), "reference");
  t.throws(() => runModel(pm, [ids(-1, 0, 0, 0, 0, 0)]), { message: /element 0 is -1/ }, "below the range");
  t.ok(inputRoot(pm, [good]).length === 32, "an in-range input has an input root");
  t.throws(() => inputRoot(pm, [bad]), new RangeError(line), "the job's input root");

  const runner = await createRunner(bytes, { intraOpThreads: 1 });
  const plain = await runner.runPlain([good]);
  const ref = runModel(pm, [good]).nodeOutputs[0][0];
  t.same(
    Array.from(Object.values(plain)[0].data as Int8Array),
    Array.from(ref.data as Int8Array),
    "ORT runs the file with its metadata as the reference does",
  );
  await t.rejects(runner.runPlain([bad]), new RunnerInputError(line), "ORT runner");

  const i32 = loadProfileModel(encodeOnnx(embedding([2, 9], "int32")));
  const i32bad = { dtype: 6 as const, shape: [1, 6], data: Int32Array.of(2, 9, 10, 2, 2, 2) };
  t.throws(() => runModel(i32, [i32bad]), {
    message: /element 2 is 10, outside the model's declared range \[2, 9\]/,
  });
});

t.test("malformed declarations are refused, one line each", async (t) => {
  const withMeta = (metadata: { key: string; value: string }[]): string[] => {
    const r = validateModel({ ...embedding(), metadata });
    return r.ok ? [] : r.errors.filter((e) => e.startsWith("metadata"));
  };
  const key = `${INPUT_RANGE_KEY_PREFIX}ids`;
  const cases: [string, { key: string; value: string }[], RegExp][] = [
    ["an unknown profile key", [{ key: "verdict.clip", value: "1" }], /unknown profile key/],
    ["a range for no input", [{ key: `${INPUT_RANGE_KEY_PREFIX}x`, value: "0,1" }], /has no input 'x'/],
    ["one number", [{ key, value: "5" }], /not "min,max"/],
    ["an empty bound", [{ key, value: "0," }], /not "min,max"/],
    ["a leading zero", [{ key, value: "00,5" }], /not "min,max"/],
    ["a plus sign", [{ key, value: "+1,5" }], /not "min,max"/],
    ["minus zero", [{ key, value: "-0,5" }], /not "min,max"/],
    ["a space", [{ key, value: "0, 5" }], /not "min,max"/],
    ["three numbers", [{ key, value: "0,5,6" }], /not "min,max"/],
    ["an empty range", [{ key, value: "5,4" }], /empty range \[5, 4\]/],
    ["a range outside int64", [{ key, value: "0,9223372036854775808" }], /leaves int64/],
    [
      "a key given twice",
      [
        { key, value: "0,15" },
        { key, value: "0,3" },
      ],
      /given twice/,
    ],
  ];
  for (const [what, meta, want] of cases) {
    const errs = withMeta(meta);
    t.equal(errs.length, 1, `${what}: one line`);
    t.match(errs[0] ?? "", want, what);
  }
  t.same(withMeta([{ key: "author", value: "anyone" }]), [], "other metadata keys are not the profile's");
  // The declaration that was given twice declares nothing: the Gather needs its Clip again.
  const twice = validateModel({
    ...embedding(),
    metadata: [
      { key, value: "0,15" },
      { key, value: "0,15" },
    ],
  });
  t.notOk(twice.ok);
  if (!twice.ok) t.match(twice.errors.join("\n"), /clip them first/);
  const i8 = new GraphBuilder("i8");
  const x = i8.input("x", "int8", [2]);
  i8.inputRange("x", 0, 200);
  i8.output(i8.op("Relu", [x]), "int8", [2]);
  const r8 = validateModel(i8.build());
  t.notOk(r8.ok);
  if (!r8.ok) t.match(r8.errors.join("\n"), /range \[0, 200\] leaves int8's \[-128, 127\]/);
});
