/**
 * `verdict infer`: traced inference from the command line. A byte LM (one uint8 [T] input, int32
 * [T, V] logits) generates greedily from --prompt; any other model runs once on --input (JSON
 * values or a seed for random values). Prints the model id and the input, output and trace roots.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { toHex } from "../../protocol/bytes.ts";
import { dtypeByCode, numel } from "../../protocol/dtype.ts";
import { intFlag } from "../builder/cli.ts";
import { SplitMix64 } from "../builder/prng.ts";
import { commitModel } from "../commit/model.ts";
import type { TensorData } from "../commit/tensor.ts";
import { allocTensorData } from "../onnx/io.ts";
import type { ProfileValue } from "../profile/validate.ts";
import { escapeBytes, generate, lmShape } from "./generate.ts";
import {
  createRunner,
  GRAPH_OPTIMIZATION_LEVELS,
  type GraphOptimizationLevel,
  type TracedRun,
} from "./runner.ts";

function flatten(v: unknown, out: unknown[]): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

/**
 * One input tensor from `--input`: a JSON array (nested or flat, numel values in the dtype's
 * range) or a non-negative integer seed for uniformly random values over the whole dtype range.
 */
export function parseTensorInput(
  text: string,
  decl: Pick<ProfileValue, "name" | "dtype" | "shape">,
): TensorData {
  const info = dtypeByCode(decl.dtype);
  const n = numel(decl.shape);
  const data = allocTensorData(decl.dtype, n);
  const s = text.trim();
  if (/^\d+$/.test(s)) {
    const rng = new SplitMix64(BigInt(s));
    for (let i = 0; i < n; i++) {
      const v =
        info.bytes === 8
          ? BigInt.asIntN(64, rng.next64())
          : BigInt(rng.int(Number(info.min), Number(info.max)));
      if (data instanceof BigInt64Array) data[i] = v;
      else data[i] = Number(v);
    }
    return { dtype: decl.dtype, shape: decl.shape, data };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    throw new Error(`--input must be a JSON array or an integer seed, got '${s.slice(0, 40)}'`);
  }
  const values = flatten(parsed, []);
  if (values.length !== n)
    throw new Error(`--input has ${values.length} values, input '${decl.name}' [${decl.shape}] needs ${n}`);
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isInteger(v) || BigInt(v) < info.min || BigInt(v) > info.max)
      throw new Error(`--input value ${i} (${JSON.stringify(v)}) is not a ${info.name} integer`);
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  });
  return { dtype: decl.dtype, shape: decl.shape, data };
}

function roots(run: TracedRun) {
  return {
    inputRoot: toHex(run.inputRoot),
    outputRoot: toHex(run.outputRoot),
    traceRoot: toHex(run.traceRoot),
  };
}

interface InferFlags {
  model: string;
  prompt?: string;
  tokens: number;
  input?: string;
  ep: string;
  threads: number;
  optLevel: string;
  pipeline?: boolean;
  json?: boolean;
}

export function registerInferCommands(program: Command): void {
  program
    .command("infer")
    .description("traced inference: greedy generation for a byte LM, or one run of any profile model")
    .requiredOption("--model <file>", "model .onnx file (must pass the profile validator)")
    .option("--prompt <text>", "prompt for a byte LM (UTF-8 bytes)")
    .option("--tokens <n>", "bytes to generate", intFlag("tokens"), 16)
    .option("--input <json|seed>", "for non-LM models: input values as a JSON array, or an integer seed")
    .option("--ep <ep>", "execution provider: cpu | cuda", "cpu")
    .option("--threads <n>", "ONNX Runtime intra-op threads", intFlag("threads"), 1)
    .option(
      "--opt-level <level>",
      `graph optimization level: ${GRAPH_OPTIMIZATION_LEVELS.join(" | ")}`,
      "all",
    )
    .option(
      "--pipeline",
      "hash step k on a thread-pool thread while ORT runs step k+1 (pays when a core is idle)",
    )
    .option("--json", "print one JSON object")
    .action(async (f: InferFlags) => {
      if (f.ep !== "cpu" && f.ep !== "cuda") throw new Error(`--ep must be cpu or cuda, got '${f.ep}'`);
      if (!GRAPH_OPTIMIZATION_LEVELS.includes(f.optLevel as GraphOptimizationLevel))
        throw new Error(
          `--opt-level must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(", ")}, got '${f.optLevel}'`,
        );
      const bytes = new Uint8Array(readFileSync(f.model));
      const runner = await createRunner(bytes, {
        ep: f.ep,
        intraOpThreads: f.threads,
        graphOptimizationLevel: f.optLevel as GraphOptimizationLevel,
      });
      try {
        const modelId = toHex((await commitModel(runner.profile, bytes)).modelId);
        const out = (s: string) => process.stdout.write(s);
        if (lmShape(runner)) {
          if (f.prompt === undefined) throw new Error("this model is a byte LM: give --prompt");
          if (f.input !== undefined) throw new Error("--input is for non-LM models; this one takes --prompt");
          const prompt = new TextEncoder().encode(f.prompt);
          const { generated, steps } = await generate(
            runner,
            prompt,
            f.tokens,
            (step, k) => {
              if (!f.json) {
                const r = roots(step.run);
                out(
                  `step ${k} token ${step.token} '${escapeBytes([step.token])}' input ${r.inputRoot} output ${r.outputRoot} trace ${r.traceRoot}\n`,
                );
              }
            },
            { pipelined: f.pipeline === true },
          );
          if (f.json)
            out(
              `${JSON.stringify({
                modelId,
                prompt: escapeBytes(prompt),
                text: escapeBytes(generated),
                tokens: Array.from(generated),
                steps: steps.map((s) => ({ token: s.token, ...roots(s.run) })),
              })}\n`,
            );
          else
            out(
              `prompt: ${escapeBytes(prompt)}\ngenerated: ${escapeBytes(generated)}\nmodel id ${modelId}\n`,
            );
          return;
        }
        if (f.prompt !== undefined) throw new Error("this model is not a byte LM: give --input <json|seed>");
        if (f.input === undefined) throw new Error("give --input <json array | integer seed>");
        if (runner.profile.inputs.length !== 1)
          throw new Error(`--input feeds one tensor; this model has ${runner.profile.inputs.length} inputs`);
        const input = parseTensorInput(f.input, runner.profile.inputs[0]);
        const run = await runner.runTraced([input]);
        const outputs = Object.fromEntries(
          Object.entries(run.outputs).map(([k, t]) => [
            k,
            Array.from(t.data as Int32Array, (x) => Number(x)),
          ]),
        );
        if (f.json) out(`${JSON.stringify({ modelId, outputs, ...roots(run) })}\n`);
        else {
          for (const [k, v] of Object.entries(outputs)) out(`${k}: [${v.join(", ")}]\n`);
          const r = roots(run);
          out(
            `input root ${r.inputRoot}\noutput root ${r.outputRoot}\ntrace root ${r.traceRoot}\nmodel id ${modelId}\n`,
          );
        }
      } finally {
        await runner.dispose();
      }
    });
}
