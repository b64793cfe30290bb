/**
 * Differential test of contracts/src/lib/OpSemantics.sol against the TypeScript reference
 * interpreter (prover-trace/reference: elementDependencies, evalElement, foldWitness) on random
 * ops: random ranks, broadcasting patterns, permutations, Gather axes and index ranks, batched
 * MatMulInteger with rank-2 or batched B, reductions over every axis with and without keepdims,
 * random values including the dtype extremes. Every sampled element's reads and output, and every
 * step of every sampled fold chain, must agree; an element the reference faults on must revert.
 */
import t from "tap";
import type { Address } from "viem";
import { opCheckerAbi } from "../../../contracts/artifacts/OpChecker.ts";
import {
  opSemanticsHarnessAbi,
  opSemanticsHarnessBytecode,
} from "../../../contracts/artifacts/OpSemanticsHarness.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { DTYPES, type DTypeCode, dtypeByCode, numel } from "../../../protocol/dtype.ts";
import { OpCode, type OpName } from "../../../prover-trace/profile/opcodes.ts";
import { attrBytes, type InferredNode } from "../../../prover-trace/profile/ops.ts";
import {
  type ElementNode,
  elementDependencies,
  elementNode,
  evalElement,
  foldPaddingOperand,
  foldWitness,
  isFold,
  type NodeAttrs,
  ReferenceFault,
} from "../../../prover-trace/reference/index.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

/** The harness and the errors of OpSemantics.check, which reverts inside the harness's OpChecker. */
const harnessAbi = [...opSemanticsHarnessAbi, ...opCheckerAbi.filter((x) => x.type === "error")];

const backend = await embeddedBackend();
const clients = backend.clients(0);
const pub = clients.publicClient;
const deployHash = await clients.walletClient!.deployContract({
  abi: harnessAbi,
  bytecode: opSemanticsHarnessBytecode,
});
const harness = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;
t.teardown(() => backend.close());

// biome-ignore lint/suspicious/noExplicitAny: thin wrapper; every result is compared with the reference
function call(functionName: string, args: readonly unknown[]): Promise<any> {
  return pub.readContract({ address: harness, abi: harnessAbi, functionName, args } as never);
}

// ------------------------------------------------------------------ seeded randomness

