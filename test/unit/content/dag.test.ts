/**
 * The verified UnixFS reader against hostile DAGs built by hand (each block correctly hashed,
 * so only the reader's own checks stand between them and the caller).
 */
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 as mh } from "multiformats/hashes/sha2";
import t from "tap";
import { parseCid, verifyBlock } from "../../../content/blocks.ts";
import { readFile } from "../../../content/dag.ts";
import { fileCid } from "../../../protocol/cid.ts";

type Store = Map<string, Uint8Array>;

async function rawBlock(s: Store, bytes: Uint8Array): Promise<CID> {
  const cid = CID.createV1(raw.code, await mh.digest(bytes));
  s.set(cid.toString(), bytes);
  return cid;
}

async function pbBlock(
  s: Store,
  fs: { type?: "file" | "directory" | "raw"; data?: Uint8Array; blockSizes: bigint[] },
  links: CID[],
): Promise<CID> {
  const u = new UnixFS({ type: fs.type ?? "file", data: fs.data, blockSizes: fs.blockSizes });
  const bytes = dagPb.encode(
    dagPb.prepare({ Data: u.marshal(), Links: links.map((l) => ({ Hash: l, Tsize: 0 })) }),
  );
  const cid = CID.createV1(dagPb.code, await mh.digest(bytes));
  s.set(cid.toString(), bytes);
  return cid;
}

const source = (s: Store) => async (cid: CID) => {
  const b = s.get(cid.toString());
  if (!b) throw new Error(`no block ${cid}`);
  return b;
};
const opts = (maxBytes = 1 << 30) => ({ signal: new AbortController().signal, maxBytes, source: "test" });

t.test("a well-formed hand-built file reads back, inline data first", async (t) => {
  const s: Store = new Map();
  const a = await rawBlock(s, new Uint8Array([1, 2, 3]));
  const b = await rawBlock(s, new Uint8Array([4, 5]));
  const inner = await pbBlock(s, { blockSizes: [2n] }, [b]);
  const root = await pbBlock(s, { data: new Uint8Array([9]), blockSizes: [3n, 2n] }, [a, inner]);
  t.same([...(await readFile(root, source(s), opts()))], [9, 1, 2, 3, 4, 5]);
});

t.test("a block whose bytes do not hash to its CID is rejected as tampered", async (t) => {
  const s: Store = new Map();
  const data = new Uint8Array(600_000).map((_, i) => i & 0xff);
  const sink = {
    put: (c: CID, b: Uint8Array) => {
      s.set(c.toString(), b);
      return c;
    },
  };
  const root = await fileCid(data, sink);
  const leafKey = [...s.keys()].find((k) => k.startsWith("bafk"))!;
  const bad = s.get(leafKey)!.slice();
  bad[0] ^= 0xff;
  s.set(leafKey, bad);
  const e = await readFile(root, source(s), opts()).catch((x) => x);
  t.equal(e.code, "tampered");
  t.match(e.message, /from test does not hash to its CID/);
  t.throws(() => verifyBlock(CID.parse(leafKey), bad, "x"), /tampered/);
});

t.test("sizes that do not add up are malformed", async (t) => {
  const s: Store = new Map();
  const leaf = await rawBlock(s, new Uint8Array(10));
  const lying = await pbBlock(s, { blockSizes: [11n] }, [leaf]);
  t.match(await readFile(lying, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /leaf .* has 10 bytes where its parent declares 11/,
  });
  const countMismatch = await pbBlock(s, { blockSizes: [10n, 10n] }, [leaf]);
  t.match(await readFile(countMismatch, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /1 links but 2 block sizes/,
  });
  const inner = await pbBlock(s, { blockSizes: [10n] }, [leaf]);
  const outerLies = await pbBlock(s, { blockSizes: [20n] }, [inner]);
  t.match(await readFile(outerLies, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /holds 10 bytes where its parent declares 20/,
  });
});

t.test("directories and non-UnixFS blocks are not files", async (t) => {
  const s: Store = new Map();
  const dir = await pbBlock(s, { type: "directory", blockSizes: [] }, []);
  t.match(await readFile(dir, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /directory, not a file/,
  });
  const junk = new Uint8Array([0xff, 0xff, 0xff]);
  const junkCid = CID.createV1(dagPb.code, await mh.digest(junk));
  s.set(junkCid.toString(), junk);
  t.match(await readFile(junkCid, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /not a UnixFS node/,
  });
});

t.test("a declared size over maxBytes is refused before any leaf is fetched", async (t) => {
  const s: Store = new Map();
  const leaf = await rawBlock(s, new Uint8Array(10));
  // claims 2^40 bytes under one 10-byte leaf
  const root = await pbBlock(s, { blockSizes: [1n << 40n] }, [leaf]);
  let fetched = 0;
  const counting = async (cid: CID) => {
    fetched++;
    return source(s)(cid);
  };
  t.match(await readFile(root, counting, opts(1 << 20)).catch((x) => x), { code: "too-large" });
  t.equal(fetched, 1, "only the root was read");
});

t.test("zero-size chains and deep nesting are bounded", async (t) => {
  const s: Store = new Map();
  // 20 levels of empty nodes
  let c = await pbBlock(s, { blockSizes: [] }, []);
  for (let i = 0; i < 20; i++) c = await pbBlock(s, { blockSizes: [0n] }, [c]);
  t.match(await readFile(c, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /deeper than/,
  });
  // one root with 200 empty children
  const empty = await pbBlock(s, { blockSizes: [] }, []);
  const wide = await pbBlock(s, { blockSizes: Array(200).fill(0n) }, Array(200).fill(empty));
  t.match(await readFile(wide, source(s), opts()).catch((x) => x), {
    code: "malformed",
    message: /more blocks than its size allows/,
  });
});

t.test("parseCid: forms accepted and refused", async (t) => {
  const c = (await fileCid(new Uint8Array([1]))).toString();
  t.equal(parseCid(c).toString(), c);
  t.equal(parseCid(`0x${Buffer.from(CID.parse(c).bytes).toString("hex")}`).toString(), c);
  const v0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"; // a CIDv0
  t.equal(parseCid(v0).version, 0, "CIDv0 dag-pb/sha2-256 is readable");
  t.throws(() => parseCid("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"), /codec 0x71/);
  t.throws(() => parseCid("not a cid"), /not a CID/);
});
