/**
 * The binary encodings the batch challenge (contracts/src/BatchChallenge.sol, docs/rollup.md 8c)
 * reads on chain, one definition each; test/vectors/fault-proof.json pins them for Solidity.
 *
 *   record bytes   acct/<addr>       balance u256 BE (32) || nonce u64 BE (8)           40 bytes
 *                  l1/deposit/<id>, l1/request/<id>   0x01                                1 byte
 *                  any other record  0xff || utf8(canonical JSON)   (binary layout planned with
 *                                    the one-steps of the txs that write them)
 *   state leaf     valueHash = sha256(record bytes)  (the state tree, sequencer/state/smt.ts)
 *
 *   tx bytes       transfer   0x01 || from 20 || nonce u64 8 || fee u256 32 || to 20 || amount 32 || sig 65
 *                  withdraw   0x02 || from 20 || nonce 8 || fee 32 || l1Recipient 20 || amount 32 || sig 65
 *                  deposit    0x81 || depositId u256 32 || recipient 20 || amount 32
 *                  any other  0xff || utf8(JSON.stringify(encodeTx(tx)))   (no one-step yet)
 *   tx leaf        sha256(tx bytes)
 *   batch txRoot   protocol/merkle.ts root over the tx leaves of every block of the batch, in order
 *                  (32 zero bytes when the batch has no tx)
 *
 *   step commitment  C = sha256(stateRoot || messageChain), messageChain = 0 at the batch start,
 *                    sha256(messageChain || messageLeaf) for every L2 -> L1 message in tx order.
 *                    C_0 = (previous batch's stateRoot, 0); C_n = (batch stateRoot, chain of the
 *                    leaves under the batch's withdrawalRoot).
 */
import { concatBytes, fromHex, toHex, u8 } from "../../protocol/bytes.ts";
import { merkleRoot, ZERO32 } from "../../protocol/merkle.ts";
import { sha256 } from "../../protocol/sha256.ts";
import { encodeTx, type Hex, type Tx } from "../../protocol/tx.ts";
import { type Account, encodeRecord, type StateRecord } from "../state/records.ts";

export const TX_TRANSFER = 0x01;
export const TX_WITHDRAW = 0x02;
export const TX_DEPOSIT = 0x81;
export const TX_OPAQUE = 0xff;
export const RECORD_SEEN = 0x01;
export const RECORD_OPAQUE = 0xff;

const enc = new TextEncoder();

export function u256(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError(`${v} does not fit in uint256`);
  return fromHex(v.toString(16).padStart(64, "0"));
}

export function u64(v: number | bigint): Uint8Array {
  const b = BigInt(v);
  if (b < 0n || b >= 1n << 64n) throw new RangeError(`${v} does not fit in uint64`);
  return fromHex(b.toString(16).padStart(16, "0"));
}

function addr(a: string): Uint8Array {
  const b = fromHex(a);
  if (b.length !== 20) throw new RangeError(`address must be 20 bytes, got ${b.length}`);
  return b;
}

export function accountBytes(a: Account): Uint8Array {
  return concatBytes(u256(a.balance), u64(a.nonce));
}

/** The bytes the state tree commits for the record at `key` (its leaf's valueHash preimage). */
export function recordBytes(key: string, r: StateRecord): Uint8Array {
  if (key.startsWith("acct/")) return accountBytes(r as Account);
  if (key.startsWith("l1/")) return u8(RECORD_SEEN);
  return concatBytes(u8(RECORD_OPAQUE), enc.encode(encodeRecord(key, r)));
}

export function recordValueHash(key: string, r: StateRecord): Uint8Array {
  return sha256(recordBytes(key, r));
}

export function txBytes(tx: Tx): Uint8Array {
  switch (tx.type) {
    case "transfer":
      return concatBytes(
        u8(TX_TRANSFER),
        addr(tx.from),
        u64(tx.nonce),
        u256(tx.fee),
        addr(tx.to),
        u256(tx.amount),
        sig65(tx.signature),
      );
    case "withdraw":
      return concatBytes(
        u8(TX_WITHDRAW),
        addr(tx.from),
        u64(tx.nonce),
        u256(tx.fee),
        addr(tx.l1Recipient),
        u256(tx.amount),
        sig65(tx.signature),
      );
    case "deposit":
      return concatBytes(u8(TX_DEPOSIT), u256(tx.depositId), addr(tx.recipient), u256(tx.amount));
    default:
      return concatBytes(u8(TX_OPAQUE), enc.encode(JSON.stringify(encodeTx(tx))));
  }
}

function sig65(s: Hex): Uint8Array {
  const b = fromHex(s);
  if (b.length !== 65) throw new RangeError(`signature must be 65 bytes, got ${b.length}`);
  return b;
}

export function txLeaf(tx: Tx): Uint8Array {
  return sha256(txBytes(tx));
}

export function txRootOf(leaves: readonly Uint8Array[]): Uint8Array {
  return leaves.length === 0 ? ZERO32 : merkleRoot([...leaves]);
}

export function nextMessageChain(chain: Uint8Array, leaf: Uint8Array): Uint8Array {
  return sha256(concatBytes(chain, leaf));
}

export function messageChainOf(leaves: readonly Uint8Array[]): Uint8Array {
  let c: Uint8Array = ZERO32;
  for (const l of leaves) c = nextMessageChain(c, l);
  return c;
}

export function stepCommitment(stateRoot: Uint8Array, messageChain: Uint8Array): Hex {
  return toHex(sha256(concatBytes(stateRoot, messageChain)));
}
