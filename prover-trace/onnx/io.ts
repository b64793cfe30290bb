/**
 * ONNX protobuf <-> IrModel. Reads any ONNX file (so the validator can report what is wrong with
 * it) and writes profile models with all tensor data in raw_data (little-endian).
 */
import onnxProto from "onnx-proto";
import { dtypeByCode, isProfileDType, numel } from "../../protocol/dtype.ts";
import type { IrAttr, IrDim, IrModel, IrNode, IrTensor, IrValueInfo, TensorData } from "./ir.ts";

const { onnx } = onnxProto;

/** Files bigger than this are refused before parsing (protobuf itself caps at 2 GiB). */
export const MAX_MODEL_BYTES = 1 << 30;

export class OnnxFormatError extends Error {
  override name = "OnnxFormatError";
}

type LongLike = number | { toString(): string };
function toBig(v: LongLike | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  return typeof v === "number" ? BigInt(v) : BigInt(v.toString());
}
function toNum(v: LongLike | null | undefined): number {
  const b = toBig(v);
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new OnnxFormatError(`integer ${b} does not fit a JS number`);
  }
  return Number(b);
}

export function allocTensorData(dtype: number, length: number): TensorData {
  switch (dtype) {
    case 2:
      return new Uint8Array(length);
    case 3:
      return new Int8Array(length);
    case 6:
      return new Int32Array(length);
    case 7:
      return new BigInt64Array(length);
    default:
      throw new OnnxFormatError(`no typed array for dtype code ${dtype}`);
  }
}

function decodeTensor(t: onnxProto.onnx.ITensorProto, context: string): IrTensor {
  const name = t.name ?? "";
  const dtype = t.dataType ?? 0;
  const shape = (t.dims ?? []).map(toNum);
  if (shape.some((d) => d < 0)) throw new OnnxFormatError(`${context}: negative dimension in ${name}`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new OnnxFormatError(`${context}: tensor ${name} uses external data, which is not supported`);
  }
  if (dtype === FLOAT32) {
    const floatData = decodeFloats(t, shape);
    return floatData ? { name, dtype, shape, data: null, floatData } : { name, dtype, shape, data: null };
  }
  if (!isProfileDType(dtype)) return { name, dtype, shape, data: null };
  const n = numel(shape);
  const info = dtypeByCode(dtype);
  const raw = t.rawData;
  // Check the declared shape against the bytes actually present before allocating, so a
  // hostile file cannot make us allocate for dims it does not back with data.
  const present =
    raw && raw.length > 0
      ? raw.length / info.bytes
      : dtype === 7
        ? (t.int64Data?.length ?? 0)
        : (t.int32Data?.length ?? 0);
  if (!Number.isSafeInteger(n) || n !== present) {
    throw new OnnxFormatError(
      `${context}: tensor ${name} declares shape [${shape.join(",")}] but holds ${present} values`,
    );
  }
  const data = allocTensorData(dtype, n);
  if (raw && raw.length > 0) {
    if (raw.length !== n * info.bytes) {
      throw new OnnxFormatError(
        `${context}: tensor ${name} has ${raw.length} raw bytes, shape needs ${n * info.bytes}`,
      );
    }
    // Copy: raw_data inside a protobuf buffer is not aligned for Int32Array/BigInt64Array views.
    new Uint8Array(data.buffer).set(raw);
    if (!littleEndianHost) throw new OnnxFormatError("big-endian hosts are not supported");
  } else if (dtype === 7) {
    const src = t.int64Data ?? [];
    if (src.length !== n)
      throw new OnnxFormatError(`${context}: tensor ${name} has ${src.length} values, shape needs ${n}`);
    const d = data as BigInt64Array;
    for (let i = 0; i < n; i++) d[i] = BigInt.asIntN(64, toBig(src[i]));
  } else {
    const src = t.int32Data ?? [];
    if (src.length !== n)
      throw new OnnxFormatError(`${context}: tensor ${name} has ${src.length} values, shape needs ${n}`);
    const d = data as Int8Array | Uint8Array | Int32Array;
    for (let i = 0; i < n; i++) d[i] = src[i];
  }
  return { name, dtype, shape, data };
}

