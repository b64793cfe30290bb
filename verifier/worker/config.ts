/**
 * Worker configuration: defaults < environment (VERDICT_WORKER_*) < flags (cli.ts). Checked once
 * at start; every bad value is named.
 */
import type { Address, Hex } from "viem";
import { devAccounts } from "../../bridge/chain/accounts.ts";
import { type FaultMode, parseFaultMode } from "./faults.ts";

export interface WorkerConfig {
  /** L1 JSON-RPC URL (anvil, the embedded chain over HTTP, any node). */
  l1Rpc: string;
  bridge: Address;
  /** The DisputeGame; default: what the Bridge names (`Bridge.disputeGame()`). */
  disputeGame: Address | null;
  /** First L1 block to look for disputes in (the Bridge's deployment block). */
  l1StartBlock: number;
  /** The worker's key: its L1 stake, its L2 account and its claim signatures. */
  key: Hex;
  /** Sequencer HTTP API. */
  sequencer: string;
  l2ChainId: bigint;
  /** ONNX model files served (each validated, its model id checked registered on L1). */
  models: string[];
  /** Advertised price per job (wei) and concurrent jobs. */
  price: bigint;
  capacity: number;
  multiaddr: string;
  /** Fee per L2 tx (wei). */
  fee: bigint;
  dataDir: string;
  /** Stake to put on L1 when the worker is not bonded; null: the Bridge's minimum. */
  stake: bigint | null;
  /** The L2 challenge window (genesis challengeWindowMs): finalize is tried after it, retried on early. */
  challengeWindowMs: number;
  /**
   * How long after its inclusion a claim can still be disputed (ms); null: the challenge window.
   * The worker refuses to stop serving a model while any claim on it is within it (retention.ts).
   */
  disputeWindowMs: number | null;
  /** Poll interval for L2 blocks (between SSE wake-ups), finalize and disputes. */
  pollMs: number;
  /** Jobs whose deadline is closer than this are not claimed. */
  deadlineMarginMs: number;
  /** First L2 block to scan for jobs on a fresh data dir; null: the head at first start. */
  fromBlock: number | null;
  metricsPort: number | null;
  metricsHost: string;
  logLevel: string;
  /** Kubo RPC URL for content; null: the embedded default of the content layer. */
  ipfsApi: string | null;
  /** Extra options for the content layer (e.g. bootstrap peers), passed through. */
  contentOptions: Record<string, unknown>;
  /**
   * Commit the full trace at claim time (traced run, trace published). Default false: deferred
   * claims, a plain run whose trace is committed only in a dispute (docs/dispute-game.md).
   */
  commitTrace: boolean;
  /** TEST ONLY: lie on purpose (faults.ts). */
  testFault: FaultMode | null;
  /** The explicit guard a test fault needs outside a dev chain. */
  iKnowThisIsATestFault: boolean;
}

/** anvil's dev account 2: not the deployer/sequencer (0), not the devnet's demo depositor (1). */
export const DEV_WORKER_KEY = devAccounts(3)[2].privateKey;

/** Chain ids where a test fault is allowed without the explicit guard. */
export const DEV_CHAIN_IDS: readonly number[] = [31337];

