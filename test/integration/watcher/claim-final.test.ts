/**
 * A watcher that comes to a lie too late (L1 time past the claim's window, Bridge.claimFinalAt)
 * opens nothing: a dispute then would lose to proveClaimFinal and hand its bond to the liar. The
 * real GameScheduler with the real finality check (verifier/watcher/finality.ts) against the real
 * Bridge and DisputeGame on the embedded chain; the claim is in a batch whose claims root the
 * sequencer (the deployer) recorded. Inside the window it opens as before; an inclusion proof the
 * Bridge refuses, or none, is "not known final" and it opens too.
 */
import t from "tap";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { ClaimsTree } from "../../../protocol/claims.ts";
import type { ClaimInclusion } from "../../../sequencer/batch-claims.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { provenClaimInclusion } from "../../../verifier/claim-inclusion.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { claimFinalOnL1 } from "../../../verifier/watcher/finality.ts";
import { mlpFixture, tamper } from "../../helpers/dispute.ts";
import { CHALLENGER, type Game, setupGame } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { until } from "../../helpers/until.ts";
import { watcherRig } from "../../helpers/watcher-rig.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const honest = buildPartyView(f.model, [f.input], f.outputs);
const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 2, 0));
const pub = b.clients().publicClient;
const l1Now = async () => (await pub.getBlock({ blockTag: "latest" })).timestamp;

/** A liar's game whose claim the sequencer put in a batch and recorded on L1 (its window starts). */
async function recordedLie(): Promise<{ g: Game; inclusion: ClaimInclusion; window: bigint }> {
  const g = await setupGame(b, f, liar);
  const claimKey = await g.d.bridge.claimDigest(g.claim);
  const { batchIndex } = await g.d.bridge.postBatch({
    firstBlock: 1n,
    lastBlock: 1n,
    stateRoot: `0x${"11".repeat(32)}`,
    withdrawalRoot: `0x${"00".repeat(32)}`,
    // the Bridge checks the batch data against its hash: one byte stands in for the blocks
    txDataHash: batchDataHash(batchDataWithoutTxs()),
    txData: toHex(batchDataWithoutTxs()),
    cid: "0x01",
  });
  const claims = new ClaimsTree([claimKey]);
  await g.d.bridge.recordBatchClaims(batchIndex, claims.rootHex);
  const p = claims.proofOf(claimKey);
  if (!p) throw new Error("the claim is in its own tree");
  const { challengeWindow } = await g.d.bridge.config();
  return { g, inclusion: { ...p, batchIndex: Number(batchIndex), claimKey }, window: challengeWindow };
}

const bondDeposits = async (g: Game) =>
  (
    await pub.getContractEvents({
      address: g.d.address,
      abi: bridgeAbi,
      eventName: "BondDeposited",
      args: { challenger: b.accounts[CHALLENGER].address },
      fromBlock: 0n,
    })
  ).length;

t.test("a lie final on L1 before the watcher got to it: no dispute, no bond spent", async (t) => {
  const { g, inclusion, window } = await recordedLie();
  // the sequencer's proof as the watcher takes it, checked by the real Bridge
  const finalOnL1 = claimFinalOnL1({
    inclusion: (k) => provenClaimInclusion({ claimInclusion: async () => inclusion }, g.d.bridge, k),
    l1Now,
  });
  t.equal(await finalOnL1(inclusion.claimKey), undefined, "inside the window: not final");
  await b.increaseTime(Number(window) + 5);
  const finalAt = await finalOnL1(inclusion.claimKey);
  t.ok(finalAt !== undefined && finalAt <= (await l1Now()), `past the window: final at ${finalAt}`);

  const depositsBefore = await bondDeposits(g);
  const r = await watcherRig(t, b, g, g.signature, honest, { claimFinalOnL1: finalOnL1 });
  r.scheduler.start(r.record);
  await r.scheduler.idle();
  const rec = await r.store.get(r.record.claimKey);
  t.equal(rec?.status, "skipped", "the record ends skipped");
  t.equal(rec?.reason, "final on L1 before we opened", "naming why");
  t.ok(
    r.lines.find((l) => l.level === 40 && /final on L1 already/.test(String(l.msg))),
    "a warning says why",
  );
  t.same(await g.game.disputesOpened({ claimKey: r.record.claimKey }, 0n), [], "no dispute opened");
  t.equal(await bondDeposits(g), depositsBefore, "no bond deposited");
  t.same(r.released, [`${r.record.claimKey} skipped`], "its view released");
});

t.test("inside the window, or with no proof the Bridge accepts, the watcher opens", async (t) => {
  for (const [what, proof] of [
    ["inside the window", (i: ClaimInclusion) => i],
    ["a proof the Bridge refuses", (i: ClaimInclusion) => ({ ...i, leafIndex: 1, leafCount: 2 })],
    ["no proof from the sequencer", () => null],
  ] as const) {
    const { g, inclusion, window } = await recordedLie();
    // only the first keeps L1 inside the window; the others are past it and still must open
    if (what !== "inside the window") {
      await b.increaseTime(Number(window) + 5);
    }
    const finalOnL1 = claimFinalOnL1({
      inclusion: (k) =>
        provenClaimInclusion(
          { claimInclusion: async () => proof(inclusion) as ClaimInclusion | null },
          g.d.bridge,
          k,
        ),
      l1Now,
    });
    const r = await watcherRig(t, b, g, g.signature, honest, { claimFinalOnL1: finalOnL1 });
    r.scheduler.start(r.record);
    const id = await until(
      `${what}: the dispute`,
      async () => {
        const rec = await r.store.get(r.record.claimKey);
        return rec?.disputeId === undefined ? undefined : BigInt(rec.disputeId);
      },
      120_000,
      20,
    );
    t.equal((await g.game.getDispute(id)).claimKey, r.record.claimKey, `${what}: a dispute on the claim`);
    await r.scheduler.stop();
  }
});
