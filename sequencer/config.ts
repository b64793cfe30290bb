/**
 * Sequencer configuration: defaults < config file (JSON) < environment (VERDICT_SEQ_*) < flags.
 * The genesis part must be identical on the sequencer and its followers.
 */
import { readFileSync } from "node:fs";
import { toHex } from "../protocol/bytes.ts";
import { type Address, addressOf } from "../protocol/secp256k1.ts";
import { sha256 } from "../protocol/sha256.ts";
import type { GenesisConfig } from "./chain.ts";

export interface SequencerConfig {
  dataDir: string;
  httpHost: string;
  httpPort: number;
  blockTimeMs: number;
  /** Hex private key that signs blocks; followers need only the sequencer address. */
  sequencerKey: string | null;
  follow: string | null;
  p2pListen: string[];
  rateLimit: number;
  logLevel: string;
  /** L1 JSON-RPC URL; when set, deposits/events are derived from genesis.bridge and batches posted. */
  l1Rpc: string | null;
  l1Confirmations: number;
  /** First L1 block to read (the bridge's deployment block). */
  l1StartBlock: number;
  /** Key that posts batches; must be the bridge's sequencer account. Default: sequencerKey. */
  l1Key: string | null;
  batchIntervalMs: number;
  /** Worker threads checking signatures (0: on the main thread). */
  verifyWorkers: number;
  /** Test only: a batch fault (sequencer/batch-faults.ts); refused off dev chains. */
  testFault: string | null;
  /** Allows testFault on any L1 chain. */
  iKnowThisIsATestFault: boolean;
  /** Bytes each client (IP) may upload to the content store per hour. */
  uploadBytesPerHour: number;
  /** Uploads no job, claim or registered model names are deleted once this old (content/upload-gc.ts). */
  contentGraceMs: number;
  /** How often the upload sweeper runs; 0: never. */
  contentSweepIntervalMs: number;
  /** Most bytes a /v1/events client may leave unread in this process before it is dropped. */
  eventBufferBytes: number;
  /** Follower: /health says ok: false after this long without an answer from the leader. */
  followerStaleMs: number;
  /** Follower: /health says ok: false when more blocks than this behind the leader. */
  followerMaxLag: number;
  genesis: {
    l2ChainId: string;
    l1ChainId: string;
    bridge: string;
    sequencer: string | null;
    timestamp: number;
    challengeWindowMs: number;
    minFee: string;
    /**
     * Wei of L1 stake each open claim holds: set it to the Bridge's minWorkerStake. Left out or
     * "0": no collateral check (only for an L2 that no Bridge secures: tests, the devkit).
     */
    claimCollateral?: string;
    feeRecipient: string | null;
    alloc: Record<string, string>;
  };
}

/** Well-known development key; never use it with value on the line. */
export const DEV_SEQUENCER_KEY = toHex(sha256(new TextEncoder().encode("verdict dev sequencer key")));

export const DEFAULTS: SequencerConfig = {
  dataDir: "./data/sequencer",
  httpHost: "127.0.0.1",
  httpPort: 7545,
  blockTimeMs: 250,
  sequencerKey: null,
  follow: null,
  p2pListen: ["/ip4/127.0.0.1/tcp/0"],
  rateLimit: 0,
  logLevel: "info",
  l1Rpc: null,
  l1Confirmations: 2,
  l1StartBlock: 0,
  l1Key: null,
  batchIntervalMs: 10_000,
  verifyWorkers: 2,
  testFault: null,
  iKnowThisIsATestFault: false,
  eventBufferBytes: 1024 * 1024,
  uploadBytesPerHour: 1024 * 1024 * 1024,
  contentGraceMs: 24 * 3_600_000,
  contentSweepIntervalMs: 600_000,
  followerStaleMs: 10_000,
  followerMaxLag: 16,
  genesis: {
    l2ChainId: "424242",
    l1ChainId: "31337",
    bridge: `0x${"00".repeat(20)}`,
    sequencer: null,
    timestamp: 0,
    challengeWindowMs: 60_000,
    minFee: "0",
    claimCollateral: "0",
    feeRecipient: null,
    alloc: {},
  },
};

