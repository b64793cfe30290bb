/**
 * Test helpers for the profile: run a model in onnxruntime-node (CPU) with every node output
 * exposed as a graph output, and draw random or extreme inputs of the declared types.
 */
import * as ort from "onnxruntime-node";
import { type DTypeCode, dtypeByCode, numel } from "../../../protocol/dtype.ts";
import { allocTensorData, encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel, TensorData } from "../../../prover-trace/onnx/ir.ts";
import type { Interval } from "../../../prover-trace/profile/interval.ts";
import type { ProfileModel } from "../../../prover-trace/profile/validate.ts";

export interface Feed {
  name: string;
  dtype: DTypeCode;
  shape: number[];
  data: TensorData;
}

/** Deterministic PRNG (mulberry32) so every failure reproduces. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FillMode = "random" | "min" | "max" | "alternate" | "small" | "edges";

/** A value of the dtype drawn according to `mode` (element index `i` for the patterned modes). */
function valueFor(dtype: DTypeCode, mode: FillMode, i: number, rnd: () => number): bigint {
  const d = dtypeByCode(dtype);
  const span = d.max - d.min + 1n;
  switch (mode) {
    case "min":
      return d.min;
    case "max":
      return d.max;
    case "alternate":
      return i % 2 === 0 ? d.min : d.max;
    case "small":
      return BigInt(Math.floor(rnd() * 7) - 3) + (d.signed ? 0n : 3n);
    case "edges": {
      const pick = [d.min, d.min + 1n, -1n, 0n, 1n, d.max - 1n, d.max].filter(
        (v) => v >= d.min && v <= d.max,
      );
      return pick[Math.floor(rnd() * pick.length)];
    }
    default: {
      // Mix of uniform draws over the whole range and values near the edges.
      const r = rnd();
      if (r < 0.15) return d.min + BigInt(Math.floor(rnd() * 3));
      if (r < 0.3) return d.max - BigInt(Math.floor(rnd() * 3));
      const hi = BigInt(Math.floor(rnd() * 2 ** 30)) * 2n ** 34n + BigInt(Math.floor(rnd() * 2 ** 34));
      return d.min + (hi % span);
    }
  }
}

export function fillTensor(dtype: DTypeCode, shape: number[], mode: FillMode, rnd: () => number): TensorData {
  const n = numel(shape);
  const data = allocTensorData(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = valueFor(dtype, mode, i, rnd);
    if (data instanceof BigInt64Array) data[i] = v;
    else (data as Int32Array)[i] = Number(v);
  }
  return data;
}

export function feedsFor(pm: ProfileModel, mode: FillMode, rnd: () => number): Feed[] {
  return pm.inputs.map((v) => ({
    name: v.name,
    dtype: v.dtype,
    shape: v.shape,
    data: fillTensor(v.dtype, v.shape, mode, rnd),
  }));
}

/** The IrModel with every node output appended as a graph output, so ORT returns all of them. */
export function exposeAll(pm: ProfileModel): IrModel {
  const g = pm.ir.graph;
  const declared = new Set(g.outputs.map((o) => o.name));
  const extra = pm.nodes
    .map((n) => pm.values.get(n.outputs[0])!)
    .filter((v) => !declared.has(v.name))
    .map((v) => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] }));
  return { ...pm.ir, graph: { ...g, outputs: [...g.outputs, ...extra] } };
}

export async function ortSession(model: IrModel): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeOnnx(model), {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    logSeverityLevel: 4,
  });
}

export async function ortRunAll(
  s: ort.InferenceSession,
  feeds: readonly Feed[],
): Promise<Record<string, { type: string; dims: number[]; data: TensorData }>> {
  const f: Record<string, ort.Tensor> = {};
  for (const x of feeds)
    f[x.name] = new ort.Tensor(dtypeByCode(x.dtype).name as "int8", x.data as Int8Array, x.shape);
  const r = await s.run(f);
  const out: Record<string, { type: string; dims: number[]; data: TensorData }> = {};
  for (const [k, v] of Object.entries(r))
    out[k] = { type: v.type, dims: v.dims.map(Number), data: v.data as TensorData };
  return out;
}

/** First element outside the interval, or null. */
export function outside(data: TensorData, iv: Interval): { index: number; value: bigint } | null {
  for (let i = 0; i < data.length; i++) {
    const v = BigInt(data[i]);
    if (v < iv.lo || v > iv.hi) return { index: i, value: v };
  }
  return null;
}
