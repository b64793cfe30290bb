/**
 * Tensor root (docs/commitments.md, "Tensor root"): the tensor's little-endian bytes are cut
 * into 1024-byte chunks (the last one zero-padded), each chunk is hashed, a Merkle tree over the
 * chunk hashes gives the data root, and the tensor root binds it to dtype and shape:
 *
 *   tensorRoot = sha256(0x54 || u8 dtype || u8 rank || u32 dim[0..rank) || dataRoot)
 *
 * The data is hashed in place (no copy); only a partial last chunk is copied to pad it.
 */
import {
  asBytes,
  type DTypeInfo,
  dtypeByCode,
  merkleLevels,
  merkleRoot,
  merkleRootsMany,
  sha256,
  ZERO32,
} from "../../protocol/index.ts";
import { CHUNK, type ChunkHasher, defaultHasher, hashPartsParallel } from "../native/index.ts";

export { CHUNK };

export const TENSOR_TAG = 0x54;
const MAX_U32 = 0xffffffff;

/** A tensor as ONNX Runtime hands it over: dtype code, shape, little-endian element data. */
export interface TensorData {
  dtype: number;
  shape: readonly number[];
  data: ArrayBufferView;
}

export interface CommitOptions {
  /** Chunk hasher to use instead of the process default (benchmarks, cross-checks). */
  hasher?: ChunkHasher;
}

/** Validates dtype and shape and returns the element count; throws a RangeError naming the problem. */
export function checkShape(dtype: number, shape: readonly number[]): { info: DTypeInfo; numel: number } {
  const info = dtypeByCode(dtype);
  if (!Array.isArray(shape)) throw new TypeError("shape must be an array of dimensions");
  if (shape.length > 0xff) throw new RangeError(`rank ${shape.length} exceeds 255`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > MAX_U32)
      throw new RangeError(`shape [${shape.join(", ")}]: dimension ${d} is not a u32`);
    n *= d;
  }
  if (n === 0)
    throw new RangeError(`shape [${shape.join(", ")}] has no elements; profile tensors have numel >= 1`);
  if (!Number.isSafeInteger(n * info.bytes))
    throw new RangeError(`shape [${shape.join(", ")}] is too large to address in bytes`);
  return { info, numel: n };
}

/** Number of 1024-byte chunks of a tensor of this dtype and shape. */
export function chunkCount(dtype: number, shape: readonly number[]): number {
  const { info, numel } = checkShape(dtype, shape);
  return Math.ceil((numel * info.bytes) / CHUNK);
}

/** 0x54 || u8 dtype || u8 rank || u32 dims..., the prefix of the tensor root preimage. */
export function tensorHeader(dtype: number, shape: readonly number[]): Uint8Array {
  return tensorPreimage(dtype, shape, ZERO32).subarray(0, 3 + 4 * shape.length);
}

/** header || dataRoot in one buffer (the hot path builds it without intermediate arrays). */
function tensorPreimage(dtype: number, shape: readonly number[], dataRoot: Uint8Array): Uint8Array {
  checkShape(dtype, shape);
  const out = new Uint8Array(3 + 4 * shape.length + 32);
  out[0] = TENSOR_TAG;
  out[1] = dtype;
  out[2] = shape.length;
  for (let i = 0, at = 3; i < shape.length; i++, at += 4) {
    const d = shape[i]; // u32 big-endian (checkShape bounds it)
    out[at] = d >>> 24;
    out[at + 1] = d >>> 16;
    out[at + 2] = d >>> 8;
    out[at + 3] = d;
  }
  out.set(dataRoot, 3 + 4 * shape.length);
  return out;
}

/** tensorRoot from the data root: sha256(header || dataRoot). */
export function tensorRootFromDataRoot(
  dtype: number,
  shape: readonly number[],
  dataRoot: Uint8Array,
): Uint8Array {
  if (!(dataRoot instanceof Uint8Array) || dataRoot.length !== 32)
    throw new RangeError(`data root must be 32 bytes, got ${dataRoot?.length}`);
  return sha256(tensorPreimage(dtype, shape, dataRoot));
}

/** Checks data against dtype/shape and returns its bytes (a view, no copy). */
export function tensorBytes(dtype: number, shape: readonly number[], data: ArrayBufferView): Uint8Array {
  const { info, numel } = checkShape(dtype, shape);
  if (!ArrayBuffer.isView(data)) throw new TypeError("tensor data must be a typed array or DataView");
  const expected = numel * info.bytes;
  if (data.byteLength !== expected)
    throw new RangeError(
      `tensor data has ${data.byteLength} bytes, but ${info.name}[${shape.join(", ")}] needs ${expected}`,
    );
  return asBytes(data);
}

/**
 * The hashing plan for several tensors' bytes: whole chunks as views (read in place), and each
 * tensor's partial last chunk copied, zero-padded, into one scratch buffer.
 */
function chunkParts(byteArrays: readonly Uint8Array[]): {
  parts: Uint8Array[];
  counts: number[];
  total: number;
} {
  const parts: Uint8Array[] = [];
  const counts: number[] = [];
  let tails = 0;
  for (const b of byteArrays) {
    if (b.length === 0) throw new RangeError("a tensor has at least one byte");
    if (b.length % CHUNK !== 0) tails++;
  }
  const tailBuf = new Uint8Array(tails * CHUNK);
  let tailAt = 0;
  let total = 0;
  for (const b of byteArrays) {
    const full = b.length - (b.length % CHUNK);
    if (full > 0) parts.push(b.subarray(0, full));
    if (full < b.length) {
      const tail = tailBuf.subarray(tailAt, tailAt + CHUNK);
      tail.set(b.subarray(full));
      parts.push(tail);
      tailAt += CHUNK;
    }
    const n = Math.ceil(b.length / CHUNK);
    counts.push(n);
    total += n;
  }
  return { parts, counts, total };
}

