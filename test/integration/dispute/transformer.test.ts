/**
 * The dispute game on the reference transformer (150 nodes, two trace descent rounds, tensors of
 * up to 128 chunks): a lying claimer loses on a wrong Reshape, Transpose and ReduceMax element
 * (the last element of the op's largest output: the rightmost descent), and an honest claimer
 * wins against a challenger that lies about a Transpose.
 */

import t from "tap";
import { type Hex, parseEther } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { claimDomain, typesFor } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import { commitModel, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { testClaim } from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const WORKER = 1;
const CHALLENGER = 2;
const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function tamperLast(outputs: TensorData[][], node: number): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((x) => {
      if (i !== node) return x;
      const e = numelOf(x.shape) - 1;
      const data = (x.data as Int32Array).slice();
      data[e] = data[e] === 127 || data[e] === 255 ? data[e] - 1 : data[e] + 1;
      return { ...x, data };
    }),
  );
}

t.test("dispute games on the transformer", async (t) => {
  const bytes = encodeOnnx(buildTransformerLm());
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const decl = pm.inputs[0];
  const inData = new Uint8Array(numelOf(decl.shape)).map((_, i) => (i * 7 + 3) % 256);
  const input: TensorData = { dtype: decl.dtype, shape: decl.shape, data: inData };
  const outputs = runModel(pm, [{ dtype: decl.dtype, shape: [...decl.shape], data: inData }]).nodeOutputs;
  const honest = buildPartyView(model, [input], outputs);

  // The same games on the embedded chain and on a real anvil node (one each for the file).
  for (const backend of [embeddedBackend, anvilBackend]) {
    await t.test(backend === embeddedBackend ? "on the embedded chain" : "on anvil", async (t) => {
      const b: L1Backend = await backend();
      t.teardown(() => b.close());
      const d = await deployBridge(b.clients(0), {
        challengeWindow: 100n,
        unbondingDelay: 100_000n,
        minWorkerStake: parseEther("1"),
        challengerBond: parseEther("0.1"),
      });
      const { modelId } = await d.bridge.registerCommittedModel(model);
      await d.bridge.as(b.wallet(WORKER)).stake(parseEther("10"));
      await d.bridge.as(b.wallet(CHALLENGER)).depositBond(parseEther("1"));
      const game = new DisputeGameContract(b.clients(0), d.disputeGame);
      const domain = claimDomain(BigInt(await b.clients().publicClient.getChainId()), d.address);
      let job = 0;

      async function runDispute(claimer: PartyView, challenger: PartyView) {
        const claim = testClaim(b, {
          jobId: toHex(sha256(u32be(++job))),
          modelId,
          inputRoot: toHex(tensorListRoot([input])),
          outputRoot: toHex(sha256(claimer.trace.outputs[model.nodeCount - 1][0].root)),
          traceRoot: toHex(claimer.trace.root),
        });
        const w = b.wallet(WORKER);
        const signature: Hex = await w.signTypedData({
          domain: { ...domain, chainId: Number(domain.chainId) },
          types: typesFor("Claim"),
          primaryType: "Claim",
          message: claim,
        } as unknown as Parameters<typeof w.signTypedData>[0]);
        const { disputeId } = await game.as(b.wallet(CHALLENGER)).open(claim, signature);
        const played = await playToEnd(
          disputeId,
          { game: game.as(b.wallet(WORKER)), view: claimer },
          { game: game.as(b.wallet(CHALLENGER)), view: challenger },
        );
        return { played, dispute: await game.getDispute(disputeId) };
      }

      const lastOf = (op: string) => honest.ref.nodes.findLastIndex((n) => n.op === op);
      for (const op of ["Reshape", "Transpose", "ReduceMax"]) {
        await t.test(`a wrong ${op} element loses`, async (t) => {
          const node = lastOf(op);
          t.ok(node >= 0, `the transformer has a ${op}`);
          const liar = buildPartyView(model, [input], tamperLast(outputs, node));
          const { played, dispute } = await runDispute(liar, honest);
          t.equal(played.winner, Winner.challenger, "the challenger wins");
          t.equal(dispute.nodeIndex, node, `narrowed to the ${op} node`);
          t.equal(
            dispute.element,
            BigInt(numelOf(honest.ref.nodes[node].outputs[0].shape) - 1),
            "and to its last element",
          );
          t.equal(played.moves.filter((m) => m.kind === "pickTraceChild").length, 2, "two trace rounds");
        });
      }

      await t.test("an honest claimer beats a challenger lying about a Transpose", async (t) => {
        const liar = buildPartyView(model, [input], tamperLast(outputs, lastOf("Transpose")));
        const { played } = await runDispute(honest, liar);
        t.equal(played.winner, Winner.claimer);
        t.equal(played.moves[played.moves.length - 1].kind, "oneStep");
      });
    });
  }
});
