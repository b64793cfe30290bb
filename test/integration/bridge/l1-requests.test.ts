/**
 * L1 consumer requests end to end on the embedded chain with the real Bridge, DisputeGame and a
 * real sequencer: contracts ask through Bridge.requestInference, the follower derives the jobs
 * into L2, a worker claims and submits signed results through the sequencer API, the jobs finalize
 * after the L2 window, the batch is posted, its claims are recorded on L1, and once the batch is
 * final and the claim has been on L1 for the challenge window Bridge.deliverResult hands each result,
 * from the worker's signed claim, to its requester (the example InferenceConsumer stores it).
 * Refused: before finality, before the claim's L1 window, twice, with a wrong proof, a claim about
 * another model or input, a claim signed by a key without stake or in a second encoding, a claim
 * the DisputeGame invalidated or one under a dispute still running, with too little gas for the
 * callback. A reverting, gas-burning or re-entering consumer does not block its delivery. A request
 * whose deadline passes unanswered is refunded to the requester as an L1 withdrawal; one whose claim
 * lost a dispute after L2 paid it is refunded on L1 from that claim's slash (issue 18).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import {
  type Abi,
  type Address,
  encodeFunctionData,
  type Hex,
  parseEther,
  parseEventLogs,
  toFunctionSelector,
} from "viem";
import {
  BridgeRevert,
  deliverResultArgs,
  type ResultDelivery,
  simulateAndSend,
} from "../../../bridge/bridge.ts";
import { type L1WalletClient, walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import {
  inferenceConsumerAbi,
  inferenceConsumerBytecode,
} from "../../../contracts/artifacts/InferenceConsumer.ts";
import { probeConsumerAbi, probeConsumerBytecode } from "../../../contracts/artifacts/ProbeConsumer.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import {
  type ClaimMsg,
  claimDigest,
  encodeTx,
  NO_GENERATION,
  signClaim,
  signTx,
  type UserTx,
} from "../../../protocol/tx.ts";
import { createClient } from "../../../sdk/index.ts";
import { buildApi } from "../../../sequencer/api.ts";
import { Batcher, type ResultProofReply } from "../../../sequencer/batch.ts";
import { ClaimsRecorder } from "../../../sequencer/batch-claims.ts";
import { bridgeBatchView } from "../../../sequencer/batch-l1.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { keys as K } from "../../../sequencer/state/records.ts";

const RESULT_DELIVERED = 1;
const RESULT_CALLBACK_FAILED = 2;
const RESULT_REFUNDED = 3;
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const cidOf = (b: number) => `0x01551220${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;

t.test("L1 consumer requests: derive, claim, finalize, deliver after the window, refund", async (t) => {
  const devnet = await startDevnet({});
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const pub = devnet.clients.publicClient;
  const chain = devnet.chain;
  const wallet = (i: number) => walletClientFor(devnet.clients, chain.accounts[i].privateKey);
  const owner = wallet(1);
  const worker = { key: fromHex(chain.accounts[2].privateKey), l1: wallet(2) };
  const workerAddr = addressOf(worker.key);
  const challenger = wallet(4);
  const relayer = dep.bridge.as(wallet(5));
  const l1Now = async () => Number((await pub.getBlock({ blockTag: "latest" })).timestamp);
  const revert = (f: string, e: string, a: readonly unknown[], d: string) => new BridgeRevert(f, e, a, d);
  const send = (
    w: L1WalletClient,
    address: Address,
    abi: Abi,
    functionName: string,
    args: unknown[],
    value?: bigint,
  ) =>
    simulateAndSend(
      devnet.clients,
      w,
      { contract: "Contract", address, abi, functionName, args, value },
      revert,
    );
  const deploy = async (abi: Abi, bytecode: Hex, args: unknown[]) => {
    const hash = await owner.deployContract({ abi, bytecode, args } as Parameters<
      typeof owner.deployContract
    >[0]);
    return (await pub.waitForTransactionReceipt({ hash })).contractAddress as Address;
  };

  // ---------------------------------------------------------------- L1: model, consumers
  const model = await dep.bridge.registerModel(
    {
      graphRoot: h32(0x11),
      weightsRoot: h32(0),
      outputRefsRoot: h32(0x12),
      inputRangesRoot: h32(0x13),
      nodeCount: 1,
      weightCount: 0,
      inputCount: 1,
      outputCount: 1,
    },
    cidOf(0x13),
  );
  const modelId = model.modelId;
  const consumer = await deploy(inferenceConsumerAbi, inferenceConsumerBytecode, [dep.address]);
  const probeRevert = await deploy(probeConsumerAbi, probeConsumerBytecode, [dep.address, 0]);
  const probeBurn = await deploy(probeConsumerAbi, probeConsumerBytecode, [dep.address, 1]);
  const probeReenter = await deploy(probeConsumerAbi, probeConsumerBytecode, [dep.address, 2]);

  // ---------------------------------------------------------------- L2 sequencer following L1
  const { genesis, key } = resolveGenesis({
    ...DEFAULTS,
    genesis: {
      ...DEFAULTS.genesis,
      l1ChainId: String(dep.chainId),
      bridge: dep.address,
      challengeWindowMs: 60_000,
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "verdict-l1req-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let l2Now = (await l1Now()) * 1000;
  const syncClock = async () => {
    l2Now = (await l1Now()) * 1000;
  };
  const node = await SequencerNode.open({
    dataDir: dir,
    genesis,
    sequencerKey: key ?? undefined,
    verifyWorkers: 0,
    clock: () => l2Now,
    l1: new BridgeFollower(devnet.clients, {
      bridge: dep.address,
      confirmations: 1,
      startBlock: Number(dep.blockNumber),
    }),
  });
  t.teardown(() => node.close());
  // with the L1 view: the batch counts the inbox messages (models, L1 requests, stake changes) its blocks derived
  const batcher = new Batcher(node, dep.bridge, {
    cidOf: async (d) => toHex((await fileCid(d)).bytes),
    l1: bridgeBatchView(dep.bridge),
    confirmations: 0,
  });
  const app = await buildApi(node, createMetrics(), { batcher });
  t.teardown(() => app.close());
  const l2dom = l2Domain(genesis.l2ChainId);
  const cdom = claimDomain(BigInt(dep.chainId), dep.address);
  let nonce = 0;
  /** Worker tx through POST /v1/txs; the nonce moves only when the sequencer took it. */
  const post = async (body: Record<string, unknown>) => {
    const tx = signTx({ ...body, from: workerAddr, nonce, fee: 0n } as never, worker.key, l2dom) as UserTx;
    const res = await app.inject({ method: "POST", url: "/v1/txs", payload: encodeTx(tx) });
    if (res.statusCode === 202) nonce++;
    return { status: res.statusCode, body: res.json() as { txHash?: Hex; error?: string } };
  };
  const ok = async (body: Record<string, unknown>) => {
    const r = await post(body);
    if (r.status !== 202) throw new Error(`${body.type}: ${r.status} ${r.body.error}`);
    return r.body.txHash as Hex;
  };

  // ---------------------------------------------------------------- requests
  await t.test("requestInference refuses bad requests", async (t) => {
    const eoa = dep.bridge.as(wallet(3));
    const now = BigInt(await l1Now());
    const good = { modelId, inputRoot: h32(0x20), inputCid: cidOf(0x21), deadline: now + 3600n, escrow: 1n };
    await t.rejects(eoa.requestInference({ ...good, escrow: 0n }), /ZeroAmount/);
    await t.rejects(eoa.requestInference({ ...good, modelId: h32(0x99) }), /UnknownModel/);
    await t.rejects(eoa.requestInference({ ...good, inputCid: "0x015512" }), /InvalidCid\(3\)/);
    await t.rejects(
      eoa.requestInference({ ...good, inputCid: `0x01${"00".repeat(128)}` }),
      /InvalidCid\(129\)/,
    );
    await t.rejects(eoa.requestInference({ ...good, inputCid: `0x00${"55".repeat(35)}` }), /InvalidCid/);
    await t.rejects(eoa.requestInference({ ...good, deadline: now }), /DeadlineNotInFuture/);
    await t.rejects(eoa.requestInference({ ...good, deadline: 9_007_199_254_741n }), /DeadlineTooLate/);
    const maxEscrow = await dep.bridge.maxRequestEscrow();
    t.equal(maxEscrow, dep.params.minWorkerStake / 2n, "half a slash: what a refund can always pay");
    await t.rejects(
      eoa.requestInference({ ...good, escrow: maxEscrow + 1n }),
      /EscrowAboveRefundable/,
      "an escrow no slash could refund",
    );
    t.equal(await dep.bridge.requestCount(), 0n, "nothing recorded");
  });

  const bridgedBefore = await dep.bridge.bridgedBalance();
  const now0 = BigInt(await l1Now());
  const ask = async (c: Address, abi: Abi, input: number, escrow: bigint, deadline: bigint) => {
    const r = await send(owner, c, abi, "ask", [modelId, h32(input), cidOf(input), deadline], escrow);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "InferenceRequested" });
    return ev.args;
  };
  const far = now0 + 7200n;
  const reqs = [
    await ask(consumer, inferenceConsumerAbi, 0x30, parseEther("0.3"), far), // 0: answered
    await ask(consumer, inferenceConsumerAbi, 0x31, parseEther("0.2"), now0 + 100n), // 1: refunded
    await ask(probeRevert, probeConsumerAbi, 0x32, parseEther("0.1"), far), // 2: callback reverts
    await ask(probeBurn, probeConsumerAbi, 0x33, parseEther("0.1"), far), // 3: callback burns gas
    await ask(probeReenter, probeConsumerAbi, 0x34, parseEther("0.1"), far), // 4: callback re-enters
    await ask(consumer, inferenceConsumerAbi, 0x35, parseEther("0.3"), far), // 5: claim invalidated
  ];
  t.same(
    reqs.map((r) => r.requestId),
    [0n, 1n, 2n, 3n, 4n, 5n],
    "request ids in order",
  );
  t.equal(reqs[0].requester.toLowerCase(), consumer.toLowerCase(), "the consumer contract is the requester");
  t.equal(
    (await dep.bridge.bridgedBalance()) - bridgedBefore,
    parseEther("1.1"),
    "escrows join bridgedBalance",
  );
  t.equal((await dep.bridge.getRequest(0n)).deadline, far);
  await t.rejects(
    send(wallet(3), consumer, inferenceConsumerAbi, "ask", [modelId, h32(1), cidOf(1), far], 1n),
    /NotOwner/,
  );

  // ---------------------------------------------------------------- derived on L2
  // Confirmation depth 1: every request with a block on top is derived; the newest one is not yet.
  const jobOf = new Map<bigint, Hex>();
  const collect = (b: Awaited<ReturnType<typeof node.sealNow>>) => {
    for (const rc of b?.receipts ?? [])
      for (const e of rc.events)
        if (e.kind === "JobPosted" && e.l1RequestId)
          jobOf.set(BigInt(e.l1RequestId as string), e.jobId as Hex);
  };
  collect(await node.sealNow());
  t.same([...jobOf.keys()], [0n, 1n, 2n, 3n, 4n], "the newest request waits for its confirmation");
  await chain.mine(1);
  collect(await node.sealNow());
  t.equal(jobOf.size, 6, "one L2 job per request");
  t.match(node.record(K.job(jobOf.get(0n)!)), {
    source: "l1",
    requester: consumer.toLowerCase(),
    l1RequestId: "0",
    modelId,
    inputRoot: h32(0x30),
    inputCid: cidOf(0x30),
    escrow: parseEther("0.3").toString(),
    deadline: Number(far) * 1000,
    status: "open",
  });

  // ---------------------------------------------------------------- worker claims and submits via the API
  await ok({
    type: "registerWorker",
    models: [modelId],
    price: 1n,
    capacity: 10,
    multiaddr: "/ip4/127.0.0.1/tcp/4001",
  });
  const answered = [0n, 2n, 3n, 4n, 5n];
  for (const id of answered) await ok({ type: "claimJob", jobId: jobOf.get(id) });
  await node.sealNow();
  const claims = new Map<bigint, { claim: ClaimMsg; sig: Hex }>();
  for (const id of answered) {
    const n = Number(id);
    const claim: ClaimMsg = {
      jobId: jobOf.get(id)!,
      worker: addressOf(worker.key),
      modelId,
      inputRoot: h32(0x30 + n),
      outputRoot: h32(0x40 + n),
      traceRoot: h32(0x50 + n),
      generationSpec: NO_GENERATION,
      outputCid: cidOf(0x60 + n),
      traceCid: cidOf(0x70 + n),
    };
    const sig = signClaim(claim, worker.key, cdom);
    claims.set(id, { claim, sig });
    await ok({ type: "submitResult", claim, claimSignature: sig });
  }
  await node.sealNow();
  t.match(node.record(K.job(jobOf.get(0n)!)), { status: "submitted", worker: workerAddr });
  const early = await post({ type: "finalize", jobId: jobOf.get(0n) });
  t.equal(early.status, 422);
  t.match(early.body.error, /challenge window is open/, "no payment (and no result) inside the L2 window");

  // ---------------------------------------------------------------- after the L2 window: finalize
  await chain.increaseTime(200); // past the L2 window (60 s) and request 1's deadline (100 s)
  await chain.mine(1);
  await syncClock();
  await node.sealNow(); // closes the block the refused finalize opened (it keeps its old timestamp)
  const finTx = new Map<bigint, Hex>();
  for (const id of [...answered, 1n]) finTx.set(id, await ok({ type: "finalize", jobId: jobOf.get(id) }));
  const finBlock = (await node.sealNow())!;
  const rcOf = (id: bigint) => finBlock.receipts.find((r) => r.txHash === finTx.get(id))!;
  t.same(rcOf(0n).result, {
    requestId: "0",
    claimKey: toHex(claimDigest(claims.get(0n)!.claim, cdom)),
    outputRoot: h32(0x40),
    outputCid: cidOf(0x60),
  });
  t.same(
    rcOf(1n).withdrawal,
    { recipient: consumer.toLowerCase(), amount: parseEther("0.2").toString(), l2TxHash: finTx.get(1n) },
    "the unanswered request's escrow leaves as an L1 withdrawal to the consumer",
  );
  t.notOk(rcOf(1n).result, "and sends no result");

  // ---------------------------------------------------------------- a late dispute invalidates claim 5 on L1
  // 2 ETH: the lost dispute slashes one minWorkerStake, the rest still backs the other claims.
  await dep.bridge.as(worker.l1).stake(parseEther("2"));
  await dep.bridge.as(challenger).depositBond(parseEther("0.1"));
  const game = new DisputeGameContract(devnet.clients, dep.disputeGame, challenger);
  const c5 = claims.get(5n)!;
  const opened = await game.challengeOutput(c5.claim, c5.sig, 0);
  await chain.increaseTime(Number(dep.params.disputeClock) + 1);
  await chain.mine(1);
  await game.timeout(opened.disputeId);
  const key5 = toHex(claimDigest(c5.claim, cdom));
  t.ok(await game.claimInvalidated(key5), "the worker lost: claim 5 is invalidated");
  t.equal(await dep.bridge.claimDigest(c5.claim), key5, "the L2 claimKey is the L1 claim digest");

  // ---------------------------------------------------------------- batch and proofs
  await syncClock();
  // derive the stake change above (an inbox message, overdue once L1 time jumps): a batch must count it
  await node.sealNow();
  const batch = await batcher.postOnce();
  t.equal(batch?.index, 0);
  await batcher.postOnce(); // the next step finds it on L1: confirmed (0 confirmations)
  t.equal((await batcher.confirmed()).length, 1, "batch 0 confirmed");
  const recorder = new ClaimsRecorder({
    block: (n) => node.block(n),
    confirmed: () => batcher.confirmed(),
    l1: dep.bridge,
    claimDomain: cdom,
  });
  const replies = new Map<bigint, ResultProofReply>();
  const proofOf = async (id: bigint) => {
    const res = await app.inject(`/v1/results/${id}/proof`);
    t.equal(res.statusCode, 200, res.body);
    const p = res.json() as ResultProofReply;
    replies.set(id, p);
    const inc = await recorder.inclusion(p.claimKey);
    if ("error" in inc) throw new Error(inc.error);
    return {
      requestId: BigInt(p.requestId),
      claim: p.claim,
      claimSignature: p.claimSignature,
      result: {
        batchIndex: BigInt(p.batchIndex),
        leafIndex: p.leafIndex,
        leafCount: p.leafCount,
        proof: p.proof,
      },
      inclusion: {
        batchIndex: BigInt(inc.batchIndex),
        leafIndex: inc.leafIndex,
        leafCount: inc.leafCount,
        proof: inc.proof,
      },
    } satisfies ResultDelivery;
  };
  t.match(await recorder.inclusion(h32(0x01)), { error: /in no recorded batch yet/ });
  t.same(
    await batcher.resultProof("0"),
    { ...(await app.inject("/v1/results/0/proof")).json() },
    "API = Batcher",
  );
  const r0 = (await batcher.resultProof("0")) as ResultProofReply;
  t.same(r0.claim, claims.get(0n)?.claim, "the reply carries the worker's signed claim");
  t.equal(r0.claimSignature, claims.get(0n)?.sig);
  t.equal(r0.leafCount, 6, "the batch's message tree: 5 results and the refund withdrawal");
  const missing = await app.inject("/v1/results/1/proof");
  t.equal(missing.statusCode, 404);
  t.match(missing.json().error, /no result for request 1/);
  t.equal((await app.inject("/v1/results/abc/proof")).statusCode, 400, "a non-decimal id is refused");
  t.equal((await app.inject("/v1/results/01/proof")).statusCode, 400, "so is a non-canonical one");
  t.same(await batcher.resultProof("-1"), { error: "requestId must be a decimal integer" });
  t.same(await batcher.resultProof("1".repeat(79)), { error: "requestId must be a decimal integer" });
  t.match(await batcher.resultProof("6"), { error: /no result for request 6/ });

  // The batch becomes final before its claims are recorded: a claim's own L1 window starts when
  // L1 learns it (recordBatchClaims), not when the batch was posted.
  await chain.increaseTime(Number(dep.params.challengeWindow) + 1);
  await chain.mine(1);
  t.same(await recorder.recordOnce(), [0], "the batch's claims root is recorded on L1");
  const p0 = await proofOf(0n);
  await t.rejects(relayer.deliverResult(p0), /ClaimNotFinal/, "not before the claim's own L1 window");
  await chain.increaseTime(Number(dep.params.challengeWindow) + 1);
  await chain.mine(1);

  await t.test("wrong proofs and claims are refused", async (t) => {
    const withClaim = (c: Partial<ClaimMsg>) => ({ ...p0, claim: { ...p0.claim, ...c } });
    const withResult = (r: Partial<ResultDelivery["result"]>) => ({ ...p0, result: { ...p0.result, ...r } });
    await t.rejects(
      relayer.deliverResult(withClaim({ outputRoot: h32(0x41) })),
      /InvalidResultProof/,
      "output",
    );
    await t.rejects(
      relayer.deliverResult(withClaim({ outputCid: cidOf(0x61) })),
      /InvalidResultProof/,
      "cid",
    );
    await t.rejects(
      relayer.deliverResult(withClaim({ traceRoot: h32(0x01) })),
      /InvalidResultProof/,
      "trace",
    );
    await t.rejects(
      relayer.deliverResult(withClaim({ inputRoot: h32(0x32) })),
      /ClaimNotForRequest/,
      "a claim about another input",
    );
    await t.rejects(
      relayer.deliverResult({ ...p0, requestId: 2n }),
      /ClaimNotForRequest/,
      "request 0's claim for request 2 (another input)",
    );
    await t.rejects(
      relayer.deliverResult(withResult({ leafIndex: (p0.result.leafIndex + 1) % p0.result.leafCount })),
      /InvalidResultProof/,
      "other index",
    );
    await t.rejects(
      relayer.deliverResult(withResult({ leafIndex: p0.result.leafCount })),
      /LeafIndexOutOfRange/,
    );
    await t.rejects(
      relayer.deliverResult(withResult({ proof: p0.result.proof.slice(1) })),
      /ProofLengthMismatch/,
    );
    await t.rejects(relayer.deliverResult({ ...p0, requestId: 99n }), /UnknownRequest\(99\)/);
    await t.rejects(relayer.deliverResult(withResult({ batchIndex: 7n })), /UnknownBatch/);
    await t.rejects(
      relayer.deliverResult(withClaim({ outputCid: `0x01${"00".repeat(128)}` })),
      /InvalidCid\(129\)/,
    );
    await t.rejects(
      relayer.deliverResult({
        ...p0,
        inclusion: { ...p0.inclusion, proof: p0.inclusion.proof.map((x, i) => (i === 0 ? h32(0x07) : x)) },
      }),
      /ClaimNotInBatch/,
      "a claim L1 never recorded",
    );
    // The same claim signed by another key (a puppet): the claim names its worker, and only that
    // worker's signature makes it valid (issue 18, the puppet signer).
    const puppet = fromHex(chain.accounts[6].privateKey);
    await t.rejects(
      relayer.deliverResult({ ...p0, claimSignature: signClaim(p0.claim, puppet, cdom) }),
      /ClaimSignerNotWorker/,
      "signed by a key other than the worker the claim names",
    );
    // v 0/1 instead of 27/28: the one canonical encoding only (docs/commitments.md "Signatures").
    const v = Number.parseInt(p0.claimSignature.slice(-2), 16) - 27;
    await t.rejects(
      relayer.deliverResult({ ...p0, claimSignature: `${p0.claimSignature.slice(0, -2)}0${v}` as Hex }),
      /SignatureV/,
      "a second encoding of the signature",
    );
    t.equal((await dep.bridge.getRequest(0n)).result, 0, "nothing recorded");
  });

  await t.test(
    "a dispute opened after the claim's window holds delivery until the claim is proven final",
    async (t) => {
      const p3 = await proofOf(3n);
      const c3 = claims.get(3n)!;
      const late = await game.challengeOutput(c3.claim, c3.sig, 0);
      await t.rejects(relayer.deliverResult(p3), /ClaimUnderDispute/, "held back while it runs");
      await game.proveClaimFinal(late.disputeId, p3.inclusion.batchIndex, p3.inclusion);
      t.equal((await game.getDispute(late.disputeId)).winner, 1, "the claimer wins: its claim was final");
    },
  );

  await t.test("an invalidated claim is never delivered", async (t) => {
    const p5 = await proofOf(5n);
    t.equal(replies.get(5n)?.claimKey, key5);
    await t.rejects(relayer.deliverResult(p5), /ClaimInvalidated/);
    t.equal((await dep.bridge.getRequest(5n)).result, 0);
  });

  await t.test("the consumer receives its result once", async (t) => {
    await t.rejects(
      send(owner, consumer, inferenceConsumerAbi, "onInferenceResult", [0n, h32(0xee), "0x"]),
      /NotBridge/,
      "the consumer takes results from the Bridge only",
    );
    const r = await relayer.deliverResult(p0);
    t.equal(r.callbackSucceeded, true);
    const got = (await pub.readContract({
      address: consumer,
      abi: inferenceConsumerAbi,
      functionName: "resultOf",
      args: [0n],
    })) as { received: boolean; outputRoot: Hex; outputCid: Hex };
    t.same(
      got,
      { received: true, outputRoot: h32(0x40), outputCid: cidOf(0x60) },
      "consumer holds the result",
    );
    t.match(await dep.bridge.getRequest(0n), {
      result: RESULT_DELIVERED,
      claimKey: replies.get(0n)?.claimKey,
      outputRoot: h32(0x40),
    });
    await t.rejects(relayer.deliverResult(p0), /ResultAlreadyDelivered\(0\)/, "not twice");
    t.comment(`deliverResult gas (consumer stores a 36-byte cid): ${r.receipt.gasUsed}`);
  });

  await t.test("a reverting consumer does not block delivery; recorded and emitted", async (t) => {
    const p2 = await proofOf(2n);
    const r = await relayer.deliverResult(p2);
    t.equal(r.callbackSucceeded, false);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "ResultDelivered" });
    t.match(ev.args, { requestId: 2n, batchIndex: 0n, outputRoot: h32(0x42), callbackSucceeded: false });
    t.equal((await dep.bridge.getRequest(2n)).result, RESULT_CALLBACK_FAILED);
    await t.rejects(relayer.deliverResult(p2), /ResultAlreadyDelivered/);
  });

  await t.test(
    "a gas-burning consumer gets its stipend only; too little gas for it is refused",
    async (t) => {
      const p3 = await proofOf(3n);
      const hash = await wallet(5).writeContract({
        address: dep.address,
        abi: bridgeAbi,
        functionName: "deliverResult",
        args: deliverResultArgs(p3),
        gas: 250_000n,
      });
      const starved = await pub.waitForTransactionReceipt({ hash });
      t.equal(starved.status, "reverted", "a relayer cannot starve the callback and mark it failed");
      t.equal((await dep.bridge.getRequest(3n)).result, 0, "still deliverable");
      const r = await relayer.deliverResult(p3);
      t.equal(r.callbackSucceeded, false);
      const stipend = await pub.readContract({
        address: dep.address,
        abi: bridgeAbi,
        functionName: "RESULT_CALLBACK_GAS",
      });
      t.ok(r.receipt.gasUsed < stipend + 150_000n, `gas used ${r.receipt.gasUsed} is bounded by the stipend`);
      t.equal((await dep.bridge.getRequest(3n)).result, RESULT_CALLBACK_FAILED);
    },
  );

  await t.test("a consumer re-entering deliverResult from its callback is blocked", async (t) => {
    const p4 = await proofOf(4n);
    const data = encodeFunctionData({
      abi: bridgeAbi,
      functionName: "deliverResult",
      args: deliverResultArgs(p4),
    });
    await send(owner, probeReenter, probeConsumerAbi, "arm", [data]);
    const r = await relayer.deliverResult(p4);
    t.equal(r.callbackSucceeded, true);
    const read = (functionName: string) =>
      pub.readContract({ address: probeReenter, abi: probeConsumerAbi, functionName } as never);
    t.equal(await read("reentryAttempted"), true);
    t.equal(await read("reentrySucceeded"), false);
    t.equal(
      ((await read("reentryError")) as Hex).slice(0, 10),
      toFunctionSelector("ReentrancyGuardReentrantCall()"),
      "the Bridge's guard stopped it",
    );
    t.equal((await dep.bridge.getRequest(4n)).result, RESULT_DELIVERED);
  });

  await t.test("the unanswered request's escrow comes back to the consumer on L1", async (t) => {
    const res = await app.inject(`/v1/withdrawals/${finTx.get(1n)}/proof`);
    t.equal(res.statusCode, 200, res.body);
    const w = res.json();
    const before = await pub.getBalance({ address: consumer });
    await relayer.proveWithdrawal({ ...w, batchIndex: BigInt(w.batchIndex), amount: BigInt(w.amount) });
    t.equal((await pub.getBalance({ address: consumer })) - before, parseEther("0.2"));
    await t.rejects(
      owner.sendTransaction({ to: consumer, value: 1n }),
      /NotBridge|revert/i,
      "the consumer takes ETH from the Bridge only",
    );
    await send(owner, consumer, inferenceConsumerAbi, "sweep", []);
    t.equal(await pub.getBalance({ address: consumer }), 0n, "swept to the owner");
  });

  await t.test("the request whose claim lost after L2 paid it is refunded on L1, once", async (t) => {
    const p5 = await proofOf(5n);
    const refund = { requestId: 5n, claim: p5.claim, result: p5.result };
    const reserve = await dep.bridge.refundReserve(key5);
    t.equal(reserve, parseEther("0.5"), "the burned half of the worker's slash is kept for it");
    await t.rejects(
      relayer.refundInvalidatedRequest({ ...refund, requestId: 0n }),
      /ResultAlreadyDelivered/,
      "a delivered request",
    );
    await t.rejects(
      relayer.refundInvalidatedRequest({ requestId: 2n, claim: claims.get(2n)!.claim, result: p5.result }),
      /ResultAlreadyDelivered/,
    );
    const p1 = { ...p5.result, leafIndex: (p5.result.leafIndex + 1) % p5.result.leafCount };
    await t.rejects(
      relayer.refundInvalidatedRequest({ ...refund, result: p1 }),
      /InvalidResultProof/,
      "only a claim L2 paid for this request (a request L2 refunded has its own L2 withdrawal)",
    );
    const burnedBefore = await dep.bridge.burned();
    const bridged = await dep.bridge.bridgedBalance();
    const before = await pub.getBalance({ address: consumer });
    // A relayer through the SDK: the claim and its result proof come from the sequencer's API.
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const sdk = await createClient({
      sequencerUrl: url,
      privateKey: chain.accounts[5].privateKey,
      l1: { clients: devnet.clients, bridge: dep.address },
    });
    const r = await sdk.refundInvalidatedRequest(5n, { timeoutMs: 30_000 });
    t.equal(r.amount, parseEther("0.3"), "the whole escrow");
    t.equal((await pub.getBalance({ address: consumer })) - before, parseEther("0.3"), "to the requester");
    t.equal(burnedBefore - (await dep.bridge.burned()), parseEther("0.3"), "paid from the burned slash");
    t.equal(await dep.bridge.refundReserve(key5), parseEther("0.2"));
    t.equal(await dep.bridge.bridgedBalance(), bridged, "not from other users' deposits");
    t.match(await dep.bridge.getRequest(5n), { result: RESULT_REFUNDED, claimKey: key5 });
    await t.rejects(relayer.refundInvalidatedRequest(refund), /RequestAlreadyRefunded\(5\)/, "once");
    await t.rejects(relayer.deliverResult(p5), /RequestAlreadyRefunded\(5\)/, "and then never delivered");
    const p0 = await proofOf(0n);
    await t.rejects(
      relayer.refundInvalidatedRequest({ requestId: 0n, claim: p0.claim, result: p0.result }),
      /ResultAlreadyDelivered/,
    );
    await send(owner, consumer, inferenceConsumerAbi, "sweep", []);
  });

  await t.test("the worker withdraws its pay: every escrow has left the bridge", async (t) => {
    const pay = parseEther("0.9"); // requests 0, 2, 3, 4, 5 (5 was paid on L2 before its late dispute)
    t.match(node.record(K.account(workerAddr)), { balance: pay.toString() });
    const wTx = await ok({ type: "withdraw", l1Recipient: workerAddr, amount: pay });
    await node.sealNow();
    t.equal((await batcher.postOnce())?.index, 1);
    await batcher.postOnce(); // confirmed
    await chain.increaseTime(Number(dep.params.challengeWindow) + 1);
    await chain.mine(1);
    const w = (await app.inject(`/v1/withdrawals/${wTx}/proof`)).json();
    await relayer.proveWithdrawal({ ...w, batchIndex: BigInt(w.batchIndex), amount: BigInt(w.amount) });
    t.equal(await dep.bridge.bridgedBalance(), bridgedBefore, "bridgedBalance back where it started");
  });
});
