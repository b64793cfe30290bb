/**
 * Chunk openings: one 1024-byte chunk of a committed tensor with its Merkle proof against the
 * data root. The verifier knows dtype and shape (hence the chunk count and the proof depth)
 * from the commitment being opened, so an opening cannot be replayed at another depth.
 */
import { bytesEqual, merkleProof, rootFromProof, sha256, treeDepth } from "../../protocol/index.ts";
import { CHUNK, checkShape, type TensorCommitment, tensorRootFromDataRoot } from "../commit/tensor.ts";
import { chunkOfElement, readElement } from "./element.ts";

export interface ChunkOpening {
  chunkIndex: number;
  /** Exactly CHUNK bytes; the last chunk of a tensor is zero-padded. */
  chunk: Uint8Array;
  /** Siblings bottom-up, depth = ceil(log2(chunkCount)) entries of 32 bytes. */
  proof: Uint8Array[];
}

export function openChunk(commitment: TensorCommitment, chunkIndex: number): ChunkOpening {
  const chunk = commitment.chunk(chunkIndex); // range-checks the index
  return { chunkIndex, chunk, proof: merkleProof(commitment.levels, chunkIndex) };
}

/**
 * True when `opening` is chunk `opening.chunkIndex` of the tensor with this root, dtype and shape.
 * Any malformed opening (wrong types, index out of range, wrong proof length, non-zero padding
 * in the last chunk) is `false`; an invalid dtype or shape is a caller error and throws.
 */
export function verifyChunkOpening(
  tensorRoot: Uint8Array,
  dtype: number,
  shape: readonly number[],
  opening: ChunkOpening,
): boolean {
  const { info, numel } = checkShape(dtype, shape);
  if (!(tensorRoot instanceof Uint8Array) || tensorRoot.length !== 32) return false;
  if (typeof opening !== "object" || opening === null) return false;
  const { chunkIndex, chunk, proof } = opening;
  const byteLength = numel * info.bytes;
  const count = Math.ceil(byteLength / CHUNK);
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= count) return false;
  if (!(chunk instanceof Uint8Array) || chunk.length !== CHUNK) return false;
  if (!Array.isArray(proof) || proof.length !== treeDepth(count)) return false;
  for (const s of proof) if (!(s instanceof Uint8Array) || s.length !== 32) return false;
  // The committed last chunk is zero-padded; anything else is not an opening of it.
  const used = Math.min(CHUNK, byteLength - chunkIndex * CHUNK);
  for (let i = used; i < CHUNK; i++) if (chunk[i] !== 0) return false;
  // The proof has exactly the depth the chunk count fixes, so the root it yields is a data root.
  const dataRoot = rootFromProof(sha256(chunk), chunkIndex, proof);
  return bytesEqual(tensorRootFromDataRoot(dtype, shape, dataRoot), tensorRoot);
}

export interface ElementOpening {
  flatIndex: number;
  /** Byte offset of the element in opening.chunk. */
  offset: number;
  value: bigint;
  opening: ChunkOpening;
}

/** Opens the chunk holding element `flatIndex` and reads the element from it. */
export function openElement(commitment: TensorCommitment, flatIndex: number): ElementOpening {
  const { chunkIndex, offset } = chunkOfElement(commitment.dtype, flatIndex, commitment.shape);
  const opening = openChunk(commitment, chunkIndex);
  return { flatIndex, offset, value: readElement(commitment.dtype, opening.chunk, offset), opening };
}

/**
 * True when `e` proves that element e.flatIndex of the tensor with this root is e.value.
 * Malformed openings are `false`; an invalid dtype or shape throws.
 */
export function verifyElementOpening(
  tensorRoot: Uint8Array,
  dtype: number,
  shape: readonly number[],
  e: ElementOpening,
): boolean {
  checkShape(dtype, shape);
  if (typeof e !== "object" || e === null || typeof e.value !== "bigint") return false;
  let loc: { chunkIndex: number; offset: number };
  try {
    loc = chunkOfElement(dtype, e.flatIndex, shape);
  } catch {
    return false;
  }
  if (loc.offset !== e.offset || e.opening?.chunkIndex !== loc.chunkIndex) return false;
  if (!verifyChunkOpening(tensorRoot, dtype, shape, e.opening)) return false;
  return readElement(dtype, e.opening.chunk, loc.offset) === e.value;
}
