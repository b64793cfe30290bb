/**
 * contracts/src/lib/{NodeDescriptor,OpSemantics}.sol against the TypeScript reference: every
 * vector of test/vectors/ops.json (each element's reads and output, every fold chain step, every
 * edge step) and every descriptor of test/vectors/model.json through a harness contract on the
 * embedded chain, plus hostile descriptors, ops and values, each with its named error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import { opCheckerAbi } from "../../../contracts/artifacts/OpChecker.ts";
import {
  opSemanticsHarnessAbi,
  opSemanticsHarnessBytecode,
} from "../../../contracts/artifacts/OpSemanticsHarness.ts";
import { concatBytes, fromHex, toHex, u8 } from "../../../protocol/bytes.ts";
import { dtypeByCode } from "../../../protocol/dtype.ts";
import { merkleRoot } from "../../../protocol/merkle.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { encodeDescriptor } from "../../../prover-trace/commit/model.ts";
import { OpCode } from "../../../prover-trace/profile/opcodes.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

/** The harness and the errors of OpSemantics.check, which reverts inside the harness's OpChecker. */
const harnessAbi = [...opSemanticsHarnessAbi, ...opCheckerAbi.filter((x) => x.type === "error")];

/**
 * The operand of a fold step in the padding (no read): ConvInteger's x zero point (its first
 * attribute, i64), every other fold's the input dtype's minimum.
 */
function paddingOperand(v: { opCode: number; inputs: { dtype: number }[]; attrBytes: Hex }): bigint {
  if (v.opCode === OpCode.ConvInteger) return BigInt.asIntN(64, BigInt(`0x${v.attrBytes.slice(2, 18)}`));
  return dtypeByCode(v.inputs[0].dtype).min;
}

interface Desc {
  dtype: number;
  shape: number[];
}
interface VRead {
  input: number;
  index: number;
  value: string;
}
interface OpCase {
  name: string;
  opCode: number;
  inputs: Desc[];
  output: Desc;
  attrBytes: Hex;
}
interface MapVector extends OpCase {
  elements: { outputIndex: number; reads: VRead[]; output: string }[];
}
interface FoldVector extends OpCase {
  chains: {
    outputIndex: number;
    states: string[];
    steps: { k: number; reads: VRead[]; before: string; after: string }[];
    output: string;
  }[];
}
interface FoldStepVector extends OpCase {
  k: number;
  before: string;
  a: string;
  b?: string;
  after: string;
}
interface OpsVectors {
  ops: MapVector[];
  folds: FoldVector[];
  foldSteps: FoldStepVector[];
}
interface ModelVectors {
  descriptors: {
    name: string;
    opCode: number;
    inputs: { kind: number; index: number; slot: number }[];
    output: Desc;
    attrBytes: Hex;
    descriptor: Hex;
    leaf: Hex;
  }[];
  model: { descriptors: Hex[]; graphRoot: Hex; nodeCount: number };
}

const vectorDir = join(import.meta.dirname, "../../vectors");
const ops = JSON.parse(readFileSync(join(vectorDir, "ops.json"), "utf8")) as OpsVectors;
const model = JSON.parse(readFileSync(join(vectorDir, "model.json"), "utf8")) as ModelVectors;

const backend = await embeddedBackend();
const clients = backend.clients(0);
const pub = clients.publicClient;
const deployHash = await clients.walletClient!.deployContract({
  abi: harnessAbi,
  bytecode: opSemanticsHarnessBytecode,
});
const harness = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;
t.teardown(() => backend.close());

type HarnessFn = (typeof opSemanticsHarnessAbi)[number] extends infer X
  ? X extends { type: "function"; name: infer N }
    ? N
    : never
  : never;

// biome-ignore lint/suspicious/noExplicitAny: thin wrapper; every call site is checked against the vectors
function call(functionName: HarnessFn, args: readonly unknown[]): Promise<any> {
  return pub.readContract({ address: harness, abi: harnessAbi, functionName, args } as never);
}

interface OpArg {
  opCode: number;
  attrs: Hex;
  inputs: Desc[];
  output: Desc;
}
const opArg = (c: OpCase): OpArg => ({
  opCode: c.opCode,
  attrs: c.attrBytes,
  inputs: c.inputs,
  output: c.output,
});
const readsOf = (rs: readonly { slot: bigint; index: bigint }[]) =>
  rs.map((r) => ({ input: Number(r.slot), index: Number(r.index) }));
const expectReads = (rs: VRead[]) => rs.map((r) => ({ input: r.input, index: r.index }));

