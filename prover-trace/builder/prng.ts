/**
 * Seeded pseudo-random numbers for the model builder: splitmix64 over BigInt-free 32-bit halves
 * would be faster, but models are small and this must be bit-exact everywhere, so it is written
 * once with BigInt and only used at build time. Same seed -> same sequence on every platform.
 */
const MASK64 = (1n << 64n) - 1n;

export class SplitMix64 {
  private state: bigint;

  constructor(seed: number | bigint) {
    const s = BigInt(seed);
    if (s < 0n || s > MASK64) throw new RangeError(`seed must be an integer in [0, 2^64), got ${seed}`);
    this.state = s;
  }

  /** Next 64-bit output. */
  next64(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    return Number(this.next64() >> 32n);
  }

  /** Uniform integer in [lo, hi] (inclusive); span must be <= 2^32. Rejection sampling, no bias. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo || hi - lo >= 2 ** 32)
      throw new RangeError(`bad integer range [${lo}, ${hi}]`);
    const span = hi - lo + 1;
    const limit = 2 ** 32 - (2 ** 32 % span);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return lo + (r % span);
    }
  }

  /** `n` uniform integers in [lo, hi]. */
  ints(n: number, lo: number, hi: number): number[] {
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.int(lo, hi);
    return out;
  }
}
