/**
 * The profile validator and the interpreter agree: every single-op test model the validator
 * accepts resolves to the same canonical nodes (op, attributes, data inputs, types) through the
 * profile's inference as through the interpreter's own, and the validator accepts none of the
 * combinations where ORT computes wrongly.
 */
import t from "tap";
import { OpCode } from "../../../prover-trace/profile/opcodes.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";
import { fromProfileModel, resolveModel, runModel } from "../../../prover-trace/reference/index.ts";
import { allOpCases } from "./cases.ts";
import { tensorDiff } from "./check.ts";
import { multiOpModel } from "./multi-op.ts";

t.test("validator-accepted single-op models resolve identically both ways", async (t) => {
  const accepted = new Set<string>();
  let n = 0;
  for (const c of allOpCases()) {
    const v = validateModel(c.model);
    if (!v.ok) continue;
    n++;
    t.notOk(c.ortDeviation, `${c.label}: the profile must not admit a combination ORT gets wrong`);
    const viaProfile = fromProfileModel(v.profileModel);
    const own = resolveModel(c.model);
    t.same(viaProfile.nodes, own.nodes, `${c.label}: nodes`);
    t.same(viaProfile.inputs, own.inputs, `${c.label}: inputs`);
    t.same(viaProfile.outputs, own.outputs, `${c.label}: outputs`);
    t.same(
      viaProfile.initializers.map((x) => [x.name, x.dtype, x.shape]),
      own.initializers.map((x) => [x.name, x.dtype, x.shape]),
      `${c.label}: data initializers`,
    );
    for (const inputs of c.inputSets) {
      const a = runModel(v.profileModel, inputs).nodeOutputs.flat();
      const b = runModel(own, inputs).nodeOutputs.flat();
      t.same(a.map((x, i) => tensorDiff(x, b[i])).filter(Boolean), [], `${c.label}: run`);
    }
    for (const node of own.nodes) accepted.add(node.op);
  }
  t.ok(n > 100, `${n} single-op models accepted`);
  t.same([...accepted].sort(), Object.keys(OpCode).sort(), "every canonical op is accepted somewhere");
});

t.test("the multi-op block validates and runs from its ProfileModel", async (t) => {
  const m = multiOpModel();
  const v = validateModel(m);
  t.ok(v.ok, v.ok ? "valid" : v.errors.join("\n"));
  if (!v.ok) return;
  t.same(fromProfileModel(v.profileModel).nodes, resolveModel(m).nodes);
});
