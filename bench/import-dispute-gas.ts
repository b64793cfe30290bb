/**
 * `npm run bench -- import-dispute-gas`: the dispute games of bench/dispute-gas.ts (one lie per
 * op type, played to the one step on the embedded chain; a level-0 output lie) on stories260K
 * imported into the integer profile: one-step gas per op the imported model uses, L1 txs and gas
 * per side of the worst game. `VERDICT_IMPORTED=ocr` plays them on PaddleOCR's PP-OCRv4 rec
 * instead (imported on 24 rendered crops; ConvInteger among its ops).
 */
import { readFileSync } from "node:fs";
import { importModel } from "../prover-trace/import/importer.ts";
import { calibrationSamples, sampleSequences } from "../prover-trace/llama2c/calib-samples.ts";
import { parseCheckpoint } from "../prover-trace/llama2c/checkpoint.ts";
import { stories260kFiles } from "../prover-trace/llama2c/files.ts";
import { ortLogits } from "../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx } from "../prover-trace/llama2c/to-onnx.ts";
import { ocrModelFiles } from "../prover-trace/ocr/files.ts";
import { renderCrops } from "../prover-trace/ocr/render.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { disputeGasOf } from "./dispute-gas.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const WINDOW = 128;

async function ocrImported(): Promise<Uint8Array> {
  const files = ocrModelFiles();
  if (!files.ok) throw new Error(files.why);
  const imported = await importModel(
    new Uint8Array(readFileSync(files.rec)),
    renderCrops(24, 1).map((c) => c.sample),
  );
  if (!imported.ok) throw new Error(imported.errors.join("\n"));
  return imported.intBytes;
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  if (process.env.VERDICT_IMPORTED === "ocr")
    return disputeGasOf(await ocrImported(), "PP-OCRv4 rec imported");
  const files = stories260kFiles();
  if (!files.ok) throw new Error(files.why);
  const ckpt = parseCheckpoint(new Uint8Array(readFileSync(files.checkpoint)));
  const floatBytes = encodeOnnx(llama2cToOnnx(ckpt, WINDOW));
  const float = await ortLogits(floatBytes);
  const seqs = await sampleSequences(float.logitsOf, {
    count: 8,
    length: WINDOW,
    window: WINDOW,
    vocab: ckpt.config.vocabSize,
    seed: 1,
  });
  await float.release();
  const imported = await importModel(floatBytes, calibrationSamples(seqs));
  if (!imported.ok) throw new Error(imported.errors.join("\n"));
  return disputeGasOf(imported.intBytes, "stories260K imported");
}
