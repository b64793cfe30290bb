/**
 * `verdict model import`, pure of file I/O: float ONNX bytes + calibration samples -> integer
 * profile model bytes + accuracy report, or one line per problem and no model.
 *
 * Samples sorted by name are split: every fourth one (when there are at least 4) is held out
 * from calibration and used only for the report.
 */

import * as ort from "onnxruntime-node";
import { decodeOnnx, encodeOnnx, OnnxFormatError } from "../onnx/io.ts";
import { defaultOpset, type IrModel } from "../onnx/ir.ts";
import { validateModel } from "../profile/validate.ts";
import {
  type CalibrationRule,
  calibrate,
  calibrationRuleName,
  DEFAULT_CALIBRATION,
  ortTensor,
  type Sample,
  withOutputs,
} from "./calibrate.ts";
import type { QT } from "./int-emit.ts";
import { type LoweredInput, type LoweredOutput, lowerToInteger } from "./lower.ts";
import type { NpyArray } from "./npy.ts";

/**
 * Opsets 9-12 differ from 13 in the ops the importer reads only by attributes becoming inputs
 * (Clip min/max, Slice starts/ends/axes, Squeeze/Unsqueeze/ReduceMean axes) and Softmax's 2-D
 * coercion, which equals the last-axis softmax the importer requires; both forms are read.
 */
export const MIN_FLOAT_OPSET = 9;
export const MAX_FLOAT_OPSET = 21;

export interface TensorError {
  tensor: string;
  /** rms(dequantized integer - float) / rms(float) over the held-out samples */
  relError: number;
}

export interface ImportReport {
  floatNodes: number;
  intNodes: number;
  intBytes: number;
  calibrationSamples: string[];
  heldOutSamples: string[];
  /** "max" or "percentile:P" (docs/import.md section 2). */
  calibration: string;
  /** Float graph inputs become int32 inputs: feed round(x / scale) clipped to +-bound. */
  inputs: LoweredInput[];
  outputs: (LoweredOutput & { top1Agreement: number; relError: number })[];
  /** The tensors whose error is largest, worst first. */
  worstTensors: TensorError[];
}

export type ImportResult =
  | { ok: true; intModel: IrModel; intBytes: Uint8Array; report: ImportReport }
  | { ok: false; errors: string[] };

export function splitSamples(samples: readonly Sample[]): { calib: Sample[]; heldOut: Sample[] } {
  const sorted = [...samples].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (sorted.length < 4) return { calib: sorted, heldOut: [] };
  return {
    calib: sorted.filter((_, i) => i % 4 !== 3),
    heldOut: sorted.filter((_, i) => i % 4 === 3),
  };
}

function dequantize(q: ArrayLike<number>, scale: number | Float64Array): Float64Array {
  const out = new Float64Array(q.length);
  if (typeof scale === "number") for (let i = 0; i < q.length; i++) out[i] = q[i] * scale;
  else for (let i = 0; i < q.length; i++) out[i] = q[i] * scale[i % scale.length];
  return out;
}

function relError(deq: ArrayLike<number>, f: ArrayLike<number>): { err: number; ref: number } {
  let err = 0;
  let ref = 0;
  for (let i = 0; i < f.length; i++) {
    err += (deq[i] - f[i]) ** 2;
    ref += f[i] ** 2;
  }
  return { err, ref };
}

/**
 * Constant nodes (old exporters write every weight as one) become initializers, so that the
 * recipes see constants wherever they come from.
 */
export function constantsToInitializers(model: IrModel): IrModel {
  const consts = model.graph.nodes.filter((n) => n.opType === "Constant" && n.attrs.value?.type === "tensor");
  if (consts.length === 0) return model;
  const inits = consts.map((n) => {
    const v = n.attrs.value;
    if (v?.type !== "tensor") throw new Error("unreachable");
    return { ...v.value, name: n.outputs[0] };
  });
  return {
    ...model,
    graph: {
      ...model.graph,
      nodes: model.graph.nodes.filter((n) => !consts.includes(n)),
      initializers: [...model.graph.initializers, ...inits],
    },
  };
}

