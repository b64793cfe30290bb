/**
 * `verdict generate --model m.onnx --prompt "..." --tokens N [--json]`: local generation with the
 * integer model (no network): the prompt through the SentencePiece tokenizer, the loop of
 * loop.ts under the decoding rule of the flags, the token ids and the text.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { decodeGenerationParams, generationParamsToJson } from "../../protocol/generation-job.ts";
import { bytesEqual, fromHex, toHex } from "../../protocol/index.ts";
import { intFlag } from "../builder/cli.ts";
import { stories260kFiles } from "../llama2c/files.ts";
import { createRunner } from "../runner/runner.ts";
import { parseTokenizer } from "../tokenizer/sentencepiece.ts";
import type { DecodingRule } from "./decoding.ts";
import { firstLeafMismatch, generate, onePassCheck } from "./loop.ts";
import { runnerLanguageModel } from "./runner-model.ts";

interface GenerateFlags {
  model?: string;
  prompt?: string;
  tokens: number;
  tokenizer?: string;
  stop: string;
  topK?: number;
  halfLife?: number;
  seed?: string;
  traced?: boolean;
  json?: boolean;
  check?: string;
}

/** The decoding rule the flags ask for: greedy unless --top-k / --half-life / --seed are given. */
export function ruleFromFlags(f: { topK?: number; halfLife?: number; seed?: string }): DecodingRule {
  if (f.topK === undefined && f.halfLife === undefined && f.seed === undefined) return { kind: "greedy" };
  if (f.topK === undefined || f.halfLife === undefined || f.seed === undefined)
    throw new Error("sampling needs all of --top-k, --half-life and --seed");
  if (!/^0x[0-9a-fA-F]{64}$/.test(f.seed))
    throw new Error(`--seed must be 0x and 64 hex digits, got '${f.seed}'`);
  return { kind: "sample", topK: f.topK, halfLife: f.halfLife, seed: fromHex(f.seed) };
}

function stopFlag(v: string): number | null {
  if (v === "none") return null;
  if (!/^\d+$/.test(v)) throw new Error(`--stop must be a token id or 'none', got '${v}'`);
  return Number(v);
}

