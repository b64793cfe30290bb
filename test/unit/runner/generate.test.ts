import t from "tap";
import { argmaxRow, escapeBytes, windowIds, windowTokens } from "../../../prover-trace/runner/generate.ts";

t.test("windowTokens right-pads short histories and keeps the last seqLen tokens", async (t) => {
  const a = windowTokens([65, 66, 67], 8);
  t.same(Array.from(a.tokens), [65, 66, 67, 0, 0, 0, 0, 0]);
  t.equal(a.last, 2);
  const b = windowTokens([1, 2, 3, 4, 5, 6], 4);
  t.same(Array.from(b.tokens), [3, 4, 5, 6]);
  t.equal(b.last, 3);
  t.throws(() => windowTokens([], 4), /at least one byte/);
  t.throws(() => windowTokens([256], 4), /not a byte/);
});

t.test("argmaxRow takes the lowest index on ties", async (t) => {
  const logits = Int32Array.from([5, 9, 9, 1, -3, -3, -3, -3]);
  t.equal(argmaxRow(logits, 0, 4), 1);
  t.equal(argmaxRow(logits, 1, 4), 0);
  t.throws(() => argmaxRow(logits, 2, 4), /outside logits of 2 rows/);
  t.throws(() => argmaxRow(logits, -1, 4), /outside/);
});

t.test("escapeBytes keeps printable ASCII and escapes the rest", async (t) => {
  t.equal(escapeBytes(new TextEncoder().encode("ab c~")), "ab c~");
  t.equal(escapeBytes([0, 0x0a, 0x5c, 0x7f, 0xff]), "\\x00\\n\\\\\\x7f\\xff");
});

t.test("windowIds: int32 token ids in [0, vocab), padded and slid like bytes", async (t) => {
  const a = windowIds([1, 400, 511], 5, 512);
  t.same(Array.from(a.tokens), [1, 400, 511, 0, 0]);
  t.ok(a.tokens instanceof Int32Array);
  t.equal(a.last, 2);
  const b = windowIds([1, 2, 3, 4, 5, 6], 4, 512);
  t.same(Array.from(b.tokens), [3, 4, 5, 6]);
  t.equal(b.last, 3);
  t.throws(() => windowIds([], 4, 512), /at least one token/);
  t.throws(() => windowIds([512], 4, 512), /token 512 is outside the vocabulary \[0, 512\)/);
  t.throws(() => windowIds([-1], 4, 512), /outside the vocabulary/);
  t.throws(() => windowIds([1.5], 4, 512), /outside the vocabulary/);
});
