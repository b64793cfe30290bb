/**
 * contracts/src/lib/Commitments.sol against the TypeScript encodings: every vector of
 * test/vectors/commitments.json (npm run vectors) through a harness contract on the embedded chain,
 * plus random trees from protocol/merkle.ts, the model id from prover-trace/commit/model.ts and the
 * withdrawal leaf from protocol/withdrawal.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import {
  commitmentsHarnessAbi,
  commitmentsHarnessBytecode,
} from "../../../contracts/artifacts/CommitmentsHarness.ts";
import { concatBytes, fromHex, toHex, u32be } from "../../../protocol/bytes.ts";
import { merkleLevels, merkleProof, merkleRoot, treeDepth } from "../../../protocol/merkle.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { withdrawalLeaf } from "../../../protocol/withdrawal.ts";
import { modelIdFromParts } from "../../../prover-trace/commit/model.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  chunkSize: number;
  merkle: {
    leafCount: number;
    depth: number;
    leaves: Hex[];
    root: Hex;
    proofs: { index: number; proof: Hex[] }[];
  }[];
  tensors: {
    name: string;
    dtype: number;
    shape: number[];
    data: Hex;
    chunkCount: number;
    chunkHashes: Hex[];
    dataRoot: Hex;
    tensorRoot: Hex;
  }[];
  chunkOpenings: {
    valid: {
      tensor: string;
      tensorRoot: Hex;
      dtype: number;
      shape: number[];
      chunkIndex: number;
      chunk: Hex;
      proof: Hex[];
    }[];
    invalid: {
      reason: string;
      tensorRoot: Hex;
      dtype: number;
      shape: number[];
      chunkIndex: number;
      chunk: Hex;
      proof: Hex[];
    }[];
  };
  elements: {
    tensor: string;
    dtype: number;
    flatIndex: number;
    chunkIndex: number;
    offset: number;
    value: string;
  }[];
  traceLeaves: { nodeIndex: number; outputRoots: Hex[]; leaf: Hex }[];
  traces: {
    nodeCount: number;
    root: Hex;
    openings: { nodeIndex: number; outputRoots: Hex[]; proof: Hex[] }[];
  }[];
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/commitments.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
const clients = backend.clients(0);
const wallet = clients.walletClient!;
const pub = clients.publicClient;
const deployHash = await wallet.deployContract({
  abi: commitmentsHarnessAbi,
  bytecode: commitmentsHarnessBytecode,
});
const harness = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;
t.teardown(() => backend.close());

type HarnessFn = (typeof commitmentsHarnessAbi)[number] extends infer X
  ? X extends { type: "function"; name: infer N }
    ? N
    : never
  : never;

// biome-ignore lint/suspicious/noExplicitAny: thin wrapper; every call site is checked against the vectors
function call(functionName: HarnessFn, args: readonly unknown[]): Promise<any> {
  return pub.readContract({ address: harness, abi: commitmentsHarnessAbi, functionName, args } as never);
}

function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += size) {
    const c = new Uint8Array(size);
    c.set(data.subarray(off, off + size));
    out.push(c);
  }
  return out;
}

t.test("vectors: Merkle roots and proofs", async (t) => {
  for (const m of vectors.merkle) {
    t.equal(await call("treeDepth", [BigInt(m.leafCount)]), BigInt(m.depth), `depth of ${m.leafCount}`);
    for (const p of m.proofs) {
      const leaf = m.leaves[p.index];
      t.equal(
        await call("rootFromProof", [leaf, BigInt(p.index), p.proof]),
        m.root,
        `n=${m.leafCount} i=${p.index}`,
      );
      t.ok(await call("verifyProof", [m.root, leaf, BigInt(p.index), BigInt(m.leafCount), p.proof]));
      if (m.depth > 0) {
        // The same proof at another leaf count (another depth) must not verify.
        t.notOk(
          await call("verifyProof", [m.root, leaf, BigInt(p.index), BigInt(2 * (1 << m.depth)), p.proof]),
        );
      }
    }
  }
});

t.test("vectors: tensor roots, chunk counts, chunk hashes", async (t) => {
  t.equal(vectors.chunkSize, 1024);
  for (const v of vectors.tensors) {
    t.equal(await call("chunkCount", [v.dtype, v.shape]), BigInt(v.chunkCount), `${v.name} chunk count`);
    t.equal(await call("tensorRoot", [v.dtype, v.shape, v.dataRoot]), v.tensorRoot, `${v.name} tensor root`);
    const chunks = chunksOf(fromHex(v.data), vectors.chunkSize);
    for (let i = 0; i < chunks.length; i++) {
      t.equal(await call("chunkHash", [toHex(chunks[i])]), v.chunkHashes[i], `${v.name} chunk ${i} hash`);
    }
  }
});

t.test("vectors: chunk openings, valid and invalid", async (t) => {
  for (const o of vectors.chunkOpenings.valid) {
    t.ok(
      await call("verifyChunk", [o.tensorRoot, o.dtype, o.shape, BigInt(o.chunkIndex), o.chunk, o.proof]),
      `${o.tensor} chunk ${o.chunkIndex}`,
    );
  }
  t.ok(vectors.chunkOpenings.invalid.length >= 5, "invalid openings are present");
  for (const o of vectors.chunkOpenings.invalid) {
    t.notOk(
      await call("verifyChunk", [o.tensorRoot, o.dtype, o.shape, BigInt(o.chunkIndex), o.chunk, o.proof]),
      `rejected: ${o.reason}`,
    );
  }
});

t.test("vectors: element positions and values", async (t) => {
  const byName = new Map(vectors.tensors.map((x) => [x.name, x]));
  for (const e of vectors.elements) {
    const [chunkIndex, offset] = await call("chunkOfElement", [e.dtype, BigInt(e.flatIndex)]);
    t.equal(chunkIndex, BigInt(e.chunkIndex), `${e.tensor}[${e.flatIndex}] chunk`);
    t.equal(offset, BigInt(e.offset), `${e.tensor}[${e.flatIndex}] offset`);
    const tensor = byName.get(e.tensor)!;
    const chunk = chunksOf(fromHex(tensor.data), vectors.chunkSize)[e.chunkIndex];
    t.equal(
      await call("readElement", [e.dtype, toHex(chunk), BigInt(e.offset)]),
      BigInt(e.value),
      `${e.tensor}[${e.flatIndex}]`,
    );
  }
});

t.test("vectors: trace leaves and trace openings", async (t) => {
  for (const l of vectors.traceLeaves) {
    t.equal(await call("traceLeaf", [l.nodeIndex, l.outputRoots]), l.leaf, `leaf of node ${l.nodeIndex}`);
  }
  for (const tr of vectors.traces) {
    for (const o of tr.openings) {
      const leaf = await call("traceLeaf", [o.nodeIndex, o.outputRoots]);
      t.ok(await call("verifyProof", [tr.root, leaf, BigInt(o.nodeIndex), BigInt(tr.nodeCount), o.proof]));
    }
  }
});

t.test("random trees from protocol/merkle.ts: every proof verifies, tampering fails", async (t) => {
  let seed = 7;
  for (const n of [1, 2, 3, 4, 5, 7, 9, 16, 17]) {
    const leaves = Array.from({ length: n }, () => sha256(u32be(seed++)));
    const levels = merkleLevels(concatBytes(...leaves));
    const root = toHex(merkleRoot(leaves));
    for (const i of new Set([0, n >> 1, n - 1])) {
      const proof = merkleProof(levels, i).map(toHex);
      t.equal(proof.length, treeDepth(n));
      t.ok(await call("verifyProof", [root, toHex(leaves[i]), BigInt(i), BigInt(n), proof]), `n=${n} i=${i}`);
      t.notOk(
        await call("verifyProof", [root, toHex(leaves[i]), BigInt(n), BigInt(n), proof]),
        "index >= count",
      );
      if (proof.length > 0) {
        const bad = [...proof];
        bad[0] = toHex(sha256(fromHex(bad[0])));
        t.notOk(
          await call("verifyProof", [root, toHex(leaves[i]), BigInt(i), BigInt(n), bad]),
          "sibling changed",
        );
        t.notOk(
          await call("verifyProof", [root, toHex(leaves[i]), BigInt(i), BigInt(n), proof.slice(1)]),
          "short proof",
        );
      }
    }
  }
});

t.test("hostile inputs revert with named errors", async (t) => {
  await t.rejects(call("treeDepth", [0n]), /EmptyTree/);
  await t.rejects(call("treeDepth", [2n ** 64n + 1n]), /TreeTooLarge/);
  await t.rejects(call("tensorRoot", [5, [2], toHex(new Uint8Array(32))]), /UnsupportedDType/);
  await t.rejects(call("tensorRoot", [6, [2, 0], toHex(new Uint8Array(32))]), /EmptyTensor/);
  await t.rejects(call("chunkCount", [6, new Array(256).fill(1)]), /RankTooLarge/);
  await t.rejects(call("traceLeaf", [0, []]), /InvalidOutputCount/);
  await t.rejects(call("readElement", [6, toHex(new Uint8Array(1024)), 2n]), /ElementOutOfChunk/);
  await t.rejects(call("readElement", [7, toHex(new Uint8Array(1024)), 1020n]), /ElementOutOfChunk/);
  const ok = vectors.chunkOpenings.valid[0];
  t.notOk(
    await call("verifyChunk", [
      ok.tensorRoot,
      ok.dtype,
      ok.shape,
      BigInt(ok.chunkIndex),
      `${ok.chunk}00`,
      ok.proof,
    ]),
    "a chunk of 1025 bytes is not an opening",
  );
});

t.test("model id matches prover-trace/commit/model.ts", async (t) => {
  const cid = fromHex("0x01551220" + "ab".repeat(32));
  const cases = [
    {
      graphRoot: sha256(u32be(1)),
      weightsRoot: sha256(u32be(2)),
      outputRefsRoot: sha256(u32be(101)),
      inputRangesRoot: sha256(u32be(201)),
      nodeCount: 37,
      weightCount: 12,
      inputCount: 1,
      outputCount: 2,
    },
    {
      graphRoot: sha256(u32be(3)),
      weightsRoot: new Uint8Array(32),
      outputRefsRoot: sha256(u32be(102)),
      inputRangesRoot: sha256(u32be(202)),
      nodeCount: 1,
      weightCount: 0,
      inputCount: 3,
      outputCount: 1,
    },
    {
      graphRoot: sha256(u32be(4)),
      weightsRoot: sha256(u32be(5)),
      outputRefsRoot: sha256(u32be(103)),
      inputRangesRoot: sha256(u32be(203)),
      nodeCount: 2 ** 32 - 1,
      weightCount: 7,
      inputCount: 1,
      outputCount: 1,
    },
  ];
  for (const c of cases) {
    const expected = toHex(modelIdFromParts({ ...c, cidBytes: cid }));
    const got = await call("modelId", [
      toHex(c.graphRoot),
      toHex(c.weightsRoot),
      toHex(c.outputRefsRoot),
      toHex(c.inputRangesRoot),
      c.nodeCount,
      c.weightCount,
      c.inputCount,
      c.outputCount,
      toHex(cid),
    ]);
    t.equal(got, expected, `model id with ${c.nodeCount} nodes`);
  }
});

t.test("vectors: output refs and the model id of test/vectors/model.json", async (t) => {
  const v = JSON.parse(readFileSync(join(import.meta.dirname, "../../vectors/model.json"), "utf8")).model as {
    graphRoot: Hex;
    weightsRoot: Hex;
    outputRefsRoot: Hex;
    outputRefs: { node: number; slot: number; leaf: Hex; proof: Hex[] }[];
    inputRangesRoot: Hex;
    inputRanges: { dtype: number; min: string; max: string; leaf: Hex; proof: Hex[] }[];
    nodeCount: number;
    weightCount: number;
    inputCount: number;
    outputCount: number;
    cidBytes: Hex;
    modelId: Hex;
  };
  t.equal(v.outputRefs.length, v.outputCount, "one ref per graph output");
  for (const [k, r] of v.outputRefs.entries()) {
    t.equal(await call("outputRefLeaf", [r.node, r.slot]), r.leaf, `output ref ${k} leaf`);
    t.ok(
      await call("verifyProof", [v.outputRefsRoot, r.leaf, k, v.outputCount, r.proof]),
      `output ref ${k} opens against outputRefsRoot`,
    );
  }
  t.equal(v.inputRanges.length, v.inputCount, "one range per graph input");
  for (const [j, r] of v.inputRanges.entries()) {
    t.equal(
      await call("rangeLeaf", [r.dtype, BigInt(r.min), BigInt(r.max)]),
      r.leaf,
      `input range ${j} leaf`,
    );
    t.ok(
      await call("verifyProof", [v.inputRangesRoot, r.leaf, j, v.inputCount, r.proof]),
      `input range ${j} opens against inputRangesRoot`,
    );
  }
  const edges = JSON.parse(readFileSync(join(import.meta.dirname, "../../vectors/model.json"), "utf8"))
    .rangeLeaves as { dtype: number; min: string; max: string; leaf: Hex }[];
  for (const r of edges)
    t.equal(
      await call("rangeLeaf", [r.dtype, BigInt(r.min), BigInt(r.max)]),
      r.leaf,
      `range leaf dtype ${r.dtype} [${r.min}, ${r.max}]`,
    );
  const got = await call("modelId", [
    v.graphRoot,
    v.weightsRoot,
    v.outputRefsRoot,
    v.inputRangesRoot,
    v.nodeCount,
    v.weightCount,
    v.inputCount,
    v.outputCount,
    v.cidBytes,
  ]);
  t.equal(got, v.modelId, "model id of the vector model");
});

t.test("withdrawal leaf matches protocol/withdrawal.ts", async (t) => {
  const w = {
    recipient: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as Hex,
    amount: 123456789012345678901234567890n,
    l2TxHash: toHex(sha256(u32be(9))),
  };
  t.equal(await call("withdrawalLeaf", [w.recipient, w.amount, w.l2TxHash]), toHex(withdrawalLeaf(w)));
  t.equal(
    await call("withdrawalLeaf", [w.recipient, 2n ** 256n - 1n, w.l2TxHash]),
    toHex(withdrawalLeaf({ ...w, amount: 2n ** 256n - 1n })),
  );
});
