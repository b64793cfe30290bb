import type { Command } from "commander";
import { registerValidateCommand } from "./profile/cli.ts";

/** Commands of the prover-trace subsystem: model build, validate, infer. */
export function registerProverCommands(program: Command): void {
  registerValidateCommand(program);
}
