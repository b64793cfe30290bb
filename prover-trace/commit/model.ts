/**
 * Model commitments (docs/commitments.md, "Model commitments"; attribute bytes per op in
 * docs/profile.md):
 *
 *   inputRef      = u8 kind || u32 index || u8 slot
 *   outputDesc    = u8 dtype || u8 rank || u32 dim[0] || ...
 *   descriptor[i] = 0x4e || u8 opCode || u8 inputCount || inputRef... || u8 outputCount
 *                   || outputDesc... || u16 attrLength || attrBytes
 *   graphRoot     = MerkleRoot(sha256(descriptor[0]), ..., sha256(descriptor[nodeCount-1]))
 *   weightsRoot   = MerkleRoot(tensorRoot(initializer[0]), ...)   (32 zero bytes when none)
 *   inputRoot     = MerkleRoot(tensorRoot(graphInput[0]), ...)
 *   outputRoot    = MerkleRoot(tensorRoot(graphOutput[0]), ...)
 *   outputRef[k]  = sha256(0x4f || u32 node || u8 slot)      graph output k is output `slot` of node `node`
 *   outputRefsRoot = MerkleRoot(outputRef[0], ..., outputRef[outputCount-1])
 *   rangeLeaf[j]  = sha256(0x52 || u8 dtype || i64 min || i64 max)   graph input j holds values in
 *                   [min, max]: its declared range, else its dtype's whole range
 *   inputRangesRoot = MerkleRoot(rangeLeaf[0], ..., rangeLeaf[inputCount-1])
 *   modelId       = sha256(0x4d || graphRoot || weightsRoot || outputRefsRoot || inputRangesRoot
 *                          || u32 nodeCount
 *                          || u32 weightCount || u32 inputCount || u32 outputCount || cidBytes)
 *
 * cidBytes is the binary CIDv1 of the ONNX file exactly as `ipfs add --cid-version=1` (Kubo)
 * makes it: raw leaves, fixed 256 KiB chunks, balanced DAG of at most 174 links per node.
 */

import type { CID } from "multiformats/cid";
import { fileCid } from "../../protocol/cid.ts";
import {
  concatBytes,
  dtypeByCode,
  i64be,
  merkleLevels,
  merkleProof,
  sha256,
  u8,
  u16be,
  u32be,
  verifyMerkleProof,
  ZERO32,
} from "../../protocol/index.ts";
import { canonicalEncodingProblem } from "../onnx/io.ts";
import { inputRangeViolation } from "../profile/input-range.ts";
import type { InputRef, ProfileModel } from "../profile/validate.ts";
import { loadProfileModel, ProfileError } from "../profile/validate.ts";
import { type TensorData, tensorRoot } from "./tensor.ts";

export { type BlockSink, fileCid } from "../../protocol/cid.ts";

export const DESCRIPTOR_TAG = 0x4e;
export const MODEL_ID_TAG = 0x4d;
export const OUTPUT_REF_TAG = 0x4f;
export const RANGE_LEAF_TAG = 0x52;

export function encodeInputRef(r: InputRef): Uint8Array {
  if (r.kind !== 0 && r.kind !== 1 && r.kind !== 2) throw new RangeError(`inputRef kind ${r.kind}`);
  return concatBytes(u8(r.kind), u32be(r.index), u8(r.slot));
}

export function encodeOutputDesc(dtype: number, shape: readonly number[]): Uint8Array {
  return concatBytes(u8(dtype), u8(shape.length), ...shape.map((d) => u32be(d)));
}

/** The parts of a node descriptor, for encoding and for tests that build one by hand. */
export interface DescriptorParts {
  opCode: number;
  inputs: readonly InputRef[];
  outputs: readonly { dtype: number; shape: readonly number[] }[];
  attrBytes: Uint8Array;
}

export function encodeDescriptor(p: DescriptorParts): Uint8Array {
  return concatBytes(
    Uint8Array.of(DESCRIPTOR_TAG),
    u8(p.opCode),
    u8(p.inputs.length),
    ...p.inputs.map(encodeInputRef),
    u8(p.outputs.length),
    ...p.outputs.map((o) => encodeOutputDesc(o.dtype, o.shape)),
    u16be(p.attrBytes.length),
    p.attrBytes,
  );
}

