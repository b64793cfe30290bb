import t from "tap";
import { DType } from "../../../protocol/index.ts";
import { TraceCommitment } from "../../../prover-trace/commit/trace.ts";
import {
  openTraceChunk,
  openTraceLeaf,
  type TraceChunkOpening,
  type TraceLeafOpening,
  verifyTraceChunkOpening,
  verifyTraceLeafOpening,
} from "../../../prover-trace/witness/trace.ts";

function trace(n: number) {
  return TraceCommitment.build(
    Array.from({ length: n }, (_, i) =>
      i % 2
        ? [
            { dtype: DType.int8, shape: [i + 1], data: new Int8Array(i + 1).fill(-i) },
            { dtype: DType.int64, shape: [2], data: BigInt64Array.of(BigInt(i), -1n) },
          ]
        : [{ dtype: DType.int32, shape: [300], data: new Int32Array(300).fill(i) }],
    ),
  );
}

t.test("every leaf of traces with 1, 2, 3, 5 and 8 nodes opens and verifies", async (t) => {
  for (const n of [1, 2, 3, 5, 8]) {
    const tr = trace(n);
    for (let i = 0; i < n; i++) {
      const o = openTraceLeaf(tr, i);
      t.same(
        o.outputRoots,
        tr.outputs[i].map((x) => x.root),
      );
      t.ok(verifyTraceLeafOpening(tr.root, n, o), `${n} nodes, leaf ${i}`);
    }
  }
});

t.test("tampered trace openings are rejected", async (t) => {
  const tr = trace(5);
  const o = openTraceLeaf(tr, 3);
  const v = (x: unknown, n = 5) => verifyTraceLeafOpening(tr.root, n, x as TraceLeafOpening);
  t.ok(v(o));
  const r0 = o.outputRoots[0].slice();
  r0[0] ^= 1;
  t.notOk(v({ ...o, outputRoots: [r0, o.outputRoots[1]] }), "other output root");
  t.notOk(v({ ...o, outputRoots: [o.outputRoots[1], o.outputRoots[0]] }), "swapped outputs");
  t.notOk(v({ ...o, outputRoots: [o.outputRoots[0]] }), "dropped output");
  t.notOk(v({ ...o, outputRoots: [] }), "no outputs");
  t.notOk(v({ ...o, outputRoots: [new Uint8Array(31), o.outputRoots[1]] }), "short root");
  t.notOk(v({ ...o, outputRoots: "x" }), "roots not an array");
  t.notOk(v({ ...o, nodeIndex: 2 }), "other index");
  t.notOk(v({ ...o, nodeIndex: 5 }), "index out of range");
  t.notOk(v({ ...o, nodeIndex: 3.5 }), "non-integer index");
  t.notOk(v({ ...o, proof: o.proof.slice(1) }), "short proof");
  t.notOk(v({ ...o, proof: [...o.proof, o.proof[0]] }), "long proof");
  t.notOk(v({ ...o, proof: [o.proof[0], o.proof[1], null] }), "null sibling");
  // The trace root does not bind the node count; verifiers take it from the model (its id binds it).
  t.ok(v(o, 8), "a node count of the same depth cannot be told apart");
  t.notOk(v(o, 9), "other node count, deeper");
  t.notOk(v(null), "null opening");
  t.notOk(verifyTraceLeafOpening(new Uint8Array(32), 5, o), "other root");
  t.throws(() => verifyTraceLeafOpening(tr.root, 0, o), /node count 0/);
  t.throws(() => openTraceLeaf(tr, 5), /node index 5 out of range/);
  t.throws(() => openTraceLeaf(tr, -1), /out of range/);
  t.throws(() => openTraceLeaf(tr, 0.5), /out of range/);
});

t.test("a chunk of a node output opens up to the trace root", async (t) => {
  const tr = trace(5);
  const shapeOf = (node: number, slot: number) => [...tr.output(node, slot).shape];
  const dtypeOf = (node: number, slot: number) => tr.output(node, slot).dtype;
  for (const [node, slot, chunk] of [
    [0, 0, 0],
    [0, 0, 1],
    [3, 0, 0],
    [3, 1, 0],
    [4, 0, 1],
  ]) {
    const o = openTraceChunk(tr, node, slot, chunk);
    t.ok(
      verifyTraceChunkOpening(tr.root, 5, dtypeOf(node, slot), shapeOf(node, slot), o),
      `${node}/${slot}/${chunk}`,
    );
  }
  const o = openTraceChunk(tr, 3, 1, 0);
  const v = (x: unknown, dtype: number = DType.int64, shape = [2]) =>
    verifyTraceChunkOpening(tr.root, 5, dtype, shape, x as TraceChunkOpening);
  t.ok(v(o));
  t.notOk(v({ ...o, slot: 0 }), "other slot");
  t.notOk(v({ ...o, slot: 2 }), "slot out of range");
  t.notOk(v({ ...o, slot: 0.5 }), "non-integer slot");
  t.notOk(v(o, DType.int32, [4]), "other dtype and shape");
  t.notOk(v({ ...o, leaf: openTraceLeaf(tr, 1) }), "leaf of another node");
  const chunk = o.chunk.chunk.slice();
  chunk[0] ^= 1;
  t.notOk(v({ ...o, chunk: { ...o.chunk, chunk } }), "chunk byte");
  t.notOk(v(null), "null");
  t.notOk(v({ slot: 1 }), "no leaf");
  t.throws(() => v(o, DType.int64, [0]), /no elements/);
  t.throws(() => openTraceChunk(tr, 3, 2, 0), /node 3 has no output 2/);
  t.throws(() => openTraceChunk(tr, 3, 1, 1), /chunk index 1 out of range/);
  t.throws(() => openTraceChunk(tr, 7, 0, 0), /node index 7 out of range/);
});