const FLOAT32 = 1;

/**
 * The values of a float32 tensor, or undefined when its data does not match its shape. Not an
 * error here: the validator rejects every float tensor by dtype anyway, and the importer names
 * the tensor whose values it cannot read.
 */
function decodeFloats(t: onnxProto.onnx.ITensorProto, shape: number[]): Float32Array | undefined {
  const n = numel(shape);
  const raw = t.rawData;
  const present = raw && raw.length > 0 ? raw.length / 4 : (t.floatData?.length ?? 0);
  if (!Number.isSafeInteger(n) || n !== present) return undefined;
  const out = new Float32Array(n);
  if (raw && raw.length > 0) new Uint8Array(out.buffer).set(raw);
  else out.set(t.floatData ?? []);
  return out;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decodeValueInfo(v: onnxProto.onnx.IValueInfoProto): IrValueInfo {
  const tt = v.type?.tensorType;
  const dtype = tt?.elemType ?? 0;
  let shape: IrDim[] | null = null;
  if (tt?.shape) {
    shape = (tt.shape.dim ?? []).map((d) => {
      const which = (d as onnxProto.onnx.TensorShapeProto.Dimension).value;
      if (which === "dimValue") return toNum(d.dimValue);
      if (d.dimParam) return d.dimParam;
      return null;
    });
  }
  return { name: v.name ?? "", dtype, shape };
}

function decodeAttr(a: onnxProto.onnx.IAttributeProto, context: string): IrAttr {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return { type: "int", value: toBig(a.i) };
    case T.INTS:
      return { type: "ints", value: (a.ints ?? []).map(toBig) };
    case T.FLOAT:
      return { type: "float", value: a.f ?? 0 };
    case T.FLOATS:
      return { type: "floats", value: a.floats ?? [] };
    case T.STRING:
      return { type: "string", value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case T.TENSOR:
      return { type: "tensor", value: decodeTensor(a.t ?? {}, context) };
    case T.GRAPH:
      return {
        type: "unsupported",
        onnxType: T.GRAPH,
        graphOutputs: (a.g?.output ?? []).map(decodeValueInfo),
      };
    default:
      return { type: "unsupported", onnxType: a.type ?? 0 };
  }
}

function decodeModelProto(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  if (bytes.length === 0) throw new OnnxFormatError("empty file: not an ONNX model");
  if (bytes.length > MAX_MODEL_BYTES)
    throw new OnnxFormatError(`model is ${bytes.length} bytes, limit ${MAX_MODEL_BYTES}`);
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`not a valid ONNX protobuf: ${(e as Error).message}`);
  }
}

/**
 * Reads any ONNX file, canonical or not: what the validator uses to name what is wrong with a
 * file. Everything that runs or commits a model goes through `decodeCanonicalOnnx` (via
 * `loadProfileModel`), which also refuses files with a second reading.
 */
export function decodeOnnx(bytes: Uint8Array): IrModel {
  return irFromProto(decodeModelProto(bytes));
}

/**
 * Why `bytes` is not the canonical encoding of the model this loader reads from it, or null.
 *
 * Protobuf parsers disagree on files that are not canonical: protobufjs reads a known field with
 * the wrong wire type as that field, ONNX Runtime's parser keeps it as an unknown field; a
 * repeated singular message is replaced here and merged there; unknown fields (e.g. fields of a
 * newer onnx.proto) are dropped here and obeyed there; invalid UTF-8 is decoded lossily here.
 * Each of these lets one file be two graphs: the one the validator checked and the model id
 * commits to, and another one ORT runs. A file that re-encodes to exactly its own bytes has
 * only known fields with their declared wire types, each singular field once, valid UTF-8 and
 * minimal varints, so every conforming parser reads the same message from it.
 */
