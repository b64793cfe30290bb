/**
 * The state tree: a sparse Merkle tree over 256-bit paths with single-leaf subtrees collapsed
 * (a subtree holding one leaf is that leaf's hash wherever it sits), so an update costs about
 * log2(records) hashes instead of 256.
 *
 *   path(key)    = sha256(utf8(key))
 *   leafHash     = sha256(0x53 || path || sha256(record bytes))     65-byte preimage (recordBytes:
 *                  sequencer/fault-proof/encoding.ts, binary so the batch challenge decodes it)
 *   inner node   = sha256(left || right)                                     protocol/merkle.ts rule
 *   empty subtree = 32 zero bytes
 *
 * Leaf and inner preimages differ in length, so one can never pose as the other. Updates mark
 * the path dirty; root() rehashes only dirty nodes (once per block, however many txs touched a
 * record). Proofs list the siblings from the root down to where the key's path ends: at its leaf
 * (membership), at an empty subtree, or at another key's leaf (non-membership).
 */
import { hashInto } from "@chainsafe/hashtree";
import { bytesEqual, concatBytes, fromHex, toHex } from "../../protocol/bytes.ts";
import { ZERO32 } from "../../protocol/merkle.ts";
import { sha256 } from "../../protocol/sha256.ts";

interface Leaf {
  leaf: true;
  path: Uint8Array;
  valueHash: Uint8Array;
  hash: Uint8Array;
}
interface Inner {
  leaf: false;
  left: Node | null;
  right: Node | null;
  hash: Uint8Array | null;
}
type Node = Leaf | Inner;

const LEAF_TAG = Uint8Array.of(0x53);
const enc = new TextEncoder();

const pathCache = new Map<string, Uint8Array>();
export function keyPath(key: string): Uint8Array {
  let p = pathCache.get(key);
  if (!p) {
    p = sha256(enc.encode(key));
    if (pathCache.size > 2_000_000) pathCache.clear();
    pathCache.set(key, p);
  }
  return p;
}
/** sha256 of a value's bytes (a string is taken as its UTF-8 bytes). State records commit their
 * binary encoding (sequencer/fault-proof/encoding.ts `recordBytes`). */
export function valueHash(value: string | Uint8Array): Uint8Array {
  return sha256(typeof value === "string" ? enc.encode(value) : value);
}
export function leafHash(path: Uint8Array, vh: Uint8Array): Uint8Array {
  return sha256(concatBytes(LEAF_TAG, path, vh));
}

function bit(path: Uint8Array, depth: number): number {
  return (path[depth >> 3] >> (7 - (depth & 7))) & 1;
}

function makeLeaf(path: Uint8Array, vh: Uint8Array): Leaf {
  return { leaf: true, path, valueHash: vh, hash: leafHash(path, vh) };
}

export interface StateProof {
  key: string;
  /** Sibling hashes from the root downwards. */
  siblings: `0x${string}`[];
  /** The leaf where the path ends, if any: the key's own (membership) or another key's. */
  leaf: { path: `0x${string}`; valueHash: `0x${string}` } | null;
}

export class SparseMerkleTree {
  private root: Node | null = null;
  size = 0;

  /** Insert or replace the value hash at `key`. */
  set(key: string, vh: Uint8Array): void {
    const path = keyPath(key);
    this.root = this.insert(this.root, path, vh, 0);
  }

  private insert(node: Node | null, path: Uint8Array, vh: Uint8Array, depth: number): Node {
    if (node === null) {
      this.size++;
      return makeLeaf(path, vh);
    }
    if (node.leaf) {
      if (bytesEqual(node.path, path)) return makeLeaf(path, vh);
      // Split: push the existing leaf one level down and insert beside it.
      const inner: Inner = { leaf: false, left: null, right: null, hash: null };
      if (bit(node.path, depth) === 0) inner.left = node;
      else inner.right = node;
      return this.insert(inner, path, vh, depth);
    }
    node.hash = null;
    if (depth >= 256) throw new Error("sparse Merkle tree: path collision");
    if (bit(path, depth) === 0) node.left = this.insert(node.left, path, vh, depth + 1);
    else node.right = this.insert(node.right, path, vh, depth + 1);
    return node;
  }

  rootHash(): Uint8Array {
    return this.root ? hashOf(this.root) : ZERO32;
  }

  proof(key: string): StateProof {
    const path = keyPath(key);
    const siblings: `0x${string}`[] = [];
    let node = this.root;
    let depth = 0;
    while (node && !node.leaf) {
      const b = bit(path, depth);
      const sib = b === 0 ? node.right : node.left;
      siblings.push(toHex(sib ? hashOf(sib) : ZERO32));
      node = b === 0 ? node.left : node.right;
      depth++;
    }
    return {
      key,
      siblings,
      leaf: node ? { path: toHex(node.path), valueHash: toHex(node.valueHash) } : null,
    };
  }
}

/** sha256(left || right) through hashtree's native one-block path (~5x node:crypto per call). */
const pair = new Uint8Array(64);
function innerHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  pair.set(l, 0);
  pair.set(r, 32);
  const out = new Uint8Array(32);
  hashInto(pair, out);
  return out;
}

function hashOf(n: Node): Uint8Array {
  if (n.leaf) return n.hash;
  if (n.hash === null)
    n.hash = innerHash(n.left ? hashOf(n.left) : ZERO32, n.right ? hashOf(n.right) : ZERO32);
  return n.hash;
}

/**
 * Verify a proof against `root`. `canonical` is the record's bytes (`recordBytes`) for a
 * membership proof, or null to prove the key is absent. Returns false on any mismatch.
 */
export function verifyStateProof(
  root: Uint8Array,
  proof: StateProof,
  canonical: string | Uint8Array | null,
): boolean {
  const path = keyPath(proof.key);
  let node: Uint8Array;
  if (canonical !== null) {
    if (!proof.leaf || proof.leaf.path !== toHex(path)) return false;
    if (proof.leaf.valueHash !== toHex(valueHash(canonical))) return false;
    node = leafHash(path, valueHash(canonical));
  } else if (proof.leaf) {
    const other = fromHex(proof.leaf.path);
    if (bytesEqual(other, path)) return false;
    node = leafHash(other, fromHex(proof.leaf.valueHash));
  } else node = ZERO32;
  for (let d = proof.siblings.length - 1; d >= 0; d--) {
    const sib = fromHex(proof.siblings[d]);
    node = bit(path, d) === 0 ? innerHash(node, sib) : innerHash(sib, node);
  }
  return bytesEqual(node, root);
}
