/**
 * The profile validator (docs/profile.md): turns any decoded ONNX model into either a
 * normalized, analysed ProfileModel (canonical ops and attributes, static dtype/shape/interval
 * of every value, folded constants, canonical data-initializer order, input references) or the
 * full list of offending lines, one per offending node or graph entry. A model that passes can
 * never make ONNX Runtime or the reference interpreter fault on any input of its declared types.
 */
import { type DTypeCode, dtypeByCode, isProfileDType, numel } from "../../protocol/dtype.ts";
import { decodeOnnxChecked, OnnxFormatError } from "../onnx/io.ts";
import { defaultOpset, type IrModel, type IrNode, type IrTensor, type IrValueInfo } from "../onnx/ir.ts";
import { declaredInputRanges } from "./input-range.ts";
import { dataInterval, fullRange, type Interval } from "./interval.ts";
import { OpCode, type OpName } from "./opcodes.ts";
import {
  attrBytes,
  dtypeName,
  type InferInput,
  inferNode,
  MAX_PROFILE_OPSET,
  MIN_PROFILE_OPSET,
  ONNX_OPS,
  type OpAttrsMap,
  typeString,
} from "./ops.ts";

export const MIN_IR_VERSION = 7;
export const MAX_IR_VERSION = 12;

/** Resource limits that keep hostile files from exhausting memory or the descriptor encodings. */
export interface ProfileLimits {
  maxNodes: number;
  maxRank: number;
  /** Per tensor (graph input, initializer, node output). */
  maxTensorBytes: number;
  /** Sum over graph inputs and every node output: what one traced run keeps in memory. */
  maxActivationBytes: number;
  /** Sum over all initializers. */
  maxWeightBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ProfileLimits> = {
  maxNodes: 65_536,
  maxRank: 8,
  maxTensorBytes: 256 * 2 ** 20,
  maxActivationBytes: 4 * 2 ** 30,
  maxWeightBytes: 1 * 2 ** 30,
};

/** Where a data input comes from (docs/commitments.md `inputRef`). */
export interface InputRef {
  /** 0 graph input, 1 data initializer (canonical first-use order), 2 node output. */
  kind: 0 | 1 | 2;
  index: number;
  slot: number;
}
export const RefKind = { graphInput: 0, initializer: 1, nodeOutput: 2 } as const;

/** A value of the graph after analysis. */
export interface ProfileValue {
  name: string;
  dtype: DTypeCode;
  shape: number[];
  interval: Interval;
  /** Graph input, node output, or initializer (ref.index -1 for a folded-only initializer). */
  ref: InputRef;
}

interface ProfileNodeBase {
  /** Position in the file's node list, which the validator checked is topological. */
  index: number;
  name: string;
  /** The ONNX op type in the file (Squeeze, Flatten, ... before canonicalisation). */
  onnxOp: string;
  opCode: number;
  /** Data inputs (after folding), in canonical order. */
  inputs: string[];
  inputRefs: InputRef[];
  outputs: string[];
  /** Canonical attribute bytes of the node descriptor. */
  attrBytes: Uint8Array;
}
export type ProfileNode = {
  [K in OpName]: ProfileNodeBase & { op: K; attrs: OpAttrsMap[K] };
}[OpName];

export interface ProfileModel {
  ir: IrModel;
  inputs: ProfileValue[];
  outputs: ProfileValue[];
  /** Data initializers (those that stay node inputs after folding) in canonical first-use order. */
  initializers: IrTensor[];
  nodes: ProfileNode[];
  values: Map<string, ProfileValue>;
  /** Total elements of the data initializers. */
  paramCount: number;
}

export type ValidationResult = { ok: true; profileModel: ProfileModel } | { ok: false; errors: string[] };

export class ProfileError extends Error {
  override name = "ProfileError";
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`model is outside the integer profile:\n${lines.join("\n")}`);
    this.lines = lines;
  }
}

/** A value whose type is unknown because the node producing it was rejected. */
interface Poisoned {
  poisoned: true;
  /** Best guess of the dtype (0 = unknown), so later float nodes are still named. */
  dtype: number;
  /** Computed, at some remove, by an op outside the profile (Conv, Constant, If, ...). */
  foreign?: boolean;
}

type Known = { poisoned: false; value: ProfileValue; constant: IrTensor | null };
type Slot = Known | Poisoned;

function nodeLabel(i: number, n: IrNode): string {
  return `node ${i} ${n.name} (${n.opType})`;
}

