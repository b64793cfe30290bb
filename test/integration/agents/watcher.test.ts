/**
 * Issue 5, must show (part 1): one honest `verdict watch` process, with a real `verdict
 * sequencer` on the embedded L1 over HTTP, catches lying claimers and gets them slashed: a wrong
 * element deep in the graph (the liar answers every move and loses the one step), and a claimer
 * that never answers (timed out). Honest claims across several jobs are never disputed.
 */
import t from "tap";
import type { Hex } from "viem";
import { Winner } from "../../../verifier/game/planner.ts";
import {
  BOND,
  CLOCK,
  claimWith,
  honest,
  increaseL1Time,
  kill,
  lieAt,
  MIN_STAKE,
  spawnWatcher,
  startDefendedRig,
  WATCHER,
} from "./harness.ts";

t.test("one honest watcher against lying and honest claimers", async (t) => {
  const { rig, views, liar, stake, bond } = await startDefendedRig(t);
  const w = await spawnWatcher(rig);
  t.teardown(() => kill(w));
  const ended = (claimKey: Hex) =>
    w.waitFor((l) => l.msg === "dispute ended" && l.claimKey === claimKey, 240_000);
  const disputeOf = (claimKey: Hex) =>
    BigInt(w.log.find((l) => l.msg === "dispute opened" && l.claimKey === claimKey)?.disputeId as string);

  await t.test("a wrong MatMulInteger element deep in the graph: caught and slashed", async (t) => {
    const before = await stake();
    const c = await claimWith(rig, 1, lieAt(rig, 5, 7));
    views.set(c.claimKey, c.view);
    const e = await ended(c.claimKey);
    t.equal(e.outcome, "won", "the watcher won");
    const id = disputeOf(c.claimKey);
    t.equal((await rig.game.getDispute(id)).winner, Winner.challenger, "on chain: challenger won");
    t.ok(await rig.game.claimInvalidated(c.claimKey), "claim invalidated");
    t.equal(before - (await stake()), MIN_STAKE, "worker slashed by the minimum stake");
    const b = await bond(WATCHER);
    t.equal(b.locked, 0n, "no bond left locked");
    t.equal(b.free, BOND + MIN_STAKE / 2n, "bond back plus half the slash");
    t.ok(liar.played.has(id), "the liar answered moves");
    t.ok(Object.keys(e.moves as object).length > 3, `moves by kind: ${JSON.stringify(e.moves)}`);
    t.equal((await rig.job(c.jobId)).status, "refunded", "L2: job refunded once the loss is derived");
  });

  await t.test("a claimer that never answers: timed out and slashed", async (t) => {
    const before = await stake();
    const c = await claimWith(rig, 2, lieAt(rig, 0, 3)); // not in `views`: the liar stays silent
    await w.waitFor((l) => l.msg === "dispute opened" && l.claimKey === c.claimKey, 120_000);
    await increaseL1Time(rig, Number(CLOCK) + 5);
    const e = await ended(c.claimKey);
    t.equal(e.outcome, "won", "won on time");
    t.same(e.moves, { openDispute: 1, timeout: 1 }, "opened, then called timeout");
    t.equal(before - (await stake()), MIN_STAKE, "worker slashed");
  });

  await t.test("honest claims across several jobs: none disputed, nobody slashed", async (t) => {
    const before = await stake();
    const disputesBefore = await rig.game.clients.publicClient.readContract({
      address: rig.game.address,
      abi: (await import("../../../contracts/artifacts/DisputeGame.ts")).disputeGameAbi,
      functionName: "disputeCount",
    });
    const keys: Hex[] = [];
    for (let s = 10; s < 16; s++) keys.push((await claimWith(rig, s, honest(rig))).claimKey);
    for (const k of keys) {
      const l = await w.waitFor((l) => l.msg === "claim checked" && l.claimKey === k, 120_000);
      t.equal(l.verdict, "agree", `claim ${k.slice(0, 10)} agrees`);
    }
    const disputesAfter = await rig.game.clients.publicClient.readContract({
      address: rig.game.address,
      abi: (await import("../../../contracts/artifacts/DisputeGame.ts")).disputeGameAbi,
      functionName: "disputeCount",
    });
    t.equal(disputesAfter, disputesBefore, "no dispute opened");
    t.equal(await stake(), before, "the honest worker's stake is untouched");
  });
});
