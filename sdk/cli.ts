/**
 * `verdict generate --sequencer URL --prompt "..." --tokens N [--json]`: a generation job over the
 * network through the SDK (generate, then awaitResult: the tokens checked against the claim and its
 * logits), printing the verified text. Registered by prover-trace/generation/cli.ts, which owns the
 * `generate` command, through bin/verdict.ts (prover-trace cannot import the SDK).
 */
import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { commitOnnxFile } from "../prover-trace/commit/model.ts";
import type { NetworkGenerateFlags } from "../prover-trace/generation/cli.ts";
import { stories260kFiles } from "../prover-trace/llama2c/files.ts";
import { parseTokenizer } from "../prover-trace/tokenizer/sentencepiece.ts";
import { createClient } from "./client.ts";

function parseEth(s: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(s))
    throw new Error(`--escrow must be an amount of ETH like 0.01, got '${s}'`);
  const [i, f = ""] = s.split(".");
  return BigInt(i) * 10n ** 18n + BigInt(f.padEnd(18, "0"));
}

export async function generateOverSequencer(f: NetworkGenerateFlags): Promise<void> {
  const modelBytes = f.model ? new Uint8Array(readFileSync(f.model)) : undefined;
  if (!modelBytes && !f.modelId)
    throw new Error("generate --sequencer needs --model <file> or --model-id <hex>");
  let tokPath = f.tokenizer;
  if (!tokPath) {
    const files = stories260kFiles();
    if (!files.ok) throw new Error(`no --tokenizer given and ${files.why}`);
    tokPath = files.tokenizer;
  }
  const key = (f.key ??
    process.env.VERDICT_KEY ??
    (await import("../bridge/chain/accounts.ts")).devAccounts(2)[1].privateKey) as Hex;
  const sdk = await createClient({
    sequencerUrl: f.sequencer,
    privateKey: key,
    l2ChainId: BigInt(f.l2ChainId),
  });
  // the tokenizer's vocabulary is the model's logits width (stories260K's 512 for a bare --model-id)
  const vocab = modelBytes ? (await commitOnnxFile(modelBytes)).model.outputs[0].shape[1] : 512;
  const tokenizer = parseTokenizer(new Uint8Array(readFileSync(tokPath)), vocab);
  const posted = await sdk.generate({
    ...(modelBytes ? { model: modelBytes } : { modelId: f.modelId as Hex, window: f.window }),
    prompt: f.prompt,
    tokenizer,
    maxTokens: f.tokens,
    stopToken: f.stopToken,
    decoding: f.rule,
    escrow: parseEth(f.escrow),
  });
  const outcome = await sdk.awaitResult(posted.jobId, { timeoutMs: f.timeoutMs });
  const result =
    outcome.outcome === "paid"
      ? {
          jobId: posted.jobId,
          outcome: "paid",
          worker: outcome.job.worker,
          promptTokens: posted.prompt,
          tokens: outcome.generation?.tokens,
          text: outcome.generation?.text,
        }
      : outcome.outcome === "refunded"
        ? { jobId: posted.jobId, outcome: "refunded", reason: outcome.reason }
        : { jobId: posted.jobId, outcome: "disputed" };
  if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (outcome.outcome === "paid")
    process.stdout.write(
      `${outcome.generation?.text}\n(job ${posted.jobId}, paid to ${outcome.job.worker})\n`,
    );
  else
    process.stdout.write(
      `job ${posted.jobId}: ${result.outcome}${"reason" in result ? ` (${result.reason})` : ""}\n`,
    );
  if (outcome.outcome !== "paid") process.exitCode = 1;
}