t.test("ops.json map ops: every element's reads and output", async (t) => {
  t.ok(ops.ops.length >= 40, "vectors present");
  const seen = new Set<number>();
  for (const v of ops.ops) {
    seen.add(v.opCode);
    const [reads, outs] = await call("evalElements", [
      opArg(v),
      v.elements.map((el) => BigInt(el.outputIndex)),
      v.elements.map((el) => el.reads.map((r) => BigInt(r.value))),
    ]);
    v.elements.forEach((el, i) => {
      t.same(readsOf(reads[i]), expectReads(el.reads), `${v.name} [${el.outputIndex}] reads`);
      t.equal(outs[i], BigInt(el.output), `${v.name} [${el.outputIndex}] = ${el.output}`);
    });
  }
  t.same(
    [...seen].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20, 21],
    "every map op code covered",
  );
});

t.test("ops.json folds: length, s_0, every step's reads and state, result", async (t) => {
  const seen = new Set<number>();
  for (const v of ops.folds) {
    seen.add(v.opCode);
    const op = opArg(v);
    const [len, initial] = await call("foldInfo", [op]);
    for (const ch of v.chains) {
      const K = ch.steps.length;
      t.equal(len, BigInt(K), `${v.name} [${ch.outputIndex}] K`);
      t.equal(initial, BigInt(ch.states[0]), `${v.name} s_0`);
      const [reads, next] = await call("foldStepsAt", [
        op,
        ch.steps.map((s) => ({
          e: BigInt(ch.outputIndex),
          k: BigInt(s.k),
          sPrev: BigInt(s.before),
          // a MaxPool step in the padding reads nothing: the dtype minimum stands in
          a: s.reads[0] ? BigInt(s.reads[0].value) : paddingOperand(v),
          b: s.reads[1] ? BigInt(s.reads[1].value) : 0n,
        })),
      ]);
      ch.steps.forEach((s, i) => {
        t.same(readsOf(reads[i]), expectReads(s.reads), `${v.name} [${ch.outputIndex}] step ${s.k} reads`);
        t.equal(next[i], BigInt(s.after), `${v.name} [${ch.outputIndex}] step ${s.k}`);
        t.equal(s.before, ch.states[s.k - 1], "the chain is a chain");
      });
      t.equal(await call("foldResult", [op, BigInt(ch.states[K])]), BigInt(ch.output), `${v.name} output`);
    }
  }
  t.same(
    [...seen].sort((a, b) => a - b),
    [13, 14, 15, 22, 23],
    "every fold op covered",
  );
});

t.test("ops.json edge fold steps", async (t) => {
  t.ok(ops.foldSteps.length >= 8);
  for (const v of ops.foldSteps) {
    const got = await call("foldStep", [
      opArg(v),
      BigInt(v.k),
      BigInt(v.before),
      BigInt(v.a),
      BigInt(v.b ?? "0"),
    ]);
    t.equal(got, BigInt(v.after), v.name);
  }
});

t.test("model.json descriptors decode to their parts and hash to their leaves", async (t) => {
  t.ok(model.descriptors.length >= 25);
  for (const d of model.descriptors) {
    const [opCode, inputs, outputs, attrs, leaf] = await call("decode", [d.descriptor]);
    t.equal(opCode, d.opCode, `${d.name} op code`);
    t.same(
      inputs.map((r: { kind: number; index: number; slot: number }) => ({
        kind: r.kind,
        index: r.index,
        slot: r.slot,
      })),
      d.inputs,
      `${d.name} inputs`,
    );
    t.same(
      outputs.map((o: { dtype: number; shape: readonly number[] }) => ({
        dtype: o.dtype,
        shape: [...o.shape],
      })),
      [d.output],
      `${d.name} output`,
    );
    t.equal(attrs, d.attrBytes, `${d.name} attribute bytes`);
    t.equal(leaf, d.leaf, `${d.name} leaf`);
    t.equal(leaf, toHex(sha256(fromHex(d.descriptor))));
  }
  const leaves: Uint8Array[] = [];
  for (const d of model.model.descriptors) {
    const [, , , , leaf] = await call("decode", [d]);
    leaves.push(fromHex(leaf));
  }
  t.equal(leaves.length, model.model.nodeCount);
  t.equal(toHex(merkleRoot(leaves)), model.model.graphRoot, "the model's descriptors hash to its graph root");
});

t.test("decoded descriptors drive the semantics: first element of every map vector", async (t) => {
  for (const v of ops.ops) {
    const descriptor = encodeDescriptor({
      opCode: v.opCode,
      inputs: v.inputs.map((_, i) => ({ kind: 0, index: i, slot: 0 })),
      outputs: [v.output],
      attrBytes: fromHex(v.attrBytes),
    });
    const el = v.elements[0];
    const [reads, out] = await call("evalNodeElement", [
      toHex(descriptor),
      v.inputs,
      BigInt(el.outputIndex),
      el.reads.map((r) => BigInt(r.value)),
    ]);
    t.same(readsOf(reads), expectReads(el.reads), `${v.name} reads`);
    t.equal(out, BigInt(el.output), v.name);
  }
});

