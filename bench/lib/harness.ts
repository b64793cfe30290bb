/**
 * Shared bench helpers: throughput measurement and the human table. Benchmarks are files
 * bench/<name>.ts exporting `run(opts)`; helpers live here under bench/lib/ so the dispatcher
 * never mistakes them for a benchmark.
 */
import { cpus } from "node:os";

export interface BenchOptions {
  json: boolean;
}

export type BenchResult = Record<string, unknown>;

export interface Bench {
  run(opts: BenchOptions): Promise<BenchResult>;
}

export interface MeasureOptions {
  /** Keep repeating for at least this long (after one warm-up call). */
  minMs?: number;
  /** ...and at least this many timed repetitions. */
  minReps?: number;
}

export interface Throughput {
  /** Bytes per wall-clock second. */
  wallMBps: number;
  /** Bytes per CPU second of the process: the per-core rate of single-threaded work, unaffected by waiting for the CPU. */
  cpuMBps: number;
}

function cpuMs(): number {
  // The whole process's CPU time: precise to the microsecond. process.threadCpuUsage would count
  // only this thread, but Linux updates it in steps of up to ~4 ms, too coarse for 10 ms reps.
  // Helper threads (GC) make this slightly pessimistic for single-threaded work, never flattering.
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Best-of-N throughput of `fn` processing `bytes` bytes per call, in MB/s (10^6 bytes), by wall
 * clock and by this thread's CPU time. Best of N rather than the mean because the machine is
 * shared: slower repetitions measure the neighbours.
 */
export function measureThroughput(bytes: number, fn: () => void, opts: MeasureOptions = {}): Throughput {
  const minMs = opts.minMs ?? 400;
  const minReps = opts.minReps ?? 3;
  fn();
  let bestWall = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let reps = 0; reps < minReps || performance.now() - start < minMs; reps++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    bestWall = Math.min(bestWall, performance.now() - t0);
    bestCpu = Math.min(bestCpu, cpuMs() - c0);
  }
  const rate = (ms: number) => bytes / 1e6 / (Math.max(ms, 1e-3) / 1000);
  return { wallMBps: rate(bestWall), cpuMBps: rate(bestCpu) };
}

/** Per-core throughput (MB/s per CPU second of the process) of a single-threaded `fn`. */
export function measureMBps(bytes: number, fn: () => void, opts: MeasureOptions = {}): number {
  return measureThroughput(bytes, fn, opts).cpuMBps;
}

export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? "unknown";
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n >> 10} KiB`;
  return `${n} B`;
}

/** JSON.stringify that writes bigints as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
}

/** Renders a result as an aligned two-column table; nested objects become dotted keys. */
export function renderTable(title: string, result: BenchResult): string {
  const rows: [string, string][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else {
      rows.push([prefix, typeof v === "number" && !Number.isInteger(v) ? v.toFixed(1) : toJsonCell(v)]);
    }
  };
  walk("", result);
  const w = Math.max(...rows.map(([k]) => k.length), 4);
  return [`== ${title}`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)].join("\n");
}

function toJsonCell(v: unknown): string {
  return typeof v === "string" ? v : toJson(v);
}

/** Best wall time of `fn` over at least `minReps` runs and `minMs` milliseconds, after one warm-up. */
export function bestMs(fn: () => unknown, minMs = 300, minReps = 3): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let r = 0; r < minReps || performance.now() - start < minMs; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** bestMs for an async `fn` (each run awaited). */
export async function bestMsAsync(fn: () => Promise<unknown>, minMs = 300, minReps = 3): Promise<number> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let r = 0; r < minReps || performance.now() - start < minMs; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