function shapeProblem(shape: readonly number[], limits: ProfileLimits, dtype: number): string | null {
  if (shape.length > limits.maxRank) return `rank ${shape.length} exceeds ${limits.maxRank}`;
  for (const d of shape)
    if (!Number.isSafeInteger(d) || d < 1) return `dim ${d}: dims must be static and >= 1`;
  const bytes = numel(shape) * (isProfileDType(dtype) ? dtypeByCode(dtype).bytes : 1);
  if (!Number.isSafeInteger(bytes) || bytes > limits.maxTensorBytes)
    return `${numel(shape)} elements exceed the ${limits.maxTensorBytes}-byte tensor limit`;
  return null;
}

/** ONNX ops outside the profile whose output dtype does not follow their first input. */
const FOREIGN_OUTPUT_DTYPE: Readonly<Record<string, number>> = {
  Shape: 7,
  Size: 7,
  NonZero: 7,
  ArgMin: 7,
  Equal: 9,
  Less: 9,
  Greater: 9,
  LessOrEqual: 9,
  GreaterOrEqual: 9,
  Not: 9,
  And: 9,
  Or: 9,
  Xor: 9,
  IsNaN: 9,
  IsInf: 9,
  DequantizeLinear: 1,
  QuantizeLinear: 2,
};

/**
 * Best guess of the dtype of output `slot` of a rejected node whose op is outside the profile,
 * so that the nodes it feeds are still named (a float model names every node): the file's
 * declared type of that value, then what the op is known to produce (Constant's tensor, If's
 * branch outputs, Shape's int64, comparisons' bool), then the first typed input. 0 = unknown.
 */
function guessForeignDtype(
  n: IrNode,
  slot: number,
  declared: ReadonlyMap<string, number>,
  inputDtype: (name: string) => number,
): number {
  const d = declared.get(n.outputs[slot] ?? "");
  if (d) return d;
  const fixed = FOREIGN_OUTPUT_DTYPE[n.opType];
  if (fixed !== undefined) return fixed;
  if (n.opType === "Constant") {
    const a = Object.entries(n.attrs)[0];
    if (!a) return 0;
    const [k, v] = a;
    if (v.type === "tensor") return v.value.dtype;
    return k.startsWith("value_float")
      ? 1
      : k.startsWith("value_int")
        ? 7
        : k.startsWith("value_string")
          ? 8
          : 0;
  }
  if (n.opType === "Cast") return guessOutputDtype(n, 0);
  for (const a of Object.values(n.attrs)) {
    if (a.type === "unsupported" && a.graphOutputs) {
      const out = a.graphOutputs[n.opType === "Loop" ? slot + 1 : slot];
      return out?.dtype ?? 0;
    }
  }
  for (const name of n.inputs) {
    const t = name === "" ? 0 : inputDtype(name);
    if (t) return t;
  }
  return 0;
}

function guessOutputDtype(n: IrNode, firstInput: number): number {
  if (n.opType === "Cast") {
    const to = n.attrs.to;
    return to?.type === "int" ? Number(to.value) : 0;
  }
  if (n.opType === "ArgMax") return 7;
  if (n.opType === "MatMulInteger") return 6;
  return Object.hasOwn(ONNX_OPS, n.opType) ? firstInput : 0;
}

