/**
 * Single-element evaluation: what a one-step verifier does. For an output element it names the
 * input elements it needs and combines them with bigint arithmetic, independently of the
 * whole-tensor code in eval-tensor.ts (the differential tests compare the two).
 */
import { DType, dtypeByCode, numel } from "../../protocol/dtype.ts";
import type { OpName } from "../profile/opcodes.ts";
import { broadcastSource, ravel, unravel } from "../profile/shape.ts";
import { foldInitial, foldLength, foldPaddingOperand, foldResult, foldStep, isFold } from "./fold.ts";
import { checkNode } from "./infer.ts";
import type { TensorType } from "./tensor.ts";
import { type NodeAttrs, ReferenceFault, type RefNode } from "./types.ts";

/** The part of a node that element evaluation needs (a RefNode is one). */
export type ElementNode = Pick<RefNode, "op" | "inputTypes" | "outputs" | "attrs">;

/** Reads element `flatIndex` (row-major) of data input `inputSlot`. */
export type ReadInput = (inputSlot: number, flatIndex: number) => bigint;

export interface ElementRead {
  input: number;
  index: number;
}

/**
 * Map ops: the reads one output element needs, in order. Folds: per step k (1..K) the reads
 * of that step (`steps[k-1]`); s_0 needs none (see fold.ts).
 */
export type ElementDeps = { kind: "map"; reads: ElementRead[] } | { kind: "fold"; steps: ElementRead[][] };

export interface FoldWitness {
  /** s_0 .. s_K */
  states: bigint[];
  /** steps[k-1]: the input elements step k consumes */
  steps: ElementRead[][];
  /** the output element, foldResult(s_K) */
  output: bigint;
}

/** A node for element evaluation from op, input types and (partial) attributes. */
export function elementNode(op: OpName, inputTypes: TensorType[], attrs: NodeAttrs = {}): ElementNode {
  const types = inputTypes.map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
  const c = checkNode(op, types, attrs);
  return { op, inputTypes: types, outputs: c.outputs, attrs: c.attrs };
}

function outIndex(node: ElementNode, flat: number): number[] {
  const shape = node.outputs[0].shape;
  const n = numel(shape);
  if (!Number.isSafeInteger(flat) || flat < 0 || flat >= n)
    throw new RangeError(`${node.op}: output element ${flat} out of range (numel ${n})`);
  return unravel(flat, shape);
}

/** Flat index of the Gather data element an index value selects; faults when out of range. */
function gatherSource(node: ElementNode, o: number[], idxValue: bigint): number {
  const axis = node.attrs.axis as number;
  const data = node.inputTypes[0].shape;
  const ir = node.inputTypes[1].shape.length;
  const dim = BigInt(data[axis]);
  if (idxValue < -dim || idxValue >= dim)
    throw new ReferenceFault(`Gather: index ${idxValue} out of range [-${dim}, ${dim - 1n}] on axis ${axis}`);
  const pos = Number(idxValue < 0n ? idxValue + dim : idxValue);
  const src = [...o.slice(0, axis), pos, ...o.slice(axis + ir)];
  return ravel(src, data);
}

/**
 * Input elements that output element `outputFlatIndex` depends on. Gather's data read depends
 * on the index value, so Gather needs `readInput` to resolve it.
 */
