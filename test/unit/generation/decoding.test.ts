import { createHash } from "node:crypto";
import t from "tap";
import {
  argmax,
  DecodingRuleError,
  decodeStep,
  EXP2_TABLE,
  sampleDraw,
  sampleToken,
  sampleWeight,
  topKIndices,
} from "../../../prover-trace/generation/decoding.ts";

const seed = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

t.test("greedy: argmax, lowest index on ties", async (t) => {
  t.equal(argmax([3, 7, 7, 1]), 1);
  t.equal(argmax([-5]), 0);
  t.equal(argmax([-2, -1, -1]), 1);
  t.equal(argmax(Int32Array.of(-(2 ** 31), 2 ** 31 - 1)), 1);
  t.equal(decodeStep({ kind: "greedy" }, [0, 4, 9, 9], 5), 2);
  t.throws(() => argmax([]), RangeError);
  t.throws(() => argmax([1, 0.5]), /not an int32/);
  t.throws(() => argmax([1, 2 ** 31]), /not an int32/);
});

t.test("topK: largest first, lower index first on ties", async (t) => {
  t.same(topKIndices([5, 9, 5, 9, 1], 3), [1, 3, 0]);
  t.same(topKIndices([5, 9, 5, 9, 1], 5), [1, 3, 0, 2, 4]);
  t.throws(() => topKIndices([1, 2], 3), /topK/);
  t.throws(() => topKIndices([1, 2], 0), /topK/);
});

t.test("weights: 2^30 * 2^(-d/halfLife) from the table, hand-computed", async (t) => {
  t.equal(EXP2_TABLE.length, 17);
  t.equal(sampleWeight(0, 7), 2 ** 30);
  t.equal(sampleWeight(100, 100), 2 ** 29);
  t.equal(sampleWeight(200, 100), 2 ** 28);
  // q = 1 * 65536 / 16 = 4096: table row 1 exactly.
  t.equal(sampleWeight(1, 16), 1028218693);
  // q = 2048: half way between rows 0 and 1, floor((T0 - T1) * 2048 / 4096) = 22761565.
  t.equal(sampleWeight(1, 32), 1073741824 - 22761565);
  t.equal(sampleWeight(30 * 5, 5), 1, "2^30 >> 30");
  t.equal(sampleWeight(31 * 5, 5), 0, "31 halvings weigh nothing");
  t.equal(sampleWeight(2 ** 32 - 1, 1), 0);
  for (let d = 1; d < 300; d++)
    t.ok(sampleWeight(d, 37) <= sampleWeight(d - 1, 37), "weights never grow with the distance") ||
      t.bailout(`d=${d}`);
  t.throws(() => sampleWeight(-1, 5), RangeError);
  t.throws(() => sampleWeight(1, 0), RangeError);
  t.throws(() => sampleWeight(1, 1.5), RangeError);
});

t.test("the draw is sha256('verdict/sample/v1' || seed || u32 step), first 16 bytes", async (t) => {
  for (const step of [0, 1, 255, 0xffffffff]) {
    const h = createHash("sha256")
      .update("verdict/sample/v1")
      .update(seed)
      .update(Buffer.from([step >>> 24, (step >>> 16) & 255, (step >>> 8) & 255, step & 255]))
      .digest();
    t.equal(sampleDraw(seed, step), BigInt(`0x${h.subarray(0, 16).toString("hex")}`), `step ${step}`);
  }
  t.throws(() => sampleDraw(seed.subarray(1), 0), /32 bytes/);
  t.throws(() => sampleDraw(seed, -1), /u32/);
});

t.test("sampling: hand-computed pick, determinism, frequencies", async (t) => {
  // Logits [0, 100], halfLife 100: candidates [1, 0] weigh [2^30, 2^29], total 3 * 2^29.
  const row = [0, 100];
  for (let step = 0; step < 20; step++) {
    const u = sampleDraw(seed, step) % (3n * 2n ** 29n);
    const expected = u < 2n ** 30n ? 1 : 0;
    t.equal(sampleToken(row, 2, 100, seed, step), expected, `step ${step}: u=${u}`);
  }
  let ones = 0;
  const N = 3000;
  for (let step = 0; step < N; step++) ones += sampleToken(row, 2, 100, seed, step);
  t.ok(Math.abs(ones / N - 2 / 3) < 0.04, `token 1 drawn ${ones}/${N} times, expected ~2/3`);
  // topK = 1 is greedy whatever the seed.
  const big = [3, 9, 9, -4, 8];
  for (let step = 0; step < 50; step++) t.equal(sampleToken(big, 1, 1000, seed, step), 1);
  // Same seed and step: same token; another seed changes the sequence.
  const rule = { kind: "sample" as const, topK: 5, halfLife: 4, seed };
  const a = Array.from({ length: 64 }, (_, k) => decodeStep(rule, big, k));
  const b = Array.from({ length: 64 }, (_, k) => decodeStep(rule, big, k));
  t.same(a, b, "deterministic");
  const other = { ...rule, seed: seed.map((x) => x ^ 0xff) };
  t.not(a.join(), Array.from({ length: 64 }, (_, k) => decodeStep(other, big, k)).join(), "seed matters");
  const count = (x: number) => a.filter((v) => v === x).length;
  t.ok(count(3) < count(1) && count(3) < count(2), "the lowest logit is drawn least");
  t.ok(new Set(a).size >= 3, "sampling spreads over the candidates");
});

t.test("hostile rules are refused with a clear error", async (t) => {
  const row = [1, 2, 3];
  const bad: [unknown, RegExp][] = [
    [{ kind: "beam" }, /kind/],
    [{ kind: "sample", topK: 0, halfLife: 1, seed }, /topK/],
    [{ kind: "sample", topK: 4, halfLife: 1, seed }, /topK/],
    [{ kind: "sample", topK: 2, halfLife: 0, seed }, /halfLife/],
    [{ kind: "sample", topK: 2, halfLife: 2.5, seed }, /halfLife/],
    [{ kind: "sample", topK: 2, halfLife: 2 ** 31, seed }, /halfLife/],
    [{ kind: "sample", topK: 2, halfLife: 2, seed: new Uint8Array(31) }, /seed/],
    [{ kind: "sample", topK: 2, halfLife: 2, seed: "00" }, /seed/],
    [null, /object/],
  ];
  for (const [rule, why] of bad)
    t.throws(() => decodeStep(rule as never, row, 0), { name: DecodingRuleError.name, message: why });
});
