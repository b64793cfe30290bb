/**
 * The challenger's side of a generation claim (docs/dispute-game.md "Generation claims"), pure:
 * what to do about a claim given the honest pass over the claimed sequence (`decideGeneration`),
 * and the calldata of the token move (`buildTokenProof`, GenerationRule.TokenProof).
 *
 * A generation claim is an ordinary claim over one causal pass over prompt ++ generated ++
 * 0-padding. If the claimer's outputRoot is not the honest pass's, the pass itself is wrong: the
 * ordinary game (level 0 / trace descent, planner.ts). If it is, every byte the move opens is one
 * the challenger knows, and a token that breaks the decoding rule, or broken count, stop or
 * padding rules, end the claim in one L1 call. Nothing broken and the trace equal too: agree.
 */
import type { Address } from "viem";
import type { FullDisputeState } from "../../bridge/dispute/game.ts";
import type { TokenProofArg } from "../../bridge/dispute/generation-rule.ts";
import { type Outcome, outcomeFor, Phase } from "../../bridge/dispute/vocabulary.ts";
import { encodeGenerationParams, type GenerationParams } from "../../protocol/generation-job.ts";
import { bytesEqual, merkleLevels, merkleProof, toHex } from "../../protocol/index.ts";
import { type ClaimMsg, type Hex, isDeferredTrace } from "../../protocol/tx.ts";
import { CHUNK, TensorCommitment, type TensorData, tensorBytes } from "../../prover-trace/commit/tensor.ts";
import { decodeStep, topKIndices } from "../../prover-trace/generation/decoding.ts";

export type { TokenProofArg };

const INT32 = 6;

/** What a generation claim says besides its roots: the preimage of its generationSpec. */
export interface GenerationStatement {
  promptLength: number;
  generatedCount: number;
  params: GenerationParams;
}

/**
 * The honest pass over the claimed sequence: its input (int32 [T]), its graph outputs (output 0 is
 * the logits, int32 [T, vocab] or [..., T, vocab]) and its roots.
 */
export interface HonestPass {
  sequence: Int32Array;
  outputs: readonly TensorData[];
  outputRoot: Uint8Array;
  traceRoot: Uint8Array;
}

/** A rule the claim breaks, found in the honest pass; `position` is the generated index to open. */
export interface BrokenRule {
  position: number;
  why: string;
}

export type GenerationDecision =
  | { kind: "agree" }
  /** The pass is wrong: play the ordinary game (planner.ts) on the claim. */
  | { kind: "game"; why: string }
  /** The pass is right and a rule is broken: one call, GenerationRule.proveTokenRuleBroken. */
  | { kind: "tokenMove"; position: number; why: string };

/** The logits of output 0 as rows of `vocab`, or null when output 0 is not int32 [..., T, vocab]. */
function logitsRows(logits: TensorData, T: number): { vocab: number; row: (p: number) => Int32Array } | null {
  const s = logits.shape;
  if (logits.dtype !== INT32 || s.length < 2) return null;
  if (s.slice(0, -1).reduce((a, b) => a * b, 1) !== T) return null;
  const vocab = s[s.length - 1];
  const data = logits.data as Int32Array;
  return { vocab, row: (p) => data.subarray(p * vocab, (p + 1) * vocab) };
}

/**
 * The first rule the claimed generation breaks in the honest pass, in the order the contract
 * checks them (GenerationRule.brokenRuleOf), or null. Count, stop and padding rules come first
 * and need no logits (position 0 then); then the decoding rule at each generated position.
 */
export function firstBrokenRule(st: GenerationStatement, pass: HonestPass): BrokenRule | null {
  const seq = pass.sequence;
  const T = seq.length;
  const P = st.promptLength;
  const n = st.generatedCount;
  const { maxTokens, stopToken, rule } = st.params;
  if (P === 0 || n === 0) return { position: 0, why: "no prompt or no generated token" };
  if (P + n > T) return { position: 0, why: "generated positions past the window" };
  if (n > maxTokens) return { position: 0, why: "more generated tokens than maxTokens" };
  for (let k = 0; k + 1 < n; k++)
    if (stopToken !== null && seq[P + k] === stopToken)
      return { position: 0, why: "stop token before the last generated token" };
  if (!(stopToken !== null && seq[P + n - 1] === stopToken) && n !== maxTokens)
    return { position: 0, why: "generation ends before maxTokens without the stop token" };
  for (let q = P + n; q < T; q++)
    if (seq[q] !== 0) return { position: 0, why: "padding after the generation is not zero" };
  const rows = logitsRows(pass.outputs[0], T);
  if (!rows) return { position: 0, why: "output 0 is not int32 logits [T, vocab]" };
  if (rule.kind === "sample" && rule.topK > rows.vocab)
    return { position: 0, why: "topK exceeds the vocabulary" };
  for (let k = 0; k < n; k++)
    if (decodeStep(rule, rows.row(P + k - 1), k) !== seq[P + k])
      return { position: k, why: `generated token ${k} breaks the decoding rule` };
  return null;
}

