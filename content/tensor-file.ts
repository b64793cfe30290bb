/** The HTTP content type of a tensor file: the content API refuses such an upload unless it decodes. */
export const TENSOR_CONTENT_TYPE = "application/vnd.verdict.tensors";

/**
 * The content format of a list of tensors: a job's inputs (committed by inputRoot) and a run's
 * outputs (outputRoot). docs/content.md, "Tensor files":
 *
 *   file   = "VTF1" || u32 count || tensor[0] || ... || tensor[count-1]
 *   tensor = u8 dtype || u8 rank || u32 dim[0] || ... || u32 dim[rank-1] || data
 *   data   = numel * elementSize bytes, little-endian, row-major (as in the tensor root)
 *
 * Integers big-endian as in the commitments. Decoding is strict: a profile dtype, rank <= 8,
 * sizes that fit the bytes present, nothing after the last tensor.
 */
import { u32be } from "../protocol/bytes.ts";
import { dtypeByCode, isProfileDType, numel } from "../protocol/dtype.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import { DEFAULT_LIMITS } from "../prover-trace/profile/validate.ts";

export const TENSOR_FILE_MAGIC = new Uint8Array([0x56, 0x54, 0x46, 0x31]); // "VTF1"
export const MAX_TENSOR_RANK = 8;
/**
 * A trace file holds one tensor per node (every profile node has exactly one output), so the
 * bound is the profile's node limit: an imported LLM has thousands of nodes (stories260K 1,775).
 * Decoding is bounded by the file's bytes anyway (each tensor takes at least 3), this only names
 * the largest count a profile model can need.
 */
export const MAX_TENSORS = DEFAULT_LIMITS.maxNodes;

export class TensorFileError extends Error {
  override name = "TensorFileError";
}

function dataBytes(t: TensorData): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function encodeTensorFile(tensors: readonly TensorData[]): Uint8Array {
  if (tensors.length > MAX_TENSORS)
    throw new TensorFileError(`at most ${MAX_TENSORS} tensors, got ${tensors.length}`);
  let size = 8;
  const data = tensors.map((t, i) => {
    const info = dtypeByCode(t.dtype);
    if (t.shape.length > MAX_TENSOR_RANK)
      throw new TensorFileError(`tensor ${i}: rank ${t.shape.length} > ${MAX_TENSOR_RANK}`);
    const bytes = dataBytes(t);
    if (bytes.length !== numel(t.shape) * info.bytes)
      throw new TensorFileError(
        `tensor ${i}: ${bytes.length} data bytes for shape [${t.shape.join(",")}] of ${info.name}`,
      );
    size += 2 + 4 * t.shape.length + bytes.length;
    return bytes;
  });
  // written in place, not concatenated from parts: a trace has thousands of tensors, more than
  // a spread argument list may hold
  const file = new Uint8Array(size);
  const view = new DataView(file.buffer);
  file.set(TENSOR_FILE_MAGIC, 0);
  view.setUint32(4, tensors.length);
  let o = 8;
  tensors.forEach((t, i) => {
    file[o] = t.dtype;
    file[o + 1] = t.shape.length;
    o += 2;
    for (const d of t.shape) {
      file.set(u32be(d), o);
      o += 4;
    }
    file.set(data[i], o);
    o += data[i].length;
  });
  return file;
}

function typedArray(dtype: number, bytes: Uint8Array): TensorData["data"] {
  // copy into a fresh buffer: the element arrays need aligned storage of their own. Not
  // bytes.slice(): on a Node Buffer (what a content backend may return) that is a view into the
  // shared pool, and .buffer would be the whole pool.
  const b = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 2:
      return new Uint8Array(b);
    case 3:
      return new Int8Array(b);
    case 6:
      return new Int32Array(b);
    default:
      return new BigInt64Array(b);
  }
}

export function decodeTensorFile(file: Uint8Array): TensorData[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let o = 0;
  const need = (n: number, what: string) => {
    if (o + n > file.length)
      throw new TensorFileError(`truncated tensor file: ${what} at byte ${o} needs ${n} bytes`);
  };
  need(8, "header");
  if (!TENSOR_FILE_MAGIC.every((b, i) => file[i] === b))
    throw new TensorFileError("not a tensor file (magic 'VTF1' missing)");
  const count = view.getUint32(4);
  o = 8;
  if (count > MAX_TENSORS)
    throw new TensorFileError(`tensor file declares ${count} tensors, at most ${MAX_TENSORS}`);
  const out: TensorData[] = [];
  for (let i = 0; i < count; i++) {
    need(2, `tensor ${i} header`);
    const dtype = file[o];
    const rank = file[o + 1];
    o += 2;
    if (!isProfileDType(dtype))
      throw new TensorFileError(`tensor ${i}: dtype ${dtype} is not a profile dtype`);
    if (rank > MAX_TENSOR_RANK) throw new TensorFileError(`tensor ${i}: rank ${rank} > ${MAX_TENSOR_RANK}`);
    need(4 * rank, `tensor ${i} shape`);
    const shape: number[] = [];
    for (let k = 0; k < rank; k++) shape.push(view.getUint32(o + 4 * k));
    o += 4 * rank;
    const size = numel(shape) * dtypeByCode(dtype).bytes;
    need(size, `tensor ${i} data [${shape.join(",")}]`);
    out.push({ dtype, shape, data: typedArray(dtype, file.subarray(o, o + size)) });
    o += size;
  }
  if (o !== file.length)
    throw new TensorFileError(`${file.length - o} trailing bytes after ${count} tensors`);
  return out;
}
