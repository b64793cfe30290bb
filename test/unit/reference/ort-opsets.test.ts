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
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
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

t.test(
  "Pad-18's axes input: accepted from 18 (ORT == reference), refused before (ORT refuses too)",
  async (t) => {
    for (const opset of OPSETS) {
      const g = new GraphBuilder("pad_axes");
      const x = g.input("x", "int8", [2, 3, 4]);
      const pads = g.constant("int64", [4], [1, -1, 2, 0]);
      const axes = g.constant("int64", [2], [-1, 0]);
      g.output(g.op("Pad", [x, pads, g.scalar("int8", -128), axes], {}, "y"), "int8");
      const m = g.build();
      m.opsetImports = [{ domain: "", version: opset }];
      const v = validateModel(m);
      let session: Awaited<ReturnType<typeof ortSession>> | null = null;
      try {
        session = await ortSession(m);
      } catch {
        session = null;
      }
      t.equal(v.ok, opset >= 18, `opset ${opset}: validator`);
      t.equal(session !== null, opset >= 18, `opset ${opset}: ORT loads it`);
      if (!v.ok || !session) continue;
      const input = {
        dtype: 3 as const,
        shape: [2, 3, 4],
        data: Int8Array.from({ length: 24 }, (_, i) => i * 11 - 128),
      };
      const [got] = await ortRunSession(session, m, [input]);
      t.equal(
        tensorDiff(runModel(v.profileModel, [input]).outputs.y, got),
        null,
        `opset ${opset}: ORT == reference`,
      );
      t.same(got.shape, [1, 3, 7], "axes [-1, 0]: axis 2 gets begin 1, end 2; axis 0 begin -1 (crop), end 0");
      await session.release();
    }
  },
);
