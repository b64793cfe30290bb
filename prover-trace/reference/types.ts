/**
 * The resolved node form the reference interpreter executes: canonical op, data inputs only
 * (constant parameters folded into `attrs`, exactly as node descriptors fold them,
 * docs/commitments.md), static input and output types.
 */
import type { DTypeCode } from "../../protocol/dtype.ts";
import type { Interval } from "../profile/interval.ts";
import type { OpName } from "../profile/opcodes.ts";
import type { Tensor, TensorType } from "./tensor.ts";

/**
 * Normalised attributes of a canonical op. Which fields an op uses:
 * Clip: min, max (inclusive bounds, defaults = dtype range); Cast: to; Gather: axis;
 * Reshape: shape (resolved target, no 0 or -1); Transpose: perm;
 * MatMulInteger: aZeroPoint, bZeroPoint (default 0); ReduceMax/ArgMax: axis, keepdims;
 * Slice: shape (output), starts, steps (per output axis; 0, 0 on axes left of the input rank).
 * Axes are non-negative once normalised.
 */
export interface NodeAttrs {
  min?: bigint;
  max?: bigint;
  to?: DTypeCode;
  axis?: number;
  shape?: number[];
  perm?: number[];
  aZeroPoint?: bigint;
  bZeroPoint?: bigint;
  keepdims?: boolean;
  /** Slice (strided view; also Expand): per output axis, the first input coordinate and the step. */
  starts?: number[];
  steps?: number[];
  /**
   * Pad: per axis, how far the input starts inside the output (negative: cropped). MaxPool:
   * per spatial axis, the padding before the input (>= 0).
   */
  begins?: number[];
  /** MaxPool, per spatial axis: window size, stride and dilation (`shape` is the output shape). */
  kernel?: number[];
  /** ConvInteger: channel groups (its strides, dilations, begins as MaxPool's; kernel from W). */
  group?: number;
  strides?: number[];
  dilations?: number[];
  /** Pad: the constant outside the input. */
  value?: bigint;
}

/** Where a data input comes from; kinds and numbering as `inputRef` in docs/commitments.md. */
export interface InputRef {
  /** 0 graph input, 1 data initializer (canonical first-use order), 2 node output. */
  kind: 0 | 1 | 2;
  index: number;
  slot: number;
}

export interface RefNode {
  index: number;
  name: string;
  /** The ONNX op type in the file (Squeeze, Flatten, ... before canonicalisation). */
  onnxOp: string;
  op: OpName;
  inputs: InputRef[];
  inputTypes: TensorType[];
  outputs: TensorType[];
  attrs: NodeAttrs;
}

export interface RefModel {
  /** `interval`: the declared value range of a profile model's input (absent: the whole dtype). */
  inputs: (TensorType & { name: string; interval?: Interval })[];
  /** Data initializers in canonical order (first use). */
  initializers: (Tensor & { name: string })[];
  nodes: RefNode[];
  outputs: { name: string; ref: InputRef }[];
}

/** A model is outside what the interpreter can execute (bad op, attribute, type or shape). */
export class ResolveError extends Error {
  override name = "ResolveError";
}

/** An input that a profile model can never receive (the validator excludes these by construction). */
export class ReferenceFault extends Error {
  override name = "ReferenceFault";
}

/** runModel got inputs that do not match the model's declared inputs. */
export class ModelInputError extends Error {
  override name = "ModelInputError";
}
