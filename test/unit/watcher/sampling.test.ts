/**
 * Attack 12, grinding the sample: the claimer chooses free bytes of the claim it signs (traceCid),
 * so a public sampling rule (sha256(claimKey || watcher), the rule before this fix, reproduced
 * below as the liar's oracle) lets it grind until no watcher checks its lie. The secret-keyed
 * rule (verifier/watcher/sampling.ts) samples such ground claims at the plain rate, and a liar
 * without the secret cannot tell which ones. Everything random comes from a fixed seed.
 */

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { claimDigest, NO_GENERATION } from "../../../protocol/tx.ts";
import {
  breakEvenGainWei,
  detectionProbability,
  loadSamplingSecret,
  SAMPLING_SECRET_BYTES,
  SAMPLING_SECRET_FILE,
  sampled,
  samplingOdds,
} from "../../../verifier/watcher/sampling.ts";

const RATE = 0.3;
const WATCHERS: Address[] = [
  "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
  "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc",
  "0x976ea74026e726554db657fa54763abd0c3a0aa9",
  "0x14dc79964da2c08b23698b3d3cc7ca32193d9955",
  "0x23618e81e3f5cdf7f54c3d65f7fbc0abaf5fc7ff",
];
const domain = claimDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");

/** Deterministic bytes: sha256(seed || counter), so the test replays exactly. */
function seeded(seed: string) {
  let i = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) {
      const h = createHash("sha256").update(`${seed}/${i++}`).digest();
      out.set(h.subarray(0, Math.min(32, n - o)), o);
    }
    return out;
  };
}

/** The rule before this fix: public, so the liar can evaluate it for every watcher. */
function publicRule(claimKey: Hex, me: Address, rate: number): boolean {
  const h = createHash("sha256")
    .update(Buffer.from(claimKey.slice(2), "hex"))
    .update(Buffer.from(me.slice(2), "hex"))
    .digest();
  return h.readUInt32BE(0) / 2 ** 32 < rate;
}

/** The liar's claim on one job: every field fixed but traceCid, which it grinds. */
function lieKey(traceCid: Uint8Array): Hex {
  const claim = {
    jobId: `0x${"01".repeat(32)}` as Hex,
    modelId: `0x${"02".repeat(32)}` as Hex,
    inputRoot: `0x${"03".repeat(32)}` as Hex,
    outputRoot: `0x${"0b".repeat(32)}` as Hex, // the lie
    traceRoot: `0x${"0c".repeat(32)}` as Hex,
    generationSpec: NO_GENERATION,
    outputCid: "0x" as Hex,
    traceCid: toHex(traceCid),
  };
  return toHex(claimDigest(claim, domain));
}

/** `count` claims that the liar's oracle says no watcher samples, and how many tries it took. */
function grind(count: number, oracle: (k: Hex) => boolean, rand: (n: number) => Uint8Array) {
  const keys: Hex[] = [];
  let tries = 0;
  while (keys.length < count) {
    tries++;
    const k = lieKey(rand(36));
    if (!oracle(k)) keys.push(k);
  }
  return { keys, tries };
}

t.test("a claimer grinding the public rule no longer escapes the secret-keyed sample", async (t) => {
  const rand = seeded("attack-12/grind");
  const escapesAll = (k: Hex) => WATCHERS.some((w) => publicRule(k, w, RATE));
  const { keys, tries } = grind(50, escapesAll, rand);
  t.ok(tries < 50 * 10, `grinding is cheap: ${tries} claims tried for 50 that escape all 5 watchers`);
  t.equal(
    keys.filter((k) => WATCHERS.some((w) => publicRule(k, w, RATE))).length,
    0,
    "the old rule checks none of them",
  );

  const secrets = WATCHERS.map((_, i) => seeded(`attack-12/watcher-${i}`)(SAMPLING_SECRET_BYTES));
  const one = keys.filter((k) => sampled(secrets[0], k, RATE)).length;
  // Binomial(50, 0.3): mean 15, sd 3.2; the old rule gives 0, so 0 can never pass this
  t.ok(one >= 6 && one <= 26, `one watcher samples about r of the ground claims (${one} of 50, expected 15)`);
  const caught = keys.filter((k) => secrets.some((s) => sampled(s, k, RATE))).length;
  // 1 - 0.7^5 = 83.2%: mean 41.6, sd 2.6
  t.ok(caught >= 33, `5 watchers check about 1-(1-r)^5 of them (${caught} of 50, expected 41.6)`);
});

