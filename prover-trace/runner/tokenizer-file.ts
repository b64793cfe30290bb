/**
 * Which tokenizer `verdict infer` uses for a token LM (int32 token ids in): `--tokenizer <file>`,
 * else `tok<V>.bin` beside the model file (llama2.c's naming, V the model's vocabulary), else
 * the stories260K tokenizer when V is its 512 (a `verdict model convert-llama2c` + `import` of
 * the checkpoint in this repo). The path chosen is always printed: never a silent guess.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stories260kFiles } from "../llama2c/files.ts";
import { parseTokenizer, type Tokenizer } from "../tokenizer/sentencepiece.ts";

const STORIES260K_VOCAB = 512;

/** The candidate tokenizer paths for a model file, in the order they are tried. */
export function tokenizerCandidates(
  modelPath: string,
  vocab: number,
  env: Record<string, string | undefined> = process.env,
): string[] {
  const out = [join(dirname(modelPath), `tok${vocab}.bin`)];
  const s = stories260kFiles(env);
  if (vocab === STORIES260K_VOCAB && s.ok) out.push(s.tokenizer);
  return out;
}

/** The tokenizer for a token LM of `vocab` ids, and the file it came from. */
export function loadTokenizer(
  modelPath: string,
  vocab: number,
  explicit?: string,
  env: Record<string, string | undefined> = process.env,
): { tokenizer: Tokenizer; path: string } {
  const tried = explicit !== undefined ? [explicit] : tokenizerCandidates(modelPath, vocab, env);
  const path = tried.find((p) => existsSync(p));
  if (!path)
    throw new Error(
      explicit !== undefined
        ? `--tokenizer ${explicit}: no such file`
        : `this model is a token LM (vocabulary ${vocab}): give --tokenizer <tok.bin> (looked for ${tried.join(", ")})`,
    );
  let tokenizer: Tokenizer;
  try {
    tokenizer = parseTokenizer(new Uint8Array(readFileSync(path)), vocab);
  } catch (e) {
    throw new Error(`tokenizer ${path}: ${(e as Error).message}`);
  }
  return { tokenizer, path };
}
