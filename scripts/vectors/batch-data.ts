/**
 * Test vectors for a batch's data commitment (sequencer/batch-data.ts): txDataHash =
 * sha256(header || sha256(body)) over batch data of several sizes (header only, a body, a large
 * body) and over data shorter than a header, with the opening (header, bodyHash) the batch
 * challenge takes. Commitments.sol reproduces them (test/unit/bridge/batch-data-vectors.test.ts).
 */
import { concatBytes, toHex, u32be } from "../../protocol/bytes.ts";
import { sha256 } from "../../protocol/sha256.ts";
import { BATCH_DATA_VERSION, batchDataHash, batchDataOpening } from "../../sequencer/batch-data.ts";
import { pseudoRandomBytes } from "./prng.ts";

export function batchDataVectors() {
  const header = (seed: number, txCount: number) =>
    concatBytes(Uint8Array.of(BATCH_DATA_VERSION), pseudoRandomBytes(32, seed), u32be(txCount));
  const cases: { what: string; data: Uint8Array }[] = [
    { what: "header only (empty body)", data: header(1, 0) },
    { what: "header and a 1-byte body", data: concatBytes(header(2, 1), pseudoRandomBytes(1, 3)) },
    { what: "header and a 1000-byte body", data: concatBytes(header(4, 1037), pseudoRandomBytes(1000, 5)) },
    {
      what: "header and a 5000-byte body",
      data: concatBytes(header(6, 0xffffffff), pseudoRandomBytes(5000, 7)),
    },
    { what: "1 byte: shorter than a header", data: Uint8Array.of(0x22) },
    { what: "36 bytes: shorter than a header", data: pseudoRandomBytes(36, 8) },
  ];
  return {
    headerBytes: 37,
    batches: cases.map(({ what, data }) => {
      const o = batchDataOpening(data);
      return {
        what,
        txData: toHex(data),
        header: toHex(o.header),
        bodyHash: o.bodyHash,
        txDataHash: batchDataHash(data),
        /** The old commitment, sha256(txData): a reader must not accept it. */
        wholeDataSha256: toHex(sha256(data)),
      };
    }),
  };
}
