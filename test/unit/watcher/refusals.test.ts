/**
 * The refusal tracker (verifier/watcher/refusals.ts): the same move refused by the same revert
 * `threshold` times in a row makes a game stuck, once; anything else counts afresh; a tx that
 * lands ends the spell.
 */
import t from "tap";
import { RefusalTracker, STUCK_AFTER } from "../../../verifier/watcher/refusals.ts";

t.test("the same refusal three times: stuck once, then still stuck", async (t) => {
  const r = new RefusalTracker();
  t.equal(STUCK_AFTER, 3);
  t.same(r.refused("oneStep", "InputNotBound"), { kind: "retry", times: 1 });
  t.same(r.refused("oneStep", "InputNotBound"), { kind: "retry", times: 2 });
  t.notOk(r.stuck);
  t.same(r.refused("oneStep", "InputNotBound"), { kind: "stuck", times: 3 }, "alert on the third");
  t.ok(r.stuck);
  t.same(r.refused("oneStep", "InputNotBound"), { kind: "stillStuck", times: 4 }, "no second alert");
  t.same(
    r.refused("timeout", "NotTimedOut"),
    { kind: "stillStuck", times: 1 },
    "another refusal: still stuck",
  );
  t.equal(r.progressed(), true, "a landed tx ends the stuck spell");
  t.notOk(r.stuck);
  t.equal(r.progressed(), false, "nothing to end");
  t.same(r.refused("oneStep", "InputNotBound"), { kind: "retry", times: 1 }, "counting starts afresh");
});

t.test("alternating refusals are not one stuck move", async (t) => {
  const r = new RefusalTracker(2);
  for (let i = 0; i < 10; i++) {
    t.equal(r.refused("pickTraceChild", "WrongPhase").kind, "retry");
    t.equal(r.refused("timeout", "NotTimedOut").kind, "retry");
  }
  t.same(r.refused("timeout", "NotTimedOut"), { kind: "stuck", times: 2 });
});

t.test("a bad threshold is refused", async (t) => {
  t.throws(() => new RefusalTracker(0), RangeError);
  t.throws(() => new RefusalTracker(1.5), RangeError);
});