/** A float sample as the integer model's int32 input: round(x / scale), clipped to +-bound. */
export function quantizeInput(a: NpyArray, input: LoweredInput): NpyArray {
  if (a.dtype !== "float32") return a;
  const d = a.data as Float32Array;
  const q = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++)
    q[i] = Math.max(-input.bound, Math.min(input.bound, Math.round(d[i] / input.scale)));
  return { dtype: "int32", shape: a.shape, data: q };
}

export function quantizeSample(s: Sample, inputs: readonly LoweredInput[]): Sample {
  const out: Record<string, NpyArray> = { ...s.inputs };
  for (const i of inputs) if (out[i.name]) out[i.name] = quantizeInput(out[i.name], i);
  return { name: s.name, inputs: out };
}

export async function importModel(
  floatBytes: Uint8Array,
  samples: readonly Sample[],
  options: { calibration?: CalibrationRule } = {},
): Promise<ImportResult> {
  const rule = options.calibration ?? DEFAULT_CALIBRATION;
  let model: IrModel;
  try {
    model = decodeOnnx(floatBytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) return { ok: false, errors: [e.message] };
    throw e;
  }
  model = constantsToInitializers(model);
  const opset = defaultOpset(model);
  if (opset < MIN_FLOAT_OPSET || opset > MAX_FLOAT_OPSET)
    return {
      ok: false,
      errors: [
        `opset ${opset}: the importer reads float models of opsets ${MIN_FLOAT_OPSET}-${MAX_FLOAT_OPSET}`,
      ],
    };
  if (samples.length === 0) return { ok: false, errors: ["no calibration samples"] };
  const inputNames = model.graph.inputs
    .map((i) => i.name)
    .filter((n) => !model.graph.initializers.some((t) => t.name === n));
  const missing = samples.flatMap((s) =>
    inputNames.filter((n) => !s.inputs[n]).map((n) => `sample '${s.name}': no ${n}.npy`),
  );
  if (missing.length > 0) return { ok: false, errors: missing };
  for (const s of samples)
    for (const i of model.graph.inputs) {
      const a = s.inputs[i.name];
      if (
        a &&
        i.shape &&
        (a.shape.length !== i.shape.length ||
          i.shape.some((d, k) => typeof d === "number" && d !== a.shape[k]))
      )
        return {
          ok: false,
          errors: [`sample '${s.name}': ${i.name}.npy has shape (${a.shape}), the model takes [${i.shape}]`],
        };
    }

  const { calib, heldOut } = splitSamples(samples);
  const stats = await calibrate(model, calib, rule);
  const lowered = lowerToInteger(model, stats, `${model.graph.name || "model"}-int`);
  if (!lowered.ok) return { ok: false, errors: lowered.errors };
  const v = validateModel(lowered.model);
  if (!v.ok) return { ok: false, errors: v.errors.map((e) => `the integer model fails the profile: ${e}`) };
  const intBytes = encodeOnnx(lowered.model);

  const evalSamples = heldOut.length > 0 ? heldOut : calib;
  const report = await evaluate(
    model,
    lowered.model,
    lowered.quantized,
    lowered.outputs,
    evalSamples,
    lowered.inputs,
  );
  return {
    ok: true,
    intModel: lowered.model,
    intBytes,
    report: {
      floatNodes: model.graph.nodes.length,
      intNodes: lowered.model.graph.nodes.length,
      intBytes: intBytes.length,
      calibrationSamples: calib.map((s) => s.name),
      heldOutSamples: heldOut.map((s) => s.name),
      calibration: calibrationRuleName(rule),
      inputs: lowered.inputs,
      ...report,
    },
  };
}

