/**
 * Generation commitment (docs/commitments.md, "Generation"): one leaf per decoding step, over what
 * that step computes for its NEW position only, so that the rows of one causal pass over
 * prompt + generated tokens, sliced per position, rebuild every step's leaf (issue 19):
 *
 *   inputRoot[k]      = tensorRoot(int32 [P+k], prompt ++ generated[0..k))       the step's tokens
 *   rowLeaf[i]        = traceLeaf(i, tensorRoot(row p of each output of node i))  row nodes only
 *   positionRoot[k]   = MerkleRoot(rowLeaf[i] for every row node i, node order)   p = P+k-1
 *   logitsRowRoot[k]  = tensorRoot(int32 [1, vocab], logits row p)
 *   stepLeaf[k]       = sha256(0x47 || u32 k || inputRoot || positionRoot || logitsRowRoot || u32 token)
 *   generationRoot    = MerkleRoot(stepLeaf[0], ..., stepLeaf[n-1])
 *   outputRoot        = MerkleRoot(tensorRoot(int32 [n], generated))
 *   job inputRoot     = MerkleRoot(tensorRoot(int32 [P], prompt)) = inputRoot[0]
 *
 * A row node is a node every output of which has the window as its leading dimension ([T, ...]);
 * row p of such a tensor is the bytes [p * rowBytes, (p+1) * rowBytes), committed with shape
 * [1, ...rest].
 */
import { concatBytes, merkleRoot, sha256, u32be } from "../../protocol/index.ts";
import { type TensorData, tensorRoot, tensorRoots } from "./tensor.ts";
import { traceLeaf } from "./trace.ts";

export const GENERATION_STEP_TAG = 0x47;
const INT32 = 6;

function checkToken(t: number, what: string): void {
  if (!Number.isInteger(t) || t < 0 || t > 0x7fffffff) throw new RangeError(`${what} ${t} is not a token id`);
}

/** tensorRoot(int32 [n], tokens): a token sequence's root (a step's input, the generated tokens). */
export function tokensRoot(tokens: readonly number[]): Uint8Array {
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new RangeError("a token sequence has at least one token");
  for (let i = 0; i < tokens.length; i++) checkToken(tokens[i], `token ${i}`);
  return tensorRoot(INT32, [tokens.length], Int32Array.from(tokens));
}

/**
 * The job's input root for a prompt: MerkleRoot over its one input tensor, the prompt's tokens.
 * A one-leaf tree's root is the leaf, so this IS step 0's inputRoot: the job binds step 0.
 */
export function generationInputRoot(prompt: readonly number[]): Uint8Array {
  return merkleRoot([tokensRoot(prompt)]);
}

/** The claim's output root of a generation: MerkleRoot over the one tensor of generated tokens. */
export function generationOutputRoot(generated: readonly number[]): Uint8Array {
  return merkleRoot([tokensRoot(generated)]);
}

export function stepLeaf(
  step: number,
  inputRoot: Uint8Array,
  positionRoot: Uint8Array,
  logitsRowRoot: Uint8Array,
  token: number,
): Uint8Array {
  if (!Number.isInteger(step) || step < 0 || step > 0xffffffff)
    throw new RangeError(`step ${step} is not a u32`);
  checkToken(token, "token");
  for (const [name, r] of [
    ["inputRoot", inputRoot],
    ["positionRoot", positionRoot],
    ["logitsRowRoot", logitsRowRoot],
  ] as const)
    if (!(r instanceof Uint8Array) || r.length !== 32) throw new RangeError(`${name} must be 32 bytes`);
  return sha256(
    concatBytes(
      Uint8Array.of(GENERATION_STEP_TAG),
      u32be(step),
      inputRoot,
      positionRoot,
      logitsRowRoot,
      u32be(token),
    ),
  );
}

export function generationRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError("a generation has at least one step");
  for (const l of leaves)
    if (!(l instanceof Uint8Array) || l.length !== 32) throw new RangeError("step leaves must be 32 bytes");
  return merkleRoot([...leaves]);
}

/** Row `p` of a [T, ...] tensor as a [1, ...] tensor (a view, no copy). */
export function tensorRow(t: TensorData, p: number): TensorData {
  const T = t.shape[0];
  if (t.shape.length < 1 || !Number.isInteger(p) || p < 0 || p >= T)
    throw new RangeError(`row ${p} is outside a tensor of shape [${t.shape.join(", ")}]`);
  const rowBytes = t.data.byteLength / T;
  // tensorBytes reads any view as little-endian bytes, so a byte view of the row is enough.
  const data = new Uint8Array(t.data.buffer, t.data.byteOffset + p * rowBytes, rowBytes);
  return { dtype: t.dtype, shape: [1, ...t.shape.slice(1)], data };
}

/** Node indices whose every output has `window` as its leading dimension (static shapes). */
export function rowNodes(
  outputShapes: readonly (readonly (readonly number[])[])[],
  window: number,
): number[] {
  const out: number[] = [];
  outputShapes.forEach((shapes, i) => {
    if (shapes.length > 0 && shapes.every((s) => s.length >= 1 && s[0] === window)) out.push(i);
  });
  if (out.length === 0) throw new RangeError(`no node has outputs of leading dimension ${window}`);
  return out;
}

/**
 * positionRoot of position `p`: the row-node leaves over row `p` of their outputs, from one
 * run's node outputs (a step's run or the one teacher-forced pass: same rows, same root).
 */
export function positionRoot(
  nodeOutputs: readonly (readonly TensorData[])[],
  rowNodeIndices: readonly number[],
  p: number,
): Uint8Array {
  const rows = rowNodeIndices.map((i) => {
    const outs = nodeOutputs[i];
    if (!outs) throw new RangeError(`run lacks node ${i}`);
    return outs.map((t) => tensorRow(t, p));
  });
  const roots = tensorRoots(rows.flat());
  let k = 0;
  return merkleRoot(
    rowNodeIndices.map((node, j) =>
      traceLeaf(
        node,
        rows[j].map(() => roots[k++]),
      ),
    ),
  );
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
