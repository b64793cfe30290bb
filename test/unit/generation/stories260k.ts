/** The imported stories260K (converter + importer, as test/unit/import does) for the generation tests. */
import { readFileSync } from "node:fs";
import { importModel } from "../../../prover-trace/import/importer.ts";
import { calibrationSamples, sampleSequences } from "../../../prover-trace/llama2c/calib-samples.ts";
import { parseCheckpoint } from "../../../prover-trace/llama2c/checkpoint.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { type Golden, parseGolden } from "../../../prover-trace/llama2c/golden.ts";
import { ortLogits } from "../../../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx } from "../../../prover-trace/llama2c/to-onnx.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { parseTokenizer, type Tokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";

export const WINDOW = 128;
export const VOCAB = 512;

export async function importedStories260k(): Promise<{
  intBytes: Uint8Array;
  golden: Golden;
  tokenizer: Tokenizer;
}> {
  const files = stories260kFiles();
  if (!files.ok) throw new Error(files.why);
  const floatBytes = encodeOnnx(
    llama2cToOnnx(parseCheckpoint(new Uint8Array(readFileSync(files.checkpoint))), WINDOW),
  );
  const float = await ortLogits(floatBytes);
  try {
    const seqs = await sampleSequences(float.logitsOf, {
      count: 8,
      length: WINDOW,
      window: WINDOW,
      vocab: VOCAB,
      seed: 1,
    });
    const r = await importModel(floatBytes, calibrationSamples(seqs));
    if (!r.ok) throw new Error(r.errors.join("\n"));
    return {
      intBytes: r.intBytes,
      golden: parseGolden(readFileSync(files.golden, "utf8"), VOCAB),
      tokenizer: parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB),
    };
  } finally {
    await float.release();
  }
}
