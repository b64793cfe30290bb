/**
 * Issue 18, "a refusal the watcher cannot get past is an alert, not a silent retry loop": the real
 * GameScheduler against the real contracts on the embedded chain. (1) An openDispute the contract
 * refuses every time (a claim signature with v = 0/1, attack 9's shape) and (2) a one step the
 * contract refuses every time (a challenger whose view was run on another input: its input
 * bindings never match the job's inputRoot) each raise one error log naming the revert and
 * verdict_watcher_stuck_games; in (2) the game still ends (the claimer times us out) and the
 * gauge comes back to 0.
 */
import t from "tap";
import type { Hex } from "viem";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { Phase, planClaimerMove, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { mlpFixture, tamper } from "../../helpers/dispute.ts";
import { CHALLENGER, CLOCK, setupGame, WORKER } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { until } from "../../helpers/until.ts";
import { type WatcherRig, watcherRig } from "../../helpers/watcher-rig.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const honest = buildPartyView(f.model, [f.input], f.outputs);

const stuckGauge = async (m: WatcherRig["metrics"]) => (await m.stuckGames.get()).values[0]?.value ?? 0;

t.test("an openDispute refused every time is one alert naming the revert", async (t) => {
  // A liar's claim (so opening is right), signed with v = 0/1 instead of 27/28.
  const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 2, 0));
  const g = await setupGame(b, f, liar);
  const v = Number.parseInt(g.signature.slice(-2), 16);
  const bad = `${g.signature.slice(0, -2)}${(v - 27).toString(16).padStart(2, "0")}` as Hex;
  const direct = await g
    .as(CHALLENGER)
    .openPlanned(g.claim, bad, { kind: "openDispute" })
    .then(
      () => undefined,
      (e: { errorName?: string }) => e.errorName,
    );
  t.ok(direct, `the contract refuses the signature (${direct})`);
  const r = await watcherRig(t, b, g, bad, honest);
  r.scheduler.start(r.record);
  const alert = await until(
    "the stuck alert",
    () => r.lines.find((l) => l.level === 50 && l.revert === direct),
    120_000,
    20,
  );
  t.equal(alert.move, "openDispute", "names the move");
  t.equal(alert.times, 3, "after the same refusal three times in a row");
  t.equal(await stuckGauge(r.metrics), 1, "verdict_watcher_stuck_games = 1");
  t.match((await r.store.get(r.record.claimKey))?.reason, /stuck: openDispute refused 3 times/);
  await new Promise((res) => setTimeout(res, 500));
  t.equal(
    r.lines.filter((l) => l.level === 50).length,
    1,
    "one alert, not one per retry, while it keeps trying",
  );
  t.same(r.released, [], "nothing released while the game's task runs");
  await r.scheduler.stop();
  t.equal(await stuckGauge(r.metrics), 0, "the gauge drops when the game's task ends");
  t.same(r.released, [`${r.record.claimKey} opening`], "its cache released once the task ended");
});

t.test("a one step refused every time is an alert, and the game still ends", async (t) => {
  // The challenger ran the model on another input: its trace differs from node 0 on, and every
  // one step it builds binds inputs the job's inputRoot does not commit (InputNotBound).
  const other = new Int8Array(f.input.data as Int8Array).map((x) => (x === 127 ? 0 : x + 1));
  const run = runModel(f.model.model, [{ dtype: 3, shape: [...f.input.shape], data: other }]);
  const wrongInput = buildPartyView(f.model, [{ ...f.input, data: other }], run.nodeOutputs);
  const g = await setupGame(b, f, honest);
  const r = await watcherRig(t, b, g, g.signature, wrongInput);
  r.scheduler.start(r.record);
  // The honest claimer answers with the real planner until the challenger is due a one step.
  const claimer = g.as(WORKER);
  const id = await until("the dispute", async () => {
    const rec = await r.store.get(r.record.claimKey);
    return rec?.disputeId ? BigInt(rec.disputeId) : undefined;
  });
  let alerted: Record<string, unknown> | undefined;
  for (;;) {
    alerted = r.lines.find((l) => l.level === 50 && l.move === "oneStep");
    if (alerted) break;
    const view = await claimer.readGame(id);
    if (view.dispute.phase === Phase.resolved) break;
    const move = planClaimerMove(honest, view);
    if (move) await claimer.play(id, move);
    else await new Promise((res) => setTimeout(res, 20));
  }
  t.ok(alerted, "the one step's refusal raised the alert");
  t.equal(alerted?.revert, "InputNotBound", "naming the revert");
  t.equal(await stuckGauge(r.metrics), 1, "verdict_watcher_stuck_games = 1");
  // The challenger's clock runs out; the claimer ends the game.
  await b.increaseTime(Number(CLOCK) + 5);
  await claimer.timeout(id);
  t.equal((await g.game.getDispute(id)).winner, Winner.claimer, "the honest claimer wins on time");
  await r.scheduler.idle();
  t.equal((await r.store.get(r.record.claimKey))?.status, "lost");
  t.equal(await stuckGauge(r.metrics), 0, "the gauge is back to 0 once the game ended");
  t.same(r.released, [`${r.record.claimKey} lost`], "its view released once, when the game ended");
});
