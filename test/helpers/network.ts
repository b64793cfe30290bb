/**
 * A whole Verdict network as separate processes, for end-to-end tests:
 *
 *   l1          `verdict l1 node` (the embedded chain over HTTP, its own process) or a real anvil
 *               (test/helpers/l1.ts anvilBackend); the Bridge + DisputeGame + BatchChallenge
 *               deployed over JSON-RPC from this process with short windows, the models registered
 *   sequencer   `verdict sequencer` wired to L1 (deposits, disputes, requests derived; batches posted)
 *   workers     `verdict worker` per model: an honest one, and optionally one with `--test-fault`
 *               (each serves its own model, so a test chooses who answers by the model it posts on)
 *   watcher     `verdict watch` with every model: re-executes claims, disputes wrong ones on L1
 *
 * All roles talk over real sockets (HTTP, JSON-RPC) and real libp2p (the agents fetch content from
 * the sequencer's Helia node by bitswap). L1 gets an empty block every second besides the blocks
 * its txs make, so its clock moves as a real chain's does (batch finality, dispute clocks).
 *
 * Teardown without orphans: roles run in their own process groups (scripts/devnet/roles.ts) and
 * stop in order (agents, sequencer, L1) with SIGINT, then SIGKILL. A detached reaper process
 * holds a pipe from this process and kills every registered group when the pipe closes, so even a
 * test process killed with SIGKILL (a tap timeout) leaves nothing running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";
import { type Address, createTestClient, type Hex, parseEther } from "viem";
import { BridgeContract as Bridge, type BridgeContract, modelRegistration } from "../../bridge/bridge.ts";
import { type DevAccount, devAccounts } from "../../bridge/chain/accounts.ts";
import { connectL1, type L1Clients } from "../../bridge/clients.ts";
import { deployBridge } from "../../bridge/deploy.ts";
import { toHex } from "../../protocol/bytes.ts";
import { buildMlp } from "../../prover-trace/builder/mlp.ts";
import { commitOnnxFile, type ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";
import { type Role, startRole } from "../../scripts/devnet/roles.ts";
import { challengeGenesisOfConfig, DEVNET_L2_GENESIS } from "../../sequencer/fault-proof/genesis.ts";
import { anvilBackend } from "./l1.ts";

/** Dev accounts by role (same mnemonic on the embedded chain and anvil). */
export const ACCOUNT = {
  deployer: 0,
  requester: 1,
  honestWorker: 2,
  faultyWorker: 3,
  watcher: 4,
  consumerOwner: 5,
  recipient: 6,
} as const;

/** Dev accounts of the faulty workers, in the order of `faults` (the first is ACCOUNT.faultyWorker). */
export const FAULTY_ACCOUNTS = [ACCOUNT.faultyWorker, 7, 8, 9] as const;

/**
 * Dev account of the second honest worker (`honestWorkers: 2`): the last of the ten every L1 here
 * prefunds, so that network has at most three faulty workers.
 */
export const SECOND_HONEST_ACCOUNT = 9;

export const MIN_STAKE = parseEther("1");
export const CHALLENGER_BOND = parseEther("0.1");
export const L2_CHAIN_ID = BigInt(DEVNET_L2_GENESIS.l2ChainId);

export type L1Kind = "embedded" | "anvil";

