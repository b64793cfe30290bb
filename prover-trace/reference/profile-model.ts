/**
 * The validator's ProfileModel (prover-trace/profile/validate.ts) as the interpreter's RefModel.
 * The profile's per-op inference decides the canonical attributes and output types; the
 * interpreter's own checkNode recomputes them and any disagreement is an error, so the two
 * inferences check each other on every model that runs.
 */
import { type DTypeCode, dtypeByCode } from "../../protocol/dtype.ts";
import { fullRange } from "../profile/interval.ts";
import type { ProfileModel } from "../profile/validate.ts";
import { checkNode } from "./infer.ts";
import { sameType, type Tensor, type TensorType, typeString } from "./tensor.ts";
import { type NodeAttrs, type RefModel, type RefNode, ResolveError } from "./types.ts";

function attrsEqual(a: NodeAttrs, b: NodeAttrs): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) return false;
  }
  return true;
}

export function isProfileModel(m: unknown): m is ProfileModel {
  return typeof m === "object" && m !== null && "values" in m && "ir" in m;
}

export function fromProfileModel(pm: ProfileModel): RefModel {
  const typeOf = (name: string): TensorType => {
    const v = pm.values.get(name);
    if (!v) throw new ResolveError(`value ${name} is missing from the profile model`);
    return { dtype: v.dtype, shape: [...v.shape] };
  };
  const nodes: RefNode[] = pm.nodes.map((n) => {
    const inputTypes = n.inputs.map(typeOf);
    const outputs = n.outputs.map(typeOf);
    const attrs = n.attrs as NodeAttrs;
    const own = checkNode(n.op, inputTypes, attrs);
    if (
      !attrsEqual(own.attrs, attrs) ||
      own.outputs.length !== outputs.length ||
      !own.outputs.every((t, i) => sameType(t, outputs[i]))
    )
      throw new ResolveError(
        `node ${n.index} ${n.name} (${n.onnxOp}): profile inference gives ${outputs.map(typeString).join(", ")}, ` +
          `the interpreter ${own.outputs.map(typeString).join(", ")}`,
      );
    return {
      index: n.index,
      name: n.name,
      onnxOp: n.onnxOp,
      op: n.op,
      inputs: n.inputRefs,
      inputTypes,
      outputs,
      attrs,
    };
  });
  const initializers = pm.initializers.map((t) => {
    if (!t.data) throw new ResolveError(`initializer ${t.name} has no integer data`);
    return { name: t.name, dtype: t.dtype as DTypeCode, shape: [...t.shape], data: t.data as Tensor["data"] };
  });
  const outputs = pm.outputs.map((o) => {
    if (o.ref.index < 0)
      throw new ResolveError(`graph output ${o.name} is a folded constant, not a data value`);
    return { name: o.name, ref: o.ref };
  });
  return {
    // Only a declared range (profile.md "Graph input ranges") narrows what the input accepts.
    inputs: pm.inputs.map((v) => {
      const whole = fullRange(dtypeByCode(v.dtype));
      const declared = v.interval.lo !== whole.lo || v.interval.hi !== whole.hi;
      return {
        name: v.name,
        dtype: v.dtype,
        shape: [...v.shape],
        ...(declared ? { interval: v.interval } : {}),
      };
    }),
    initializers,
    nodes,
    outputs,
  };
}
