import t from "tap";
import { merkleRoot, sha256 } from "../../../protocol/index.ts";
import {
  generationInputRoot,
  generationPassInputRoot,
  generationSequence,
  generationSpec,
} from "../../../prover-trace/commit/generation.ts";
import { tensorRoot } from "../../../prover-trace/commit/tensor.ts";

t.test("the pass sequence: prompt ++ generated ++ zeros, refused when it cannot be one", async (t) => {
  t.same(Array.from(generationSequence([1, 5], [7], 5)), [1, 5, 7, 0, 0]);
  t.throws(() => generationSequence([], [7], 5), /prompt has at least one token/);
  t.throws(() => generationSequence([1], [], 5), /at least one generated token/);
  t.throws(() => generationSequence([1, 2, 3], [4, 5, 6], 5), /exceed the model's window of 5/);
  t.throws(() => generationSequence([1, -2], [4], 5), /prompt token 1 -2 is not a token id/);
  t.throws(() => generationSequence([1], [2.5], 5), /generated token 0 2.5 is not a token id/);
});

t.test("the claim's inputRoot is the pass input's root, not the prompt's", async (t) => {
  const root = generationPassInputRoot([1, 5], [7], 4);
  t.same(root, merkleRoot([tensorRoot(6, [4], Int32Array.of(1, 5, 7, 0))]));
  t.not(Buffer.compare(root, generationInputRoot([1, 5])), 0, "differs from the job's prompt root");
  // the same sequence with another prompt boundary has the same input root: the boundary is what
  // the claim's generation spec carries
  t.same(generationPassInputRoot([1, 5, 7], [1], 4), generationPassInputRoot([1, 5], [7, 1], 4));
});

t.test("the generation spec binds prompt length, generated count and parameters", async (t) => {
  const p = sha256(Uint8Array.of(1));
  const s = generationSpec(2, 1, p);
  t.equal(s.length, 32);
  t.not(Buffer.compare(s, generationSpec(1, 2, p)), 0, "moving the boundary changes it");
  t.not(Buffer.compare(s, generationSpec(2, 1, sha256(Uint8Array.of(2)))), 0);
  t.throws(() => generationSpec(0, 1, p), /promptLength 0/);
  t.throws(() => generationSpec(1, 0, p), /generatedCount 0/);
  t.throws(() => generationSpec(1, 1, new Uint8Array(31)), /32 bytes/);
});
