/**
 * Gas of the dispute game (contracts/src/DisputeGame.sol + OneStepVerifier.sol) on the reference
 * transformer (buildTransformerLm defaults: 150 nodes, tensors up to 128 chunks, K up to 512), on
 * the embedded chain: for every op type of the model, a lying claimer changes the LAST element of
 * the largest output of that op (the rightmost, deepest descent) and the two planners play the
 * game to the one step. Reports gas per move kind (max over games), one-step gas per op, and for
 * the worst game (most total gas) the transactions and total gas per side. Level 0: a worker with
 * the honest trace and a wrong last graph output, challenged on that output (open + one answer).
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
import { buildTransformerLm } from "../prover-trace/builder/transformer.ts";
import { commitModel, tensorListRoot } from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import { allocTensorData, encodeOnnx } from "../prover-trace/onnx/io.ts";
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

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  return disputeGasOf(encodeOnnx(buildTransformerLm()), "transformer");
}

/**
 * The games above on any one-input profile model (bench/import-dispute-gas.ts runs them on an
 * imported model); the input holds (i * 7 + 3) mod 256 at element i.
 */
export async function disputeGasOf(bytes: Uint8Array, label: string): Promise<BenchResult> {
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const inDecl = pm.inputs[0];
  const n = numelOf(inDecl.shape);
  const inData = allocTensorData(inDecl.dtype, n);
  for (let i = 0; i < n; i++) {
    const v = (i * 7 + 3) % 256;
    if (inData instanceof BigInt64Array) inData[i] = BigInt(v);
    else inData[i] = inDecl.dtype === 3 ? v - 128 : v;
  }
  const input: TensorData = { dtype: inDecl.dtype, shape: inDecl.shape, data: inData };
  const outputs = runModel(pm, [{ dtype: inDecl.dtype, shape: [...inDecl.shape], data: inData }]).nodeOutputs;
  const honest = buildPartyView(model, [input], outputs);

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
  await d.bridge.as(workerWallet).stake(parseEther("100"));
  await d.bridge.as(challengerWallet).depositBond(parseEther("10"));
  const game = new DisputeGameContract(clients, d.disputeGame);
  const chainId = BigInt(await clients.publicClient.getChainId());
  const domain = claimDomain(chainId, d.address);

  // For each op: the node of that op with the largest output (the last such node on ties).
  const ref = honest.ref;
  const target = new Map<string, number>();
  ref.nodes.forEach((node, i) => {
    const size = numelOf(node.outputs[0].shape);
    const cur = target.get(node.op);
    if (cur === undefined || numelOf(ref.nodes[cur].outputs[0].shape) <= size) target.set(node.op, i);
  });

  const games: { op: string; node: number; played: PlayedGame }[] = [];
  let job = 0;
  for (const [op, node] of [...target].sort((a, b) => a[1] - b[1])) {
    const liar = buildPartyView(model, [input], tamperLast(outputs, node));
    const claim: ClaimMessage = {
      jobId: toHex(sha256(u32be(++job))),
      modelId,
      inputRoot: toHex(tensorListRoot([input])),
      outputRoot: toHex(sha256(liar.trace.outputs[model.nodeCount - 1][0].root)),
      traceRoot: toHex(liar.trace.root),
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
    if (played.winner !== Winner.challenger) throw new Error(`${op} at node ${node}: the lying claimer won`);
    played.moves.unshift({
      side: "challenger",
      kind: "open" as never,
      gas: opened.gasUsed,
      calldataBytes: 0,
    });
    games.push({ op, node, played });
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
    modelId,
    inputRoot: toHex(tensorListRoot([input])),
    outputRoot: toHex(viewOutputRoot(outputLiar)),
    traceRoot: toHex(outputLiar.trace.root),
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