t.test("without the secret the sample is unpredictable", async (t) => {
  const real = seeded("attack-12/real-watcher")(SAMPLING_SECRET_BYTES);
  // The liar's best try: grind against secrets of its own guessing (the watcher's is unknown).
  const guesses = [0, 1, 2, 3].map((i) => seeded(`attack-12/guess-${i}`)(SAMPLING_SECRET_BYTES));
  const rand = seeded("attack-12/grind-guess");
  const { keys } = grind(200, (k) => guesses.some((g) => sampled(g, k, RATE)), rand);
  const hit = keys.filter((k) => sampled(real, k, RATE)).length;
  // Binomial(200, 0.3): mean 60, sd 6.5
  t.ok(hit >= 40 && hit <= 80, `claims the liar's guesses skip are sampled at r (${hit} of 200)`);
  // And the watcher's own address, public, tells the liar nothing either.
  const viaAddress = keys.filter((k) => publicRule(k, WATCHERS[0], RATE) === sampled(real, k, RATE)).length;
  // agreement by chance: r^2 + (1-r)^2 = 58%
  t.ok(viaAddress >= 96 && viaAddress <= 136, `the public rule agrees only by chance (${viaAddress} of 200)`);
});

t.test("sampled: stable, follows the rate, bounds", async (t) => {
  const secret = seeded("attack-12/rate")(SAMPLING_SECRET_BYTES);
  let n = 0;
  let unstable = 0;
  for (let i = 0; i < 2000; i++) {
    const k = `0x${i.toString(16).padStart(64, "0")}` as Hex;
    const a = sampled(secret, k, 0.25);
    if (a !== sampled(Uint8Array.from(secret), k, 0.25)) unstable++;
    if (a) n++;
  }
  t.equal(unstable, 0, "the same answer every time");
  t.ok(n > 400 && n < 600, `about a quarter sampled (${n} of 2000)`);
  const k = `0x${"01".repeat(32)}` as Hex;
  t.ok(sampled(secret, k, 1) && !sampled(secret, k, 0), "1 takes all, 0 none");
  t.throws(
    () => sampled(new Uint8Array(5), k, 0.5),
    { name: "SamplingSecretError" },
    "a short secret is refused",
  );
});

t.test("the secret: created once, restart-stable, private, corrupt files refused untouched", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-sampling-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = loadSamplingSecret(dir);
  t.equal(a.length, SAMPLING_SECRET_BYTES);
  const path = join(dir, SAMPLING_SECRET_FILE);
  t.equal(statSync(path).mode & 0o777, 0o600, "readable by the watcher only");
  const b = loadSamplingSecret(dir, () => new Uint8Array(SAMPLING_SECRET_BYTES).fill(7));
  t.same(b, a, "a restart reads the same secret (no new one drawn)");
  const other = mkdtempSync(join(tmpdir(), "verdict-sampling-"));
  t.teardown(() => rmSync(other, { recursive: true, force: true }));
  t.notSame(loadSamplingSecret(other), a, "another watcher draws another secret");

  writeFileSync(path, Buffer.alloc(7, 1));
  t.throws(() => loadSamplingSecret(dir), { name: "SamplingSecretError", message: /7 bytes/ });
  t.same([...readFileSync(path)], Array(7).fill(1), "the corrupt file is left as it was");
  t.throws(
    () => loadSamplingSecret(other + "-missing/sub"),
    { code: "ENOENT" },
    "a data dir that does not exist is an error, not a silent in-memory secret",
  );
});

t.test("detection odds and the profitability condition", async (t) => {
  t.ok(Math.abs(detectionProbability(0.3, 1) - 0.3) < 1e-12, "one watcher: its rate");
  t.ok(Math.abs(detectionProbability(0.3, 5) - 0.83193) < 1e-5, "1 - 0.7^5");
  t.equal(detectionProbability(1, 3), 1);
  t.equal(detectionProbability(0, 3), 0);
  t.throws(() => detectionProbability(1.5, 1), RangeError);
  t.throws(() => detectionProbability(0.5, -1), RangeError);
  t.throws(() => detectionProbability(0.5, 1.5), RangeError);
  t.equal(breakEvenGainWei(10n ** 18n, 0.5), 5n * 10n ** 17n, "stake x P");
  t.throws(() => breakEvenGainWei(1n, Number.NaN), RangeError);
  const o = samplingOdds(0.3, 5, 10n ** 18n);
  t.match(o.text, /30\.00% of claims/);
  t.match(o.text, /5 independent watchers .* 83\.19%/);
  t.match(o.text, /gain < stake x P = 831930000000000000 wei/);
  t.notMatch(samplingOdds(0.3).text, /independent/, "no network odds without --assume-watchers");
  t.ok(Math.abs(samplingOdds(0.3).pCaught - 0.3) < 1e-12);
});
