/**
 * Tx bytes (encoding.ts `txBytes`) read back into the tx they encode: how a reader takes a batch's
 * txs from the binary tx section that L1 hashed into the batch's txRoot (sequencer/batch-data.ts),
 * so the txs a reader replays are exactly the ones a challenge can open on chain.
 *
 * A byte string is a tx exactly when it re-encodes to itself: `txBytes(decodeTxBytes(b).tx,
 * blockTime) == b`. User kinds are read as their forced bytes (the block time cut out) by
 * `decodeForcedData`, which decides "encodes a user tx" as BatchStepVerifier does; the derived
 * kinds have fixed layouts (a CID tail where the kind carries one). Anything else throws naming
 * what is wrong: in a batch such a step is refused (the batch is wrong), on chain and here alike.
 *
 * `forcedInboxIndex`: a forced tx's inbox index is not in its bytes (not part of the inbox hash
 * either); the batch data's body carries it beside (batch-data.ts), 0 when a reader has no body.
 */
import { bytesEqual, toHex } from "../../protocol/bytes.ts";
import type { Address } from "../../protocol/secp256k1.ts";
import { decodeTx, encodeTx, type Hex, type Tx } from "../../protocol/tx.ts";
import {
  decodeForcedData,
  TIMED_TX_KINDS,
  TX_DEPOSIT,
  TX_DISPUTE_OPENED,
  TX_DISPUTE_RESOLVED,
  TX_FORCED,
  TX_L1_REQUEST,
  TX_MODEL_REGISTERED,
  TX_WORKER_SLASH,
  TX_WORKER_STAKE,
  txBytes,
} from "./encoding.ts";

export interface DecodedTxBytes {
  tx: Tx;
  /** The block time the bytes carry (ms), null for a kind that carries none. */
  blockTime: number | null;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function decodeTxBytes(bytes: Uint8Array, forcedInboxIndex = 0n): DecodedTxBytes {
  if (bytes.length === 0) throw new Error("tx bytes are empty");
  const kind = bytes[0];
  const timed = TIMED_TX_KINDS.includes(kind);
  if (timed && bytes.length < 9)
    throw new Error(`tx of kind ${kind} is ${bytes.length} bytes: no block time`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blockTime = timed ? safeNumber(view.getBigUint64(1), "block time") : null;
  const tx = kind < 0x80 ? userTx(bytes, timed) : derivedTx(bytes, forcedInboxIndex);
  // one encoding per tx: bytes that would re-encode otherwise are not this tx's bytes
  if (!bytesEqual(txBytes(tx, blockTime ?? 0), bytes))
    throw new Error(`tx of kind ${kind} is not in its canonical encoding`);
  return { tx, blockTime };
}

function userTx(bytes: Uint8Array, timed: boolean): Tx {
  const forced = timed ? new Uint8Array([bytes[0], ...bytes.subarray(9)]) : bytes;
  return decodeForcedData(forced);
}

function derivedTx(b: Uint8Array, forcedInboxIndex: bigint): Tx {
  const kind = b[0];
  let p = 1;
  const take = (n: number) => {
    if (p + n > b.length) throw new Error(`tx of kind ${kind} is cut at byte ${b.length}`);
    const out = b.subarray(p, p + n);
    p += n;
    return out;
  };
  const hex = (n: number) => toHex(take(n)) as Hex;
  const big = (n: number) => BigInt(toHex(take(n)));
  const safe = (n: number, what: string) => safeNumber(big(n), what);
  const rest = () => {
    const out = toHex(b.subarray(p));
    p = b.length;
    return out as Hex;
  };
  /** A stake change's fields, the same after a queued one's inbox index and in a slash. */
  const stake = () => ({ worker: hex(20) as Address, seq: big(8), active: big(32), unbonding: big(32) });
  const end = (tx: Tx): Tx => {
    if (p !== b.length) throw new Error(`tx of kind ${kind} has ${b.length - p} bytes past its end`);
    return decodeTx(encodeTx(tx)); // the wire form's field checks
  };
  switch (kind) {
    case TX_DEPOSIT:
      return end({ type: "deposit", depositId: big(32), recipient: hex(20) as Address, amount: big(32) });
    case TX_FORCED: {
      take(8); // block time, read above
      return end({
        type: "forcedTx",
        inboxIndex: forcedInboxIndex,
        sender: hex(20) as Address,
        data: rest(),
      });
    }
    case TX_MODEL_REGISTERED:
      return end({
        type: "modelRegistered",
        inboxIndex: big(8),
        modelId: hex(32),
        registrant: hex(20) as Address,
        cid: rest(),
      });
    case TX_L1_REQUEST: {
      take(8);
      return end({
        type: "l1InferenceRequest",
        inboxIndex: big(8),
        requestId: big(32),
        requester: hex(20) as Address,
        modelId: hex(32),
        inputRoot: hex(32),
        escrow: big(32),
        deadline: safe(8, "deadline"),
        inputCid: rest(),
      });
    }
    case TX_WORKER_STAKE: {
      const inboxIndex = big(8);
      return end({ type: "workerStake", inboxIndex, ...stake() });
    }
    case TX_WORKER_SLASH:
      // a slash's stake change: no inbox message, so no inboxIndex
      return end({ type: "workerStake", ...stake() });
    case TX_DISPUTE_OPENED:
      return end({
        type: "disputeOpened",
        disputeId: big(32),
        jobId: hex(32),
        claimKey: hex(32),
        claimer: hex(20) as Address,
        challenger: hex(20) as Address,
      });
    case TX_DISPUTE_RESOLVED: {
      const fields = {
        disputeId: big(32),
        jobId: hex(32),
        claimKey: hex(32),
        claimer: hex(20) as Address,
      };
      const won = take(1)[0];
      if (won > 1) throw new Error(`disputeResolved claimerWon byte is ${won}, not 0 or 1`);
      return end({ type: "disputeResolved", ...fields, claimerWon: won === 1 });
    }
    default:
      throw new Error(`tx starts with byte ${kind}: no tx kind`);
  }
}

function safeNumber(v: bigint, what: string): number {
  if (v > MAX_SAFE) throw new Error(`tx ${what} ${v} is past 2^53 - 1`);
  return Number(v);
}
