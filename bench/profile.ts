/**
 * Model loading cost: decode + validate (profile checks and interval analysis) and the model
 * commitments (node descriptors and graph root, weights root, UnixFS CID, model id) for synthetic
 * int8 MLPs of growing size: milliseconds per model (best of several) and weight MB/s.
 *   mlp-8x256    8 layers of int8 [256,256] weights (0.5 MiB)
 *   mlp-32x1024  32 layers of int8 [1024,1024] weights (32 MiB)
 */
import { commitModel } from "../prover-trace/commit/model.ts";
import { GraphBuilder } from "../prover-trace/onnx/graph-builder.ts";
import { decodeOnnx, encodeOnnx } from "../prover-trace/onnx/io.ts";
import { validateModel } from "../prover-trace/profile/validate.ts";
import { type BenchOptions, type BenchResult, bestMsAsync, cpuModel } from "./lib/harness.ts";

/** Layers of MatMulInteger -> Div -> Clip -> Cast -> Gather (activation table). */
function mlp(layers: number, width: number): Uint8Array {
  const g = new GraphBuilder(`mlp_${layers}x${width}`);
  let x = g.input("x", "int8", [1, width]);
  const table = g.constant(
    "int8",
    [256],
    Array.from({ length: 256 }, (_, i) => Math.max(0, i - 128) >> 1),
  );
  let seed = 1;
  for (let l = 0; l < layers; l++) {
    const w = new Int8Array(width * width);
    for (let i = 0; i < w.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      w[i] = (seed >>> 24) - 128;
    }
    const acc = g.op("MatMulInteger", [x, g.constant("int8", [width, width], w)]);
    const q = g.op("Div", [acc, g.scalar("int32", 1 << 12)]);
    const c = g.op("Clip", [q, g.scalar("int32", -128), g.scalar("int32", 127)]);
    const idx = g.op("Add", [c, g.scalar("int32", 128)]);
    x = g.op("Gather", [table, idx]);
  }
  g.output(x, "int8", [1, width]);
  return encodeOnnx(g.build());
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const out: BenchResult = { cpu: cpuModel() };
  for (const [name, layers, width] of [
    ["mlp-8x256", 8, 256],
    ["mlp-32x1024", 32, 1024],
  ] as const) {
    const bytes = mlp(layers, width);
    const decodeMs = await bestMsAsync(async () => decodeOnnx(bytes), 500);
    const ir = decodeOnnx(bytes);
    const validateMs = await bestMsAsync(async () => validateModel(ir), 500);
    const r = validateModel(ir);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const commitMs = await bestMsAsync(() => commitModel(r.profileModel, bytes), 500);
    const mb = bytes.length / 1e6;
    out[name] = {
      fileMB: mb,
      nodes: r.profileModel.nodes.length,
      decodeMs,
      validateMs,
      commitMs,
      commitMBps: mb / (commitMs / 1000),
    };
  }
  return out;
}
