/**
 * The input-range fixture (docs/dispute-game.md "Inputs outside a declared range"): an embedding
 * lookup on raw token ids that validates only because `ids` declares the range [0, 15] (no Clip
 * before the Gather), and a second input `x` with no declaration. `ids` is 300 int32 (1200
 * bytes: two chunks), so an offending element can sit in the second chunk.
 */
import { commitModel, type ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../prover-trace/profile/validate.ts";
import { runModel } from "../../prover-trace/reference/run.ts";
import { buildPartyView, type PartyView } from "../../verifier/game/view.ts";

export const TOKENS = 300;
export const VOCAB = 16;

export interface InputRangeFixture {
  bytes: Uint8Array;
  model: ModelCommitment;
  /** The same lookup with no declared range (a Clip guards the Gather): a model without ranges. */
  unrangedBytes: Uint8Array;
  unranged: ModelCommitment;
  /** In-range inputs, their honest run's view. */
  inputs: TensorData[];
  honest: PartyView;
  /** `inputs` with ids[bad] = VOCAB (one past the table): no output exists for it. */
  badInputs: TensorData[];
  bad: number;
}

function graph(declare: boolean): Uint8Array {
  const g = new GraphBuilder(declare ? "embed_ranged" : "embed_unranged");
  const ids = g.input("ids", "int32", [TOKENS]);
  const x = g.input("x", "uint8", [3]);
  if (declare) g.inputRange("ids", 0, VOCAB - 1);
  const table = Array.from({ length: VOCAB * 4 }, (_, i) => ((i * 37) % 255) - 127);
  // Without the declaration ids is any int32 and the Gather could read past the table: clip it.
  const idx = declare
    ? ids
    : g.op("Clip", [ids, g.scalar("int32", 0, "lo"), g.scalar("int32", VOCAB - 1, "hi")], {}, "idc");
  const e = g.op("Gather", [g.constant("int8", [VOCAB, 4], table, "table"), idx], { axis: 0 }, "emb");
  g.output(e, "int8", [TOKENS, 4]);
  g.output(g.op("Relu", [g.op("Cast", [x], { to: 3 }, "xc")], {}, "xr"), "int8", [3]);
  return encodeOnnx(g.build());
}

export async function inputRangeFixture(): Promise<InputRangeFixture> {
  const bytes = graph(true);
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const unrangedBytes = graph(false);
  const unranged = await commitModel(loadProfileModel(unrangedBytes), unrangedBytes);
  const ids = Int32Array.from({ length: TOKENS }, (_, i) => (i * 7) % VOCAB);
  const x = Uint8Array.from([0, 200, 255]);
  const inputs: TensorData[] = [
    { dtype: 6, shape: [TOKENS], data: ids },
    { dtype: 2, shape: [3], data: x },
  ];
  const run = runModel(pm, [
    { dtype: 6, shape: [TOKENS], data: ids },
    { dtype: 2, shape: [3], data: x },
  ]);
  const honest = buildPartyView(model, inputs, run.nodeOutputs);
  const bad = 257;
  const badIds = ids.slice();
  badIds[bad] = VOCAB;
  return {
    bytes,
    model,
    unrangedBytes,
    unranged,
    inputs,
    honest,
    badInputs: [{ ...inputs[0], data: badIds }, inputs[1]],
    bad,
  };
}
