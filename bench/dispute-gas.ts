/**
 * Gas of the dispute game (contracts/src/DisputeGame.sol + OneStepVerifier.sol) on the reference
 * transformer (buildTransformerLm defaults: 150 nodes, tensors up to 128 chunks, K up to 512), on
 * the embedded chain: for every op type of the model, a lying claimer changes the LAST element of
 * the largest output of that op (the rightmost, deepest descent) and the two planners play the
 * game to the one step. Reports gas per move kind (max over games), one-step gas per op, and for
 * the worst game (most total gas) the transactions and total gas per side. Level 0: a worker with
 * the honest trace and a wrong last graph output, challenged on that output (open + one answer).
 * A second model (`shapeOpsModel`) holds the profile ops the transformer does not use (Slice,
 * Expand, Concat, Tile, Abs, Neg, ...), played the same way, so that `oneStepGasPerOp` lists
 * every op of the profile.
 *
 * `npm run bench -- dispute-gas` (numbers are deterministic).
 */

import { type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../bridge/bridge.ts";
import { EmbeddedChain } from "../bridge/chain/chain.ts";
import { embeddedL1Clients, walletClientFor } from "../bridge/clients.ts";
import { deployBridge } from "../bridge/deploy.ts";
import { DisputeGameContract } from "../bridge/dispute/game.ts";
import { toHex, u32be } from "../protocol/bytes.ts";
import { claimDomain, typesFor } from "../protocol/eip712.ts";
import { sha256 } from "../protocol/sha256.ts";
import { NO_GENERATION } from "../protocol/tx.ts";
import { buildTransformerLm } from "../prover-trace/builder/transformer.ts";
import { commitModel, tensorListRoot } from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../prover-trace/onnx/graph-builder.ts";
import { allocTensorData, encodeOnnx } from "../prover-trace/onnx/io.ts";
import type { IrModel } from "../prover-trace/onnx/ir.ts";
import { declaredInputRanges } from "../prover-trace/profile/input-range.ts";
import { OpCode } from "../prover-trace/profile/opcodes.ts";
import { loadProfileModel } from "../prover-trace/profile/validate.ts";
import { runModel } from "../prover-trace/reference/run.ts";
import { planOpening, Winner } from "../verifier/game/planner.ts";
import { type PlayedGame, playToEnd } from "../verifier/game/play.ts";
import { buildPartyView, viewOutputRoot } from "../verifier/game/view.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The node outputs with the last element of node `node` changed by one. */
function tamperLast(outputs: TensorData[][], node: number): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((t) => {
      if (i !== node) return t;
      const e = numelOf(t.shape) - 1;
      if (t.data instanceof BigInt64Array) {
        const data = t.data.slice();
        data[e] += 1n;
        return { ...t, data };
      }
      const data = (t.data as Int32Array).slice();
      data[e] = data[e] === 127 || data[e] === 255 ? data[e] - 1 : data[e] + 1;
      return { ...t, data };
    }),
  );
}

/**
 * The profile ops the transformer does not use, on a uint8 input [4, 8] (widened to int32 and
 * narrowed to int8 on the way), each node's output large enough for a real tensor descent.
 */
export function shapeOpsModel(): IrModel {
  const g = new GraphBuilder("shape_ops");
  const x = g.input("x", "uint8", [4, 8]);
  const c = (vals: number[]) => g.constant("int64", [vals.length], vals);
  const wide = g.op("Cast", [x], { to: 6 });
  const centred = g.op("Sub", [wide, g.scalar("int32", 128)]);
  const neg = g.op("Neg", [centred]);
  const abs = g.op("Abs", [neg]);
  const small = g.op("Cast", [g.op("Clip", [abs, g.scalar("int32", 0), g.scalar("int32", 127)])], { to: 3 });
  // MaxPool 2x2 over [1, 1, 4, 8], one padding row on top and one padding column on the right.
  const pool = g.op("MaxPool", [g.op("Unsqueeze", [small, c([0, 1])])], {
    kernel_shape: [2, 2],
    pads: [1, 0, 0, 1],
  });
  // ConvInteger 2x2 (2 filters, int8 weights, zero points) over the pooled map, padded like the
  // pool: [1, 2, 4, 8] int32; a Cast to int8 keeps the low bytes (each element still tracks
  // its terms), a 1x1 max over the two filters' channels back to [1, 1, 4, 8].
  const conv = g.op(
    "ConvInteger",
    [
      pool,
      g.constant("int8", [2, 1, 2, 2], [3, -1, 2, 1, -2, 1, 1, 1]),
      g.scalar("int8", 1),
      g.scalar("int8", 0),
    ],
    { pads: [1, 0, 0, 1] },
  );
  const narrowed = g.op("Cast", [conv], { to: 3 });
  const pooled = g.op("Squeeze", [g.op("ReduceMax", [narrowed], { axes: [1], keepdims: 1 }), c([0, 1])]);
  const sliced = g.op("Slice", [pooled, c([3, 1]), c([-(2 ** 40), 8]), c([0, 1]), c([-1, 2])]);
  const tiled = g.op("Tile", [g.op("Pad", [sliced, c([1, -1, 0, 2]), g.scalar("int8", -7)]), c([2, 3])]);
  const expanded = g.op("Expand", [g.op("Unsqueeze", [tiled, c([0])]), c([3, 1, 1])]);
  const joined = g.op("Concat", [expanded, expanded, g.op("Min", [expanded, g.scalar("int8", 5)])], {
    axis: 1,
  });
  const relu = g.op("Relu", [g.op("Sub", [joined, g.scalar("int8", 60)])]);
  g.output(g.op("ArgMax", [relu], { axis: 2, keepdims: 0 }), "int64");
  return g.build();
}

