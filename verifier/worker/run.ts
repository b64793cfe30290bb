/**
 * The run a worker claims: from the job's inputs and the node outputs of its traced inference,
 * the PartyView it defends a dispute with (verifier/game/view.ts), the claimed roots and what it
 * publishes. The honest run is this file; the test-only lies (faults.ts) are built from it.
 * Pure: no I/O, no clock.
 */
import { fromHex } from "../../protocol/bytes.ts";
import { DEFERRED_TRACE } from "../../protocol/tx.ts";
import type { ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { buildPartyView, type PartyView, viewOutputRoot } from "../game/view.ts";
import type { FaultSite } from "./faults.ts";

/** The run a worker claims: its view (what the planner defends with) and the claimed roots. */
export interface ClaimedRun {
  /** Null for a deferred claim's plain run: the view is built (traced) only if it is disputed. */
  view: PartyView | null;
  /** DEFERRED_TRACE's bytes for a deferred claim (docs/dispute-game.md "Deferred trace"). */
  traceRoot: Uint8Array;
  outputRoot: Uint8Array;
  /** Graph outputs as claimed (what is published as the output content). */
  outputs: TensorData[];
  /** Node outputs as claimed (what is published as the trace content). */
  nodeOutputs: TensorData[][];
  fault: FaultSite | null;
}

/** A run with the view it is defended with: every traced run (honest or a test fault). */
export type ViewedRun = ClaimedRun & { view: PartyView };

/** Graph output k's tensor among the node outputs. */
export function graphOutputs(
  model: ModelCommitment,
  nodeOutputs: readonly (readonly TensorData[])[],
): TensorData[] {
  return model.model.outputs.map((o) => {
    if (o.ref.kind !== 2) throw new Error(`graph output ${o.name} is not a node output`);
    return nodeOutputs[o.ref.index][o.ref.slot];
  });
}

/**
 * A deferred claim's honest run from a plain inference: its graph outputs and outputRoot only
 * (no view, no node outputs, traceRoot DEFERRED_TRACE).
 */
export function deferredRun(outputs: TensorData[], outputRoot: Uint8Array): ClaimedRun {
  return {
    view: null,
    traceRoot: fromHex(DEFERRED_TRACE),
    outputRoot,
    outputs,
    nodeOutputs: [],
    fault: null,
  };
}

/** `run` claimed with a deferred trace: the same view (what a dispute is defended with), traceRoot 0. */
export function deferTrace(run: ViewedRun): ViewedRun {
  return { ...run, traceRoot: fromHex(DEFERRED_TRACE) };
}

/** The honest run as claimed. */
export function honestRun(
  model: ModelCommitment,
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
): ViewedRun {
  const view = buildPartyView(model, inputs, nodeOutputs);
  return {
    view,
    traceRoot: view.trace.root,
    outputRoot: viewOutputRoot(view),
    outputs: graphOutputs(model, nodeOutputs),
    nodeOutputs: nodeOutputs.map((o) => [...o]),
    fault: null,
  };
}
