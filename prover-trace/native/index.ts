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

interface Addon {
  hashChunks(data: Uint8Array, out: Uint8Array, tail?: Uint8Array | null, impl?: NativeImpl): void;
  supported(impl: string): boolean;
  impl: NativeImpl;
}

/**
 * out[32i .. 32i+32) = sha256 of chunk i, where the chunks are data's whole 1024-byte chunks
 * followed by `tail` (exactly one 1024-byte chunk) when given.
 */
export type ChunkHasher = (data: Uint8Array, out: Uint8Array, tail?: Uint8Array) => void;

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

function checkArgs(data: Uint8Array, out: Uint8Array, tail: Uint8Array | undefined): number {
  if (!(data instanceof Uint8Array) || !(out instanceof Uint8Array))
    throw new TypeError("hashChunks: data and out must be Uint8Arrays");
  if (data.byteLength % CHUNK !== 0)
    throw new RangeError(`hashChunks: data length must be a multiple of ${CHUNK} bytes, got ${data.length}`);
  if (tail !== undefined && (!(tail instanceof Uint8Array) || tail.byteLength !== CHUNK))
    throw new RangeError("hashChunks: tail must be exactly one 1024-byte chunk");
  const total = data.byteLength / CHUNK + (tail ? 1 : 0);
  if (out.byteLength < 32 * total) throw new RangeError("hashChunks: out is shorter than 32 bytes per chunk");
  return total;
}

/** The fallback: node:crypto, one chunk at a time. Exported for benchmarks and cross-checks. */
export const hashChunksNodeCrypto: ChunkHasher = (data, out, tail) => {
  const total = checkArgs(data, out, tail);
  const full = data.byteLength / CHUNK;
  for (let i = 0; i < total; i++) {
    const chunk = i < full ? data.subarray(i * CHUNK, (i + 1) * CHUNK) : (tail as Uint8Array);
    const d = createHash("sha256").update(chunk).digest();
    out.set(d, 32 * i);
  }
};

/** The native addon forced to one path; null when the addon is missing or the CPU lacks it. */
export function nativeHasher(impl?: NativeImpl): ChunkHasher | null {
  const a = addon;
  if (!a || (impl !== undefined && !a.supported(impl))) return null;
  const use = impl ?? a.impl;
  return (data, out, tail) => {
    checkArgs(data, out, tail);
    a.hashChunks(data, out, tail ?? null, use);
  };
}

const native = nativeHasher();

/** Hash chunks with the best available backend (see chunkHashBackend()). */
export const hashChunks: ChunkHasher =
  native ??
  ((data, out, tail) => {
    warnFallbackOnce();
    hashChunksNodeCrypto(data, out, tail);
  });

/** Which backend hashChunks uses in this process. */
export function chunkHashBackend(): ChunkHashBackend {
  return addon ? addon.impl : "node:crypto";
}

/** Why the native addon is not in use, or null when it is. */
export function nativeLoadError(): string | null {
  return loadError;
}
