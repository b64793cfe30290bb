/**
 * `npm run bench -- generate [--json]` (issue 12): the worker's generation on stories260K
 * imported (window 128), a BOS-only prompt, the rest of the window greedily (127 tokens, no stop
 * token), ORT CPU with 1 intra-op thread, in a fresh process after one warm-up plain and traced run:
 *   plainTokensPerSec    tokens / plain incremental decoding (one full-window run per token)
 *   tracedTokensPerSec   tokens / (plain decoding + ONE traced pass over the final sequence): what a
 *                        claim costs the worker (docs/generation.md: the claim is one causal pass)
 *   passSeconds          that one traced pass, the token check and the claim roots
 * Best of `REPS` runs. The L1 side of a fraud (txPerSide, gasPerSide, secondsToSlash) needs the
 * generation jobs on the network: null until the e2e measures it.
 */
import { importedStories260k, SideRunner } from "./lib/generation.ts";
import { type BenchOptions, type BenchResult, cpuModel } from "./lib/harness.ts";

const REPS = 2;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const sides = new SideRunner(await importedStories260k());
  try {
    let decodeSeconds = Number.POSITIVE_INFINITY;
    let passSeconds = Number.POSITIVE_INFINITY;
    let tokens = 0;
    let peakRssMB = 0;
    for (let r = 0; r < REPS; r++) {
      const w = await sides.worker();
      decodeSeconds = Math.min(decodeSeconds, w.decodeSeconds);
      passSeconds = Math.min(passSeconds, w.passSeconds);
      peakRssMB = Math.max(peakRssMB, w.peakRssMB);
      tokens = w.tokens.length;
    }
    return {
      model: "stories260K imported, window 128",
      tokens,
      plainTokensPerSec: tokens / decodeSeconds,
      tracedTokensPerSec: tokens / (decodeSeconds + passSeconds),
      decodeSeconds,
      passSeconds,
      peakRssMB,
      txPerSide: null,
      gasPerSide: null,
      secondsToSlash: null,
      cpu: cpuModel(),
    };
  } finally {
    sides.dispose();
  }
}
