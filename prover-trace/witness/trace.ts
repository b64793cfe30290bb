/** Trace leaf openings: a node's output roots with the Merkle proof of its leaf in the trace tree. */
import { bytesEqual, merkleProof, rootFromProof, treeDepth } from "../../protocol/index.ts";
import { type TraceCommitment, traceLeaf } from "../commit/trace.ts";

export interface TraceLeafOpening {
  nodeIndex: number;
  /** Tensor roots of the node's outputs, in output order. */
  outputRoots: Uint8Array[];
  /** Siblings bottom-up, depth = ceil(log2(nodeCount)) entries of 32 bytes. */
  proof: Uint8Array[];
}

export function openTraceLeaf(trace: TraceCommitment, nodeIndex: number): TraceLeafOpening {
  if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= trace.nodeCount)
    throw new RangeError(`node index ${nodeIndex} out of range [0, ${trace.nodeCount})`);
  return {
    nodeIndex,
    outputRoots: trace.outputs[nodeIndex].map((t) => t.root.slice()),
    proof: merkleProof(trace.levels, nodeIndex),
  };
}

/**
 * True when `opening` is leaf `opening.nodeIndex` of the trace with this root and node count
 * (the node count comes from the model). Malformed openings are `false`.
 */
export function verifyTraceLeafOpening(
  traceRoot: Uint8Array,
  nodeCount: number,
  opening: TraceLeafOpening,
): boolean {
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new RangeError(`node count ${nodeCount} must be >= 1`);
  if (!(traceRoot instanceof Uint8Array) || traceRoot.length !== 32) return false;
  if (typeof opening !== "object" || opening === null) return false;
  const { nodeIndex, outputRoots, proof } = opening;
  if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= nodeCount) return false;
  if (!Array.isArray(proof) || proof.length !== treeDepth(nodeCount)) return false;
  for (const s of proof) if (!(s instanceof Uint8Array) || s.length !== 32) return false;
  let leaf: Uint8Array;
  try {
    leaf = traceLeaf(nodeIndex, outputRoots);
  } catch {
    return false;
  }
  return bytesEqual(rootFromProof(leaf, nodeIndex, proof), traceRoot);
}
