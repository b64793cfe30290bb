/** A rec model in ONNX Runtime (CPU), float or imported (int32 input): crops -> CTC greedy text. */
import * as ort from "onnxruntime-node";
import { ctcDecode } from "./ctc.ts";
import { REC_INPUT } from "./files.ts";

export interface RecSession {
  /** The model's output for one input tensor: [T, C] scores, flattened, and T. */
  scores(
    x: Float32Array | Int32Array,
    shape: number[],
    dtype?: "float32" | "int32",
  ): Promise<{ data: ArrayLike<number>; T: number }>;
  text(
    x: Float32Array | Int32Array,
    shape: number[],
    classes: readonly string[],
    dtype?: "float32" | "int32",
  ): Promise<string>;
  release(): Promise<void>;
}

export async function recSession(modelBytes: Uint8Array, threads = 1): Promise<RecSession> {
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const out = session.outputNames[0];
  const scores = async (
    x: Float32Array | Int32Array,
    shape: number[],
    dtype: "float32" | "int32" = "float32",
  ) => {
    const r = await session.run({ [REC_INPUT]: new ort.Tensor(dtype, x, shape) });
    const t = r[out];
    const dims = t.dims.map(Number);
    return { data: t.data as ArrayLike<number>, T: dims.length === 3 ? dims[1] : dims[0] };
  };
  return {
    scores,
    async text(x, shape, classes, dtype = "float32") {
      const s = await scores(x, shape, dtype);
      return ctcDecode(s.data, s.T, classes);
    },
    release: () => session.release(),
  };
}