/** One committed model with its honest run, ready for games. */
async function committedRun(bytes: Uint8Array) {
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const inDecl = pm.inputs[0];
  const n = numelOf(inDecl.shape);
  // Element i holds (i * 7 + 3) mod 256 (shifted into int8's range for an int8 input), or, for an
  // input with a declared range (an imported image), that pattern folded into the range.
  const range = declaredInputRanges(pm.ir, []).get(inDecl.name);
  const inData = allocTensorData(inDecl.dtype, n);
  for (let i = 0; i < n; i++) {
    let v = (i * 7 + 3) % 256;
    if (range) v = Number(range.lo) + (v % (Number(range.hi - range.lo) + 1));
    else if (inDecl.dtype === 3) v -= 128;
    if (inData instanceof BigInt64Array) inData[i] = BigInt(v);
    else inData[i] = v;
  }
  const input: TensorData = { dtype: inDecl.dtype, shape: inDecl.shape, data: inData };
  const outputs = runModel(pm, [{ dtype: inDecl.dtype, shape: [...inDecl.shape], data: inData }]).nodeOutputs;
  return { model, input, outputs, honest: buildPartyView(model, [input], outputs) };
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  return disputeGasOf(encodeOnnx(buildTransformerLm()), "transformer", encodeOnnx(shapeOpsModel()));
}

/**
 * The games above on any one-input profile model (bench/import-dispute-gas.ts runs them on an
 * imported model); with `extraOps`, a second model whose ops the first lacks, and every profile
 * op must then get a one-step game.
 */
