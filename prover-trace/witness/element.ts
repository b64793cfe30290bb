/** Where a tensor element lives in its chunks, and how to read it back (little-endian). */
import { dtypeByCode } from "../../protocol/index.ts";
import { CHUNK, checkShape } from "../commit/tensor.ts";

export interface ElementLocation {
  chunkIndex: number;
  /** Byte offset of the element inside its chunk. */
  offset: number;
}

/**
 * Element `flatIndex` (row-major) lives in chunk floor(e*size/CHUNK) at byte (e*size) mod CHUNK.
 * With `shape`, the index is also checked against the tensor's element count.
 */
export function chunkOfElement(dtype: number, flatIndex: number, shape?: readonly number[]): ElementLocation {
  const info = dtypeByCode(dtype);
  if (!Number.isSafeInteger(flatIndex) || flatIndex < 0)
    throw new RangeError(`element index ${flatIndex} is not a non-negative integer`);
  if (shape !== undefined) {
    const { numel } = checkShape(dtype, shape);
    if (flatIndex >= numel) throw new RangeError(`element index ${flatIndex} out of range [0, ${numel})`);
  }
  const byte = flatIndex * info.bytes;
  if (!Number.isSafeInteger(byte)) throw new RangeError(`element index ${flatIndex} is too large`);
  return { chunkIndex: Math.floor(byte / CHUNK), offset: byte % CHUNK };
}

/** The element of `dtype` at byte `offset` of `chunk`, sign-extended for signed types. */
export function readElement(dtype: number, chunk: Uint8Array, offset: number): bigint {
  const info = dtypeByCode(dtype);
  if (!(chunk instanceof Uint8Array)) throw new TypeError("chunk must be a Uint8Array");
  if (
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset % info.bytes !== 0 ||
    offset + info.bytes > chunk.length
  )
    throw new RangeError(
      `offset ${offset} is not an aligned ${info.name} position in a ${chunk.length}-byte chunk`,
    );
  const v = new DataView(chunk.buffer, chunk.byteOffset + offset, info.bytes);
  switch (info.name) {
    case "uint8":
      return BigInt(v.getUint8(0));
    case "int8":
      return BigInt(v.getInt8(0));
    case "int32":
      return BigInt(v.getInt32(0, true));
    case "int64":
      return v.getBigInt64(0, true);
  }
}