/** Float vs integer on `samples`: per-output top-1 agreement (last axis) and error per tensor. */
async function evaluate(
  floatModel: IrModel,
  intModel: IrModel,
  quantized: Map<string, QT>,
  outputs: LoweredOutput[],
  samples: readonly Sample[],
  inputs: readonly LoweredInput[],
): Promise<Pick<ImportReport, "outputs" | "worstTensors">> {
  const intNames = new Set(intModel.graph.nodes.flatMap((n) => n.outputs));
  const tracked = [...quantized.entries()].filter(([, t]) => intNames.has(t.name) && !t.saturated);
  const intExtra = withOutputs(intModel, [...new Set(tracked.map(([, t]) => t.name))]);
  // withOutputs declares extras as float; the integer ones are int32.
  intExtra.graph.outputs = intExtra.graph.outputs.map((o, i) =>
    i < intModel.graph.outputs.length ? o : { ...o, dtype: 6 },
  );
  const open = (bytes: Uint8Array) =>
    ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
  const floatSession = await open(
    encodeOnnx(
      withOutputs(
        floatModel,
        tracked.map(([f]) => f),
      ),
    ),
  );
  const intSession = await open(encodeOnnx(intExtra));
  const feeds = (session: ort.InferenceSession, s: Sample) =>
    Object.fromEntries(session.inputNames.map((n) => [n, ortTensor(s.inputs[n])]));

  const acc = new Map<string, { err: number; ref: number }>();
  const add = (k: string, r: { err: number; ref: number }) => {
    const p = acc.get(k) ?? { err: 0, ref: 0 };
    acc.set(k, { err: p.err + r.err, ref: p.ref + r.ref });
  };
  const outReports = outputs.map((o) => ({ ...o, top1Agreement: 0, relError: 0 }));
  const agree = outputs.map(() => ({ same: 0, rows: 0 }));
  try {
    // One sample at a time (a convolutional network's feature maps add up quickly).
    for (const sample of samples) {
      const fr = (await floatSession.run(feeds(floatSession, sample))) as Record<string, ort.Tensor>;
      const qs = quantizeSample(sample, inputs);
      const ir = (await intSession.run(feeds(intSession, qs))) as Record<string, ort.Tensor>;
      for (const [f, t] of tracked) {
        const fv = fr[f].data as Float32Array;
        const iv = ir[t.name].data as Int32Array;
        add(f, relError(dequantize(iv, t.scale), fv));
      }
      outputs.forEach((o, k) => {
        const fv = fr[o.name];
        const iv = ir[o.name];
        const fd = fv.data as Float32Array;
        const id = iv.data as Int32Array;
        add(`output:${o.name}`, relError(dequantize(id, o.scale), fd));
        const width = Number(fv.dims.at(-1));
        for (let r = 0; r < fd.length / width; r++) {
          let bf = 0;
          let bi = 0;
          for (let c = 1; c < width; c++) {
            if (fd[r * width + c] > fd[r * width + bf]) bf = c;
            if (id[r * width + c] > id[r * width + bi]) bi = c;
          }
          agree[k].rows++;
          if (bf === bi) agree[k].same++;
        }
      });
    }
  } finally {
    await floatSession.release();
    await intSession.release();
  }
  const rel = (r: { err: number; ref: number }) => (r.ref > 0 ? Math.sqrt(r.err / r.ref) : Math.sqrt(r.err));
  outputs.forEach((o, k) => {
    outReports[k].top1Agreement = agree[k].same / Math.max(1, agree[k].rows);
    outReports[k].relError = rel(acc.get(`output:${o.name}`) ?? { err: 0, ref: 0 });
  });
  const worstTensors = tracked
    .map(([f]) => ({ tensor: f, relError: rel(acc.get(f) ?? { err: 0, ref: 0 }) }))
    .sort((a, b) => b.relError - a.relError);
  worstTensors.splice(8);
  return { outputs: outReports, worstTensors };
}
