/**
 * `verdict infer`: traced inference from the command line. An LM (one [T] input, int32 [T, V]
 * logits) generates greedily from --prompt: a byte LM (uint8 input) on the prompt's UTF-8 bytes,
 * a token LM (int32 token ids, e.g. an imported llama2.c model) through its tokenizer
 * (tokenizer-file.ts); any other model runs once on --input (JSON values or a seed for random
 * values). Prints the model id and the input, output and trace roots.
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
import { loadTokenizer } from "./tokenizer-file.ts";

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
  tokenizer?: string;
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
    .description("traced inference: greedy generation for an LM, or one run of any profile model")
    .requiredOption("--model <file>", "model .onnx file (must pass the profile validator)")
    .option("--prompt <text>", "prompt for an LM (a byte LM reads its UTF-8 bytes)")
    .option("--tokens <n>", "tokens (bytes for a byte LM) to generate", intFlag("tokens"), 16)
    .option(
      "--tokenizer <tok.bin>",
      "llama2.c tokenizer of a token LM (default: tok<V>.bin beside the model, else stories260K's for V = 512)",
    )
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
        const lm = lmShape(runner);
        if (lm) {
          if (f.prompt === undefined) throw new Error(`this model is a ${lm.kind} LM: give --prompt`);
          if (f.input !== undefined) throw new Error("--input is for non-LM models; this one takes --prompt");
          if (lm.kind === "byte" && f.tokenizer !== undefined)
            throw new Error("--tokenizer is for token LMs; this byte LM reads the prompt's UTF-8 bytes");
          const tok = lm.kind === "token" ? loadTokenizer(f.model, lm.vocab, f.tokenizer) : null;
          const prompt = tok
            ? tok.tokenizer.encode(f.prompt)
            : Array.from(new TextEncoder().encode(f.prompt));
          if (tok && !f.json) out(`tokenizer ${tok.path}\n`);
          // a token's text after the token before it (a piece's leading space depends on it)
          const show = (prev: number, id: number) =>
            tok ? escapeBytes(tok.tokenizer.decodeToken(prev, id)) : escapeBytes([id]);
          const history = [...prompt];
          const { generated, steps } = await generate(
            runner,
            prompt,
            f.tokens,
            (step, k) => {
              const prev = history[history.length - 1];
              history.push(step.token);
              if (!f.json) {
                const r = roots(step.run);
                out(
                  `step ${k} token ${step.token} '${show(prev, step.token)}' input ${r.inputRoot} output ${r.outputRoot} trace ${r.traceRoot}\n`,
                );
              }
            },
            { pipelined: f.pipeline === true },
          );
          const promptText = tok ? f.prompt : escapeBytes(prompt);
          // a token LM's continuation: each token's bytes after the one before it, as UTF-8
          const text = tok
            ? new TextDecoder().decode(
                Buffer.concat(
                  generated.map((id, i) =>
                    tok.tokenizer.decodeToken(i === 0 ? prompt[prompt.length - 1] : generated[i - 1], id),
                  ),
                ),
              )
            : escapeBytes(generated);
          if (f.json)
            out(
              `${JSON.stringify({
                modelId,
                ...(tok ? { tokenizer: tok.path, promptTokens: prompt } : {}),
                prompt: promptText,
                text,
                tokens: generated,
                steps: steps.map((s) => ({ token: s.token, ...roots(s.run) })),
              })}\n`,
            );
          else out(`prompt: ${promptText}\ngenerated: ${text}\nmodel id ${modelId}\n`);
          return;
        }
        if (f.prompt !== undefined) throw new Error("this model is not an LM: give --input <json|seed>");
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
