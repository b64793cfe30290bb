/**
 * Random integer graphs at opsets 13..21, written by a generator of their own (IrModel literals:
 * not the model builder, not GraphBuilder), using the shape and data-movement ops (Slice, Expand,
 * Concat, Tile, Abs, Neg) next to the arithmetic, lookup and fold ops (MaxPool, ConvInteger):
 * - the validator accepts every one (the generator only builds what the profile promises);
 * - on random and extreme inputs, ONNX Runtime CPU (through the runner) and the reference agree
 *   bit for bit on every node (the trace roots computed from each are equal);
 * - the trace root is the same for 1 and 2 threads and every optimization level;
 * - the Solidity one-step semantics, fed the committed node descriptors, computes the sampled
 *   elements of every node (map ops) and the fold steps (folds) exactly as the reference.
 */
import t from "tap";
import type { Address } from "viem";
import { opCheckerAbi } from "../../../contracts/artifacts/OpChecker.ts";
import {
  opSemanticsHarnessAbi,
  opSemanticsHarnessBytecode,
} from "../../../contracts/artifacts/OpSemanticsHarness.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { DTYPES, type DTypeName, dtypeByCode, numel } from "../../../protocol/dtype.ts";
import { nodeDescriptor } from "../../../prover-trace/commit/model.ts";
import { allocTensorData, encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import type { IrAttr, IrModel, IrNode, IrTensor } from "../../../prover-trace/onnx/ir.ts";
import { loadProfileModel, type ProfileModel } from "../../../prover-trace/profile/validate.ts";
import {
  elementDependencies,
  evalElement,
  foldPaddingOperand,
  foldWitness,
  fromProfileModel,
  isFold,
  readElement,
  runModel,
  type Tensor,
} from "../../../prover-trace/reference/index.ts";
import { commitRun, createRunner, GRAPH_OPTIMIZATION_LEVELS } from "../../../prover-trace/runner/runner.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

/** The harness and the errors of OpSemantics.check, which reverts inside the harness's OpChecker. */
const harnessAbi = [...opSemanticsHarnessAbi, ...opCheckerAbi.filter((x) => x.type === "error")];

// ------------------------------------------------------------------ seeded randomness

let seed = 0x0a11ce;
function rnd(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];

// ------------------------------------------------------------------ the generator

interface Val {
  name: string;
  dtype: DTypeName;
  shape: number[];
}

const code = (d: DTypeName) => DTYPES[d].code;
const ints = (v: number[]): IrAttr => ({ type: "ints", value: v.map(BigInt) });
const i64 = (v: number): IrAttr => ({ type: "int", value: BigInt(v) });

class RandomGraph {
  readonly nodes: IrNode[] = [];
  readonly inits: IrTensor[] = [];
  readonly pool: Val[] = [];
  private n = 0;
  readonly opset: number;
  constructor(opset: number) {
    this.opset = opset;
  }

  private fresh(p: string): string {
    return `${p}${this.n++}`;
  }

  tensor(dtype: DTypeName, shape: number[], values: (number | bigint)[]): string {
    const data = allocTensorData(code(dtype), values.length);
    values.forEach((v, i) => {
      if (data instanceof BigInt64Array) data[i] = BigInt(v);
      else data[i] = Number(v);
    });
    const name = this.fresh("c");
    this.inits.push({ name, dtype: code(dtype), shape, data });
    return name;
  }

  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, IrAttr>,
    dtype: DTypeName,
    shape: number[],
  ): Val {
    const name = this.fresh(opType.toLowerCase());
    this.nodes.push({ name, opType, domain: "", inputs, outputs: [name], attrs });
    const v = { name, dtype, shape };
    this.pool.push(v);
    return v;
  }

  /** Some value of one of the dtypes, cast from another when none is at hand. */
  of(dtypes: DTypeName[], minRank = 0): Val {
    const ok = this.pool.filter((v) => dtypes.includes(v.dtype) && v.shape.length >= minRank);
    if (ok.length > 0 && rnd() < 0.8) return pick(ok);
    const src = pick(this.pool.filter((v) => v.shape.length >= minRank));
    const to = pick(dtypes);
    return this.node("Cast", [src.name], { to: i64(code(to)) }, to, src.shape);
  }

  /** One random profile node on the pool. */
  step(): void {
    const eight = this.opset >= 14; // 8-bit Add/Sub/Mul and integer Relu are opset 14
    const op = pick([
      "Add",
      "Sub",
      "Mul",
      "Max",
      "Div",
      "Clip",
      "Relu",
      "Abs",
      "Neg",
      "Cast",
      "Slice",
      "Expand",
      "Concat",
      "Tile",
      "Pad",
      "Transpose",
      "Flatten",
      "Gather",
      "MatMulInteger",
      "ReduceMax",
      "ArgMax",
      "MaxPool",
      "ConvInteger",
    ]);
    switch (op) {
      case "Add":
      case "Sub":
      case "Mul":
      case "Max": {
        const a = this.of(op === "Max" || eight ? ["int8", "uint8", "int32"] : ["int32"], 1);
        const last = a.shape[a.shape.length - 1];
        const b = this.tensor(
          a.dtype,
          [last],
          Array.from({ length: last }, () => int(-100, 100) * (a.dtype === "uint8" ? 0 : 1) + int(0, 100)),
        );
        this.node(op, rnd() < 0.5 ? [a.name, b] : [b, a.name], {}, a.dtype, a.shape);
        return;
      }
      case "Div": {
        const a = this.of(["int32"]);
        this.node(
          "Div",
          [a.name, this.tensor("int32", [], [pick([2, 3, 7, -5, 256])])],
          {},
          "int32",
          a.shape,
        );
        return;
      }
      case "Clip": {
        const a = this.of(["int8", "int32"]);
        const lo = int(-50, 10);
        this.node(
          "Clip",
          [a.name, this.tensor(a.dtype, [], [lo]), this.tensor(a.dtype, [], [lo + int(0, 90)])],
          {},
          a.dtype,
          a.shape,
        );
        return;
      }
      case "Relu":
      case "Neg": {
        if (op === "Relu" && !eight) return;
        const a = this.of(["int8", "int32"]);
        this.node(op, [a.name], {}, a.dtype, a.shape);
        return;
      }
      case "Abs": {
        const a = this.of(["int8", "uint8", "int32"]);
        this.node("Abs", [a.name], {}, a.dtype, a.shape);
        return;
      }
      case "Cast": {
        const a = pick(this.pool);
        const to = pick<DTypeName>(["int8", "uint8", "int32", "int64"]);
        this.node("Cast", [a.name], { to: i64(code(to)) }, to, a.shape);
        return;
      }
      case "Slice": {
        const a = this.of(["int8", "uint8", "int32", "int64"], 1);
        const axis = int(0, a.shape.length - 1);
        const dim = a.shape[axis];
        const step = pick([1, 2, -1, -2]);
        const start = int(0, dim - 1);
        const len = step > 0 ? Math.floor((dim - 1 - start) / step) + 1 : Math.floor(start / -step) + 1;
        const end = step > 0 ? pick([start + step * (len - 1) + 1, 2 ** 40]) : start + step * len;
        const shape = [...a.shape];
        shape[axis] = len;
        const neg = rnd() < 0.5;
        this.node(
          "Slice",
          [
            a.name,
            this.tensor("int64", [1], [start]),
            this.tensor("int64", [1], [end < 0 ? -(2 ** 40) : end]), // a negative end would count from the end
            this.tensor("int64", [1], [neg ? axis - a.shape.length : axis]),
            this.tensor("int64", [1], [step]),
          ],
          {},
          a.dtype,
          shape,
        );
        return;
      }
      case "Expand": {
        const a = pick(this.pool.filter((v) => numel(v.shape) <= 16));
        if (!a) return;
        const target = a.shape.map((d) => (d === 1 ? int(1, 3) : d));
        const shape = [int(1, 2), ...target];
        this.node("Expand", [a.name, this.tensor("int64", [shape.length], shape)], {}, a.dtype, shape);
        return;
      }
      case "Concat": {
        const a = this.of(["int8", "uint8", "int32", "int64"], 1);
        const axis = int(0, a.shape.length - 1);
        const others = this.pool.filter(
          (v) =>
            v.dtype === a.dtype &&
            v.shape.length === a.shape.length &&
            v.shape.every((d, i) => i === axis || d === a.shape[i]),
        );
        const parts = [a, ...Array.from({ length: int(1, 2) }, () => pick(others))];
        const shape = [...a.shape];
        shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
        this.node(
          "Concat",
          parts.map((p) => p.name),
          { axis: i64(axis - (rnd() < 0.5 ? a.shape.length : 0)) },
          a.dtype,
          shape,
        );
        return;
      }
      case "Tile": {
        const a = pick(this.pool.filter((v) => numel(v.shape) <= 24 && v.shape.length > 0));
        if (!a) return;
        const reps = a.shape.map(() => int(1, 2));
        this.node(
          "Tile",
          [a.name, this.tensor("int64", [reps.length], reps)],
          {},
          a.dtype,
          a.shape.map((d, i) => d * reps[i]),
        );
        return;
      }
      case "Pad": {
        const a = pick(this.pool.filter((v) => v.shape.length > 0 && numel(v.shape) <= 24));
        if (!a) return;
        const r = a.shape.length;
        const pads = [...a.shape.map((d) => int(-d + 1, 2)), ...a.shape.map(() => int(0, 2))];
        const shape = a.shape.map((d, i) => d + pads[i] + pads[i + r]);
        if (shape.some((d) => d < 1)) return;
        const ins = [a.name, this.tensor("int64", [2 * r], pads)];
        if (rnd() < 0.7) ins.push(this.tensor(a.dtype, [], [a.dtype === "uint8" ? 7 : pick([-1, 0, 1, 7])]));
        this.node("Pad", ins, {}, a.dtype, shape);
        return;
      }
      case "Transpose": {
        const a = pick(this.pool.filter((v) => v.shape.length > 1));
        if (!a) return;
        const perm = a.shape.map((_, i) => i).reverse();
        this.node(
          "Transpose",
          [a.name],
          { perm: ints(perm) },
          a.dtype,
          perm.map((p) => a.shape[p]),
        );
        return;
      }
      case "Flatten": {
        const a = pick(this.pool);
        const axis = int(0, a.shape.length);
        const shape = [numel(a.shape.slice(0, axis)), numel(a.shape.slice(axis))];
        this.node("Flatten", [a.name], { axis: i64(axis) }, a.dtype, shape);
        return;
      }
      case "Gather": {
        // A 256-entry table indexed by uint8 values cast to int32: always in range.
        const idx = this.of(["uint8"]);
        const wide = this.node("Cast", [idx.name], { to: i64(code("int32")) }, "int32", idx.shape);
        const table = this.tensor(
          "int8",
          [256],
          Array.from({ length: 256 }, () => int(-128, 127)),
        );
        this.node("Gather", [table, wide.name], { axis: i64(0) }, "int8", idx.shape);
        return;
      }
      case "MatMulInteger": {
        const a = this.of(["int8"], 2);
        const k = a.shape[a.shape.length - 1];
        const n = int(1, 4);
        const w = this.tensor(
          "int8",
          [k, n],
          Array.from({ length: k * n }, () => int(-128, 127)),
        );
        this.node("MatMulInteger", [a.name, w], {}, "int32", [...a.shape.slice(0, -1), n]);
        return;
      }
      case "MaxPool": {
        // Over the axes after the first two, with padding below the kernel, strides, dilations;
        // a configuration with a window of only padding is skipped (the profile refuses it).
        const a = this.of(["int8", "uint8"], 3);
        if (a.shape.length > 5) return;
        const sp = a.shape.slice(2);
        const kernel = sp.map(() => int(1, 3));
        const strides = sp.map(() => int(1, 2));
        const dilations = sp.map(() => int(1, 2));
        const pads = [...kernel.map((k) => int(0, k - 1)), ...kernel.map((k) => int(0, k - 1))];
        const out = sp.map((d, i) => {
          const len =
            Math.floor(
              (d + pads[i] + pads[i + sp.length] - ((kernel[i] - 1) * dilations[i] + 1)) / strides[i],
            ) + 1;
          const taps = Array.from({ length: kernel[i] }, (_, j) => j);
          const hit = (o: number) =>
            taps.some((j) => {
              const p = o * strides[i] - pads[i] + j * dilations[i];
              return p >= 0 && p < d;
            });
          return len >= 1 && Array.from({ length: len }, (_, o) => o).every(hit) ? len : 0;
        });
        if (out.some((d) => d < 1)) return;
        const attrs = {
          kernel_shape: ints(kernel),
          strides: ints(strides),
          dilations: ints(dilations),
          pads: ints(pads),
        };
        this.node("MaxPool", [a.name], attrs, a.dtype, [...a.shape.slice(0, 2), ...out]);
        return;
      }
      case "ConvInteger": {
        // Over the axes after the first two: one group or one per channel, padding below the
        // kernel (filled with the x zero point; a window may lie wholly in it), strides,
        // dilations, zero points of the dtype or none.
        const a = this.of(["int8", "uint8"], 3);
        if (a.shape.length > 5) return;
        const d = DTYPES[a.dtype];
        const val = () => int(Number(d.min), Number(d.max));
        const sp = a.shape.slice(2);
        const C = a.shape[1];
        const group = pick([1, C]);
        const M = group * int(1, 2);
        const kernel = sp.map(() => int(1, 3));
        const strides = sp.map(() => int(1, 2));
        const dilations = sp.map(() => int(1, 2));
        const pads = [...kernel.map((k) => int(0, k - 1)), ...kernel.map((k) => int(0, k - 1))];
        const out = sp.map(
          (n, i) =>
            Math.floor(
              (n + pads[i] + pads[i + sp.length] - ((kernel[i] - 1) * dilations[i] + 1)) / strides[i],
            ) + 1,
        );
        if (out.some((n) => n < 1)) return;
        const wShape = [M, C / group, ...kernel];
        const ins = [a.name, this.tensor(a.dtype, wShape, Array.from({ length: numel(wShape) }, val))];
        if (rnd() < 0.7) ins.push(this.tensor(a.dtype, [], [val()]), this.tensor(a.dtype, [], [val()]));
        const attrs = {
          group: i64(group),
          strides: ints(strides),
          dilations: ints(dilations),
          pads: ints(pads),
        };
        this.node("ConvInteger", ins, attrs, "int32", [a.shape[0], M, ...out]);
        return;
      }
      case "ReduceMax":
      case "ArgMax": {
        const a = this.of(["int8", "uint8", "int32"], 1);
        const axis = int(0, a.shape.length - 1);
        const keep = int(0, 1);
        const shape = keep
          ? a.shape.map((d, i) => (i === axis ? 1 : d))
          : a.shape.filter((_, i) => i !== axis);
        if (op === "ArgMax") {
          this.node(op, [a.name], { axis: i64(axis), keepdims: i64(keep) }, "int64", shape);
        } else if (this.opset >= 18) {
          this.node(op, [a.name, this.tensor("int64", [1], [axis])], { keepdims: i64(keep) }, a.dtype, shape);
        } else {
          this.node(op, [a.name], { axes: ints([axis]), keepdims: i64(keep) }, a.dtype, shape);
        }
        return;
      }
    }
  }

  model(input: Val): IrModel {
    const last = this.nodes[this.nodes.length - 1];
    const out = this.pool.find((v) => v.name === last.outputs[0])!;
    return {
      irVersion: pick([8, 9, 10]),
      producerName: "random-graphs",
      opsetImports: [{ domain: "", version: this.opset }],
      graph: {
        name: "random",
        inputs: [{ name: input.name, dtype: code(input.dtype), shape: input.shape }],
        outputs: [{ name: out.name, dtype: code(out.dtype), shape: out.shape }],
        initializers: this.inits,
        nodes: this.nodes,
        valueInfo: [],
      },
    };
  }
}

