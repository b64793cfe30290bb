/**
 * Generation vectors (docs/generation.md, docs/commitments.md "Generation"): the decoding rule's
 * weight function, draws and picks, and the per-step commitment encodings, so another
 * implementation (a contract's O(1) step-transition check) can follow the TypeScript bit for bit.
 */
import {
  encodeGenerationParams,
  generationParamsHash,
  generationParamsToJson,
} from "../../protocol/generation-job.ts";
import { toHex } from "../../protocol/index.ts";
import {
  generationInputRoot,
  generationOutputRoot,
  generationRoot,
  positionRoot,
  rowNodes,
  stepLeaf,
  tokensRoot,
} from "../../prover-trace/commit/generation.ts";
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
  const generated = [261, 378, 2];
  const leaves = generated.map((token, k) => {
    const inputRoot = tokensRoot([...prompt, ...generated.slice(0, k)]);
    const positionRootK = pseudoRandomBytes(32, 100 + k);
    const logitsRowRoot = pseudoRandomBytes(32, 200 + k);
    return {
      step: k,
      inputTokens: [...prompt, ...generated.slice(0, k)],
      inputRoot: toHex(inputRoot),
      positionRoot: toHex(positionRootK),
      logitsRowRoot: toHex(logitsRowRoot),
      token,
      leaf: toHex(stepLeaf(k, inputRoot, positionRootK, logitsRowRoot, token)),
    };
  });

  // A three-node run over a window of 4: nodes 0 and 2 are row nodes, node 1 ([2, 4]) is not.
  const window = 4;
  const nodeOutputs = [
    [{ dtype: 6, shape: [4, 3], data: Int32Array.from(int32s(12, 11, 1000)) }],
    [{ dtype: 6, shape: [2, 4], data: Int32Array.from(int32s(8, 12, 1000)) }],
    [
      { dtype: 3, shape: [4], data: Int8Array.from([1, -2, 3, -4]) },
      { dtype: 2, shape: [4, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]) },
    ],
  ];
  const rows = rowNodes(
    nodeOutputs.map((outs) => outs.map((o) => o.shape)),
    window,
  );
  const position = [0, 1, 3].map((p) => ({ p, positionRoot: toHex(positionRoot(nodeOutputs, rows, p)) }));

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
    stepLeaf: leaves,
    generationRoot: toHex(
      generationRoot(leaves.map((l) => Uint8Array.from(Buffer.from(l.leaf.slice(2), "hex")))),
    ),
    outputRoot: { generated, outputRoot: toHex(generationOutputRoot(generated)) },
    positionRoot: {
      window,
      nodeOutputs: nodeOutputs.map((outs) =>
        outs.map((o) => ({ dtype: o.dtype, shape: o.shape, data: Array.from(o.data as Int32Array) })),
      ),
      rowNodes: rows,
      cases: position,
    },
  };
}
