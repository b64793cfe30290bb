/**
 * L2 -> L1 withdrawals as committed in a batch's withdrawalRoot and proven on the Bridge
 * (contracts/src/lib/Commitments.sol `withdrawalLeaf`, Bridge.proveWithdrawal):
 *   leaf = sha256(0x57 || recipient (20 bytes) || amount (u256 BE) || l2TxHash (32 bytes))
 *   withdrawalRoot = MerkleRoot(leaf[0], ..., leaf[n-1])   (protocol/merkle.ts; 0x00*32 when n = 0)
 */
import { concatBytes, fromHex, toHex } from "./bytes.ts";
import { merkleLevels, merkleProof, ZERO32 } from "./merkle.ts";
import { sha256 } from "./sha256.ts";

export interface Withdrawal {
  recipient: `0x${string}`;
  amount: bigint;
  l2TxHash: `0x${string}`;
}

export interface WithdrawalProof {
  leafIndex: number;
  leafCount: number;
  proof: `0x${string}`[];
}

const TAG_WITHDRAWAL = 0x57;

function u256be(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`u256 out of range: ${v}`);
  return fromHex(v.toString(16).padStart(64, "0"));
}

export function withdrawalLeaf(w: Withdrawal): Uint8Array {
  const recipient = fromHex(w.recipient);
  if (recipient.length !== 20) throw new RangeError(`recipient must be 20 bytes, got ${recipient.length}`);
  const txHash = fromHex(w.l2TxHash);
  if (txHash.length !== 32) throw new RangeError(`l2TxHash must be 32 bytes, got ${txHash.length}`);
  return sha256(concatBytes(Uint8Array.of(TAG_WITHDRAWAL), recipient, u256be(w.amount), txHash));
}

/** The withdrawal tree of one batch: its root and a proof for each withdrawal, in order. */
export class WithdrawalTree {
  readonly withdrawals: readonly Withdrawal[];
  readonly root: Uint8Array;
  private readonly levels: Uint8Array[] | undefined;

  constructor(withdrawals: readonly Withdrawal[]) {
    this.withdrawals = withdrawals;
    if (withdrawals.length === 0) {
      this.levels = undefined;
      this.root = ZERO32;
      return;
    }
    this.levels = merkleLevels(concatBytes(...withdrawals.map(withdrawalLeaf)));
    this.root = this.levels[this.levels.length - 1].slice(0, 32);
  }

  get rootHex(): `0x${string}` {
    return toHex(this.root);
  }

  proof(index: number): WithdrawalProof {
    if (!this.levels) throw new RangeError("a batch without withdrawals has no proofs");
    return {
      leafIndex: index,
      leafCount: this.withdrawals.length,
      proof: merkleProof(this.levels, index).map(toHex),
    };
  }
}