export interface NetworkOptions {
  l1: L1Kind;
  /** L2 challenge window (genesis challengeWindowMs); default 8 s. */
  challengeWindowMs?: number;
  /** Bridge challenge window: seconds until a batch or a claim is final on L1; default the L2 window (rounded up). */
  l1ChallengeWindowS?: bigint;
  /** Each side's dispute clock, seconds; default 120. */
  disputeClockS?: bigint;
  /** Fault mode of the second worker (null: no second worker); default "wrong-element". */
  fault?: string | null;
  /**
   * Several faulty workers, one per mode, each with its own dev account (FAULTY_ACCOUNTS) and its
   * own model (mlpBytes(2 + i)); replaces `fault` when given.
   */
  faults?: string[];
  /**
   * Honest `verdict worker` processes serving honestModel (1 or 2; default 1): the second, on dev
   * account SECOND_HONEST_ACCOUNT, shows that two honest workers make the same claim.
   */
  honestWorkers?: number;
  /** Each worker's `--capacity` (jobs worked on at once); default 4. */
  workerCapacity?: number;
  /** Sequencer batch interval; default 1000 ms. */
  batchIntervalMs?: number;
  /** Agents' poll interval; default 200 ms. */
  pollMs?: number;
  /**
   * Models to serve instead of the small MLPs (e.g. an imported LLM): the honest worker's, and
   * each faulty worker's by index; those not given stay the MLPs.
   */
  models?: { honest?: ModelFile; faulty?: ModelFile[] };
  /**
   * The watcher gets no --model files: it fetches every model by the CID registered on the
   * Bridge, so the test must upload the model bytes to the content layer first. Default false.
   */
  watcherFetchesModels?: boolean;
  /**
   * Workers make deferred claims (traceRoot 0, the worker's default; docs/dispute-game.md
   * "Deferred trace"). Default false: every worker runs with --commit-trace, as the scenarios
   * written before deferred claims expect.
   */
  deferred?: boolean;
}

/** A model file to register and serve. */
export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

export interface NetModel {
  name: string;
  path: string;
  bytes: Uint8Array;
  commitment: ModelCommitment;
  modelId: Hex;
}

export interface Network {
  l1Kind: L1Kind;
  dir: string;
  l1Url: string;
  chainId: number;
  bridgeAddress: Address;
  disputeGame: Address;
  deployBlock: bigint;
  challengeWindowMs: number;
  seqUrl: string;
  seqP2p: string[];
  accounts: DevAccount[];
  /** Served by the honest worker (and the second honest worker, when there is one). */
  honestModel: NetModel;
  /** The honest workers' dev accounts (ACCOUNT.honestWorker, then SECOND_HONEST_ACCOUNT). */
  honestAccounts: number[];
  /** Served by the (first) faulty worker, when there is one; the watcher has every model. */
  faultyModel: NetModel;
  /** Every faulty worker: its mode, dev account and model (one entry per `faults`, or `fault`). */
  faultyWorkers: FaultyWorker[];
  /** A model registered on L1 (so L2 takes jobs on it) that no worker serves. */
  unservedModelId: Hex;
  roles: Role[];
  /** L1 clients with dev account `i`'s wallet. */
  l1Clients(i: number): Promise<L1Clients>;
  /** The Bridge, sending from dev account `i`. */
  bridge(i: number): Promise<BridgeContract>;
  /** Every line the roles printed (also appended to $VERDICT_E2E_LOG when set). */
  log(): string;
  stop(): Promise<void>;
}

export interface FaultyWorker {
  fault: string;
  account: number;
  model: NetModel;
}

export const MLP_DIM = 16;

/** A small MLP (2 MatMulInteger layers); `seed` makes a different model (and model id). */
export function mlpBytes(seed: number): Uint8Array {
  return encodeOnnx(buildMlp({ seed, inputDim: MLP_DIM, hidden: 64, layers: 1, classes: 4, batch: 1 }));
}

export function mlpInput(seed: number): TensorData {
  const data = new Int8Array(MLP_DIM);
  for (let i = 0; i < data.length; i++) data[i] = (((i + 3 * seed) * 37) % 255) - 127;
  return { dtype: 3, shape: [1, MLP_DIM], data };
}

// ---------------------------------------------------------------------------------- reaper

