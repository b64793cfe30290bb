/**
 * The sequencer's content node, in process with its real HTTP API and libp2p host: HTTP add/get,
 * bitswap both ways with a worker-like Helia node that dials the sequencer, the Kubo backend
 * (kubo-rpc-client) talking to the sequencer's Kubo-RPC subset, and blocks kept across a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "kubo-rpc-client";
import pino from "pino";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { openContent } from "../../../content/open.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { DEFAULTS, type SequencerConfig } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { startSequencer } from "../../../sequencer/run.ts";

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
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

t.test("sequencer content: HTTP, bitswap both ways, Kubo RPC, restart", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-seq-content-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cfg: SequencerConfig = {
    ...DEFAULTS,
    genesis: devGenesis(devKeys(1, "content")),
    dataDir: dir,
    httpPort: 0,
    blockTimeMs: 100,
    verifyWorkers: 0,
  };
  let seq = await startSequencer(cfg, pino({ level: "warn" }));
  let closed = false;
  t.teardown(async () => {
    if (!closed) await seq.close();
  });

  // HTTP add and read
  const data = pattern(2 * 1024 * 1024 + 3, 1);
  const r = await fetch(`${seq.url}/v1/content`, { method: "POST", body: data });
  t.equal(r.status, 200);
  const { cid, size } = (await r.json()) as { cid: string; size: number };
  t.equal(cid, (await fileCid(data)).toString(), "the CID fileCid gives");
  t.equal(size, data.length);
  const g = await fetch(`${seq.url}/v1/content/${cid}`);
  t.equal(g.status, 200);
  t.equal(g.headers.get("content-type"), "application/octet-stream");
  t.ok(same(new Uint8Array(await g.arrayBuffer()), data), "GET returns the bytes");
  const bad = await fetch(`${seq.url}/v1/content/not-a-cid`);
  t.equal(bad.status, 400);
  t.match(await bad.json(), { code: "bad-cid" });
  const missing = (await fileCid(pattern(100, 2))).toString();
  const m = await fetch(`${seq.url}/v1/content/${missing}?timeoutMs=300`);
  t.equal(m.status, 504, "a CID no peer has: gateway timeout");
  t.match(await m.json(), { code: "timeout" });

  // a worker-like node that dials the sequencer fetches over bitswap...
  const worker = await openHeliaContent({ peers: [seq.p2p.addrs()[0]] });
  t.teardown(() => worker.close());
  t.ok(
    same(await worker.get(cid, { timeoutMs: 20_000 }), data),
    "worker fetched the upload from the sequencer",
  );
  // ...and the sequencer fetches what the worker published
  const out = pattern(CH + 77, 3);
  const outCid = await worker.add(out);
  const f = await fetch(`${seq.url}/v1/content/${outCid}?timeoutMs=20000`);
  t.equal(f.status, 200);
  t.ok(same(new Uint8Array(await f.arrayBuffer()), out), "sequencer fetched the worker's file from it");
  t.ok(await seq.p2p.content.has(outCid), "and keeps it to serve others");

  // the Kubo backend against the sequencer's Kubo-RPC subset
  const kubo = await openContent({ ipfsApi: seq.url });
  t.equal(kubo.backend, "kubo");
  const small = new TextEncoder().encode("hello\n");
  t.equal(
    await kubo.add(small),
    "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
    "Kubo's published CID",
  );
  const kdata = pattern(3 * CH + 1, 4);
  const kcid = await kubo.add(kdata);
  t.equal(kcid, (await fileCid(kdata)).toString());
  t.ok(same(await kubo.get(kcid), kdata), "Kubo backend reads it back block by block");
  t.ok(same(await kubo.get(outCid), out), "and reads what the worker published");
  t.ok(await kubo.has(kcid));
  t.notOk(await kubo.has(missing), "offline lookup of a missing file");
  t.equal((await kubo.get(missing, { timeoutMs: 300 }).catch((e) => e)).code, "timeout");
  // a raw Kubo client gets Kubo's answers and errors
  const client = create({ url: seq.url });
  const chunks: Uint8Array[] = [];
  for await (const c of client.cat(kcid as never, { offset: CH - 2, length: 5 })) chunks.push(c);
  t.ok(same(Buffer.concat(chunks), kdata.subarray(CH - 2, CH + 3)), "cat with offset/length");
  await t.rejects(client.add(new Uint8Array([1])), /CIDv1 only/, "CIDv0 add refused, not approximated");
  await t.rejects(
    client.add(new Uint8Array([1]), { cidVersion: 1, chunker: "size-1024" }),
    /chunker size-1024/,
  );
  await kubo.close();

  // restart: the sequencer still holds everything
  await seq.close();
  seq = await startSequencer(cfg, pino({ level: "warn" }));
  const again = await fetch(`${seq.url}/v1/content/${cid}?timeoutMs=2000`);
  t.equal(again.status, 200);
  t.ok(same(new Uint8Array(await again.arrayBuffer()), data), "content survives a restart");
  await seq.close();
  closed = true;
});
