import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import t from "tap";
import {
  CHUNK,
  type ChunkHasher,
  chunkHashBackend,
  defaultHasher,
  hashChunks,
  hashPartsParallel,
  type NativeImpl,
  nativeHasher,
  nativeLoadError,
  nodeCryptoHasher,
} from "../../../prover-trace/native/index.ts";

function expected(...parts: Uint8Array[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts)
    for (let o = 0; o < p.length; o += CHUNK)
      out.push(
        createHash("sha256")
          .update(p.subarray(o, o + CHUNK))
          .digest(),
      );
  return Buffer.concat(out);
}
const rand = (n: number) => new Uint8Array(randomBytes(n));

// Chunk counts around every lane width and remainder rule, and across the addon's 256-pointer batches.
const COUNTS = [0, 1, 2, 3, 4, 7, 8, 9, 10, 15, 16, 17, 23, 24, 25, 31, 32, 33, 255, 256, 257, 300, 513];

t.test("the native addon is built and loaded in this checkout", async (t) => {
  t.equal(nativeLoadError(), null);
  const best = nativeHasher()?.backend;
  t.ok(best, "the addon reports its widest path");
  // Without a SIMD path node:crypto (OpenSSL assembly) is faster than portable scalar code.
  t.equal(chunkHashBackend(), best === "scalar" ? "node:crypto" : best);
});

const hashers: [string, ChunkHasher | null][] = [
  ["default", defaultHasher],
  ["node:crypto", nodeCryptoHasher],
  ...(["avx512", "avx2", "scalar"] as NativeImpl[]).map((i): [string, ChunkHasher | null] => [
    i,
    nativeHasher(i),
  ]),
];

for (const [name, hasher] of hashers) {
  const skip = hasher ? false : `this CPU or build lacks ${name}`;
  t.test(`${name}: hashChunks equals node:crypto on random data`, { skip }, async (t) => {
    const h = hasher as ChunkHasher;
    for (const n of COUNTS) {
      for (const withTail of [false, true]) {
        const data = rand(n * CHUNK);
        const tail = withTail ? rand(CHUNK) : undefined;
        const out = new Uint8Array(32 * (n + (withTail ? 1 : 0)));
        hashChunks(data, out, tail, h);
        t.ok(
          Buffer.from(out).equals(tail ? expected(data, tail) : expected(data)),
          `${n} chunks${tail ? " + tail" : ""}`,
        );
      }
    }
  });

  t.test(`${name}: hashParts streams many parts through the lanes`, { skip }, async (t) => {
    const h = hasher as ChunkHasher;
    for (const sizes of [
      [],
      [0],
      [1, 1, 1],
      [3, 0, 5, 1, 9, 2, 16, 1],
      Array.from({ length: 70 }, (_, i) => i % 6),
    ]) {
      const parts = sizes.map((n) => rand(n * CHUNK));
      const out = new Uint8Array(32 * sizes.reduce((a, b) => a + b, 0));
      h.hashParts(parts, out);
      t.ok(Buffer.from(out).equals(expected(...parts)), `parts of [${sizes.join(",")}] chunks`);
    }
  });

  t.test(`${name}: reads unaligned views in place`, { skip }, async (t) => {
    const h = hasher as ChunkHasher;
    const backing = rand(40 * CHUNK + 3);
    const data = backing.subarray(3, 3 + 37 * CHUNK);
    const out = new Uint8Array(37 * 32);
    h.hashParts([data], out);
    t.ok(Buffer.from(out).equals(expected(data)));
    const z = new Uint8Array(32);
    h.hashParts([new Uint8Array(CHUNK)], z);
    t.equal(
      Buffer.from(z).toString("hex"),
      "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
    );
  });

  t.test(`${name}: rejects malformed arguments before writing anything`, { skip }, async (t) => {
    const h = hasher as ChunkHasher;
    const out = new Uint8Array(64).fill(7);
    t.throws(
      () => h.hashParts([new Uint8Array(CHUNK), new Uint8Array(1000)], out),
      RangeError,
      "partial chunk",
    );
    t.throws(() => h.hashParts([new Uint8Array(3 * CHUNK)], out), RangeError, "out too short");
    t.throws(
      () => h.hashParts([new Uint8Array(CHUNK), new Int32Array(256) as never], out),
      TypeError,
      "not bytes",
    );
    t.throws(() => h.hashParts([null as never], out), TypeError, "null part");
    t.throws(() => h.hashParts(new Uint8Array(CHUNK) as never, out), TypeError, "parts not an array");
    t.throws(() => h.hashParts([], [] as never), TypeError, "out not bytes");
    t.ok(
      out.every((b) => b === 7),
      "out untouched",
    );
    t.throws(() => hashChunks(new Uint8Array(1000), out, undefined, h), RangeError, "data not whole chunks");
    t.throws(() => hashChunks(new Uint8Array(CHUNK), out, new Uint8Array(1023), h), RangeError, "short tail");
  });
}

