/**
 * L2 blocks: header fields, the header hash the sequencer signs, and the roots a header commits
 * to. All roots use protocol/merkle.ts; an empty list's root is 32 zero bytes.
 *
 *   blockHash      = sha256(0x42 || u64 number || parentHash || u64 timestamp
 *                           || u64 l1OriginNumber || l1OriginHash || txRoot || stateRoot || withdrawalRoot)
 *   txRoot         = MerkleRoot(txHash[0..n))                      (txHash = EIP-712 digest)
 *   withdrawalRoot = MerkleRoot(messageLeaf...) over the block's L2 -> L1 messages (withdrawals
 *                    and L1 request results) in tx order (leaves: protocol/withdrawal.ts, the same
 *                    the L1 bridge checks)
 */
import { concatBytes, fromHex, toHex } from "../protocol/bytes.ts";
import { merkleRoot, ZERO32 } from "../protocol/merkle.ts";
import { type Address, recoverAddress, signDigest } from "../protocol/secp256k1.ts";
import { sha256 } from "../protocol/sha256.ts";
import type { Hex } from "../protocol/tx.ts";

export interface BlockHeader {
  number: number;
  parentHash: Hex;
  timestamp: number;
  l1OriginNumber: number;
  l1OriginHash: Hex;
  txRoot: Hex;
  stateRoot: Hex;
  withdrawalRoot: Hex;
}

export interface SignedHeader extends BlockHeader {
  hash: Hex;
  sequencer: Address;
  signature: Hex;
}

export interface Receipt {
  txHash: Hex;
  blockNumber: number;
  index: number;
  events: { kind: string; [k: string]: unknown }[];
  withdrawal: { recipient: Address; amount: string; l2TxHash: Hex } | null;
  /** Present when the tx finalized an L1 request: the result it sends to L1. */
  result?: { requestId: string; claimKey: Hex; outputRoot: Hex; outputCid: Hex };
}

/** A block as stored and gossiped: header, txs in JSON form, receipts. */
export interface Block {
  header: SignedHeader;
  txs: Record<string, unknown>[];
  receipts: Receipt[];
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

export function headerHash(h: BlockHeader): Uint8Array {
  return sha256(
    concatBytes(
      Uint8Array.of(0x42),
      u64(h.number),
      fromHex(h.parentHash),
      u64(h.timestamp),
      u64(h.l1OriginNumber),
      fromHex(h.l1OriginHash),
      fromHex(h.txRoot),
      fromHex(h.stateRoot),
      fromHex(h.withdrawalRoot),
    ),
  );
}

export function signHeader(h: BlockHeader, privateKey: Uint8Array, sequencer: Address): SignedHeader {
  const d = headerHash(h);
  return { ...h, hash: toHex(d), sequencer, signature: toHex(signDigest(d, privateKey)) };
}

/** Check a header's hash and that `expected` signed it; throws naming the problem. */
export function verifyHeader(h: SignedHeader, expected: Address): void {
  const d = headerHash(h);
  if (toHex(d) !== h.hash) throw new Error(`block ${h.number}: hash ${h.hash} does not match its header`);
  const signer = recoverAddress(d, fromHex(h.signature));
  if (signer !== expected)
    throw new Error(`block ${h.number}: signed by ${signer}, expected sequencer ${expected}`);
}

export function listRoot(hashes: Uint8Array[]): Hex {
  return toHex(hashes.length === 0 ? ZERO32 : merkleRoot(hashes));
}

export const ZERO_HASH = toHex(ZERO32);
