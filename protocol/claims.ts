/**
 * A batch's claims tree (issue 18, attack 6; docs/dispute-game.md "The challenge window on L1"):
 * the claim keys (EIP-712 digests, Bridge.claimDigest) of the claims the batch's blocks submitted
 * (submitResult txs that were applied), in block then tx order.
 *
 *   leaf      = sha256(0x43 || claimKey)      (Bridge.claimLeaf)
 *   claimsRoot = MerkleRoot(leaf[0], ..., leaf[n-1])   (protocol/merkle.ts; n >= 1)
 *
 * The sequencer records the root on L1 (Bridge.recordBatchClaims) after the batch; a claim in it
 * is disputable until recordedAt + challengeWindow, and a dispute opened later is ended, won by
 * the claimer, with a proof from this tree (DisputeGame.proveClaimFinal). A batch without claims
 * has no tree and is not recorded.
 */
import { concatBytes, fromHex, toHex } from "./bytes.ts";
import { merkleLevels, merkleProof } from "./merkle.ts";
import { sha256 } from "./sha256.ts";

const TAG_CLAIM = 0x43;

type Hex = `0x${string}`;

export interface ClaimProof {
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

export function claimLeaf(claimKey: Hex): Uint8Array {
  const key = fromHex(claimKey);
  if (key.length !== 32) throw new RangeError(`claimKey must be 32 bytes, got ${key.length}`);
  return sha256(concatBytes(Uint8Array.of(TAG_CLAIM), key));
}

/** The claims tree of one batch: its root and a proof for each claim key, in order. */
export class ClaimsTree {
  readonly claimKeys: readonly Hex[];
  readonly root: Uint8Array;
  private readonly levels: Uint8Array[];

  constructor(claimKeys: readonly Hex[]) {
    if (claimKeys.length === 0) throw new RangeError("a batch without claims has no claims tree");
    this.claimKeys = claimKeys.map((k) => k.toLowerCase() as Hex);
    this.levels = merkleLevels(concatBytes(...claimKeys.map(claimLeaf)));
    this.root = this.levels[this.levels.length - 1].slice(0, 32);
  }

  get rootHex(): Hex {
    return toHex(this.root);
  }

  /** The proof for the first occurrence of `claimKey`, or null when the tree does not hold it. */
  proofOf(claimKey: Hex): ClaimProof | null {
    const i = this.claimKeys.indexOf(claimKey.toLowerCase() as Hex);
    return i < 0 ? null : this.proof(i);
  }

  proof(index: number): ClaimProof {
    if (!Number.isInteger(index) || index < 0 || index >= this.claimKeys.length)
      throw new RangeError(`claim index ${index} out of range [0, ${this.claimKeys.length})`);
    return {
      leafIndex: index,
      leafCount: this.claimKeys.length,
      proof: merkleProof(this.levels, index).map(toHex),
    };
  }
}
