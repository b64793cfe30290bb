/**
 * The end-to-end scenarios, run against one network of processes (test/helpers/network.ts) per L1
 * backend: the client SDK as a requester would use it, every role a separate process.
 *
 *   deposit      L1 -> L2 through the Bridge, credited on L2 by the sequencer's L1 derivation
 *   honest       a job on the honest worker's model: paid only after the challenge window, the
 *                output fetched by CID and equal to the reference interpreter's
 *   fraud        a job on the faulty worker's model (--test-fault wrong-element): the watcher
 *                disputes on L1, wins the game, the worker's stake is slashed, the requester refunded
 *   withdrawal   L2 -> L1: withdraw, the batch posted and final, proveWithdrawal pays the recipient
 *   consumer     the example InferenceConsumer asks through Bridge.requestInference; the honest
 *                worker answers on L2; the result reaches the contract only after the window and
 *                the batch's finality (deliverResult refused before)
 *
 * The scenarios run at the same time on the one network (each waits on its own chain events), so
 * a backend costs about one challenge window plus one dispute game.
 */
import { CID } from "multiformats/cid";
import type { Test } from "tap";
import { type Address, type Hex, parseEther, parseEventLogs } from "viem";
import { BridgeRevert, simulateAndSend } from "../../bridge/bridge.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { encodeTensorFile } from "../../content/tensor-file.ts";
import {
  inferenceConsumerAbi,
  inferenceConsumerBytecode,
} from "../../contracts/artifacts/InferenceConsumer.ts";
import { bytesEqual, fromHex, toHex } from "../../protocol/bytes.ts";
import { inputRoot, outputRoot } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { runModel } from "../../prover-trace/reference/run.ts";
import { createClient, type VerdictClient } from "../../sdk/index.ts";
import { Phase, Winner } from "../../verifier/game/planner.ts";
import {
  ACCOUNT,
  L2_CHAIN_ID,
  MIN_STAKE,
  mlpInput,
  type NetModel,
  type Network,
  startNetwork,
} from "../helpers/network.ts";
import { awaitL2Model } from "../helpers/registered-model.ts";

const ESCROW = parseEther("0.01");
const DEPOSIT = parseEther("1");
const WITHDRAW = parseEther("0.25");
const TIMEOUT = 240_000;

function referenceOutputs(m: NetModel, inputs: TensorData[]): TensorData[] {
  const pm = m.commitment.model;
  const r = runModel(pm, inputs as never);
  return pm.outputs.map((o) => r.outputs[o.name] as unknown as TensorData);
}

function sameTensors(a: TensorData[], b: TensorData[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => {
    const u = b[i];
    const bytes = (x: TensorData) => new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
    return t.dtype === u.dtype && t.shape.join() === u.shape.join() && bytesEqual(bytes(t), bytes(u));
  });
}

