/**
 * The one CLI entry. Each subsystem registers its own commands from its `cli.ts`, so this file
 * only wires them together.
 */
import { Command } from "commander";
import { registerL1Commands } from "../bridge/cli.ts";
import { registerContentCommands } from "../content/cli.ts";
import { registerProverCommands } from "../prover-trace/cli.ts";
import { registerSequencerCommands } from "../sequencer/cli.ts";
import { registerWatcherCommands } from "../verifier/watcher/cli.ts";
import { registerWorkerCommands } from "../verifier/worker/cli.ts";

export function buildCli(): Command {
  const program = new Command();
  program
    .name("verdict")
    .description("Verdict: optimistic verification of deterministic integer ONNX inference")
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  registerProverCommands(program, {
    // loaded only when used: the SDK pulls in viem and the L1 clients
    networkGenerate: async (flags) => (await import("../sdk/cli.ts")).generateOverSequencer(flags),
  });
  registerL1Commands(program);
  registerSequencerCommands(program);
  registerWorkerCommands(program);
  registerWatcherCommands(program);
  registerContentCommands(program);
  return program;
}

await buildCli()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`verdict: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
