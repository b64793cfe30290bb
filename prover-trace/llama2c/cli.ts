/** `verdict model convert-llama2c`: llama2.c checkpoint -> float32 ONNX over a token window. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { intFlag } from "../builder/cli.ts";
import { writeSamplesDir } from "../import/samples-dir.ts";
import { encodeOnnx } from "../onnx/io.ts";
import { calibrationSamples, sampleSequences } from "./calib-samples.ts";
import { parseCheckpoint } from "./checkpoint.ts";
import { ortLogits } from "./ort-logits.ts";
import { llama2cToOnnx } from "./to-onnx.ts";

export function registerLlama2cCommands(program: Command): void {
  const model =
    program.commands.find((c) => c.name() === "model") ??
    program.command("model").description("build and inspect integer ONNX models");
  model
    .command("convert-llama2c")
    .description(
      "write a llama2.c checkpoint as a float32 ONNX model: tokens int32 [T] -> logits float [T, vocab]",
    )
    .argument("<checkpoint>", "llama2.c checkpoint (.bin, legacy layout)")
    .requiredOption("--out <file>", "output .onnx path")
    .option("--window <n>", "token window T (<= the checkpoint's seq_len)", intFlag("window"), 128)
    .option(
      "--calib-out <dir>",
      "also write calibration samples sampled from the float model: <dir>/sample-NNN/tokens.npy",
    )
    .option("--calib-samples <n>", "how many calibration samples", intFlag("calib-samples"), 16)
    .option("--seed <n>", "sampling seed of the calibration samples", intFlag("seed"), 1)
    .action(
      async (
        checkpoint: string,
        flags: { out: string; window: number; calibOut?: string; calibSamples: number; seed: number },
      ) => {
        const ckpt = parseCheckpoint(new Uint8Array(readFileSync(checkpoint)));
        const bytes = encodeOnnx(llama2cToOnnx(ckpt, flags.window));
        mkdirSync(dirname(flags.out), { recursive: true });
        writeFileSync(flags.out, bytes);
        if (flags.calibOut) {
          const ort = await ortLogits(bytes);
          const seqs = await sampleSequences(ort.logitsOf, {
            count: flags.calibSamples,
            length: flags.window,
            window: flags.window,
            vocab: ckpt.config.vocabSize,
            seed: flags.seed,
          });
          await ort.release();
          writeSamplesDir(flags.calibOut, calibrationSamples(seqs));
          process.stdout.write(`wrote ${seqs.length} calibration samples to ${flags.calibOut}\n`);
        }
        const c = ckpt.config;
        process.stdout.write(
          `wrote ${flags.out}: float32 llama2.c model, dim ${c.dim}, ${c.nLayers} layers, ${c.nHeads}/${c.nKvHeads} heads, vocab ${c.vocabSize}, window ${flags.window}, ${bytes.length} bytes\n`,
        );
      },
    );
}
