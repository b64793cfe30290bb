/**
 * A multi-op model gives bit-identical outputs on every node in ORT across repeated runs,
 * intra-op threads 1 and 2 and every graph optimisation level, equal to the reference
 * interpreter (whole tensor and single element).
 */
import t from "tap";
import { resolveModel, runModel } from "../../../prover-trace/reference/index.ts";
import { randomTensor, rng } from "./cases.ts";
import { elementMismatches, tensorDiff } from "./check.ts";
import { multiOpModel } from "./multi-op.ts";
import { type OptLevel, ortRunSession, ortSession } from "./ort-harness.ts";

const model = multiOpModel();
const ref = resolveModel(model);
const r = rng(2024);
const inputSets = [0, 1, 2].map(() => [randomTensor("int8", [4, 16], r)]);

t.test("the model exercises every canonical op", async (t) => {
  const ops = new Set(ref.nodes.map((n) => n.op));
  t.same([...ops].sort(), [
    "Add",
    "ArgMax",
    "Cast",
    "Clip",
    "Div",
    "Gather",
    "MatMulInteger",
    "Max",
    "Mul",
    "ReduceMax",
    "Relu",
    "Reshape",
    "Sub",
    "Transpose",
  ]);
  t.equal(model.graph.outputs.length, model.graph.nodes.length, "every node output is a graph output");
});

t.test("reference: element interpreter agrees with whole tensors on every node", async (t) => {
  for (const inputs of inputSets) t.same(elementMismatches(ref, runModel(ref, inputs), inputs, 64), []);
});

t.test(
  "ORT: every node output equal to the reference for threads 1/2 x every optimisation level x 3 runs",
  async (t) => {
    const levels: OptLevel[] = ["disabled", "basic", "extended", "all"];
    for (const threads of [1, 2])
      for (const level of levels) {
        const s = await ortSession(model, { intraOpNumThreads: threads, graphOptimizationLevel: level });
        const problems: string[] = [];
        try {
          for (const [k, inputs] of inputSets.entries()) {
            const want = runModel(ref, inputs).nodeOutputs;
            for (let rep = 0; rep < 3; rep++) {
              const got = await ortRunSession(s, model, inputs);
              got.forEach((g, i) => {
                const d = tensorDiff(g, want[i][0]);
                if (d) problems.push(`set ${k} run ${rep} node ${i} ${ref.nodes[i].op}: ${d}`);
              });
            }
          }
        } finally {
          await s.release();
        }
        t.same(problems, [], `threads ${threads}, optimisation ${level}`);
      }
  },
);
