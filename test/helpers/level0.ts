/**
 * The level-0 fixture shared by the level-0 game tests and the watcher's checker test: a
 * three-output model whose graph outputs are not in node order (refs (1,0), (2,0), (0,0)), an
 * input, the honest run's view and a liar's view with the honest trace but graph output 1 changed.
 */
import { commitModel, type ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../prover-trace/profile/validate.ts";
import { runModel } from "../../prover-trace/reference/run.ts";
import { buildPartyView, type PartyView } from "../../verifier/game/view.ts";

export interface Level0Fixture {
  /** The ONNX file. */
  bytes: Uint8Array;
  model: ModelCommitment;
  input: TensorData;
  nodeOutputs: TensorData[][];
  honest: PartyView;
  /** Honest trace, graph output 1 (the ArgMax indices) changed: a wrong outputRoot. */
  liar: PartyView;
  /** The honest run's graph outputs, and the liar's. */
  honestOutputs: TensorData[];
  liarOutputs: TensorData[];
}

export async function level0Fixture(): Promise<Level0Fixture> {
  // n0 r = Relu(x) int8[2,40]; n1 m = MatMulInteger(r, w) int32[2,8]; n2 a = ArgMax(m) int64[2].
  // Graph outputs in the order m, a, r: refs (1,0), (2,0), (0,0).
  const g = new GraphBuilder("level0");
  const x = g.input("x", "int8", [2, 40]);
  const r = g.op("Relu", [x], {}, "r");
  const wData = Array.from({ length: 320 }, (_, i) => ((i * 29) % 31) - 15);
  const m = g.op("MatMulInteger", [r, g.constant("int8", [40, 8], wData, "w")], {}, "m");
  const a = g.op("ArgMax", [m], { axis: 1, keepdims: 0 }, "a");
  g.output(m, "int32", [2, 8]);
  g.output(a, "int64", [2]);
  g.output(r, "int8", [2, 40]);
  const bytes = encodeOnnx(g.build());
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(80).map((_, i) => ((i * 53) % 200) - 100);
  const input: TensorData = { dtype: 3, shape: [2, 40], data };
  const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [2, 40], data }]).nodeOutputs;
  const honest = buildPartyView(model, [input], nodeOutputs);
  const graphOutputs = model.outputRefs.map((ref) => nodeOutputs[ref.node][ref.slot]);
  const am = (graphOutputs[1].data as BigInt64Array).slice();
  am[0] = am[0] === 0n ? 1n : 0n;
  const liarOutputs = graphOutputs.map((o, k) => (k === 1 ? { ...o, data: am } : o));
  const liar = buildPartyView(model, [input], nodeOutputs, { outputs: liarOutputs });
  return { bytes, model, input, nodeOutputs, honest, liar, honestOutputs: graphOutputs, liarOutputs };
}
