/**
 * The commitments of one traced run, from tensors alone (no ORT, no profile object): tensor roots
 * of every node output (hashed in place), one trace leaf per node, and the trace, input and
 * output roots (docs/commitments.md). The hashing itself is commit/tensor.ts's; this module only
 * decides how to batch it.
 */
import { merkleRoot } from "../../protocol/merkle.ts";
import { type TensorData, tensorRoots, tensorRootsParallel } from "../commit/tensor.ts";
import { traceLeaf, traceRoot } from "../commit/trace.ts";

export interface TraceCommitments {
  /** Merkle root over the trace leaves (one per node, file order). */
  traceRoot: Uint8Array;
  /** Merkle root over the graph inputs' tensor roots. */
  inputRoot: Uint8Array;
  /** Merkle root over the graph outputs' tensor roots. */
  outputRoot: Uint8Array;
  /** tensorRoots[node][slot] of every node output. */
  tensorRoots: Uint8Array[][];
}

/** Where a graph output lives among the node outputs. */
export interface OutputRef {
  index: number;
  slot: number;
}

export function commitTensors(
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
  outputRefs: readonly OutputRef[],
): TraceCommitments {
  // All node outputs in one batch: their chunks share SIMD passes and the trees are built together.
  const flat = tensorRoots(nodeOutputs.flat());
  return finish(inputs, nodeOutputs, outputRefs, flat);
}

/**
 * commitTensors with the chunk hashing (the bulk of the work) on a libuv thread-pool thread, so
 * the calling thread can run the next inference meanwhile. The node outputs must stay untouched
 * (and not be transferred) until the promise settles.
 */
export async function commitTensorsAsync(
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
  outputRefs: readonly OutputRef[],
  threads = 1,
): Promise<TraceCommitments> {
  const flat = await tensorRootsParallel(nodeOutputs.flat(), { threads });
  return finish(inputs, nodeOutputs, outputRefs, flat);
}

function finish(
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
  outputRefs: readonly OutputRef[],
  flatRoots: Uint8Array[],
): TraceCommitments {
  let k = 0;
  const perNode = nodeOutputs.map((outs) => outs.map(() => flatRoots[k++]));
  const leaves = perNode.map((roots, i) => traceLeaf(i, roots));
  const inputRoot = merkleRoot(tensorRoots(inputs));
  const outputRoot = merkleRoot(
    outputRefs.map((o) => {
      const r = perNode[o.index]?.[o.slot];
      if (!r)
        throw new RangeError(`graph output refers to node ${o.index} output ${o.slot}, which the run lacks`);
      return r;
    }),
  );
  return { traceRoot: traceRoot(leaves), inputRoot, outputRoot, tensorRoots: perNode };
}
