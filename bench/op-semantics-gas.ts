/**
 * Gas of the on-chain one-step semantics (contracts/src/lib/OpSemantics.sol, NodeDescriptor.sol)
 * per op, through OpSemanticsHarness on the embedded chain:
 *   compute  check + reads + evaluation of one element (map ops) or one fold step, op in memory
 *   decode   decoding the node descriptor, already in memory
 *   call     estimateGas of a whole evalNodeElement / foldStepsAt transaction: 21000 intrinsic,
 *            calldata, ABI decoding, descriptor decoding (map ops) and the computation
 * on the first element of each op's ops.json vector, and on rank-8 worst cases.
 * The dispute game's budget for a whole one-step proof (chunks, Merkle paths, this) is 300k.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeFunctionData, type Hex } from "viem";
import { EmbeddedChain } from "../bridge/chain/chain.ts";
import { embeddedL1Clients } from "../bridge/clients.ts";
import { opCheckerAbi } from "../contracts/artifacts/OpChecker.ts";
import {
  opSemanticsHarnessAbi,
  opSemanticsHarnessBytecode,
} from "../contracts/artifacts/OpSemanticsHarness.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { dtypeByCode } from "../protocol/dtype.ts";
import { encodeDescriptor } from "../prover-trace/commit/model.ts";
import { OpCode } from "../prover-trace/profile/opcodes.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

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
  op: string;
  opCode: number;
  inputs: Desc[];
  output: Desc;
  attrBytes: Hex;
}
interface Vectors {
  ops: (OpCase & { elements: { outputIndex: number; reads: VRead[] }[] })[];
  folds: (OpCase & {
    chains: { outputIndex: number; steps: { k: number; reads: VRead[]; before: string }[] }[];
  })[];
}

const R8 = [2, 2, 2, 2, 2, 2, 2, 2];

/** Rank-8 map cases: the index arithmetic's worst case in the profile (rank <= 8). */
const WORST_MAP: { name: string; c: OpCase; values: bigint[]; e?: bigint }[] = [
  {
    name: "Add int32 rank 8, broadcast [8] x [1,2,1,2,1,2,1,2]",
    c: {
      name: "",
      op: "Add",
      opCode: 1,
      inputs: [
        { dtype: 6, shape: R8 },
        { dtype: 6, shape: [1, 2, 1, 2, 1, 2, 1, 2] },
      ],
      output: { dtype: 6, shape: R8 },
      attrBytes: "0x",
    },
    values: [2n ** 31n - 1n, 1n],
  },
  {
    name: "Transpose int8 rank 8, perm reversed",
    c: {
      name: "",
      op: "Transpose",
      opCode: 12,
      inputs: [{ dtype: 3, shape: [1, 2, 3, 4, 5, 6, 7, 8] }],
      output: { dtype: 3, shape: [8, 7, 6, 5, 4, 3, 2, 1] },
      attrBytes: "0x0706050403020100",
    },
    values: [5n],
  },
  {
    name: "Slice int64 rank 8, mixed steps",
    c: {
      name: "",
      op: "Slice",
      opCode: 16,
      inputs: [{ dtype: 7, shape: [2, 3, 3, 2, 2, 7, 4, 2] }],
      output: { dtype: 7, shape: [2, 2, 3, 2, 1, 3, 4, 2] },
      attrBytes:
        "0x0000000000000001ffffffffffffffff000000000000000000000000000000020000000000000002ffffffffffffffff0000000000000000000000000000000100000000000000010000000000000001000000000000000000000000000000030000000000000003ffffffffffffffff00000000000000000000000000000001",
    },
    values: [-(2n ** 63n)],
  },
  {
    name: "Concat int8 8 inputs rank 8, axis 7, last element",
    c: {
      name: "",
      op: "Concat",
      opCode: 19,
      inputs: Array.from({ length: 8 }, () => ({ dtype: 3, shape: R8 })),
      output: { dtype: 3, shape: [2, 2, 2, 2, 2, 2, 2, 16] },
      attrBytes: "0x07",
    },
    values: [-128n],
    e: 2047n,
  },
  {
    name: "Gather int8 rank 7 data, rank 2 indices, axis 3",
    c: {
      name: "",
      op: "Gather",
      opCode: 10,
      inputs: [
        { dtype: 3, shape: [2, 2, 2, 9, 2, 2, 2] },
        { dtype: 7, shape: [3, 3] },
      ],
      output: { dtype: 3, shape: [2, 2, 2, 3, 3, 2, 2, 2] },
      attrBytes: "0x03",
    },
    values: [-9n, 1n],
  },
];