export function validateModel(model: IrModel, limits: ProfileLimits = DEFAULT_LIMITS): ValidationResult {
  const errors: string[] = [];
  const g = model.graph;

  const opset = defaultOpset(model);
  if (opset < MIN_PROFILE_OPSET || opset > MAX_PROFILE_OPSET)
    errors.push(
      `model: opset ${opset}: the profile reads ONNX opsets ${MIN_PROFILE_OPSET}..${MAX_PROFILE_OPSET} (default domain)`,
    );
  // Ops are checked against the imported version's semantics (ops.ts); outside the range the
  // nearest supported version keeps the other lines meaningful.
  const opOpset = Math.min(Math.max(opset, MIN_PROFILE_OPSET), MAX_PROFILE_OPSET);
  if (model.irVersion < MIN_IR_VERSION || model.irVersion > MAX_IR_VERSION)
    errors.push(`model: ir_version ${model.irVersion}: must be ${MIN_IR_VERSION}..${MAX_IR_VERSION}`);
  if (g.nodes.length > limits.maxNodes) {
    errors.push(`model: ${g.nodes.length} nodes exceed the limit of ${limits.maxNodes}`);
    return { ok: false, errors };
  }
  if (g.nodes.length === 0) errors.push("model: the graph has no nodes");

  const slots = new Map<string, Slot>();
  /** Types the file declares for values (value_info, graph outputs): only used to name nodes. */
  const declared = new Map<string, number>();
  for (const v of [...g.valueInfo, ...g.outputs]) if (v.dtype) declared.set(v.name, v.dtype);
  const slotDtype = (name: string): number => {
    const s = slots.get(name);
    return !s ? 0 : s.poisoned ? s.dtype : s.value.dtype;
  };
  /** Names defined anywhere (for "defined by a later node" messages). */
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== "" && !producer.has(o)) producer.set(o, i);
  });

  const inputs: ProfileValue[] = [];
  let activationBytes = 0;
  const addActivation = (dtype: DTypeCode, shape: number[]) => {
    activationBytes += numel(shape) * dtypeByCode(dtype).bytes;
  };

  // Graph inputs, each starting at its declared range (the whole dtype when none).
  const declaredRanges = declaredInputRanges(model, errors);
  const visitInput = (v: IrValueInfo, idx: number): void => {
    const label = `graph input '${v.name}'`;
    if (v.name === "") {
      errors.push(`graph input ${idx}: has no name`);
      return;
    }
    if (slots.has(v.name)) {
      errors.push(`${label}: name defined twice`);
      return;
    }
    if (!isProfileDType(v.dtype)) {
      errors.push(
        `${label} ${dtypeName(v.dtype)}: dtype outside the integer profile (int8, uint8, int32, int64)`,
      );
      slots.set(v.name, { poisoned: true, dtype: v.dtype });
      return;
    }
    if (v.shape === null) {
      errors.push(`${label}: no shape: shapes must be static`);
      slots.set(v.name, { poisoned: true, dtype: v.dtype });
      return;
    }
    const dyn = v.shape.findIndex((d) => typeof d !== "number");
    if (dyn >= 0) {
      const d = v.shape[dyn];
      errors.push(
        `${label}: dim ${dyn} is ${d === null ? "unknown" : `symbolic '${d}'`}: shapes must be static`,
      );
      slots.set(v.name, { poisoned: true, dtype: v.dtype });
      return;
    }
    const shape = v.shape as number[];
    const bad = shapeProblem(shape, limits, v.dtype);
    if (bad) {
      errors.push(`${label} ${typeString(v.dtype, shape)}: ${bad}`);
      slots.set(v.name, { poisoned: true, dtype: v.dtype });
      return;
    }
    const value: ProfileValue = {
      name: v.name,
      dtype: v.dtype,
      shape,
      interval: declaredRanges.get(v.name) ?? fullRange(dtypeByCode(v.dtype)),
      ref: { kind: 0, index: idx, slot: 0 },
    };
    addActivation(v.dtype, shape);
    inputs.push(value);
    slots.set(v.name, { poisoned: false, value, constant: null });
  };
  g.inputs.forEach(visitInput);
  if (g.inputs.length === 0) errors.push("model: the graph has no inputs");

  // Initializers (constants). Their canonical index is assigned at first use as a data input.
  let weightBytes = 0;
  for (const t of g.initializers) {
    const label = `initializer '${t.name}'`;
    if (t.name === "") {
      errors.push("initializer: has no name");
      continue;
    }
    if (slots.has(t.name)) {
      // Old exporters list weights as graph inputs too; such a weight could be overridden by
      // the caller, so it would be an input, not part of the committed model.
      const isInput = g.inputs.some((v) => v.name === t.name);
      errors.push(
        isInput
          ? `${label}: also a graph input (weights must not be overridable inputs)`
          : `${label}: name defined twice`,
      );
      continue;
    }
    if (!isProfileDType(t.dtype) || !t.data) {
      errors.push(
        `${label} ${dtypeName(t.dtype)}: dtype outside the integer profile (int8, uint8, int32, int64)`,
      );
      slots.set(t.name, { poisoned: true, dtype: t.dtype });
      continue;
    }
    const bad = shapeProblem(t.shape, limits, t.dtype);
    if (bad) {
      errors.push(`${label} ${typeString(t.dtype, t.shape)}: ${bad}`);
      slots.set(t.name, { poisoned: true, dtype: t.dtype });
      continue;
    }
    weightBytes += t.data.byteLength;
    const value: ProfileValue = {
      name: t.name,
      dtype: t.dtype,
      shape: [...t.shape],
      interval: dataInterval(t.data),
      ref: { kind: 1, index: -1, slot: 0 },
    };
    slots.set(t.name, { poisoned: false, value, constant: t });
  }
  if (weightBytes > limits.maxWeightBytes)
    errors.push(`model: ${weightBytes} bytes of initializers exceed the limit of ${limits.maxWeightBytes}`);

  // Nodes, in file order (which must be topological).
  const initializers: IrTensor[] = [];
  const initIndex = new Map<string, number>();
  const nodes: ProfileNode[] = [];
  const nodeNames = new Map<string, number>();
  const visitNode = (n: IrNode, i: number): undefined => {
    const label = nodeLabel(i, n);
    let foreign = false;
    const poisonOutputs = (dtype: number | ((slot: number) => number)) => {
      n.outputs.forEach((o, k) => {
        if (o !== "" && !slots.has(o))
          slots.set(o, { poisoned: true, dtype: typeof dtype === "number" ? dtype : dtype(k), foreign });
      });
    };
    const foreignDtype = (k: number) => guessForeignDtype(n, k, declared, slotDtype);
    const fail = (
      subject: string,
      why: string,
      dtype: number | ((slot: number) => number) = 0,
    ): undefined => {
      errors.push(`${label}: ${subject}: ${why}`);
      poisonOutputs(dtype);
    };
    const prev = nodeNames.get(n.name);
    if (prev !== undefined) return fail("name", `also the name of node ${prev}; node names must be unique`);
    nodeNames.set(n.name, i);
    foreign = (n.domain !== "" && n.domain !== "ai.onnx") || !Object.hasOwn(ONNX_OPS, n.opType);
    if (n.domain !== "" && n.domain !== "ai.onnx")
      return fail(`domain ${n.domain}`, "only the default ONNX domain is in the profile", foreignDtype);
    if (!Object.hasOwn(ONNX_OPS, n.opType)) {
      const r = inferNode(n.opType, [], {});
      return fail("op", r.ok ? "not in the integer profile" : r.why, foreignDtype);
    }
    if (n.outputs.length !== 1 || n.outputs[0] === "")
      return fail(`${n.outputs.length} outputs`, `${n.opType} has exactly one output`);
    const out = n.outputs[0];
    if (slots.has(out) || producer.get(out) !== i)
      return fail(`output '${out}'`, "name already defined (every value is defined once)");

    // Resolve inputs.
    const ins: (InferInput | null)[] = [];
    const known: (Known | null)[] = [];
    let poisoned = false;
    let firstDtype = 0;
    let foreignInput: { k: number; name: string } | undefined;
    for (let k = 0; k < n.inputs.length; k++) {
      const name = n.inputs[k];
      if (name === "") {
        ins.push(null);
        known.push(null);
        continue;
      }
      const s = slots.get(name);
      if (!s) {
        const p = producer.get(name);
        if (p !== undefined && p >= i)
          return fail(
            `input '${name}'`,
            `produced by node ${p}, which comes later: nodes must be in topological order`,
          );
        return fail(
          `input '${name}'`,
          "is not defined (not a graph input, initializer or earlier node output)",
        );
      }
      if (k === 0) firstDtype = s.poisoned ? s.dtype : s.value.dtype;
      if (s.poisoned) {
        poisoned = true;
        if (s.dtype !== 0 && !isProfileDType(s.dtype))
          return fail(
            `input ${k} '${name}' ${dtypeName(s.dtype)}`,
            "dtype outside the integer profile",
            guessOutputDtype(n, firstDtype || s.dtype),
          );
        if (s.foreign) foreignInput ??= { k, name };
        ins.push(null);
        known.push(null);
        continue;
      }
      known.push(s);
      const v = s.value;
      ins.push({
        name,
        dtype: v.dtype,
        shape: v.shape,
        interval: v.interval,
        constant: s.constant?.data ?? null,
      });
    }
    // A rejected node upstream leaves this node's types unknown: nothing more can be said.
    if (poisoned) {
      // An input computed (at some remove) by an op outside the profile: the node is part of a
      // model outside the profile (e.g. fed only by Conv, Constant or If), so it is named too;
      // downstream of a rejected profile op (a Div hazard) nothing more is said.
      if (foreignInput) {
        foreign = true;
        const p = producer.get(foreignInput.name);
        return fail(
          `input ${foreignInput.k} '${foreignInput.name}'`,
          `computed from an op outside the profile${p === undefined ? "" : ` (by node ${p})`}`,
          guessOutputDtype(n, firstDtype),
        );
      }
      poisonOutputs(guessOutputDtype(n, firstDtype));
      return;
    }

    const r = inferNode(n.opType, ins, n.attrs, opOpset);
    if (!r.ok) return fail(r.subject, r.why, guessOutputDtype(n, firstDtype));
    const inferred = r.node;
    const o = inferred.output;
    const bad = shapeProblem(o.shape, limits, o.dtype);
    if (bad) return fail(`output '${out}' ${typeString(o.dtype, o.shape)}`, bad);

    const inputRefs: InputRef[] = [];
    const dataNames: string[] = [];
    for (const k of inferred.dataInputs) {
      const s = known[k]!;
      const name = n.inputs[k];
      dataNames.push(name);
      if (s.constant) {
        let idx = initIndex.get(name);
        if (idx === undefined) {
          idx = initializers.length;
          initIndex.set(name, idx);
          initializers.push(s.constant);
          s.value.ref = { kind: 1, index: idx, slot: 0 };
        }
        inputRefs.push({ kind: 1, index: idx, slot: 0 });
      } else inputRefs.push({ ...s.value.ref });
    }
    const value: ProfileValue = {
      name: out,
      dtype: o.dtype,
      shape: o.shape,
      interval: o.interval,
      ref: { kind: 2, index: i, slot: 0 },
    };
    addActivation(o.dtype, o.shape);
    slots.set(out, { poisoned: false, value, constant: null });
    nodes.push({
      index: i,
      name: n.name,
      onnxOp: n.opType,
      op: inferred.op,
      opCode: OpCode[inferred.op],
      inputs: dataNames,
      inputRefs,
      outputs: [out],
      attrs: inferred.attrs,
      attrBytes: attrBytes(inferred),
    } as ProfileNode);
  };
  for (const [i, n] of g.nodes.entries()) visitNode(n, i);
  if (activationBytes > limits.maxActivationBytes)
    errors.push(
      `model: inputs and node outputs take ${activationBytes} bytes, over the limit of ${limits.maxActivationBytes}`,
    );

  // Graph outputs: node outputs whose declared type agrees with the inferred one.
  const outputs: ProfileValue[] = [];
  const seenOut = new Set<string>();
  if (g.outputs.length === 0) errors.push("model: the graph has no outputs");
  for (const v of g.outputs) {
    const label = `graph output '${v.name}'`;
    if (seenOut.has(v.name)) {
      errors.push(`${label}: listed twice`);
      continue;
    }
    seenOut.add(v.name);
    const s = slots.get(v.name);
    if (!s) {
      errors.push(`${label}: is not produced by any node`);
      continue;
    }
    if (s.poisoned) continue;
    if (s.value.ref.kind !== 2) {
      errors.push(`${label}: is a graph input or initializer; outputs must be node outputs`);
      continue;
    }
    const got = s.value;
    if (v.dtype !== got.dtype) {
      errors.push(`${label} ${dtypeName(v.dtype)}: the node computes ${dtypeName(got.dtype)}`);
      continue;
    }
    if (v.shape) {
      const mismatch =
        v.shape.length !== got.shape.length ||
        v.shape.some((d, k) => typeof d === "number" && d !== got.shape[k]);
      if (mismatch) {
        errors.push(
          `${label}: declared shape [${v.shape.join(",")}], the node computes [${got.shape.join(",")}]`,
        );
        continue;
      }
    }
    outputs.push(got);
  }

  if (errors.length > 0) return { ok: false, errors };
  const values = new Map<string, ProfileValue>();
  for (const [k, s] of slots) if (!s.poisoned) values.set(k, s.value);
  return {
    ok: true,
    profileModel: {
      ir: model,
      inputs,
      outputs,
      initializers,
      nodes,
      values,
      paramCount: initializers.reduce((a, t) => a + numel(t.shape), 0),
    },
  };
}

