/**
 * In-memory form of an ONNX model: what the loader produces, what the validator, the reference
 * interpreter, the commitments and the model builder all work on, and what the writer serializes.
 * It keeps whatever the file says (float dtypes, unknown ops, dynamic dims) so that the validator
 * can name every offending node instead of the loader failing on the first one.
 */

export type TensorData = Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** A constant tensor. `data` is null when the dtype is outside the integer profile. */
export interface IrTensor {
  name: string;
  /** ONNX TensorProto.DataType code. */
  dtype: number;
  shape: number[];
  data: TensorData | null;
  /**
   * Values of a float32 (dtype 1) tensor: float models are read by the importer and written by
   * the llama2.c converter. Never set on profile tensors (`data` stays null for float ones, so
   * the validator still rejects them by dtype).
   */
  floatData?: Float32Array;
}

export type IrDim = number | string | null;

export interface IrValueInfo {
  name: string;
  /** ONNX TensorProto.DataType code (0 when the file gives none). */
  dtype: number;
  /** number = static dim, string = symbolic dim, null = unknown. */
  shape: IrDim[] | null;
}

export type IrAttr =
  | { type: "int"; value: bigint }
  | { type: "ints"; value: bigint[] }
  | { type: "float"; value: number }
  | { type: "floats"; value: number[] }
  | { type: "string"; value: string }
  | { type: "tensor"; value: IrTensor }
  /**
   * Any other attribute type. For a GRAPH attribute (If's branches, Loop's body) `graphOutputs`
   * keeps the subgraph's declared outputs, so that the validator can still type what a rejected
   * control-flow node produces and name the nodes it feeds.
   */
  | { type: "unsupported"; onnxType: number; graphOutputs?: IrValueInfo[] };

export interface IrNode {
  name: string;
  opType: string;
  domain: string;
  /** "" marks an omitted optional input, as in ONNX. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, IrAttr>;
}

export interface IrGraph {
  name: string;
  inputs: IrValueInfo[];
  outputs: IrValueInfo[];
  initializers: IrTensor[];
  nodes: IrNode[];
  valueInfo: IrValueInfo[];
}

export interface IrModel {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  graph: IrGraph;
  /**
   * ModelProto.metadata_props in file order (absent = none). Part of the file, so the model id
   * commits to it through the file's CID; the validator reads the `verdict.` keys
   * (docs/profile.md, "Graph input ranges") and ignores the others, as ONNX Runtime does.
   */
  metadata?: { key: string; value: string }[];
}

/** The default-domain opset the model imports (0 if none). */
export function defaultOpset(model: IrModel): number {
  const o = model.opsetImports.find((x) => x.domain === "" || x.domain === "ai.onnx");
  return o ? o.version : 0;
}
