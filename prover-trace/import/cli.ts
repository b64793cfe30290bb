/** `verdict model import <float.onnx> --calib <dir> --out <int.onnx> [--report report.json]`. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CALIBRATION, parseCalibrationRule } from "./calibrate.ts";
import { importModel } from "./importer.ts";
import { readSamplesDir } from "./samples-dir.ts";

export class ImportError extends Error {
  override name = "ImportError";
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`import failed, no model written:\n${lines.join("\n")}`);
    this.lines = lines;
  }
}

export async function runImport(flags: {
  input: string;
  calib: string;
  out: string;
  report?: string;
  calibration?: string;
}) {
  const rule = flags.calibration ? parseCalibrationRule(flags.calibration) : DEFAULT_CALIBRATION;
  const samples = readSamplesDir(flags.calib);
  if (!samples.ok) throw new ImportError(samples.errors);
  const r = await importModel(new Uint8Array(readFileSync(flags.input)), samples.samples, {
    calibration: rule,
  });
  if (!r.ok) throw new ImportError(r.errors);
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, r.intBytes);
  if (flags.report) {
    mkdirSync(dirname(flags.report), { recursive: true });
    writeFileSync(flags.report, `${JSON.stringify(r.report, null, 2)}\n`);
  }
  return r;
}

export function registerImportCommands(program: Command): void {
  const model =
    program.commands.find((c) => c.name() === "model") ??
    program.command("model").description("build and inspect integer ONNX models");
  model
    .command("import")
    .description(
      "quantize a float32 ONNX model (opsets 9-21) into the integer profile, calibrated on <dir>/<sample>/<input>.npy",
    )
    .argument("<float.onnx>", "float32 ONNX model")
    .requiredOption(
      "--calib <dir>",
      "calibration samples: <dir>/<sample>/<inputName>.npy (every 4th held out for the report)",
    )
    .requiredOption("--out <file>", "integer-profile .onnx to write")
    .option("--report <file>", "accuracy report (JSON) to write")
    .option("--calibration <rule>", "activation ranges: max | percentile:P (e.g. percentile:99.99)", "max")
    .action(
      async (input: string, flags: { calib: string; out: string; report?: string; calibration: string }) => {
        const r = await runImport({ input, ...flags });
        const rep = r.report;
        process.stdout.write(
          `wrote ${flags.out}: ${rep.intNodes} integer nodes (from ${rep.floatNodes} float), ${rep.intBytes} bytes; ` +
            `calibrated on ${rep.calibrationSamples.length} samples, evaluated on ${rep.heldOutSamples.length || rep.calibrationSamples.length}\n` +
            rep.outputs
              .map(
                (o) =>
                  `output ${o.name}: scale ${o.scale}, top-1 agreement ${(o.top1Agreement * 100).toFixed(2)}%, relative error ${o.relError.toFixed(4)}\n`,
              )
              .join("") +
            `largest errors: ${rep.worstTensors
              .slice(0, 3)
              .map((t) => `${t.tensor} ${t.relError.toFixed(3)}`)
              .join(", ")}\n`,
        );
      },
    );
}
