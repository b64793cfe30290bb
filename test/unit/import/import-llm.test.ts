import { readFileSync } from "node:fs";
import t from "tap";
import type { Sample } from "../../../prover-trace/import/calibrate.ts";
import { importModel } from "../../../prover-trace/import/importer.ts";
import { calibrationSamples, sampleSequences } from "../../../prover-trace/llama2c/calib-samples.ts";
import { parseCheckpoint } from "../../../prover-trace/llama2c/checkpoint.ts";
import { lmAgreement } from "../../../prover-trace/llama2c/evaluate.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { goldenSequence, parseGolden } from "../../../prover-trace/llama2c/golden.ts";
import { ortLogits } from "../../../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx } from "../../../prover-trace/llama2c/to-onnx.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";
import { runModel, tensorOf } from "../../../prover-trace/reference/index.ts";
import { parseTokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);
const WINDOW = 128;
const VOCAB = 512;

t.test("stories260K imported into the integer profile agrees with the float model", async (t) => {
  const floatBytes = encodeOnnx(
    llama2cToOnnx(parseCheckpoint(new Uint8Array(readFileSync(files.checkpoint))), WINDOW),
  );
  const float = await ortLogits(floatBytes);
  t.teardown(() => float.release());
  const seqs = await sampleSequences(float.logitsOf, {
    count: 8,
    length: WINDOW,
    window: WINDOW,
    vocab: VOCAB,
    seed: 1,
  });
  const samples: Sample[] = calibrationSamples(seqs);
  const r = await importModel(floatBytes, samples);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  const v = validateModel(r.intModel);
  t.ok(v.ok, "the validator accepts the imported model");
  t.same(r.report.heldOutSamples, ["sample-003", "sample-007"], "every 4th sample is held out");
  t.equal(r.report.outputs[0].name, "logits");
  t.ok(r.report.outputs[0].top1Agreement > 0.85, `held-out top-1 ${r.report.outputs[0].top1Agreement}`);
  t.equal(r.report.worstTensors.length, 8);
  const ops = new Set(r.intModel.graph.nodes.map((n) => n.opType));
  t.notOk(ops.has("MatMul") || ops.has("Softmax"), "no float op left");
  t.notOk(
    r.intModel.graph.initializers.some((i) => i.dtype === 1),
    "no float initializer left",
  );

  const int = await ortLogits(r.intBytes);
  t.teardown(() => int.release());
  const golden = parseGolden(readFileSync(files.golden, "utf8"), VOCAB);
  // Disputable means reproducible: ORT and the reference interpreter agree bit for bit.
  if (v.ok) {
    const window = Int32Array.from(goldenSequence(golden.cases[2]));
    const ref = runModel(v.profileModel, { tokens: tensorOf(6, [WINDOW], window) }).outputs.logits.data;
    const viaOrt = await int.logitsOf(window);
    t.ok(
      Array.from(viaOrt).every((x, i) => x === Number(ref[i])),
      "ORT logits equal the reference interpreter's on a golden window",
    );
  }
  // Teacher-forced over every golden case; greedy (slow: one run per token) over two of them.
  const subset = { cases: [golden.cases[1], golden.cases[2]] };
  const all = await lmAgreement(float.logitsOf, int.logitsOf, { cases: golden.cases }, WINDOW, VOCAB, {
    greedy: false,
  });
  t.comment(`teacher-forced top-1 agreement over golden.json: ${all.agree}/${all.positions}`);
  t.ok(all.top1Agreement >= 0.95, `teacher-forced top-1 agreement ${all.agree}/${all.positions} >= 95%`);
  const greedy = await lmAgreement(float.logitsOf, int.logitsOf, subset, WINDOW, VOCAB);
  const tok = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB);
  for (const c of greedy.cases) {
    t.ok(
      c.firstDivergence === -1 || c.firstDivergence >= 16,
      `${JSON.stringify(c.prompt)}: greedy follows golden for 16+ tokens (${c.firstDivergence})`,
    );
    const text = tok.decode(c.tokens);
    t.ok(text.startsWith(c.prompt), "the story continues the prompt");
    t.comment(`${c.prompt} -> ${JSON.stringify(text.slice(0, 120))}`);
  }
});
