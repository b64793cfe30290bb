/**
 * The profile v2 ops through the dispute game: for each of Slice, Expand, Concat, Tile, Pad, Abs,
 * Neg, MaxPool and ConvInteger, a claimer lies about one element of that op's node and recomputes everything after it
 * from the lie (the trace is consistent downstream, so the output differs and only that node's
 * step is wrong). The two real planners play on the real contracts on the embedded chain; the
 * challenger must win, the game must narrow to that node and element, and the one-step proof must
 * cost at most 300k gas. Pad is played twice: on a padding element (the step opens nothing) and
 * on a copied one; MaxPool (a fold) twice: on the last element and on a window half in the
 * padding (the bisection may end on a step that opens nothing).
 */

import t from "tap";
import { type Hex, parseEther } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { claimDomain, typesFor } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { commitModel, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { evalNode } from "../../../prover-trace/reference/eval-tensor.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import type { Tensor } from "../../../prover-trace/reference/tensor.ts";
import type { RefModel } from "../../../prover-trace/reference/types.ts";
import { Phase, planChallengerMove, planClaimerMove, Winner } from "../../../verifier/game/planner.ts";
import { type PlayedGame, type Player, playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { testClaim } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const WORKER = 1;
const CHALLENGER = 2;
const ONE_STEP_GAS_LIMIT = 300_000n;
const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Every op under test once, each output big enough for a real tensor descent. */
function v2OpsModel() {
  const g = new GraphBuilder("profile_v2_ops");
  const x = g.input("x", "uint8", [4, 8]);
  const c = (vals: number[]) => g.constant("int64", [vals.length], vals);
  const centred = g.op("Sub", [g.op("Cast", [x], { to: 6 }), g.scalar("int32", 128)]);
  const abs = g.op("Abs", [g.op("Neg", [centred])]);
  const small = g.op("Cast", [g.op("Clip", [abs, g.scalar("int32", 0), g.scalar("int32", 127)])], { to: 3 });
  // MaxPool 2x2 over [1, 1, 4, 8], one padding row on top and one padding column on the right:
  // [1, 1, 4, 8] again (a fold of 4 steps; the top row's and last column's windows reach padding).
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
      // A w zero point other than 0: a padding step's term (a - xzp) * (0 - wzp) is 0 only when
      // the verifier's stand-in operand a is the x zero point.
      g.scalar("int8", -1),
    ],
    { pads: [1, 0, 0, 1] },
  );
  const narrowed = g.op("Cast", [conv], { to: 3 });
  const pooled = g.op("Squeeze", [g.op("ReduceMax", [narrowed], { axes: [1], keepdims: 1 }), c([0, 1])]);
  // Rows 3..0 (an end far below -dim clamps), every second column from 1: [4, 4].
  const sliced = g.op("Slice", [pooled, c([3, 1]), c([-(2 ** 40), 8]), c([0, 1]), c([-1, 2])]);
  // One padding row on top, the first column cropped, two padding columns at the end: [5, 5].
  const padded = g.op("Pad", [sliced, c([1, -1, 0, 2]), g.scalar("int8", -7)]);
  const tiled = g.op("Tile", [padded, c([2, 3])]);
  const expanded = g.op("Expand", [g.op("Unsqueeze", [tiled, c([0])]), c([3, 1, 1])]);
  const joined = g.op("Concat", [expanded, g.op("Min", [expanded, g.scalar("int8", 5)])], { axis: 1 });
  // A widening Cast as the last node: one-to-one, so every lie above reaches the graph output.
  g.output(g.op("Cast", [joined], { to: 6 }), "int32");
  return g.build();
}

/**
 * The liar's node outputs: element `element` of node `node` moved by one (inside its dtype's
 * range), every later node recomputed from it by the reference.
 */
function lieFrom(ref: RefModel, inputs: Tensor[], honest: Tensor[][], node: number, element: number) {
  const outs = honest.slice(0, node).map((o) => [...o]);
  const wrong = honest[node][0];
  const data = wrong.data.slice() as Int32Array;
  data[element] = data[element] === 127 ? 126 : data[element] + 1;
  outs.push([{ ...wrong, data }, ...honest[node].slice(1)]);
  for (let i = node + 1; i < ref.nodes.length; i++) {
    const n = ref.nodes[i];
    const args = n.inputs.map((r) =>
      r.kind === 0 ? inputs[r.index] : r.kind === 1 ? ref.initializers[r.index] : outs[r.index][r.slot],
    );
    outs.push(evalNode(n.op, args, n.attrs));
  }
  return outs;
}

/**
 * playToEnd, but the claimer posts every fold state one above its own chain: the first wrong
 * state is s_1, so the bisection ends at step 1 (from the agreed constant s_0). For an element
 * whose first window position is padding, that one step opens no input element.
 */
async function playWithFoldLieFromStep1(
  id: bigint,
  claimer: Player,
  challenger: Player,
): Promise<PlayedGame> {
  const moves: PlayedGame["moves"] = [];
  for (let turn = 0; turn <= 128; turn++) {
    const view = await claimer.game.readGame(id);
    if (view.dispute.phase === Phase.resolved) return { winner: view.dispute.winner, moves };
    const planned = planClaimerMove(claimer.view, view);
    const c =
      planned?.kind === "postFoldStates"
        ? { ...planned, states: planned.states.map((x) => x + 1n) }
        : planned;
    const side = c ? "claimer" : "challenger";
    const move = c ?? planChallengerMove(challenger.view, view);
    if (!move) throw new Error(`dispute ${id}: nobody can move in phase ${view.dispute.phase}`);
    const tx = await (side === "claimer" ? claimer : challenger).game.play(id, move);
    moves.push({ side, kind: move.kind, gas: tx.gasUsed, calldataBytes: 0 });
  }
  throw new Error(`dispute ${id} did not end`);
}

