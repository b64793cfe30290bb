import { createHash } from "node:crypto";
import t from "tap";
import { DType, merkleRoot } from "../../../protocol/index.ts";
import {
  CHUNK,
  chunkCount,
  chunkLeaves,
  TensorCommitment,
  tensorHeader,
  tensorRoot,
  tensorRoots,
  tensorRootsParallel,
} from "../../../prover-trace/commit/tensor.ts";
import { nodeCryptoHasher } from "../../../prover-trace/native/index.ts";

const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

/** The spec written out longhand: pad, hash each chunk, Merkle root, header by hand. */
function referenceRoot(dtype: number, shape: number[], bytes: Uint8Array): Uint8Array {
  const n = Math.ceil(bytes.length / CHUNK);
  const padded = new Uint8Array(n * CHUNK);
  padded.set(bytes);
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < n; i++) leaves.push(sha(padded.subarray(i * CHUNK, (i + 1) * CHUNK)));
  const header = Buffer.alloc(3 + 4 * shape.length);
  header[0] = 0x54;
  header[1] = dtype;
  header[2] = shape.length;
  for (const [i, d] of shape.entries()) header.writeUInt32BE(d, 3 + 4 * i);
  return sha(Buffer.concat([header, merkleRoot(leaves)]));
}

function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const SIZES: Record<number, number> = { 2: 1, 3: 1, 6: 4, 7: 8 };
const SHAPES = [[1], [], [1024], [1025], [4, 256], [3, 5, 7], [16, 1024], [5000], [2, 3, 1000]];

t.test("tensorRoot equals the spec for every dtype and edge shape", async (t) => {
  for (const dtype of Object.values(DType)) {
    for (const shape of SHAPES) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const bytes = pseudoRandom(numel * SIZES[dtype], numel + dtype);
      const want = referenceRoot(dtype, shape, bytes);
      t.same(tensorRoot(dtype, shape, bytes), want, `dtype ${dtype} [${shape}]`);
      t.same(tensorRoot(dtype, shape, bytes, { hasher: nodeCryptoHasher }), want, "node:crypto backend");
      const c = TensorCommitment.build({ dtype, shape, data: bytes });
      t.same(c.root, want, "TensorCommitment.root");
      t.equal(c.chunkCount, chunkCount(dtype, shape));
      t.equal(c.chunkCount, Math.ceil(bytes.length / CHUNK));
    }
  }
});

t.test("tensorRoots and buildMany hash many tensors at once with the same roots", async (t) => {
  const tensors = [1, 1024, 1025, 3000, 4096, 20000, 7, 100000].map((n, i) => ({
    dtype: DType.uint8,
    shape: [n],
    data: pseudoRandom(n, i + 5),
  }));
  const one = tensors.map((x) => tensorRoot(x.dtype, x.shape, x.data));
  t.same(tensorRoots(tensors), one);
  t.same(tensorRoots(tensors, { hasher: nodeCryptoHasher }), one);
  t.same(
    TensorCommitment.buildMany(tensors).map((c) => c.root),
    one,
  );
  t.same(tensorRoots([]), []);
  t.same(await tensorRootsParallel(tensors, { threads: 3 }), one);
  t.same(await tensorRootsParallel(tensors, { threads: 2, hasher: nodeCryptoHasher }), one);
  await t.rejects(
    tensorRootsParallel([{ dtype: DType.int32, shape: [3], data: new Uint8Array(3) }]),
    /needs 12/,
  );
  t.throws(
    () =>
      TensorCommitment.buildMany([tensors[0], { dtype: DType.int32, shape: [3], data: new Uint8Array(3) }]),
    /tensor 1: tensor data has 3 bytes/,
  );
});

