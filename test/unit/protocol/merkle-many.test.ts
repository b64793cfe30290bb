import { createHash } from "node:crypto";
import t from "tap";
import { merkleRoot, merkleRootsMany, sha256, treeDepth } from "../../../protocol/index.ts";

t.test("merkleRootsMany equals merkleRoot tree by tree", async (t) => {
  const sets: Uint8Array[] = [];
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 100, 1, 6])
    sets.push(new Uint8Array(32 * n).map((_, i) => (i * 31 + n) & 0xff));
  const many = merkleRootsMany(sets);
  t.equal(many.length, sets.length);
  for (const [i, s] of sets.entries()) t.same(many[i], merkleRoot(s), `${s.length / 32} leaves`);
  t.same(merkleRootsMany([]), []);
  const one = sets[0];
  const r = merkleRootsMany([one])[0];
  r[0] ^= 1;
  t.not(r[0], one[0], "a one-leaf root is a copy, not a view of the leaves");
  t.throws(() => merkleRootsMany([new Uint8Array(0)]), RangeError);
  t.throws(() => merkleRootsMany([new Uint8Array(32), new Uint8Array(33)]), RangeError);
});

t.test("sha256 matches node:crypto and returns an owned 32-byte array", async (t) => {
  for (const n of [0, 1, 39, 64, 1000]) {
    const m = new Uint8Array(n).fill(n & 0xff);
    const d = sha256(m);
    t.equal(d.length, 32);
    t.equal(d.byteOffset, 0);
    t.equal(d.buffer.byteLength, 32);
    t.same(Buffer.from(d), createHash("sha256").update(m).digest());
  }
});

t.test("treeDepth stays exact and terminates beyond 2^31 leaves", async (t) => {
  t.equal(treeDepth(1), 0);
  t.equal(treeDepth(5), 3);
  t.equal(treeDepth(2 ** 31), 31);
  t.equal(treeDepth(2 ** 31 + 1), 32);
  t.equal(treeDepth(2 ** 40), 40);
  t.equal(treeDepth(Number.MAX_SAFE_INTEGER), 53);
});
