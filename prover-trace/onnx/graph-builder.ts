/**
 * A small fluent builder for ONNX graphs, used by the model builder and by tests that need
 * single-op models. Names are generated deterministically so the same calls give the same bytes.
 */
import { DTYPES, type DTypeName, numel } from "../../protocol/dtype.ts";
import { inputRangeEntry } from "../profile/input-range.ts";
import { allocTensorData } from "./io.ts";
import type { IrAttr, IrModel, IrNode, IrTensor, IrValueInfo, TensorData } from "./ir.ts";

export const PROFILE_OPSET = 17;
export const PROFILE_IR_VERSION = 8;
/** ONNX TensorProto.DataType FLOAT. */
export const FLOAT32 = 1;

export type AttrInput = number | bigint | number[] | bigint[] | string | IrAttr;

function toAttr(v: AttrInput): IrAttr {
  if (typeof v === "number" || typeof v === "bigint") return { type: "int", value: BigInt(v) };
  if (typeof v === "string") return { type: "string", value: v };
  if (Array.isArray(v)) return { type: "ints", value: (v as (number | bigint)[]).map((x) => BigInt(x)) };
  return v;
}

export function tensorFrom(
  name: string,
  dtype: DTypeName,
  shape: number[],
  values: ArrayLike<number | bigint> | TensorData,
): IrTensor {
  const code = DTYPES[dtype].code;
  const n = numel(shape);
  if (values.length !== n)
    throw new RangeError(`tensor ${name}: ${values.length} values for shape [${shape}]`);
  const data = allocTensorData(code, n);
  if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) data[i] = BigInt(values[i]);
  else for (let i = 0; i < n; i++) (data as Int32Array)[i] = Number(values[i]);
  return { name, dtype: code, shape: [...shape], data };
}

export class GraphBuilder {
  private readonly inputs: IrValueInfo[] = [];
  private readonly outputs: IrValueInfo[] = [];
  private readonly initializers: IrTensor[] = [];
  private readonly nodes: IrNode[] = [];
  private readonly metadata: { key: string; value: string }[] = [];
  private counter = 0;
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dtype: DTypeName, shape: number[]): string {
    this.inputs.push({ name, dtype: DTYPES[dtype].code, shape: [...shape] });
    return name;
  }

  /**
   * Declares that graph input `name` only holds values in [lo, hi] (docs/profile.md, "Graph input
   * ranges"): a metadata entry of the file, so the model id commits to it.
   */
  inputRange(name: string, lo: bigint | number, hi: bigint | number): void {
    this.metadata.push(inputRangeEntry(name, lo, hi));
  }

  /** A constant; returns its name. */
  constant(
    dtype: DTypeName,
    shape: number[],
    values: ArrayLike<number | bigint> | TensorData,
    name?: string,
  ): string {
    const t = tensorFrom(name ?? this.fresh("const"), dtype, shape, values);
    this.initializers.push(t);
    return t.name;
  }

  /** A float32 constant (float models only: the llama2.c converter, the importer's tests). */
  floatConstant(shape: number[], values: ArrayLike<number>, name?: string): string {
    const n = numel(shape);
    if (values.length !== n)
      throw new RangeError(`float tensor: ${values.length} values for shape [${shape}]`);
    const t: IrTensor = {
      name: name ?? this.fresh("const"),
      dtype: FLOAT32,
      shape: [...shape],
      data: null,
      floatData: Float32Array.from(values),
    };
    this.initializers.push(t);
    return t.name;
  }

  /** A graph input or output of a float32 tensor (float models only). */
  floatInput(name: string, shape: number[]): string {
    this.inputs.push({ name, dtype: FLOAT32, shape: [...shape] });
    return name;
  }

  floatOutput(name: string, shape: number[] | null = null): void {
    this.outputs.push({ name, dtype: FLOAT32, shape: shape ? [...shape] : null });
  }

  scalar(dtype: DTypeName, value: number | bigint, name?: string): string {
    return this.constant(dtype, [], [value], name);
  }

  /** Adds a node with one output; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, outputName?: string): string {
    return this.opN(opType, inputs, 1, attrs, outputName ? [outputName] : undefined)[0];
  }

  opN(
    opType: string,
    inputs: string[],
    outputCount: number,
    attrs: Record<string, AttrInput> = {},
    outputNames?: string[],
  ): string[] {
    const base = this.fresh(opType.toLowerCase());
    const outputs =
      outputNames ??
      Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? base : `${base}_${i}`));
    const a: Record<string, IrAttr> = {};
    for (const [k, v] of Object.entries(attrs)) a[k] = toAttr(v);
    this.nodes.push({ name: base, opType, domain: "", inputs, outputs, attrs: a });
    return outputs;
  }

  output(name: string, dtype: DTypeName, shape: number[] | null = null): void {
    this.outputs.push({ name, dtype: DTYPES[dtype].code, shape: shape ? [...shape] : null });
  }

  build(): IrModel {
    return {
      irVersion: PROFILE_IR_VERSION,
      producerName: "verdict",
      opsetImports: [{ domain: "", version: PROFILE_OPSET }],
      ...(this.metadata.length > 0 ? { metadata: this.metadata.map((e) => ({ ...e })) } : {}),
      graph: {
        name: this.name,
        inputs: [...this.inputs],
        outputs: [...this.outputs],
        initializers: [...this.initializers],
        nodes: [...this.nodes],
        valueInfo: [],
      },
    };
  }
}
