/**
 * Which claims a watcher re-executes when it checks only a fraction of them (attack 12).
 *
 * The pick must be randomness the claimer cannot know or steer before its claim is final: a
 * public function of the claim (as sha256(claimKey || watcher) was) lets a liar grind the free
 * bytes it signs (traceCid, outputCid) until no watcher samples it. Here the pick is
 * HMAC-SHA256(secret, claimKey), the secret 32 random bytes that only this watcher holds,
 * created on its first start in its data dir and read back on every restart (so a restart
 * samples the same claims). It is never logged.
 */
import { createHmac, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { fromHex } from "../../protocol/bytes.ts";

export const SAMPLING_SECRET_BYTES = 32;
/** The secret's file name under the watcher's data dir. */
export const SAMPLING_SECRET_FILE = "sampling.key";

export class SamplingSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SamplingSecretError";
  }
}

/**
 * The watcher's sampling secret from `<dataDir>/sampling.key`, created (mode 0600, exclusive
 * create so two starts never write different secrets) when absent. A file of another length is
 * refused, never replaced: replacing it would change which claims a restarted watcher checks.
 */
export function loadSamplingSecret(
  dataDir: string,
  random: (n: number) => Uint8Array = randomBytes,
): Uint8Array {
  const path = join(dataDir, SAMPLING_SECRET_FILE);
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      const secret = random(SAMPLING_SECRET_BYTES);
      if (secret.length !== SAMPLING_SECRET_BYTES)
        throw new SamplingSecretError("random source gave too few bytes");
      writeSync(fd, secret);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const secret = new Uint8Array(readFileSync(path));
  if (secret.length !== SAMPLING_SECRET_BYTES)
    throw new SamplingSecretError(
      `${path} holds ${secret.length} bytes, not a ${SAMPLING_SECRET_BYTES}-byte sampling secret: ` +
        "restore it or move it away (a new secret samples other claims)",
    );
  return secret;
}

/**
 * Whether the watcher holding `secret` re-executes claim `claimKey` at `rate`: the first 4 bytes
 * of HMAC-SHA256(secret, claimKey), read as a fraction of 2^32, are below `rate`.
 */
export function sampled(secret: Uint8Array, claimKey: Hex, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  if (secret.length !== SAMPLING_SECRET_BYTES)
    throw new SamplingSecretError(
      `a sampling secret is ${SAMPLING_SECRET_BYTES} bytes, got ${secret.length}`,
    );
  const h = createHmac("sha256", secret).update(fromHex(claimKey)).digest();
  return h.readUInt32BE(0) / 2 ** 32 < rate;
}

/** P(at least one of `watchers` independent watchers at `rate` checks a given claim) = 1 - (1 - r)^N. */
export function detectionProbability(rate: number, watchers: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`rate must be in [0, 1], got ${rate}`);
  if (!Number.isInteger(watchers) || watchers < 0)
    throw new RangeError(`watchers must be a non-negative integer, got ${watchers}`);
  return 1 - (1 - rate) ** watchers;
}

/**
 * The largest gain per lie that a stake of `stakeWei` still makes unprofitable when caught with
 * probability `pCaught`: lying pays only while gain > stake x P(caught). Wei, rounded down.
 */
export function breakEvenGainWei(stakeWei: bigint, pCaught: number): bigint {
  if (!(pCaught >= 0 && pCaught <= 1)) throw new RangeError(`pCaught must be in [0, 1], got ${pCaught}`);
  const ppm = BigInt(Math.floor(pCaught * 1e6));
  return (stakeWei * ppm) / 1_000_000n;
}

/** The odds `verdict watch` prints at start: its own rate and, for N assumed watchers, the network's. */
export function samplingOdds(
  rate: number,
  assumeWatchers?: number,
  stakeWei?: bigint,
): { rate: number; assumeWatchers?: number; pCaught: number; maxUnprofitableGainWei?: string; text: string } {
  const n = assumeWatchers ?? 1;
  const pCaught = detectionProbability(rate, n);
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  let text = `this watcher checks ${pct(rate)} of claims (secret-keyed pick, unpredictable to claimers)`;
  if (assumeWatchers !== undefined)
    text += `; with ${n} independent watchers at this rate a lie is checked with P = 1-(1-r)^N = ${pct(pCaught)}`;
  let maxUnprofitableGainWei: string | undefined;
  if (stakeWei !== undefined) {
    maxUnprofitableGainWei = breakEvenGainWei(stakeWei, pCaught).toString();
    text += `; a lie backed by ${stakeWei} wei is unprofitable while its gain < stake x P = ${maxUnprofitableGainWei} wei`;
  }
  return { rate, assumeWatchers, pCaught, maxUnprofitableGainWei, text };
}
