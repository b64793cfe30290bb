/** UploadQuota (content/upload-quota.ts): bytes per client per window, refilled continuously. */
import t from "tap";
import { UploadQuota } from "../../../content/upload-quota.ts";

t.test("a token bucket of bytes per client", async (t) => {
  let now = 0;
  const q = new UploadQuota({ bytesPerWindow: 1000, windowMs: 10_000 }, () => now);
  t.same(q.take("a", 600), { ok: true });
  t.same(q.take("a", 500), { ok: false, retryAfterMs: 1000, available: 400 }, "refused: nothing taken");
  t.equal(q.available("a"), 400);
  t.same(q.take("b", 1000), { ok: true }, "each client has its own");
  t.same(
    q.check("b", 1001),
    { ok: false, retryAfterMs: 10_010, available: 0 },
    "never more than a window at once",
  );
  now += 1000;
  t.same(q.take("a", 500), { ok: true });
  now += 100_000;
  t.equal(q.available("a"), 1000, "refilled up to the window, no further");
  t.throws(() => new UploadQuota({ windowMs: 0 }), /windowMs must be a positive integer, got 0/);
});