const ENV: Record<string, keyof SequencerConfig> = {
  VERDICT_SEQ_DATA_DIR: "dataDir",
  VERDICT_SEQ_HTTP_HOST: "httpHost",
  VERDICT_SEQ_HTTP_PORT: "httpPort",
  VERDICT_SEQ_BLOCK_TIME_MS: "blockTimeMs",
  VERDICT_SEQ_KEY: "sequencerKey",
  VERDICT_SEQ_FOLLOW: "follow",
  VERDICT_SEQ_RATE_LIMIT: "rateLimit",
  VERDICT_SEQ_LOG_LEVEL: "logLevel",
  VERDICT_SEQ_L1_RPC: "l1Rpc",
  VERDICT_SEQ_L1_CONFIRMATIONS: "l1Confirmations",
  VERDICT_SEQ_L1_START_BLOCK: "l1StartBlock",
  VERDICT_SEQ_L1_KEY: "l1Key",
  VERDICT_SEQ_BATCH_INTERVAL_MS: "batchIntervalMs",
  VERDICT_SEQ_VERIFY_WORKERS: "verifyWorkers",
  VERDICT_SEQ_EVENT_BUFFER_BYTES: "eventBufferBytes",
  VERDICT_SEQ_UPLOAD_BYTES_PER_HOUR: "uploadBytesPerHour",
  VERDICT_SEQ_CONTENT_GRACE_MS: "contentGraceMs",
  VERDICT_SEQ_CONTENT_SWEEP_INTERVAL_MS: "contentSweepIntervalMs",
  VERDICT_SEQ_FOLLOWER_STALE_MS: "followerStaleMs",
  VERDICT_SEQ_FOLLOWER_MAX_LAG: "followerMaxLag",
};

export function loadConfig(
  flags: Partial<Record<keyof SequencerConfig, unknown>> & { config?: string },
  env: NodeJS.ProcessEnv = process.env,
): SequencerConfig {
  let file: Partial<SequencerConfig> = {};
  const path = flags.config ?? env.VERDICT_SEQ_CONFIG;
  if (path) {
    try {
      file = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new Error(`config file ${path}: ${(e as Error).message}`);
    }
  }
  const cfg: SequencerConfig = {
    ...DEFAULTS,
    ...file,
    genesis: { ...DEFAULTS.genesis, ...(file.genesis ?? {}) },
  };
  const set = (k: keyof SequencerConfig, v: unknown) => {
    if (v === undefined) return;
    const numeric = [
      "httpPort",
      "blockTimeMs",
      "rateLimit",
      "l1Confirmations",
      "l1StartBlock",
      "batchIntervalMs",
      "followerStaleMs",
      "followerMaxLag",
      "eventBufferBytes",
      "uploadBytesPerHour",
      "contentGraceMs",
      "contentSweepIntervalMs",
    ].includes(k);
    const val = numeric ? Number(v) : v;
    if (numeric && (!Number.isInteger(val) || (val as number) < 0))
      throw new Error(`${k}: expected a non-negative integer, got ${v}`);
    (cfg as unknown as Record<string, unknown>)[k] = val;
  };
  for (const [e, k] of Object.entries(ENV)) set(k, env[e]);
  if (env.VERDICT_SEQ_P2P_LISTEN) cfg.p2pListen = env.VERDICT_SEQ_P2P_LISTEN.split(",");
  for (const [k, v] of Object.entries(flags))
    if (k !== "config" && k in DEFAULTS) set(k as keyof SequencerConfig, v);
  if (cfg.blockTimeMs < 10) throw new Error(`blockTimeMs: at least 10, got ${cfg.blockTimeMs}`);
  return cfg;
}

function addr(v: string, what: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new Error(`${what}: not an address: ${v}`);
  return v.toLowerCase() as Address;
}

export function keyBytes(hex: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new Error("sequencer key: expected 0x + 64 hex digits");
  return Buffer.from(hex.slice(2), "hex");
}

function weiAmount(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(v))
    throw new Error(`${what}: expected a decimal amount of wei as a string, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** The sequencer's key (leader) or null (follower), and the genesis every node derives. */
export function resolveGenesis(cfg: SequencerConfig): { genesis: GenesisConfig; key: Uint8Array | null } {
  const key = cfg.follow ? null : keyBytes(cfg.sequencerKey ?? DEV_SEQUENCER_KEY);
  const g = cfg.genesis;
  const sequencer = g.sequencer
    ? addr(g.sequencer, "genesis.sequencer")
    : addressOf(keyBytes(cfg.sequencerKey ?? DEV_SEQUENCER_KEY));
  if (key && addressOf(key) !== sequencer)
    throw new Error(`sequencer key is for ${addressOf(key)}, but genesis.sequencer is ${sequencer}`);
  const alloc: Record<string, bigint> = {};
  for (const [a, v] of Object.entries(g.alloc)) alloc[addr(a, "genesis.alloc")] = BigInt(v);
  return {
    key,
    genesis: {
      l2ChainId: BigInt(g.l2ChainId),
      l1ChainId: BigInt(g.l1ChainId),
      bridge: addr(g.bridge, "genesis.bridge"),
      sequencer,
      timestamp: g.timestamp,
      params: {
        challengeWindowMs: g.challengeWindowMs,
        minFee: BigInt(g.minFee),
        claimCollateral: weiAmount(g.claimCollateral ?? "0", "genesis.claimCollateral"),
        feeRecipient: g.feeRecipient ? addr(g.feeRecipient, "genesis.feeRecipient") : sequencer,
      },
      alloc,
    },
  };
}
