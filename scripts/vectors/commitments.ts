/**
 * Test vectors for docs/commitments.md: Merkle trees, tensor roots, chunk openings, element
 * positions, trace leaves and trace roots. Solidity reproduces every one of them, so byte
 * strings are 0x-hex and integers that may exceed 2^53 (element values) are decimal strings.
 */
import {
  DTYPES,
  type DTypeInfo,
  dtypeByCode,
  fromHex,
  merkleLevels,
  merkleProof,
  sha256,
  toHex,
  treeDepth,
  u32be,
} from "../../protocol/index.ts";
import { CHUNK, chunkCount, TensorCommitment, tensorHeader } from "../../prover-trace/commit/tensor.ts";
import { TraceCommitment, traceLeaf } from "../../prover-trace/commit/trace.ts";
import { openChunk, verifyChunkOpening } from "../../prover-trace/witness/chunk.ts";
import { chunkOfElement, readElement } from "../../prover-trace/witness/element.ts";
import { openTraceLeaf } from "../../prover-trace/witness/trace.ts";
import { pseudoRandomBytes } from "./prng.ts";

type Hex = `0x${string}`;

interface OpeningVector {
  tensor: string;
  tensorRoot: Hex;
  dtype: number;
  shape: number[];
  chunkIndex: number;
  chunk: Hex;
  proof: Hex[];
}
const hexList = (xs: readonly Uint8Array[]): Hex[] => xs.map((x) => toHex(x));

function merkleVectors() {
  return [1, 2, 3, 5, 8].map((n) => {
    const leaves = Array.from({ length: n }, (_, i) => sha256(u32be(i)));
    const levels = merkleLevels(Buffer.concat(leaves));
    return {
      leafCount: n,
      depth: treeDepth(n),
      leaves: hexList(leaves),
      root: toHex(levels[levels.length - 1]),
      proofs: leaves.map((_, i) => ({ index: i, proof: hexList(merkleProof(levels, i)) })),
    };
  });
}

interface NamedTensor {
  name: string;
  commitment: TensorCommitment;
}

/** Edge shapes per dtype: one element, a scalar, exactly one chunk, one chunk + one element, several chunks. */
function tensorCases(d: DTypeInfo): { name: string; shape: number[] }[] {
  const perChunk = CHUNK / d.bytes;
  return [
    { name: "one_element", shape: [1] },
    { name: "scalar", shape: [] },
    { name: "one_chunk", shape: [perChunk] },
    { name: "one_chunk_plus_one", shape: [perChunk + 1] },
    { name: "two_chunks_2d", shape: [2, perChunk] },
    { name: "three_chunks_partial_3d", shape: [3, 5, Math.floor((2.5 * perChunk) / 15)] },
    { name: "five_chunks", shape: [5 * perChunk - 3] },
    { name: "eight_chunks", shape: [8, perChunk] },
  ];
}

function buildTensors(): NamedTensor[] {
  const out: NamedTensor[] = [];
  let seed = 1;
  for (const d of Object.values(DTYPES)) {
    for (const c of tensorCases(d)) {
      const numel = c.shape.reduce((a, b) => a * b, 1);
      const data = pseudoRandomBytes(numel * d.bytes, seed++);
      out.push({
        name: `${d.name}_${c.name}`,
        commitment: TensorCommitment.build({ dtype: d.code, shape: c.shape, data }),
      });
    }
  }
  return out;
}

function tensorVector({ name, commitment: c }: NamedTensor) {
  return {
    name,
    dtype: c.dtype,
    shape: [...c.shape],
    data: toHex(c.bytes),
    header: toHex(tensorHeader(c.dtype, c.shape)),
    chunkCount: c.chunkCount,
    chunkHashes: hexList(
      Array.from({ length: c.chunkCount }, (_, i) => c.levels[0].subarray(32 * i, 32 * i + 32)),
    ),
    dataRoot: toHex(c.dataRoot),
    tensorRoot: toHex(c.root),
  };
}

