/**
 * Tensor-commitment throughput per core (MB/s per CPU second of the process, which hashes on
 * one thread),
 * over realistic tensor sizes, every backend side by side:
 *   native          the multi-buffer addon (widest path this CPU has), one tensorRoot per tensor
 *   native batched  the same, all tensors of a repetition through tensorRoots (how traces hash)
 *   native 2 threads  tensorRootsParallel, chunks split over two thread-pool threads: a wall-clock
 *                   latency figure, not per core (it needs two free cores)
 *   avx2, scalar    the addon forced to a narrower path
 *   node:crypto     the fallback when the addon is missing
 *   hashtree        @chainsafe/hashtree hashing each tensor as a whole binary tree of 64-byte
 *                   nodes (the design without chunks: a Merkle tree down to 32-byte leaves)
 * Every tensorRoot figure but hashtree is the full tensor root: chunk hashes, chunk tree and
 * header; chunkHashesOnly is the kernels alone over one contiguous buffer.
 */
import { hash as hashPairs } from "@chainsafe/hashtree";
import { DType } from "../protocol/index.ts";
import {
  type TensorData,
  tensorRoot,
  tensorRoots,
  tensorRootsParallel,
} from "../prover-trace/commit/tensor.ts";
import {
  type ChunkHasher,
  chunkHashBackend,
  type NativeImpl,
  nativeHasher,
  nodeCryptoHasher,
} from "../prover-trace/native/index.ts";
import {
  type BenchOptions,
  type BenchResult,
  cpuModel,
  formatBytes,
  type MeasureOptions,
  measureMBps,
  measureThroughput,
} from "./lib/harness.ts";

export interface HashMBpsOptions extends MeasureOptions {
  hasher?: ChunkHasher;
  /** Hash all tensors in one tensorRoots call instead of one tensorRoot each. */
  batched?: boolean;
}

/**
 * Tensor-root throughput over `tensors` (all of them per repetition) in MB/s per core: bytes per
 * CPU second of the process (hashing runs on the calling thread), best of several repetitions.
 */
export function hashMBps(tensors: readonly TensorData[], opts: HashMBpsOptions = {}): number {
  const bytes = tensors.reduce((s, t) => s + t.data.byteLength, 0);
  const commit = { hasher: opts.hasher };
  const fn = opts.batched
    ? () => void tensorRoots(tensors, commit)
    : () => {
        for (const t of tensors) tensorRoot(t.dtype, t.shape, t.data, commit);
      };
  return measureMBps(bytes, fn, opts);
}

/** Whole-tensor binary tree with hashtree (pads the data to a power of two of 64-byte nodes). */
function hashtreeRoot(data: Uint8Array): Uint8Array {
  let width = 64;
  while (width < data.length) width *= 2;
  let level = data;
  if (data.length !== width) {
    level = new Uint8Array(width);
    level.set(data);
  }
  while (level.length > 32) level = hashPairs(level);
  return level;
}

/** Wall-clock rate of tensorRootsParallel (the chunk hashing split over thread-pool threads). */
async function parallelWallMBps(
  tensors: readonly TensorData[],
  hasher: ChunkHasher,
  threads: number,
): Promise<number> {
  const bytes = tensors.reduce((s, t) => s + t.data.byteLength, 0);
  await tensorRootsParallel(tensors, { hasher, threads });
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let reps = 0; reps < 3 || performance.now() - start < 400; reps++) {
    const t0 = performance.now();
    await tensorRootsParallel(tensors, { hasher, threads });
    best = Math.min(best, performance.now() - t0);
  }
  return bytes / 1e6 / (best / 1000);
}

const SIZES = [4 << 10, 64 << 10, 1 << 20, 4 << 20];
/** Per size, enough tensors that one repetition hashes this much. */
const BYTES_PER_REP = 16 << 20;

function tensorsOf(size: number): TensorData[] {
  const count = Math.max(1, Math.floor(BYTES_PER_REP / size));
  const backing = new Int32Array((count * size) / 4);
  for (let i = 0; i < backing.length; i++) backing[i] = Math.imul(i, 2654435761);
  return Array.from({ length: count }, (_, k) => ({
    dtype: DType.int32,
    shape: [size / 4],
    data: backing.subarray((k * size) / 4, ((k + 1) * size) / 4),
  }));
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const native = nativeHasher();
  const narrower = (["avx2", "scalar"] as NativeImpl[])
    .map((i): [string, ChunkHasher | null] => [i, nativeHasher(i)])
    .filter(([name, h]) => h !== null && name !== native?.backend) as [string, ChunkHasher][];
  const bySize: Record<string, Record<string, number>> = {};
  for (const size of SIZES) {
    const tensors = tensorsOf(size);
    const bytes = tensors.reduce((s, t) => s + t.data.byteLength, 0);
    const row: Record<string, number> = {};
    if (native) {
      const tp = measureThroughput(bytes, () => {
        for (const t of tensors) tensorRoot(t.dtype, t.shape, t.data, { hasher: native });
      });
      row.native = tp.cpuMBps;
      row["native (wall clock)"] = tp.wallMBps;
      row["native batched"] = hashMBps(tensors, { hasher: native, batched: true });
      if (size >= 1 << 20) row["native 2 threads (wall clock)"] = await parallelWallMBps(tensors, native, 2);
    }
    for (const [name, hasher] of narrower) row[name] = hashMBps(tensors, { hasher, minMs: 200 });
    row["node:crypto"] = hashMBps(tensors, { hasher: nodeCryptoHasher, minMs: 200, minReps: 2 });
    row.hashtree = measureMBps(bytes, () => {
      for (const t of tensors)
        hashtreeRoot(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    });
    bySize[formatBytes(size)] = row;
  }
  // The kernels alone: chunk hashes of one contiguous 16 MiB buffer, no tree, no header.
  const kernel: Record<string, number> = {};
  const flat = new Uint8Array(BYTES_PER_REP).map((_, i) => i * 7);
  const leaves = new Uint8Array((BYTES_PER_REP / 1024) * 32);
  for (const [name, hasher] of [["native", native], ...narrower, ["node:crypto", nodeCryptoHasher]] as [
    string,
    ChunkHasher | null,
  ][]) {
    if (hasher)
      kernel[name] = measureMBps(flat.length, () => hasher.hashParts([flat], leaves), { minMs: 300 });
  }
  return {
    cpu: cpuModel(),
    backend: chunkHashBackend(),
    unit: "MB/s per core = 10^6 bytes per CPU second of the (single-threaded) process, best of reps",
    chunkHashesOnly: kernel,
    tensorRoot: bySize,
  };
}
