/**
 * The parameters of a generation job (docs/generation.md section 1) and their one binary
 * encoding, so that a job, a claim and (later) the on-chain step check all bind the same rule:
 *
 *   params     = 0x4a || u32 maxTokens || u32 stopToken (0xffffffff: none) || u8 kind (0 greedy,
 *                1 sample) || u32 topK || u32 halfLife || seed (32 bytes)     (greedy: zeros)
 *   paramsHash = sha256(params)
 *
 * The JSON form ({ maxTokens, stopToken, rule }) is decoded with every malformed field named.
 * Model-dependent bounds (topK <= vocab, prompt + maxTokens <= window) are checked where the
 * model is known (prover-trace/generation/loop.ts checkGenerationJob).
 */
import { bytesEqual, concatBytes, fromHex, toHex, u8, u32be } from "./bytes.ts";
import { sha256 } from "./sha256.ts";

export type DecodingRule =
  | { kind: "greedy" }
  | {
      kind: "sample";
      /** Candidates: the topK largest logits, 1 <= topK <= vocab. */
      topK: number;
      /** Integer logit units that halve a candidate's weight (the temperature in model units). */
      halfLife: number;
      /** 32 bytes fixed by the job. */
      seed: Uint8Array;
    };

export interface GenerationParams {
  maxTokens: number;
  /** The token that ends the generation (included in the output), or null. */
  stopToken: number | null;
  rule: DecodingRule;
}

export const GENERATION_PARAMS_TAG = 0x4a;
export const NO_STOP_TOKEN = 0xffffffff;
/** Largest halfLife (docs/generation.md section 3). */
export const MAX_HALF_LIFE = 2 ** 31 - 1;
/** Largest token id, topK and maxTokens the encoding accepts (a u32 with room for NO_STOP_TOKEN). */
export const MAX_TOKEN_ID = 0x7fffffff;

export class GenerationParamsError extends Error {
  override name = "GenerationParamsError";
}

function intIn(v: unknown, lo: number, hi: number, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
    throw new GenerationParamsError(
      `field ${field}: expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`,
    );
  return v;
}

/** Structural checks of params already in memory; returns them. */
export function checkGenerationParams(p: GenerationParams): GenerationParams {
  if (!p || typeof p !== "object") throw new GenerationParamsError("generation params must be an object");
  intIn(p.maxTokens, 1, MAX_TOKEN_ID, "maxTokens");
  if (p.stopToken !== null) intIn(p.stopToken, 0, MAX_TOKEN_ID, "stopToken");
  const r = p.rule as DecodingRule | undefined;
  if (!r || typeof r !== "object") throw new GenerationParamsError("field rule: expected an object");
  if (r.kind === "greedy") return p;
  if (r.kind !== "sample")
    throw new GenerationParamsError(
      `field rule.kind: expected "greedy" or "sample", got ${JSON.stringify((r as { kind?: unknown }).kind)}`,
    );
  intIn(r.topK, 1, MAX_TOKEN_ID, "rule.topK");
  intIn(r.halfLife, 1, MAX_HALF_LIFE, "rule.halfLife");
  if (!(r.seed instanceof Uint8Array) || r.seed.length !== 32)
    throw new GenerationParamsError("field rule.seed: expected 32 bytes");
  return p;
}

export function encodeGenerationParams(p: GenerationParams): Uint8Array {
  checkGenerationParams(p);
  const r = p.rule;
  return concatBytes(
    u8(GENERATION_PARAMS_TAG),
    u32be(p.maxTokens),
    u32be(p.stopToken ?? NO_STOP_TOKEN),
    u8(r.kind === "greedy" ? 0 : 1),
    u32be(r.kind === "greedy" ? 0 : r.topK),
    u32be(r.kind === "greedy" ? 0 : r.halfLife),
    r.kind === "greedy" ? new Uint8Array(32) : r.seed,
  );
}

/**
 * A token id list as bytes: u32 big-endian each, in order. How an L2 tx signs its prompt or
 * generated tokens (protocol/eip712.ts PostGenerationJob, SubmitGeneration).
 */
export function encodeTokenIds(tokens: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * tokens.length);
  const view = new DataView(out.buffer);
  tokens.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t > MAX_TOKEN_ID)
      throw new GenerationParamsError(`token ${i}: ${t} is not a token id in [0, ${MAX_TOKEN_ID}]`);
    view.setUint32(4 * i, t);
  });
  return out;
}

export function generationParamsHash(p: GenerationParams): Uint8Array {
  return sha256(encodeGenerationParams(p));
}

export function generationParamsToJson(p: GenerationParams): Record<string, unknown> {
  checkGenerationParams(p);
  const r = p.rule;
  return {
    maxTokens: p.maxTokens,
    stopToken: p.stopToken,
    rule:
      r.kind === "greedy"
        ? { kind: "greedy" }
        : { kind: "sample", topK: r.topK, halfLife: r.halfLife, seed: toHex(r.seed) },
  };
}

function onlyKeys(o: Record<string, unknown>, keys: string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new GenerationParamsError(`${what}: unknown field(s) ${extra.join(", ")}`);
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new GenerationParamsError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

/** Parses the JSON form; unknown fields and malformed values are refused with the field named. */
export function decodeGenerationParams(json: unknown): GenerationParams {
  const o = asObject(json, "generation params");
  onlyKeys(o, ["maxTokens", "stopToken", "rule"], "generation params");
  if (!("stopToken" in o)) throw new GenerationParamsError("field stopToken: missing (null for none)");
  const r = asObject(o.rule, "field rule");
  let rule: DecodingRule;
  if (r.kind === "greedy") {
    onlyKeys(r, ["kind"], "field rule");
    rule = { kind: "greedy" };
  } else if (r.kind === "sample") {
    onlyKeys(r, ["kind", "topK", "halfLife", "seed"], "field rule");
    if (typeof r.seed !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(r.seed))
      throw new GenerationParamsError("field rule.seed: expected 0x and 64 hex digits");
    rule = { kind: "sample", topK: r.topK as number, halfLife: r.halfLife as number, seed: fromHex(r.seed) };
  } else
    throw new GenerationParamsError(
      `field rule.kind: expected "greedy" or "sample", got ${JSON.stringify(r.kind)}`,
    );
  const p = { maxTokens: o.maxTokens as number, stopToken: o.stopToken as number | null, rule };
  return checkGenerationParams(p);
}

export function sameGenerationParams(a: GenerationParams, b: GenerationParams): boolean {
  return bytesEqual(encodeGenerationParams(a), encodeGenerationParams(b));
}
