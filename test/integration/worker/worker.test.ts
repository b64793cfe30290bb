/**
 * `verdict worker` as a real child process against a real sequencer process (`verdict sequencer`
 * wired to L1) and the embedded L1 chain over HTTP with the Bridge and DisputeGame deployed:
 *
 *  - the worker stakes on L1 (it starts unbonded), registers on L2, ignores a job for a model it
 *    does not serve, survives a job whose input does not match its inputRoot (logged, nothing
 *    submitted), serves a good job end to end (input fetched by CID from the sequencer's content
 *    node, traced inference, output and trace published, claim signed for the L1 domain) and is
 *    paid by its own finalize after the challenge window;
 *  - a lying challenger (this test, playing a tampered view with the challenger planner) disputes
 *    an honest claim on L1: the worker defends move by move and wins, its stake untouched, and
 *    the job is still paid.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import t from "tap";
import { type Address, type Hex, parseEther } from "viem";
import { type ClaimMessage, modelRegistration } from "../../../bridge/bridge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { decodeTensorFile, encodeTensorFile } from "../../../content/tensor-file.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitModel, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../../prover-trace/profile/validate.ts";
import { runModel } from "../../../prover-trace/reference/run.ts";
import { commitRun } from "../../../prover-trace/runner/runner.ts";
import { devKeys } from "../../../sequencer/devkit.ts";
import { Phase, planChallengerMove, Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { claimedRun } from "../../../verifier/worker/faults.ts";
import { awaitL2Model } from "../../helpers/registered-model.ts";
import { until } from "../../helpers/until.ts";
import { spawnWorker, type WorkerProc } from "../../helpers/worker.ts";
import { agentSequencerConfig, spawnSequencer } from "../sequencer/harness.ts";

const WINDOW_MS = 4000;
const MIN_STAKE = parseEther("1");
const BOND = parseEther("0.1");
const CHALLENGER = 3;
const ESCROW = 1234n;

const dir = mkdtempSync(join(tmpdir(), "verdict-worker-it-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const devnet = await startDevnet({
  port: 0,
  bridgeParams: {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: 600n,
  },
});
t.teardown(() => devnet.close());
const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
const l1Url = devnet.http?.url as string;
const accounts = devnet.chain.accounts;

// the model: a small MLP (3 MatMulInteger, a GELU table), registered on the Bridge
const onnx = encodeOnnx(buildMlp({ inputDim: 40, hidden: 300, layers: 2, classes: 4 }));
const pm = loadProfileModel(onnx);
const model = await commitModel(pm, onnx);
const modelPath = join(dir, "mlp.onnx");
writeFileSync(modelPath, onnx);
const { modelId } = await dep.bridge.registerCommittedModel(model);
// a second model registered on L1 that no worker serves: its weights root differs, so does its id
const { modelId: unservedModelId } = await dep.bridge.registerModel(
  { ...modelRegistration(model), weightsRoot: `0x${"ab".repeat(32)}` },
  model.cidBytes,
);

const [requester] = devKeys(1, "worker-it-requester");
const seqDir = join(dir, "seq");
mkdirSync(seqDir);
const seq = await spawnSequencer(
  seqDir,
  agentSequencerConfig({
    dataDir: seqDir,
    l1Rpc: l1Url,
    deployment: dep,
    l1Key: accounts[0].privateKey,
    challengeWindowMs: WINDOW_MS,
    alloc: { [requester.address]: (10n ** 21n).toString() },
    // the worker stakes the minimum: it can back two open claims at a time
    claimCollateral: MIN_STAKE / 2n,
  }),
);
t.teardown(async () => {
  seq.proc.kill("SIGKILL");
  await seq.exited;
});
await awaitL2Model(seq.url, modelId);
await awaitL2Model(seq.url, unservedModelId);

let requesterNonce = 0;
async function postJob(jobModelId: Hex, inputRoot: Hex, file: Uint8Array): Promise<Hex> {
  const up = await fetch(`${seq.url}/v1/content`, { method: "POST", body: file });
  const { cid } = (await up.json()) as { cid: string };
  const tx = signTx(
    {
      type: "postJob",
      from: requester.address,
      nonce: requesterNonce,
      fee: 0n,
      modelId: jobModelId,
      inputRoot,
      inputCid: toHex(CID.parse(cid).bytes),
      escrow: ESCROW,
      deadline: Date.now() + 600_000,
    } as UnsignedUserTx,
    requester.key,
    l2Domain(424242n),
  );
  const res = await fetch(`${seq.url}/v1/txs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(encodeTx(tx as UserTx)),
  });
  const body = (await res.json()) as { txHash: Hex; error?: string };
  if (res.status !== 202) throw new Error(`postJob: ${res.status} ${body.error}`);
  requesterNonce++;
  return body.txHash;
}

interface JobView {
  status: string;
  worker: string | null;
  claim: ClaimMessage | null;
  claimSignature: Hex | null;
}
const getJob = async (id: Hex) => (await (await fetch(`${seq.url}/v1/jobs/${id}`)).json()) as JobView;

function inputOf(seed: number): TensorData {
  const data = new Int8Array(40).map((_, i) => ((i * 37 + seed * 11) % 255) - 127);
  return { dtype: 3, shape: [1, 40], data };
}

const workerAddress = accounts[2].address.toLowerCase() as Address; // the dev default key
// no assertion out here: tap would end the root test before the subtests below
const bondedBefore = await dep.bridge.isBondedWorker(workerAddress);

const workerArgs = (extra: string[] = []) => [
  "--l1-rpc",
  l1Url,
  "--bridge",
  dep.address,
  "--l1-start-block",
  String(dep.blockNumber),
  "--sequencer",
  seq.url,
  "--model",
  modelPath,
  "--data-dir",
  join(dir, "worker"),
  "--challenge-window-ms",
  String(WINDOW_MS),
  "--poll-ms",
  "200",
  "--capacity",
  "2",
  "--metrics-port",
  "0",
  "--content-peer",
  ...seq.p2p,
  // the traced claim path (a deferred claim is the default; the agents' deferred e2e covers it)
  "--commit-trace",
  ...extra,
];
let worker: WorkerProc = await spawnWorker(workerArgs());
t.teardown(() => worker.stop(2000));

t.test("start: staked on L1, registered on L2", async (t) => {
  t.equal(bondedBefore, false, "the worker started unbonded");
  t.equal(worker.address, workerAddress, "anvil dev account 2 by default");
  t.equal(await dep.bridge.isBondedWorker(workerAddress), true, "bonded with the Bridge's minimum");
  const workers = (await (await fetch(`${seq.url}/v1/workers`)).json()) as {
    address: string;
    models: string[];
    multiaddr: string;
  }[];
  const me = workers.find((w) => w.address === workerAddress);
  t.same(me?.models, [modelId], "registered on L2 with its model");
  t.ok(worker.contentAddrs.length > 0, "it runs a content node");
  t.equal(me?.multiaddr, worker.contentAddrs[0], "and advertises it");
});

t.test("errors are per job: a wrong input and an unserved model do not stop the worker", async (t) => {
  const other = unservedModelId;
  const unserved = await postJob(other, toHex(tensorListRoot([inputOf(1)])), encodeTensorFile([inputOf(1)]));
  // the input file is of seed 2, the job commits to seed 1
  const mismatched = await postJob(
    modelId,
    toHex(tensorListRoot([inputOf(1)])),
    encodeTensorFile([inputOf(2)]),
  );
  const failed = await worker.waitFor((l) => l.msg === "job failed" && l.jobId === mismatched);
  t.match(String(failed.err), /input root mismatch/, `named: ${failed.err}`);
  t.equal((await getJob(mismatched)).status, "claimed", "claimed, but nothing was submitted");
  t.equal((await getJob(unserved)).status, "open", "the unserved model's job is left alone");
});

let paidJob: Hex;
t.test("a job end to end: claimed, run, published, submitted, paid after the window", async (t) => {
  const input = inputOf(3);
  const truth = commitRun(
    pm,
    [input],
    runModel(pm, [{ dtype: 3, shape: [1, 40], data: input.data as Int8Array }]).nodeOutputs,
  );
  const t0 = Date.now();
  const jobId = await postJob(modelId, toHex(tensorListRoot([input])), encodeTensorFile([input]));
  paidJob = jobId;
  const submitted = await until("submitted", async () => {
    const j = await getJob(jobId);
    return j.status === "submitted" || j.status === "paid" ? j : null;
  });
  t.equal(submitted.worker, workerAddress, "taken by the worker");
  const claim = submitted.claim as ClaimMessage;
  t.equal(claim.modelId, modelId);
  t.equal(claim.inputRoot, toHex(truth.inputRoot), "the job's input");
  t.equal(claim.outputRoot, toHex(truth.outputRoot), "the true output root");
  t.equal(claim.traceRoot, toHex(truth.traceRoot), "the true trace root");
  t.equal(
    ((await dep.bridge.claimSigner(claim, submitted.claimSignature as Hex)) as string).toLowerCase(),
    workerAddress,
    "the Bridge recovers the worker from the claim signature (L1 domain)",
  );
  // the published output, fetched through the sequencer's content node from the worker's
  const outCid = CID.decode(fromHex(claim.outputCid)).toString();
  const res = await fetch(`${seq.url}/v1/content/${outCid}?timeoutMs=20000`);
  t.equal(res.status, 200, "the output content is served");
  const outputs = decodeTensorFile(new Uint8Array(await res.arrayBuffer()));
  t.equal(toHex(tensorListRoot(outputs)), claim.outputRoot, "and it is the claimed output");

  const paid = await until("paid", async () => ((await getJob(jobId)).status === "paid" ? true : null));
  t.ok(paid, "paid");
  t.ok(Date.now() - t0 >= WINDOW_MS, "not before the challenge window");
  const acct = (await (await fetch(`${seq.url}/v1/accounts/${workerAddress}`)).json()) as { balance: string };
  t.equal(BigInt(acct.balance), ESCROW, "the escrow is the worker's");
  await worker.waitFor((l) => l.msg === "job paid" && l.jobId === jobId);
  if (worker.metricsUrl) {
    const text = await (await fetch(worker.metricsUrl)).text();
    t.match(text, /verdict_worker_jobs_total\{result="paid"\} 1/, "metrics count the paid job");
    t.match(text, /verdict_worker_jobs_total\{result="failed"\} 1/, "and the failed one");
  }
});

t.test("a lying challenger disputes an honest claim: the worker defends and wins", async (t) => {
  const input = inputOf(4);
  const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [1, 40], data: input.data as Int8Array }]).nodeOutputs;
  const jobId = await postJob(modelId, toHex(tensorListRoot([input])), encodeTensorFile([input]));
  const j = await until("submitted", async () => {
    const x = await getJob(jobId);
    return x.status === "submitted" ? x : null;
  });
  // the liar's view: one MatMulInteger element of node 5 changed
  const lie = nodeOutputs.map((outs, i) =>
    outs.map((o) => {
      if (i !== 5) return o;
      const data = (o.data as Int32Array).slice();
      data[7] += 3;
      return { ...o, data };
    }),
  );
  const liar = buildPartyView(model, [input], lie);
  const wallet = walletClientFor(devnet.clients, accounts[CHALLENGER].privateKey);
  await dep.bridge.as(wallet).depositBond(BOND);
  const game = new DisputeGameContract(devnet.clients, dep.disputeGame, wallet);
  const stakeBefore = (await dep.bridge.stakeOf(workerAddress)) as { active: bigint };
  const { disputeId } = await game.open(j.claim as ClaimMessage, j.claimSignature as Hex);
  await worker.waitFor((l) => l.msg === "dispute opened on our claim" && l.disputeId === String(disputeId));
  // the challenger's side, one move per turn; the worker answers each from its process. After
  // the worker's first move it is killed (SIGKILL) and, once it is the claimer's turn again,
  // restarted on the same data dir: it must find the dispute in its store, rebuild its view by
  // re-running the job, and go on from what the chain says.
  await worker.waitFor((l) => l.msg === "dispute move" && l.disputeId === String(disputeId));
  worker.proc.kill("SIGKILL");
  await worker.exited;
  let restarted = false;
  let winner = 0;
  const end = Date.now() + 180_000;
  while (Date.now() < end) {
    const g = await game.readGame(disputeId);
    if (g.dispute.phase === Phase.resolved) {
      winner = g.dispute.winner;
      break;
    }
    const move = planChallengerMove(liar, g);
    if (move) await game.play(disputeId, move);
    else if (!restarted) {
      worker = await spawnWorker(workerArgs());
      restarted = true;
    } else await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(restarted, "the worker was restarted mid-game");
  const rebuilt = await worker.waitFor((l) =>
    String(l.msg).startsWith("dispute view rebuilt by re-running the job"),
  );
  t.equal(rebuilt.jobId, jobId, "its view rebuilt by re-running the job");
  t.equal(winner, Winner.claimer, "the honest worker wins");
  const resolved = await worker.waitFor(
    (l) => l.msg === "dispute resolved" && l.disputeId === String(disputeId),
  );
  t.equal(resolved.winner, "won", "and says so");
  t.ok(Number(resolved.moves) >= 3, `it made its moves (${resolved.moves})`);
  const stakeAfter = (await dep.bridge.stakeOf(workerAddress)) as { active: bigint };
  t.equal(stakeAfter.active, stakeBefore.active, "its stake is untouched");
  const bond = (await dep.bridge.bondOf(workerAddress)) as { free: bigint };
  t.equal(bond.free, BOND, "the liar's whole bond is credited to the worker");
  const paid = await until("paid after the dispute", async () =>
    (await getJob(jobId)).status === "paid" ? true : null,
  );
  t.ok(paid, "the job is paid after the dispute");
  t.ok(paidJob, "(after the first job)");
});

t.test("capacity: five jobs at once are queued and all paid", async (t) => {
  const ids: Hex[] = [];
  for (let k = 0; k < 5; k++) {
    const input = inputOf(10 + k);
    ids.push(await postJob(modelId, toHex(tensorListRoot([input])), encodeTensorFile([input])));
  }
  await until(
    "all paid",
    async () => (await Promise.all(ids.map(getJob))).every((j) => j.status === "paid"),
    120_000,
  );
  t.pass("every job paid");
  // the failed job above still holds one of the worker's two L2 slots and one of its two claims'
  // collateral (until its deadline), and every submitted claim holds collateral until it is
  // paid: a claim the sequencer refuses at capacity or for want of free stake is queued again,
  // not dropped
  const refused = worker.log.filter((l) => l.msg === "job not claimed" && ids.includes(l.jobId as Hex));
  for (const r of refused)
    t.match(
      String(r.reason),
      /at capacity|does not cover another claim/,
      "refused only for capacity or collateral, then retried",
    );
  t.ok(
    refused.some((r) => /does not cover another claim/.test(String(r.reason))),
    `refused for want of free stake at least once (${refused.length} refusals)`,
  );
});

t.test("SIGTERM stops the worker cleanly", async (t) => {
  t.equal(await worker.stop(), 0, "exit 0");
});

t.test("a worker in test fault wrong-element claims exactly that lie and loses its stake", async (t) => {
  const liarKey = accounts[4].privateKey;
  const liarAddress = accounts[4].address.toLowerCase() as Address;
  const liar = await spawnWorker([
    ...workerArgs(["--test-fault", "wrong-element"]).map((a) =>
      a === join(dir, "worker") ? join(dir, "liar") : a,
    ),
    "--key",
    liarKey,
  ]);
  t.teardown(() => liar.stop(2000));
  t.ok(
    liar.log.some((l) => l.msg === "TEST FAULT MODE: this worker lies on purpose and will be slashed"),
    "it says loudly what it is",
  );
  const input = inputOf(5);
  const nodeOutputs = runModel(pm, [{ dtype: 3, shape: [1, 40], data: input.data as Int8Array }]).nodeOutputs;
  const expected = claimedRun("wrong-element", model, [input], nodeOutputs);
  const jobId = await postJob(modelId, toHex(tensorListRoot([input])), encodeTensorFile([input]));
  const j = await until("submitted", async () => {
    const x = await getJob(jobId);
    return x.status === "submitted" ? x : null;
  });
  t.equal(j.worker, liarAddress, "the liar took it");
  const claim = j.claim as ClaimMessage;
  t.equal(claim.traceRoot, toHex(expected.traceRoot), "its trace root is the wrong-element lie");
  t.not(claim.traceRoot, toHex(commitRun(pm, [input], nodeOutputs).traceRoot), "not the true one");
  // an honest challenger plays it down to the one step
  const wallet = walletClientFor(devnet.clients, accounts[CHALLENGER].privateKey);
  const game = new DisputeGameContract(devnet.clients, dep.disputeGame, wallet);
  const bond = (await dep.bridge.bondOf(accounts[CHALLENGER].address)) as { free: bigint };
  if (bond.free < BOND) await dep.bridge.as(wallet).depositBond(BOND);
  const honest = buildPartyView(model, [input], nodeOutputs);
  const { disputeId } = await game.open(claim, j.claimSignature as Hex);
  let winner = 0;
  const end = Date.now() + 180_000;
  while (Date.now() < end) {
    const g = await game.readGame(disputeId);
    if (g.dispute.phase === Phase.resolved) {
      winner = g.dispute.winner;
      break;
    }
    const move = planChallengerMove(honest, g);
    if (move) await game.play(disputeId, move);
    else await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(winner, Winner.challenger, "the liar loses");
  const d = await game.getDispute(disputeId);
  t.equal(d.nodeIndex, expected.fault?.node, "at the node it lied about");
  t.equal(d.element, BigInt(expected.fault?.element ?? -1), "and the element");
  const stake = (await dep.bridge.stakeOf(liarAddress)) as { active: bigint };
  t.equal(stake.active, 0n, "its stake is slashed");
  const lost = await liar.waitFor((l) => l.msg === "dispute resolved" && l.disputeId === String(disputeId));
  t.equal(lost.winner, "lost", "and it knows");
});