t.test("typed-array data is hashed as its little-endian bytes, views included", async (t) => {
  const backing = new Int32Array(2000).map((_, i) => i * 2654435761);
  const view = backing.subarray(100, 100 + 3 * 400); // byteOffset 400, not chunk aligned
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  t.same(tensorRoot(DType.int32, [3, 400], view), referenceRoot(6, [3, 400], bytes));
  const i64 = BigInt64Array.of(-1n, 2n ** 62n, -(2n ** 63n));
  t.same(tensorRoot(DType.int64, [3], i64), referenceRoot(7, [3], new Uint8Array(i64.buffer)));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 1200 * 4);
  t.same(tensorRoot(DType.int32, [1200], dv), referenceRoot(6, [1200], bytes));
});

t.test("the root binds dtype and shape, not only the bytes", async (t) => {
  const bytes = pseudoRandom(4096, 7);
  const roots = [
    tensorRoot(DType.int32, [1024], bytes),
    tensorRoot(DType.int32, [2, 512], bytes),
    tensorRoot(DType.int32, [512, 2], bytes),
    tensorRoot(DType.uint8, [4096], bytes),
    tensorRoot(DType.int8, [4096], bytes),
    tensorRoot(DType.int64, [512], bytes),
  ];
  const hex = new Set(roots.map((r) => Buffer.from(r).toString("hex")));
  t.equal(hex.size, roots.length);
  // zero padding is part of the encoding: trailing zero bytes are not the same tensor
  t.not(
    Buffer.from(tensorRoot(DType.uint8, [1], Uint8Array.of(5))).toString("hex"),
    Buffer.from(tensorRoot(DType.uint8, [2], Uint8Array.of(5, 0))).toString("hex"),
  );
});

t.test("header encoding", async (t) => {
  t.equal(Buffer.from(tensorHeader(6, [2, 70000])).toString("hex"), "54060200000002" + "00011170");
  t.equal(Buffer.from(tensorHeader(2, [])).toString("hex"), "540200");
});

t.test("chunk() returns committed chunks, the last zero-padded", async (t) => {
  const bytes = pseudoRandom(2500, 3);
  const c = TensorCommitment.build({ dtype: DType.uint8, shape: [2500], data: bytes });
  t.equal(c.chunkCount, 3);
  t.same(c.chunk(1), bytes.subarray(1024, 2048));
  const last = c.chunk(2);
  t.equal(last.length, CHUNK);
  t.same(last.subarray(0, 452), bytes.subarray(2048));
  t.ok(last.subarray(452).every((b) => b === 0));
  t.same(chunkLeaves(bytes).subarray(64, 96), sha(last));
  for (const bad of [-1, 3, 1.5, Number.NaN, "1" as unknown as number])
    t.throws(() => c.chunk(bad), RangeError, `chunk(${String(bad)})`);
});

t.test("hostile dtype, shape and data are clear errors", async (t) => {
  const data = new Uint8Array(16);
  t.throws(() => tensorRoot(1, [4], data), /dtype code 1 is not in the integer profile/, "float32");
  t.throws(() => tensorRoot(DType.int32, [-4], data), /dimension -4 is not a u32/);
  t.throws(() => tensorRoot(DType.int32, [1.5], data), /dimension 1.5 is not a u32/);
  t.throws(() => tensorRoot(DType.int32, [2 ** 32], data), /is not a u32/);
  t.throws(() => tensorRoot(DType.int32, [0, 4], data), /has no elements/);
  t.throws(() => tensorRoot(DType.int32, [5], data), /has 16 bytes, but int32\[5\] needs 20/);
  t.throws(() => tensorRoot(DType.int32, [3], data), /needs 12/);
  t.throws(() => tensorRoot(DType.uint8, new Array(256).fill(1), new Uint8Array(1)), /rank 256 exceeds 255/);
  t.throws(() => tensorRoot(DType.uint8, [4], [1, 2, 3, 4] as unknown as Uint8Array), TypeError);
  t.throws(() => tensorRoot(DType.uint8, "4" as unknown as number[], data), TypeError);
  t.throws(() => tensorRoot(DType.int64, [2 ** 31, 2 ** 31], data), /too large/);
  t.throws(() => TensorCommitment.build({ dtype: DType.int8, shape: [17], data }), /needs 17/);
});
