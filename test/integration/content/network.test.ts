/**
 * Helia nodes on real libp2p (tcp + noise + yamux + bitswap): one adds, another fetches by CID
 * over the network; a peer that serves wrong bytes for a CID (a real Helia node whose blockstore
 * bypasses hashing) gets nothing stored and a clear error, and an honest peer still wins.
 */

import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { withBitswap } from "@helia/bitswap";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { MemoryBlockstore } from "blockstore-core";
import { createHeliaLight } from "helia";
import { createLibp2p } from "libp2p";
import { CID } from "multiformats/cid";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { fileCid } from "../../../protocol/cid.ts";

const CH = 262_144;
const pattern = (n: number, seed: number) => {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

/** A real Helia node whose blockstore stores and serves whatever it is given, unhashed. */
async function hostilePeer() {
  const libp2p = await createLibp2p({
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  });
  const raw = new MemoryBlockstore();
  const helia = createHeliaLight({ blockstore: raw });
  Object.defineProperty(helia, "libp2p", { value: libp2p, enumerable: true });
  withBitswap(helia as Parameters<typeof withBitswap>[0]);
  await helia.start();
  return {
    raw,
    addrs: () => libp2p.getMultiaddrs().map(String),
    stop: async () => {
      await helia.stop();
      await libp2p.stop();
    },
  };
}

t.test("one node adds, another fetches by CID over libp2p", async (t) => {
  const a = await openHeliaContent();
  t.teardown(() => a.close());
  const b = await openHeliaContent({ peers: a.addrs() });
  t.teardown(() => b.close());
  for (const n of [0, 1, CH - 1, CH, CH + 1, 6 * CH + 17]) {
    const data = pattern(n, n + 1);
    const cid = await a.add(data);
    t.notOk(await b.has(cid), `${n} bytes: not at b yet`);
    const got = await b.get(cid, { timeoutMs: 20_000 });
    t.ok(Buffer.from(got).equals(Buffer.from(data)), `${n} bytes fetched over bitswap`);
    t.ok(await b.has(cid), `${n} bytes: b keeps what it fetched`);
  }
  // and the other way: b serves what it fetched or added to a third node that only knows b
  const c = await openHeliaContent({ peers: b.addrs() });
  t.teardown(() => c.close());
  const data = pattern(2 * CH, 77);
  const cid = await b.add(data);
  t.ok(Buffer.from(await c.get(cid, { timeoutMs: 20_000 })).equals(Buffer.from(data)));
});

t.test("providers: dial the peer named as holding the file", async (t) => {
  const a = await openHeliaContent();
  t.teardown(() => a.close());
  const b = await openHeliaContent(); // not connected to a
  t.teardown(() => b.close());
  const data = pattern(CH + 5, 5);
  const cid = await a.add(data);
  t.equal((await b.get(cid, { timeoutMs: 300 }).catch((e) => e)).code, "timeout", "unknown to b's peers");
  const got = await b.get(cid, { timeoutMs: 20_000, providers: a.addrs() });
  t.ok(Buffer.from(got).equals(Buffer.from(data)));
});

t.test("concurrent gets of one CID: a caller's short timeout does not cancel the others", async (t) => {
  const a = await openHeliaContent();
  t.teardown(() => a.close());
  const b = await openHeliaContent();
  t.teardown(() => b.close());
  const data = pattern(CH + 9, 11);
  const cid = await a.add(data);
  // b is not connected yet: the impatient caller times out while the patient one waits
  const patient = b.get(cid, { timeoutMs: 20_000 });
  const impatient = await b.get(cid, { timeoutMs: 200 }).catch((e) => e);
  t.equal(impatient.code, "timeout");
  await b.connect(a.addrs()[0]);
  t.ok(Buffer.from(await patient).equals(Buffer.from(data)), "the patient caller still gets the file");
});

t.test("a peer serving tampered bytes: rejected, nothing stored, an honest peer still serves", async (t) => {
  const evil = await hostilePeer();
  t.teardown(() => evil.stop());
  const data = pattern(3 * CH, 42);
  const sink = new Map<string, Uint8Array>();
  const root = await fileCid(data, {
    put: (c, b) => {
      sink.set(c.toString(), b);
      return c;
    },
  });
  // the evil peer holds the file with its second leaf altered
  const leaves = [...sink.keys()].filter((k) => CID.parse(k).code === 0x55);
  for (const [k, v] of sink) {
    const bytes = k === leaves[1] ? v.map((x, i) => (i === 7 ? x ^ 1 : x)) : v;
    await evil.raw.put(CID.parse(k), bytes);
  }
  const victim = await openHeliaContent({ peers: evil.addrs() });
  t.teardown(() => victim.close());
  const err = await victim.get(root.toString(), { timeoutMs: 3000 }).catch((e) => e);
  t.equal(err.code, "timeout", "no block hashing to the wanted CID ever arrives");
  t.match(err.message, /tampered data also ends here/, "the error says why a peer may have failed");
  t.notOk(await victim.blockstore.has(CID.parse(leaves[1])), "the tampered leaf was not stored");
  t.ok(await victim.blockstore.has(CID.parse(leaves[0])), "good blocks from the same peer were kept");
  t.notOk(await victim.has(root.toString()));

  // the same file from an honest peer completes it
  const honest = await openHeliaContent();
  t.teardown(() => honest.close());
  t.equal(await honest.add(data), root.toString());
  const got = await victim.get(root.toString(), { timeoutMs: 20_000, providers: honest.addrs() });
  t.ok(Buffer.from(got).equals(Buffer.from(data)), "honest bytes, verified");
});

t.test("a node with a block edited on disk refuses to serve it", async (t) => {
  const a = await openHeliaContent();
  t.teardown(() => a.close());
  const data = pattern(2 * CH, 8);
  const cid = await a.add(data);
  // edit a's copy of the first leaf behind the verifying wrapper
  const sink = new Map<string, Uint8Array>();
  await fileCid(data, {
    put: (c, b) => {
      sink.set(c.toString(), b);
      return c;
    },
  });
  const leaf = [...sink.keys()].find((k) => CID.parse(k).code === 0x55)!;
  await a.blockstore.inner.put(CID.parse(leaf), new Uint8Array(CH));
  const b = await openHeliaContent({ peers: a.addrs() });
  t.teardown(() => b.close());
  const err = await b.get(cid, { timeoutMs: 2000 }).catch((e) => e);
  t.equal(err.code, "timeout", "a never sends the bad block");
  t.notOk(await b.blockstore.has(CID.parse(leaf)));
  t.notOk(
    await a.blockstore.inner.has(CID.parse(leaf)),
    "a found its own bad block when asked and dropped it",
  );
});