async function waitFor<T>(
  f: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = TIMEOUT,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function requesterClient(net: Network, account: number): Promise<VerdictClient> {
  return createClient({
    sequencerUrl: net.seqUrl,
    privateKey: net.accounts[account].privateKey,
    l2ChainId: L2_CHAIN_ID,
    pollMs: 200,
    l1: { rpcUrl: net.l1Url, bridge: net.bridgeAddress },
  });
}

export async function runScenarios(t: Test, l1: "embedded" | "anvil"): Promise<void> {
  const t0 = Date.now();
  const net = await startNetwork(t, { l1 });
  t.comment(
    `${l1}: network of ${net.roles.length} processes up in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const onFail = () => {
    if (!t.passing()) t.comment(`last role output:\n${net.log().split("\n").slice(-60).join("\n")}`);
  };
  t.teardown(onFail);
  const sdk = await requesterClient(net, ACCOUNT.requester);
  const deployerBridge = await net.bridge(ACCOUNT.deployer);

  await t.test("deposit: L1 -> L2 through the SDK", async (t) => {
    const before = await sdk.balance();
    const { depositId } = await sdk.deposit(DEPOSIT, { timeoutMs: 60_000 });
    t.equal(await sdk.balance(), before + DEPOSIT, `deposit #${depositId} credited on L2`);
  });

  // the scenarios below run at the same time; each test awaits its own promise
  const honest = (async () => {
    const input = mlpInput(1);
    const posted = await sdk.postJob({ model: net.honestModel.bytes, tensor: input, escrow: ESCROW });
    const outcome = await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT });
    return { posted, outcome, input, at: Date.now() };
  })();
  const fraud = (async () => {
    const stakeBefore = (await deployerBridge.stakeOf(net.accounts[ACCOUNT.faultyWorker].address as Address))
      .active;
    const posted = await sdk.postJob({
      modelId: net.faultyModel.modelId,
      tensor: mlpInput(2),
      escrow: ESCROW,
    });
    // first only until L2 learns of the dispute (or, if the game was faster than a poll, its end)
    const early = await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT, returnOnDispute: true });
    const outcome = await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT });
    return { posted, early, outcome, stakeBefore };
  })();
  const withdrawal = (async () => {
    const recipient = net.accounts[ACCOUNT.recipient].address.toLowerCase() as Address;
    const pub = (await net.l1Clients(ACCOUNT.deployer)).publicClient;
    const l1Before = await pub.getBalance({ address: recipient });
    const { l2TxHash } = await sdk.withdraw(WITHDRAW, { l1Recipient: recipient });
    const proved = await sdk.proveWithdrawal(l2TxHash, { timeoutMs: TIMEOUT });
    const l1After = await pub.getBalance({ address: recipient });
    return { recipient, l1Before, l1After, proved, l2TxHash };
  })();
  const consumer = runConsumer(net, sdk);
  // a job on a model nobody serves (registered on L1, as every job's model must be): after its
  // deadline the SDK itself sends the refunding finalize
  const unanswered = (async () => {
    await awaitL2Model(net.seqUrl, net.unservedModelId);
    const posted = await sdk.postJob({
      modelId: net.unservedModelId,
      tensor: mlpInput(4),
      escrow: ESCROW,
      deadline: Date.now() + 3000,
    });
    return sdk.awaitResult(posted.jobId, { timeoutMs: 60_000 });
  })();
  // keep unhandled rejections away: each test below reports its own failure
  for (const p of [honest, fraud, withdrawal, consumer, unanswered]) p.catch(() => {});

  await t.test("honest job: paid after the window, output checked and equal to the reference", async (t) => {
    const { posted, outcome, input, at } = await honest;
    t.equal(outcome.outcome, "paid");
    if (outcome.outcome !== "paid") return;
    const job = outcome.job;
    t.equal(
      job.worker,
      net.accounts[ACCOUNT.honestWorker].address.toLowerCase(),
      "the honest worker answered",
    );
    t.ok(
      at >= (job.submittedAt as number) + net.challengeWindowMs,
      "the result came only after the challenge window",
    );
    t.equal(posted.inputRoot, toHex(inputRoot(net.honestModel.commitment.model, [input])), "input root");
    const expected = referenceOutputs(net.honestModel, [input]);
    t.equal(
      outcome.claim.outputRoot,
      toHex(outputRoot(net.honestModel.commitment.model, expected)),
      "claimed output root",
    );
    t.ok(sameTensors(outcome.outputs, expected), "the fetched outputs are the reference interpreter's");
    t.equal(outcome.outputCid, CID.decode(fromHex(outcome.claim.outputCid)).toString(), "output CID");
    const workerBal = await sdk.balance(job.worker as Address);
    t.ok(workerBal >= ESCROW, `the worker was paid (L2 balance ${workerBal})`);
  });

  await t.test("fraud: disputed on L1, the liar slashed, the requester refunded", async (t) => {
    const { early, outcome, stakeBefore } = await fraud;
    if (early.outcome === "disputed")
      t.not(early.disputeId, null, "returnOnDispute: the dispute, with its id");
    else t.equal(early.outcome, "refunded", "returnOnDispute: the game ended between two polls");
    t.equal(outcome.outcome, "refunded");
    if (outcome.outcome !== "refunded") return;
    t.equal(outcome.reason, "dispute lost");
    t.equal(
      outcome.job.worker,
      net.accounts[ACCOUNT.faultyWorker].address.toLowerCase(),
      "the faulty worker",
    );
    t.not(outcome.job.disputeId, null, "L2 followed the dispute");
    const faulty = net.accounts[ACCOUNT.faultyWorker].address as Address;
    const stakeAfter = (await deployerBridge.stakeOf(faulty)).active;
    t.ok(stakeAfter < stakeBefore, `stake slashed on L1: ${stakeBefore} -> ${stakeAfter}`);
    t.ok(stakeBefore - stakeAfter >= MIN_STAKE || stakeAfter === 0n, "by at least the minimum stake");
    const game = new DisputeGameContract(await net.l1Clients(ACCOUNT.deployer), net.disputeGame);
    const g = await game.readGame(BigInt(outcome.job.disputeId as string));
    t.equal(
      g.dispute.challenger.toLowerCase(),
      net.accounts[ACCOUNT.watcher].address.toLowerCase(),
      "the watcher disputed",
    );
    t.equal(g.dispute.phase, Phase.resolved, "the game is over");
    t.equal(g.dispute.winner, Winner.challenger, "won by the challenger");
  });

  await t.test("withdrawal: L2 -> L1 round trip", async (t) => {
    const { recipient, l1Before, l1After, proved } = await withdrawal;
    t.equal(proved.recipient, recipient);
    t.equal(proved.amount, WITHDRAW);
    t.equal(l1After - l1Before, WITHDRAW, "the L1 recipient received exactly the amount");
    t.ok(await deployerBridge.isBatchFinalized(BigInt(proved.batchIndex)), "proved against a final batch");
    await t.rejects(
      sdk.proveWithdrawal((await withdrawal).l2TxHash, { timeoutMs: 30_000 }),
      /WithdrawalAlreadyClaimed/,
      "a second proof of the same withdrawal is refused by the Bridge",
    );
    const { jobId } = await honest.then((h) => h.posted);
    await t.rejects(
      sdk.proveWithdrawal(jobId, { timeoutMs: 5000 }),
      {
        name: "VerdictSdkError",
        code: "rejected",
        status: 404,
        message: `withdrawal ${jobId}: tx is not a withdrawal`,
      },
      "a tx that is not a withdrawal: a clear refusal",
    );
  });

  await t.test("L1 consumer: result delivered to the contract after the window", async (t) => {
    const r = await consumer;
    t.ok(r.pendingRightAfter, "pending right after the request");
    t.match(
      r.earlyError,
      /no result|not final|BatchNotFinalized|posted batch yet|timed out/i,
      "no result before the window",
    );
    t.ok(r.delivered.callbackSucceeded, "the consumer's callback ran");
    t.equal(r.result.received, true, "the consumer stored the result");
    t.equal(r.result.outputRoot, r.expectedOutputRoot, "the result is the reference output root");
    t.equal(r.job?.status, "paid", "the L2 job was paid");
    t.ok(r.deliveredAt >= (r.job?.submittedAt ?? 0) + net.challengeWindowMs, "delivered after the window");
  });

  await t.test("a job nobody answers: refunded after its deadline by the SDK's own finalize", async (t) => {
    const outcome = await unanswered;
    t.equal(outcome.outcome, "refunded");
    if (outcome.outcome === "refunded") t.equal(outcome.reason, "deadline missed");
  });

  // the requester's L2 books: deposit - honest escrow - withdrawal (the fraud escrow came back)
  await t.test("requester's L2 balance adds up", async (t) => {
    t.equal(await sdk.balance(), DEPOSIT - ESCROW - WITHDRAW);
  });
  t.comment(`${l1}: scenarios done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function runConsumer(net: Network, sdk: VerdictClient) {
  const owner = await net.l1Clients(ACCOUNT.consumerOwner);
  const wallet = owner.walletClient as NonNullable<typeof owner.walletClient>;
  const hash = await wallet.deployContract({
    abi: inferenceConsumerAbi,
    bytecode: inferenceConsumerBytecode,
    args: [net.bridgeAddress],
  });
  const address = (await owner.publicClient.waitForTransactionReceipt({ hash })).contractAddress as Address;
  const input = mlpInput(3);
  const model = net.honestModel;
  const cid = await sdk.putContent(encodeTensorFile([input]));
  const root = toHex(inputRoot(model.commitment.model, [input])) as Hex;
  const l1Now = (await owner.publicClient.getBlock()).timestamp;
  const asked = await simulateAndSend(
    owner,
    wallet,
    {
      contract: "InferenceConsumer",
      address,
      abi: inferenceConsumerAbi,
      functionName: "ask",
      args: [model.modelId, root, toHex(CID.parse(cid).bytes), l1Now + 600n],
      value: ESCROW,
    },
    (f, e, a, d) => new BridgeRevert(f, e, a, d),
  );
  const [ev] = parseEventLogs({ abi: inferenceConsumerAbi, logs: asked.receipt.logs, eventName: "Asked" });
  const requestId = ev.args.requestId;
  const read = <T>(functionName: "pending" | "resultOf") =>
    owner.publicClient.readContract({
      address,
      abi: inferenceConsumerAbi,
      functionName,
      args: [requestId],
    }) as Promise<T>;
  const pendingRightAfter = await read<boolean>("pending");
  // a relayer (any account) tries at once: there is no result to deliver yet
  const relayer = await createClient({
    sequencerUrl: net.seqUrl,
    privateKey: net.accounts[ACCOUNT.recipient].privateKey,
    l2ChainId: L2_CHAIN_ID,
    pollMs: 200,
    l1: { rpcUrl: net.l1Url, bridge: net.bridgeAddress },
  });
  const earlyError = await relayer
    .deliverResult(requestId, { timeoutMs: 1 })
    .then(() => "delivered early")
    .catch((e: Error) => e.message);
  // the L2 job for the request, answered by the honest worker
  const jobs = async () =>
    (
      (await (await fetch(`${net.seqUrl}/v1/jobs?limit=50`)).json()) as {
        jobs: { id: Hex; l1RequestId: string | null }[];
      }
    ).jobs;
  const jobId = await waitFor(
    async () => (await jobs()).find((j) => j.l1RequestId === requestId.toString())?.id,
    `the L2 job of L1 request ${requestId}`,
  );
  const delivered = await relayer.deliverResult(requestId, { timeoutMs: TIMEOUT });
  const deliveredAt = Date.now();
  const result = await read<{ received: boolean; outputRoot: Hex; outputCid: Hex }>("resultOf");
  const job = await sdk.job(jobId);
  const expectedOutputRoot = toHex(outputRoot(model.commitment.model, referenceOutputs(model, [input])));
  return { pendingRightAfter, earlyError, delivered, deliveredAt, result, job, expectedOutputRoot };
}
