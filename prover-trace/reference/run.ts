/**
 * Runs a resolved model on whole tensors, returning every node's outputs in topological (file)
 * order: what the trace commits to, and what a watcher re-executes without ORT.
 */
import { dtypeByCode, numel } from "../../protocol/dtype.ts";
import type { IrModel } from "../onnx/ir.ts";
import { inputRangeViolation } from "../profile/input-range.ts";
import type { ProfileModel } from "../profile/validate.ts";
import { evalNode } from "./eval-tensor.ts";
import { fromProfileModel, isProfileModel } from "./profile-model.ts";
import { resolveModel } from "./resolve.ts";
import { type Tensor, TYPED_ARRAY_NAME, typeString } from "./tensor.ts";
import { type InputRef, ModelInputError, type RefModel } from "./types.ts";

export interface RunResult {
  /** nodeOutputs[i][slot]: output `slot` of node i */
  nodeOutputs: Tensor[][];
  /** graph outputs by name */
  outputs: Record<string, Tensor>;
}

function checkInputs(model: RefModel, given: readonly Tensor[] | Readonly<Record<string, Tensor>>): Tensor[] {
  let list: (Tensor | undefined)[];
  if (Array.isArray(given)) {
    if (given.length !== model.inputs.length)
      throw new ModelInputError(`model takes ${model.inputs.length} inputs, got ${given.length}`);
    list = [...given];
  } else {
    const rec = given as Readonly<Record<string, Tensor>>;
    const names = new Set(model.inputs.map((i) => i.name));
    const extra = Object.keys(rec).filter((k) => !names.has(k));
    if (extra.length > 0) throw new ModelInputError(`unknown input(s): ${extra.join(", ")}`);
    list = model.inputs.map((i) => rec[i.name]);
  }
  return model.inputs.map((decl, i) => {
    const t = list[i];
    const label = `input ${i} (${decl.name})`;
    if (!t || typeof t !== "object") throw new ModelInputError(`${label}: missing`);
    if (t.dtype !== decl.dtype)
      throw new ModelInputError(
        `${label}: dtype code ${t.dtype}, model declares ${dtypeByCode(decl.dtype).name}`,
      );
    if (
      !Array.isArray(t.shape) ||
      t.shape.length !== decl.shape.length ||
      t.shape.some((d, k) => d !== decl.shape[k])
    )
      throw new ModelInputError(`${label}: shape [${t.shape}], model declares ${typeString(decl)}`);
    const want = TYPED_ARRAY_NAME[decl.dtype];
    if (!t.data || t.data.constructor.name !== want)
      throw new ModelInputError(`${label}: data must be a ${want}`);
    if (t.data.length !== numel(decl.shape))
      throw new ModelInputError(`${label}: ${t.data.length} elements, shape needs ${numel(decl.shape)}`);
    const outside = decl.interval
      ? inputRangeViolation({ ...decl, interval: decl.interval }, i, t.data)
      : null;
    if (outside) throw new ModelInputError(outside);
    return t;
  });
}

/** Converted once per ProfileModel object (a watcher re-executes the same model many times). */
const converted = new WeakMap<ProfileModel, RefModel>();
function cachedRefModel(pm: ProfileModel): RefModel {
  let m = converted.get(pm);
  if (!m) {
    m = fromProfileModel(pm);
    converted.set(pm, m);
  }
  return m;
}

/**
 * Runs a model on whole tensors. `model` is the validator's ProfileModel (the normal case: a
 * model that passed validateModel can never fault), a RefModel, or an IrModel, which is resolved
 * with the interpreter's own checks only (for tests of op/dtype combinations outside the profile).
 */
export function runModel(
  model: ProfileModel | RefModel | IrModel,
  inputs: readonly Tensor[] | Readonly<Record<string, Tensor>>,
): RunResult {
  const m: RefModel = isProfileModel(model)
    ? cachedRefModel(model)
    : "graph" in model
      ? resolveModel(model)
      : model;
  const ins = checkInputs(m, inputs);
  const nodeOutputs: Tensor[][] = [];
  const get = (r: InputRef): Tensor => {
    if (r.kind === 0) return ins[r.index];
    if (r.kind === 1) return m.initializers[r.index];
    return nodeOutputs[r.index][r.slot];
  };
  for (const node of m.nodes) nodeOutputs.push(evalNode(node.op, node.inputs.map(get), node.attrs));
  const outputs: Record<string, Tensor> = {};
  for (const o of m.outputs) outputs[o.name] = get(o.ref);
  return { nodeOutputs, outputs };
}
