/** Backend choice and the CLI/env options. */
import t from "tap";
import { contentOptionsFromCli, openContent } from "../../../content/open.ts";

t.test("contentOptionsFromCli: flags, env fallbacks, refusals", async (t) => {
  t.same(contentOptionsFromCli({}, {}), { ipfsApi: undefined, dataDir: undefined, peers: undefined });
  t.same(
    contentOptionsFromCli(
      { ipfsApi: "http://127.0.0.1:5001", contentDir: "/d", contentPeer: ["/ip4/1.2.3.4/tcp/1/p2p/x"] },
      { VERDICT_IPFS_API: "http://other:1", VERDICT_CONTENT_DIR: "/e", VERDICT_CONTENT_PEERS: "/a,/b" },
    ),
    { ipfsApi: "http://127.0.0.1:5001", dataDir: "/d", peers: ["/ip4/1.2.3.4/tcp/1/p2p/x"] },
    "flags win over env",
  );
  t.same(
    contentOptionsFromCli(
      {},
      {
        VERDICT_IPFS_API: "https://kubo:5001",
        VERDICT_CONTENT_DIR: "/e",
        VERDICT_CONTENT_PEERS: " /a , /b ,,",
      },
    ),
    { ipfsApi: "https://kubo:5001", dataDir: "/e", peers: ["/a", "/b"] },
    "env",
  );
  t.throws(
    () => contentOptionsFromCli({ ipfsApi: "localhost:5001" }, {}),
    /--ipfs-api: expected an http\(s\) URL/,
  );
  t.throws(() => contentOptionsFromCli({ ipfsApi: "not a url" }, {}), /--ipfs-api: not a URL/);
  t.throws(() => contentOptionsFromCli({}, { VERDICT_IPFS_API: "ftp://x" }), /expected an http\(s\) URL/);
});

t.test("openContent: Helia by default, Kubo for ipfsApi", async (t) => {
  const h = await openContent();
  t.equal(h.backend, "helia");
  await h.close();
  await h.close(); // idempotent
  const k = await openContent({ ipfsApi: "http://127.0.0.1:5001" });
  t.equal(k.backend, "kubo");
  await k.close();
  const e = await openContent({ ipfsApi: "" });
  t.equal(e.backend, "helia", "an empty ipfsApi is no Kubo");
  await e.close();
});
