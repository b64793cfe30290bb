/**
 * Test-only fault modes of the worker: deliberate lies, so that the watcher and the dispute game
 * can be shown to catch every kind of cheating with real processes. Off by default; the CLI
 * refuses them unless the operator says `--i-know-this-is-a-test-fault` or L1 is a dev chain
 * (config.ts).
 *
 * Every mode turns one honest run (run.ts) into the run the liar claims AND the PartyView it defends with
 * (verifier/game/view.ts): the planner plays that view exactly like an honest one, so the game
 * plays out honestly from the liar's side and the liar loses only because its view is wrong.
 *
 * | mode          | claim                                               | in a dispute              |
 * |---------------|-----------------------------------------------------|---------------------------|
 * | wrong-output  | honest trace, outputRoot over a changed output 0    | answers (loses level 0)   |
 * | wrong-element | one MatMulInteger output element +1, recommitted;   | answers every move        |
 * |               | everything downstream left as the true run has it   |                           |
 * | wrong-leaf    | one trace leaf replaced by a hash nobody can open   | answers until it cannot   |
 * | withhold      | as wrong-element, publishes no output/trace content | no chunk or fold reveals  |
 * | silent        | as wrong-element                                    | never moves               |
 * | wrong-token   | generation jobs: the token at one step is not the   | answers every move (the   |
 * |               | rule's pick, decoding goes on from it; the pass     | pass is honest: only the  |
 * |               | over that sequence honest (single-pass jobs honest) | token move can catch it)  |
 *
 * A deferred claim (traceRoot 0, docs/dispute-game.md "Deferred trace") commits only to outputs,
 * so a lie deep in the graph that leaves the outputs right is no lie about it: with `deferred`,
 * wrong-element (and withhold, silent) changes an element of the node that produces graph output
 * 0, so the committed trace is consistent with the wrong output and its first wrong node is that
 * node (level 1 finds it); wrong-output commits the honest trace for a wrong output (level 0).
 * On a generation job every mode but wrong-token lies in the job's one traced pass exactly as in a
 * single-pass job (generation.ts runs that pass through executeJob), so a withhold liar on a
 * generation job publishes no content for the pass and stalls below its trace level.
 *
 * Pure: no I/O, no clock.
 */