function splitLeaves(leaves: Uint8Array, counts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const n of counts) {
    out.push(leaves.subarray(32 * at, 32 * (at + n)));
    at += n;
  }
  return out;
}

/**
 * Chunk hashes (the Merkle leaves of each data root) of several tensors' bytes, in one hashing
 * call so that small tensors share SIMD passes.
 */
export function chunkLeavesMany(byteArrays: readonly Uint8Array[], opts: CommitOptions = {}): Uint8Array[] {
  const { parts, counts, total } = chunkParts(byteArrays);
  const leaves = new Uint8Array(32 * total);
  (opts.hasher ?? defaultHasher).hashParts(parts, leaves);
  return splitLeaves(leaves, counts);
}

/** Concatenated sha256 of every chunk of `bytes` (the Merkle leaves of the data root). */
export function chunkLeaves(bytes: Uint8Array, opts: CommitOptions = {}): Uint8Array {
  return chunkLeavesMany([bytes], opts)[0];
}

/** The tensor root, computed as cheaply as possible (the hot path: nothing kept for openings). */
export function tensorRoot(
  dtype: number,
  shape: readonly number[],
  data: ArrayBufferView,
  opts: CommitOptions = {},
): Uint8Array {
  // One tree: merkleRoot hashes the levels in place, merkleRootsMany would copy them.
  return tensorRootFromDataRoot(dtype, shape, merkleRoot(chunkLeaves(tensorBytes(dtype, shape, data), opts)));
}

/** Roots of many tensors, their chunks hashed together (faster than one tensorRoot each for small tensors). */
export function tensorRoots(tensors: readonly TensorData[], opts: CommitOptions = {}): Uint8Array[] {
  const leaves = chunkLeavesMany(
    tensors.map((t) => tensorBytes(t.dtype, t.shape, t.data)),
    opts,
  );
  const dataRoots = merkleRootsMany(leaves);
  return tensors.map((t, i) => tensorRootFromDataRoot(t.dtype, t.shape, dataRoots[i]));
}

/**
 * tensorRoots with the chunk hashing split over several thread-pool threads (hashPartsParallel):
 * lower latency for big tensors when cores are free, same per-core rate. The tensors' buffers
 * must not be transferred before the promise settles.
 */
export async function tensorRootsParallel(
  tensors: readonly TensorData[],
  opts: CommitOptions & { threads?: number } = {},
): Promise<Uint8Array[]> {
  const { parts, counts, total } = chunkParts(tensors.map((t) => tensorBytes(t.dtype, t.shape, t.data)));
  const leaves = new Uint8Array(32 * total);
  await hashPartsParallel(parts, leaves, { hasher: opts.hasher, threads: opts.threads });
  const dataRoots = merkleRootsMany(splitLeaves(leaves, counts));
  return tensors.map((t, i) => tensorRootFromDataRoot(t.dtype, t.shape, dataRoots[i]));
}

/**
 * A tensor root together with its chunk hashes, for opening chunks later (the chunk tree's inner
 * levels are built on the first opening). It keeps a reference to the tensor's data, not a copy:
 * the caller must not mutate the data afterwards.
 */
export class TensorCommitment {
  readonly dtype: number;
  readonly shape: readonly number[];
  readonly root: Uint8Array;
  readonly dataRoot: Uint8Array;
  readonly chunkCount: number;
  /** Concatenated sha256 of every chunk: the leaves of the chunk tree. */
  readonly leaves: Uint8Array;
  readonly bytes: Uint8Array;
  #levels: Uint8Array[] | null = null;

  private constructor(
    dtype: number,
    shape: readonly number[],
    bytes: Uint8Array,
    leaves: Uint8Array,
    dataRoot: Uint8Array,
  ) {
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.bytes = bytes;
    this.leaves = leaves;
    this.chunkCount = leaves.length / 32;
    this.dataRoot = dataRoot;
    this.root = tensorRootFromDataRoot(dtype, shape, dataRoot);
  }

  static build(t: TensorData, opts: CommitOptions = {}): TensorCommitment {
    return TensorCommitment.buildMany([t], opts)[0];
  }

  /** Commitments of many tensors, their chunks hashed together. Errors name the tensor's position. */
  static buildMany(tensors: readonly TensorData[], opts: CommitOptions = {}): TensorCommitment[] {
    const bytes = tensors.map((t, i) => {
      try {
        return tensorBytes(t.dtype, t.shape, t.data);
      } catch (err) {
        if (tensors.length === 1) throw err;
        throw new RangeError(`tensor ${i}: ${err instanceof Error ? err.message : err}`, { cause: err });
      }
    });
    const leaves = chunkLeavesMany(bytes, opts);
    const dataRoots = merkleRootsMany(leaves);
    return tensors.map((t, i) => new TensorCommitment(t.dtype, t.shape, bytes[i], leaves[i], dataRoots[i]));
  }

  /** The chunk tree, levels[0] = leaves, last = data root (protocol/merkle.ts), built once on demand. */
  get levels(): Uint8Array[] {
    this.#levels ??= merkleLevels(this.leaves);
    return this.#levels;
  }

  /** Chunk `index` as committed: CHUNK bytes, the last one zero-padded (always a fresh copy). */
  chunk(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount)
      throw new RangeError(`chunk index ${index} out of range [0, ${this.chunkCount})`);
    const out = new Uint8Array(CHUNK);
    out.set(this.bytes.subarray(index * CHUNK, Math.min((index + 1) * CHUNK, this.bytes.length)));
    return out;
  }
}
