/**
 * `verdict model import`, pure of file I/O: float ONNX bytes + calibration samples -> integer
 * profile model bytes + accuracy report, or one line per problem and no model.
 *
 * Samples sorted by name are split: every fourth one (when there are at least 4) is held out
 * from calibration and used only for the report.
 */

import { decodeOnnx, encodeOnnx, OnnxFormatError } from "../onnx/io.ts";
import { defaultOpset, type IrModel } from "../onnx/ir.ts";
import { validateModel } from "../profile/validate.ts";
import {
  type CalibrationRule,
  calibrate,
  calibrationRuleName,
  DEFAULT_CALIBRATION,
  runAll,
  type Sample,
  withOutputs,
} from "./calibrate.ts";
import type { QT } from "./int-emit.ts";
import { type LoweredOutput, lowerToInteger } from "./lower.ts";

export const MIN_FLOAT_OPSET = 13;
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
  const report = await evaluate(model, lowered.model, lowered.quantized, lowered.outputs, evalSamples);
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
): Promise<Pick<ImportReport, "outputs" | "worstTensors">> {
  const intNames = new Set(intModel.graph.nodes.flatMap((n) => n.outputs));
  const tracked = [...quantized.entries()].filter(([, t]) => intNames.has(t.name) && !t.saturated);
  const floatRun = await runAll(
    encodeOnnx(
      withOutputs(
        floatModel,
        tracked.map(([f]) => f),
      ),
    ),
    samples,
  );
  const intExtra = withOutputs(intModel, [...new Set(tracked.map(([, t]) => t.name))]);
  // withOutputs declares extras as float; the integer ones are int32.
  intExtra.graph.outputs = intExtra.graph.outputs.map((o, i) =>
    i < intModel.graph.outputs.length ? o : { ...o, dtype: 6 },
  );
  const intRun = await runAll(encodeOnnx(intExtra), samples);
  await floatRun.session.release();
  await intRun.session.release();

  const acc = new Map<string, { err: number; ref: number }>();
  const add = (k: string, r: { err: number; ref: number }) => {
    const p = acc.get(k) ?? { err: 0, ref: 0 };
    acc.set(k, { err: p.err + r.err, ref: p.ref + r.ref });
  };
  const outReports = outputs.map((o) => ({ ...o, top1Agreement: 0, relError: 0 }));
  const agree = outputs.map(() => ({ same: 0, rows: 0 }));
  for (let s = 0; s < samples.length; s++) {
    for (const [f, t] of tracked) {
      const fv = floatRun.results[s][f].data as Float32Array;
      const iv = intRun.results[s][t.name].data as Int32Array;
      add(f, relError(dequantize(iv, t.scale), fv));
    }
    outputs.forEach((o, k) => {
      const fv = floatRun.results[s][o.name];
      const iv = intRun.results[s][o.name];
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
