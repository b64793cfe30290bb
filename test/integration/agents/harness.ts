/**
 * A whole Verdict deployment of real processes for the agent tests: the embedded L1 chain over
 * HTTP (in this process, so the test can read it and move its clock), the Bridge and DisputeGame
 * with short clocks, the small MLP registered, a `verdict sequencer` child wired to L1, an
 * embedded IPFS node holding the job inputs, and `verdict watch` children. The claimer is either
 * an in-process liar (a tampered PartyView played by planClaimerMove) or a `verdict worker` child.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "tap";
import { type Address, createTestClient, type Hex, parseEther, parseEventLogs } from "viem";
import type { BridgeContract, ClaimMessage } from "../../../bridge/bridge.ts";
import { devAccounts } from "../../../bridge/chain/accounts.ts";
import { connectL1, type L1Clients, walletClientFor } from "../../../bridge/clients.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { openHeliaContent } from "../../../content/helia.ts";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import type { ContentStore } from "../../../content/types.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { merkleRoot } from "../../../protocol/merkle.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import {
  claimDigest,
  encodeTx,
  NO_GENERATION,
  signClaim,
  signTx,
  type UnsignedUserTx,
  type UserTx,
} from "../../../protocol/tx.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, type ModelCommitment } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { Phase, planClaimerMove } from "../../../verifier/game/planner.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { awaitL2Model } from "../../helpers/registered-model.ts";
import { agentSequencerConfig, type Child, spawnSequencer } from "../sequencer/harness.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

export const WORKER = 1;
export const WATCHER = 2;
export const WATCHER2 = 3;
export const REQUESTER = 4;
export const MIN_STAKE = parseEther("1");
export const BOND = parseEther("0.1");
/** Each side's dispute clock (s): room for a loaded 2-core machine; silence is shown by moving L1 time. */
export const CLOCK = 120n;
export const WINDOW_MS = 600_000;

export interface Model {
  path: string;
  bytes: Uint8Array;
  commitment: ModelCommitment;
  modelId: Hex;
}

export interface Rig {
  dir: string;
  clients: L1Clients;
  l1Url: string;
  bridge: BridgeContract;
  game: DisputeGameContract;
  seq: Child;
  content: ContentStore & { addrs(): string[] };
  mlp: Model;
  key(i: number): Hex;
  address(i: number): Address;
  /** Signs and submits an L2 tx from dev account `who`. */
  l2(who: number, tx: Record<string, unknown>): Promise<Hex>;
  job(id: Hex): Promise<{ status: string; [k: string]: unknown }>;
  /** Posts a job on `m` with `inputs`, published through content. */
  postJob(m: Model, inputs: TensorData[]): Promise<{ jobId: Hex; inputRoot: Hex }>;
  claimDomain: ReturnType<typeof claimDomain>;
}

export interface MlpFixture {
  bytes: Uint8Array;
  input(seed: number): TensorData;
}

export const MLP_DIM = 40;

export function mlpBytes(): Uint8Array {
  return encodeOnnx(buildMlp({ inputDim: MLP_DIM, hidden: 300, layers: 2, classes: 4 }));
}

export function mlpInput(seed: number): TensorData {
  const data = new Int8Array(MLP_DIM);
  for (let i = 0; i < data.length; i++) data[i] = (((i + seed) * 37) % 255) - 127;
  return { dtype: 3, shape: [1, MLP_DIM], data };
}

async function register(bridge: BridgeContract, m: ModelCommitment): Promise<Hex> {
  const { modelId } = await bridge.registerCommittedModel(m);
  return modelId;
}

export async function loadModel(
  dir: string,
  name: string,
  bytes: Uint8Array,
  bridge: BridgeContract,
): Promise<Model> {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  const commitment = await commitModel(loadProfileModel(bytes), bytes);
  const modelId = await register(bridge, commitment);
  return { path, bytes, commitment, modelId };
}