export function elementDependencies(
  node: ElementNode,
  outputFlatIndex: number,
  readInput?: ReadInput,
): ElementDeps {
  const o = outIndex(node, outputFlatIndex);
  const ins = node.inputTypes;
  switch (node.op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Max":
    case "Min":
      return { kind: "map", reads: ins.map((t, i) => ({ input: i, index: broadcastSource(o, t.shape) })) };
    case "Relu":
    case "Abs":
    case "Neg":
    case "Clip":
    case "Cast":
    case "Reshape":
      return { kind: "map", reads: [{ input: 0, index: outputFlatIndex }] };
    case "Transpose": {
      const perm = node.attrs.perm as number[];
      const src = new Array<number>(perm.length);
      for (let i = 0; i < perm.length; i++) src[perm[i]] = o[i];
      return { kind: "map", reads: [{ input: 0, index: ravel(src, ins[0].shape) }] };
    }
    case "Pad": {
      // No read at all where the output is the padding constant.
      const begins = node.attrs.begins as number[];
      const src = o.map((v, d) => v - begins[d]);
      if (src.some((c, d) => c < 0 || c >= ins[0].shape[d])) return { kind: "map", reads: [] };
      return { kind: "map", reads: [{ input: 0, index: ravel(src, ins[0].shape) }] };
    }
    case "Tile":
      return {
        kind: "map",
        reads: [
          {
            input: 0,
            index: ravel(
              o.map((v, d) => v % ins[0].shape[d]),
              ins[0].shape,
            ),
          },
        ],
      };
    case "Concat": {
      // The input whose stretch of the axis holds o[axis], at o[axis] minus the stretch's start.
      const axis = node.attrs.axis as number;
      let at = o[axis];
      for (let k = 0; k < ins.length; k++) {
        const dim = ins[k].shape[axis];
        if (at < dim) {
          const src = [...o];
          src[axis] = at;
          return { kind: "map", reads: [{ input: k, index: ravel(src, ins[k].shape) }] };
        }
        at -= dim;
      }
      throw new Error("Concat: unreachable (output index checked)");
    }
    case "Slice": {
      const starts = node.attrs.starts as number[];
      const steps = node.attrs.steps as number[];
      const off = o.length - ins[0].shape.length;
      const src = ins[0].shape.map((_, j) => starts[j + off] + steps[j + off] * o[j + off]);
      return { kind: "map", reads: [{ input: 0, index: ravel(src, ins[0].shape) }] };
    }
    case "Gather": {
      if (!readInput)
        throw new TypeError("Gather: the data element depends on the index value; pass readInput");
      const axis = node.attrs.axis as number;
      const ir = ins[1].shape.length;
      const idxFlat = ravel(o.slice(axis, axis + ir), ins[1].shape);
      const v = readInput(1, idxFlat);
      return {
        kind: "map",
        reads: [
          { input: 1, index: idxFlat },
          { input: 0, index: gatherSource(node, o, v) },
        ],
      };
    }
    case "MatMulInteger": {
      const a = ins[0].shape;
      const b = ins[1].shape;
      const K = a[a.length - 1];
      const batch = o.slice(0, o.length - 2);
      const i = o[o.length - 2];
      const j = o[o.length - 1];
      const bBatch = b.length === 2 ? [] : batch;
      const steps: ElementRead[][] = [];
      for (let k = 0; k < K; k++)
        steps.push([
          { input: 0, index: ravel([...batch, i, k], a) },
          { input: 1, index: ravel([...bBatch, k, j], b) },
        ]);
      return { kind: "fold", steps };
    }
    case "ConvInteger": {
      // Step k: input channel c of the group and kernel position t, (c, t) = k-1 row-major; x and
      // w are read, or nothing where the position is padding (the term is 0 there).
      const { strides, dilations, begins } = node.attrs as Required<NodeAttrs>;
      const group = node.attrs.group ?? 1;
      const x = ins[0].shape;
      const w = ins[1].shape;
      const kernel = w.slice(2);
      const taps = kernel.reduce((p, k) => p * k, 1);
      const g = Math.floor(o[1] / (w[0] / group));
      const steps: ElementRead[][] = [];
      for (let c = 0; c < w[1]; c++)
        for (let t = 0; t < taps; t++) {
          const j = unravel(t, kernel);
          const pos = kernel.map((_, d) => o[2 + d] * strides[d] - begins[d] + j[d] * dilations[d]);
          const inside = pos.every((p, d) => p >= 0 && p < x[2 + d]);
          steps.push(
            inside
              ? [
                  { input: 0, index: ravel([o[0], g * w[1] + c, ...pos], x) },
                  { input: 1, index: ravel([o[1], c, ...j], w) },
                ]
              : [],
          );
        }
      return { kind: "fold", steps };
    }
    case "MaxPool": {
      // Step k reads kernel position k-1 (row-major over the kernel), or nothing where that
      // position lies in the padding.
      const { kernel, strides, dilations, begins } = node.attrs as Required<NodeAttrs>;
      const x = ins[0].shape;
      const steps: ElementRead[][] = [];
      const K = kernel.reduce((p, k) => p * k, 1);
      for (let w = 0; w < K; w++) {
        const j = unravel(w, kernel);
        const src = [
          o[0],
          o[1],
          ...kernel.map((_, d) => o[2 + d] * strides[d] - begins[d] + j[d] * dilations[d]),
        ];
        const inside = src.every((p, d) => p >= 0 && p < x[d]);
        steps.push(inside ? [{ input: 0, index: ravel(src, x) }] : []);
      }
      return { kind: "fold", steps };
    }
    case "ReduceMax":
    case "ArgMax": {
      const x = ins[0].shape;
      const axis = node.attrs.axis as number;
      const base = node.attrs.keepdims ? [...o] : [...o.slice(0, axis), 0, ...o.slice(axis)];
      const steps: ElementRead[][] = [];
      for (let k = 0; k < x[axis]; k++) {
        base[axis] = k;
        steps.push([{ input: 0, index: ravel(base, x) }]);
      }
      return { kind: "fold", steps };
    }
  }
  throw new TypeError(`unknown op ${node.op}`);
}

