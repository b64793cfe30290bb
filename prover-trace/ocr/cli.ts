/**
 * `verdict model ocr-samples --out <dir> [--count 200] [--seed 1]`: rendered text-line crops as
 * calibration samples for PaddleOCR's PP-OCRv4 rec model (`<dir>/sNNN/x.npy`, and
 * `<dir>/texts.json` with each crop's text and font).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { intFlag } from "../builder/cli.ts";
import { writeSamplesDir } from "../import/samples-dir.ts";
import { ocrModelFiles } from "./files.ts";
import { imageMagickAvailable, renderCrops } from "./render.ts";

export function registerOcrCommands(program: Command): void {
  const model =
    program.commands.find((c) => c.name() === "model") ??
    program.command("model").description("build and inspect integer ONNX models");
  model
    .command("ocr-samples")
    .description(
      "render text-line crops (ImageMagick, DejaVu fonts) preprocessed for PaddleOCR PP-OCRv4 rec: <dir>/sNNN/x.npy",
    )
    .requiredOption("--out <dir>", "samples directory to write")
    .option("--count <n>", "how many crops (every 4th is held out by the importer)", intFlag("count"), 200)
    .option("--seed <n>", "text seed", intFlag("seed"), 1)
    .action((flags: { out: string; count: number; seed: number }) => {
      if (!imageMagickAvailable())
        throw new Error(
          "ImageMagick's convert is needed: apt-get install imagemagick fonts-dejavu-core fonts-dejavu-extra",
        );
      const crops = renderCrops(flags.count, flags.seed);
      mkdirSync(flags.out, { recursive: true });
      writeSamplesDir(
        flags.out,
        crops.map((c) => c.sample),
      );
      writeFileSync(
        join(flags.out, "texts.json"),
        `${JSON.stringify(
          crops.map((c) => ({ sample: c.name, text: c.text, font: c.font })),
          null,
          1,
        )}\n`,
      );
      const files = ocrModelFiles();
      process.stdout.write(
        `wrote ${crops.length} crops to ${flags.out}${files.ok ? `; the float model: ${files.rec}, its dictionary: ${files.dict}` : ""}\n`,
      );
    });
}
