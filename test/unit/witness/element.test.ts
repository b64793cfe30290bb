import t from "tap";
import { DType } from "../../../protocol/index.ts";
import { chunkOfElement, readElement } from "../../../prover-trace/witness/element.ts";

t.test("chunkOfElement follows the spec for every dtype", async (t) => {
  t.same(chunkOfElement(DType.uint8, 0), { chunkIndex: 0, offset: 0 });
  t.same(chunkOfElement(DType.uint8, 1023), { chunkIndex: 0, offset: 1023 });
  t.same(chunkOfElement(DType.int8, 1024), { chunkIndex: 1, offset: 0 });
  t.same(chunkOfElement(DType.int32, 255), { chunkIndex: 0, offset: 1020 });
  t.same(chunkOfElement(DType.int32, 256), { chunkIndex: 1, offset: 0 });
  t.same(chunkOfElement(DType.int32, 1000), { chunkIndex: 3, offset: 928 });
  t.same(chunkOfElement(DType.int64, 127), { chunkIndex: 0, offset: 1016 });
  t.same(chunkOfElement(DType.int64, 129), { chunkIndex: 1, offset: 8 });
  t.same(chunkOfElement(DType.int32, 99, [10, 10]), { chunkIndex: 0, offset: 396 });
});

t.test("chunkOfElement rejects bad indices", async (t) => {
  t.throws(() => chunkOfElement(DType.int32, -1), /not a non-negative integer/);
  t.throws(() => chunkOfElement(DType.int32, 1.5), /not a non-negative integer/);
  t.throws(() => chunkOfElement(DType.int32, Number.NaN), /not a non-negative integer/);
  t.throws(() => chunkOfElement(DType.int32, "3" as unknown as number), /not a non-negative integer/);
  t.throws(() => chunkOfElement(DType.int32, 2 ** 53), /not a non-negative integer/);
  t.throws(() => chunkOfElement(DType.int64, 2 ** 51), /too large/);
  t.throws(() => chunkOfElement(DType.int32, 100, [10, 10]), /out of range \[0, 100\)/);
  t.throws(() => chunkOfElement(9, 0), /not in the integer profile/);
});

t.test("readElement is little-endian and sign-extends signed types", async (t) => {
  const chunk = new Uint8Array(1024);
  chunk.set([0xff, 0x80, 0, 0, 0x78, 0x56, 0x34, 0x12], 0);
  chunk.set([0, 0, 0, 0, 0, 0, 0, 0x80], 1016);
  t.equal(readElement(DType.uint8, chunk, 0), 255n);
  t.equal(readElement(DType.int8, chunk, 0), -1n);
  t.equal(readElement(DType.int8, chunk, 1), -128n);
  t.equal(readElement(DType.int32, chunk, 0), 0x80ffn);
  t.equal(readElement(DType.int32, chunk, 4), 0x12345678n);
  t.equal(readElement(DType.int64, chunk, 0), 0x12345678_000080ffn);
  t.equal(readElement(DType.int64, chunk, 1016), -(2n ** 63n));
  chunk.fill(0xff, 1020);
  t.equal(readElement(DType.int32, chunk, 1020), -1n);
});

t.test("readElement rejects misaligned or out-of-chunk offsets", async (t) => {
  const chunk = new Uint8Array(1024);
  t.throws(() => readElement(DType.int32, chunk, 2), /not an aligned int32 position/);
  t.throws(() => readElement(DType.int32, chunk, 1024), /not an aligned/);
  t.throws(() => readElement(DType.int64, chunk, 1020), /not an aligned/);
  t.throws(() => readElement(DType.uint8, chunk, -1), /not an aligned/);
  t.throws(() => readElement(DType.uint8, chunk, 0.5), /not an aligned/);
  t.throws(() => readElement(DType.int8, [1, 2] as unknown as Uint8Array, 0), TypeError);
  t.throws(() => readElement(1, chunk, 0), /not in the integer profile/);
});
