/**
 * `verdict generate --model m.onnx --prompt "..." --tokens N [--json]`: local generation with the
 * integer model (no network): the prompt through the SentencePiece tokenizer, plain incremental
 * decoding under the flags' rule, the token ids and the text. `--traced` adds the one traced pass
 * and prints the claim roots; `--check claim.json` re-verifies such a claim with the watcher's
 * fast path (one pass) and names the first wrong step.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { decodeGenerationParams, generationParamsToJson } from "../../protocol/generation-job.ts";
import { fromHex, toHex } from "../../protocol/index.ts";
import { intFlag } from "../builder/cli.ts";
import { stories260kFiles } from "../llama2c/files.ts";
import { createRunner } from "../runner/runner.ts";
import { parseTokenizer } from "../tokenizer/sentencepiece.ts";
import type { GenerationClaimRoots, GenerationVerdict } from "./check.ts";
import type { DecodingRule } from "./decoding.ts";
import { checkGeneration, generate } from "./loop.ts";
import { runnerLanguageModel } from "./runner-model.ts";

interface GenerateFlags {
  model?: string;
  sequencer?: string;
  modelId?: string;
  window?: number;
  key?: string;
  l2ChainId: string;
  escrow: string;
  timeoutMs: number;
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

/** What `generate --sequencer` hands to the network handler (sdk/cli.ts, wired by bin/verdict.ts). */
export interface NetworkGenerateFlags {
  sequencer: string;
  prompt: string;
  tokens: number;
  stopToken: number | null;
  rule: DecodingRule;
  model?: string;
  modelId?: string;
  window?: number;
  tokenizer?: string;
  key?: string;
  l2ChainId: string;
  escrow: string;
  timeoutMs: number;
  json: boolean;
}

export type NetworkGenerate = (flags: NetworkGenerateFlags) => Promise<void>;

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

export function registerGenerateCommand(program: Command, network?: NetworkGenerate): void {
  program
    .command("generate")
    .description("generate text with an integer causal LM (int32 tokens [T] -> int32 logits [T, vocab])")
    .option("--model <file>", "integer ONNX model (local generation; with --sequencer, the job's model)")
    .option("--sequencer <url>", "post a generation job to this sequencer and print the verified result")
    .option(
      "--model-id <hex>",
      "with --sequencer: the registered model id (instead of --model; needs --window)",
    )
    .option("--window <n>", "with --sequencer and --model-id: the model's token window", intFlag("window"))
    .option("--key <hex>", "with --sequencer: the requester's key (env VERDICT_KEY; default dev account 1)")
    .option("--l2-chain-id <id>", "with --sequencer: the L2 chain id", "424242")
    .option("--escrow <eth>", "with --sequencer: the job's escrow in ETH", "0.01")
    .option(
      "--timeout-ms <ms>",
      "with --sequencer: how long to wait for the result",
      intFlag("timeout-ms"),
      600_000,
    )
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
    .option(
      "--traced",
      "one traced pass over the final sequence: prints the claim roots (inputRoot, outputRoot, traceRoot, generationSpec)",
    )
    .option("--json", "one JSON object: prompt and generated token ids, text, roots")
    .option(
      "--check <claim.json>",
      "re-verify a generation claim (the --traced --json output) in one pass: prints the verdict, exits 1 unless it agrees",
    )
    .action(async (flags: GenerateFlags) => {
      if (flags.sequencer) {
        if (!network) throw new Error("generation over a sequencer is not available in this build");
        if (flags.prompt === undefined) throw new Error("generate --sequencer needs --prompt <text>");
        return network({
          sequencer: flags.sequencer,
          prompt: flags.prompt,
          tokens: flags.tokens,
          stopToken: stopFlag(flags.stop),
          rule: ruleFromFlags(flags),
          model: flags.model,
          modelId: flags.modelId,
          window: flags.window,
          tokenizer: flags.tokenizer,
          key: flags.key,
          l2ChainId: flags.l2ChainId,
          escrow: flags.escrow,
          timeoutMs: flags.timeoutMs,
          json: flags.json ?? false,
        });
      }
      if (!flags.model) throw new Error("generate needs --model <file> (or --sequencer <url>)");
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
        const roots = r.proved ? claimRootsToJson(r.proved.claim) : null;
        if (flags.json)
          process.stdout.write(
            `${JSON.stringify({
              promptTokens: prompt,
              tokens: r.tokens,
              stopped: r.stopped,
              text,
              ...generationParamsToJson({ maxTokens, stopToken, rule }),
              ...roots,
            })}\n`,
          );
        else
          process.stdout.write(
            `${text}\n(${r.tokens.length} tokens${r.stopped ? ", stopped" : ""}${
              roots
                ? `; ${Object.entries(roots)
                    .map(([k, v]) => `${k} ${v}`)
                    .join("; ")}`
                : ""
            })\n`,
          );
      } finally {
        await runner.dispose();
      }
    });
}

