/**
 * IrModel -> RefModel: canonical ops, constant parameters folded into attributes (Clip bounds,
 * Reshape/Squeeze/Unsqueeze/Flatten targets, MatMulInteger zero points, reduction axes), data
 * inputs as InputRefs, static types inferred node by node. It rejects what it cannot execute
 * with one clear error; naming every offender of a whole model is the validator's job
 * (prover-trace/profile/validate.ts).
 */
import { type DTypeCode, isProfileDType, numel } from "../../protocol/dtype.ts";
import type { IrAttr, IrModel, IrNode, IrTensor } from "../onnx/ir.ts";
import type { OpName } from "../profile/opcodes.ts";
import { CANONICAL_OP } from "../profile/ops.ts";
import { checkNode } from "./infer.ts";
import type { Tensor, TensorType } from "./tensor.ts";
import { type InputRef, type NodeAttrs, type RefModel, type RefNode, ResolveError } from "./types.ts";

function intAttr(n: IrNode, key: string): number | undefined {
  const a: IrAttr | undefined = n.attrs[key];
  if (a === undefined) return undefined;
  if (a.type !== "int")
    throw new ResolveError(`node ${n.name} (${n.opType}): attribute ${key} must be an int`);
  return Number(a.value);
}

function intsAttr(n: IrNode, key: string): number[] | undefined {
  const a: IrAttr | undefined = n.attrs[key];
  if (a === undefined) return undefined;
  if (a.type !== "ints")
    throw new ResolveError(`node ${n.name} (${n.opType}): attribute ${key} must be ints`);
  return a.value.map(Number);
}

/** Attributes each ONNX op may carry (anything else is rejected rather than silently ignored). */
const KNOWN_ATTRS: Record<string, string[]> = {
  Cast: ["to", "saturate"],
  Gather: ["axis"],
  Reshape: ["allowzero"],
  Flatten: ["axis"],
  Transpose: ["perm"],
  ReduceMax: ["axes", "keepdims", "noop_with_empty_axes"],
  Concat: ["axis"],
  Pad: ["mode"],
  ConvInteger: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"],
  MaxPool: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"],
  ArgMax: ["axis", "keepdims", "select_last_index"],
};

