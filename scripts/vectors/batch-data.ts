/**
 * Test vectors for batch data's tx section (sequencer/batch-data.ts): the txRoot and txCount
 * Bridge.postBatch computes over it (Commitments.batchTxRootOf), for sections of 0 to 9 txs of
 * varied lengths (an empty tx's bytes included) with a body after them, and data whose section
 * does not frame, which both sides refuse. test/unit/bridge/batch-data-vectors.test.ts runs them
 * through the contract.
 */
import { concatBytes, toHex, u32be } from "../../protocol/bytes.ts";
import { BATCH_DATA_VERSION, batchDataHash, batchDataTxRoot } from "../../sequencer/batch-data.ts";
import { pseudoRandomBytes } from "./prng.ts";

export function batchDataVectors() {
  const section = (seed: number, lengths: number[]) =>
    concatBytes(
      Uint8Array.of(BATCH_DATA_VERSION),
      u32be(lengths.length),
      ...lengths.flatMap((n, i) => [u32be(n), pseudoRandomBytes(n, seed * 100 + i)]),
    );
  const body = (seed: number, n: number) => pseudoRandomBytes(n, seed);
  const framed: { what: string; data: Uint8Array }[] = [
    { what: "no tx, no body", data: section(1, []) },
    { what: "no tx, a body", data: concatBytes(section(2, []), body(3, 40)) },
    { what: "one tx", data: concatBytes(section(4, [178]), body(5, 10)) },
    { what: "one empty tx", data: section(6, [0]) },
    { what: "two txs", data: concatBytes(section(7, [1, 300]), body(8, 1)) },
    { what: "three txs (an odd level)", data: concatBytes(section(9, [93, 0, 166]), body(10, 200)) },
    { what: "five txs", data: section(11, [178, 178, 85, 137, 118]) },
    { what: "eight txs", data: concatBytes(section(12, [10, 20, 30, 40, 50, 60, 70, 80]), body(13, 7)) },
    { what: "nine txs", data: section(14, [9, 8, 7, 6, 5, 4, 3, 2, 1]) },
  ];
  const bad: { what: string; data: Uint8Array }[] = [
    { what: "empty", data: new Uint8Array(0) },
    { what: "4 bytes: no tx count", data: Uint8Array.of(BATCH_DATA_VERSION, 0, 0, 0) },
    { what: "another version", data: concatBytes(Uint8Array.of(0x02), section(15, [3]).subarray(1)) },
    {
      what: "a count past the end",
      data: concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(2), u32be(1), Uint8Array.of(7)),
    },
    {
      what: "a huge count",
      data: concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(0xffffffff), u32be(0)),
    },
    {
      what: "a length past the end",
      data: concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(1), u32be(5), Uint8Array.of(1, 2, 3, 4)),
    },
    {
      what: "a length cut short",
      data: concatBytes(Uint8Array.of(BATCH_DATA_VERSION), u32be(1), Uint8Array.of(0, 0)),
    },
  ];
  return {
    batches: framed.map(({ what, data }) => ({
      what,
      txData: toHex(data),
      ...batchDataTxRoot(data),
      txDataHash: batchDataHash(data),
    })),
    refused: bad.map(({ what, data }) => ({ what, txData: toHex(data) })),
  };
}
