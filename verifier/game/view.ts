/**
 * One party's view of a run: the model commitment, the job's input tensors, the data
 * initializers and every node output, all committed, so that the party can answer or challenge
 * any move of the dispute game (docs/dispute-game.md). A lying party is simply a view built from
 * tampered node outputs (or, for level 0, tampered graph outputs): the planners play every view
 * the same way.
 */

import { concatBytes, dtypeByCode, merkleLevels } from "../../protocol/index.ts";
import type { ModelCommitment } from "../../prover-trace/commit/model.ts";
import { CHUNK, TensorCommitment, type TensorData } from "../../prover-trace/commit/tensor.ts";
import { TraceCommitment } from "../../prover-trace/commit/trace.ts";
import { fromProfileModel } from "../../prover-trace/reference/profile-model.ts";
import type { RefModel } from "../../prover-trace/reference/types.ts";
import { readElement } from "../../prover-trace/witness/element.ts";

export interface PartyView {
  model: ModelCommitment;
  ref: RefModel;
  inputs: TensorCommitment[];
  /** Tree over the input tensor roots (the job's inputRoot). */
  inputLevels: Uint8Array[];
  weights: TensorCommitment[];
  /** Tree over the initializer tensor roots (weightsRoot); empty when there is none. */
  weightLevels: Uint8Array[];
  trace: TraceCommitment;
  /** The graph outputs this party claims (the leaves of its outputRoot), in graph output order. */
  outputs: TensorCommitment[];
  /** Tree over the output tensor roots (the claim's outputRoot). */
  outputLevels: Uint8Array[];
}

/** The claim's outputRoot as this party computes it. */
export function viewOutputRoot(v: PartyView): Uint8Array {
  return v.outputLevels[v.outputLevels.length - 1].slice(0, 32);
}

function levelsOver(tensors: readonly TensorCommitment[]): Uint8Array[] {
  if (tensors.length === 0) return [];
  return merkleLevels(concatBytes(...tensors.map((t) => t.root)));
}

/**
 * Builds a party's view from the model commitment, the job inputs and the node outputs it holds.
 * The claimed graph outputs are, unless `opts.outputs` says otherwise, the node outputs the
 * model's output refs name (an honest binding of outputRoot to the trace).
 */
export function buildPartyView(
  model: ModelCommitment,
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
  opts: { outputs?: readonly TensorData[] } = {},
): PartyView {
  if (nodeOutputs.length !== model.nodeCount)
    throw new RangeError(`the model has ${model.nodeCount} nodes, got outputs for ${nodeOutputs.length}`);
  if (opts.outputs && opts.outputs.length !== model.outputCount)
    throw new RangeError(`the model has ${model.outputCount} graph outputs, got ${opts.outputs.length}`);
  const ins = TensorCommitment.buildMany(inputs);
  const weights = TensorCommitment.buildMany(
    model.model.initializers.map((t) => {
      if (!t.data) throw new Error(`initializer ${t.name} has no data`);
      return { dtype: t.dtype, shape: t.shape, data: t.data };
    }),
  );
  const trace = TraceCommitment.build(nodeOutputs);
  const outputs = opts.outputs
    ? TensorCommitment.buildMany(opts.outputs)
    : model.outputRefs.map((r) => {
        const t = trace.outputs[r.node]?.[r.slot];
        if (!t) throw new RangeError(`output ref (${r.node}, ${r.slot}) names no node output`);
        return t;
      });
  return {
    model,
    ref: fromProfileModel(model.model),
    inputs: ins,
    inputLevels: levelsOver(ins),
    weights,
    weightLevels: levelsOver(weights),
    trace,
    outputs,
    outputLevels: levelsOver(outputs),
  };
}

/** Element `flat` of a committed tensor as a bigint. */
export function elementOf(t: TensorCommitment, flat: number): bigint {
  const size = dtypeByCode(t.dtype).bytes;
  const byte = flat * size;
  const chunk = Math.floor(byte / CHUNK);
  return readElement(t.dtype, t.chunk(chunk), byte % CHUNK);
}

/** The tensor an input reference of node `node` names, in this view. */
export function sourceTensor(
  v: PartyView,
  ref: { kind: number; index: number; slot: number },
): TensorCommitment {
  if (ref.kind === 0) return v.inputs[ref.index];
  if (ref.kind === 1) return v.weights[ref.index];
  return v.trace.outputs[ref.index][ref.slot];
}
