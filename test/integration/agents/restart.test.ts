/**
 * Issue 5, must show (part 2): a `verdict watch` process SIGKILLed in the middle of a game and
 * started again on the same data dir resumes from its level records and the chain, and still
 * wins.
 */
import t from "tap";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import { claimWith, kill, lieAt, MIN_STAKE, spawnWatcher, startDefendedRig, WATCHER } from "./harness.ts";

t.test("a watcher killed mid-game", async (t) => {
  const { rig, views, stake, bond } = await startDefendedRig(t);

  await t.test("SIGKILL mid-game, restart on the same data dir: resumes and wins", async (t) => {
    const w1 = await spawnWatcher(rig);
    const before = await stake();
    const c = await claimWith(rig, 21, lieAt(rig, 5, 11));
    views.set(c.claimKey, c.view);
    // killed right after its second move of the game: the dispute is open and mid-descent
    await w1.waitFor(
      (l) => l.msg === "move sent" && l.claimKey === c.claimKey && l.kind !== "openDispute",
      180_000,
    );
    await kill(w1, "SIGKILL");
    const opened = w1.log.find((l) => l.msg === "dispute opened" && l.claimKey === c.claimKey);
    const id = BigInt(opened?.disputeId as string);
    t.not((await rig.game.getDispute(id)).phase, Phase.resolved, "the game is still running when killed");

    const w2 = await spawnWatcher(rig, { dataDir: w1.dataDir });
    t.teardown(() => kill(w2));
    const started = w2.log.find((l) => l.msg === "watcher started");
    t.equal(started?.resumed, 1, "one unfinished game resumed from the store");
    const e = await w2.waitFor((l) => l.msg === "dispute ended" && l.claimKey === c.claimKey, 240_000);
    t.equal(e.outcome, "won", "the restarted watcher won");
    t.notOk(
      w2.log.some((l) => l.msg === "dispute opened" && l.claimKey === c.claimKey),
      "it did not open a second dispute",
    );
    t.equal((await rig.game.getDispute(id)).winner, Winner.challenger, "on chain: challenger won");
    t.equal(before - (await stake()), MIN_STAKE, "worker slashed");
    t.equal((await bond(WATCHER)).locked, 0n, "no bond left locked");
    await kill(w2);
  });
});
