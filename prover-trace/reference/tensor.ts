/**
 * Whole tensors as the reference interpreter sees them: a profile dtype, a static shape and the
 * element data in a typed array (the same little-endian layout ORT returns and the commitments
 * hash). Element reads for the single-element paths are bigint so every dtype is exact.
 */
import { type DTypeCode, dtypeByCode, numel } from "../../protocol/dtype.ts";
import { allocTensorData } from "../onnx/io.ts";
import type { TensorData } from "../onnx/ir.ts";

export interface TensorType {
  dtype: DTypeCode;
  shape: number[];
}

export interface Tensor extends TensorType {
  data: TensorData;
}

/** The typed array class that holds each profile dtype (ORT's layout). */
export const TYPED_ARRAY_NAME: Readonly<Record<number, string>> = {
  2: "Uint8Array",
  3: "Int8Array",
  6: "Int32Array",
  7: "BigInt64Array",
};

export function allocTensor(dtype: DTypeCode, shape: readonly number[]): Tensor {
  return { dtype, shape: [...shape], data: allocTensorData(dtype, numel(shape)) };
}

/** A tensor from plain values; each value is wrapped into the dtype (two's complement). */
export function tensorOf(
  dtype: DTypeCode,
  shape: readonly number[],
  values: ArrayLike<number | bigint>,
): Tensor {
  const t = allocTensor(dtype, shape);
  if (values.length !== t.data.length)
    throw new RangeError(
      `${values.length} values for shape [${shape.join(",")}] (${t.data.length} elements)`,
    );
  for (let i = 0; i < values.length; i++) writeElement(t, i, BigInt(values[i]));
  return t;
}

export function readElement(t: { data: TensorData }, flat: number): bigint {
  const v = t.data[flat];
  if (v === undefined) throw new RangeError(`element ${flat} out of range (numel ${t.data.length})`);
  return typeof v === "bigint" ? v : BigInt(v);
}

/** Stores `v` wrapped into the tensor's dtype. */
export function writeElement(t: Tensor, flat: number, v: bigint): void {
  const d = dtypeByCode(t.dtype);
  const w = d.signed ? BigInt.asIntN(d.bytes * 8, v) : BigInt.asUintN(d.bytes * 8, v);
  if (t.data instanceof BigInt64Array) t.data[flat] = w;
  else t.data[flat] = Number(w);
}

export function typeString(t: TensorType): string {
  return `${dtypeByCode(t.dtype).name}[${t.shape.join(",")}]`;
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return (
    a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])
  );
}