export async function disputeGasOf(
  bytes: Uint8Array,
  label: string,
  extraOps?: Uint8Array,
): Promise<BenchResult> {
  const { model, input, outputs, honest } = await committedRun(bytes);
  const shapes = extraOps ? await committedRun(extraOps) : undefined;

  const chain = await EmbeddedChain.create();
  const [deployer, worker, challenger] = chain.accounts;
  const clients = embeddedL1Clients(chain, { privateKey: deployer.privateKey });
  const d = await deployBridge(clients, {
    challengeWindow: 100n,
    unbondingDelay: 100_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
    disputeClock: 3600n,
  });
  const workerWallet = walletClientFor(clients, worker.privateKey);
  const challengerWallet = walletClientFor(clients, challenger.privateKey);
  const { modelId } = await d.bridge.registerCommittedModel(model);
  const shapesModelId = shapes ? (await d.bridge.registerCommittedModel(shapes.model)).modelId : undefined;
  await d.bridge.as(workerWallet).stake(parseEther("100"));
  await d.bridge.as(challengerWallet).depositBond(parseEther("10"));
  const game = new DisputeGameContract(clients, d.disputeGame);
  const chainId = BigInt(await clients.publicClient.getChainId());
  const domain = claimDomain(chainId, d.address);

  const games: { op: string; node: number; played: PlayedGame }[] = [];
  let job = 0;
  // For each op: the node of that op with the largest output (the last such node on ties); ops
  // already played on the transformer are not played again on the second model.
  const runs = [{ honestRun: { model, input, outputs, honest }, runModelId: modelId }];
  if (shapes && shapesModelId) runs.push({ honestRun: shapes, runModelId: shapesModelId });
  for (const { honestRun, runModelId } of runs) {
    const ref = honestRun.honest.ref;
    const target = new Map<string, number>();
    ref.nodes.forEach((node, i) => {
      if (games.some((g) => g.op === node.op)) return;
      const size = numelOf(node.outputs[0].shape);
      const cur = target.get(node.op);
      if (cur === undefined || numelOf(ref.nodes[cur].outputs[0].shape) <= size) target.set(node.op, i);
    });
    for (const [op, node] of [...target].sort((a, b) => a[1] - b[1])) {
      const { model, input, outputs, honest } = honestRun;
      const modelId = runModelId;
      const liar = buildPartyView(model, [input], tamperLast(outputs, node));
      const claim: ClaimMessage = {
        jobId: toHex(sha256(u32be(++job))),
        worker: workerWallet.account.address.toLowerCase() as Hex,
        modelId,
        inputRoot: toHex(tensorListRoot([input])),
        outputRoot: toHex(sha256(liar.trace.outputs[model.nodeCount - 1][0].root)),
        traceRoot: toHex(liar.trace.root),
        generationSpec: NO_GENERATION,
        outputCid: `0x01551220${"aa".repeat(32)}`,
        traceCid: "0x",
      };
      const signature: Hex = await workerWallet.signTypedData({
        domain: { ...domain, chainId: Number(domain.chainId) },
        types: typesFor("Claim"),
        primaryType: "Claim",
        message: claim,
      } as unknown as Parameters<typeof workerWallet.signTypedData>[0]);
      const opened = await game.as(challengerWallet).open(claim, signature);
      const played = await playToEnd(
        opened.disputeId,
        { game: game.as(workerWallet), view: liar },
        { game: game.as(challengerWallet), view: honest },
      );
      if (played.winner !== Winner.challenger)
        throw new Error(`${op} at node ${node}: the lying claimer won`);
      played.moves.unshift({
        side: "challenger",
        kind: "open" as never,
        gas: opened.gasUsed,
        calldataBytes: 0,
      });
      games.push({ op, node, played });
    }
  }

  // Level 0: the honest trace, the last element of the last graph output changed.
  const k = model.outputCount - 1;
  const wrongOutputs = model.outputRefs.map((r, i) => {
    const t = outputs[r.node][r.slot];
    return i === k ? tamperLast([[t]], 0)[0][0] : t;
  });
  const outputLiar = buildPartyView(model, [input], outputs, { outputs: wrongOutputs });
  const claim0: ClaimMessage = {
    jobId: toHex(sha256(u32be(++job))),
    worker: workerWallet.account.address.toLowerCase() as Hex,
    modelId,
    inputRoot: toHex(tensorListRoot([input])),
    outputRoot: toHex(viewOutputRoot(outputLiar)),
    traceRoot: toHex(outputLiar.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: `0x01551220${"aa".repeat(32)}`,
    traceCid: "0x",
  };
  const signature0: Hex = await workerWallet.signTypedData({
    domain: { ...domain, chainId: Number(domain.chainId) },
    types: typesFor("Claim"),
    primaryType: "Claim",
    message: claim0,
  } as unknown as Parameters<typeof workerWallet.signTypedData>[0]);
  const opening = planOpening(
    honest,
    claim0,
    wrongOutputs.length === 1 ? undefined : outputLiar.outputs.map((o) => o.root),
  );
  if (opening?.kind !== "challengeOutput") throw new Error("level 0: the challenger did not choose level 0");
  const opened0 = await game.as(challengerWallet).openPlanned(claim0, signature0, opening);
  const played0 = await playToEnd(
    opened0.disputeId,
    { game: game.as(workerWallet), view: outputLiar },
    { game: game.as(challengerWallet), view: honest },
  );
  if (played0.winner !== Winner.challenger) throw new Error("level 0: the worker with a wrong output won");
  await chain.stop();

  const gasPerMoveKind: Record<string, number> = {};
  const oneStepGasPerOp: Record<string, number> = {};
  for (const g of games) {
    for (const m of g.played.moves) {
      gasPerMoveKind[m.kind] = Math.max(gasPerMoveKind[m.kind] ?? 0, Number(m.gas));
      if (m.kind === "oneStep") oneStepGasPerOp[g.op] = Number(m.gas);
    }
  }
  const unplayed = (Object.keys(OpCode) as string[]).filter((op) => !(op in oneStepGasPerOp));
  if (shapes && unplayed.length > 0) throw new Error(`no one-step game played for ${unplayed.join(", ")}`);
  const total = (g: PlayedGame, side: string) =>
    g.moves.filter((m) => m.side === side).reduce((a, m) => a + Number(m.gas), 0);
  const worst = games.reduce((a, b) =>
    total(b.played, "claimer") + total(b.played, "challenger") >
    total(a.played, "claimer") + total(a.played, "challenger")
      ? b
      : a,
  );
  const count = (side: string) => worst.played.moves.filter((m) => m.side === side).length;
  return {
    model: `${label} ${model.nodeCount} nodes`,
    worstGame: `${worst.op} at node ${worst.node}`,
    // The headline fields are the worse side (the numbers the targets bound); the per-side
    // split follows.
    txPerSide: Math.max(count("claimer"), count("challenger")),
    totalGasPerSide: Math.max(total(worst.played, "claimer"), total(worst.played, "challenger")),
    txBySide: { claimer: count("claimer"), challenger: count("challenger") },
    totalGasBySide: {
      claimer: total(worst.played, "claimer"),
      challenger: total(worst.played, "challenger"),
    },
    maxOneStepGas: Math.max(...Object.values(oneStepGasPerOp)),
    level0Gas: {
      challengeOutput: Number(opened0.gasUsed),
      answerOutput: Number(played0.moves[0].gas),
    },
    gasPerMoveKind,
    oneStepGasPerOp,
  };
}
