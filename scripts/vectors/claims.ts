/**
 * Test vectors for a batch's claims tree (protocol/claims.ts): claim leaves and trees of 1, 2, 3
 * and 5 claim keys with a proof for every leaf. The Bridge reproduces them (Bridge.claimLeaf, and
 * Commitments.verifyProof as Bridge.claimFinalAt uses it).
 */
import { toHex } from "../../protocol/bytes.ts";
import { ClaimsTree, claimLeaf } from "../../protocol/claims.ts";
import { pseudoRandomBytes } from "./prng.ts";

type Hex = `0x${string}`;

const key = (seed: number): Hex => toHex(pseudoRandomBytes(32, 100 + seed));

export function claimVectors() {
  const keys = [0, 1, 2, 3, 4].map(key);
  return {
    spec: "docs/dispute-game.md 'The challenge window on L1'; protocol/claims.ts",
    generator: "scripts/vectors/claims.ts",
    leaves: keys.map((k) => ({ claimKey: k, leaf: toHex(claimLeaf(k)) })),
    trees: [1, 2, 3, 5].map((n) => {
      const tree = new ClaimsTree(keys.slice(0, n));
      return {
        root: tree.rootHex,
        claims: tree.claimKeys.map((k, i) => ({ claimKey: k, leaf: toHex(claimLeaf(k)), ...tree.proof(i) })),
      };
    }),
  };
}