function randomModel(opset: number): IrModel {
  const g = new RandomGraph(opset);
  const input: Val = {
    name: "x",
    dtype: pick<DTypeName>(["int8", "uint8", "int32"]),
    shape: [int(1, 3), int(2, 4), int(2, 3)],
  };
  g.pool.push(input);
  const count = int(10, 16);
  while (g.nodes.length < count) g.step();
  return g.model(input);
}

// ------------------------------------------------------------------ inputs

type Mode = "random" | "min" | "max" | "alternate";
function inputOf(pm: ProfileModel, mode: Mode): Tensor {
  const v = pm.inputs[0];
  const d = dtypeByCode(v.dtype);
  const n = numel(v.shape);
  const data = allocTensorData(v.dtype, n);
  for (let i = 0; i < n; i++) {
    const x =
      mode === "min"
        ? d.min
        : mode === "max"
          ? d.max
          : mode === "alternate"
            ? i % 2 === 0
              ? d.min
              : d.max
            : d.min + ((BigInt(int(0, 2 ** 30)) * BigInt(int(0, 2 ** 30))) % (d.max - d.min + 1n));
    if (data instanceof BigInt64Array) data[i] = x;
    else data[i] = Number(x);
  }
  return { dtype: v.dtype, shape: [...v.shape], data } as Tensor;
}