// ------------------------------------------------------------------ hostile descriptors

const good = model.descriptors.find((d) => d.opCode === 12 && d.attrBytes.length > 4)!; // Transpose

t.test("hostile descriptors revert with named errors", async (t) => {
  const bytes = fromHex(good.descriptor);
  for (let n = 0; n < bytes.length; n++) {
    await t.rejects(
      call("decode", [toHex(bytes.subarray(0, n))]),
      /DescriptorTruncated/,
      `truncated to ${n}`,
    );
  }
  await t.rejects(call("decode", [toHex(concatBytes(bytes, u8(0)))]), /DescriptorTrailingBytes/, "trailing");
  const patched = (at: number, v: number) => {
    const b = Uint8Array.from(bytes);
    b[at] = v;
    return toHex(b);
  };
  await t.rejects(call("decode", [patched(0, 0x4d)]), /BadDescriptorTag/);
  await t.rejects(call("decode", [patched(1, 0)]), /UnknownOpCode/, "op code 0");
  await t.rejects(
    call("decode", [patched(1, 24)]),
    /UnknownOpCode/,
    "op code 24 (past ConvInteger, the last)",
  );
  await t.rejects(call("decode", [patched(1, 255)]), /UnknownOpCode/, "op code 255");
  // layout: 0x4e op 01 | kind u32 slot | 01 | dtype rank dims... | u16 len | perm
  await t.rejects(call("decode", [patched(3, 3)]), /InvalidInputKind/);
  await t.rejects(call("decode", [patched(9, 0)]), /InvalidOutputCount/, "no output");
  await t.rejects(call("decode", [patched(9, 2)]), /InvalidOutputCount|DescriptorTruncated/, "two outputs");
  await t.rejects(call("decode", [patched(10, 1)]), /UnsupportedDType/, "float");
  await t.rejects(call("decode", [patched(10, 9)]), /UnsupportedDType/, "bool");
  const enc = (p: Parameters<typeof encodeDescriptor>[0]) => toHex(encodeDescriptor(p));
  const x = { kind: 0 as const, index: 0, slot: 0 };
  await t.rejects(
    call("decode", [
      enc({
        opCode: 11,
        inputs: [x],
        outputs: [{ dtype: 3, shape: new Array(9).fill(1) }],
        attrBytes: new Uint8Array(),
      }),
    ]),
    /RankTooLarge/,
  );
  await t.rejects(
    call("decode", [
      enc({ opCode: 11, inputs: [x], outputs: [{ dtype: 3, shape: [2, 0] }], attrBytes: new Uint8Array() }),
    ]),
    /ZeroDim/,
  );
  await t.rejects(
    call("decode", [
      enc({ opCode: 7, inputs: [x], outputs: [{ dtype: 3, shape: [2] }], attrBytes: new Uint8Array(8) }),
    ]),
    /AttrLengthMismatch/,
    "Clip with 8 attribute bytes",
  );
  await t.rejects(
    call("decode", [
      enc({ opCode: 1, inputs: [x, x], outputs: [{ dtype: 3, shape: [2] }], attrBytes: u8(0) }),
    ]),
    /AttrLengthMismatch/,
    "Add with attribute bytes",
  );
  await t.rejects(
    call("decode", [
      enc({ opCode: 12, inputs: [x], outputs: [{ dtype: 3, shape: [2, 3] }], attrBytes: u8(0) }),
    ]),
    /AttrLengthMismatch/,
    "Transpose perm shorter than the rank",
  );
  // an attribute length that claims more bytes than there are
  const b = Uint8Array.from(bytes);
  b[b.length - 4] = 0xff;
  await t.rejects(call("decode", [toHex(b)]), /DescriptorTruncated/);
});

const DECODE_ERRORS =
  /BadDescriptorTag|DescriptorTruncated|DescriptorTrailingBytes|UnknownOpCode|InvalidInputKind|InvalidOutputCount|UnsupportedDType|RankTooLarge|ZeroDim|AttrLengthMismatch/;

