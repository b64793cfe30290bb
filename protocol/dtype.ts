/**
 * Integer element types of the deterministic profile. Codes are ONNX TensorProto.DataType values,
 * so one number names a dtype in ONNX files, commitments and on chain.
 */
export const DType = {
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
} as const;
export type DTypeName = keyof typeof DType;
export type DTypeCode = (typeof DType)[DTypeName];

export interface DTypeInfo {
  name: DTypeName;
  code: DTypeCode;
  bytes: number;
  min: bigint;
  max: bigint;
  signed: boolean;
}

export const DTYPES: Record<DTypeName, DTypeInfo> = {
  uint8: { name: "uint8", code: 2, bytes: 1, min: 0n, max: 255n, signed: false },
  int8: { name: "int8", code: 3, bytes: 1, min: -128n, max: 127n, signed: true },
  int32: { name: "int32", code: 6, bytes: 4, min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  int64: { name: "int64", code: 7, bytes: 8, min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
};

const byCode = new Map<number, DTypeInfo>(Object.values(DTYPES).map((d) => [d.code, d]));

export function dtypeByCode(code: number): DTypeInfo {
  const d = byCode.get(code);
  if (!d)
    throw new Error(`dtype code ${code} is not in the integer profile (uint8=2, int8=3, int32=6, int64=7)`);
  return d;
}

export function isProfileDType(code: number): code is DTypeCode {
  return byCode.has(code);
}

/** Wrap an integer into the dtype's range (two's complement), the profile's overflow rule. */
export function wrap(v: bigint, d: DTypeInfo): bigint {
  return d.signed ? BigInt.asIntN(d.bytes * 8, v) : BigInt.asUintN(d.bytes * 8, v);
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
