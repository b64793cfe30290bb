/**
 * `verdict generate --model m.onnx --prompt "..." --tokens N [--json]`: local generation with the
 * integer model (no network): the prompt through the SentencePiece tokenizer, the loop of
 * loop.ts under the decoding rule of the flags, the token ids and the text.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { fromHex, toHex } from "../../protocol/index.ts";
import { intFlag } from "../builder/cli.ts";
import { stories260kFiles } from "../llama2c/files.ts";
import { createRunner } from "../runner/runner.ts";
import { parseTokenizer } from "../tokenizer/sentencepiece.ts";
import type { DecodingRule } from "./decoding.ts";
import { generate } from "./loop.ts";
import { runnerLanguageModel } from "./runner-model.ts";

interface GenerateFlags {
  model?: string;
  prompt: string;
  tokens: number;
  tokenizer?: string;
  stop: string;
  topK?: number;
  halfLife?: number;
  seed?: string;
  traced?: boolean;
  json?: boolean;
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
    .requiredOption("--prompt <text>", "prompt text (BOS is prepended)")
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
    .action(async (flags: GenerateFlags) => {
      if (!flags.model)
        throw new Error("generate needs --model <file> (generation over a sequencer is not built yet)");
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
        const prompt = tokenizer.encode(flags.prompt); // BOS first
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
              rule: rule.kind === "greedy" ? rule : { ...rule, seed: toHex(rule.seed) },
              outputRoot: toHex(r.outputRoot),
              generationRoot: r.generationRoot ? toHex(r.generationRoot) : null,
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