t.test(
  "mutated descriptors: accepted only if canonical, otherwise a named error (never a panic)",
  async (t) => {
    let seed = 0x1234567;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let accepted = 0;
    let rejected = 0;
    for (const d of model.descriptors) {
      const bytes = fromHex(d.descriptor);
      for (let m = 0; m < 5; m++) {
        let b: Uint8Array;
        const kind = rnd(3);
        if (kind === 0) {
          b = Uint8Array.from(bytes);
          b[rnd(b.length)] ^= 1 << rnd(8);
        } else if (kind === 1) {
          b = Uint8Array.from(bytes);
          b[rnd(b.length)] = rnd(256);
        } else {
          const at = rnd(bytes.length + 1);
          b = concatBytes(bytes.subarray(0, at), u8(rnd(256)), bytes.subarray(at));
        }
        const hex = toHex(b);
        try {
          const [opCode, inputs, outputs, attrs] = await call("decode", [hex]);
          const again = encodeDescriptor({
            opCode,
            inputs: inputs.map((r: { kind: 0 | 1 | 2; index: number; slot: number }) => ({ ...r })),
            outputs: outputs.map((o: { dtype: number; shape: readonly number[] }) => ({
              dtype: o.dtype,
              shape: [...o.shape],
            })),
            attrBytes: fromHex(attrs),
          });
          t.equal(toHex(again), hex, `${d.name}: an accepted mutation re-encodes to itself`);
          accepted++;
        } catch (err) {
          t.match(String(err), DECODE_ERRORS, `${d.name}: mutation ${hex} rejected by name`);
          rejected++;
        }
      }
    }
    t.ok(rejected > 50, `${rejected} rejected, ${accepted} accepted`);
  },
);

// ------------------------------------------------------------------ hostile ops and values

