/**
 * The Kubo backend against endpoints that lie. The honest endpoint is this project's Kubo-RPC
 * subset over a real Helia store (no Kubo daemon can be installed here); the lying one proxies
 * it and alters what it returns, so every check in content/kubo.ts meets real HTTP.
 */
import Fastify from "fastify";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { openKuboContent } from "../../../content/kubo.ts";
import { registerContentRoutes } from "../../../content/routes.ts";
import { fileCid } from "../../../protocol/cid.ts";

const CH = 262_144;
const data = new Uint8Array(2 * CH + 5).map((_, i) => (i * 31) & 0xff);

t.test("a lying Kubo endpoint is caught", async (t) => {
  const store = await openHeliaContent();
  t.teardown(() => store.close());
  const honest = Fastify();
  await registerContentRoutes(honest, store);
  const honestUrl = await honest.listen({ host: "127.0.0.1", port: 0 });
  t.teardown(() => honest.close());

  const mode = { value: "flip" };
  const evil = Fastify();
  evil.addContentTypeParser("*", { parseAs: "buffer" }, (_r, b, done) => done(null, b));
  evil.post("/api/v0/block/get", async (req, reply) => {
    const q = new URLSearchParams(req.url.split("?")[1]);
    const r = await fetch(`${honestUrl}/api/v0/block/get?${q}`, { method: "POST" });
    const b = new Uint8Array(await r.arrayBuffer());
    if (mode.value === "flip" && b.length > 1000) b[500] ^= 1;
    if (mode.value === "error")
      return reply.status(500).send({ Message: "blockstore: block not found", Code: 0, Type: "error" });
    return reply.header("content-type", "text/plain").send(Buffer.from(b));
  });
  evil.post("/api/v0/add", async (_req, reply) =>
    reply
      .header("content-type", "application/json")
      .send(
        `${JSON.stringify({ Name: "x", Hash: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am", Size: "6" })}\n`,
      ),
  );
  const evilUrl = await evil.listen({ host: "127.0.0.1", port: 0 });
  t.teardown(() => evil.close());

  const good = await openKuboContent({ url: honestUrl });
  const cid = await good.add(data);
  t.equal(cid, (await fileCid(data)).toString());
  t.ok(Buffer.from(await good.get(cid)).equals(Buffer.from(data)), "honest endpoint: verified bytes");

  const bad = await openKuboContent({ url: evilUrl });
  const e1 = await bad.get(cid).catch((e) => e);
  t.equal(e1.code, "tampered", "a flipped byte in a block");
  t.match(
    e1.message,
    new RegExp(`from Kubo at ${evilUrl.replace(/[.]/g, "\\.")}.* does not hash to its CID`),
  );
  mode.value = "error";
  const e2 = await bad.get(cid).catch((e) => e);
  t.equal(e2.code, "backend");
  t.match(e2.message, /blockstore: block not found/, "Kubo's own message passes through");
  const e3 = await bad.add(data).catch((e) => e);
  t.equal(e3.code, "backend");
  t.match(
    e3.message,
    /named 524293 bytes bafkreicysg.*but `ipfs add --cid-version=1` gives bafy/,
    "a wrong CID from add is refused",
  );

  const down = await openKuboContent({ url: "http://127.0.0.1:9" });
  t.equal((await down.add(data).catch((e) => e)).code, "backend", "no daemon: a clear error");
  t.equal((await down.get(cid, { timeoutMs: 2000 }).catch((e) => e)).code, "backend");
  t.notOk(await down.has(cid));
});