export function canonicalEncodingProblem(
  bytes: Uint8Array,
  message?: onnxProto.onnx.ModelProto,
): string | null {
  const m = message ?? decodeModelProto(bytes);
  const again = onnx.ModelProto.encode(m).finish();
  if (equalBytes(again, bytes)) return null;
  let k = 0;
  const n = Math.min(again.length, bytes.length);
  while (k < n && again[k] === bytes[k]) k++;
  return (
    `not in canonical protobuf form: the file (${bytes.length} bytes) differs from its re-encoding ` +
    `(${again.length} bytes) from byte ${k} on; an unknown field, a field with the wrong wire type, a ` +
    "singular field given twice, invalid UTF-8 or a non-minimal encoding can make ONNX Runtime read " +
    "a different graph than the one validated; re-save the model with verdict's builder"
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The model, and why its bytes are not canonical (null when they are): one decode for both. */
export function decodeOnnxChecked(bytes: Uint8Array): { ir: IrModel; canonicalProblem: string | null } {
  const m = decodeModelProto(bytes);
  return { ir: irFromProto(m), canonicalProblem: canonicalEncodingProblem(bytes, m) };
}

function irFromProto(m: onnxProto.onnx.ModelProto): IrModel {
  const g = m.graph;
  if (!g) throw new OnnxFormatError("ONNX model has no graph");
  const nodes: IrNode[] = (g.node ?? []).map((n, i) => {
    const name = n.name || `node_${i}`;
    const attrs: Record<string, IrAttr> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ""] = decodeAttr(a, `node ${name}`);
    return {
      name,
      opType: n.opType ?? "",
      domain: n.domain ?? "",
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    };
  });
  return {
    irVersion: toNum(m.irVersion),
    producerName: m.producerName ?? "",
    opsetImports: (m.opsetImport ?? []).map((o) => ({ domain: o.domain ?? "", version: toNum(o.version) })),
    ...(m.metadataProps?.length
      ? { metadata: m.metadataProps.map((e) => ({ key: e.key ?? "", value: e.value ?? "" })) }
      : {}),
    graph: {
      name: g.name ?? "",
      inputs: (g.input ?? []).map(decodeValueInfo),
      outputs: (g.output ?? []).map(decodeValueInfo),
      initializers: (g.initializer ?? []).map((t) => decodeTensor(t, "initializer")),
      nodes,
      valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
    },
  };
}

function encodeTensor(t: IrTensor): onnxProto.onnx.ITensorProto {
  if (t.dtype === FLOAT32 && t.floatData) {
    const f = t.floatData;
    return {
      name: t.name,
      dataType: t.dtype,
      dims: t.shape,
      rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
    };
  }
  if (!t.data) throw new OnnxFormatError(`cannot write tensor ${t.name}: dtype ${t.dtype} has no data`);
  const d = t.data;
  return {
    name: t.name,
    dataType: t.dtype,
    dims: t.shape,
    rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

function encodeValueInfo(v: IrValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.dtype,
        shape: v.shape
          ? {
              dim: v.shape.map((d) =>
                typeof d === "number" ? { dimValue: d } : d === null ? {} : { dimParam: d },
              ),
            }
          : undefined,
      },
    },
  };
}

function encodeAttr(name: string, a: IrAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case "int":
      return { name, type: T.INT, i: Number(a.value) };
    case "ints":
      return { name, type: T.INTS, ints: a.value.map(Number) };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "floats":
      return { name, type: T.FLOATS, floats: a.value };
    case "string":
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case "tensor":
      return { name, type: T.TENSOR, t: encodeTensor(a.value) };
    default:
      throw new OnnxFormatError(`cannot write attribute ${name} of unsupported type ${a.onnxType}`);
  }
}

export function encodeOnnx(model: IrModel): Uint8Array {
  const g = model.graph;
  const proto = onnx.ModelProto.create({
    irVersion: model.irVersion,
    producerName: model.producerName,
    opsetImport: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    metadataProps: (model.metadata ?? []).map((e) => ({ key: e.key, value: e.value })),
    graph: {
      name: g.name,
      input: g.inputs.map(encodeValueInfo),
      output: g.outputs.map(encodeValueInfo),
      valueInfo: g.valueInfo.map(encodeValueInfo),
      initializer: g.initializers.map(encodeTensor),
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, v]) => encodeAttr(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