t.test(
  "the addon's own entry points check their arguments in C",
  { skip: nativeLoadError() ?? false },
  async (t) => {
    const addon = createRequire(import.meta.url)(
      "../../../prover-trace/native/build/Release/sha256chunks.node",
    );
    const data = rand(5 * CHUNK);
    const tail = rand(CHUNK);
    const out = new Uint8Array(6 * 32);
    addon.hashChunks(data, out, tail);
    t.ok(Buffer.from(out).equals(expected(data, tail)), "hashChunks(data, out, tail)");
    addon.hashChunks(data, out);
    t.ok(Buffer.from(out.subarray(0, 160)).equals(expected(data)), "hashChunks(data, out)");
    t.throws(() => addon.hashChunks(rand(1000), out), RangeError);
    t.throws(() => addon.hashChunks(data, new Uint8Array(100)), RangeError);
    t.throws(() => addon.hashChunks(data, out, rand(10)), RangeError);
    t.throws(() => addon.hashChunks("x", out), TypeError);
    t.throws(() => addon.hashChunks(data), TypeError);
    t.throws(() => addon.hashChunks(data, out, null, "sse"), TypeError);
    t.throws(() => addon.hashParts([rand(1000)], out), RangeError);
    t.throws(() => addon.hashParts([data, 5], out), TypeError);
    t.throws(() => addon.hashParts({ length: 1, 0: data }, out), TypeError);
    t.throws(() => addon.hashParts([data, data], out), RangeError);
    const cb = () => t.fail("no callback after a synchronous error");
    t.throws(() => addon.hashPartsAsync([data], out, undefined), TypeError, "no callback");
    t.throws(() => addon.hashPartsAsync([rand(1000)], out, undefined, cb), RangeError);
    t.throws(() => addon.hashPartsAsync([data, data], out, undefined, cb), RangeError);
    t.throws(() => addon.hashPartsAsync([data, 5], out, undefined, cb), TypeError);
    t.throws(() => addon.hashPartsAsync([data], out, "sse", cb), TypeError);
    const asyncOut = new Uint8Array(5 * 32);
    const err = await new Promise((resolve) => addon.hashPartsAsync([data], asyncOut, undefined, resolve));
    t.equal(err, null);
    t.ok(Buffer.from(asyncOut).equals(expected(data)), "hashPartsAsync");
    t.equal(typeof addon.impl, "string");
    t.equal(addon.supported("scalar"), true);
    t.equal(addon.supported("neon"), false);
  },
);

t.test("hashPartsParallel splits chunks over thread-pool threads with identical digests", async (t) => {
  for (const hasher of [defaultHasher, nodeCryptoHasher, nativeHasher("avx2"), nativeHasher("scalar")]) {
    if (!hasher) continue;
    for (const threads of [1, 2, 3, 4, 7]) {
      for (const sizes of [[0], [1], [40], [5, 0, 33, 1, 17, 2], [300, 1, 1]]) {
        const parts = sizes.map((n) => rand(n * CHUNK));
        const out = new Uint8Array(32 * sizes.reduce((a, b) => a + b, 0));
        await hashPartsParallel(parts, out, { threads, hasher });
        t.ok(
          Buffer.from(out).equals(expected(...parts)),
          `${hasher.backend}, ${threads} threads, [${sizes}]`,
        );
      }
    }
  }
  const out = new Uint8Array(64).fill(7);
  await t.rejects(hashPartsParallel([new Uint8Array(1000)], out), RangeError);
  await t.rejects(hashPartsParallel([new Uint8Array(3 * CHUNK)], out), RangeError);
  await t.rejects(hashPartsParallel([new Uint8Array(CHUNK)], out, { threads: 0 }), RangeError);
  await t.rejects(hashPartsParallel([new Uint8Array(CHUNK)], out, { threads: 1.5 }), RangeError);
  await t.rejects(hashPartsParallel("x" as never, out), TypeError);
  t.ok(
    out.every((b) => b === 7),
    "out untouched",
  );
});

t.test("the addon also loads and hashes in a worker thread (trace hashing runs there)", async (t) => {
  const mod = new URL("../../../prover-trace/native/index.ts", import.meta.url).href;
  const w = new Worker(
    `import(${JSON.stringify(mod)}).then((m) => {
      const out = new Uint8Array(64);
      m.hashChunks(new Uint8Array(2048).fill(1), out);
      require("node:worker_threads").parentPort.postMessage({ backend: m.chunkHashBackend(), out });
    });`,
    { eval: true },
  );
  const msg = (await once(w, "message"))[0] as { backend: string; out: Uint8Array };
  await w.terminate();
  t.equal(msg.backend, chunkHashBackend());
  t.ok(Buffer.from(msg.out).equals(expected(new Uint8Array(2048).fill(1))));
});

t.test("the fallback warns once and gives identical digests", async (t) => {
  const script = fileURLToPath(new URL("./fallback-child.ts", import.meta.url));
  const r = spawnSync(process.execPath, [script], {
    env: { ...process.env, VERDICT_NATIVE_SHA256: "0" },
    encoding: "utf8",
  });
  t.equal(r.status, 0, "child exits cleanly", { stderr: r.stderr });
  const res = JSON.parse(r.stdout) as { backend: string; digests: string };
  t.equal(res.backend, "node:crypto");
  const warnings = r.stderr.split("\n").filter((l) => l.includes("VERDICT_NATIVE_SHA256"));
  t.equal(warnings.length, 1, "exactly one warning");
  const data = new Uint8Array(20 * CHUNK).map((_, i) => (i * 7) & 0xff);
  const tail = new Uint8Array(CHUNK).fill(9);
  const out = new Uint8Array(21 * 32);
  hashChunks(data, out, tail);
  t.equal(res.digests, Buffer.from(out).toString("hex"));
});
