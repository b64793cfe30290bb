import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import t from "tap";
import {
  CHUNK,
  type ChunkHasher,
  chunkHashBackend,
  hashChunks,
  hashChunksNodeCrypto,
  type NativeImpl,
  nativeHasher,
  nativeLoadError,
} from "../../../prover-trace/native/index.ts";

function expected(data: Uint8Array, tail?: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += CHUNK)
    parts.push(
      createHash("sha256")
        .update(data.subarray(o, o + CHUNK))
        .digest(),
    );
  if (tail) parts.push(createHash("sha256").update(tail).digest());
  return Buffer.concat(parts);
}

// Chunk counts around every lane width and remainder rule, and across the addon's 256-pointer batches.
const COUNTS = [0, 1, 2, 3, 4, 7, 8, 9, 10, 15, 16, 17, 23, 24, 25, 31, 32, 33, 255, 256, 257, 300, 513];

t.test("the native addon is built and loaded in this checkout", async (t) => {
  t.equal(nativeLoadError(), null);
  t.not(chunkHashBackend(), "node:crypto");
});

const hashers: [string, ChunkHasher | null][] = [
  ["default", hashChunks],
  ["node:crypto", hashChunksNodeCrypto],
  ...(["avx512", "avx2", "scalar"] as NativeImpl[]).map((i): [string, ChunkHasher | null] => [
    i,
    nativeHasher(i),
  ]),
];

for (const [name, hasher] of hashers) {
  t.test(
    `${name} equals node:crypto on random data`,
    { skip: hasher ? false : `CPU lacks ${name}` },
    async (t) => {
      const h = hasher as ChunkHasher;
      for (const n of COUNTS) {
        for (const withTail of [false, true]) {
          const data = new Uint8Array(randomBytes(n * CHUNK));
          const tail = withTail ? new Uint8Array(randomBytes(CHUNK)) : undefined;
          const out = new Uint8Array(32 * (n + (withTail ? 1 : 0)));
          h(data, out, tail);
          t.ok(Buffer.from(out).equals(expected(data, tail)), `${n} chunks${withTail ? " + tail" : ""}`);
        }
      }
    },
  );

  t.test(
    `${name} reads unaligned views in place`,
    { skip: hasher ? false : `CPU lacks ${name}` },
    async (t) => {
      const h = hasher as ChunkHasher;
      const backing = new Uint8Array(randomBytes(40 * CHUNK + 3));
      const data = backing.subarray(3, 3 + 37 * CHUNK);
      const out = new Uint8Array(37 * 32);
      h(data, out);
      t.ok(Buffer.from(out).equals(expected(data)));
      // Zero chunks: the well-known sha256 of 1024 zero bytes.
      const z = new Uint8Array(32);
      h(new Uint8Array(CHUNK), z);
      t.equal(
        Buffer.from(z).toString("hex"),
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
      );
    },
  );

  t.test(`${name} rejects malformed arguments`, { skip: hasher ? false : `CPU lacks ${name}` }, async (t) => {
    const h = hasher as ChunkHasher;
    t.throws(() => h(new Uint8Array(1000), new Uint8Array(32)), RangeError, "not a whole number of chunks");
    t.throws(() => h(new Uint8Array(2 * CHUNK), new Uint8Array(63)), RangeError, "out too short");
    t.throws(
      () => h(new Uint8Array(CHUNK), new Uint8Array(64), new Uint8Array(1023)),
      RangeError,
      "short tail",
    );
    t.throws(
      () => h(new Int32Array(256) as unknown as Uint8Array, new Uint8Array(32)),
      TypeError,
      "not bytes",
    );
    t.throws(() => h(null as unknown as Uint8Array, new Uint8Array(32)), TypeError, "null data");
  });
}

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