/**
 * The one loader of model files: everything that validates, runs, commits or registers a model
 * file (validator CLI, runner, worker, watcher, model commitment and registration) goes through
 * it. Decode + canonical-form check + validate; throws a ProfileError carrying every offending
 * line. A file that is not the canonical encoding of what it decodes to is refused (one
 * `model:` line, before the validator's lines about the graph as read here), because ONNX
 * Runtime may read another graph from the same bytes (`canonicalEncodingProblem`).
 */
export function loadProfileModel(bytes: Uint8Array, limits: ProfileLimits = DEFAULT_LIMITS): ProfileModel {
  let ir: IrModel;
  let canonicalProblem: string | null;
  try {
    ({ ir, canonicalProblem } = decodeOnnxChecked(bytes));
  } catch (e) {
    // Any decode failure (malformed protobuf, impossible sizes) is the file's fault.
    const msg = e instanceof Error ? e.message : String(e);
    throw new ProfileError([`model: ${e instanceof OnnxFormatError ? msg : `cannot decode: ${msg}`}`]);
  }
  const r = validateModel(ir, limits);
  const lines = [...(canonicalProblem ? [`model: ${canonicalProblem}`] : []), ...(r.ok ? [] : r.errors)];
  if (lines.length > 0 || !r.ok) throw new ProfileError(lines);
  return r.profileModel;
}
