/**
 * Reference interpreter speed on whole tensors (the watcher's re-execution path without ORT),
 * next to ORT CPU on the same single-op model: milliseconds per call, best of several.
 *   matmul-int8 / matmul-uint8  MatMulInteger [64,256] x [256,256] with zero points
 *   add-int8-1M                 Add on 1 Mi int8 elements
 *   gather-int8-1M              256-entry lookup table over 1 Mi int32 indices
 *   transpose-int32-1M          [64,128,128] perm [2,0,1]
 */
import * as ort from "onnxruntime-node";
import { DTYPES, type DTypeName } from "../protocol/dtype.ts";
import { GraphBuilder } from "../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import type { IrModel } from "../prover-trace/onnx/ir.ts";
import { resolveModel, runModel, type Tensor, tensorOf } from "../prover-trace/reference/index.ts";
import { type BenchOptions, type BenchResult, bestMs, bestMsAsync, cpuModel } from "./lib/harness.ts";

let seed = 7;
function noise(dt: DTypeName, shape: number[], mod = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = DTYPES[dt];
  const span = mod || Number(d.max - d.min + 1n);
  const base = mod ? 0 : Number(d.min);
  return tensorOf(
    d.code,
    shape,
    Array.from({ length: n }, () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return base + (seed % Math.min(span, 2 ** 31));
    }),
  );
}

interface Case {
  model: IrModel;
  inputs: Tensor[];
}

function matmul(dt: "int8" | "uint8"): Case {
  const g = new GraphBuilder("mm");
  g.input("a", dt, [64, 256]);
  g.input("b", dt, [256, 256]);
  g.output(g.op("MatMulInteger", ["a", "b", g.scalar(dt, 3), g.scalar(dt, 5)], {}, "y"), "int32");
  return { model: g.build(), inputs: [noise(dt, [64, 256]), noise(dt, [256, 256])] };
}

function unaryCase(build: (g: GraphBuilder) => void, inputs: Tensor[]): Case {
  const g = new GraphBuilder("c");
  build(g);
  return { model: g.build(), inputs };
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const M = 1 << 20;
  const cases: Record<string, Case> = {
    "matmul-int8": matmul("int8"),
    "matmul-uint8": matmul("uint8"),
    "add-int8-1M": unaryCase(
      (g) => {
        g.input("a", "int8", [M]);
        g.input("b", "int8", [M]);
        g.output(g.op("Add", ["a", "b"], {}, "y"), "int8");
      },
      [noise("int8", [M]), noise("int8", [M])],
    ),
    "gather-int8-1M": unaryCase(
      (g) => {
        g.input("i", "int32", [M]);
        g.output(
          g.op(
            "Gather",
            [
              g.constant(
                "int8",
                [256],
                Array.from({ length: 256 }, (_, k) => k - 128),
              ),
              "i",
            ],
            { axis: 0 },
            "y",
          ),
          "int8",
        );
      },
      [noise("int32", [M], 256)],
    ),
    "transpose-int32-1M": unaryCase(
      (g) => {
        g.input("x", "int32", [64, 128, 128]);
        g.output(g.op("Transpose", ["x"], { perm: [2, 0, 1] }, "y"), "int32");
      },
      [noise("int32", [64, 128, 128])],
    ),
  };
  const result: BenchResult = { cpu: cpuModel() };
  for (const [name, c] of Object.entries(cases)) {
    const ref = resolveModel(c.model);
    const refMs = bestMs(() => runModel(ref, c.inputs));
    const s = await ort.InferenceSession.create(encodeOnnx(c.model), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const feeds: Record<string, ort.Tensor> = {};
    c.model.graph.inputs.forEach((v, k) => {
      const t = c.inputs[k];
      feeds[v.name] = new ort.Tensor(
        DTYPES[Object.keys(DTYPES).find((n) => DTYPES[n as DTypeName].code === t.dtype) as DTypeName]
          .name as "int8",
        t.data as Int8Array,
        t.shape,
      );
    });
    const ortMs = await bestMsAsync(() => s.run(feeds));
    await s.release();
    result[name] = { referenceMs: refMs, ortMs, ratio: refMs / ortMs };
  }
  return result;
}