export const WORKER_DEFAULTS: Omit<WorkerConfig, "l1Rpc" | "bridge" | "models"> = {
  disputeGame: null,
  l1StartBlock: 0,
  key: DEV_WORKER_KEY,
  sequencer: "http://127.0.0.1:7545",
  l2ChainId: 424242n,
  price: 0n,
  capacity: 2,
  multiaddr: "",
  fee: 0n,
  dataDir: "./data/worker",
  stake: null,
  challengeWindowMs: 60_000,
  disputeWindowMs: null,
  pollMs: 500,
  deadlineMarginMs: 5_000,
  fromBlock: null,
  metricsPort: null,
  metricsHost: "127.0.0.1",
  logLevel: "info",
  ipfsApi: null,
  contentOptions: {},
  commitTrace: false,
  testFault: null,
  iKnowThisIsATestFault: false,
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const KEY = /^0x[0-9a-fA-F]{64}$/;

function int(name: string, v: unknown, min: number, max: number): number {
  const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  return n;
}

function wei(name: string, v: unknown): bigint {
  if (typeof v === "bigint" && v >= 0n) return v;
  if (
    (typeof v === "string" && /^\d{1,78}$/.test(v)) ||
    (typeof v === "number" && Number.isSafeInteger(v) && v >= 0)
  )
    return BigInt(v);
  throw new ConfigError(`${name} must be a non-negative integer (wei), got ${String(v)}`);
}

function url(name: string, v: unknown): string {
  if (typeof v !== "string") throw new ConfigError(`${name} must be a URL`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ConfigError(`${name} must be http(s): ${v}`);
  return v.replace(/\/+$/, "");
}

/** Environment variables read (flags win). */
export const WORKER_ENV = {
  VERDICT_WORKER_KEY: "key",
  VERDICT_WORKER_L1_RPC: "l1Rpc",
  VERDICT_WORKER_BRIDGE: "bridge",
  VERDICT_WORKER_SEQUENCER: "sequencer",
  VERDICT_WORKER_DATA_DIR: "dataDir",
  VERDICT_WORKER_LOG_LEVEL: "logLevel",
} as const;

/**
 * A complete, checked config from partial input (flags, a JSON file, a test) and the environment.
 * Throws ConfigError naming the first bad field.
 */
export function resolveWorkerConfig(
  input: Partial<Record<keyof WorkerConfig, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): WorkerConfig {
  const raw: Record<string, unknown> = { ...WORKER_DEFAULTS };
  for (const [k, field] of Object.entries(WORKER_ENV)) if (env[k] !== undefined) raw[field] = env[k];
  for (const [k, v] of Object.entries(input)) if (v !== undefined) raw[k] = v;

  if (raw.l1Rpc === undefined) throw new ConfigError("l1Rpc (--l1-rpc) is required");
  if (typeof raw.bridge !== "string" || !ADDRESS.test(raw.bridge))
    throw new ConfigError(`bridge (--bridge) must be a 20-byte 0x address, got ${String(raw.bridge)}`);
  if (raw.disputeGame !== null && (typeof raw.disputeGame !== "string" || !ADDRESS.test(raw.disputeGame)))
    throw new ConfigError(`disputeGame must be a 20-byte 0x address, got ${String(raw.disputeGame)}`);
  if (typeof raw.key !== "string" || !KEY.test(raw.key))
    throw new ConfigError("key (--key / VERDICT_WORKER_KEY) must be 32 bytes of 0x-prefixed hex");
  const models = raw.models;
  if (!Array.isArray(models) || models.length === 0 || models.some((m) => typeof m !== "string" || m === ""))
    throw new ConfigError("at least one model file is required (--model path.onnx)");
  if (typeof raw.multiaddr !== "string" || raw.multiaddr.length > 256)
    throw new ConfigError("multiaddr must be a string of at most 256 characters");
  if (typeof raw.dataDir !== "string" || raw.dataDir === "") throw new ConfigError("dataDir must be a path");
  const testFault =
    raw.testFault === null || raw.testFault === undefined ? null : parseFaultMode(String(raw.testFault));
  const l2ChainId = wei("l2ChainId", raw.l2ChainId);
  if (l2ChainId === 0n) throw new ConfigError("l2ChainId must be positive");
  return {
    l1Rpc: url("l1Rpc", raw.l1Rpc),
    bridge: (raw.bridge as string).toLowerCase() as Address,
    disputeGame: raw.disputeGame === null ? null : ((raw.disputeGame as string).toLowerCase() as Address),
    l1StartBlock: int("l1StartBlock", raw.l1StartBlock, 0, Number.MAX_SAFE_INTEGER),
    key: raw.key as Hex,
    sequencer: url("sequencer", raw.sequencer),
    l2ChainId,
    models: models as string[],
    price: wei("price", raw.price),
    capacity: int("capacity", raw.capacity, 1, 1024),
    multiaddr: raw.multiaddr,
    fee: wei("fee", raw.fee),
    dataDir: raw.dataDir,
    stake: raw.stake === null ? null : wei("stake", raw.stake),
    challengeWindowMs: int("challengeWindowMs", raw.challengeWindowMs, 0, 365 * 24 * 3600 * 1000),
    disputeWindowMs:
      raw.disputeWindowMs === null
        ? null
        : int("disputeWindowMs", raw.disputeWindowMs, 0, 10 * 365 * 24 * 3600 * 1000),
    pollMs: int("pollMs", raw.pollMs, 10, 600_000),
    deadlineMarginMs: int("deadlineMarginMs", raw.deadlineMarginMs, 0, 24 * 3600 * 1000),
    fromBlock: raw.fromBlock === null ? null : int("fromBlock", raw.fromBlock, 0, Number.MAX_SAFE_INTEGER),
    metricsPort: raw.metricsPort === null ? null : int("metricsPort", raw.metricsPort, 0, 65535),
    metricsHost: String(raw.metricsHost),
    logLevel: String(raw.logLevel),
    ipfsApi: raw.ipfsApi === null ? null : url("ipfsApi", raw.ipfsApi),
    contentOptions: (raw.contentOptions as Record<string, unknown>) ?? {},
    commitTrace: raw.commitTrace === true,
    testFault,
    iKnowThisIsATestFault: raw.iKnowThisIsATestFault === true,
  };
}

/**
 * A test fault is refused unless the operator gave the explicit guard or L1 is a dev chain:
 * a lying worker on a real chain loses its stake.
 */
export function checkFaultAllowed(
  cfg: Pick<WorkerConfig, "testFault" | "iKnowThisIsATestFault">,
  l1ChainId: number,
): void {
  if (cfg.testFault === null) return;
  if (cfg.iKnowThisIsATestFault || DEV_CHAIN_IDS.includes(l1ChainId)) return;
  throw new ConfigError(
    `test fault '${cfg.testFault}' refused on L1 chain ${l1ChainId}: it makes this worker lie and lose its stake; ` +
      "pass --i-know-this-is-a-test-fault if that is what you want",
  );
}