const WORST_FOLD: { name: string; c: OpCase; e: bigint; k: bigint; s: bigint; a: bigint; b: bigint }[] = [
  {
    name: "MatMulInteger int8 rank 8 batched, K = 512",
    c: {
      name: "",
      op: "MatMulInteger",
      opCode: 13,
      inputs: [
        { dtype: 3, shape: [2, 2, 2, 2, 2, 2, 64, 512] },
        { dtype: 3, shape: [2, 2, 2, 2, 2, 2, 512, 64] },
      ],
      output: { dtype: 6, shape: [2, 2, 2, 2, 2, 2, 64, 64] },
      attrBytes: "0xffffffffffffff80000000000000007f",
    },
    e: 262143n,
    k: 512n,
    s: -(2n ** 31n),
    a: -128n,
    b: 127n,
  },
  {
    name: "ArgMax int32 rank 8, axis 4, K = 512",
    c: {
      name: "",
      op: "ArgMax",
      opCode: 15,
      inputs: [{ dtype: 6, shape: [2, 2, 2, 2, 512, 2, 2, 2] }],
      output: { dtype: 7, shape: [2, 2, 2, 2, 2, 2, 2] },
      attrBytes: "0x0400",
    },
    e: 127n,
    k: 512n,
    s: (510n << 64n) | 5n,
    a: 6n,
    b: 0n,
  },
];

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const vectors = JSON.parse(
    readFileSync(join(import.meta.dirname, "../test/vectors/ops.json"), "utf8"),
  ) as Vectors;
  const chain = await EmbeddedChain.create();
  try {
    const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
    const pub = clients.publicClient;
    const hash = await clients.walletClient!.deployContract({
      abi: harnessAbi,
      bytecode: opSemanticsHarnessBytecode,
    });
    const address = (await pub.waitForTransactionReceipt({ hash })).contractAddress!;
    const account = chain.accounts[0].address;
    // biome-ignore lint/suspicious/noExplicitAny: thin wrapper over the harness ABI
    const read = (functionName: string, args: readonly unknown[]): Promise<any> =>
      pub.readContract({ address, abi: harnessAbi, functionName, args } as never);
    const estimate = async (functionName: string, args: readonly unknown[]) =>
      Number(
        await pub.estimateGas({
          account,
          to: address,
          data: encodeFunctionData({ abi: harnessAbi, functionName, args } as never),
        }),
      );
    const opArg = (c: OpCase) => ({
      opCode: c.opCode,
      attrs: c.attrBytes,
      inputs: c.inputs,
      output: c.output,
    });
    const descriptorOf = (c: OpCase) =>
      toHex(
        encodeDescriptor({
          opCode: c.opCode,
          inputs: c.inputs.map((_, i) => ({ kind: 2, index: i, slot: 0 })),
          outputs: [c.output],
          attrBytes: fromHex(c.attrBytes),
        }),
      );

    const rows: Record<string, { compute: number; decode: number; call: number }> = {};
    const mapRow = async (name: string, c: OpCase, e: bigint, values: bigint[]) => {
      const d = descriptorOf(c);
      rows[name] = {
        compute: Number(await read("gasOfElement", [opArg(c), e, values])),
        decode: Number(await read("gasOfDecode", [d])),
        call: await estimate("evalNodeElement", [d, c.inputs, e, values]),
      };
    };
    const foldRow = async (
      name: string,
      c: OpCase,
      e: bigint,
      k: bigint,
      s: bigint,
      a: bigint,
      b: bigint,
    ) => {
      rows[name] = {
        compute: Number(await read("gasOfFoldStep", [opArg(c), e, k, s, a, b])),
        decode: Number(await read("gasOfDecode", [descriptorOf(c)])),
        call: await estimate("foldStepsAt", [opArg(c), [{ e, k, sPrev: s, a, b }]]),
      };
    };

    const seen = new Set<string>();
    for (const v of vectors.ops) {
      if (seen.has(v.op)) continue;
      seen.add(v.op);
      const el = v.elements[0];
      await mapRow(
        v.name,
        v,
        BigInt(el.outputIndex),
        el.reads.map((r) => BigInt(r.value)),
      );
    }
    for (const w of WORST_MAP) await mapRow(w.name, w.c, w.e ?? 0n, w.values);
    for (const v of vectors.folds) {
      if (seen.has(v.op)) continue;
      seen.add(v.op);
      const ch = v.chains[0];
      const s = ch.steps[ch.steps.length - 1];
      const b = s.reads[1] ? BigInt(s.reads[1].value) : 0n;
      await foldRow(
        `${v.name} (one step)`,
        v,
        BigInt(ch.outputIndex),
        BigInt(s.k),
        BigInt(s.before),
        // a MaxPool step in the padding reads nothing: the dtype minimum stands in
        s.reads[0] ? BigInt(s.reads[0].value) : paddingOperand(v),
        b,
      );
    }
    for (const w of WORST_FOLD) await foldRow(`${w.name} (one step)`, w.c, w.e, w.k, w.s, w.a, w.b);
    return { gas: rows };
  } finally {
    await chain.stop();
  }
}
