/**
 * Claimer views that lie only in padding (issue 18, attack 7): every real leaf and value is the
 * honest one, but a padding leaf of the trace tree, or of one output's chunk tree, holds a
 * non-zero hash, so the claim's traceRoot differs from the honest one. The planners read a view
 * through `trace.levels` / `trace.root` and a tensor through `levels`, `dataRoot`, `root` and
 * `chunk()`, so these objects carry exactly those, built from the honest ones.
 */

import type { PartyView } from "../../verifier/game/view.ts";
import { concatBytes, merkleLevels } from "../../protocol/index.ts";
import type { TensorCommitment } from "../../prover-trace/commit/tensor.ts";
import { tensorRootFromDataRoot } from "../../prover-trace/commit/tensor.ts";
import { type TraceCommitment, traceLeaf, traceLevels } from "../../prover-trace/commit/trace.ts";

const GARBAGE = new Uint8Array(32).fill(0x5a);

const lastLevel = (levels: Uint8Array[]) => levels[levels.length - 1].slice(0, 32);

function traceFrom(outputs: (readonly TensorCommitment[])[], extraLeaf?: Uint8Array): TraceCommitment {
  const leaves = outputs.map((outs, i) =>
    traceLeaf(
      i,
      outs.map((t) => t.root),
    ),
  );
  const levels = extraLeaf ? merkleLevels(concatBytes(...leaves, extraLeaf)) : traceLevels(leaves);
  return {
    root: lastLevel(levels),
    nodeCount: outputs.length,
    outputs,
    leaves,
    levels,
    tensorRoots: () => outputs.map((outs) => outs.map((t) => t.root)),
    output: (i: number, slot = 0) => outputs[i][slot],
  } as unknown as TraceCommitment;
}

/** The honest view with a non-zero hash in the first padding leaf of the trace tree. */
export function tracePaddingLiar(honest: PartyView): PartyView {
  const width = 2 ** (honest.trace.levels.length - 1);
  if (honest.trace.nodeCount >= width) throw new RangeError("the trace tree has no padding leaf");
  return { ...honest, trace: traceFrom([...honest.trace.outputs], GARBAGE) };
}

/** The honest view with a non-zero hash in the first padding leaf of node `node`'s output chunk tree. */
export function chunkPaddingLiar(honest: PartyView, node: number): PartyView {
  const t = honest.trace.outputs[node][0];
  const width = 2 ** (t.levels.length - 1);
  if (t.chunkCount >= width) throw new RangeError(`node ${node}'s chunk tree has no padding leaf`);
  const levels = merkleLevels(concatBytes(t.leaves, GARBAGE));
  const dataRoot = lastLevel(levels);
  const liar = {
    dtype: t.dtype,
    shape: t.shape,
    bytes: t.bytes,
    leaves: t.leaves,
    chunkCount: t.chunkCount,
    levels,
    dataRoot,
    root: tensorRootFromDataRoot(t.dtype, t.shape, dataRoot),
    chunk: (i: number) => t.chunk(i),
  } as unknown as TensorCommitment;
  const outputs = honest.trace.outputs.map((outs, i) => (i === node ? [liar] : outs));
  return { ...honest, trace: traceFrom(outputs) };
}
