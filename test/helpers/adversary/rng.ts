/**
 * The harness's one source of randomness: a seeded PRNG (mulberry32), so every game replays
 * from the seed printed with it (VERDICT_ADVERSARY_SEED).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(next() * n);
  };
  return { next, int, pick: (xs) => xs[int(xs.length)] };
}

/** The seed: VERDICT_ADVERSARY_SEED when set (a replay), else a fresh one. */
export function adversarySeed(env: NodeJS.ProcessEnv = process.env): number {
  const s = env.VERDICT_ADVERSARY_SEED;
  if (s === undefined || s === "") return Math.floor(Math.random() * 2 ** 32);
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new RangeError(`VERDICT_ADVERSARY_SEED must be an integer in [0, 2^32), got ${s}`);
  return n;
}