const byName = (name: string) => {
  const v = ops.ops.find((o) => o.name === name) ?? ops.folds.find((o) => o.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return opArg(v);
};
const I32_MIN = -(2n ** 31n);
const I64_MIN = -(2n ** 63n);

t.test("faults the profile excludes revert with named errors", async (t) => {
  const div = byName("Div int32 truncates toward zero");
  await t.rejects(call("evalElement", [div, 0n, [7n, 0n]]), /DivisionByZero/);
  await t.rejects(call("evalElement", [div, 0n, [I32_MIN, -1n]]), /DivOverflow/);
  const [, q] = await call("evalElement", [div, 0n, [I32_MIN + 1n, -1n]]);
  t.equal(q, 2n ** 31n - 1n, "INT_MIN + 1 / -1 fits");
  const div64 = {
    ...div,
    inputs: [
      { dtype: 7, shape: [9] },
      { dtype: 7, shape: [9] },
    ],
    output: { dtype: 7, shape: [9] },
  };
  await t.rejects(call("evalElement", [div64, 0n, [I64_MIN, -1n]]), /DivOverflow/, "int64 INT_MIN / -1");
  const div8 = {
    ...div,
    inputs: [
      { dtype: 3, shape: [9] },
      { dtype: 3, shape: [9] },
    ],
    output: { dtype: 3, shape: [9] },
  };
  const [, w] = await call("evalElement", [div8, 0n, [-128n, -1n]]);
  t.equal(w, -128n, "int8 -128 / -1 wraps to -128, not a fault");

  const gather = byName("Gather int8 table, negative int32 indices"); // data [8], indices [2,3]
  await t.rejects(call("evalElement", [gather, 0n, [8n, 0n]]), /GatherIndexOutOfRange/, "index = dim");
  await t.rejects(call("evalElement", [gather, 0n, [-9n, 0n]]), /GatherIndexOutOfRange/, "index = -dim-1");
  const [reads] = await call("evalElement", [gather, 0n, [-8n, 5n]]);
  t.same(readsOf(reads), [
    { input: 1, index: 0 },
    { input: 0, index: 0 },
  ]);
  const [reads7] = await call("evalElement", [gather, 5n, [7n, 5n]]);
  t.same(readsOf(reads7), [
    { input: 1, index: 5 },
    { input: 0, index: 7 },
  ]);
});

t.test("out-of-range indices, values and states revert with named errors", async (t) => {
  const add = byName("Add int32 broadcast [2,3]+[3]");
  await t.rejects(call("evalElement", [add, 6n, [1n, 2n]]), /OutputIndexOutOfRange/);
  await t.rejects(call("evalElement", [add, 2n ** 255n, [1n, 2n]]), /OutputIndexOutOfRange/);
  await t.rejects(
    call("evalElement", [add, 0n, [2n ** 31n, 2n]]),
    /ValueOutOfRange/,
    "int32 value too large",
  );
  await t.rejects(call("evalElement", [add, 0n, [1n]]), /ValueCountMismatch/);
  const cast = byName("Cast uint8->int8 wraps");
  await t.rejects(call("evalElement", [cast, 0n, [-1n]]), /ValueOutOfRange/, "negative uint8");
  await t.rejects(call("evalElement", [cast, 0n, [256n]]), /ValueOutOfRange/, "uint8 256");

  const mm = byName("MatMulInteger int8 [2,3]x[3,2] zero points 3,-2");
  await t.rejects(call("foldStepAt", [mm, 0n, 0n, 0n, 1n, 1n]), /FoldStepOutOfRange/, "k = 0");
  await t.rejects(call("foldStepAt", [mm, 0n, 4n, 0n, 1n, 1n]), /FoldStepOutOfRange/, "k = K + 1");
  await t.rejects(call("foldStepAt", [mm, 4n, 1n, 0n, 1n, 1n]), /OutputIndexOutOfRange/);
  await t.rejects(call("foldStep", [mm, 1n, 2n ** 31n, 1n, 1n]), /InvalidFoldState/, "state outside int32");
  await t.rejects(call("foldStep", [mm, 1n, 0n, 128n, 1n]), /ValueOutOfRange/, "a outside int8");
  await t.rejects(call("foldStep", [mm, 1n, 0n, 1n, -129n]), /ValueOutOfRange/, "b outside int8");
  const rm = byName("ReduceMax int8 axis 1 with ties");
  await t.rejects(call("foldStep", [rm, 1n, -129n, 1n, 0n]), /InvalidFoldState/);
  const am = byName("ArgMax int8 ties -> first index"); // [2,4] axis 1: K = 4
  await t.rejects(call("foldStep", [am, 1n, -1n, 1n, 0n]), /InvalidFoldState/, "negative ArgMax state");
  await t.rejects(call("foldStep", [am, 2n, 4n << 64n, 1n, 0n]), /InvalidFoldState/, "index >= K");
  await t.rejects(call("foldStep", [am, 2n, (1n << 64n) | 200n, 1n, 0n]), /InvalidFoldState/, "max not int8");
  const pack = (max: bigint, index: bigint) => (index << 64n) | BigInt.asUintN(64, max);
  t.ok(await call("isFoldState", [am, pack(-128n, 3n)]), "ArgMax pack(-128, 3) with K = 4");
  t.notOk(await call("isFoldState", [am, pack(-128n, 4n)]), "ArgMax index 4 with K = 4");
  t.notOk(await call("isFoldState", [am, pack(128n, 0n)]), "ArgMax max 128 on int8");
  t.notOk(await call("isFoldState", [am, -1n]), "negative ArgMax state");
  t.ok(await call("isFoldState", [mm, I32_MIN]), "MatMulInteger INT32_MIN");
  t.notOk(await call("isFoldState", [mm, 2n ** 31n]), "MatMulInteger 2^31");
  t.ok(await call("isFoldState", [rm, -128n]), "ReduceMax int8 -128");
  t.notOk(await call("isFoldState", [rm, 128n]), "ReduceMax int8 128");
  await t.rejects(call("foldResult", [am, -1n]), /InvalidFoldState/);
  await t.rejects(
    call("foldStep", [am, 2n, 0xffn, 0n, 0n]),
    /InvalidFoldState/,
    "255 is not an int8 maximum",
  );
  t.equal(await call("foldStep", [am, 3n, pack(-1n, 1n), -1n, 0n]), pack(-1n, 1n), "tie keeps index 1");
  t.equal(
    await call("foldStep", [am, 3n, pack(-1n, 1n), 0n, 0n]),
    pack(0n, 2n),
    "0 > -1 takes index k-1 = 2",
  );
  t.equal(await call("foldResult", [am, pack(-1n, 3n)]), 3n);

  const addDescriptor = model.descriptors.find((d) => d.opCode === 1)!;
  await t.rejects(
    call("evalNodeElement", [addDescriptor.descriptor, [{ dtype: 3, shape: [2, 3] }], 0n, [1n]]),
    /ArityMismatch/,
    "one input type for a descriptor with two input references",
  );
  await t.rejects(call("evalValues", [mm, [1n, 1n]]), /NotAMapOp/, "evalMap on a fold");
  await t.rejects(call("evalValues", [{ ...mm, opCode: 0 }, [1n, 1n]]), /NotAMapOp/, "evalMap on op code 0");
  t.equal(await call("evalValues", [add, [-5n, 7n]]), 2n, "evalMap alone");
  await t.rejects(call("evalElement", [mm, 0n, [1n, 1n]]), /NotAMapOp/);
  await t.rejects(call("foldInfo", [add]), /NotAFold/);
});

t.test("malformed ops revert in check with named errors", async (t) => {
  const add = byName("Add int32 broadcast [2,3]+[3]");
  const bad = async (op: OpArg, err: RegExp, what: string) => t.rejects(call("check", [op]), err, what);
  await t.resolves(call("check", [add]));
  await bad({ ...add, opCode: 0 }, /UnknownOpCode/, "op code 0");
  await bad({ ...add, opCode: 24 }, /UnknownOpCode/, "op code 24 (past ConvInteger, the last)");
  await bad({ ...add, inputs: [add.inputs[0]] }, /ArityMismatch/, "Add with one input");
  await bad(
    { ...add, inputs: [add.inputs[0], { dtype: 3, shape: [3] }] },
    /InputDTypeMismatch/,
    "mixed dtypes",
  );
  await bad({ ...add, inputs: [add.inputs[0], { dtype: 6, shape: [4] }] }, /InputShapeMismatch/, "3 vs 4");
  await bad({ ...add, output: { dtype: 6, shape: [2, 4] } }, /OutputTypeMismatch/, "wrong output shape");
  await bad({ ...add, output: { dtype: 6, shape: [1, 2, 3] } }, /OutputTypeMismatch/, "extra output dim");
  await bad({ ...add, output: { dtype: 3, shape: [2, 3] } }, /OutputTypeMismatch/, "wrong output dtype");
  await bad({ ...add, attrs: "0x00" }, /BadAttributes/, "Add with attributes");
  await bad({ ...add, output: { dtype: 5, shape: [2, 3] } }, /BadTensorDesc/, "int16 output");
  await bad({ ...add, output: { dtype: 6, shape: [2, 0] } }, /BadTensorDesc/, "zero dim");

  const slice = byName("Slice int8 [2,3,4] negative and strided steps");
  await t.resolves(call("check", [slice]));
  const i64 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, "0");
  const sliceAttrs = (pairs: [bigint, bigint][]): `0x${string}` =>
    `0x${pairs.map(([a, b]) => i64(a) + i64(b)).join("")}`;
  await bad(
    {
      ...slice,
      attrs: sliceAttrs([
        [0n, 1n],
        [2n, -2n],
      ]),
    },
    /BadAttributes/,
    "Slice: one axis short",
  );
  await bad(
    {
      ...slice,
      attrs: sliceAttrs([
        [0n, 1n],
        [3n, -2n],
        [1n, 2n],
      ]),
    },
    /BadAttributes/,
    "Slice: start past dim",
  );
  await bad(
    {
      ...slice,
      attrs: sliceAttrs([
        [0n, 1n],
        [2n, -3n],
        [1n, 2n],
      ]),
    },
    /BadAttributes/,
    "Slice: last before 0",
  );
  await bad(
    {
      ...slice,
      attrs: sliceAttrs([
        [1n, 1n],
        [2n, -2n],
        [1n, 2n],
      ]),
    },
    /BadAttributes/,
    "Slice: last past dim",
  );
  await bad(
    { ...slice, output: { dtype: 6, shape: [2, 2, 2] } },
    /OutputTypeMismatch/,
    "Slice: dtype changes",
  );
  const concat = byName("Concat int32 three inputs along axis 1");
  await t.resolves(call("check", [concat]));
  await bad({ ...concat, attrs: "0x03" }, /BadAttributes/, "Concat: axis past rank");
  await bad(
    { ...concat, output: { dtype: 6, shape: [2, 5] } },
    /OutputTypeMismatch/,
    "Concat: wrong axis sum",
  );
  await bad(
    { ...concat, inputs: [concat.inputs[0], { dtype: 6, shape: [3, 1] }, concat.inputs[2]] },
    /InputShapeMismatch/,
    "Concat: off-axis dim differs",
  );
  await bad(
    { ...concat, inputs: [concat.inputs[0], { dtype: 3, shape: [2, 1] }, concat.inputs[2]] },
    /InputDTypeMismatch/,
    "Concat: mixed dtypes",
  );
  await bad({ ...concat, inputs: [] }, /ArityMismatch/, "Concat: no inputs");
  const pad = byName("Pad int8 [2,3] crop and pad, constant -128");
  await t.resolves(call("check", [pad]));
  const padAttrs = (vals: bigint[]): `0x${string}` =>
    `0x${vals.map((v) => BigInt.asUintN(64, v).toString(16).padStart(16, "0")).join("")}`;
  await bad({ ...pad, attrs: padAttrs([-129n, 1n, -1n]) }, /BadAttributes/, "Pad: value outside int8");
  await bad({ ...pad, attrs: padAttrs([0n, -3n, 0n]) }, /BadAttributes/, "Pad: begin before -dim");
  await bad({ ...pad, attrs: padAttrs([0n, 1n]) }, /BadAttributes/, "Pad: one begin short");
  await bad({ ...pad, output: { dtype: 3, shape: [4] } }, /OutputTypeMismatch/, "Pad: rank changes");
  // ConvInteger: attrs x zp, w zp, group, then per spatial axis stride, dilation, pad begin.
  const conv = byName("ConvInteger int8 x[1,2,3] w[2,1,2] group 2 pads 1,0 zero points 127,-128");
  await t.resolves(call("check", [conv]));
  const convAttrs = (
    zx: bigint,
    zw: bigint,
    group: bigint,
    stride: bigint,
    dilation: bigint,
    begin: bigint,
  ) => padAttrs([zx, zw, group, stride, dilation, begin]);
  t.equal(convAttrs(127n, -128n, 2n, 1n, 1n, 1n), conv.attrs, "the vector's attribute layout");
  await bad({ ...conv, inputs: [conv.inputs[0]] }, /ArityMismatch/, "ConvInteger: one input");
  await bad(
    { ...conv, inputs: [conv.inputs[0], { dtype: 2, shape: [2, 1, 2] }] },
    /OutputTypeMismatch/,
    "ConvInteger: int8 x uint8",
  );
  await bad(
    {
      ...conv,
      inputs: [
        { dtype: 6, shape: [1, 2, 3] },
        { dtype: 6, shape: [2, 1, 2] },
      ],
    },
    /OutputTypeMismatch/,
    "ConvInteger: int32 operands",
  );
  await bad(
    {
      ...conv,
      inputs: [
        { dtype: 3, shape: [2, 3] },
        { dtype: 3, shape: [2, 1] },
      ],
      output: { dtype: 6, shape: [2, 2] },
    },
    /OutputTypeMismatch/,
    "ConvInteger: no spatial axis",
  );
  await bad(
    { ...conv, output: { dtype: 3, shape: [1, 2, 3] } },
    /OutputTypeMismatch/,
    "ConvInteger: int8 output",
  );
  await bad(
    { ...conv, output: { dtype: 6, shape: [1, 3, 3] } },
    /OutputTypeMismatch/,
    "ConvInteger: 3 filters, not 2",
  );
  await bad(
    { ...conv, attrs: padAttrs([127n, -128n, 2n, 1n, 1n]) },
    /BadAttributes/,
    "ConvInteger: short attributes",
  );
  await bad(
    { ...conv, attrs: convAttrs(128n, 0n, 2n, 1n, 1n, 1n) },
    /BadAttributes/,
    "ConvInteger: x zero point 128",
  );
  await bad(
    { ...conv, attrs: convAttrs(0n, -129n, 2n, 1n, 1n, 1n) },
    /BadAttributes/,
    "ConvInteger: w zero point -129",
  );
  await bad(
    { ...conv, attrs: convAttrs(0n, 0n, 1n, 1n, 1n, 1n) },
    /BadAttributes/,
    "ConvInteger: group 1 (C = 2 != 1 x 1)",
  );
  await bad({ ...conv, attrs: convAttrs(0n, 0n, 0n, 1n, 1n, 1n) }, /BadAttributes/, "ConvInteger: group 0");
  await bad({ ...conv, attrs: convAttrs(0n, 0n, 2n, 0n, 1n, 1n) }, /BadAttributes/, "ConvInteger: stride 0");
  await bad(
    { ...conv, attrs: convAttrs(0n, 0n, 2n, 1n, 65537n, 1n) },
    /BadAttributes/,
    "ConvInteger: dilation 65537",
  );
  await bad(
    { ...conv, attrs: convAttrs(0n, 0n, 2n, 1n, 1n, 2n) },
    /BadAttributes/,
    "ConvInteger: pad begin = kernel",
  );
  await bad(
    { ...conv, attrs: convAttrs(0n, 0n, 2n, 1n, 1n, -1n) },
    /BadAttributes/,
    "ConvInteger: pad begin -1",
  );
  const tile = byName("Tile uint8 [2,3] x [2,1]");
  await t.resolves(call("check", [tile]));
  await bad(
    { ...tile, output: { dtype: 2, shape: [4, 4] } },
    /OutputTypeMismatch/,
    "Tile: 4 is not a multiple of 3",
  );
  await bad({ ...tile, output: { dtype: 2, shape: [4, 3, 1] } }, /OutputTypeMismatch/, "Tile: rank changes");
  await bad({ ...tile, attrs: "0x01" }, /BadAttributes/, "Tile: attribute bytes");
  await bad(
    { ...concat, inputs: Array(9).fill({ dtype: 6, shape: [2, 1] }), output: { dtype: 6, shape: [2, 9] } },
    /ArityMismatch/,
    "Concat: 9 inputs (the profile caps at 8)",
  );
  const expand = byName("Slice (Expand) int32 [3,1] -> [2,3,4]");
  await t.resolves(call("check", [expand]));
  await bad(
    {
      ...expand,
      attrs: sliceAttrs([
        [0n, 1n],
        [0n, 1n],
        [0n, 0n],
      ]),
    },
    /BadAttributes/,
    "Expand: leading step",
  );
  await bad(
    { ...expand, inputs: [{ dtype: 6, shape: [1, 2, 3, 1] }] },
    /OutputTypeMismatch/,
    "Slice: input rank > output rank",
  );

  const clip = byName("Clip int8 edges");
  await bad(
    { ...clip, attrs: `0x${"00".repeat(7)}80${"00".repeat(7)}01` },
    /BadAttributes/,
    "Clip min 128 on int8",
  );
  await bad({ ...clip, attrs: "0x00" }, /BadAttributes/, "Clip short attributes");
  const tr = byName("Transpose int32 [2,3,4] perm [2,0,1]");
  await bad({ ...tr, attrs: "0x020002" }, /BadAttributes/, "perm repeats an axis");
  await bad({ ...tr, attrs: "0x030001" }, /BadAttributes/, "perm axis out of range");
  await bad(
    { ...tr, output: { dtype: 6, shape: [4, 3, 2] } },
    /OutputTypeMismatch/,
    "perm disagrees with output",
  );
  const reshape = byName("Reshape int8 [2,3]->[3,2]");
  await bad({ ...reshape, output: { dtype: 3, shape: [7] } }, /OutputTypeMismatch/, "Reshape numel differs");
  const gather = byName("Gather uint8 axis 1");
  await bad({ ...gather, attrs: "0x02" }, /BadAttributes/, "Gather axis = rank");
  await bad(
    { ...gather, inputs: [gather.inputs[0], { dtype: 3, shape: [2] }] },
    /InputDTypeMismatch/,
    "int8 indices",
  );
  const mm = byName("MatMulInteger int8 batched [2,1,2]x[2,2,1]");
  await bad(
    { ...mm, inputs: [mm.inputs[0], { dtype: 3, shape: [3, 2, 1] }] },
    /InputShapeMismatch/,
    "batch dims",
  );
  await bad(
    { ...mm, inputs: [mm.inputs[0], { dtype: 3, shape: [2, 3, 1] }] },
    /InputShapeMismatch/,
    "inner dims",
  );
  await bad(
    { ...mm, inputs: [mm.inputs[0], { dtype: 6, shape: [2, 2, 1] }] },
    /InputDTypeMismatch/,
    "int32 B",
  );
  await bad({ ...mm, output: { dtype: 7, shape: [2, 1, 1] } }, /OutputTypeMismatch/, "int64 output");
  const rm = byName("ReduceMax uint8 axis 0");
  await bad({ ...rm, attrs: "0x0002" }, /BadAttributes/, "keepdims 2");
  await bad({ ...rm, attrs: "0x0200" }, /BadAttributes/, "axis = rank");
  await bad(
    { ...rm, output: { dtype: 2, shape: [1, 2] } },
    /OutputTypeMismatch/,
    "keepdims 0 keeps the axis",
  );
});

