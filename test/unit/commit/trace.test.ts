import { createHash } from "node:crypto";
import t from "tap";
import { DType, merkleRoot } from "../../../protocol/index.ts";
import { type TensorData, tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { TraceCommitment, traceLeaf, traceRoot } from "../../../prover-trace/commit/trace.ts";

const sha = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

/** Node i has an int32 output; every third node also has a uint8 one. */
function nodes(count: number): TensorData[][] {
  return Array.from({ length: count }, (_, i) => {
    const outs: TensorData[] = [
      { dtype: DType.int32, shape: [3, 100 + i], data: new Int32Array(3 * (100 + i)).fill(i - 5) },
    ];
    if (i % 3 === 1) outs.push({ dtype: DType.uint8, shape: [i + 1], data: new Uint8Array(i + 1).fill(i) });
    return outs;
  });
}

t.test("traceLeaf encoding", async (t) => {
  const r0 = new Uint8Array(32).fill(0xaa);
  const r1 = new Uint8Array(32).fill(0xbb);
  const pre = Buffer.concat([Buffer.from("4c0001e24002", "hex"), r0, r1]);
  t.same(traceLeaf(123456, [r0, r1]), sha(pre));
  t.same(traceLeaf(0, [r0]), sha(Buffer.concat([Buffer.from("4c0000000001", "hex"), r0])));
});

t.test("TraceCommitment equals the spec for 1, 2, 3, 5 and 8 nodes", async (t) => {
  for (const n of [1, 2, 3, 5, 8]) {
    const outs = nodes(n);
    const trace = TraceCommitment.build(outs);
    const roots = outs.map((o) => o.map((x) => tensorRoot(x.dtype, x.shape, x.data)));
    t.same(trace.tensorRoots(), roots, `${n} nodes: tensor roots`);
    const leaves = roots.map((r, i) => traceLeaf(i, r));
    t.same(trace.leaves, leaves);
    t.same(trace.root, merkleRoot(leaves));
    t.same(traceRoot(leaves), trace.root);
    t.equal(trace.nodeCount, n);
    t.same(trace.output(n - 1, 0).root, roots[n - 1][0]);
  }
  const one = TraceCommitment.build(nodes(1));
  t.same(one.root, one.leaves[0], "a one-node trace root is its leaf");
});

t.test("hostile traces are clear errors", async (t) => {
  const r = new Uint8Array(32);
  t.throws(() => traceLeaf(0, []), /output count 0/);
  t.throws(() => traceLeaf(0, new Array(256).fill(r)), /output count 256/);
  t.throws(() => traceLeaf(0, [new Uint8Array(31)]), /32 bytes/);
  t.throws(() => traceLeaf(-1, [r]), /u32 out of range/);
  t.throws(() => traceLeaf(1.5, [r]), /u32 out of range/);
  t.throws(() => traceRoot([]), /at least one node/);
  t.throws(() => traceRoot([new Uint8Array(33)]), /32 bytes/);
  t.throws(() => TraceCommitment.build([]), /at least one node/);
  t.throws(() => TraceCommitment.build([[]]), /node 0: a node has at least one output/);
  t.throws(
    () => TraceCommitment.build([[{ dtype: DType.int32, shape: [2], data: new Int32Array(3) }]]),
    /node 0 output 0: tensor data has 12 bytes/,
  );
  const trace = TraceCommitment.build(nodes(2));
  t.throws(() => trace.output(2), /node index 2 out of range/);
  t.throws(() => trace.output(0, 1), /node 0 has no output 1/);
});
