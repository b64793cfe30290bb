/**
 * ArgMax through the dispute game: the fold whose output is the index packed in the final state
 * (s_K >> 64 = v). A claimer that lies about an ArgMax index loses at the last fold step; an
 * honest claimer beats a challenger that lies about it; a final state whose index is not the
 * claimed value is refused (FinalStateMismatch).
 */

import t from "tap";
import { type Hex, parseEther } from "viem";
import type { BridgeRevert } from "../../../bridge/bridge.ts";
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
import { runModel } from "../../../prover-trace/reference/run.ts";
import {
  type Move,
  Phase,
  planChallengerMove,
  planClaimerMove,
  Winner,
} from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { testClaim } from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const WORKER = 1;
const CHALLENGER = 2;

t.test("ArgMax disputes", async (t) => {
  const g = new GraphBuilder("argmax");
  const x = g.input("x", "int8", [2, 40]);
  const h = g.op("Relu", [x]);
  const a = g.op("ArgMax", [h], { axis: 1, keepdims: 0 });
  g.output(a, "int64", [2]);
  const bytes = encodeOnnx(g.build());
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(80).map((_, i) => ((i * 53) % 200) - 100);
  const input: TensorData = { dtype: 3, shape: [2, 40], data };
  const outputs = runModel(pm, [{ dtype: 3, shape: [2, 40], data }]).nodeOutputs;
  const honest = buildPartyView(model, [input], outputs);
  const truth = (outputs[1][0].data as BigInt64Array)[1];
  const lie = outputs.map((outs, i) =>
    outs.map((o) => {
      if (i !== 1) return o;
      const d = (o.data as BigInt64Array).slice();
      d[1] = d[1] === 0n ? 1n : 0n;
      return { ...o, data: d };
    }),
  );
  const liar = buildPartyView(model, [input], lie);

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
      async function open(claimer: PartyView) {
        const claim = testClaim(b, {
          jobId: toHex(sha256(u32be(++job))),
          modelId,
          inputRoot: toHex(tensorListRoot([input])),
          outputRoot: toHex(sha256(claimer.trace.outputs[1][0].root)),
          traceRoot: toHex(claimer.trace.root),
        });
        const w = b.wallet(WORKER);
        const signature: Hex = await w.signTypedData({
          domain: { ...domain, chainId: Number(domain.chainId) },
          types: typesFor("Claim"),
          primaryType: "Claim",
          message: claim,
        } as unknown as Parameters<typeof w.signTypedData>[0]);
        return (await game.as(b.wallet(CHALLENGER)).open(claim, signature)).disputeId;
      }
      const claimerGame = game.as(b.wallet(WORKER));
      const challengerGame = game.as(b.wallet(CHALLENGER));

      await t.test("a lying claimer loses at the last step", async (t) => {
        const id = await open(liar);
        // Play to the first fold post and try a final state whose index is not the claimed one.
        for (;;) {
          const view = await game.readGame(id);
          if (view.dispute.phase === Phase.foldPost) {
            const post = planClaimerMove(liar, view) as Move & { kind: "postFoldStates" };
            t.equal(post.finalState >> 64n, view.dispute.value, "the posted s_K carries the claimed index");
            try {
              await claimerGame.play(id, { ...post, finalState: truth << 64n });
              t.fail("a final state for another index was accepted");
            } catch (err) {
              t.equal((err as BridgeRevert).errorName, "FinalStateMismatch", "FinalStateMismatch");
            }
            break;
          }
          const c = planClaimerMove(liar, view);
          if (c) await claimerGame.play(id, c);
          else await challengerGame.play(id, planChallengerMove(honest, view) as Move);
        }
        const played = await playToEnd(
          id,
          { game: claimerGame, view: liar },
          { game: challengerGame, view: honest },
        );
        t.equal(played.winner, Winner.challenger);
        const dispute = await game.getDispute(id);
        t.same([dispute.nodeIndex, dispute.element], [1, 1n], "the ArgMax node, element 1");
        t.equal(dispute.kHi - dispute.kLo, 1n, "one fold step");
      });

      await t.test("an honest claimer beats a lying challenger", async (t) => {
        const id = await open(honest);
        const played = await playToEnd(
          id,
          { game: claimerGame, view: honest },
          { game: challengerGame, view: liar },
        );
        t.equal(played.winner, Winner.claimer);
      });
    });
  }
});
