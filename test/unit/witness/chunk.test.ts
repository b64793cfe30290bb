import { createHash } from "node:crypto";
import t from "tap";
import { concatBytes, DType, merkleLevels, sha256 } from "../../../protocol/index.ts";
import { CHUNK, TensorCommitment, tensorRootFromDataRoot } from "../../../prover-trace/commit/tensor.ts";
import {
  type ChunkOpening,
  openChunk,
  openElement,
  verifyChunkOpening,
  verifyElementOpening,
} from "../../../prover-trace/witness/chunk.ts";

function tensor(dtype: number, shape: number[], seed = 1) {
  const numel = shape.reduce((a, b) => a * b, 1);
  const size = { 2: 1, 3: 1, 6: 4, 7: 8 }[dtype] as number;
  const data = new Uint8Array(numel * size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + seed * 17 + (i >> 8)) & 0xff;
  return TensorCommitment.build({ dtype, shape, data });
}

const flip = (b: Uint8Array, i: number) => {
  const c = b.slice();
  c[i] ^= 1;
  return c;
};

t.test("every chunk of tensors with 1, 2, 3, 5, 8 and 13 chunks opens and verifies", async (t) => {
  for (const [dtype, shape] of [
    [DType.uint8, [7]],
    [DType.int32, [256]],
    [DType.int32, [2, 257]],
    [DType.int8, [3, 1000]],
    [DType.int64, [5, 128]],
    [DType.int32, [8, 256]],
    [DType.int64, [1601]],
  ] as [number, number[]][]) {
    const c = tensor(dtype, shape);
    for (let i = 0; i < c.chunkCount; i++) {
      const o = openChunk(c, i);
      t.equal(o.chunk.length, CHUNK);
      t.equal(o.proof.length, Math.ceil(Math.log2(c.chunkCount)));
      t.ok(
        verifyChunkOpening(c.root, dtype, shape, o),
        `dtype ${dtype} [${shape}] chunk ${i}/${c.chunkCount}`,
      );
    }
  }
});

t.test("tampered openings are rejected", async (t) => {
  const shape = [5, 250];
  const c = tensor(DType.int32, shape); // 1250 int32 = 5000 bytes = 5 chunks, depth 3
  const o = openChunk(c, 2);
  const v = (x: unknown) => verifyChunkOpening(c.root, DType.int32, shape, x as ChunkOpening);
  t.ok(v(o));
  t.notOk(v({ ...o, chunk: flip(o.chunk, 100) }), "chunk byte");
  t.notOk(v({ ...o, proof: [o.proof[0], flip(o.proof[1], 0), o.proof[2]] }), "sibling");
  t.notOk(v({ ...o, proof: o.proof.slice(0, 2) }), "proof too short");
  t.notOk(v({ ...o, proof: [...o.proof, new Uint8Array(32)] }), "proof too long");
  t.notOk(v({ ...o, proof: [o.proof[0], o.proof[1], o.proof[2].subarray(0, 31)] }), "short sibling");
  t.notOk(v({ ...o, proof: [o.proof[0], o.proof[1], "x"] }), "sibling not bytes");
  t.notOk(v({ ...o, proof: "nope" }), "proof not an array");
  t.notOk(v({ ...o, chunkIndex: 3 }), "other index");
  t.notOk(v({ ...o, chunkIndex: 5 }), "index out of range");
  t.notOk(v({ ...o, chunkIndex: 8 }), "index inside the padded width");
  t.notOk(v({ ...o, chunkIndex: -1 }), "negative index");
  t.notOk(v({ ...o, chunkIndex: 2.5 }), "non-integer index");
  t.notOk(v({ ...o, chunkIndex: Number.NaN }), "NaN index");
  t.notOk(v({ ...o, chunkIndex: "2" }), "string index");
  t.notOk(v({ ...o, chunk: o.chunk.subarray(0, 1023) }), "short chunk");
  t.notOk(v({ ...o, chunk: Array.from(o.chunk) }), "chunk not bytes");
  t.notOk(v(null), "null opening");
  t.notOk(v(undefined), "undefined opening");
  t.notOk(verifyChunkOpening(flip(c.root, 31), DType.int32, shape, o), "other root");
  t.notOk(verifyChunkOpening(c.root.subarray(0, 31), DType.int32, shape, o), "short root");
  t.notOk(verifyChunkOpening(c.root, DType.int32, [250, 5], o), "wrong shape, same size");
  t.notOk(verifyChunkOpening(c.root, DType.int32, [1250], o), "wrong rank");
  t.notOk(verifyChunkOpening(c.root, DType.uint8, [5000], o), "wrong dtype");
  t.notOk(verifyChunkOpening(c.root, DType.int32, [5, 260], o), "wrong size, same chunk count");
  t.notOk(verifyChunkOpening(c.root, DType.int32, [9, 250], o), "wrong size, deeper tree");
  t.throws(() => verifyChunkOpening(c.root, DType.int32, [-5, 250], o), /not a u32/, "invalid shape");
  // A huge claimed shape (2^32 - 1 x 1000 bytes: over 2^31 chunks) is a clean false, not a hang.
  t.notOk(verifyChunkOpening(c.root, DType.uint8, [2 ** 32 - 1, 1000], o), "huge shape");
  t.throws(() => verifyChunkOpening(c.root, 1, shape, o), /not in the integer profile/, "invalid dtype");
});

