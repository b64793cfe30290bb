/**
 * One side of a generation, in a process of its own (bench/lib/generation.ts starts it):
 *   node generation-side.ts MODEL worker JOB_JSON
 *   node generation-side.ts MODEL watcher JOB_JSON CLAIM_JSON
 * prints one JSON line (times in seconds, peak RSS of this process). Both sides warm the runner up
 * with one plain and one traced run first, so neither pays ORT's first-run cost in its time.
 */
import { readFileSync } from "node:fs";
import { toHex } from "../../protocol/index.ts";
import { claimRootsFromJson, claimRootsToJson } from "../../prover-trace/generation/cli.ts";
import { checkGeneration, decode, proveGeneration } from "../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../prover-trace/generation/runner-model.ts";
import { createRunner } from "../../prover-trace/runner/runner.ts";

const [modelPath, side, jobJson, claimJson] = process.argv.slice(2);
const runner = await createRunner(new Uint8Array(readFileSync(modelPath)));
const model = runnerLanguageModel(runner);
const job = JSON.parse(jobJson);
const warm = new Int32Array(model.window);
warm.set(job.prompt);
await model.logits(warm);
await model.pass(warm);
const peakRssMB = () => process.resourceUsage().maxRSS / 1024;
let out: Record<string, unknown>;
if (side === "worker") {
  const t0 = performance.now();
  const { tokens } = await decode(model, job);
  const t1 = performance.now();
  const { claim } = await proveGeneration(model, job, tokens);
  const t2 = performance.now();
  out = {
    side,
    tokens,
    decodeSeconds: (t1 - t0) / 1000,
    passSeconds: (t2 - t1) / 1000,
    claim: claimRootsToJson(claim),
    peakRssMB: peakRssMB(),
  };
} else if (side === "watcher") {
  const c = JSON.parse(claimJson);
  const t0 = performance.now();
  const { verdict } = await checkGeneration(model, job, c.tokens, claimRootsFromJson(c.claim));
  out = { side, verdict: verdict.kind, seconds: (performance.now() - t0) / 1000, peakRssMB: peakRssMB() };
} else throw new Error(`unknown side ${side}`);
await runner.dispose();
process.stdout.write(`${JSON.stringify(out, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v))}\n`);
