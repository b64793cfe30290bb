/**
 * Generation commitments (docs/generation.md, docs/commitments.md "Generation"). A generation
 * claim is an ordinary claim over ONE causal pass of the model over the final sequence
 * prompt ++ generated ++ 0-padding; what binds it to the job is below: the pass's input
 * (generationSequence / generationPassInputRoot) and the claim's generationSpec field.
 * The job itself names its prompt by generationInputRoot.
 */
import { concatBytes, merkleRoot, sha256, u32be } from "../../protocol/index.ts";
import { tensorRoot } from "./tensor.ts";

const INT32 = 6;

function checkToken(t: number, what: string): void {
  if (!Number.isInteger(t) || t < 0 || t > 0x7fffffff) throw new RangeError(`${what} ${t} is not a token id`);
}

/** tensorRoot(int32 [n], tokens): a token sequence's root. */
export function tokensRoot(tokens: readonly number[]): Uint8Array {
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new RangeError("a token sequence has at least one token");
  for (let i = 0; i < tokens.length; i++) checkToken(tokens[i], `token ${i}`);
  return tensorRoot(INT32, [tokens.length], Int32Array.from(tokens));
}

/** A prompt's root: MerkleRoot over one tensor, the prompt's tokens (int32 [P]). */
export function generationInputRoot(prompt: readonly number[]): Uint8Array {
  return merkleRoot([tokensRoot(prompt)]);
}

// ---------------------------------------------------------------------------------------------
// The generation CLAIM (docs/generation.md, "The claim is one causal pass"). A generation claim is
// an ordinary claim over ONE causal pass of the model over the final sequence; these two
// definitions bind it to the job. One definition each: the sequencer, the agents, the SDK and the
// contract vectors all use these.

export const GENERATION_SPEC_TAG = 0x4b;

/**
 * The pass's one input: prompt ++ generated, right-padded with 0 to the model's window. Refuses an
 * empty prompt, no generated token, or a sequence longer than the window.
 */
export function generationSequence(
  prompt: readonly number[],
  generated: readonly number[],
  window: number,
): Int32Array {
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`window ${window} is not a length >= 2`);
  if (prompt.length === 0) throw new RangeError("a generation's prompt has at least one token");
  if (generated.length === 0) throw new RangeError("a generation has at least one generated token");
  if (prompt.length + generated.length > window)
    throw new RangeError(
      `prompt ${prompt.length} + generated ${generated.length} tokens exceed the model's window of ${window}`,
    );
  const seq = new Int32Array(window);
  prompt.forEach((t, i) => {
    checkToken(t, `prompt token ${i}`);
    seq[i] = t;
  });
  generated.forEach((t, i) => {
    checkToken(t, `generated token ${i}`);
    seq[prompt.length + i] = t;
  });
  return seq;
}

/**
 * The claim's `inputRoot` for a generation: MerkleRoot over the pass's one input tensor,
 * tensorRoot(int32 [window], generationSequence(...)).
 */
export function generationPassInputRoot(
  prompt: readonly number[],
  generated: readonly number[],
  window: number,
): Uint8Array {
  return merkleRoot([tensorRoot(INT32, [window], generationSequence(prompt, generated, window))]);
}

/**
 * The claim's `generation` field: sha256(0x4b || u32 promptLength || u32 generatedCount ||
 * paramsHash) with paramsHash = generationParamsHash(params) (protocol/generation-job.ts). A
 * single-pass job's claim has 32 zero bytes there instead. It tells the contract which positions of
 * the pass input are generated and by which decoding rule, so a token that breaks the rule is
 * provable on L1 from the claim alone.
 */
export function generationSpec(
  promptLength: number,
  generatedCount: number,
  paramsHash: Uint8Array,
): Uint8Array {
  for (const [name, v] of [
    ["promptLength", promptLength],
    ["generatedCount", generatedCount],
  ] as const)
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff)
      throw new RangeError(`${name} ${v} is not a u32 >= 1`);
  if (!(paramsHash instanceof Uint8Array) || paramsHash.length !== 32)
    throw new RangeError("paramsHash must be 32 bytes");
  return sha256(
    concatBytes(Uint8Array.of(GENERATION_SPEC_TAG), u32be(promptLength), u32be(generatedCount), paramsHash),
  );
}
