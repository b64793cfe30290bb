/**
 * A LanguageModel backed by the traced ONNX Runtime runner: the model must be a causal token LM
 * of the profile, one int32 (or uint8, vocab <= 256) [T] input and one int32 [T, vocab] output
 * (what the importer makes of a llama2.c checkpoint; the builder's seeded byte transformers).
 */
import { rowNodes } from "../commit/generation.ts";
import type { Runner } from "../runner/runner.ts";
import type { LanguageModel } from "./loop.ts";

const INT32 = 6;
const UINT8 = 2;

export function runnerLanguageModel(runner: Runner): LanguageModel {
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
  // Byte LMs (the builder's seeded transformers) take uint8 ids; the commitment hashes ids as int32.
  const feed = (tokens: Int32Array) => (i.dtype === UINT8 ? Uint8Array.from(tokens) : tokens);
  const shapes = p.nodes.map((n) => n.outputs.map((name) => [...p.values.get(name)!.shape]));
  return {
    window,
    vocab,
    rowNodes: rowNodes(shapes, window),
    async run(tokens, traced) {
      const input = { [i.name]: { dtype: i.dtype, shape: [window], data: feed(tokens) } };
      if (!traced) return { logits: (await runner.runPlain(input))[o.name].data as Int32Array };
      const { nodeOutputs } = await runner.runNodes(input);
      return { logits: runner.namedOutputs(nodeOutputs)[o.name].data as Int32Array, nodeOutputs };
    },
  };
}
