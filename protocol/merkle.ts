/**
 * The one binary Merkle tree used by every commitment (chunk trees, trace trees, graph trees,
 * weight and input lists): leaves are 32-byte hashes, the leaf count is padded with zero leaves
 * (32 zero bytes) to the next power of two, and an inner node is sha256(left || right).
 * A tree with one leaf has that leaf as its root and depth 0. Proofs have exactly
 * `depth = log2(paddedWidth)` siblings, bottom-up; verifiers know the leaf count from the
 * commitment being opened, so a proof can never be re-read at another depth.
 */
import { bytesEqual, concatBytes } from "./bytes.ts";
import { hashLevel, sha256 } from "./sha256.ts";

export const ZERO32 = new Uint8Array(32);

/** zeroHashes[k] = root of a subtree of 2^k zero leaves. */
const zeroHashes: Uint8Array[] = [ZERO32];
export function zeroHash(level: number): Uint8Array {
  while (zeroHashes.length <= level) {
    const z = zeroHashes[zeroHashes.length - 1];
    zeroHashes.push(sha256(concatBytes(z, z)));
  }
  return zeroHashes[level];
}

export function treeDepth(leafCount: number): number {
  if (!Number.isInteger(leafCount) || leafCount < 1)
    throw new RangeError(`leaf count must be >= 1, got ${leafCount}`);
  let d = 0;
  while (2 ** d < leafCount) d++; // not 1 << d: that wraps at 2^31 and would never end
  return d;
}

/**
 * All levels of the tree, levels[0] = leaves (concatenated 32-byte hashes), last = root.
 * Odd-length levels are padded with the zero hash of their level, which equals padding the
 * leaves with zero leaves.
 */
export function merkleLevels(leaves: Uint8Array): Uint8Array[] {
  if (leaves.length === 0 || leaves.length % 32 !== 0) {
    throw new RangeError(`leaves must be a non-empty multiple of 32 bytes, got ${leaves.length}`);
  }
  const levels: Uint8Array[] = [leaves];
  let cur = leaves;
  let level = 0;
  while (cur.length > 32) {
    if ((cur.length / 32) % 2 === 1) cur = concatBytes(cur, zeroHash(level));
    cur = hashLevel(cur);
    levels.push(cur);
    level++;
  }
  return levels;
}

export function merkleRoot(leaves: Uint8Array | Uint8Array[]): Uint8Array {
  const flat = Array.isArray(leaves) ? concatBytes(...leaves) : leaves;
  const levels = merkleLevels(flat);
  return levels[levels.length - 1].slice(0, 32);
}

/**
 * Roots of many trees at once, equal to merkleRoot of each. Level by level, the nodes of every
 * tree still above its root go through one hashLevel call, so many small trees (the chunk trees
 * of a trace's tensors) cost a few SIMD passes instead of native calls per level per tree.
 */
export function merkleRootsMany(leafSets: readonly Uint8Array[]): Uint8Array[] {
  let cur = leafSets.map((l) => {
    if (l.length === 0 || l.length % 32 !== 0)
      throw new RangeError(`leaves must be a non-empty multiple of 32 bytes, got ${l.length}`);
    return l;
  });
  for (let level = 0; ; level++) {
    let total = 0;
    for (const c of cur) if (c.length > 32) total += c.length + ((c.length / 32) % 2) * 32;
    if (total === 0) return cur.map((c) => c.slice(0, 32));
    const joined = new Uint8Array(total);
    let at = 0;
    for (const c of cur) {
      if (c.length <= 32) continue;
      joined.set(c, at);
      at += c.length;
      if ((c.length / 32) % 2 === 1) {
        joined.set(zeroHash(level), at);
        at += 32;
      }
    }
    const parents = hashLevel(joined);
    at = 0;
    cur = cur.map((c) => {
      if (c.length <= 32) return c;
      const n = Math.ceil(c.length / 64) * 32;
      const next = parents.subarray(at, at + n);
      at += n;
      return next;
    });
  }
}

/** Siblings of leaf `index`, bottom-up, from precomputed levels. */
export function merkleProof(levels: Uint8Array[], index: number): Uint8Array[] {
  const count = levels[0].length / 32;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`leaf index ${index} out of range [0, ${count})`);
  }
  const depth = treeDepth(count);
  const proof: Uint8Array[] = [];
  let i = index;
  for (let l = 0; l < depth; l++) {
    const lvl = levels[l];
    const sib = i ^ 1;
    proof.push(sib * 32 < lvl.length ? lvl.slice(sib * 32, sib * 32 + 32) : zeroHash(l));
    i >>= 1;
  }
  return proof;
}

export function rootFromProof(leaf: Uint8Array, index: number, proof: Uint8Array[]): Uint8Array {
  let node = leaf;
  let i = index;
  for (const sib of proof) {
    node = i & 1 ? sha256(concatBytes(sib, node)) : sha256(concatBytes(node, sib));
    i >>= 1;
  }
  return node;
}

export function verifyMerkleProof(
  root: Uint8Array,
  leaf: Uint8Array,
  index: number,
  leafCount: number,
  proof: Uint8Array[],
): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) return false;
  if (proof.length !== treeDepth(leafCount)) return false;
  return bytesEqual(rootFromProof(leaf, index, proof), root);
}