// ------------------------------------------------------------------ gas

t.test("gas of one element's check + reads + evaluation stays well under 100k", async (t) => {
  const rows: string[] = [];
  const worst = new Map<string, number>();
  for (const v of ops.ops) {
    const el = v.elements[v.elements.length - 1];
    const gas = Number(
      await call("gasOfElement", [opArg(v), BigInt(el.outputIndex), el.reads.map((r) => BigInt(r.value))]),
    );
    t.ok(gas < 50_000, `${v.name}: ${gas} gas`);
    worst.set(v.name, gas);
  }
  for (const v of ops.folds) {
    const ch = v.chains[v.chains.length - 1];
    const s = ch.steps[ch.steps.length - 1];
    const gas = Number(
      await call("gasOfFoldStep", [
        opArg(v),
        BigInt(ch.outputIndex),
        BigInt(s.k),
        BigInt(s.before),
        s.reads[0] ? BigInt(s.reads[0].value) : paddingOperand(v),
        s.reads[1] ? BigInt(s.reads[1].value) : 0n,
      ]),
    );
    t.ok(gas < 50_000, `${v.name} step: ${gas} gas`);
    worst.set(`${v.name} (one step)`, gas);
  }
  for (const d of model.descriptors) {
    const gas = Number(await call("gasOfDecode", [d.descriptor]));
    t.ok(gas < 50_000, `decode ${d.name}: ${gas} gas`);
  }
  for (const [name, gas] of worst) rows.push(`${String(gas).padStart(6)}  ${name}`);
  t.comment(`gas per element (check + reads + eval):\n${rows.join("\n")}`);
});