function wrapTo(v: bigint, dtype: number): bigint {
  const d = dtypeByCode(dtype);
  return d.signed ? BigInt.asIntN(d.bytes * 8, v) : BigInt.asUintN(d.bytes * 8, v);
}

function readChecked(node: ElementNode, readInput: ReadInput, r: ElementRead): bigint {
  const v = readInput(r.input, r.index);
  const d = dtypeByCode(node.inputTypes[r.input].dtype);
  if (typeof v !== "bigint" || v < d.min || v > d.max)
    throw new RangeError(`${node.op}: input ${r.input}[${r.index}] = ${v} is not a ${d.name}`);
  return v;
}

/** The fold chain of one output element: every partial state and the reads of every step. */
export function foldWitness(node: ElementNode, outputFlatIndex: number, readInput: ReadInput): FoldWitness {
  if (!isFold(node)) throw new TypeError(`${node.op} is not a fold op`);
  const deps = elementDependencies(node, outputFlatIndex) as { kind: "fold"; steps: ElementRead[][] };
  const states = [foldInitial(node)];
  for (let k = 1; k <= deps.steps.length; k++) {
    const [ra, rb] = deps.steps[k - 1];
    // A step in the padding reads nothing: its operand leaves the state unchanged.
    const a = ra ? readChecked(node, readInput, ra) : foldPaddingOperand(node);
    const b = rb ? readChecked(node, readInput, rb) : node.op === "ConvInteger" ? 0n : undefined;
    states.push(foldStep(node, k, states[k - 1], a, b));
  }
  if (states.length !== foldLength(node) + 1) throw new Error("fold length mismatch");
  return { states, steps: deps.steps, output: foldResult(node, states[states.length - 1]) };
}

/** One output element computed from single input elements (bigint, exact). */
export function evalElement(node: ElementNode, outputFlatIndex: number, readInput: ReadInput): bigint {
  if (isFold(node)) return foldWitness(node, outputFlatIndex, readInput).output;
  const deps = elementDependencies(node, outputFlatIndex, readInput);
  if (deps.kind !== "map") throw new Error("unreachable");
  const v = deps.reads.map((r) => readChecked(node, readInput, r));
  const outType = node.outputs[0].dtype;
  switch (node.op) {
    case "Add":
      return wrapTo(v[0] + v[1], outType);
    case "Sub":
      return wrapTo(v[0] - v[1], outType);
    case "Mul":
      return wrapTo(v[0] * v[1], outType);
    case "Div": {
      if (v[1] === 0n) throw new ReferenceFault("Div: division by zero");
      const d = dtypeByCode(outType);
      if ((d.code === DType.int32 || d.code === DType.int64) && v[0] === d.min && v[1] === -1n)
        throw new ReferenceFault(`Div: ${d.name} INT_MIN / -1 overflows`);
      return wrapTo(v[0] / v[1], outType); // bigint division truncates toward zero
    }
    case "Max":
      return v.reduce((m, x) => (x > m ? x : m));
    case "Min":
      return v.reduce((m, x) => (x < m ? x : m));
    case "Relu":
      return v[0] > 0n ? v[0] : 0n;
    case "Abs":
      return wrapTo(v[0] < 0n ? -v[0] : v[0], outType);
    case "Neg":
      return wrapTo(-v[0], outType);
    case "Clip": {
      const lo = node.attrs.min as bigint;
      const hi = node.attrs.max as bigint;
      const t = v[0] < lo ? lo : v[0];
      return t > hi ? hi : t;
    }
    case "Cast":
      return wrapTo(v[0], outType);
    case "Reshape":
    case "Transpose":
    case "Slice":
    case "Concat":
    case "Tile":
      return v[0];
    case "Pad":
      return v.length === 0 ? (node.attrs.value as bigint) : v[0];
    case "Gather":
      return v[1];
  }
  throw new TypeError(`unknown op ${node.op}`);
}
