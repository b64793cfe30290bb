import type { Command } from "commander";
import { registerModelCommands } from "./builder/cli.ts";
import { type NetworkGenerate, registerGenerateCommand } from "./generation/cli.ts";
import { registerImportCommands } from "./import/cli.ts";
import { registerLlama2cCommands } from "./llama2c/cli.ts";
import { registerOcrCommands } from "./ocr/cli.ts";
import { registerValidateCommand } from "./profile/cli.ts";
import { registerInferCommands } from "./runner/cli.ts";

/** Commands of the prover-trace subsystem: model build, convert-llama2c, import, validate, infer, generate. */
export function registerProverCommands(
  program: Command,
  opts: { networkGenerate?: NetworkGenerate } = {},
): void {
  registerModelCommands(program);
  registerLlama2cCommands(program);
  registerImportCommands(program);
  registerOcrCommands(program);
  registerValidateCommand(program);
  registerInferCommands(program);
  registerGenerateCommand(program, opts.networkGenerate);
}
