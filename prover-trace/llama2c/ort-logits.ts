/** A LogitsFn backed by an ONNX Runtime CPU session over a `tokens` int32 [T] -> `logits` model. */
import * as ort from "onnxruntime-node";
import type { LogitsFn } from "./generate.ts";

export async function ortLogits(
  model: Uint8Array,
  options: { threads?: number } = {},
): Promise<{ logitsOf: LogitsFn; release(): Promise<void> }> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
  });
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  return {
    logitsOf: async (tokens) => {
      const out = await session.run({ [input]: new ort.Tensor("int32", tokens, [tokens.length]) });
      return out[output].data as Float32Array | Int32Array;
    },
    release: () => session.release(),
  };
}
