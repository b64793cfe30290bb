/**
 * Float vs integer OCR: both models in ONNX Runtime (CPU), the same crops (the integer model's
 * input quantized as the import report says), greedy CTC text of each.
 */
import { quantizeInput } from "../import/importer.ts";
import type { LoweredInput } from "../import/lower.ts";
import { REC_INPUT } from "./files.ts";
import { recSession } from "./float-rec.ts";
import type { OcrCrop } from "./render.ts";

export interface OcrComparison {
  crops: number;
  /** float text == rendered text */
  floatMatchesRendered: number;
  /** integer text == float text (the import's figure) */
  intMatchesFloat: number;
  intMatchesRendered: number;
  /** crops whose integer text differs from the float text */
  differences: { name: string; rendered: string; float: string; int: string }[];
}

export async function compareOcr(
  floatBytes: Uint8Array,
  intBytes: Uint8Array,
  input: LoweredInput,
  crops: readonly OcrCrop[],
  classes: readonly string[],
): Promise<OcrComparison> {
  const float = await recSession(floatBytes);
  const int = await recSession(intBytes);
  const r: OcrComparison = {
    crops: crops.length,
    floatMatchesRendered: 0,
    intMatchesFloat: 0,
    intMatchesRendered: 0,
    differences: [],
  };
  try {
    for (const c of crops) {
      const x = c.sample.inputs[REC_INPUT];
      const ft = await float.text(x.data as Float32Array, x.shape, classes);
      const q = quantizeInput(x, input);
      const it = await int.text(q.data as Int32Array, x.shape, classes, "int32");
      if (ft === c.text) r.floatMatchesRendered++;
      if (it === c.text) r.intMatchesRendered++;
      if (it === ft) r.intMatchesFloat++;
      else r.differences.push({ name: c.name, rendered: c.text, float: ft, int: it });
    }
  } finally {
    await float.release();
    await int.release();
  }
  return r;
}
