/**
 * Calibration directories: `<dir>/<sample>/<inputName>.npy`, one sub-directory per sample.
 * File I/O only; the importer itself takes the parsed samples.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sample } from "./calibrate.ts";
import { encodeNpy, type NpyArray, NpyFormatError, parseNpy } from "./npy.ts";

export function readSamplesDir(
  dir: string,
): { ok: true; samples: Sample[] } | { ok: false; errors: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return { ok: false, errors: [`calibration directory ${dir} does not exist`] };
  const errors: string[] = [];
  const samples: Sample[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sdir = join(dir, name);
    if (!statSync(sdir).isDirectory()) continue;
    const inputs: Record<string, NpyArray> = {};
    for (const f of readdirSync(sdir).sort()) {
      if (!f.endsWith(".npy")) continue;
      try {
        inputs[f.slice(0, -4)] = parseNpy(new Uint8Array(readFileSync(join(sdir, f))));
      } catch (e) {
        if (!(e instanceof NpyFormatError)) throw e;
        errors.push(`${join(sdir, f)}: ${e.message}`);
      }
    }
    samples.push({ name, inputs });
  }
  if (errors.length > 0) return { ok: false, errors };
  if (samples.length === 0)
    return { ok: false, errors: [`calibration directory ${dir} holds no <sample>/ sub-directories`] };
  return { ok: true, samples };
}

export function writeSamplesDir(dir: string, samples: readonly Sample[]): void {
  for (const s of samples) {
    mkdirSync(join(dir, s.name), { recursive: true });
    for (const [input, a] of Object.entries(s.inputs))
      writeFileSync(join(dir, s.name, `${input}.npy`), encodeNpy(a));
  }
}