export function claimRootsToJson(c: GenerationClaimRoots): Record<string, string> {
  return {
    inputRoot: toHex(c.inputRoot),
    outputRoot: toHex(c.outputRoot),
    traceRoot: toHex(c.traceRoot),
    generationSpec: toHex(c.generationSpec),
  };
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** The claim roots of a JSON object, each field named when malformed. */
export function claimRootsFromJson(c: Record<string, unknown>): GenerationClaimRoots {
  const root = (field: string): Uint8Array => {
    const v = c[field];
    if (typeof v !== "string" || !HEX32.test(v))
      throw new Error(`claim field ${field}: expected 0x and 64 hex digits`);
    return fromHex(v);
  };
  return {
    inputRoot: root("inputRoot"),
    outputRoot: root("outputRoot"),
    traceRoot: root("traceRoot"),
    generationSpec: root("generationSpec"),
  };
}

/** One line for a verdict: what is wrong and which dispute answers it. */
export function describeVerdict(v: GenerationVerdict): string {
  switch (v.kind) {
    case "agree":
      return "the claim agrees with one honest pass: every token is the rule's pick";
    case "sequence":
      return `the claimed tokens cannot be this job's output: ${v.why}`;
    case "pass-differs":
      return `the claimed pass is wrong (${[v.outputRootDiffers ? "outputRoot" : "", v.traceRootDiffers ? "traceRoot" : ""].filter(Boolean).join(" and ")} differ): the ordinary dispute game`;
    case "token-rule":
      return `step ${v.step} (position ${v.position}) claims token ${v.claimed}, the rule picks ${v.expected}: the one-shot token move`;
  }
}

/**
 * `--check`: the claim file is the `--traced --json` output (promptTokens, tokens, maxTokens,
 * stopToken, rule, inputRoot, outputRoot, traceRoot, generationSpec). One traced pass over the
 * claimed sequence gives the verdict; the report names the first wrong step.
 */
async function checkClaimFile(modelPath: string, claimPath: string): Promise<void> {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(readFileSync(claimPath, "utf8"));
  } catch (err) {
    throw new Error(`claim ${claimPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!c || typeof c !== "object" || Array.isArray(c)) throw new Error("claim: expected a JSON object");
  const params = decodeGenerationParams({ maxTokens: c.maxTokens, stopToken: c.stopToken, rule: c.rule });
  const ids = (v: unknown, field: string): number[] => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x)))
      throw new Error(`claim field ${field}: expected token ids`);
    return v as number[];
  };
  const prompt = ids(c.promptTokens, "promptTokens");
  const tokens = ids(c.tokens, "tokens");
  const claim = claimRootsFromJson(c);
  const runner = await createRunner(new Uint8Array(readFileSync(modelPath)));
  try {
    const model = runnerLanguageModel(runner);
    const { verdict } = await checkGeneration(model, { prompt, ...params }, tokens, claim);
    const ok = verdict.kind === "agree";
    process.stdout.write(
      `${JSON.stringify({
        ok,
        tokens: tokens.length,
        firstWrongStep: verdict.kind === "token-rule" ? verdict.step : -1,
        verdict,
        why: describeVerdict(verdict),
      })}\n`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await runner.dispose();
  }
}