/** Kills every process group it was told about once its stdin closes (the test process died). */
const REAPER = `
const pids = new Set();
let buf = "";
process.stdin.on("data", (d) => {
  buf += d;
  for (let i = buf.indexOf("\\n"); i >= 0; i = buf.indexOf("\\n")) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (line.startsWith("-")) pids.delete(line.slice(1)); else if (line) pids.add(line);
  }
});
const reap = () => {
  for (const p of pids) {
    try { process.kill(-Number(p), "SIGKILL"); } catch {}
    try { process.kill(Number(p), "SIGKILL"); } catch {}
  }
  process.exit(0);
};
process.stdin.on("end", reap);
process.stdin.on("close", reap);
process.stdin.on("error", reap);
`;

export interface Reaper {
  add(pid: number | undefined): void;
  remove(pid: number | undefined): void;
  close(): void;
}

export function startReaper(): Reaper {
  const proc: ChildProcess = spawn(process.execPath, ["-e", REAPER], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  proc.unref();
  const write = (s: string) => {
    if (proc.stdin?.writable) proc.stdin.write(s);
  };
  // the pipe must not keep this process alive, only die with it
  (proc.stdin as unknown as { unref?: () => void })?.unref?.();
  return {
    add: (pid) => pid && write(`${pid}\n`),
    remove: (pid) => pid && write(`-${pid}\n`),
    close: () => proc.stdin?.end(),
  };
}

// ---------------------------------------------------------------------------------- network

async function loadModel(
  dir: string,
  name: string,
  bytes: Uint8Array,
  bridge: BridgeContract,
): Promise<NetModel> {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  const c = await commitOnnxFile(bytes);
  const { modelId } = await bridge.registerCommittedModel(c);
  if (modelId.toLowerCase() !== toHex(c.modelId))
    throw new Error(`${name}: Bridge model id ${modelId} != ${toHex(c.modelId)}`);
  return { name, path, bytes, commitment: c, modelId: toHex(c.modelId) as Hex };
}

export async function startNetwork(t: Test, opts: NetworkOptions): Promise<Network> {
  const dir = mkdtempSync(join(tmpdir(), `verdict-e2e-${opts.l1}-`));
  const challengeWindowMs = opts.challengeWindowMs ?? 8000;
  const pollMs = String(opts.pollMs ?? 200);
  const fault = opts.fault === undefined ? "wrong-element" : opts.fault;
  const faults = opts.faults ?? (fault ? [fault] : []);
  if (faults.length > FAULTY_ACCOUNTS.length)
    throw new Error(`at most ${FAULTY_ACCOUNTS.length} faulty workers, got ${faults.length}`);
  const honestWorkers = opts.honestWorkers ?? 1;
  if (honestWorkers !== 1 && honestWorkers !== 2)
    throw new Error(`honestWorkers is 1 or 2, got ${honestWorkers}`);
  const honestAccounts: number[] =
    honestWorkers === 2 ? [ACCOUNT.honestWorker, SECOND_HONEST_ACCOUNT] : [ACCOUNT.honestWorker];
  if (honestWorkers === 2 && FAULTY_ACCOUNTS.slice(0, faults.length).includes(SECOND_HONEST_ACCOUNT))
    throw new Error(`two honest workers leave room for ${FAULTY_ACCOUNTS.length - 1} faulty workers`);
  const accounts = devAccounts(10);
  const key = (i: number) => accounts[i].privateKey;
  const reaper = startReaper();
  const roles: Role[] = [];
  const lines: string[] = [];
  const logFile = process.env.VERDICT_E2E_LOG;
  const print = (s: string) => {
    lines.push(s);
    if (logFile) appendFileSync(logFile, `${opts.l1} ${s}\n`);
  };
  const role = (name: string, args: string[]): Role => {
    const r = startRole({ role: name, args, print, printLevel: 30 });
    reaper.add(r.pid);
    roles.push(r);
    return r;
  };
  let ticker: NodeJS.Timeout | undefined;
  let anvil: Awaited<ReturnType<typeof anvilBackend>> | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (ticker) clearInterval(ticker);
    // agents first (they talk to both chains), then L2, then L1
    for (const r of [...roles].reverse()) {
      await r.stop(5000);
      reaper.remove(r.pid);
    }
    if (anvil) {
      await anvil.close();
      reaper.remove(anvil.process.pid);
    }
    reaper.close();
    rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(stop);

  try {
    // ------------------------------------------------------------------ L1
    let l1Url: string;
    if (opts.l1 === "anvil") {
      anvil = await anvilBackend();
      reaper.add(anvil.process.pid);
      l1Url = anvil.url;
    } else {
      const l1 = role("l1", ["l1", "node", "--port", "0", "--accounts", "10"]);
      l1Url = (await l1.waitFor((l) => typeof l.rpc === "string", 120_000, "RPC URL")).rpc as string;
    }
    const deployer = await connectL1({
      rpcUrl: l1Url,
      privateKey: key(ACCOUNT.deployer),
      pollingIntervalMs: 50,
    });
    const test = createTestClient({ mode: "anvil", chain: deployer.chain, transport: deployer.transport });
    // an empty block every second: L1 time moves even when nobody sends (as on a real chain)
    ticker = setInterval(() => void test.mine({ blocks: 1 }).catch(() => {}), 1000);
    const dep = await deployBridge(deployer, {
      // the L1 window covers the L2 one (the sequencer refuses to run otherwise: sequencer/config.ts
      // challengeWindowConflict)
      challengeWindow: opts.l1ChallengeWindowS ?? BigInt(Math.ceil(challengeWindowMs / 1000)),
      unbondingDelay: 10_000n,
      minWorkerStake: MIN_STAKE,
      challengerBond: CHALLENGER_BOND,
      disputeClock: opts.disputeClockS ?? 120n,
      // the batch challenge for the genesis below (its challenge window too: finalize's one-step
      // reads it): the sequencer bonds and defends its batches
      batchChallenge: challengeGenesisOfConfig({ ...DEVNET_L2_GENESIS, challengeWindowMs }),
    });
    const custom = opts.models ?? {};
    const honestModel = await loadModel(
      dir,
      custom.honest?.name ?? "mlp-honest",
      custom.honest?.bytes ?? mlpBytes(1),
      dep.bridge,
    );
    const faultyWorkers: FaultyWorker[] = [];
    for (const [i, f] of faults.entries())
      faultyWorkers.push({
        fault: f,
        account: FAULTY_ACCOUNTS[i],
        // the first keeps the name and seed it always had
        model: custom.faulty?.[i]
          ? await loadModel(dir, custom.faulty[i].name, custom.faulty[i].bytes, dep.bridge)
          : await loadModel(dir, i === 0 ? "mlp-faulty" : `mlp-faulty-${f}`, mlpBytes(2 + i), dep.bridge),
      });
    const faultyModel =
      faultyWorkers[0]?.model ?? (await loadModel(dir, "mlp-faulty", mlpBytes(2), dep.bridge));
    // the honest model's commitment with other weights: registered, and no worker has its file
    const { modelId: unservedModelId } = await dep.bridge.registerModel(
      { ...modelRegistration(honestModel.commitment), weightsRoot: `0x${"77".repeat(32)}` },
      honestModel.commitment.cidBytes,
    );

    // ------------------------------------------------------------------ sequencer
    const seqDir = join(dir, "sequencer");
    mkdirSync(seqDir);
    const seqConfig = join(dir, "sequencer.json");
    writeFileSync(
      seqConfig,
      JSON.stringify({
        dataDir: seqDir,
        httpPort: 0,
        blockTimeMs: 100,
        verifyWorkers: 0,
        l1Rpc: l1Url,
        l1Confirmations: 0,
        l1StartBlock: Number(dep.blockNumber),
        l1Key: key(ACCOUNT.deployer),
        batchIntervalMs: opts.batchIntervalMs ?? 1000,
        // the genesis the batch challenge was deployed for (chain L2_CHAIN_ID, no fee, no balances)
        genesis: {
          ...DEVNET_L2_GENESIS,
          l1ChainId: String(dep.chainId),
          bridge: dep.address,
          timestamp: 0,
          challengeWindowMs,
        },
      }),
    );
    const seq = role("sequencer", ["sequencer", "--config", seqConfig, "--log-level", "info"]);
    const seqUrl = (await seq.waitFor((l) => l.msg === "http listening", 120_000, "HTTP address"))
      .url as string;
    const seqP2p = (await seq.waitFor((l) => l.msg === "p2p listening", 60_000, "p2p address"))
      .addrs as string[];

    // ------------------------------------------------------------------ agents
    const worker = (name: string, account: number, model: NetModel, extra: string[]) =>
      role(name, [
        "worker",
        "--l1-rpc",
        l1Url,
        "--bridge",
        dep.address,
        "--sequencer",
        seqUrl,
        "--model",
        model.path,
        "--l1-start-block",
        dep.blockNumber.toString(),
        "--challenge-window-ms",
        String(challengeWindowMs),
        "--capacity",
        String(opts.workerCapacity ?? 4),
        "--poll-ms",
        pollMs,
        "--key",
        key(account),
        "--data-dir",
        join(dir, name),
        "--content-peer",
        seqP2p[0],
        "--log-level",
        "info",
        ...(opts.deferred ? [] : ["--commit-trace"]),
        ...extra,
      ]);
    const agents = honestAccounts.map((account, i) =>
      worker(i === 0 ? "worker-honest" : `worker-honest-${i + 1}`, account, honestModel, []),
    );
    for (const [i, f] of faultyWorkers.entries())
      agents.push(
        worker(i === 0 ? "worker-faulty" : `worker-faulty-${f.fault}`, f.account, f.model, [
          "--test-fault",
          f.fault,
          "--stake",
          (MIN_STAKE * 2n).toString(),
        ]),
      );
    const watcher = role("watcher", [
      "watch",
      "--sequencer",
      seqUrl,
      "--l1-rpc",
      l1Url,
      "--bridge",
      dep.address,
      "--key",
      key(ACCOUNT.watcher),
      "--data-dir",
      join(dir, "watcher"),
      ...(opts.watcherFetchesModels
        ? []
        : [
            honestModel,
            ...(faultyWorkers.length ? faultyWorkers.map((f) => f.model) : [faultyModel]),
          ].flatMap((m) => ["--model", m.path])),
      "--poll-ms",
      pollMs,
      "--l2-challenge-window-ms",
      String(challengeWindowMs),
      "--content-peer",
      seqP2p[0],
      "--log-level",
      "info",
    ]);
    await Promise.all([
      ...agents.map((a) => a.waitFor((l) => l.msg === "worker ready", 180_000, "worker ready")),
      watcher.waitFor((l) => l.msg === "watcher started", 180_000, "watcher started"),
    ]);

    const l1Clients = (i: number) => connectL1({ rpcUrl: l1Url, privateKey: key(i), pollingIntervalMs: 50 });
    return {
      l1Kind: opts.l1,
      dir,
      l1Url,
      chainId: dep.chainId,
      bridgeAddress: dep.address.toLowerCase() as Address,
      disputeGame: dep.disputeGame.toLowerCase() as Address,
      deployBlock: dep.blockNumber,
      challengeWindowMs,
      seqUrl,
      seqP2p,
      accounts,
      honestModel,
      honestAccounts,
      faultyModel,
      faultyWorkers,
      unservedModelId,
      roles,
      l1Clients,
      bridge: async (i) => new Bridge(await l1Clients(i), dep.address),
      log: () => lines.join("\n"),
      stop,
    };
  } catch (e) {
    const tail = lines.slice(-40).join("\n");
    await stop();
    throw new Error(`network did not start: ${(e as Error).message}\n${tail}`);
  }
}
