/**
 * What the agents tests on real (imported) models share: the `verdict model` command lines that
 * make the models, the clients a test drives a started network with, and the watcher's log lines
 * they read. One copy here instead of one per test file (imported-llm, imported-ocr, generation).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Test } from "tap";
import type { Address } from "viem";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { createClient } from "../../../sdk/index.ts";
import { ACCOUNT, L2_CHAIN_ID, type Network } from "../../helpers/network.ts";

const exec = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");

/** `verdict model <args>` as its own process (the CLI a model owner runs). */
export function verdictModel(args: string[]): Promise<unknown> {
  return exec(process.execPath, [VERDICT, "model", ...args]);
}

/**
 * stories260K converted once (`verdict model convert-llama2c`, 8 calibration samples) and
 * imported once per entry of `calibrations` (name -> `--calibration` value): several imports of
 * the same float model, so each worker serves a model id of its own.
 */
export async function importStories260k<K extends string>(
  dir: string,
  calibrations: Record<K, string>,
): Promise<Record<K, Uint8Array>> {
  const files = stories260kFiles();
  if (!files.ok) throw new Error(files.why);
  const float = join(dir, "float.onnx");
  const calib = join(dir, "calib");
  await verdictModel([
    "convert-llama2c",
    files.checkpoint,
    "--out",
    float,
    "--calib-out",
    calib,
    "--calib-samples",
    "8",
  ]);
  const out = {} as Record<K, Uint8Array>;
  for (const [name, calibration] of Object.entries(calibrations) as [K, string][]) {
    const file = join(dir, `${name}.onnx`);
    await verdictModel(["import", float, "--calib", calib, "--out", file, "--calibration", calibration]);
    out[name] = new Uint8Array(readFileSync(file));
  }
  return out;
}

/** The clients a test drives a started network with, the requester's SDK first. */
export async function networkClients(net: Network) {
  const sdk = await createClient({
    sequencerUrl: net.seqUrl,
    privateKey: net.accounts[ACCOUNT.requester].privateKey,
    l2ChainId: L2_CHAIN_ID,
    pollMs: 200,
    l1: { rpcUrl: net.l1Url, bridge: net.bridgeAddress },
  });
  const l1 = await net.l1Clients(ACCOUNT.deployer);
  const addr = (i: number) => net.accounts[i].address.toLowerCase() as Address;
  return {
    sdk,
    l1,
    pub: l1.publicClient,
    bridge: await net.bridge(ACCOUNT.deployer),
    game: new DisputeGameContract(l1, net.disputeGame),
    addr,
    watcherAddr: addr(ACCOUNT.watcher),
    liarAddr: addr(ACCOUNT.faultyWorker),
  };
}

/** The last role output in the test's comments when it fails (the processes' logs are gone after). */
export function commentLogOnFailure(t: Test, net: Network): void {
  t.teardown(() => {
    if (!t.passing()) t.comment(`last role output:\n${net.log().split("\n").slice(-80).join("\n")}`);
  });
}

/** The watcher's "claim checked" lines (those of one job when `jobId` is given), without its roots. */
export function watcherChecks(log: string, jobId?: string): string[] {
  return log
    .split("\n")
    .filter((l) => l.startsWith("[watcher] claim checked"))
    .filter((l) => jobId === undefined || l.includes(`jobId=${jobId.toLowerCase().slice(0, 10)}`))
    .map((l) => l.replace(/ ours=.*$/, ""));
}

/** The first line of `log()` that starts with `prefix`, waiting up to `ms` for it. */
export async function logged(log: () => string, prefix: string, ms = 30_000): Promise<string | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const line = log()
      .split("\n")
      .find((l) => l.startsWith(prefix));
    if (line || Date.now() > end) return line;
    await new Promise((r) => setTimeout(r, 200));
  }
}
