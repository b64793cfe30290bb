/**
 * Differential tests: for every profile op on every dtype combination ORT 1.30 CPU has a kernel
 * for, ORT == reference whole-tensor == reference single-element, bit for bit, on random and
 * extreme inputs; fold witnesses end at the output value.
 */
import t from "tap";
import { readElement, resolveModel, runModel, type Tensor } from "../../../prover-trace/reference/index.ts";
import { allOpCases, type OpCase } from "./cases.ts";
import { elementMismatches, tensorDiff } from "./check.ts";
import { ortRunSession, ortSession } from "./ort-harness.ts";

const cases = allOpCases();

function inInt32Range(x: Tensor): boolean {
  for (let i = 0; i < x.data.length; i++) {
    const v = readElement(x, i);
    if (v < -(2n ** 31n) || v >= 2n ** 31n) return false;
  }
  return true;
}

/** Folded constants (Clip bounds) are initializers of the ONNX model too. */
function constsIn32(c: OpCase): boolean {
  return c.model.graph.initializers.every((x) => x.data !== null && inInt32Range(x as Tensor));
}

t.test(`${cases.length} single-op models: ORT == reference == element interpreter`, async (t) => {
  for (const c of cases) {
    const model = resolveModel(c.model);
    const session = await ortSession(c.model);
    const problems: string[] = [];
    try {
      for (const [s, inputs] of c.inputSets.entries()) {
        const ref = runModel(model, inputs);
        for (const m of elementMismatches(model, ref, inputs)) problems.push(`set ${s}: ${m}`);
        if (
          c.ortDeviation &&
          !(inputs.every(inInt32Range) && model.initializers.every(inInt32Range) && constsIn32(c))
        )
          continue;
        const ort = await ortRunSession(session, c.model, inputs);
        c.model.graph.outputs.forEach((o, i) => {
          const d = tensorDiff(ref.outputs[o.name], ort[i]);
          if (d) problems.push(`set ${s} output ${o.name}: reference vs ORT: ${d}`);
        });
      }
    } finally {
      await session.release();
    }
    t.same(problems, [], c.label);
  }
});
