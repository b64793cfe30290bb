/**
 * sha256 of many 1024-byte tensor chunks at once. The native addon (multi-buffer SIMD, built by
 * `npm install`) is used when it loads; otherwise every chunk goes through node:crypto, with one
 * warning. Both give identical digests, only the speed differs. `VERDICT_NATIVE_SHA256=0` forces
 * the fallback.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

export const CHUNK = 1024;

/** The native paths, widest first; "node:crypto" is the fallback. */
export type ChunkHashBackend = "avx512" | "avx2" | "scalar" | "node:crypto";
export type NativeImpl = Exclude<ChunkHashBackend, "node:crypto">;

/** One way of hashing chunks; every backend gives identical digests. */
export interface ChunkHasher {
  readonly backend: ChunkHashBackend;
  /**
   * out[32i .. 32i+32) = sha256 of chunk i, where the chunks are every 1024-byte chunk of
   * parts[0], then of parts[1], and so on. Hashing many tensors in one call keeps every SIMD
   * lane busy even when each tensor has only a few chunks. Parts are read in place.
   */
  hashParts(parts: readonly Uint8Array[], out: Uint8Array): void;
}

interface Addon {
  hashChunks(data: Uint8Array, out: Uint8Array, tail?: Uint8Array | null, impl?: NativeImpl): void;
  hashParts(parts: readonly Uint8Array[], out: Uint8Array, impl?: NativeImpl): void;
  hashPartsAsync(
    parts: readonly Uint8Array[],
    out: Uint8Array,
    impl: NativeImpl | undefined,
    callback: (err: string | null) => void,
  ): void;
  supported(impl: string): boolean;
  impl: NativeImpl;
}

const ADDON_PATH = "./build/Release/sha256chunks.node";

let addon: Addon | null = null;
let loadError: string | null = null;
if (process.env.VERDICT_NATIVE_SHA256 === "0") {
  loadError = "disabled by VERDICT_NATIVE_SHA256=0";
} else {
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    loadError = err instanceof Error ? err.message.split("\n")[0] : String(err);
  }
}

let warned = false;
function warnFallbackOnce(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `native sha256 addon not available (${loadError}); tensor commitments fall back to node:crypto ` +
      "(same results, several times slower). Build it with `npm run build:native`.",
    { code: "VERDICT_NATIVE_SHA256" },
  );
}

/** Validates parts and out; returns the chunk count. Same rules (and messages) on every backend. */
function checkParts(parts: readonly Uint8Array[], out: Uint8Array): number {
  if (!Array.isArray(parts)) throw new TypeError("hashParts: parts must be an array of Uint8Arrays");
  if (!(out instanceof Uint8Array)) throw new TypeError("hashParts: out must be a Uint8Array");
  let total = 0;
  for (const p of parts) {
    if (!(p instanceof Uint8Array)) throw new TypeError("hashParts: every part must be a Uint8Array");
    if (p.byteLength % CHUNK !== 0)
      throw new RangeError(`hashParts: every part must be a multiple of ${CHUNK} bytes, got ${p.byteLength}`);
    total += p.byteLength / CHUNK;
  }
  if (out.byteLength < 32 * total) throw new RangeError("hashParts: out is shorter than 32 bytes per chunk");
  return total;
}

/** The fallback: node:crypto, one chunk at a time. */
export const nodeCryptoHasher: ChunkHasher = {
  backend: "node:crypto",
  hashParts(parts, out) {
    checkParts(parts, out);
    let i = 0;
    for (const p of parts) {
      for (let o = 0; o < p.byteLength; o += CHUNK, i++)
        out.set(
          createHash("sha256")
            .update(p.subarray(o, o + CHUNK))
            .digest(),
          32 * i,
        );
    }
  },
};

