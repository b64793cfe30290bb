/**
 * A LanguageModel backed by the traced ONNX Runtime runner: the model must be a causal token LM
 * of the profile, one int32 (or uint8, vocab <= 256) [T] input and one int32 [T, vocab] output
 * (what the importer makes of a llama2.c checkpoint; the builder's seeded transformers). A uint8
 * model generates, but cannot carry a generation claim (its pass input is not the int32 tensor the
 * claim's inputRoot names: check.ts generationClaimRoots refuses it).
 */
import { commitRun, type Runner, type TracedRun } from "../runner/runner.ts";
import type { LanguageModel } from "./loop.ts";

const INT32 = 6;
const UINT8 = 2;

export interface RunnerModelOptions {
  /**
   * Changes the node outputs of a traced pass before they are committed (tests and the faulty
   * worker: one wrong element inside the pass). Called with the runner's own buffers.
   */
  tamper?: (nodeOutputs: TracedRun["nodeOutputs"]) => void;
}

export function runnerLanguageModel(runner: Runner, opts: RunnerModelOptions = {}): LanguageModel<TracedRun> {
  const p = runner.profile;
  if (p.inputs.length !== 1 || p.outputs.length !== 1)
    throw new Error("a generation model has one input (token ids) and one output (logits)");
  const [i] = p.inputs;
  const [o] = p.outputs;
  if ((i.dtype !== INT32 && i.dtype !== UINT8) || i.shape.length !== 1)
    throw new Error(
      `input ${i.name} must be int32 or uint8 [T] token ids, got dtype ${i.dtype} [${i.shape}]`,
    );
  const window = i.shape[0];
  if (o.dtype !== INT32 || o.shape.length !== 2 || o.shape[0] !== window)
    throw new Error(
      `output ${o.name} must be int32 [${window}, vocab] logits, got dtype ${o.dtype} [${o.shape}]`,
    );
  const vocab = o.shape[1];
  if (i.dtype === UINT8 && vocab > 256)
    throw new Error(`a uint8 token input cannot carry a vocabulary of ${vocab}`);
  const input = (tokens: Int32Array) => ({
    [i.name]: {
      dtype: i.dtype,
      shape: [window],
      data: i.dtype === UINT8 ? Uint8Array.from(tokens) : tokens,
    },
  });
  return {
    window,
    vocab,
    async logits(tokens) {
      return (await runner.runPlain(input(tokens)))[o.name].data as Int32Array;
    },
    async pass(tokens) {
      let run: TracedRun;
      if (opts.tamper) {
        const { ordered, nodeOutputs } = await runner.runNodes(input(tokens));
        opts.tamper(nodeOutputs);
        run = {
          ...commitRun(p, ordered, nodeOutputs),
          nodeOutputs,
          outputs: runner.namedOutputs(nodeOutputs),
        };
      } else run = await runner.runTraced(input(tokens));
      return {
        inputRoot: run.inputRoot,
        outputRoot: run.outputRoot,
        traceRoot: run.traceRoot,
        logits: run.outputs[o.name].data as Int32Array,
        run,
      };
    },
  };
}
