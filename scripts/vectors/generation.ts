/**
 * Generation vectors (docs/generation.md, docs/commitments.md "Generation"): the decoding rule's
 * weight function, draws and picks, and the job parameters' encoding, so another implementation
 * (the contract's one-shot token-rule move) can follow the TypeScript bit for bit.
 */
import {
  encodeGenerationParams,
  generationParamsHash,
  generationParamsToJson,
} from "../../protocol/generation-job.ts";
import { toHex } from "../../protocol/index.ts";
import { generationInputRoot } from "../../prover-trace/commit/generation.ts";
import { argmax, sampleDraw, sampleToken, sampleWeight } from "../../prover-trace/generation/decoding.ts";
import { pseudoRandomBytes } from "./prng.ts";

function int32s(n: number, seed: number, spread: number): number[] {
  const b = pseudoRandomBytes(4 * n, seed);
  const v = new DataView(b.buffer);
  return Array.from({ length: n }, (_, i) => (v.getInt32(4 * i, true) % spread) | 0);
}

export function generationVectors() {
  const seed = pseudoRandomBytes(32, 0x5eed);
  const weights = [
    [0, 1],
    [1, 16],
    [1, 32],
    [100, 100],
    [150, 100],
    [777, 1000],
    [30 * 5, 5],
    [31 * 5, 5],
    [2 ** 32 - 1, 2 ** 31 - 1],
  ].map(([d, halfLife]) => ({ d, halfLife, weight: sampleWeight(d, halfLife) }));
  const draws = [0, 1, 2, 127, 0xffffffff].map((step) => ({
    seed: toHex(seed),
    step,
    draw: `0x${sampleDraw(seed, step).toString(16).padStart(32, "0")}`,
  }));
  const row = int32s(16, 7, 4000);
  const picks = [
    { topK: 1, halfLife: 1000 },
    { topK: 4, halfLife: 300 },
    { topK: 16, halfLife: 2000 },
  ].flatMap(({ topK, halfLife }) =>
    [0, 1, 2, 3].map((step) => ({
      row,
      topK,
      halfLife,
      seed: toHex(seed),
      step,
      token: sampleToken(row, topK, halfLife, seed, step),
    })),
  );
  const greedy = [row, [5, 9, 9, 1], [-3]].map((r) => ({ row: r, token: argmax(r) }));

  const prompt = [1, 403, 407];

  const params = [
    { maxTokens: 128, stopToken: 1, rule: { kind: "sample" as const, topK: 40, halfLife: 2500, seed } },
    { maxTokens: 7, stopToken: null, rule: { kind: "greedy" as const } },
  ].map((p) => ({
    params: generationParamsToJson(p),
    encoding: toHex(encodeGenerationParams(p)),
    hash: toHex(generationParamsHash(p)),
  }));

  return {
    generationParams: params,
    inputRoot: { prompt, inputRoot: toHex(generationInputRoot(prompt)) },
    sampleWeight: weights,
    sampleDraw: draws,
    sampleToken: picks,
    argmax: greedy,
  };
}
