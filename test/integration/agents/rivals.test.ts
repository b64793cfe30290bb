/**
 * Issue 5, must show (part 3): two watchers disputing the same wrong claim do not lose bonds to each other (one wins,
 * the other's dispute ends void with its bond back).
 */
import t from "tap";
import type { Hex } from "viem";
import { Winner } from "../../../verifier/game/planner.ts";
import {
  BOND,
  claimWith,
  kill,
  lieAt,
  MIN_STAKE,
  spawnWatcher,
  startDefendedRig,
  WATCHER,
  WATCHER2,
} from "./harness.ts";

t.test("two watchers on one claim", async (t) => {
  const { rig, views, stake, bond } = await startDefendedRig(t);

  await t.test("two watchers on the same wrong claim: neither loses its bond", async (t) => {
    const a = await spawnWatcher(rig, { account: WATCHER });
    const b = await spawnWatcher(rig, { account: WATCHER2 });
    t.teardown(() => Promise.all([kill(a), kill(b)]));
    const before = await stake();
    const c = await claimWith(rig, 31, lieAt(rig, 5, 13));
    views.set(c.claimKey, c.view);
    const done = (w: typeof a) =>
      w.waitFor(
        (l) =>
          l.claimKey === c.claimKey &&
          (l.msg === "dispute ended" ||
            l.msg === "claim already invalidated by another dispute; not opening"),
        240_000,
      );
    const [ea, eb] = await Promise.all([done(a), done(b)]);
    const outcomes = [ea, eb].map((l) => (l.msg === "dispute ended" ? (l.outcome as string) : "void")).sort();
    t.same(outcomes, ["void", "won"], "one watcher won, the other's dispute ended void");
    t.equal(before - (await stake()), MIN_STAKE, "the worker is slashed once");
    const [ba, bb] = [await bond(WATCHER), await bond(WATCHER2)];
    t.equal(ba.locked + bb.locked, 0n, "no bond left locked");
    // both started with no bond and deposited one challenger bond each
    const winner = ea.outcome === "won" ? "a" : "b";
    t.equal(
      winner === "a" ? ba.free : bb.free,
      BOND + MIN_STAKE / 2n,
      "winner: bond back plus half the slash",
    );
    t.equal(winner === "a" ? bb.free : ba.free, BOND, "the other: its whole bond back");
    const ids: Hex[] = [];
    for (const l of [...a.log, ...b.log])
      if (l.msg === "dispute opened" && l.claimKey === c.claimKey) ids.push(l.disputeId as Hex);
    for (const id of ids) {
      const d = await rig.game.getDispute(BigInt(id));
      t.not(d.winner, Winner.claimer, `dispute ${id}: the claimer won nothing`);
    }
  });
});
