import type { Command } from "commander";

/** Commands of the prover-trace subsystem: model build, validate, infer. */
export function registerProverCommands(program: Command): void {
  void program;
}