function openingVectors(tensors: NamedTensor[]) {
  const valid: OpeningVector[] = [];
  for (const { name, commitment: c } of tensors) {
    if (!/_(one_chunk_plus_one|three_chunks_partial_3d|five_chunks|one_element)$/.test(name)) continue;
    for (let i = 0; i < c.chunkCount; i++) {
      const o = openChunk(c, i);
      valid.push({
        tensor: name,
        tensorRoot: toHex(c.root),
        dtype: c.dtype,
        shape: [...c.shape],
        chunkIndex: i,
        chunk: toHex(o.chunk),
        proof: hexList(o.proof),
      });
    }
  }
  // Openings a verifier must reject, each derived from a valid one by one change.
  const base = valid.find((v) => v.tensor === "int32_five_chunks" && v.chunkIndex === 4);
  if (!base) throw new Error("vector generator: int32_five_chunks is missing");
  const flipHex = (h: Hex, byte: number): Hex => {
    const b = Buffer.from(h.slice(2), "hex");
    b[byte] ^= 1;
    return toHex(b);
  };
  const last = base.chunk;
  const usedBytes = (5 * 256 - 3) * 4 - 4 * CHUNK;
  const invalid = [
    { reason: "chunk byte changed", ...base, chunk: flipHex(last, 0) },
    { reason: "sibling changed", ...base, proof: [base.proof[0], flipHex(base.proof[1], 31), base.proof[2]] },
    { reason: "proof one sibling short", ...base, proof: base.proof.slice(0, 2) },
    { reason: "proof one sibling long", ...base, proof: [...base.proof, toHex(new Uint8Array(32))] },
    { reason: "chunk index out of range", ...base, chunkIndex: 5 },
    { reason: "other chunk index", ...base, chunkIndex: 3 },
    { reason: "shape changed, same byte length", ...base, shape: [1, 1277] },
    { reason: "dtype changed, same byte length", ...base, dtype: DTYPES.uint8.code, shape: [5108] },
    { reason: "non-zero byte in the last chunk's padding", ...base, chunk: flipHex(last, usedBytes) },
  ];
  // The generator checks its own output with the TypeScript verifier.
  const verify = (v: OpeningVector) =>
    verifyChunkOpening(fromHex(v.tensorRoot), v.dtype, v.shape, {
      chunkIndex: v.chunkIndex,
      chunk: fromHex(v.chunk),
      proof: v.proof.map(fromHex),
    });
  for (const v of valid)
    if (!verify(v)) throw new Error(`vector generator: valid opening fails: ${v.tensor}`);
  for (const v of invalid)
    if (verify(v)) throw new Error(`vector generator: invalid opening passes: ${v.reason}`);
  return { valid, invalid };
}

function elementVectors(tensors: NamedTensor[]) {
  const out = [];
  for (const { name, commitment: c } of tensors) {
    if (!/_(one_chunk_plus_one|five_chunks|scalar)$/.test(name)) continue;
    const numel = c.shape.reduce((a, b) => a * b, 1);
    const perChunk = CHUNK / dtypeByCode(c.dtype).bytes;
    for (const e of new Set([0, 1, perChunk - 1, perChunk, numel - 1].filter((x) => x >= 0 && x < numel))) {
      const { chunkIndex, offset } = chunkOfElement(c.dtype, e, c.shape);
      out.push({
        tensor: name,
        dtype: c.dtype,
        flatIndex: e,
        chunkIndex,
        offset,
        value: readElement(c.dtype, c.chunk(chunkIndex), offset).toString(),
      });
    }
  }
  return out;
}

function traceVectors(tensors: NamedTensor[]) {
  const byName = new Map(tensors.map((t) => [t.name, t.commitment]));
  const pick = (name: string) => {
    const c = byName.get(name);
    if (!c) throw new Error(`vector generator: no tensor ${name}`);
    return { dtype: c.dtype, shape: c.shape, data: c.bytes };
  };
  // Node outputs are named tensors from the tensors list; some nodes have two outputs.
  const nodes: string[][] = [
    ["int8_five_chunks"],
    ["int32_two_chunks_2d", "int64_one_element"],
    ["uint8_one_chunk_plus_one"],
    ["int32_scalar"],
    ["int64_three_chunks_partial_3d", "uint8_one_element"],
    ["int32_five_chunks"],
    ["int8_one_chunk"],
    ["uint8_eight_chunks"],
  ];
  return [1, 2, 3, 5, 8].map((n) => {
    const outputs = nodes.slice(0, n);
    const trace = TraceCommitment.build(outputs.map((names) => names.map(pick)));
    return {
      nodeCount: n,
      nodes: outputs.map((names, i) => ({
        nodeIndex: i,
        outputs: names,
        outputRoots: hexList(trace.outputs[i].map((t) => t.root)),
        leaf: toHex(trace.leaves[i]),
      })),
      root: toHex(trace.root),
      openings: outputs.map((_, i) => {
        const o = openTraceLeaf(trace, i);
        return { nodeIndex: i, outputRoots: hexList(o.outputRoots), proof: hexList(o.proof) };
      }),
    };
  });
}

/** A standalone trace leaf with a large node index, so u32 encoding is exercised beyond one byte. */
function traceLeafVectors() {
  const r = [sha256(Uint8Array.of(1)), sha256(Uint8Array.of(2)), sha256(Uint8Array.of(3))];
  return [
    { nodeIndex: 0, outputRoots: hexList(r.slice(0, 1)), leaf: toHex(traceLeaf(0, r.slice(0, 1))) },
    { nodeIndex: 70000, outputRoots: hexList(r), leaf: toHex(traceLeaf(70000, r)) },
    {
      nodeIndex: 0xffffffff,
      outputRoots: hexList(r.slice(1)),
      leaf: toHex(traceLeaf(0xffffffff, r.slice(1))),
    },
  ];
}

export function commitmentVectors() {
  const tensors = buildTensors();
  for (const t of tensors)
    if (t.commitment.chunkCount !== chunkCount(t.commitment.dtype, t.commitment.shape))
      throw new Error(`vector generator: chunk count mismatch for ${t.name}`);
  return {
    spec: "docs/commitments.md",
    generator: "scripts/vectors/commitments.ts (npm run vectors)",
    chunkSize: CHUNK,
    merkle: merkleVectors(),
    tensors: tensors.map(tensorVector),
    chunkOpenings: openingVectors(tensors),
    elements: elementVectors(tensors),
    traceLeaves: traceLeafVectors(),
    traces: traceVectors(tensors),
  };
}
