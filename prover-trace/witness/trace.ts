/**
 * Trace openings: a node's output roots with the Merkle proof of its leaf in the trace tree, and
 * a chunk of one output proven up to the trace root.
 */
import { bytesEqual, merkleProof, rootFromProof, treeDepth } from "../../protocol/index.ts";
import { checkShape } from "../commit/tensor.ts";
import { type TraceCommitment, traceLeaf } from "../commit/trace.ts";
import { type ChunkOpening, openChunk, verifyChunkOpening } from "./chunk.ts";

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

/** A chunk of one node output, proven all the way up to the trace root. */
export interface TraceChunkOpening {
  leaf: TraceLeafOpening;
  /** Which of the node's outputs the chunk belongs to. */
  slot: number;
  chunk: ChunkOpening;
}

export function openTraceChunk(
  trace: TraceCommitment,
  nodeIndex: number,
  slot: number,
  chunkIndex: number,
): TraceChunkOpening {
  const tensor = trace.output(nodeIndex, slot); // range-checks node and slot
  return { leaf: openTraceLeaf(trace, nodeIndex), slot, chunk: openChunk(tensor, chunkIndex) };
}

/**
 * True when `o` proves a chunk of output `o.slot` of node `o.leaf.nodeIndex` under this trace
 * root. `dtype` and `shape` are that output's, from the model's node descriptor; the node count
 * is the model's. Malformed openings are `false`; an invalid dtype or shape throws.
 */
export function verifyTraceChunkOpening(
  traceRoot: Uint8Array,
  nodeCount: number,
  dtype: number,
  shape: readonly number[],
  o: TraceChunkOpening,
): boolean {
  checkShape(dtype, shape);
  if (typeof o !== "object" || o === null) return false;
  if (!verifyTraceLeafOpening(traceRoot, nodeCount, o.leaf)) return false;
  if (!Number.isInteger(o.slot) || o.slot < 0 || o.slot >= o.leaf.outputRoots.length) return false;
  return verifyChunkOpening(o.leaf.outputRoots[o.slot], dtype, shape, o.chunk);
}