/**
 * What an honest challenger does about `claim`, given the statement it carries (the job's prompt
 * length, the claimed count and the job's params) and the honest pass over the claimed sequence.
 * The token move is chosen only when the claimer's outputRoot is the honest one: then every byte
 * it opens is the challenger's own.
 */
export function decideGeneration(
  claim: ClaimMsg,
  st: GenerationStatement,
  pass: HonestPass,
): GenerationDecision {
  if (claim.outputRoot.toLowerCase() !== toHex(pass.outputRoot))
    return { kind: "game", why: "the claim's outputRoot is not the honest pass's" };
  const broken = firstBrokenRule(st, pass);
  if (broken) return { kind: "tokenMove", ...broken };
  if (!isDeferredTrace(claim.traceRoot) && claim.traceRoot.toLowerCase() !== toHex(pass.traceRoot))
    return { kind: "game", why: "the claim's traceRoot is not the honest pass's" };
  return { kind: "agree" };
}

/**
 * The calldata of the token move at generated index `position`: the spec's preimage, the pass
 * input, and row P + position - 1 of output 0 opened from the pass's output root. Built from the
 * honest pass only; the contract checks every piece against the claim.
 */
export function buildTokenProof(st: GenerationStatement, pass: HonestPass, position: number): TokenProofArg {
  const T = pass.sequence.length;
  const P = st.promptLength;
  const logits = TensorCommitment.build(pass.outputs[0]);
  const outputLevels = merkleLevels(
    Buffer.concat(pass.outputs.map((o, i) => (i === 0 ? logits.root : TensorCommitment.build(o).root))),
  );
  if (!bytesEqual(outputLevels[outputLevels.length - 1].slice(0, 32), pass.outputRoot))
    throw new Error("the pass's outputs do not make its outputRoot");
  const proof: TokenProofArg = {
    promptLength: P,
    generatedCount: st.generatedCount,
    params: toHex(encodeGenerationParams(st.params)),
    sequence: toHex(tensorBytes(INT32, [T], pass.sequence)),
    position,
    logitsDType: logits.dtype,
    logitsShape: [...logits.shape],
    logitsDataRoot: toHex(logits.dataRoot),
    outputProof: merkleProof(outputLevels, 0).map(toHex),
    firstChunk: 0n,
    chunks: "0x",
    chunkProofs: [],
    candidates: [],
  };
  const rows = logitsRows(pass.outputs[0], T);
  const p = P + position - 1;
  if (!rows || p < 0 || p >= T) return proof; // a count rule or the logits' shape decides alone
  const start = p * rows.vocab * 4;
  const c0 = Math.floor(start / CHUNK);
  const c1 = Math.floor((start + rows.vocab * 4 - 1) / CHUNK);
  const chunks: Uint8Array[] = [];
  const proofs: Hex[] = [];
  for (let c = c0; c <= c1; c++) {
    chunks.push(logits.chunk(c));
    proofs.push(...merkleProof(logits.levels, c).map(toHex));
  }
  proof.firstChunk = BigInt(c0);
  proof.chunks = toHex(Buffer.concat(chunks));
  proof.chunkProofs = proofs;
  const rule = st.params.rule;
  if (rule.kind === "sample" && rule.topK <= rows.vocab)
    proof.candidates = topKIndices(rows.row(p), rule.topK);
  return proof;
}

/** What the challenger of a token-move dispute does next. */
export type TokenMoveAction =
  /** The dispute is over (won by the move, or ended otherwise). */
  | { kind: "ended"; outcome: Outcome }
  /** Another dispute invalidated the claim first: end ours, the bond comes back. */
  | { kind: "closeVoid" }
  /** Send GenerationRule.proveTokenRuleBroken: legal at any phase before resolved. */
  | { kind: "prove" };

/**
 * The next action of challenger `me` in dispute `dispute`, opened to play the token move on a
 * generation claim. Pure: the watcher's scheduler reads the chain and sends what this decides.
 * The move needs no waiting (no clock, no claimer reveal), so there is no "wait".
 */
export function decideTokenMove(s: {
  dispute: Pick<FullDisputeState, "phase" | "winner" | "challenger">;
  invalidated: boolean;
  me: Address;
}): TokenMoveAction {
  const d = s.dispute;
  if (d.phase === Phase.resolved)
    return { kind: "ended", outcome: outcomeFor(d.winner, "challenger") ?? "void" };
  if (d.challenger.toLowerCase() !== s.me.toLowerCase())
    throw new Error(`dispute challenger is ${d.challenger}, not this watcher (${s.me})`);
  if (s.invalidated) return { kind: "closeVoid" };
  return { kind: "prove" };
}
