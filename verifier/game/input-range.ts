/**
 * The challenger's opening for a claim on an input outside its model's declared range
 * (docs/dispute-game.md "Inputs outside a declared range"): the first element of the first graph
 * input that leaves the input's range, opened against the job's inputRoot, with the input's range
 * leaf opened against the model's inputRangesRoot. DisputeGame.challengeInput checks it and the
 * challenger wins at once. Pure: the watcher fetches the input, this decides.
 */
import type { Hex } from "viem";
import type { InputOpeningArg } from "../../bridge/dispute/vocabulary.ts";
import { concatBytes, dtypeByCode, merkleLevels, merkleProof, toHex } from "../../protocol/index.ts";
import { type ModelCommitment, openInputRange } from "../../prover-trace/commit/model.ts";
import { CHUNK, TensorCommitment, type TensorData } from "../../prover-trace/commit/tensor.ts";
import { openChunk } from "../../prover-trace/witness/chunk.ts";

export interface InputChallenge {
  opening: InputOpeningArg;
  /** The offending element and its range, in words (for logs and the watcher's record). */
  why: string;
}

/** The first element of `data` outside [lo, hi], with its value; null when all are inside. */
function firstOutside(
  data: ArrayBufferView,
  lo: bigint,
  hi: bigint,
): { index: number; value: bigint } | null {
  const values = data as unknown as ArrayLike<number | bigint>;
  for (let e = 0; e < values.length; e++) {
    const v = BigInt(values[e]);
    if (v < lo || v > hi) return { index: e, value: v };
  }
  return null;
}

/**
 * challengeInput's opening on `inputs` (the job's input tensors, which must be the model's graph
 * inputs in dtype and shape: a tensor of another type has no range leaf to open), or null when
 * every element lies inside its input's range.
 */
export function planInputChallenge(
  c: Pick<ModelCommitment, "inputRanges" | "inputRangesLevels" | "model">,
  inputs: readonly TensorData[],
): InputChallenge | null {
  const declared = c.model.inputs;
  if (inputs.length !== declared.length)
    throw new RangeError(`the model has ${declared.length} graph inputs, got ${inputs.length}`);
  for (const [j, t] of inputs.entries()) {
    const d = declared[j];
    if (t.dtype !== d.dtype || t.shape.length !== d.shape.length || t.shape.some((x, k) => x !== d.shape[k]))
      throw new RangeError(`graph input ${j} '${d.name}' is not of the model's dtype and shape`);
  }
  for (const [j, t] of inputs.entries()) {
    const range = c.inputRanges[j];
    const out = firstOutside(t.data, range.min, range.max);
    if (!out) continue;
    return {
      opening: openInputElement(c, inputs, j, out.index),
      why: `input ${j} (${declared[j].name}): element ${out.index} is ${out.value}, outside the model's declared range [${range.min}, ${range.max}]`,
    };
  }
  return null;
}

/**
 * challengeInput's opening of element `element` of input `j`, whatever its value: the tensor root
 * of input j against the inputs' root, the chunk holding the element against its data root, and
 * the model's range leaf j against inputRangesRoot.
 */
export function openInputElement(
  c: Pick<ModelCommitment, "inputRanges" | "inputRangesLevels">,
  inputs: readonly TensorData[],
  j: number,
  element: number,
): InputOpeningArg {
  const tensors = TensorCommitment.buildMany(inputs);
  const t = tensors[j];
  if (!t) throw new RangeError(`graph input index ${j} out of range [0, ${tensors.length})`);
  const inputLevels = merkleLevels(concatBytes(...tensors.map((x) => x.root)));
  const chunk = openChunk(t, Math.floor((element * dtypeByCode(t.dtype).bytes) / CHUNK));
  const r = openInputRange(c, j);
  const hex = (xs: Uint8Array[]): Hex[] => xs.map((x) => toHex(x));
  return {
    input: j,
    element: BigInt(element),
    dtype: t.dtype,
    shape: [...t.shape],
    dataRoot: toHex(t.dataRoot),
    tensorProof: hex(merkleProof(inputLevels, j)),
    chunk: toHex(chunk.chunk),
    chunkProof: hex(chunk.proof),
    min: r.min,
    max: r.max,
    rangeProof: hex(r.proof),
  };
}
