/** Shared fetches: joined by concurrent callers, kept alive for a retry, cooled down after abort. */
import t from "tap";
import { Inflight } from "../../../content/inflight.ts";

// AbortSignal.timeout timers do not keep the process alive; this does, while the tests run
const keepAlive = setInterval(() => {}, 1000);
t.teardown(() => clearInterval(keepAlive));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new AbortController().signal;

t.test("concurrent callers share one fetch; one giving up does not end it", async (t) => {
  const f = new Inflight<string>({ graceMs: 1000 });
  let starts = 0;
  let release!: (v: string) => void;
  const fetch = () => {
    starts++;
    return new Promise<string>((r) => {
      release = r;
    });
  };
  const a = f.run("k", fetch, never());
  const quick = f.run("k", fetch, AbortSignal.timeout(20));
  await t.rejects(quick, { name: "TimeoutError" }, "the impatient caller gets its own abort reason");
  release("v");
  t.equal(await a, "v");
  t.equal(starts, 1, "one fetch");
  t.equal(f.size, 0, "dropped once settled");
});

t.test("a retry within the grace period joins the running fetch", async (t) => {
  const f = new Inflight<string>({ graceMs: 500 });
  let starts = 0;
  let aborted = false;
  const fetch = (s: AbortSignal) => {
    starts++;
    s.addEventListener("abort", () => {
      aborted = true;
    });
    return new Promise<string>((r) => setTimeout(() => r("late"), 150));
  };
  await t.rejects(f.run("k", fetch, AbortSignal.timeout(20)));
  t.equal(await f.run("k", fetch, never()), "late");
  t.equal(starts, 1);
  t.notOk(aborted, "the fetch was never aborted");
});

t.test("after the grace period the fetch is aborted; a new one waits out the cooldown", async (t) => {
  const f = new Inflight<string>({ graceMs: 30, cooldownMs: 80 });
  const starts: number[] = [];
  const fetch = (s: AbortSignal) => {
    starts.push(Date.now());
    return new Promise<string>((resolve, reject) => {
      s.addEventListener("abort", () => reject(s.reason));
      if (starts.length === 2) resolve("second");
    });
  };
  await t.rejects(f.run("k", fetch, AbortSignal.timeout(10)));
  await sleep(50); // grace over: aborted, cooling
  const t0 = Date.now();
  t.equal(await f.run("k", fetch, never()), "second");
  t.equal(starts.length, 2);
  t.ok(starts[1] - t0 >= 20, "the second fetch started only after the cooldown");
});

t.test("idle fetches beyond maxEntries end at once; errors reach every caller; clear aborts", async (t) => {
  const f = new Inflight<string>({ graceMs: 10_000, maxEntries: 1 });
  const signals: AbortSignal[] = [];
  const hang = (s: AbortSignal) => {
    signals.push(s);
    return new Promise<string>((_, reject) => s.addEventListener("abort", () => reject(s.reason)));
  };
  await t.rejects(f.run("a", hang, AbortSignal.timeout(5)));
  await t.rejects(f.run("b", hang, AbortSignal.timeout(5)));
  await t.rejects(f.run("c", hang, AbortSignal.timeout(5)));
  t.ok(signals.filter((s) => s.aborted).length >= 1, "over the cap: aborted without grace");
  const boom = () => Promise.reject(new Error("boom"));
  await t.rejects(Promise.all([f.run("x", boom, never()), f.run("x", boom, never())]), /boom/);
  f.clear();
  t.ok(
    signals.every((s) => s.aborted),
    "clear aborts everything",
  );
  t.equal(f.size, 0);
});
