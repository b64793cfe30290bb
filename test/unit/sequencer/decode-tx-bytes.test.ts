/**
 * decodeTxBytes (sequencer/fault-proof/decode-tx-bytes.ts): tx bytes read back into their tx, for
 * every tx kind (the vectors' txLeaves and the derived kinds they lack), and bytes that encode no
 * tx refused by name: a reader of a batch's tx section and the one-step must agree on which steps
 * encode a tx.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { concatBytes, fromHex, toHex } from "../../../protocol/bytes.ts";
import { decodeTx, encodeTx, type Hex, type Tx } from "../../../protocol/tx.ts";
import { decodeTxBytes } from "../../../sequencer/fault-proof/decode-tx-bytes.ts";
import { forcedData, TIMED_TX_KINDS, txBytes } from "../../../sequencer/fault-proof/encoding.ts";

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/fault-proof.json"), "utf8"),
) as {
  txLeaves: { blockTime: number; tx: Record<string, unknown>; bytes: Hex }[];
};

const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Hex;
const h32 = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const transfer = decodeTx(vectors.txLeaves[0].tx) as Tx & { type: "transfer" };
const derived: Tx[] = [
  { type: "forcedTx", inboxIndex: 7n, sender: addr(5), data: toHex(forcedData(transfer)) },
  { type: "forcedTx", inboxIndex: 8n, sender: addr(6), data: "0x0102" },
  { type: "modelRegistered", inboxIndex: 3n, modelId: h32(9), registrant: addr(7), cid: "0x01551220aa" },
  {
    type: "l1InferenceRequest",
    inboxIndex: 4n,
    requestId: 2n,
    requester: addr(8),
    modelId: h32(9),
    inputRoot: h32(10),
    inputCid: "0x0155",
    escrow: 10n ** 18n,
    deadline: 1_700_000_100_000,
  },
  { type: "workerStake", inboxIndex: 5n, worker: addr(11), seq: 3n, active: 10n ** 18n, unbonding: 0n },
  { type: "workerStake", worker: addr(11), seq: 4n, active: 5n, unbonding: 1n },
];

t.test("every kind reads back to its tx and its block time", async (t) => {
  const cases: { tx: Tx; blockTime: number }[] = [
    ...vectors.txLeaves.map((v) => ({ tx: decodeTx(v.tx), blockTime: v.blockTime })),
    ...derived.map((tx) => ({ tx, blockTime: 1_700_000_000_000 })),
  ];
  const kinds = new Set<number>();
  for (const { tx, blockTime } of cases) {
    const bytes = txBytes(tx, blockTime);
    kinds.add(bytes[0]);
    const forced = tx.type === "forcedTx" ? tx.inboxIndex : 0n;
    const d = decodeTxBytes(bytes, forced);
    t.same(encodeTx(d.tx), encodeTx(tx), `${tx.type} (0x${bytes[0].toString(16)}): the same tx`);
    t.equal(d.blockTime, TIMED_TX_KINDS.includes(bytes[0]) ? blockTime : null, `${tx.type}: its block time`);
  }
  t.same(
    [...kinds].sort((a, b) => a - b),
    [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88],
    "every tx kind is covered",
  );
});

t.test("bytes that encode no tx are refused by name", async (t) => {
  const transferBytes = txBytes(transfer, 0);
  const postJob = vectors.txLeaves.find((v) => v.tx.type === "postJob") as { bytes: Hex };
  const resolved = vectors.txLeaves.find((v) => v.tx.type === "disputeResolved") as { bytes: Hex };
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /empty/],
    ["a kind no tx has", Uint8Array.of(0x10, 1, 2), /no tx (kind|encoding)|not a user tx/],
    ["the old JSON form", concatBytes(Uint8Array.of(0xff), new TextEncoder().encode("{}")), /no tx kind/],
    ["a transfer a byte short", transferBytes.subarray(0, 177), /178/],
    ["a transfer a byte long", concatBytes(transferBytes, Uint8Array.of(0)), /178/],
    ["a timed kind with no block time", Uint8Array.of(0x04, 0, 0), /no block time/],
    ["a deposit cut short", Uint8Array.of(0x81, 1, 2, 3), /cut/],
  ];
  const late = fromHex(postJob.bytes);
  new DataView(late.buffer).setBigUint64(1, 2n ** 53n);
  cases.push(["a block time past 2^53 - 1", late, /past 2\^53 - 1/]);
  const won2 = fromHex(resolved.bytes);
  won2[won2.length - 1] = 2;
  cases.push(["a disputeResolved claimerWon byte of 2", won2, /not 0 or 1/]);
  for (const [what, bytes, why] of cases) t.throws(() => decodeTxBytes(bytes), why, what);
});
