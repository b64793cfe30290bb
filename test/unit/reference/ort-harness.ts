/**
 * Test helper: runs IrModels with onnxruntime-node (CPU) on reference Tensors, so the
 * differential tests compare ORT, the whole-tensor interpreter and the element interpreter.
 */
import * as ort from "onnxruntime-node";
import { dtypeByCode } from "../../../protocol/dtype.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import type { Tensor } from "../../../prover-trace/reference/tensor.ts";

export type OptLevel = "disabled" | "basic" | "extended" | "all";

export interface OrtOptions {
  intraOpNumThreads?: number;
  graphOptimizationLevel?: OptLevel;
}

export function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(dtypeByCode(t.dtype).name as "int8", t.data as Int8Array, t.shape);
}

const CODE: Record<string, number> = { uint8: 2, int8: 3, int32: 6, int64: 7 };

export function fromOrt(t: ort.Tensor): Tensor {
  const dtype = CODE[t.type];
  if (dtype === undefined) throw new Error(`ORT returned non-profile type ${t.type}`);
  return { dtype: dtype as Tensor["dtype"], shape: t.dims.map(Number), data: t.data as Tensor["data"] };
}

export async function ortSession(model: IrModel, opts: OrtOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeOnnx(model), {
    executionProviders: ["cpu"],
    intraOpNumThreads: opts.intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? "all",
    // Expected run errors (division by zero, bad Gather index) are asserted by the tests.
    logSeverityLevel: 4,
  });
}

/** Runs the model; returns the graph outputs in declaration order. */
export async function ortRun(
  model: IrModel,
  inputs: readonly Tensor[],
  opts: OrtOptions = {},
): Promise<Tensor[]> {
  const s = await ortSession(model, opts);
  try {
    return await ortRunSession(s, model, inputs);
  } finally {
    await s.release();
  }
}

export async function ortRunSession(
  s: ort.InferenceSession,
  model: IrModel,
  inputs: readonly Tensor[],
): Promise<Tensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  model.graph.inputs.forEach((v, i) => {
    feeds[v.name] = toOrt(inputs[i]);
  });
  const res = await s.run(feeds);
  return model.graph.outputs.map((o) => fromOrt(res[o.name]));
}