import type { Move } from "../../bridge/dispute/vocabulary.ts";
import { concatBytes, sha256 } from "../../protocol/index.ts";
import type { ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { TraceCommitment, traceLevels } from "../../prover-trace/commit/trace.ts";
import { buildPartyView, viewOutputRoot } from "../game/view.ts";
import { graphOutputs, honestRun, type ViewedRun } from "./run.ts";

export const FAULT_MODES = [
  "wrong-output",
  "wrong-element",
  "wrong-leaf",
  "withhold",
  "silent",
  "wrong-token",
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export function parseFaultMode(s: string): FaultMode {
  if (!(FAULT_MODES as readonly string[]).includes(s))
    throw new Error(`unknown test fault '${s}': expected one of ${FAULT_MODES.join(", ")}`);
  return s as FaultMode;
}

/** Where a fault was put, so tests and logs can say exactly what the liar changed. */
export interface FaultSite {
  mode: FaultMode;
  /** The node whose output (or trace leaf) was changed; for wrong-output, the producing node. */
  node: number;
  /** The flat element changed (-1 for wrong-leaf: the whole leaf). */
  element: number;
  /** For wrong-output: which graph output. */
  output?: number;
}

/** Where a wrong-token liar lies: generated step `step` gets `token` instead of the rule's pick. */
export interface WrongTokenSite {
  step: number;
  token: number;
}

/**
 * The lie of a wrong-token worker, from the honest generation: the middle step, whose token is
 * replaced by the next id (mod vocab) that is neither the honest one nor the stop token, so the
 * generation goes on past it and still keeps the count and stop rules (L2 accepts it; only the
 * token move shows it). Deterministic, like every fault.
 */
export function wrongTokenSite(
  honest: readonly number[],
  stopToken: number | null,
  vocab: number,
): WrongTokenSite {
  if (honest.length < 1) throw new Error("wrong-token needs a generation of at least one token");
  if (vocab < 3) throw new Error("wrong-token needs a vocabulary of at least 3 tokens");
  const step = Math.floor((honest.length - 1) / 2);
  let token = (honest[step] + 1) % vocab;
  if (token === stopToken) token = (token + 1) % vocab;
  return { step, token };
}

/** A copy of `t` with flat element `e` changed by +1 (wrapping in the dtype). */
export function bumpElement(t: TensorData, e: number): TensorData {
  const src = t.data as unknown as { length: number; slice(): ArrayLike<number | bigint> };
  if (!Number.isInteger(e) || e < 0 || e >= src.length)
    throw new RangeError(`element ${e} out of range [0, ${src.length})`);
  const data = src.slice() as unknown as (number | bigint)[];
  data[e] = typeof data[e] === "bigint" ? (data[e] as bigint) + 1n : (data[e] as number) + 1;
  return { ...t, data: data as unknown as TensorData["data"] };
}

/** Nodes whose outputs are graph outputs (a fault "deep in the graph" avoids them). */
function outputNodes(model: ModelCommitment): Set<number> {
  return new Set(model.model.outputs.filter((o) => o.ref.kind === 2).map((o) => o.ref.index));
}

/**
 * The node a wrong-element fault changes: the middle one of the MatMulInteger nodes that do not
 * produce a graph output (so the lie is deep in the graph and its effect is not visible in the
 * outputs), or of all MatMulInteger nodes if every one is an output; its last element.
 */
export function wrongElementSite(
  model: ModelCommitment,
  nodeOutputs: readonly (readonly TensorData[])[],
): FaultSite {
  const outs = outputNodes(model);
  const mm = model.model.nodes.map((n, i) => (n.op === "MatMulInteger" ? i : -1)).filter((i) => i >= 0);
  if (mm.length === 0) throw new Error("wrong-element needs a model with a MatMulInteger node");
  const deep = mm.filter((i) => !outs.has(i));
  const pool = deep.length > 0 ? deep : mm;
  const node = pool[Math.floor(pool.length / 2)];
  const numel = (nodeOutputs[node][0].data as unknown as { length: number }).length;
  return { mode: "wrong-element", node, element: numel - 1 };
}

/** A deferred claim's wrong-element site: the last element of the node producing graph output 0. */
export function wrongOutputNodeSite(
  model: ModelCommitment,
  nodeOutputs: readonly (readonly TensorData[])[],
): FaultSite {
  const ref = model.model.outputs[0].ref;
  if (ref.kind !== 2) throw new Error("graph output 0 is not a node output");
  const numel = (nodeOutputs[ref.index][ref.slot].data as unknown as { length: number }).length;
  return { mode: "wrong-element", node: ref.index, element: numel - 1 };
}

/** The node whose leaf wrong-leaf replaces: the middle node that does not produce a graph output. */
export function wrongLeafSite(model: ModelCommitment): FaultSite {
  const outs = outputNodes(model);
  const inner = model.model.nodes.map((_, i) => i).filter((i) => !outs.has(i));
  const pool = inner.length > 0 ? inner : model.model.nodes.map((_, i) => i);
  return { mode: "wrong-leaf", node: pool[Math.floor(pool.length / 2)], element: -1 };
}

const WRONG_LEAF_TAG = new TextEncoder().encode("verdict test fault: wrong leaf");

/** The trace with leaf `node` replaced by a hash that is no tensor commitment anyone can open. */
export function traceWithWrongLeaf(trace: TraceCommitment, node: number): TraceCommitment {
  const leaves = trace.leaves.map((l, i) => (i === node ? sha256(concatBytes(WRONG_LEAF_TAG, l)) : l));
  const levels = traceLevels(leaves);
  // Same class (its methods read `outputs`), different leaves: the claimer's planner reveals from
  // `levels`, so it descends to this leaf and then cannot open it.
  return Object.assign(Object.create(TraceCommitment.prototype) as TraceCommitment, {
    outputs: trace.outputs,
    nodeCount: trace.nodeCount,
    leaves,
    levels,
    root: levels[levels.length - 1].slice(0, 32),
  });
}

/**
 * The run the worker claims under `mode` (null: honest), from the honest run's inputs and node
 * outputs. Deterministic: the same honest run always gives the same lie, so a restarted worker
 * rebuilds exactly the view it signed.
 */
export function claimedRun(
  mode: FaultMode | null,
  model: ModelCommitment,
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
  opts: { deferred?: boolean } = {},
): ViewedRun {
  // wrong-token lies in the tokens (generation.ts), never in the pass
  if (mode === null || mode === "wrong-token") return honestRun(model, inputs, nodeOutputs);
  switch (mode) {
    case "wrong-element":
    case "withhold":
    case "silent": {
      const at = opts.deferred ? wrongOutputNodeSite : wrongElementSite;
      const site = { ...at(model, nodeOutputs), mode };
      const tampered = nodeOutputs.map((outs, i) =>
        i === site.node ? outs.map((t, s) => (s === 0 ? bumpElement(t, site.element) : t)) : [...outs],
      );
      return { ...honestRun(model, inputs, tampered), fault: site };
    }
    case "wrong-leaf": {
      const site = wrongLeafSite(model);
      const honest = honestRun(model, inputs, nodeOutputs);
      const trace = traceWithWrongLeaf(honest.view.trace, site.node);
      return { ...honest, view: { ...honest.view, trace }, traceRoot: trace.root, fault: site };
    }
    case "wrong-output": {
      // Honest trace; the claimed graph output 0 differs in its first element, so outputRoot
      // commits to a tensor that is not the one the trace leaf holds (level 0 shows it).
      const o = model.model.outputs[0];
      const outputs = graphOutputs(model, nodeOutputs).map((t, k) => (k === 0 ? bumpElement(t, 0) : t));
      const view = buildPartyView(model, inputs, nodeOutputs, { outputs });
      return {
        view,
        traceRoot: view.trace.root,
        outputRoot: viewOutputRoot(view),
        outputs,
        nodeOutputs: nodeOutputs.map((outs) => [...outs]),
        fault: { mode, node: o.ref.index, element: 0, output: 0 },
      };
    }
  }
}

/**
 * Whether a liar in `mode` makes `move` at all. withhold never reveals data below the trace
 * (chunk tree, chunk, fold states); silent never moves. Honest and the other modes always move.
 */
export function faultAllowsMove(mode: FaultMode | null, move: Move): boolean {
  if (mode === "silent") return false;
  if (mode === "withhold")
    return !["revealChunkChildren", "revealChunk", "postFoldStates"].includes(move.kind);
  return true;
}

/** Whether a liar in `mode` publishes its output and trace content. */
export function faultPublishes(mode: FaultMode | null): boolean {
  return mode !== "withhold";
}
