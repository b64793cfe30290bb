/**
 * A slash's stake change as the batch commits it (sequencer/fault-proof/encoding.ts txBytes,
 * docs/rollup.md 8c): 0x88 || worker 20 || seq u64 || active u256 || unbonding u256, 93 bytes; no
 * inbox message, no block time; its one-step touches the worker's stake record. And no tx encodes
 * to anything but its binary kind any more (the old 0xff || JSON form is gone): a type with no case
 * throws.
 */
import t from "tap";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import type { Address } from "../../../protocol/secp256k1.ts";
import type { Tx, WorkerStakeTx } from "../../../protocol/tx.ts";
import {
  inboxMessageHash,
  lastTimeAfter,
  TX_WORKER_SLASH,
  TX_WORKER_STAKE,
  txBytes,
} from "../../../sequencer/fault-proof/encoding.ts";
import { touchedKeys } from "../../../sequencer/fault-proof/steps.ts";
import { keys } from "../../../sequencer/state/records.ts";

const worker = `0x${"ab".repeat(19)}cd` as Address;
const slash: WorkerStakeTx = {
  type: "workerStake",
  worker,
  seq: 0x0102030405060708n,
  active: 10n ** 18n,
  unbonding: (1n << 255n) + 7n,
};
const params = { challengeWindowMs: 1000, minFee: 1n, feeRecipient: worker, claimCollateral: 1n };

t.test("a slash's tx bytes: 0x88 || worker || seq u64 || active u256 || unbonding u256", async (t) => {
  const b = txBytes(slash, 1_700_000_000_000);
  t.equal(TX_WORKER_SLASH, 0x88);
  t.equal(b.length, 93, "93 bytes");
  t.equal(b[0], 0x88, "kind 0x88");
  t.equal(toHex(b.subarray(1, 21)), worker, "worker at 1..21");
  t.equal(toHex(b.subarray(21, 29)), "0x0102030405060708", "seq u64 at 21..29");
  t.equal(BigInt(toHex(b.subarray(29, 61))), slash.active, "active u256 at 29..61");
  t.equal(BigInt(toHex(b.subarray(61, 93))), slash.unbonding, "unbonding u256 at 61..93");
  t.same(txBytes(slash, 5), b, "no block time in it");
  t.equal(lastTimeAfter(77, b), 77, "not a timed kind: the last time stays");
  t.equal(inboxMessageHash(slash), null, "no inbox message");
  t.same(
    touchedKeys(slash, params, `0x${"00".repeat(32)}`),
    [keys.stake(worker)],
    "touches its stake record",
  );

  // the queued stake change keeps its own kind: 0x85 || inboxIndex || the same fields
  const queued = txBytes({ ...slash, inboxIndex: 9n }, 0);
  t.equal(queued[0], TX_WORKER_STAKE);
  t.equal(queued.length, 101);
  t.same(queued.subarray(9), b.subarray(1), "the same fields after kind and inboxIndex");
  t.not(inboxMessageHash({ ...slash, inboxIndex: 9n }), null, "a queued one is an inbox message");

  t.throws(() => txBytes({ ...slash, seq: 1n << 64n }, 0), /does not fit in uint64/, "seq past u64");
});

t.test("no tx type falls back to a JSON form: a type with no case throws", async (t) => {
  t.throws(
    () => txBytes({ type: "madeUp", worker } as unknown as Tx, 0),
    /tx type madeUp has no binary encoding/,
  );
  const vectors = JSON.parse(
    (await import("node:fs")).readFileSync(
      new URL("../../vectors/fault-proof.json", import.meta.url),
      "utf8",
    ),
  ) as { txLeaves: { bytes: string }[] };
  t.same(
    vectors.txLeaves.filter((v) => fromHex(v.bytes as `0x${string}`)[0] === 0xff),
    [],
    "no vector tx starts with 0xff",
  );
});
