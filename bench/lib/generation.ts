/**
 * Shared by bench/generate.ts and bench/verify-generation.ts: stories260K imported into the
 * integer profile (as bench/import-dispute-gas.ts does), and one side of a generation (the worker:
 * plain incremental decoding + one traced pass; the watcher: the one-pass fast path) measured in
 * a fresh child process of its own (bench/lib/generation-side.ts), so each side's peak RSS is its own.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { importModel } from "../../prover-trace/import/importer.ts";
import { calibrationSamples, sampleSequences } from "../../prover-trace/llama2c/calib-samples.ts";
import { parseCheckpoint } from "../../prover-trace/llama2c/checkpoint.ts";
import { stories260kFiles } from "../../prover-trace/llama2c/files.ts";
import { ortLogits } from "../../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx } from "../../prover-trace/llama2c/to-onnx.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";

export const WINDOW = 128;

export async function importedStories260k(): Promise<Uint8Array> {
  const files = stories260kFiles();
  if (!files.ok) throw new Error(files.why);
  const ckpt = parseCheckpoint(new Uint8Array(readFileSync(files.checkpoint)));
  const floatBytes = encodeOnnx(llama2cToOnnx(ckpt, WINDOW));
  const float = await ortLogits(floatBytes);
  const seqs = await sampleSequences(float.logitsOf, {
    count: 8,
    length: WINDOW,
    window: WINDOW,
    vocab: ckpt.config.vocabSize,
    seed: 1,
  });
  await float.release();
  const imported = await importModel(floatBytes, calibrationSamples(seqs));
  if (!imported.ok) throw new Error(imported.errors.join("\n"));
  return imported.intBytes;
}

/** What generation-side.ts prints (one JSON line). */
export interface WorkerSide {
  side: "worker";
  tokens: number[];
  /** Plain incremental decoding, seconds. */
  decodeSeconds: number;
  /** The one traced pass over the final sequence + the token check + claim roots, seconds. */
  passSeconds: number;
  claim: Record<string, string>;
  peakRssMB: number;
}
export interface WatcherSide {
  side: "watcher";
  verdict: string;
  /** checkGeneration: one traced pass over the claimed sequence and the verdict, seconds. */
  seconds: number;
  peakRssMB: number;
}

/** The job every generation bench runs: BOS-only prompt, the rest of the window, greedy, no stop. */
export const BENCH_JOB = {
  prompt: [1],
  maxTokens: WINDOW - 1,
  stopToken: null,
  rule: { kind: "greedy" as const },
};

const run = promisify(execFile);
const SIDE = join(import.meta.dirname, "generation-side.ts");

export class SideRunner {
  private readonly dir = mkdtempSync(join(tmpdir(), "verdict-bench-gen-"));
  private readonly modelPath = join(this.dir, "stories260k-int.onnx");

  constructor(model: Uint8Array) {
    writeFileSync(this.modelPath, model);
  }

  private async side(args: string[]): Promise<unknown> {
    const r = await run(process.execPath, [SIDE, this.modelPath, ...args], {
      timeout: 600_000,
      maxBuffer: 1 << 24,
    });
    return JSON.parse(r.stdout.trim().split("\n").pop() as string);
  }

  worker(): Promise<WorkerSide> {
    return this.side(["worker", JSON.stringify(BENCH_JOB)]) as Promise<WorkerSide>;
  }

  watcher(tokens: number[], claim: Record<string, string>): Promise<WatcherSide> {
    return this.side([
      "watcher",
      JSON.stringify(BENCH_JOB),
      JSON.stringify({ tokens, claim }),
    ]) as Promise<WatcherSide>;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
