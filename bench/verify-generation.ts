/**
 * `npm run bench -- verify-generation [--json]` (issue 19): what a watcher pays to check a
 * generation, against what the worker paid to make it. stories260K imported (window 128), a
 * BOS-only prompt and the rest of the window generated greedily (127 tokens, no stop token), ORT
 * CPU with 1 intra-op thread, each side in a fresh process after one warm-up plain and traced run:
 *   workerSeconds    plain incremental decoding (one full-window run per token) + ONE traced pass
 *                    over the final sequence + the token check and the claim roots
 *   watcherSeconds   the fast path: one traced pass over the claimed sequence + the verdict
 *   ratio            watcherSeconds / workerSeconds (goal <= 0.1)
 *   *PeakRssMB       peak resident memory of each side's process (model, sessions, one trace)
 * Best of `REPS` runs per side (the machine is shared: slower runs measure the neighbours).
 */
import { BENCH_JOB, importedStories260k, SideRunner } from "./lib/generation.ts";
import { type BenchOptions, type BenchResult, cpuModel } from "./lib/harness.ts";

const REPS = 2;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const sides = new SideRunner(await importedStories260k());
  try {
    let workerSeconds = Number.POSITIVE_INFINITY;
    let watcherSeconds = Number.POSITIVE_INFINITY;
    let workerPeakRssMB = 0;
    let watcherPeakRssMB = 0;
    let tokens = 0;
    for (let r = 0; r < REPS; r++) {
      const w = await sides.worker();
      const v = await sides.watcher(w.tokens, w.claim);
      if (v.verdict !== "agree")
        throw new Error(`the watcher does not agree with the honest worker: ${v.verdict}`);
      workerSeconds = Math.min(workerSeconds, w.decodeSeconds + w.passSeconds);
      watcherSeconds = Math.min(watcherSeconds, v.seconds);
      workerPeakRssMB = Math.max(workerPeakRssMB, w.peakRssMB);
      watcherPeakRssMB = Math.max(watcherPeakRssMB, v.peakRssMB);
      tokens = w.tokens.length;
    }
    return {
      model: "stories260K imported, window 128",
      prompt: BENCH_JOB.prompt.length,
      tokens,
      workerSeconds,
      watcherSeconds,
      ratio: watcherSeconds / workerSeconds,
      workerPeakRssMB,
      watcherPeakRssMB,
      cpu: cpuModel(),
    };
  } finally {
    sides.dispose();
  }
}
