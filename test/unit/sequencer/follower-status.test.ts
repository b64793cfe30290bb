/** FollowerStatus (sequencer/follower-status.ts): when a follower counts as stale or lagging. */
import t from "tap";
import { FollowerStatus } from "../../../sequencer/follower-status.ts";

t.test("stale, lagging and in step, by an injected clock", async (t) => {
  let now = 1_000;
  const s = new FollowerStatus(() => now, { staleAfterMs: 5_000, maxLag: 3 });
  t.same(s.report(0), { ok: true, leaderHead: null, lag: null, sinceLeaderMs: null }, "just started");
  now += 6_000;
  t.match(s.report(0), { ok: false, reason: "no contact with the leader in 6 s since start" });
  s.failed("connect ECONNREFUSED");
  t.match(s.report(0), { ok: false, lastError: "connect ECONNREFUSED" });

  s.pulled(10);
  t.match(s.report(4), { ok: false, lag: 6, reason: "6 blocks behind the leader (at most 3)" });
  t.notOk("lastError" in s.report(4), "an answer clears the last error");
  t.same(s.report(7), { ok: true, leaderHead: 10, lag: 3, sinceLeaderMs: 0 });

  s.heard(12); // gossip: at least this head
  s.heard(11);
  t.equal(s.report(12).leaderHead, 12, "gossip never lowers the head");
  s.pulled(9); // a restarted leader's own word
  t.equal(s.report(9).leaderHead, 9, "a pull is believed");

  now += 5_001;
  s.failed("timeout");
  t.match(s.report(9), { ok: false, reason: "leader last heard from 5 s ago", lastError: "timeout" });
});
