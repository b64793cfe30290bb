/**
 * Trace root (docs/commitments.md, "Trace root"): one leaf per graph node, in the model's
 * canonical topological order, binding the node index to the roots of its outputs:
 *
 *   traceLeaf[i] = sha256(0x4c || u32 nodeIndex || u8 outputCount || tensorRoot(out[0]) || ...)
 *   traceRoot    = MerkleRoot(traceLeaf[0], ..., traceLeaf[nodeCount-1])
 */
import { concatBytes, merkleLevels, sha256, u8, u32be } from "../../protocol/index.ts";
import { type CommitOptions, TensorCommitment, type TensorData, tensorBytes } from "./tensor.ts";

export const TRACE_LEAF_TAG = 0x4c;

export function traceLeaf(nodeIndex: number, outputRoots: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(outputRoots)) throw new TypeError("outputRoots must be an array of 32-byte roots");
  if (outputRoots.length === 0 || outputRoots.length > 0xff)
    throw new RangeError(`node ${nodeIndex}: output count ${outputRoots.length} is not in [1, 255]`);
  for (const r of outputRoots)
    if (!(r instanceof Uint8Array) || r.length !== 32)
      throw new RangeError(`node ${nodeIndex}: every output root must be 32 bytes`);
  return sha256(
    concatBytes(Uint8Array.of(TRACE_LEAF_TAG), u32be(nodeIndex), u8(outputRoots.length), ...outputRoots),
  );
}

/** Levels of the trace tree over the given leaves (levels[0] = leaves, last = root). */
export function traceLevels(leaves: readonly Uint8Array[]): Uint8Array[] {
  if (leaves.length === 0) throw new RangeError("a trace has at least one node");
  for (const l of leaves) if (l.length !== 32) throw new RangeError("trace leaves must be 32 bytes");
  return merkleLevels(concatBytes(...leaves));
}

export function traceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const levels = traceLevels(leaves);
  return levels[levels.length - 1].slice(0, 32);
}

/**
 * The commitment to one inference: every node's outputs (in node order) with their tensor
 * commitments, the trace leaves and the trace tree, so that any leaf or chunk can be opened later.
 */
export class TraceCommitment {
  readonly root: Uint8Array;
  readonly nodeCount: number;
  /** outputs[node][slot]: the tensor commitment of that output. */
  readonly outputs: readonly (readonly TensorCommitment[])[];
  readonly leaves: readonly Uint8Array[];
  readonly levels: Uint8Array[];

  private constructor(outputs: TensorCommitment[][]) {
    this.outputs = outputs;
    this.nodeCount = outputs.length;
    this.leaves = outputs.map((outs, i) =>
      traceLeaf(
        i,
        outs.map((t) => t.root),
      ),
    );
    this.levels = traceLevels(this.leaves);
    this.root = this.levels[this.levels.length - 1].slice(0, 32);
  }

  /** nodeOutputs[i] = the outputs of node i, in the node's output order. */
  static build(nodeOutputs: readonly (readonly TensorData[])[], opts: CommitOptions = {}): TraceCommitment {
    if (!Array.isArray(nodeOutputs) || nodeOutputs.length === 0)
      throw new RangeError("a trace has at least one node");
    const flat: TensorData[] = [];
    nodeOutputs.forEach((outs, i) => {
      if (!Array.isArray(outs) || outs.length === 0)
        throw new RangeError(`node ${i}: a node has at least one output`);
      outs.forEach((t, slot) => {
        try {
          tensorBytes(t.dtype, t.shape, t.data);
        } catch (err) {
          throw new RangeError(`node ${i} output ${slot}: ${err instanceof Error ? err.message : err}`, {
            cause: err,
          });
        }
        flat.push(t);
      });
    });
    // All chunks of all outputs in one multi-buffer pass: traces are many small tensors.
    const commitments = TensorCommitment.buildMany(flat, opts);
    let k = 0;
    return new TraceCommitment(nodeOutputs.map((outs) => outs.map(() => commitments[k++])));
  }

  /** Tensor roots of every node's outputs: roots[node][slot]. */
  tensorRoots(): Uint8Array[][] {
    return this.outputs.map((outs) => outs.map((t) => t.root));
  }

  output(nodeIndex: number, slot = 0): TensorCommitment {
    if (!Number.isInteger(nodeIndex) || nodeIndex < 0 || nodeIndex >= this.nodeCount)
      throw new RangeError(`node index ${nodeIndex} out of range [0, ${this.nodeCount})`);
    const outs = this.outputs[nodeIndex];
    if (!Number.isInteger(slot) || slot < 0 || slot >= outs.length)
      throw new RangeError(`node ${nodeIndex} has no output ${slot} (it has ${outs.length})`);
    return outs[slot];
  }
}