export function registerGenerateCommand(program: Command): void {
  program
    .command("generate")
    .description("generate text with an integer causal LM (int32 tokens [T] -> int32 logits [T, vocab])")
    .option("--model <file>", "integer ONNX model (local generation, no network)")
    .option("--prompt <text>", "prompt text (BOS is prepended)")
    .option("--tokens <n>", "most tokens to generate", intFlag("tokens"), 32)
    .option(
      "--tokenizer <file>",
      "SentencePiece tokenizer (llama2.c tok*.bin); default: stories260K's tok512.bin",
    )
    .option("--stop <id>", "stop token id, or 'none' (default 1, BOS: llama2.c's story delimiter)", "1")
    .option("--top-k <n>", "seeded sampling: candidates", intFlag("top-k"))
    .option(
      "--half-life <n>",
      "seeded sampling: integer logit units that halve a weight",
      intFlag("half-life"),
    )
    .option("--seed <hex>", "seeded sampling: 32-byte seed, 0x-prefixed")
    .option("--traced", "trace every step and print the generation root (docs/commitments.md)")
    .option("--json", "one JSON object: prompt and generated token ids, text, roots")
    .option(
      "--check <claim.json>",
      "re-verify a generation (the --traced --json output) in one pass: prints the first wrong step, exits 1 on any mismatch",
    )
    .action(async (flags: GenerateFlags) => {
      if (!flags.model)
        throw new Error("generate needs --model <file> (generation over a sequencer is not built yet)");
      if (flags.check) return checkClaimFile(flags.model, flags.check);
      if (flags.prompt === undefined)
        throw new Error("generate needs --prompt <text> (or --check <claim.json>)");
      const promptText = flags.prompt;
      const rule = ruleFromFlags(flags);
      const stopToken = stopFlag(flags.stop);
      const runner = await createRunner(new Uint8Array(readFileSync(flags.model)));
      try {
        const model = runnerLanguageModel(runner);
        let tokPath = flags.tokenizer;
        if (!tokPath) {
          const files = stories260kFiles();
          if (!files.ok) throw new Error(`no --tokenizer given and ${files.why}`);
          tokPath = files.tokenizer;
        }
        const tokenizer = parseTokenizer(new Uint8Array(readFileSync(tokPath)), model.vocab);
        const prompt = tokenizer.encode(promptText); // BOS first
        const maxTokens = Math.min(flags.tokens, model.window - prompt.length);
        const r = await generate(model, { prompt, maxTokens, stopToken, rule }, { traced: flags.traced });
        const text = tokenizer.decode([...prompt, ...r.tokens]);
        if (flags.json)
          process.stdout.write(
            `${JSON.stringify({
              promptTokens: prompt,
              tokens: r.tokens,
              stopped: r.stopped,
              text,
              ...generationParamsToJson({ maxTokens, stopToken, rule }),
              outputRoot: toHex(r.outputRoot),
              generationRoot: r.generationRoot ? toHex(r.generationRoot) : null,
              stepLeaves: flags.traced ? r.leaves.map(toHex) : undefined,
            })}\n`,
          );
        else
          process.stdout.write(
            `${text}\n(${r.tokens.length} tokens${r.stopped ? ", stopped" : ""}; output root ${toHex(r.outputRoot)}${
              r.generationRoot ? `; generation root ${toHex(r.generationRoot)}` : ""
            })\n`,
          );
      } finally {
        await runner.dispose();
      }
    });
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * `--check`: the claim file is the `--traced --json` output (promptTokens, tokens, maxTokens,
 * stopToken, rule, generationRoot, stepLeaves). One pass over the model rebuilds every leaf; the
 * report names the first step whose token or leaf is wrong.
 */
async function checkClaimFile(modelPath: string, claimPath: string): Promise<void> {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(claimPath, "utf8"));
  } catch (err) {
    throw new Error(`claim ${claimPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!c || typeof c !== "object") throw new Error("claim: expected a JSON object");
  const params = decodeGenerationParams({ maxTokens: c.maxTokens, stopToken: c.stopToken, rule: c.rule });
  const ids = (v: unknown, field: string): number[] => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x)))
      throw new Error(`claim field ${field}: expected token ids`);
    return v as number[];
  };
  const prompt = ids(c.promptTokens, "promptTokens");
  const tokens = ids(c.tokens, "tokens");
  if (typeof c.generationRoot !== "string" || !HEX32.test(c.generationRoot))
    throw new Error("claim field generationRoot: expected 0x and 64 hex digits");
  const leaves =
    c.stepLeaves === undefined
      ? null
      : (() => {
          if (
            !Array.isArray(c.stepLeaves) ||
            !c.stepLeaves.every((l) => typeof l === "string" && HEX32.test(l))
          )
            throw new Error("claim field stepLeaves: expected 32-byte hex leaves");
          return (c.stepLeaves as string[]).map(fromHex);
        })();
  const runner = await createRunner(new Uint8Array(readFileSync(modelPath)));
  try {
    const model = runnerLanguageModel(runner);
    const r = await onePassCheck(model, { prompt, ...params }, tokens);
    const rootOk = bytesEqual(r.generationRoot, fromHex(c.generationRoot));
    const firstWrongLeaf = leaves ? firstLeafMismatch(leaves, r.leaves) : -1;
    const ok = rootOk && r.firstWrongToken < 0 && r.shapeError === null && firstWrongLeaf < 0;
    process.stdout.write(
      `${JSON.stringify({
        ok,
        steps: tokens.length,
        firstWrongToken: r.firstWrongToken,
        firstWrongLeaf,
        shapeError: r.shapeError,
        generationRootMatches: rootOk,
        generationRoot: toHex(r.generationRoot),
      })}\n`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await runner.dispose();
  }
}