/** Canonical descriptor of node `i` of a validated model. */
export function nodeDescriptor(model: ProfileModel, i: number): Uint8Array {
  const n = model.nodes[i];
  if (!n) throw new RangeError(`node index ${i} out of range [0, ${model.nodes.length})`);
  return encodeDescriptor({
    opCode: n.opCode,
    inputs: n.inputRefs,
    outputs: n.outputs.map((name) => {
      const v = model.values.get(name);
      if (!v) throw new Error(`node ${i}: output ${name} has no analysed type`);
      return v;
    }),
    attrBytes: n.attrBytes,
  });
}

export function nodeDescriptors(model: ProfileModel): Uint8Array[] {
  return model.nodes.map((_, i) => nodeDescriptor(model, i));
}

/** Levels of the graph tree (levels[0] = descriptor hashes, last = graph root). */
export function graphLevels(model: ProfileModel): Uint8Array[] {
  return merkleLevels(concatBytes(...nodeDescriptors(model).map(sha256)));
}

export function graphRoot(model: ProfileModel): Uint8Array {
  const levels = graphLevels(model);
  return levels[levels.length - 1].slice(0, 32);
}

/** MerkleRoot over tensor roots, or 32 zero bytes for an empty list. */
export function tensorListRoot(tensors: readonly TensorData[]): Uint8Array {
  if (tensors.length === 0) return ZERO32.slice();
  const levels = merkleLevels(concatBytes(...tensors.map((t) => tensorRoot(t.dtype, t.shape, t.data))));
  return levels[levels.length - 1].slice(0, 32);
}

export function weightsRoot(model: ProfileModel): Uint8Array {
  return tensorListRoot(
    model.initializers.map((t) => {
      if (!t.data) throw new Error(`initializer ${t.name} has no data`);
      return { dtype: t.dtype, shape: t.shape, data: t.data };
    }),
  );
}

function checkAgainst(
  what: string,
  declared: readonly { name: string; dtype: number; shape: readonly number[] }[],
  tensors: readonly TensorData[],
): void {
  if (tensors.length !== declared.length)
    throw new RangeError(`${what}: the model has ${declared.length}, got ${tensors.length}`);
  tensors.forEach((t, i) => {
    const d = declared[i];
    if (t.dtype !== d.dtype || t.shape.length !== d.shape.length || t.shape.some((x, k) => x !== d.shape[k]))
      throw new RangeError(
        `${what} ${i} '${d.name}': expected dtype ${d.dtype} shape [${d.shape.join(",")}], got dtype ${t.dtype} shape [${t.shape.join(",")}]`,
      );
  });
}

/**
 * inputRoot of one job: the tensors must match the model's graph inputs in order, dtype and shape,
 * and lie inside each input's declared range (docs/profile.md, "Graph input ranges"): a job on
 * an input outside it has no honest answer, so it is refused where it is posted.
 */
export function inputRoot(model: ProfileModel, inputs: readonly TensorData[]): Uint8Array {
  checkAgainst("graph input", model.inputs, inputs);
  model.inputs.forEach((d, i) => {
    const outside = inputRangeViolation(d, i, inputs[i].data);
    if (outside) throw new RangeError(outside);
  });
  return tensorListRoot(inputs);
}

/** outputRoot of one run: the tensors must match the model's graph outputs. */
export function outputRoot(model: ProfileModel, outputs: readonly TensorData[]): Uint8Array {
  checkAgainst("graph output", model.outputs, outputs);
  return tensorListRoot(outputs);
}

// ---------------------------------------------------------------------------- output refs

/** Where graph output k comes from: output `slot` of node `node` (the trace leaf that holds it). */
export interface OutputRef {
  node: number;
  slot: number;
}

/** outputRef = sha256(0x4f || u32 node || u8 slot): one leaf of outputRefsRoot. */
export function outputRefLeaf(r: OutputRef): Uint8Array {
  if (!Number.isInteger(r.node) || r.node < 0 || r.node > 0xffffffff)
    throw new RangeError(`output ref node ${r.node}`);
  if (!Number.isInteger(r.slot) || r.slot < 0 || r.slot > 0xff)
    throw new RangeError(`output ref slot ${r.slot}`);
  return sha256(concatBytes(Uint8Array.of(OUTPUT_REF_TAG), u32be(r.node), u8(r.slot)));
}

/** The producing node and slot of every graph output, in graph output order. */
export function outputRefs(model: ProfileModel): OutputRef[] {
  return model.outputs.map((o) => {
    // The validator only admits node outputs as graph outputs.
    if (o.ref.kind !== 2) throw new Error(`graph output ${o.name} is not a node output`);
    return { node: o.ref.index, slot: o.ref.slot };
  });
}

