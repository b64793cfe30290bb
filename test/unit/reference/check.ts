/**
 * Shared checks of the differential tests: bitwise tensor equality, and the element interpreter
 * (plus fold witnesses) against the whole-tensor result of every node of a run.
 */

import {
  elementDependencies,
  evalElement,
  foldInitial,
  foldPaddingOperand,
  foldResult,
  foldStep,
  foldWitness,
  isFold,
  type RefModel,
  type RunResult,
} from "../../../prover-trace/reference/index.ts";
import type { Tensor } from "../../../prover-trace/reference/tensor.ts";
import { readElement } from "../../../prover-trace/reference/tensor.ts";
import type { InputRef } from "../../../prover-trace/reference/types.ts";
import { rng } from "./cases.ts";

export function bytesOf(t: Tensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** null when equal, else a description of the first difference. */
export function tensorDiff(got: Tensor, want: Tensor): string | null {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} != ${want.dtype}`;
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return `shape [${got.shape}] != [${want.shape}]`;
  if (bytesOf(got).equals(bytesOf(want))) return null;
  for (let i = 0; i < got.data.length; i++)
    if (got.data[i] !== want.data[i]) return `element ${i}: ${got.data[i]} != ${want.data[i]}`;
  return "bytes differ";
}

export function sampleIndices(n: number, max: number, seed: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  const s = new Set([0, n - 1]);
  while (s.size < max) s.add(r() % n);
  return [...s];
}

/**
 * For every node of a run: sampled output elements recomputed one at a time from single input
 * elements; folds additionally re-checked step by step. Returns a list of mismatches.
 */
export function elementMismatches(
  model: RefModel,
  run: RunResult,
  inputs: Tensor[],
  maxPerNode = 48,
): string[] {
  const bad: string[] = [];
  const tensorAt = (r: InputRef): Tensor =>
    r.kind === 0
      ? inputs[r.index]
      : r.kind === 1
        ? model.initializers[r.index]
        : run.nodeOutputs[r.index][r.slot];
  for (const node of model.nodes) {
    const ins = node.inputs.map(tensorAt);
    const read = (slot: number, flat: number) => readElement(ins[slot], flat);
    const out = run.nodeOutputs[node.index][0];
    for (const e of sampleIndices(out.data.length, maxPerNode, node.index + 7)) {
      const want = readElement(out, e);
      const got = evalElement(node, e, read);
      if (got !== want)
        bad.push(`node ${node.index} ${node.op} element ${e}: element ${got} != tensor ${want}`);
      const deps = elementDependencies(node, e, read);
      if (isFold(node)) {
        const w = foldWitness(node, e, read);
        if (deps.kind !== "fold" || deps.steps.length !== w.steps.length)
          bad.push(`node ${node.index}: fold deps`);
        if (w.states[0] !== foldInitial(node)) bad.push(`node ${node.index} element ${e}: s_0`);
        for (let k = 1; k < w.states.length; k++) {
          const [ra, rb] = w.steps[k - 1];
          const s = foldStep(
            node,
            k,
            w.states[k - 1],
            // a MaxPool step in the padding reads nothing: the dtype minimum
            ra ? read(ra.input, ra.index) : foldPaddingOperand(node),
            rb ? read(rb.input, rb.index) : ra ? undefined : 0n,
          );
          if (s !== w.states[k]) bad.push(`node ${node.index} element ${e}: step ${k}`);
        }
        if (foldResult(node, w.states[w.states.length - 1]) !== want || w.output !== want)
          bad.push(`node ${node.index} ${node.op} element ${e}: fold ends at ${w.output}, tensor ${want}`);
      } else if (deps.kind !== "map") bad.push(`node ${node.index}: map deps`);
      if (bad.length > 10) return bad;
    }
  }
  return bad;
}
