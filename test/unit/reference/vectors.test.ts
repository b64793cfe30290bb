/**
 * test/vectors/ops.json carries everything a one-step verifier needs: replaying each vector from
 * the JSON alone (types, attributes, the listed reads) reproduces its output and every fold step,
 * and asking for an element the vector does not list fails.
 */
import { readFileSync } from "node:fs";
import t from "tap";
import type { DTypeCode } from "../../../protocol/dtype.ts";
import type { OpName } from "../../../prover-trace/profile/opcodes.ts";
import {
  elementNode,
  evalElement,
  foldInitial,
  foldPaddingOperand,
  foldResult,
  foldStep,
  type NodeAttrs,
} from "../../../prover-trace/reference/index.ts";

interface Read {
  input: number;
  index: number;
  value: string;
}
interface Header {
  name: string;
  op: OpName;
  inputs: { dtype: DTypeCode; shape: number[] }[];
  attrs: Record<string, string | number | boolean | number[]>;
}
const file = JSON.parse(readFileSync(new URL("../../vectors/ops.json", import.meta.url), "utf8")) as {
  ops: (Header & { elements: { outputIndex: number; reads: Read[]; output: string }[] })[];
  folds: (Header & {
    chains: {
      outputIndex: number;
      states: string[];
      steps: { k: number; reads: Read[]; before: string; after: string }[];
      output: string;
    }[];
  })[];
  foldSteps: (Header & { k: number; before: string; a: string; b?: string; after: string })[];
};

const BIG = new Set(["min", "max", "aZeroPoint", "bZeroPoint"]);
function attrsOf(h: Header): NodeAttrs {
  const a: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h.attrs)) a[k] = BIG.has(k) ? BigInt(v as string) : v;
  return a as NodeAttrs;
}

function readerOf(reads: Read[]) {
  return (input: number, index: number): bigint => {
    const r = reads.find((x) => x.input === input && x.index === index);
    if (!r) throw new Error(`read ${input}[${index}] is not in the vector`);
    return BigInt(r.value);
  };
}

t.test("map-op vectors replay from their reads", async (t) => {
  let n = 0;
  for (const v of file.ops) {
    const node = elementNode(v.op, v.inputs, attrsOf(v));
    for (const e of v.elements) {
      t.equal(
        evalElement(node, e.outputIndex, readerOf(e.reads)).toString(),
        e.output,
        `${v.name} [${e.outputIndex}]`,
      );
      n++;
    }
  }
  t.ok(n > 500, `${n} elements`);
});

t.test("fold chains replay step by step from constant s_0", async (t) => {
  for (const v of file.folds) {
    const node = elementNode(v.op, v.inputs, attrsOf(v));
    for (const c of v.chains) {
      t.equal(c.states[0], foldInitial(node).toString(), `${v.name} [${c.outputIndex}] s_0`);
      let s = foldInitial(node);
      for (const st of c.steps) {
        const read = readerOf(st.reads);
        const [ra, rb] = st.reads;
        t.equal(st.before, s.toString());
        // a MaxPool step in the padding reads nothing: the dtype minimum
        const a = ra ? read(ra.input, ra.index) : foldPaddingOperand(node);
        s = foldStep(node, st.k, s, a, rb ? read(rb.input, rb.index) : ra ? undefined : 0n);
        t.equal(s.toString(), st.after, `${v.name} [${c.outputIndex}] step ${st.k}`);
      }
      t.equal(foldResult(node, s).toString(), c.output);
      t.equal(
        evalElement(node, c.outputIndex, readerOf(c.steps.flatMap((x) => x.reads))).toString(),
        c.output,
      );
    }
  }
});

t.test("edge fold steps replay", async (t) => {
  for (const v of file.foldSteps) {
    const node = elementNode(v.op, v.inputs, attrsOf(v));
    const after = foldStep(
      node,
      v.k,
      BigInt(v.before),
      BigInt(v.a),
      v.b === undefined ? undefined : BigInt(v.b),
    );
    t.equal(after.toString(), v.after, v.name);
  }
});

t.test("a read the vector does not list is refused", async (t) => {
  const v = file.ops[0];
  const node = elementNode(v.op, v.inputs, attrsOf(v));
  t.throws(
    () => evalElement(node, v.elements[0].outputIndex, readerOf(v.elements[1].reads)),
    /is not in the vector/,
  );
});