export async function startRig(t: Test, opts: { clock?: bigint } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-agents-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // L1 is its own process (`verdict l1 node`, the embedded chain over HTTP), so its EVM does not
  // compete with this test's event loop; blocks every second move its time when nobody sends.
  const l1 = await spawnL1();
  t.teardown(() => kill(l1));
  const l1Url = l1.url;
  const accounts = devAccounts(10);
  const key = (i: number) => accounts[i].privateKey;
  const address = (i: number) => accounts[i].address.toLowerCase() as Address;
  const clients = await connectL1({
    rpcUrl: l1Url,
    privateKey: key(0),
    pollingIntervalMs: 100,
    timeoutMs: 60_000,
  });
  const dep = await deployBridge(clients, {
    challengeWindow: BigInt(WINDOW_MS / 1000),
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: opts.clock ?? CLOCK,
  });
  const bridge = dep.bridge;
  const game = new DisputeGameContract(clients, dep.disputeGame);
  const mlp = await loadModel(dir, "mlp", mlpBytes(), bridge);
  await bridge.as(walletClientFor(clients, key(WORKER))).stake(MIN_STAKE * 10n);

  const seqDir = join(dir, "seq");
  mkdirSync(seqDir);
  const seq = await spawnSequencer(
    seqDir,
    agentSequencerConfig({
      dataDir: seqDir,
      l1Rpc: l1Url,
      deployment: dep,
      l1Key: key(0),
      challengeWindowMs: WINDOW_MS,
      alloc: { [address(REQUESTER)]: (10n ** 21n).toString(), [address(WORKER)]: "0" },
    }),
  );
  t.teardown(async () => {
    seq.proc.kill("SIGKILL");
    await seq.exited;
  });
  const content = await openHeliaContent({});
  t.teardown(() => content.close());

  const nonces = new Map<number, number>();
  const l2dom = l2Domain(424242n);
  const l2 = async (who: number, tx: Record<string, unknown>): Promise<Hex> => {
    const nonce = nonces.get(who) ?? 0;
    const signed = signTx(
      { ...tx, from: address(who), nonce, fee: 0n } as unknown as UnsignedUserTx,
      fromHex(key(who)),
      l2dom,
    );
    const res = await fetch(`${seq.url}/v1/txs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(encodeTx(signed as UserTx)),
    });
    const body = (await res.json()) as { txHash?: Hex; error?: string };
    if (res.status !== 202) throw new Error(`L2 ${tx.type as string}: HTTP ${res.status} ${body.error}`);
    nonces.set(who, nonce + 1);
    return body.txHash as Hex;
  };
  await l2(WORKER, {
    type: "registerWorker",
    models: [mlp.modelId],
    price: 0n,
    capacity: 1000,
    multiaddr: "",
  });
  const job = async (id: Hex) =>
    (await (await fetch(`${seq.url}/v1/jobs/${id}`)).json()) as { status: string };
  const postJob = async (m: Model, inputs: TensorData[]) => {
    await awaitL2Model(seq.url, m.modelId);
    const file = encodeTensorFile(inputs);
    const cid = await content.add(file);
    const { CID } = await import("multiformats/cid");
    const { tensorListRoot } = await import("../../../prover-trace/commit/model.ts");
    const inputRoot = toHex(tensorListRoot(inputs));
    const jobId = await l2(REQUESTER, {
      type: "postJob",
      modelId: m.modelId,
      inputRoot,
      inputCid: toHex(CID.parse(cid).bytes),
      escrow: 1000n,
      deadline: Date.now() + 3_600_000,
    });
    return { jobId, inputRoot };
  };
  return {
    dir,
    clients,
    l1Url,
    bridge,
    game,
    seq,
    content,
    mlp,
    key,
    address,
    l2,
    job,
    postJob,
    claimDomain: claimDomain(BigInt(dep.chainId), dep.address),
  };
}

// ---------------------------------------------------------------------------------- L1

/** `verdict l1 node --port 0 --block-time 1` as a child; resolves with its RPC URL. */
export async function spawnL1(): Promise<{
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}> {
  const proc = spawn(
    process.execPath,
    [join(ROOT, "bin/verdict.ts"), "l1", "node", "--port", "0", "--block-time", "1"],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`l1 node did not start: ${out}`)), 60_000);
    proc.stdout?.on("data", (d) => {
      out += String(d);
      const m = /"rpc":\s*"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr?.on("data", (d) => {
      out += String(d);
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`l1 node exited (${code}): ${out}`));
    });
  });
  proc.stdout?.resume();
  return { proc, url, exited };
}

// ---------------------------------------------------------------------------------- watcher

export interface WatcherProc {
  proc: ChildProcess;
  log: Record<string, unknown>[];
  exited: Promise<number | null>;
  dataDir: string;
  /** Resolves with the first log line matching `pred`. */
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export async function spawnWatcher(
  rig: Rig,
  opts: { account?: number; dataDir?: string; models?: string[]; extra?: string[] } = {},
): Promise<WatcherProc> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(rig.dir, "watcher-"));
  const args = [
    join(ROOT, "bin/verdict.ts"),
    "watch",
    "--sequencer",
    rig.seq.url,
    "--l1-rpc",
    rig.l1Url,
    "--bridge",
    rig.bridge.address,
    "--key",
    rig.key(opts.account ?? WATCHER),
    "--data-dir",
    dataDir,
    "--poll-ms",
    "200",
    "--log-level",
    "debug",
    ...(opts.models ?? [rig.mlp.path]).flatMap((m) => ["--model", m]),
    "--content-peer",
    ...rig.content.addrs(),
    ...(opts.extra ?? []),
  ];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const log: Record<string, unknown>[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let buf = "";
  proc.stderr?.on("data", (d) => stderr.push(String(d)));
  const debugLog = process.env.VERDICT_AGENT_TEST_LOG;
  proc.stdout?.on("data", (d) => {
    if (debugLog) appendFileSync(debugLog, String(d));
    buf += String(d);
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line);
      } catch {
        continue;
      }
      log.push(o);
      for (const w of [...waiters])
        if (w.pred(o)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(o);
        }
    }
  });
  const waitFor = (pred: (l: Record<string, unknown>) => boolean, timeoutMs = 120_000) => {
    const hit = log.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `watcher: no matching log line in ${timeoutMs} ms; last lines:\n${log
                .slice(-15)
                .map((l) => JSON.stringify(l))
                .join("\n")}\nstderr: ${stderr.join("")}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(
          new Error(`watcher exited (${code}) before the expected log line; stderr: ${stderr.join("")}`),
        );
      });
    });
  };
  const w: WatcherProc = { proc, log, exited, dataDir, waitFor };
  await waitFor((l) => l.msg === "watcher started", 60_000);
  return w;
}