/** The native addon, optionally forced to one path; null when it is missing or the CPU lacks the path. */
export function nativeHasher(impl?: NativeImpl): ChunkHasher | null {
  const a = addon;
  if (!a || (impl !== undefined && !a.supported(impl))) return null;
  const use = impl ?? a.impl;
  return {
    backend: use,
    hashParts(parts, out) {
      checkParts(parts, out);
      a.hashParts(parts, out, use);
    },
  };
}

const native = nativeHasher();

/**
 * The process default: the addon's SIMD path when it loaded; node:crypto when the CPU has no
 * SIMD path (OpenSSL's own assembly, with SHA extensions on ARM and newer x86, beats our
 * portable scalar code there); node:crypto after one warning when the addon did not load.
 */
export const defaultHasher: ChunkHasher =
  native && native.backend !== "scalar"
    ? native
    : native
      ? nodeCryptoHasher
      : {
          backend: "node:crypto",
          hashParts(parts, out) {
            warnFallbackOnce();
            nodeCryptoHasher.hashParts(parts, out);
          },
        };

/**
 * out[32i .. 32i+32) = sha256 of chunk i, where the chunks are data's whole 1024-byte chunks
 * followed by `tail` (exactly one 1024-byte chunk: the caller's zero-padded last chunk) if given.
 */
export function hashChunks(
  data: Uint8Array,
  out: Uint8Array,
  tail?: Uint8Array,
  hasher = defaultHasher,
): void {
  if (tail !== undefined && (!(tail instanceof Uint8Array) || tail.byteLength !== CHUNK))
    throw new RangeError("hashChunks: tail must be exactly one 1024-byte chunk");
  hasher.hashParts(tail ? [data, tail] : [data], out);
}

export interface ParallelOptions {
  /** Thread-pool threads to split the chunks over (libuv's pool has 4 unless UV_THREADPOOL_SIZE says otherwise). */
  threads?: number;
  hasher?: ChunkHasher;
}

/**
 * hasher.hashParts split over several libuv thread-pool threads; resolves once every digest is
 * in `out`. For big tensors where latency matters and cores are free: the per-core rate is the
 * same as hashParts. The parts' buffers must not be transferred before it resolves. Backends
 * other than the native addon hash synchronously on the calling thread.
 */
export async function hashPartsParallel(
  parts: readonly Uint8Array[],
  out: Uint8Array,
  opts: ParallelOptions = {},
): Promise<void> {
  const hasher = opts.hasher ?? defaultHasher;
  const threads = opts.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new RangeError(`threads must be an integer in [1, 64], got ${threads}`);
  const total = checkParts(parts, out);
  const a = addon;
  if (!a || hasher.backend === "node:crypto") {
    hasher.hashParts(parts, out);
    return;
  }
  const impl = hasher.backend as NativeImpl;
  // Contiguous ranges of whole 16-chunk groups, so that every range fills its SIMD lanes.
  const per = Math.ceil(total / threads / 16) * 16;
  const jobs: Promise<void>[] = [];
  let partIdx = 0;
  let offset = 0; // byte offset inside parts[partIdx]
  for (let start = 0; start < total; start += per) {
    const want = Math.min(per, total - start);
    const group: Uint8Array[] = [];
    let got = 0;
    while (got < want) {
      const p = parts[partIdx];
      const take = Math.min((p.byteLength - offset) / CHUNK, want - got);
      if (take > 0) group.push(p.subarray(offset, offset + take * CHUNK));
      got += take;
      offset += take * CHUNK;
      if (offset === p.byteLength) {
        partIdx++;
        offset = 0;
      }
    }
    const dst = out.subarray(32 * start, 32 * (start + want));
    jobs.push(
      new Promise<void>((resolve, reject) =>
        a.hashPartsAsync(group, dst, impl, (err) => (err ? reject(new Error(err)) : resolve())),
      ),
    );
  }
  await Promise.all(jobs);
}

/** Which backend the default hasher uses in this process. */
export function chunkHashBackend(): ChunkHashBackend {
  return defaultHasher.backend;
}

/** Why the native addon is not in use, or null when it is. */
export function nativeLoadError(): string | null {
  return loadError;
}