// ------------------------------------------------------------------ the chain

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

const GRAPHS = 9;

t.test(`${GRAPHS} random graphs, opsets 13..21: validator, ORT, reference and EVM agree`, async (t) => {
  let evmElements = 0;
  let evmSteps = 0;
  const seenOps = new Set<string>();
  for (let gi = 0; gi < GRAPHS; gi++) {
    const opset = 13 + gi; // one graph per opset 13..21
    const ir = randomModel(opset);
    const bytes = encodeOnnx(ir);
    let pm: ProfileModel;
    try {
      pm = loadProfileModel(bytes);
    } catch (e) {
      t.fail(`graph ${gi} (opset ${opset}) refused: ${(e as Error).message}`);
      continue;
    }
    const label = `graph ${gi} opset ${opset} (${pm.nodes.map((n) => n.onnxOp).join(" ")})`;
    const ref = fromProfileModel(pm);
    for (const n of pm.nodes) seenOps.add(n.onnxOp);

    // ORT == reference on every node: the trace roots from each side are equal.
    const runner = await createRunner(bytes);
    const roots: string[] = [];
    for (const mode of ["random", "min", "max", "alternate"] as Mode[]) {
      const x = inputOf(pm, mode);
      const run = await runner.runTraced([x]);
      const want = runModel(pm, [x]);
      const mismatched = pm.nodes.filter((_, i) => {
        const a = Buffer.from(
          run.nodeOutputs[i][0].data.buffer,
          run.nodeOutputs[i][0].data.byteOffset,
          run.nodeOutputs[i][0].data.byteLength,
        );
        const b = Buffer.from(
          want.nodeOutputs[i][0].data.buffer,
          want.nodeOutputs[i][0].data.byteOffset,
          want.nodeOutputs[i][0].data.byteLength,
        );
        return !a.equals(b);
      });
      t.same(
        mismatched.map((n) => `${n.index} ${n.onnxOp}`),
        [],
        `${label} ${mode}: ORT == reference on every node`,
      );
      t.equal(
        toHex(run.traceRoot),
        toHex(commitRun(pm, [x], want.nodeOutputs).traceRoot),
        `${label} ${mode}: trace roots`,
      );
      roots.push(toHex(run.traceRoot));

      // EVM one-step on every node, from the committed descriptor (map ops) or the op (folds).
      if (mode !== "random" && mode !== "alternate") continue;
      const tensorOfRef = (r: { kind: number; index: number; slot: number }): Tensor =>
        r.kind === 0 ? x : r.kind === 1 ? ref.initializers[r.index] : want.nodeOutputs[r.index][r.slot];
      for (const [i, node] of ref.nodes.entries()) {
        const ins = node.inputs.map(tensorOfRef);
        const read = (slot: number, flat: number) => readElement(ins[slot], flat);
        const n = numel(node.outputs[0].shape);
        const es = [0, n - 1, int(0, n - 1)];
        const types = node.inputTypes.map((ty) => ({ dtype: ty.dtype, shape: ty.shape }));
        if (isFold(node)) {
          const op = {
            opCode: pm.nodes[i].opCode,
            attrs: toHex(pm.nodes[i].attrBytes),
            inputs: types,
            output: { dtype: node.outputs[0].dtype, shape: node.outputs[0].shape },
          };
          for (const e of es) {
            const w = foldWitness(node, e, read);
            const k = w.steps.length;
            const rs = w.steps[k - 1];
            const [, next] = await call("foldStepAt", [
              op,
              BigInt(e),
              BigInt(k),
              w.states[k - 1],
              // a MaxPool step in the padding reads nothing: the dtype minimum stands in
              rs[0] ? read(rs[0].input, rs[0].index) : foldPaddingOperand(node),
              rs[1] ? read(rs[1].input, rs[1].index) : 0n,
            ]);
            t.equal(next, w.states[k], `${label} node ${i} ${node.op} [${e}] last fold step`);
            t.equal(await call("foldResult", [op, next]), readElement(want.nodeOutputs[i][0], e));
            evmSteps++;
          }
          continue;
        }
        const descriptor = toHex(nodeDescriptor(pm, i));
        for (const e of es) {
          const deps = elementDependencies(node, e, read);
          if (deps.kind !== "map") throw new Error("unreachable");
          const values = deps.reads.map((r) => read(r.input, r.index));
          const [reads, out] = await call("evalNodeElement", [descriptor, types, BigInt(e), values]);
          t.same(
            reads.map((r: { slot: bigint; index: bigint }) => ({
              input: Number(r.slot),
              index: Number(r.index),
            })),
            deps.reads,
            `${label} node ${i} ${node.op} [${e}] reads`,
          );
          t.equal(out, evalElement(node, e, read), `${label} node ${i} ${node.op} [${e}]`);
          t.equal(
            out,
            readElement(want.nodeOutputs[i][0], e),
            `${label} node ${i} ${node.op} [${e}] = ORT's`,
          );
          evmElements++;
        }
      }
    }
    await runner.dispose();

    // Same trace root for 1 and 2 threads and every optimization level.
    const x = inputOf(pm, "alternate");
    for (const threads of [1, 2])
      for (const level of GRAPH_OPTIMIZATION_LEVELS) {
        const r = await createRunner(bytes, { intraOpThreads: threads, graphOptimizationLevel: level });
        t.equal(
          toHex((await r.runTraced([x])).traceRoot),
          roots[3],
          `${label}: ${threads} thread(s), ${level}`,
        );
        await r.dispose();
      }
  }
  t.comment(`${evmElements} map elements and ${evmSteps} fold steps checked on the EVM`);
  t.ok(evmElements > 100 && evmSteps > 5, "the EVM saw enough of every graph");
  for (const op of [
    "Slice",
    "Expand",
    "Concat",
    "Tile",
    "Pad",
    "Abs",
    "Neg",
    "Gather",
    "MatMulInteger",
    "ReduceMax",
    "ArgMax",
    "MaxPool",
    "ConvInteger",
  ])
    t.ok(seenOps.has(op), `the graphs use ${op}`);
});