/** Levels of the output-ref tree (levels[0] = ref leaves, last = outputRefsRoot). */
export function outputRefsLevels(refs: readonly OutputRef[]): Uint8Array[] {
  if (refs.length === 0) throw new RangeError("a model has at least one graph output");
  return merkleLevels(concatBytes(...refs.map(outputRefLeaf)));
}

export function outputRefsRoot(refs: readonly OutputRef[]): Uint8Array {
  const levels = outputRefsLevels(refs);
  return levels[levels.length - 1].slice(0, 32);
}

/** Graph output k's ref with its Merkle proof against outputRefsRoot (outputCount leaves). */
export interface OutputRefOpening extends OutputRef {
  index: number;
  outputCount: number;
  proof: Uint8Array[];
}

export function openOutputRef(
  c: Pick<ModelCommitment, "outputRefs" | "outputRefsLevels">,
  k: number,
): OutputRefOpening {
  const r = c.outputRefs[k];
  if (!r) throw new RangeError(`graph output index ${k} out of range [0, ${c.outputRefs.length})`);
  return { ...r, index: k, outputCount: c.outputRefs.length, proof: merkleProof(c.outputRefsLevels, k) };
}

export function verifyOutputRef(outputRefsRootBytes: Uint8Array, o: OutputRefOpening): boolean {
  return verifyMerkleProof(outputRefsRootBytes, outputRefLeaf(o), o.index, o.outputCount, o.proof);
}

// ---------------------------------------------------------------------------- input ranges

/**
 * Graph input j's admissible values (docs/profile.md "Graph input ranges"): the declared range,
 * else the dtype's whole range. The one-step check and challengeInput open it against
 * inputRangesRoot, since the contracts cannot read the range from the file.
 */
export interface InputRange {
  dtype: number;
  min: bigint;
  max: bigint;
}

/** rangeLeaf = sha256(0x52 || u8 dtype || i64 min || i64 max): one leaf of inputRangesRoot. */
export function rangeLeaf(r: InputRange): Uint8Array {
  const d = dtypeByCode(r.dtype);
  if (r.min > r.max || r.min < d.min || r.max > d.max)
    throw new RangeError(`input range [${r.min}, ${r.max}] is not a range of ${d.name}`);
  return sha256(concatBytes(Uint8Array.of(RANGE_LEAF_TAG), u8(r.dtype), i64be(r.min), i64be(r.max)));
}

/** Every graph input's range, in graph input order (the validator set each input's interval). */
export function inputRanges(model: ProfileModel): InputRange[] {
  return model.inputs.map((v) => ({ dtype: v.dtype, min: v.interval.lo, max: v.interval.hi }));
}

/** Levels of the range tree (levels[0] = range leaves, last = inputRangesRoot). */
export function inputRangesLevels(ranges: readonly InputRange[]): Uint8Array[] {
  if (ranges.length === 0) throw new RangeError("a model has at least one graph input");
  return merkleLevels(concatBytes(...ranges.map(rangeLeaf)));
}

export function inputRangesRoot(ranges: readonly InputRange[]): Uint8Array {
  const levels = inputRangesLevels(ranges);
  return levels[levels.length - 1].slice(0, 32);
}

/** Graph input j's range with its Merkle proof against inputRangesRoot (inputCount leaves). */
export interface InputRangeOpening extends InputRange {
  index: number;
  inputCount: number;
  proof: Uint8Array[];
}

export function openInputRange(
  c: Pick<ModelCommitment, "inputRanges" | "inputRangesLevels">,
  j: number,
): InputRangeOpening {
  const r = c.inputRanges[j];
  if (!r) throw new RangeError(`graph input index ${j} out of range [0, ${c.inputRanges.length})`);
  return { ...r, index: j, inputCount: c.inputRanges.length, proof: merkleProof(c.inputRangesLevels, j) };
}

export function verifyInputRange(inputRangesRootBytes: Uint8Array, o: InputRangeOpening): boolean {
  return verifyMerkleProof(inputRangesRootBytes, rangeLeaf(o), o.index, o.inputCount, o.proof);
}

// ---------------------------------------------------------------------------- model id

export interface ModelIdParts {
  graphRoot: Uint8Array;
  weightsRoot: Uint8Array;
  /** Binds graph output k to the trace leaf (node, slot) that must hold it (dispute level 0). */
  outputRefsRoot: Uint8Array;
  /** Binds graph input j to its admissible range (challengeInput, the one-step check). */
  inputRangesRoot: Uint8Array;
  nodeCount: number;
  weightCount: number;
  inputCount: number;
  outputCount: number;
  cidBytes: Uint8Array;
}

