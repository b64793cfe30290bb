/**
 * Attack 7 of issue 18, padding the trace tree (and the chunk trees): a claim whose every real
 * value is honest but whose trace tree (or one output's chunk tree) holds a non-zero hash in a
 * padding leaf. Its traceRoot differs from the honest one, so the honest watcher disputes it;
 * before the fix the contract never let anyone pick a padding child and the honest challenger
 * lost on time. Now padding is a constant the contract checks (docs/commitments.md "Canonical
 * shapes"): the real planners play the game on the real contracts on the embedded chain, the
 * honest challenger names the padding child, wins, and the liar is slashed; a challenger that
 * names an empty padding child is refused.
 */
import t, { type Test } from "tap";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { type MlpFixture, mlpFixture } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  MIN_STAKE,
  playOut,
  rejectsWith,
  STAKE,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { chunkPaddingLiar, tracePaddingLiar } from "../../helpers/padding-liar.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());

async function liarLoses(t: Test, f: MlpFixture, liar: PartyView, honest: PartyView, why: RegExp) {
  const g = await setupGame(b, f, liar);
  t.not(
    g.claim.traceRoot,
    `0x${Buffer.from(honest.trace.root).toString("hex")}`,
    "the claim's traceRoot is not the honest one",
  );
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  const played = await playOut(g, disputeId, liar, honest);
  t.equal(played.winner, Winner.challenger, "the honest challenger wins");
  const [resolved] = await b.clients().publicClient.getContractEvents({
    address: g.d.disputeGame,
    abi: disputeGameAbi,
    eventName: "DisputeResolved",
    args: { disputeId },
    fromBlock: 0n,
  });
  t.match(resolved.args.reason, why, "on the padding check");
  t.ok(await g.game.claimInvalidated(await g.d.bridge.claimDigest(g.claim)), "the claim is invalidated");
  const stake = await g.d.bridge.stakeOf(b.accounts[WORKER].address);
  t.equal(stake.active, STAKE - MIN_STAKE, "the liar is slashed");
  t.same(await g.d.bridge.bondOf(b.accounts[CHALLENGER].address), {
    free: BOND + MIN_STAKE / 2n,
    locked: 0n,
  });
  return played;
}

t.test("attack 7: a non-zero padding leaf of the trace tree loses at level 1", async (t) => {
  const f = await mlpFixture();
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  t.equal(f.model.nodeCount, 11, "11 nodes: leaves 11..15 are padding");
  const played = await liarLoses(t, f, tracePaddingLiar(honest), honest, /padding of the trace tree/);
  t.same(
    played.moves.map((m) => m.kind),
    ["revealTraceChildren", "pickTraceChild"],
    "one reveal, and the pick of the padding child ends it",
  );
});

t.test("attack 7: a non-zero padding leaf of a chunk tree loses at level 2", async (t) => {
  // hidden = 600: node 0's output is 600 int32 = 3 chunks, so chunk leaf 3 is padding.
  const f = await mlpFixture(40, 600);
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  t.equal(honest.trace.outputs[0][0].chunkCount, 3);
  const played = await liarLoses(t, f, chunkPaddingLiar(honest, 0), honest, /padding of the chunk tree/);
  t.equal(played.moves.at(-1)?.kind, "pickChunkChild", "the pick of the padding chunk ends it");
});

t.test("an honest claimer's empty padding cannot be disputed", async (t) => {
  const f = await mlpFixture();
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  const g = await setupGame(b, f, honest);
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  const reveal = { kind: "revealTraceChildren" as const, children: childrenAtRoot(honest) };
  await g.as(WORKER).play(disputeId, reveal);
  for (const child of [11, 15]) {
    await rejectsWith(
      t,
      g.as(CHALLENGER).play(disputeId, { kind: "pickTraceChild", children: reveal.children, child }),
      "PaddingChildIsEmpty",
      `padding child ${child}`,
    );
  }
  t.equal((await g.game.getDispute(disputeId)).phase, Phase.tracePick, "the game goes on");
});

function childrenAtRoot(v: PartyView): `0x${string}`[] {
  const leaves = v.trace.levels[0];
  const out: `0x${string}`[] = [];
  for (let i = 0; i < 16; i++) {
    const leaf = i * 32 < leaves.length ? leaves.slice(i * 32, i * 32 + 32) : new Uint8Array(32);
    out.push(`0x${Buffer.from(leaf).toString("hex")}`);
  }
  return out;
}