t.test("the last chunk must carry zero padding", async (t) => {
  // A root committed over a last chunk with garbage in its padding: the Merkle path checks out,
  // but the opening is not of the tensor the shape describes.
  const data = new Uint8Array(1500).fill(3);
  const c1 = new Uint8Array(CHUNK).fill(3);
  const bad = new Uint8Array(CHUNK).fill(3, 0, 476);
  bad[1000] = 9;
  const levels = merkleLevels(concatBytes(sha256(c1), sha256(bad)));
  const forged = tensorRootFromDataRoot(DType.uint8, [1500], levels[1]);
  t.notOk(
    verifyChunkOpening(forged, DType.uint8, [1500], { chunkIndex: 1, chunk: bad, proof: [sha256(c1)] }),
  );
  const honest = TensorCommitment.build({ dtype: DType.uint8, shape: [1500], data });
  t.ok(verifyChunkOpening(honest.root, DType.uint8, [1500], openChunk(honest, 1)));
});

t.test("openChunk rejects bad indices", async (t) => {
  const c = tensor(DType.int8, [3000]);
  for (const bad of [-1, 3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "0" as unknown as number])
    t.throws(() => openChunk(c, bad), RangeError, `index ${String(bad)}`);
});

t.test("one-chunk tensors have empty proofs", async (t) => {
  const c = tensor(DType.uint8, [1]);
  const o = openChunk(c, 0);
  t.same(o.proof, []);
  t.same(c.dataRoot, new Uint8Array(createHash("sha256").update(o.chunk).digest()));
  t.ok(verifyChunkOpening(c.root, DType.uint8, [1], o));
  t.notOk(verifyChunkOpening(c.root, DType.uint8, [1], { ...o, proof: [new Uint8Array(32)] }));
});

t.test("element openings", async (t) => {
  const data = Int32Array.from({ length: 700 }, (_, i) => (i % 2 ? -i : i * 1000003));
  const c = TensorCommitment.build({ dtype: DType.int32, shape: [7, 100], data });
  for (const e of [0, 255, 256, 511, 699]) {
    const o = openElement(c, e);
    t.equal(o.value, BigInt(data[e]), `element ${e}`);
    t.ok(verifyElementOpening(c.root, DType.int32, [7, 100], o));
    t.notOk(
      verifyElementOpening(c.root, DType.int32, [7, 100], { ...o, value: o.value + 1n }),
      "other value",
    );
    t.notOk(
      verifyElementOpening(c.root, DType.int32, [7, 100], { ...o, offset: (o.offset + 4) % CHUNK }),
      "offset",
    );
    t.notOk(verifyElementOpening(c.root, DType.int32, [7, 100], { ...o, flatIndex: e + 1 }), "other index");
    t.notOk(
      verifyElementOpening(c.root, DType.int32, [7, 100], {
        ...o,
        value: Number(o.value) as unknown as bigint,
      }),
      "value not a bigint",
    );
  }
  t.throws(() => openElement(c, 700), /element index 700 out of range/);
  t.throws(() => openElement(c, -1), /not a non-negative integer/);
  t.throws(() => openElement(c, 0.5), /not a non-negative integer/);
});