export function modelIdFromParts(p: ModelIdParts): Uint8Array {
  if (
    p.graphRoot.length !== 32 ||
    p.weightsRoot.length !== 32 ||
    p.outputRefsRoot?.length !== 32 ||
    p.inputRangesRoot?.length !== 32
  )
    throw new RangeError("roots must be 32 bytes");
  return sha256(
    concatBytes(
      Uint8Array.of(MODEL_ID_TAG),
      p.graphRoot,
      p.weightsRoot,
      p.outputRefsRoot,
      p.inputRangesRoot,
      u32be(p.nodeCount),
      u32be(p.weightCount),
      u32be(p.inputCount),
      u32be(p.outputCount),
      p.cidBytes,
    ),
  );
}

/** Everything the registry and the dispute game need about one model. */
export interface ModelCommitment extends ModelIdParts {
  model: ProfileModel;
  cid: CID;
  modelId: Uint8Array;
  /** Graph tree levels, for opening node descriptors. */
  graphLevels: Uint8Array[];
  descriptors: Uint8Array[];
  /** Graph output k is output outputRefs[k].slot of node outputRefs[k].node. */
  outputRefs: OutputRef[];
  outputRefsLevels: Uint8Array[];
  /** Graph input j's admissible values, in graph input order. */
  inputRanges: InputRange[];
  inputRangesLevels: Uint8Array[];
}

/**
 * Commits to a validated model whose ONNX file is `onnxBytes`. The model id binds the file's CID,
 * so the file must be canonical (docs/profile.md section 1): a non-canonical file could read as
 * another graph in ONNX Runtime, and is refused here too, whoever validated `model`.
 */
export async function commitModel(model: ProfileModel, onnxBytes: Uint8Array): Promise<ModelCommitment> {
  let problem: string | null;
  try {
    problem = canonicalEncodingProblem(onnxBytes);
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  if (problem) throw new ProfileError([`model: ${problem}`]);
  const descriptors = nodeDescriptors(model);
  const levels = merkleLevels(concatBytes(...descriptors.map(sha256)));
  const cid = await fileCid(onnxBytes);
  const refs = outputRefs(model);
  const refLevels = outputRefsLevels(refs);
  const ranges = inputRanges(model);
  const rangeLevels = inputRangesLevels(ranges);
  const parts: ModelIdParts = {
    graphRoot: levels[levels.length - 1].slice(0, 32),
    weightsRoot: weightsRoot(model),
    outputRefsRoot: refLevels[refLevels.length - 1].slice(0, 32),
    inputRangesRoot: rangeLevels[rangeLevels.length - 1].slice(0, 32),
    nodeCount: model.nodes.length,
    weightCount: model.initializers.length,
    inputCount: model.inputs.length,
    outputCount: model.outputs.length,
    cidBytes: cid.bytes,
  };
  return {
    ...parts,
    model,
    cid,
    modelId: modelIdFromParts(parts),
    graphLevels: levels,
    descriptors,
    outputRefs: refs,
    outputRefsLevels: refLevels,
    inputRanges: ranges,
    inputRangesLevels: rangeLevels,
  };
}

/** Decode, validate and commit an ONNX file (throws ProfileError when it is outside the profile). */
export async function commitOnnxFile(onnxBytes: Uint8Array): Promise<ModelCommitment> {
  return commitModel(loadProfileModel(onnxBytes), onnxBytes);
}

/** A node descriptor with its Merkle proof against the graph root. */
export interface DescriptorOpening {
  index: number;
  nodeCount: number;
  descriptor: Uint8Array;
  proof: Uint8Array[];
}

/** Opens node `i` from a commitment (cached tree) or straight from a validated model. */
export function openNodeDescriptor(
  from: Pick<ModelCommitment, "descriptors" | "graphLevels"> | ProfileModel,
  i: number,
): DescriptorOpening {
  const c =
    "descriptors" in from ? from : { descriptors: nodeDescriptors(from), graphLevels: graphLevels(from) };
  const descriptor = c.descriptors[i];
  if (!descriptor) throw new RangeError(`node index ${i} out of range [0, ${c.descriptors.length})`);
  return { index: i, nodeCount: c.descriptors.length, descriptor, proof: merkleProof(c.graphLevels, i) };
}

export function verifyNodeDescriptor(graphRootBytes: Uint8Array, o: DescriptorOpening): boolean {
  return verifyMerkleProof(graphRootBytes, sha256(o.descriptor), o.index, o.nodeCount, o.proof);
}
