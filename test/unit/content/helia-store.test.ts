/**
 * The embedded Helia store on its own: CIDs equal protocol/cid.ts fileCid (and Kubo's published
 * CIDs) for sizes around the 256 KiB chunk boundary, several MiB and a real model file; bytes
 * round-trip; blocks survive a restart; a block edited on disk is rejected and dropped.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { ContentError } from "../../../content/types.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";

const CH = 262_144;
function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

t.test("add gives fileCid's CID; get returns the bytes", async (t) => {
  const store = await openHeliaContent();
  t.teardown(() => store.close());
  const sizes = [0, 1, CH - 1, CH, CH + 1, 5 * CH + 3, 175 * CH + 10];
  for (const n of sizes) {
    const data = pattern(n, n + 7);
    const cid = await store.add(data);
    t.equal(cid, (await fileCid(data)).toString(), `${n} bytes: same CID as fileCid`);
    t.ok(await store.has(cid), `${n} bytes: has`);
    const back = await store.get(cid);
    t.equal(back.length, n);
    t.ok(Buffer.from(back).equals(Buffer.from(data)), `${n} bytes: round trip`);
  }
  const model = encodeOnnx(buildMlp({ inputDim: 512, hidden: 1024, layers: 2 }));
  t.ok(model.length > 4 * CH, `model file is ${model.length} bytes (several chunks)`);
  const mcid = await store.add(model);
  t.equal(mcid, (await fileCid(model)).toString(), "model file: same CID as fileCid");
  t.ok(Buffer.from(await store.get(mcid)).equals(Buffer.from(model)));
});

t.test("known Kubo CIDs", async (t) => {
  const store = await openHeliaContent();
  t.teardown(() => store.close());
  const enc = (s: string) => new TextEncoder().encode(s);
  // the same published values as test/unit/commit/model.test.ts, now through the store
  t.equal(await store.add(new Uint8Array(0)), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  t.equal(
    await store.add(enc("hello world\n")),
    "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
  );
  t.equal(await store.add(enc("hello\n")), "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am");
  // a binary CID in 0x-hex (how L2 txs carry it) names the same file
  const hex = `0x${Buffer.from((await fileCid(enc("hello\n"))).bytes).toString("hex")}`;
  t.equal(new TextDecoder().decode(await store.get(hex)), "hello\n");
});

t.test("blocks persist under dataDir across a restart", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-content-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = pattern(3 * CH + 100, 3);
  const a = await openHeliaContent({ dataDir: dir });
  const cid = await a.add(data);
  await a.close();
  const b = await openHeliaContent({ dataDir: dir });
  t.teardown(() => b.close());
  t.ok(await b.has(cid), "still there after restart");
  t.ok(Buffer.from(await b.get(cid, { timeoutMs: 2000 })).equals(Buffer.from(data)));
});

t.test("a block edited on disk is rejected with a clear error and dropped", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-content-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = pattern(2 * CH + 5, 9);
  const store = await openHeliaContent({ dataDir: dir });
  t.teardown(() => store.close());
  const cid = await store.add(data);
  // find the second leaf's file by its content and flip one byte
  const leaf = Buffer.from(data.subarray(CH, 2 * CH));
  const file = filesUnder(join(dir, "blocks")).find((f) => readFileSync(f).equals(leaf));
  if (!file) throw new Error("leaf file not found");
  const bad = Buffer.from(leaf);
  bad[1000] ^= 1;
  writeFileSync(file, bad);
  const err = await store.get(cid, { timeoutMs: 1000 }).catch((e) => e);
  t.ok(err instanceof ContentError, "ContentError");
  t.equal(err.code, "tampered");
  t.match(err.message, /does not hash to its CID/);
  t.notOk(await store.has(cid), "the bad block was deleted, so the file is no longer complete");
  // re-adding the file restores it
  t.equal(await store.add(data), cid);
  t.ok(Buffer.from(await store.get(cid)).equals(Buffer.from(data)));
});

t.test("hostile requests get clear errors", async (t) => {
  const store = await openHeliaContent();
  t.teardown(() => store.close());
  for (const bad of ["", "hello", "bafy", "0x1234", "0xzz"]) {
    const e = await store.get(bad).catch((x) => x);
    t.equal(e.code, "bad-cid", `'${bad}' is not a CID`);
  }
  // dag-cbor / identity-hash CIDs are not files this layer reads
  const cbor = "bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua";
  t.equal((await store.get(cbor).catch((x) => x)).code, "bad-cid");
  t.equal((await store.get("bafkqaaa").catch((x) => x)).code, "bad-cid", "identity multihash refused");
  const big = await store.add(pattern(3 * CH, 4));
  const e = await store.get(big, { maxBytes: CH }).catch((x) => x);
  t.equal(e.code, "too-large");
  const small = await store.add(pattern(100, 5));
  t.equal(
    (await store.get(small, { maxBytes: 99 }).catch((x) => x)).code,
    "too-large",
    "raw leaf over maxBytes",
  );
  // a file nobody has: timeout; a caller's abort: aborted
  const missing = (await fileCid(pattern(10, 99))).toString();
  t.equal((await store.get(missing, { timeoutMs: 200 }).catch((x) => x)).code, "timeout");
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  t.equal((await store.get(missing, { signal: ac.signal, timeoutMs: 5000 }).catch((x) => x)).code, "aborted");
  t.notOk(await store.has(missing));
  await store.close();
  t.equal((await store.add(new Uint8Array(1)).catch((x) => x)).code, "backend", "closed store refuses");
});
