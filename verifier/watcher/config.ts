/**
 * The watcher's configuration: parsed and checked once at start, every bad value named (the CLI
 * and tests build it from flags / objects through `resolveWatcherConfig`).
 */
import { resolve } from "node:path";
import type { Address, Hex } from "viem";
import { devAccounts } from "../../bridge/chain/accounts.ts";

export interface WatcherConfig {
  /** Sequencer API, e.g. http://127.0.0.1:8080. */
  sequencerUrl: string;
  l1Rpc: string;
  bridge: Address;
  /** DisputeGame address; default: the one the Bridge names. */
  disputeGame?: Address;
  /** The watcher's L1 key (challenger bond, dispute moves). */
  key: Hex;
  dataDir: string;
  /** Fraction of claims re-executed, in [0, 1]; the pick is keyed by the watcher's secret (sampling.ts), stable over restarts. */
  sampleRate: number;
  /** How many independent watchers to assume when printing the network's detection odds at start. */
  assumeWatchers?: number;
  /** Local ONNX files; other models are fetched by their registered CID. */
  models: string[];
  /** L2 poll interval, and how often each game re-reads L1 while waiting. */
  pollMs: number;
  /** Wei deposited when the free bond is short of the Bridge's challengerBond; default: that bond. */
  bondDeposit?: bigint;
  /** Withdraw the free bond whenever no dispute of ours is running. */
  withdrawIdleBond: boolean;
  /** L2 challenge window (ms): claims older than this are skipped; unknown: never skip. */
  l2ChallengeWindowMs?: number;
  metricsPort?: number;
  logLevel: string;
}

/** Dev account 4 of the test mnemonic, as in `npm run devnet` (0 deploys and sequences, 1 requests, 2 and 3 are workers). */
export const DEV_WATCHER_KEY: Hex = devAccounts(5)[4].privateKey;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function url(v: unknown, name: string): string {
  if (typeof v !== "string" || v === "") throw new ConfigError(`${name} is required`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} is not a URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ConfigError(`${name} must be http(s): ${v}`);
  return v;
}

function address(v: unknown, name: string): Address {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw new ConfigError(`${name} must be a 20-byte 0x-prefixed hex address, got ${String(v)}`);
  return v as Address;
}

function num(v: unknown, name: string, min: number, max: number, int = true): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max)
    throw new ConfigError(
      `${name} must be ${int ? "an integer" : "a number"} in [${min}, ${max}], got ${String(v)}`,
    );
  return n;
}

/** Builds the config from loose values (flags, env, a test's object); unset fields get defaults. */
export function resolveWatcherConfig(o: Record<string, unknown>): WatcherConfig {
  const key = (o.key ?? process.env.VERDICT_WATCHER_KEY ?? DEV_WATCHER_KEY) as string;
  if (typeof key !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new ConfigError("key must be 32 bytes of 0x-prefixed hex");
  const models = o.models === undefined ? [] : o.models;
  if (!Array.isArray(models) || models.some((m) => typeof m !== "string"))
    throw new ConfigError("models must be a list of ONNX file paths");
  let bondDeposit: bigint | undefined;
  if (o.bondDeposit !== undefined) {
    if (!/^\d+$/.test(String(o.bondDeposit)))
      throw new ConfigError(`bondDeposit must be a non-negative integer (wei), got ${String(o.bondDeposit)}`);
    bondDeposit = BigInt(String(o.bondDeposit));
  }
  return {
    sequencerUrl: url(o.sequencerUrl, "sequencer URL (--sequencer)"),
    l1Rpc: url(o.l1Rpc, "L1 RPC URL (--l1-rpc)"),
    bridge: address(o.bridge, "bridge (--bridge)"),
    disputeGame:
      o.disputeGame === undefined ? undefined : address(o.disputeGame, "dispute game (--dispute-game)"),
    key: key as Hex,
    dataDir: resolve(typeof o.dataDir === "string" && o.dataDir !== "" ? o.dataDir : "data/watcher"),
    sampleRate:
      o.sampleRate === undefined ? 1 : num(o.sampleRate, "sample rate (--sample-rate)", 0, 1, false),
    assumeWatchers:
      o.assumeWatchers === undefined
        ? undefined
        : num(o.assumeWatchers, "assumed watcher count (--assume-watchers)", 1, 1_000_000),
    models: models as string[],
    pollMs: o.pollMs === undefined ? 1000 : num(o.pollMs, "poll interval (--poll-ms)", 10, 60_000),
    bondDeposit,
    withdrawIdleBond: o.withdrawIdleBond === true,
    l2ChallengeWindowMs:
      o.l2ChallengeWindowMs === undefined
        ? undefined
        : num(
            o.l2ChallengeWindowMs,
            "L2 challenge window (--l2-challenge-window-ms)",
            1,
            Number.MAX_SAFE_INTEGER,
          ),
    metricsPort:
      o.metricsPort === undefined ? undefined : num(o.metricsPort, "metrics port (--metrics-port)", 0, 65535),
    logLevel: typeof o.logLevel === "string" ? o.logLevel : "info",
  };
}
