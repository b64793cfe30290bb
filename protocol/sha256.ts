import { hash } from "node:crypto";
import { hash as hashPairs } from "@chainsafe/hashtree";
import { asBytes } from "./bytes.ts";

/** sha256 of one message (small, variable-length encodings: leaves, descriptors). */
export function sha256(data: Uint8Array): Uint8Array {
  // One-shot crypto.hash: about 3x cheaper than createHash for short messages (tensor headers,
  // trace leaves). Copied into a fresh 32-byte array so callers own their result.
  return new Uint8Array(hash("sha256", data, "buffer"));
}

/**
 * Hash every 64-byte pair of `level` into one 32-byte node: out[i] = sha256(level[64i .. 64i+64]).
 * Uses @chainsafe/hashtree (multi-buffer SIMD), the hot path of every Merkle tree.
 */
export function hashLevel(level: Uint8Array): Uint8Array {
  if (level.length % 64 !== 0)
    throw new RangeError(`hashLevel needs a multiple of 64 bytes, got ${level.length}`);
  if (level.length === 0) return new Uint8Array(0);
  return hashPairs(asBytes(level));
}