export function resolveModel(model: IrModel): RefModel {
  const g = model.graph;
  const inits = new Map<string, IrTensor>(g.initializers.map((t) => [t.name, t]));
  const types = new Map<string, TensorType>();
  const refs = new Map<string, InputRef>();
  const inputs: RefModel["inputs"] = [];
  for (const v of g.inputs) {
    if (inits.has(v.name)) continue; // an initializer listed as input (old IR) is a constant
    if (!isProfileDType(v.dtype))
      throw new ResolveError(`graph input ${v.name}: dtype ${v.dtype} is not a profile dtype`);
    if (!v.shape || v.shape.some((d) => typeof d !== "number" || d < 1))
      throw new ResolveError(`graph input ${v.name}: shape must be static with dims >= 1`);
    const t = { name: v.name, dtype: v.dtype, shape: v.shape as number[] };
    refs.set(v.name, { kind: 0, index: inputs.length, slot: 0 });
    types.set(v.name, t);
    inputs.push(t);
  }
  const dataInits: RefModel["initializers"] = [];
  const constant = (n: IrNode, name: string, what: string): IrTensor => {
    const t = inits.get(name);
    if (!t?.data)
      throw new ResolveError(`node ${n.name} (${n.opType}): ${what} must be a constant initializer`);
    return t;
  };
  const scalar = (n: IrNode, name: string, what: string, dtype: number): bigint => {
    const t = constant(n, name, what);
    if (t.dtype !== dtype || numel(t.shape) !== 1 || t.shape.length > 1)
      throw new ResolveError(`node ${n.name} (${n.opType}): ${what} must be a scalar of the operand dtype`);
    return BigInt((t.data as ArrayLike<number | bigint>)[0]);
  };
  const int64s = (n: IrNode, name: string, what: string): number[] => {
    const t = constant(n, name, what);
    if (t.dtype !== 7 || t.shape.length !== 1)
      throw new ResolveError(`node ${n.name} (${n.opType}): ${what} must be a 1-D int64 constant`);
    return Array.from(t.data as BigInt64Array, Number);
  };
  const nodes: RefNode[] = g.nodes.map((n, index) => {
    const op: OpName | undefined = Object.hasOwn(CANONICAL_OP, n.opType) ? CANONICAL_OP[n.opType] : undefined;
    if (!op || (n.domain !== "" && n.domain !== "ai.onnx"))
      throw new ResolveError(`node ${index} ${n.name} (${n.opType}): not a profile op`);
    for (const k of Object.keys(n.attrs))
      if (!(KNOWN_ATTRS[n.opType] ?? []).includes(k))
        throw new ResolveError(`node ${index} ${n.name} (${n.opType}): unknown attribute ${k}`);
    const present = (i: number) => i < n.inputs.length && n.inputs[i] !== "";
    let dataNames: string[];
    const attrs: NodeAttrs = {};
    const typeOf = (name: string): TensorType => {
      const t = types.get(name) ?? (inits.get(name) as TensorType | undefined);
      if (!t)
        throw new ResolveError(
          `node ${index} ${n.name} (${n.opType}): input ${name} is not defined before use`,
        );
      return t;
    };
    switch (n.opType) {
      case "Clip": {
        dataNames = [n.inputs[0]];
        const dt = typeOf(n.inputs[0]).dtype;
        if (present(1)) attrs.min = scalar(n, n.inputs[1], "min", dt);
        if (present(2)) attrs.max = scalar(n, n.inputs[2], "max", dt);
        break;
      }
      case "MatMulInteger": {
        dataNames = n.inputs.slice(0, 2);
        if (present(2)) attrs.aZeroPoint = scalar(n, n.inputs[2], "a_zero_point", typeOf(n.inputs[0]).dtype);
        if (present(3)) attrs.bZeroPoint = scalar(n, n.inputs[3], "b_zero_point", typeOf(n.inputs[1]).dtype);
        break;
      }
      case "Reshape": {
        dataNames = [n.inputs[0]];
        const target = int64s(n, n.inputs[1], "shape");
        const inShape = typeOf(n.inputs[0]).shape;
        if ((intAttr(n, "allowzero") ?? 0) !== 0)
          throw new ResolveError(`node ${index} ${n.name} (Reshape): allowzero must be 0`);
        const s = target.map((d, i) => (d === 0 ? inShape[i] : d));
        const neg = s.indexOf(-1);
        if (neg >= 0) {
          const known = numel(s.filter((_, i) => i !== neg));
          s[neg] = known > 0 ? numel(inShape) / known : -1;
        }
        attrs.shape = s;
        break;
      }
      case "Squeeze":
      case "Unsqueeze": {
        dataNames = [n.inputs[0]];
        const inShape = typeOf(n.inputs[0]).shape;
        if (n.opType === "Squeeze") {
          const axes = present(1)
            ? int64s(n, n.inputs[1], "axes").map((a) => (a < 0 ? a + inShape.length : a))
            : inShape.flatMap((d, i) => (d === 1 ? [i] : []));
          for (const a of axes)
            if (inShape[a] !== 1)
              throw new ResolveError(`node ${index} ${n.name} (Squeeze): axis ${a} is not 1`);
          attrs.shape = inShape.filter((_, i) => !axes.includes(i));
        } else {
          const r = inShape.length + int64s(n, n.inputs[1], "axes").length;
          const axes = int64s(n, n.inputs[1], "axes").map((a) => (a < 0 ? a + r : a));
          const s: number[] = [];
          let src = 0;
          for (let i = 0; i < r; i++) s.push(axes.includes(i) ? 1 : inShape[src++]);
          if (src !== inShape.length) throw new ResolveError(`node ${index} ${n.name} (Unsqueeze): bad axes`);
          attrs.shape = s;
        }
        break;
      }
      case "Flatten": {
        dataNames = [n.inputs[0]];
        const inShape = typeOf(n.inputs[0]).shape;
        let axis = intAttr(n, "axis") ?? 1;
        if (axis < 0) axis += inShape.length;
        if (axis < 0 || axis > inShape.length)
          throw new ResolveError(`node ${index} ${n.name} (Flatten): bad axis`);
        attrs.shape = [numel(inShape.slice(0, axis)), numel(inShape.slice(axis))];
        break;
      }
      case "Identity":
        dataNames = [n.inputs[0]];
        attrs.shape = [...typeOf(n.inputs[0]).shape];
        break;
      case "Cast":
        dataNames = [n.inputs[0]];
        attrs.to = intAttr(n, "to") as DTypeCode;
        break;
      case "Gather":
        dataNames = n.inputs.slice(0, 2);
        attrs.axis = intAttr(n, "axis") ?? 0;
        break;
      case "Transpose":
        dataNames = [n.inputs[0]];
        attrs.perm = intsAttr(n, "perm");
        break;
      case "ReduceMax": {
        dataNames = [n.inputs[0]];
        // Up to opset 17 the axes are an attribute; ReduceMax-18 takes them as input 1.
        if (present(1) && n.attrs.axes !== undefined)
          throw new ResolveError(`node ${index} ${n.name} (ReduceMax): axes both as attribute and input`);
        const axes = present(1) ? int64s(n, n.inputs[1], "axes") : intsAttr(n, "axes");
        if (axes?.length !== 1)
          throw new ResolveError(`node ${index} ${n.name} (ReduceMax): exactly one axis required`);
        attrs.axis = axes[0];
        attrs.keepdims = (intAttr(n, "keepdims") ?? 1) !== 0;
        break;
      }
      case "Slice": {
        // ONNX Slice-13: per listed axis, negative start/end count from the end, then clamp
        // (positive step: both to [0, dim]; negative: start to [0, dim-1], end to [-1, dim-1]).
        dataNames = [n.inputs[0]];
        const inShape = typeOf(n.inputs[0]).shape;
        const r = inShape.length;
        const ints = (i: number, what: string): number[] => {
          const t = constant(n, n.inputs[i], what);
          if ((t.dtype !== 6 && t.dtype !== 7) || t.shape.length !== 1)
            throw new ResolveError(`node ${index} ${n.name} (Slice): ${what} must be 1-D int32/int64`);
          return Array.from(t.data as ArrayLike<number | bigint>, Number);
        };
        const starts = ints(1, "starts");
        const ends = ints(2, "ends");
        const axes = present(3) ? ints(3, "axes") : starts.map((_, i) => i);
        const steps = present(4) ? ints(4, "steps") : starts.map(() => 1);
        attrs.shape = [...inShape];
        attrs.starts = inShape.map(() => 0);
        attrs.steps = inShape.map(() => 1);
        axes.forEach((a0, i) => {
          const a = a0 < 0 ? a0 + r : a0;
          const dim = inShape[a];
          const step = steps[i];
          if (a < 0 || a >= r || step === 0)
            throw new ResolveError(`node ${index} ${n.name} (Slice): bad axis or zero step`);
          const rel = (v: number) => (v < 0 ? v + dim : v);
          const lo = step > 0 ? 0 : -1;
          const start = Math.min(Math.max(rel(starts[i]), 0), step > 0 ? dim : dim - 1);
          const end = Math.min(Math.max(rel(ends[i]), lo), step > 0 ? dim : dim - 1);
          const count = Math.max(0, Math.ceil((end - start) / step));
          (attrs.shape as number[])[a] = count;
          (attrs.starts as number[])[a] = start;
          (attrs.steps as number[])[a] = count === 1 ? 1 : step;
        });
        break;
      }
      case "Expand": {
        // Numpy broadcast of the input against the target shape; broadcast axes read with step 0.
        dataNames = [n.inputs[0]];
        const inShape = typeOf(n.inputs[0]).shape;
        const target = int64s(n, n.inputs[1], "shape");
        const r = Math.max(inShape.length, target.length);
        const pad = (s: readonly number[]) => [...Array<number>(r - s.length).fill(1), ...s];
        const a = pad(inShape);
        const b = pad(target);
        attrs.shape = a.map((d, i) => (d === 1 ? b[i] : d));
        if (a.some((d, i) => d !== 1 && b[i] !== 1 && b[i] !== d))
          throw new ResolveError(`node ${index} ${n.name} (Expand): shapes do not broadcast`);
        attrs.starts = a.map(() => 0);
        attrs.steps = a.map((d, i) => (i < r - inShape.length || d === 1 ? 0 : 1));
        break;
      }
      case "Pad": {
        dataNames = [n.inputs[0]];
        const mode = n.attrs.mode;
        if (mode && (mode.type !== "string" || mode.value !== "constant"))
          throw new ResolveError(`node ${index} ${n.name} (Pad): only constant mode`);
        const inShape = typeOf(n.inputs[0]).shape;
        const r = inShape.length;
        const axes = present(3)
          ? int64s(n, n.inputs[3], "axes").map((a) => (a < 0 ? a + r : a))
          : inShape.map((_, i) => i);
        const pads = int64s(n, n.inputs[1], "pads");
        if (pads.length !== 2 * axes.length)
          throw new ResolveError(`node ${index} ${n.name} (Pad): pads length`);
        attrs.begins = inShape.map(() => 0);
        attrs.shape = [...inShape];
        axes.forEach((a, i) => {
          const out = inShape[a] + pads[i] + pads[i + axes.length];
          (attrs.shape as number[])[a] = out;
          // Past either end the whole axis is padding: the nearest such begin is canonical.
          (attrs.begins as number[])[a] = Math.min(Math.max(pads[i], -inShape[a]), out);
        });
        if (present(2)) attrs.value = scalar(n, n.inputs[2], "constant_value", typeOf(n.inputs[0]).dtype);
        break;
      }
      case "ConvInteger": {
        dataNames = n.inputs.slice(0, 2);
        const autoPad = n.attrs.auto_pad;
        if (autoPad && (autoPad.type !== "string" || !["NOTSET", "VALID"].includes(autoPad.value)))
          throw new ResolveError(`node ${index} ${n.name} (ConvInteger): only explicit pads or VALID`);
        const xs = typeOf(n.inputs[0]).shape;
        const ws = typeOf(n.inputs[1]).shape;
        const kernel = ws.slice(2);
        const sp = kernel.length;
        const pads = intsAttr(n, "pads") ?? Array<number>(2 * sp).fill(0);
        const strides = intsAttr(n, "strides") ?? kernel.map(() => 1);
        const dilations = intsAttr(n, "dilations") ?? kernel.map(() => 1);
        if (present(2)) attrs.aZeroPoint = scalar(n, n.inputs[2], "x_zero_point", typeOf(n.inputs[0]).dtype);
        if (present(3)) attrs.bZeroPoint = scalar(n, n.inputs[3], "w_zero_point", typeOf(n.inputs[1]).dtype);
        attrs.group = intAttr(n, "group") ?? 1;
        attrs.strides = strides;
        attrs.dilations = dilations;
        attrs.begins = pads.slice(0, sp);
        attrs.shape = [
          xs[0],
          ws[0],
          ...kernel.map((k, i) => {
            const span = xs[2 + i] + pads[i] + pads[i + sp] - ((k - 1) * dilations[i] + 1);
            return Math.floor(span / strides[i]) + 1;
          }),
        ];
        break;
      }
      case "MaxPool": {
        dataNames = [n.inputs[0]];
        const fail = (why: string) => new ResolveError(`node ${index} ${n.name} (MaxPool): ${why}`);
        const autoPad = n.attrs.auto_pad;
        if (autoPad && (autoPad.type !== "string" || !["NOTSET", "VALID"].includes(autoPad.value)))
          throw fail("only explicit pads or VALID");
        if ((intAttr(n, "ceil_mode") ?? 0) !== 0) throw fail("ceil_mode must be 0");
        const inShape = typeOf(n.inputs[0]).shape;
        const kernel = intsAttr(n, "kernel_shape");
        if (!kernel) throw fail("kernel_shape is required");
        const sp = kernel.length;
        const pads = intsAttr(n, "pads") ?? Array<number>(2 * sp).fill(0);
        attrs.kernel = kernel;
        attrs.strides = intsAttr(n, "strides") ?? kernel.map(() => 1);
        attrs.dilations = intsAttr(n, "dilations") ?? kernel.map(() => 1);
        attrs.begins = pads.slice(0, sp);
        attrs.shape = [
          ...inShape.slice(0, 2),
          ...kernel.map((k, i) => {
            const eff = (k - 1) * (attrs.dilations as number[])[i] + 1;
            const span = inShape[2 + i] + pads[i] + pads[i + sp] - eff;
            return Math.floor(span / (attrs.strides as number[])[i]) + 1;
          }),
        ];
        break;
      }
      case "Tile": {
        dataNames = [n.inputs[0]];
        const reps = int64s(n, n.inputs[1], "repeats");
        attrs.shape = typeOf(n.inputs[0]).shape.map((d, i) => d * (reps[i] ?? Number.NaN));
        break;
      }
      case "Concat": {
        dataNames = [...n.inputs];
        const axis = intAttr(n, "axis");
        if (axis === undefined) throw new ResolveError(`node ${index} ${n.name} (Concat): axis is required`);
        attrs.axis = axis;
        break;
      }
      case "ArgMax":
        dataNames = [n.inputs[0]];
        if ((intAttr(n, "select_last_index") ?? 0) !== 0)
          throw new ResolveError(`node ${index} ${n.name} (ArgMax): select_last_index must be 0`);
        attrs.axis = intAttr(n, "axis") ?? 0;
        attrs.keepdims = (intAttr(n, "keepdims") ?? 1) !== 0;
        break;
      default:
        dataNames = [...n.inputs];
    }
    if (dataNames.some((x) => x === "" || x === undefined))
      throw new ResolveError(`node ${index} ${n.name} (${n.opType}): missing data input`);
    const inputTypes = dataNames.map(typeOf).map((x) => ({ dtype: x.dtype, shape: [...x.shape] }));
    let checked: ReturnType<typeof checkNode>;
    try {
      checked = checkNode(op, inputTypes, attrs);
    } catch (e) {
      throw new ResolveError(`node ${index} ${n.name} (${n.opType}): ${(e as Error).message}`);
    }
    const inputRefs = dataNames.map((name): InputRef => {
      const r = refs.get(name);
      if (r) return r;
      const t = inits.get(name) as IrTensor;
      const ref: InputRef = { kind: 1, index: dataInits.length, slot: 0 };
      dataInits.push({
        name,
        dtype: t.dtype as DTypeCode,
        shape: [...t.shape],
        data: t.data as Tensor["data"],
      });
      refs.set(name, ref);
      return ref;
    });
    if (n.outputs.length !== checked.outputs.length)
      throw new ResolveError(
        `node ${index} ${n.name} (${n.opType}): expects ${checked.outputs.length} outputs`,
      );
    n.outputs.forEach((name, slot) => {
      if (types.has(name) || inits.has(name))
        throw new ResolveError(`node ${index} ${n.name}: output ${name} defined twice`);
      types.set(name, checked.outputs[slot]);
      refs.set(name, { kind: 2, index, slot });
    });
    return {
      index,
      name: n.name,
      onnxOp: n.opType,
      op,
      inputs: inputRefs,
      inputTypes,
      outputs: checked.outputs,
      attrs: checked.attrs,
    };
  });
  const outputs = g.outputs.map((o) => {
    const ref = refs.get(o.name);
    if (!ref) throw new ResolveError(`graph output ${o.name} is not produced by the graph`);
    return { name: o.name, ref };
  });
  return { inputs, initializers: dataInits, nodes, outputs };
}