export async function kill(
  p: { proc: ChildProcess; exited: Promise<unknown> },
  sig: NodeJS.Signals = "SIGKILL",
) {
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill(sig);
  await p.exited;
}

// ---------------------------------------------------------------------------------- liar

export interface Liar {
  /** Disputes it defended, by id. */
  played: Set<bigint>;
  /** What went wrong in its loop (a move refused, a read failed). */
  errors: string[];
  stop(): Promise<void>;
}

/**
 * An in-process claimer: takes a job, claims `view`'s roots (outputRoot optionally overridden),
 * and, unless silent, answers every dispute on its claims with planClaimerMove on that view.
 */
export async function submitClaim(
  rig: Rig,
  m: Model,
  jobId: Hex,
  inputRoot: Hex,
  view: PartyView,
  outputRoot: Hex,
): Promise<{ claim: ClaimMessage; signature: Hex }> {
  await rig.l2(WORKER, { type: "claimJob", jobId });
  const claim: ClaimMessage = {
    jobId,
    worker: addressOf(fromHex(rig.key(WORKER))),
    modelId: m.modelId,
    inputRoot,
    outputRoot,
    traceRoot: toHex(view.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: "0x",
    traceCid: "0x",
  };
  const signature = signClaim(claim, fromHex(rig.key(WORKER)), rig.claimDomain);
  await rig.l2(WORKER, { type: "submitResult", claim, claimSignature: signature });
  return { claim, signature };
}

/** Moves L1 time forward by `seconds` (and mines a block stamped after it). */
export async function increaseL1Time(rig: Rig, seconds: number): Promise<void> {
  const test = createTestClient({
    mode: "anvil",
    chain: rig.clients.chain,
    transport: rig.clients.transport,
  });
  await test.increaseTime({ seconds });
  await test.mine({ blocks: 1 });
}

/** Posts a job and submits a claim of `view`'s trace (and `outputRoot`, default the view's); returns the claim key. */
export async function claimWith(
  rig: Rig,
  seed: number,
  view: (inputs: TensorData[]) => { view: PartyView; outputRoot?: Hex },
) {
  const inputs = [mlpInput(seed)];
  const v = view(inputs);
  const { jobId, inputRoot } = await rig.postJob(rig.mlp, inputs);
  const { claim } = await submitClaim(
    rig,
    rig.mlp,
    jobId,
    inputRoot,
    v.view,
    v.outputRoot ?? outputRootOf(v.view),
  );
  return { claimKey: toHex(claimDigest(claim, rig.claimDomain)), jobId, view: v.view, claim };
}

/** A lie: element `e` of node `node`'s output changed, the rest of the run honest. */
export function lieAt(rig: Rig, node: number, e: number) {
  return (inputs: TensorData[]) => ({
    view: viewOf(rig.mlp, inputs, tamper(runReference(rig.mlp, inputs), node, e)),
  });
}

export function honest(rig: Rig) {
  return (inputs: TensorData[]) => ({ view: viewOf(rig.mlp, inputs, runReference(rig.mlp, inputs)) });
}

export function startDefender(rig: Rig, viewOf: (claimKey: Hex) => PartyView | undefined): Liar {
  const played = new Set<bigint>();
  const errors: string[] = [];
  let stopped = false;
  const game = rig.game.as(walletClientFor(rig.clients, rig.key(WORKER)));
  const loop = (async () => {
    while (!stopped) {
      try {
        const logs = await rig.clients.publicClient.getLogs({ address: game.address, fromBlock: 0n });
        const opened = parseEventLogs({ abi: disputeGameAbi, logs, eventName: "DisputeOpened" });
        for (const ev of opened) {
          const view = viewOf(ev.args.claimKey);
          if (!view) continue;
          const g = await game.readGame(ev.args.disputeId);
          if (g.dispute.phase === Phase.resolved) continue;
          const move = planClaimerMove(view, g);
          if (!move) continue;
          played.add(ev.args.disputeId);
          await game.play(ev.args.disputeId, move).catch((e) => errors.push((e as Error).message));
        }
      } catch (e) {
        errors.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    played,
    errors,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * A rig with the worker's claimer defending every claim whose view a test files in `views` (by
 * claim key), and the two balances the watcher tests read: the worker's active stake and an
 * account's challenger bond.
 */
export async function startDefendedRig(t: Test) {
  const rig = await startRig(t);
  const views = new Map<string, PartyView>();
  const liar = startDefender(rig, (k) => views.get(k.toLowerCase()));
  t.teardown(() => liar.stop());
  return {
    rig,
    views,
    liar,
    stake: async () => (await rig.bridge.stakeOf(rig.address(WORKER))).active,
    bond: async (i: number) => (await rig.bridge.bondOf(rig.address(i))) as { free: bigint; locked: bigint },
  };
}

/** Honest node outputs of `m` on `inputs` (the reference interpreter), and tampering. */
export function runReference(m: Model, inputs: TensorData[]): TensorData[][] {
  return runModel(m.commitment.model, inputs as unknown as Parameters<typeof runModel>[1]).nodeOutputs;
}

export function tamper(outputs: TensorData[][], node: number, e: number, delta = 1): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((t) => {
      if (i !== node) return t;
      const data = (t.data as Int32Array).slice();
      data[e] = data[e] + delta;
      return { ...t, data };
    }),
  );
}

/** The outputRoot a view's graph outputs commit to. */
export function outputRootOf(v: PartyView): Hex {
  return toHex(merkleRoot(v.model.model.outputs.map((o) => v.trace.outputs[o.ref.index][o.ref.slot].root)));
}

export function viewOf(m: Model, inputs: TensorData[], nodeOutputs: TensorData[][]): PartyView {
  return buildPartyView(m.commitment, inputs, nodeOutputs);
}

export async function waitUntil<T>(
  f: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
