/**
 * Calibration text for an imported LM: sequences sampled from the float model itself (softmax
 * at temperature 1, seeded), starting at BOS. They read like the training data (the model's
 * own stories) and are not the golden greedy sequences the accuracy figures are measured on.
 */
import { SplitMix64 } from "../builder/prng.ts";
import type { Sample } from "../import/calibrate.ts";
import { BOS_ID } from "../tokenizer/sentencepiece.ts";
import type { LogitsFn } from "./generate.ts";

export async function sampleSequences(
  logitsOf: LogitsFn,
  o: { count: number; length: number; window: number; vocab: number; seed: number },
): Promise<Int32Array[]> {
  if (o.length > o.window) throw new RangeError(`length ${o.length} exceeds the window ${o.window}`);
  const rng = new SplitMix64(o.seed);
  const uniform = () => Number(rng.next64() >> 11n) / 2 ** 53;
  const out: Int32Array[] = [];
  for (let s = 0; s < o.count; s++) {
    const seq = new Int32Array(o.window);
    seq[0] = BOS_ID;
    for (let n = 1; n < o.length; n++) {
      const logits = await logitsOf(seq);
      const base = (n - 1) * o.vocab;
      let max = Number.NEGATIVE_INFINITY;
      for (let v = 0; v < o.vocab; v++) max = Math.max(max, logits[base + v]);
      const w = new Float64Array(o.vocab);
      let z = 0;
      for (let v = 0; v < o.vocab; v++) {
        w[v] = Math.exp(logits[base + v] - max);
        z += w[v];
      }
      let r = uniform() * z;
      let pick = 0;
      for (; pick < o.vocab - 1; pick++) {
        r -= w[pick];
        if (r <= 0) break;
      }
      seq[n] = pick;
    }
    out.push(seq.slice(0, o.length));
  }
  return out;
}

/** One `tokens` input per sequence, named sample-000, sample-001, ... */
export function calibrationSamples(seqs: readonly Int32Array[]): Sample[] {
  return seqs.map((s, i) => ({
    name: `sample-${String(i).padStart(3, "0")}`,
    inputs: { tokens: { dtype: "int32", shape: [s.length], data: s } },
  }));
}