let seed = 0x5eed1234;
function rnd(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
const shapeOf = (rank: number, maxDim = 4) => Array.from({ length: rank }, () => int(1, maxDim));

/** A random value of the dtype, the extremes and small values being likely. */
function value(dtype: DTypeCode): bigint {
  const d = dtypeByCode(dtype);
  const r = rnd();
  if (r < 0.15) return d.min;
  if (r < 0.3) return d.max;
  if (r < 0.5) {
    const v = BigInt(int(-3, 3));
    return v < d.min ? d.min : v;
  }
  const span = d.max - d.min + 1n;
  const hi = BigInt(int(0, 2 ** 30)) * BigInt(int(0, 2 ** 30)) * BigInt(int(0, 2 ** 30));
  return d.min + (hi % span);
}

// ------------------------------------------------------------------ random ops

interface Case {
  op: OpName;
  inputs: { dtype: DTypeCode; shape: number[] }[];
  attrs: NodeAttrs;
  /** input data per slot, as bigint */
  data: bigint[][];
}

const ARITH: DTypeCode[] = [DTYPES.int8.code, DTYPES.uint8.code, DTYPES.int32.code];
const ANY: DTypeCode[] = [...ARITH, DTYPES.int64.code];

/** Operand shapes that broadcast to `out`: a right-aligned suffix, some dims set to 1. */
function broadcastOperand(out: number[]): number[] {
  const drop = int(0, out.length);
  return out.slice(drop).map((d) => (rnd() < 0.3 ? 1 : d));
}

function randomCase(op: OpName): Case {
  let inputs: Case["inputs"];
  let attrs: NodeAttrs = {};
  switch (op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Max":
    case "Min": {
      const dtype = op === "Div" ? DTYPES.int32.code : pick(op === "Max" || op === "Min" ? ARITH : ANY);
      const out = shapeOf(int(0, 4), 3);
      const n = op === "Max" || op === "Min" ? int(1, 3) : 2;
      inputs = Array.from({ length: n }, () => ({ dtype, shape: broadcastOperand(out) }));
      inputs[int(0, n - 1)].shape = [...out]; // one operand fixes the output shape
      break;
    }
    case "Clip": {
      const dtype = pick(ARITH);
      inputs = [{ dtype, shape: shapeOf(int(0, 3)) }];
      attrs = { min: value(dtype), max: value(dtype) };
      break;
    }
    case "Relu":
      inputs = [{ dtype: pick([DTYPES.int8.code, DTYPES.int32.code]), shape: shapeOf(int(0, 3)) }];
      break;
    case "Pad": {
      const x = shapeOf(int(0, 4), 3);
      const dtype = pick(ANY);
      const shape = x.map((d) => int(1, d + 3));
      inputs = [{ dtype, shape: x }];
      attrs = { shape, begins: x.map((d, i) => int(-d, shape[i])), value: value(dtype) };
      break;
    }
    case "Tile": {
      const x = shapeOf(int(0, 4), 3);
      inputs = [{ dtype: pick(ANY), shape: x }];
      attrs = { shape: x.map((d) => d * int(1, 3)) };
      break;
    }
    case "Concat": {
      const base = shapeOf(int(1, 4));
      const axis = int(0, base.length - 1);
      const dtype = pick(ANY);
      inputs = Array.from({ length: int(1, 4) }, () => ({
        dtype,
        shape: base.map((d, i) => (i === axis ? int(1, 3) : d)),
      }));
      attrs = { axis };
      break;
    }
    case "Abs":
    case "Neg":
      inputs = [{ dtype: pick(ANY), shape: shapeOf(int(0, 3)) }];
      break;
    case "Cast":
      inputs = [{ dtype: pick(ANY), shape: shapeOf(int(0, 3)) }];
      attrs = { to: pick(ANY) };
      break;
    case "Reshape": {
      const shape = shapeOf(int(1, 4));
      const n = numel(shape);
      const target = n % 2 === 0 ? [2, n / 2] : [n, 1, 1];
      inputs = [{ dtype: pick(ANY), shape }];
      attrs = { shape: rnd() < 0.5 ? target : [n] };
      break;
    }
    case "Transpose": {
      const r = int(1, 5);
      inputs = [{ dtype: pick(ANY), shape: shapeOf(r, 3) }];
      const perm = Array.from({ length: r }, (_, i) => i);
      for (let i = r - 1; i > 0; i--) {
        const j = int(0, i);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      attrs = { perm };
      break;
    }
    case "Gather": {
      const data = shapeOf(int(1, 3));
      inputs = [
        { dtype: pick(ANY), shape: data },
        { dtype: pick([DTYPES.int32.code, DTYPES.int64.code]), shape: shapeOf(int(0, 2), 3) },
      ];
      attrs = { axis: int(0, data.length - 1) };
      break;
    }
    case "MatMulInteger": {
      const dtype = pick([DTYPES.int8.code, DTYPES.uint8.code]);
      const ra = int(2, 4);
      const a = shapeOf(ra);
      const K = int(1, 6);
      a[ra - 1] = K;
      const N = int(1, 4);
      const b = rnd() < 0.5 ? [K, N] : [...a.slice(0, ra - 2), K, N];
      inputs = [
        { dtype, shape: a },
        { dtype, shape: b },
      ];
      attrs = { aZeroPoint: value(dtype), bZeroPoint: value(dtype) };
      break;
    }
    case "Slice": {
      // A random strided window (negative steps too), or an Expand-like broadcast with leading
      // axes and step 0 on dims of 1.
      const x = shapeOf(int(1, 4), 5);
      const off = rnd() < 0.3 ? int(1, 2) : 0;
      const shape: number[] = [];
      const starts: number[] = [];
      const steps: number[] = [];
      for (let d = 0; d < off; d++) {
        shape.push(int(1, 3));
        starts.push(0);
        steps.push(0);
      }
      for (const dim of x) {
        if (off > 0 && dim === 1) {
          shape.push(int(1, 3));
          starts.push(0);
          steps.push(0);
          continue;
        }
        const step = pick([1, 1, 2, 3, -1, -2]);
        const start = int(0, dim - 1);
        const room = step > 0 ? Math.floor((dim - 1 - start) / step) : Math.floor(start / -step);
        shape.push(int(1, room + 1));
        starts.push(start);
        steps.push(step);
      }
      inputs = [{ dtype: pick(ANY), shape: x }];
      attrs = { shape, starts, steps };
      break;
    }
    case "ConvInteger": {
      // [N, C] and 1 or 2 spatial axes, groups, padding (terms that read nothing), zero points.
      const sp = int(1, 2);
      const group = int(1, 2);
      const Cg = int(1, 2);
      const M = group * int(1, 2);
      const kernel = Array.from({ length: sp }, () => int(1, 3));
      const strides = kernel.map(() => int(1, 2));
      const dilations = kernel.map(() => int(1, 2));
      const begins = kernel.map((k) => int(0, k - 1));
      const dtype = pick([DTYPES.int8.code, DTYPES.uint8.code]);
      const x = [int(1, 2), group * Cg, ...kernel.map((k, i) => (k - 1) * dilations[i] + int(1, 3))];
      const shape = [
        x[0],
        M,
        ...kernel.map((k, i) => {
          const pe = int(0, k - 1);
          return Math.floor((x[2 + i] + begins[i] + pe - ((k - 1) * dilations[i] + 1)) / strides[i]) + 1;
        }),
      ];
      inputs = [
        { dtype, shape: x },
        { dtype, shape: [M, Cg, ...kernel] },
      ];
      attrs = {
        aZeroPoint: value(dtype),
        bZeroPoint: value(dtype),
        group,
        strides,
        dilations,
        begins,
        shape,
      };
      break;
    }
    case "MaxPool": {
      // [N, C] and 1 or 2 spatial axes; padding on either side, strides, dilations.
      const sp = int(1, 2);
      const kernel = Array.from({ length: sp }, () => int(1, 3));
      const strides = kernel.map(() => int(1, 2));
      const dilations = kernel.map(() => int(1, 2));
      const begins = kernel.map((k) => int(0, k - 1));
      const x = [int(1, 2), int(1, 2), ...kernel.map((k, i) => (k - 1) * dilations[i] + int(1, 4))];
      const shape = [
        x[0],
        x[1],
        ...kernel.map((k, i) => {
          const pe = int(0, k - 1);
          return Math.floor((x[2 + i] + begins[i] + pe - ((k - 1) * dilations[i] + 1)) / strides[i]) + 1;
        }),
      ];
      inputs = [{ dtype: pick([DTYPES.int8.code, DTYPES.uint8.code]), shape: x }];
      attrs = { kernel, strides, dilations, begins, shape };
      break;
    }
    case "ReduceMax":
    case "ArgMax": {
      const shape = shapeOf(int(1, 4));
      inputs = [{ dtype: pick(ARITH), shape }];
      attrs = { axis: int(0, shape.length - 1), keepdims: rnd() < 0.5 };
      break;
    }
  }
  const data = inputs.map((x, slot) => {
    const n = numel(x.shape);
    if (op === "Gather" && slot === 1) {
      // mostly in range, both signs; rarely out of range (a fault both sides must agree on)
      const dim = inputs[0].shape[attrs.axis as number];
      return Array.from({ length: n }, () =>
        BigInt(rnd() < 0.05 ? pick([dim, -dim - 1]) : int(-dim, dim - 1)),
      );
    }
    return Array.from({ length: n }, () => value(x.dtype));
  });
  return { op, inputs, attrs, data };
}

function opArg(node: ElementNode) {
  return {
    opCode: OpCode[node.op],
    attrs: toHex(attrBytes({ op: node.op, attrs: node.attrs } as Pick<InferredNode, "op" | "attrs">)),
    inputs: node.inputTypes.map((x) => ({ dtype: x.dtype, shape: x.shape })),
    output: { dtype: node.outputs[0].dtype, shape: node.outputs[0].shape },
  };
}

const readsOf = (rs: readonly { slot: bigint; index: bigint }[]) =>
  rs.map((r) => ({ input: Number(r.slot), index: Number(r.index) }));

function sample(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const s = new Set<number>([0, n - 1]);
  while (s.size < max) s.add(int(0, n - 1));
  return [...s].sort((a, b) => a - b);
}

const OPS = Object.keys(OpCode) as OpName[];
const ROUNDS = 7;

t.test(
  "random ops: Solidity agrees with the reference on reads, outputs, fold steps and faults",
  async (t) => {
    let elements = 0;
    let steps = 0;
    let faults = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of OPS) {
        const c = randomCase(name);
        const node = elementNode(c.op, c.inputs, c.attrs);
        const read = (slot: number, i: number) => c.data[slot][i];
        const op = opArg(node);
        const label = `${c.op} ${c.inputs.map((x) => `${dtypeByCode(x.dtype).name}[${x.shape}]`).join(" ")} ${op.attrs}`;
        const n = numel(node.outputs[0].shape);
        if (isFold(node)) {
          const calls: { e: bigint; k: bigint; sPrev: bigint; a: bigint; b: bigint }[] = [];
          const expected: { reads: { input: number; index: number }[]; after: bigint }[] = [];
          for (const e of sample(n, 4)) {
            const w = foldWitness(node, e, read);
            w.steps.forEach((rs, i) => {
              calls.push({
                e: BigInt(e),
                k: BigInt(i + 1),
                sPrev: w.states[i],
                // a MaxPool step in the padding reads nothing: the dtype minimum stands in
                a: rs[0] ? read(rs[0].input, rs[0].index) : foldPaddingOperand(node),
                b: rs[1] ? read(rs[1].input, rs[1].index) : 0n,
              });
              expected.push({ reads: rs, after: w.states[i + 1] });
            });
            t.equal(
              await call("foldResult", [op, w.states[w.states.length - 1]]),
              w.output,
              `${label} [${e}]`,
            );
          }
          const [reads, next] = await call("foldStepsAt", [op, calls]);
          expected.forEach((x, i) => {
            t.same(readsOf(reads[i]), x.reads, `${label} step ${calls[i].k} reads`);
            t.equal(next[i], x.after, `${label} [${calls[i].e}] step ${calls[i].k}`);
          });
          steps += calls.length;
          continue;
        }
        const es: bigint[] = [];
        const values: bigint[][] = [];
        const expected: { reads: { input: number; index: number }[]; out: bigint }[] = [];
        for (const e of sample(n, 24)) {
          let deps: ReturnType<typeof elementDependencies>;
          let out: bigint;
          try {
            deps = elementDependencies(node, e, read);
            out = evalElement(node, e, read);
          } catch (err) {
            if (!(err instanceof ReferenceFault)) throw err;
            // the contract must refuse the same element (Gather: the index read alone is known)
            const first = elementDependencies(node, e, c.op === "Gather" ? () => 0n : read);
            if (first.kind !== "map") throw new Error("unreachable");
            const vals =
              c.op === "Gather"
                ? [read(1, first.reads[0].index), 0n]
                : first.reads.map((r) => read(r.input, r.index));
            await t.rejects(
              call("evalElement", [op, BigInt(e), vals]),
              /DivisionByZero|DivOverflow|GatherIndexOutOfRange/,
              `${label} [${e}] faults: ${(err as Error).message}`,
            );
            faults++;
            continue;
          }
          if (deps.kind !== "map") throw new Error("unreachable");
          es.push(BigInt(e));
          values.push(deps.reads.map((r) => read(r.input, r.index)));
          expected.push({ reads: deps.reads, out });
        }
        if (es.length === 0) continue;
        const [reads, outs] = await call("evalElements", [op, es, values]);
        expected.forEach((x, i) => {
          t.same(readsOf(reads[i]), x.reads, `${label} [${es[i]}] reads`);
          t.equal(outs[i], x.out, `${label} [${es[i]}]`);
        });
        elements += es.length;
      }
    }
    t.ok(elements > 500, `${elements} map elements compared`);
    t.ok(steps > 100, `${steps} fold steps compared`);
    t.comment(`${elements} elements, ${steps} fold steps, ${faults} faults`);
  },
);