t.test("profile v2 ops: a lie at the op's node loses its one step", async (t) => {
  const bytes = encodeOnnx(v2OpsModel());
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256);
  const input: TensorData = { dtype: 2, shape: [4, 8], data };
  const inputs: Tensor[] = [{ dtype: 2, shape: [4, 8], data }];
  const outputs = runModel(pm, inputs).nodeOutputs;
  const honest = buildPartyView(model, [input], outputs);
  const ref = honest.ref;
  const last = model.nodeCount - 1;

  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 100_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
  });
  const { modelId } = await d.bridge.registerCommittedModel(model);
  // Each lost game slashes minWorkerStake (1 ether): enough stake for all 14 cases below, or the
  // last games end unbacked instead of at the one step.
  await d.bridge.as(b.wallet(WORKER)).stake(parseEther("20"));
  await d.bridge.as(b.wallet(CHALLENGER)).depositBond(parseEther("1"));
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  const domain = claimDomain(BigInt(await b.clients().publicClient.getChainId()), d.address);
  let job = 0;

  // By the op in the file: the reference runs Expand as a Slice (steps 0 on broadcast axes).
  const nodeOf = (op: string) => ref.nodes.findIndex((n) => n.onnxOp === op);
  const padNode = nodeOf("Pad");
  const padShape = ref.nodes[padNode].outputs[0].shape;
  const reachesOutput = (node: number, element: number) =>
    toHex(
      buildPartyView(model, [input], lieFrom(ref, inputs, outputs, node, element)).trace.outputs[last][0]
        .root,
    ) !== toHex(honest.trace.outputs[last][0].root);
  // The last element whose lie survives to the graph output (a Clip or a MaxPool window may
  // absorb a lie on an element that is not its window's maximum).
  const lastVisible = (node: number) => {
    for (let e = numelOf(ref.nodes[node].outputs[0].shape) - 1; e >= 0; e--)
      if (reachesOutput(node, e)) return e;
    return -1;
  };
  const cases = [
    ...["Neg", "Abs", "MaxPool", "ConvInteger", "Slice", "Pad", "Tile", "Expand", "Concat"].map((op) => ({
      label: op,
      node: nodeOf(op),
      element: lastVisible(nodeOf(op)),
    })),
    // Row 1, column 0 of the Pad output: a copied element (row 0 and the last two columns pad).
    { label: "Pad (a copied element)", node: padNode, element: padShape[1] },
    // Row 0, column 3 of the MaxPool output: its window's top row is padding (steps that open
    // nothing), the bottom row is input.
    { label: "MaxPool (a window half in the padding)", node: nodeOf("MaxPool"), element: 3 },
    // Row 0 of either filter's ConvInteger output: its window's top row is padding.
    {
      label: "ConvInteger (a window half in the padding)",
      node: nodeOf("ConvInteger"),
      element:
        [0, 1, 2, 3, 4, 5, 6, 7, 32, 33, 34, 35, 36, 37, 38, 39].find((e) =>
          reachesOutput(nodeOf("ConvInteger"), e),
        ) ?? -1,
    },
  ];

  // The same windows with the lie in the fold chain from step 1 on: the one step is a padding
  // step (no opening; MaxPool's operand the dtype minimum, ConvInteger's the x zero point).
  const paddingStepCases = cases
    .filter((c) => c.label.includes("half in the padding"))
    .map((c) => ({
      ...c,
      label: `${c.label.split(" (")[0]} (a wrong state at step 1, in the padding)`,
      step1: true,
    }));
  for (const { label, node, element, step1 } of [...cases, ...paddingStepCases] as ((typeof cases)[number] & {
    step1?: boolean;
  })[]) {
    await t.test(label, async (t) => {
      t.ok(node >= 0 && node < last, `the model has a ${label} node before its output`);
      const lie = lieFrom(ref, inputs, outputs, node, element);
      t.ok(
        element >= 0 && reachesOutput(node, element),
        `the lie at element ${element} reaches the graph output`,
      );
      const liar = buildPartyView(model, [input], lie);
      const claim = testClaim(b, {
        jobId: toHex(sha256(u32be(++job))),
        modelId,
        inputRoot: toHex(tensorListRoot([input])),
        outputRoot: toHex(sha256(liar.trace.outputs[last][0].root)),
        traceRoot: toHex(liar.trace.root),
      });
      const w = b.wallet(WORKER);
      const signature: Hex = await w.signTypedData({
        domain: { ...domain, chainId: Number(domain.chainId) },
        types: typesFor("Claim"),
        primaryType: "Claim",
        message: claim,
      } as unknown as Parameters<typeof w.signTypedData>[0]);
      const { disputeId } = await game.as(b.wallet(CHALLENGER)).open(claim, signature);
      const play = step1 ? playWithFoldLieFromStep1 : playToEnd;
      const played = await play(
        disputeId,
        { game: game.as(b.wallet(WORKER)), view: liar },
        { game: game.as(b.wallet(CHALLENGER)), view: honest },
      );
      t.equal(played.winner, Winner.challenger, "the honest challenger wins");
      const dispute = await game.getDispute(disputeId);
      t.same([dispute.nodeIndex, dispute.element], [node, BigInt(element)], "at the lied node and element");
      if (step1) t.same([dispute.kLo, dispute.kHi], [0n, 1n], "the one step is step 1 (a padding position)");
      const step = played.moves[played.moves.length - 1];
      t.equal(step.kind, "oneStep", "decided by the one-step proof");
      t.ok(step.gas <= ONE_STEP_GAS_LIMIT, `one-step gas ${step.gas} <= ${ONE_STEP_GAS_LIMIT}`);
    });
  }
});
