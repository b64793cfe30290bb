/**
 * Opsets 13..21 of the default domain, measured on ONNX Runtime 1.30 CPU: every single-op case
 * of the ORT differential test is rewritten for each opset (ReduceMax's axes become an input
 * from 18, as ReduceMax-18 defines them). Where the validator accepts the model at that opset,
 * ORT == reference bit for bit; where it refuses it (a version gate: 8-bit Add/Sub/Mul and
 * integer Relu before 14, ...), ORT refuses the same model too, so no gate is stricter than
 * ONNX Runtime, and no accepted model fails to load. A builder model re-tagged at every opset
 * gives the same trace root as at opset 17.
 */
import t from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrModel } from "../../../prover-trace/onnx/ir.ts";
import { MAX_PROFILE_OPSET, MIN_PROFILE_OPSET } from "../../../prover-trace/profile/ops.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/index.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { allOpCases } from "./cases.ts";
import { tensorDiff } from "./check.ts";
import { ortRunSession, ortSession } from "./ort-harness.ts";

/** The same graph written for `opset`: from 18 on, ReduceMax's axes attribute becomes an input. */
function atOpset(m: IrModel, opset: number): IrModel {
  const initializers = [...m.graph.initializers];
  const nodes = m.graph.nodes.map((n) => {
    const axes = n.attrs.axes;
    if (n.opType !== "ReduceMax" || opset < 18 || axes?.type !== "ints") return n;
    const name = `${n.name}_axes`;
    initializers.push({ name, dtype: 7, shape: [axes.value.length], data: BigInt64Array.from(axes.value) });
    const { axes: _, ...attrs } = n.attrs;
    return { ...n, inputs: [n.inputs[0], name], attrs };
  });
  return {
    ...m,
    opsetImports: m.opsetImports.map((o) => (o.domain === "" ? { ...o, version: opset } : o)),
    graph: { ...m.graph, nodes, initializers },
  };
}

const OPSETS = Array.from(
  { length: MAX_PROFILE_OPSET - MIN_PROFILE_OPSET + 1 },
  (_, i) => MIN_PROFILE_OPSET + i,
);
const cases = allOpCases().filter((c) => validateModel(c.model).ok && !c.ortDeviation);

t.test(`${cases.length} single-op profile models at opsets ${OPSETS.join(", ")}`, async (t) => {
  const refused: string[] = [];
  for (const opset of OPSETS) {
    const problems: string[] = [];
    for (const c of cases) {
      const model = atOpset(c.model, opset);
      const v = validateModel(model);
      let session: Awaited<ReturnType<typeof ortSession>>;
      try {
        session = await ortSession(model);
      } catch (e) {
        if (v.ok)
          problems.push(`${c.label}: accepted, but ORT refuses it: ${(e as Error).message.slice(0, 160)}`);
        else refused.push(`${opset} ${c.label}: ${v.errors.join("; ")}`);
        continue;
      }
      try {
        if (!v.ok) {
          problems.push(`${c.label}: refused (${v.errors.join("; ")}), but ORT runs it`);
          continue;
        }
        for (const [s, inputs] of c.inputSets.slice(0, 2).entries()) {
          const ref = runModel(v.profileModel, inputs);
          const got = await ortRunSession(session, model, inputs);
          model.graph.outputs.forEach((o, i) => {
            const d = tensorDiff(ref.outputs[o.name], got[i]);
            if (d) problems.push(`${c.label} set ${s}: reference vs ORT: ${d}`);
          });
        }
      } finally {
        await session.release();
      }
    }
    t.same(problems, [], `opset ${opset}`);
  }
  // The gates that fire are exactly the measured ONNX version boundaries.
  for (const line of refused) t.match(line, /^13 .*needs opset >= 14/, line);
  t.ok(
    refused.some((l) => /Relu/.test(l)) && refused.some((l) => /Add int8/.test(l)),
    "integer Relu and 8-bit Add are refused at opset 13",
  );
});

t.test("a builder model re-tagged at opsets 14..21 commits to the same trace as at 17", async (t) => {
  const ir = buildTransformerLm({ seed: 2, layers: 1, dModel: 32, heads: 2, ffDim: 64, seqLen: 16 });
  const input = {
    tokens: { dtype: 2, shape: [16], data: Uint8Array.from({ length: 16 }, (_, i) => i * 13) },
  };
  const base = await createRunner(encodeOnnx(ir));
  const want = toHex((await base.runTraced(input)).traceRoot);
  await base.dispose();
  for (const opset of OPSETS.filter((o) => o >= 14)) {
    const r = await createRunner(encodeOnnx(atOpset(ir, opset)));
    t.equal(toHex((await r.runTraced(input)).traceRoot), want, `opset ${opset}`);
    await r.dispose();
  }
});
