/**
 * The batch challenge's one-steps of a forced registerWorker, postGenerationJob and
 * submitGeneration (docs/rollup.md 8a "Forced bytes", 8c; issue 13): users force the signed txs
 * through L1 (Bridge.forceTransaction of encoding.ts forcedData), the real follower derives them,
 * the real L2 Chain seals them, and every tx of the honest batch steps on chain
 * (BatchStepVerifier `_forced` -> JobStepRules / GenerationStepRules) to the replay's next
 * commitment, forced bytes that fail the kind's encoding rule (lib/UserTxRules.sol: a multiaddr
 * with a bidi control, a window past 8192, a CID past 128 bytes) as no-ops. Before this, such a
 * step reverted OneStepNotBuilt(0x82): an honest challenger had no winning move, so a sequencer
 * forcing one could claim any post-state there. Lying batches about each forced tx (valid or
 * malformed) are proven wrong at that tx and removed, the validator's own challenger included;
 * lying challengers lose to the honest batch.
 */
import t, { type Test } from "tap";
import type { Hex } from "viem";
import { PHASE, sequencerMove } from "../../../bridge/batch-challenge.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { type ClaimMsg, encodeTx, signClaim, signTx, type Tx, type UserTx } from "../../../protocol/tx.ts";
import { generationPassInputRoot, generationSpec } from "../../../prover-trace/commit/generation.ts";
import { buildBatch } from "../../../sequencer/batch.ts";
import type { Block } from "../../../sequencer/block.ts";
import { decodeForcedData, forcedData, stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { L1BatchReader } from "../../../sequencer/l1-batches.ts";
import { BatchReplayer } from "../../../sequencer/rebuild.ts";
import { keys, type StateRecord, type Worker } from "../../../sequencer/state/records.ts";
import { ValidatorChallenger } from "../../../sequencer/validator-challenge.ts";
import {
  challengerLiars,
  forcedTxLies,
  jobStateLies,
  sequencerLiars,
} from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  lieCommitmentOf,
  liedRoot,
  postBlocks,
  rejectsRecordLeftOutAndOtherTime,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import { challengeRig, RIG, rejectsWith } from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

t.test("batch challenge one-steps of forced registerWorker and generation txs", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-forced-rules", claimCollateral: 0n });
  const {
    b,
    seqClients,
    d,
    bridge,
    genesis,
    key,
    chain,
    start,
    challenge,
    seqGame,
    chGame,
    proveLastTxWrong,
  } = rig;
  const [requester, worker, stranger] = rig.devs;

  // inbox message 0: the job's model, derived by the real follower
  const modelFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId: model } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  const [modelTx] = await derivedSince(seqClients, d.address, modelFrom);

  const nonces = new Map<string, number>();
  const user = (from: typeof requester, body: Record<string, unknown>) => {
    const n = nonces.get(from.address) ?? 0;
    nonces.set(from.address, n + 1);
    return signTx(
      { ...body, from: from.address, nonce: n, fee: 1n } as never,
      from.key,
      chain.domain,
    ) as UserTx;
  };
  let ts = 1_000_000;
  const origin = { number: 0, hash: `0x${"00".repeat(32)}` as Hex };
  const seal = (txs: Tx[]): Block => {
    for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
    ts += 1000;
    return chain.seal(origin, key as Uint8Array).block;
  };
  const block1 = seal([modelTx]);

  // the signed txs, forced through L1 (inbox messages 1..7): a registration, a generation job
  // posted, claimed and submitted, then one malformed forced tx of each kind
  const register = user(worker, {
    type: "registerWorker",
    models: [model],
    price: 5n,
    capacity: 2,
    multiaddr: "/ip4/127.0.0.1/tcp/4001/p2p/wörker",
  });
  const PROMPT = [1, 2, 3];
  const WINDOW = 8;
  const params: GenerationParams = { maxTokens: 3, stopToken: 2, rule: { kind: "greedy" } };
  const genJob = user(requester, {
    type: "postGenerationJob",
    modelId: model,
    prompt: PROMPT,
    window: WINDOW,
    params,
    escrow: 100n,
    deadline: ts + 600_000,
  });
  const jobId = chain.txHash(genJob) as Hex;
  const claimJob = user(worker, { type: "claimJob", jobId });
  const generated = [5, 2];
  const claim: ClaimMsg = {
    jobId,
    worker: worker.address,
    modelId: model,
    inputRoot: toHex(generationPassInputRoot(PROMPT, generated, WINDOW)),
    outputRoot: `0x${"d4".repeat(32)}`,
    traceRoot: `0x${"e5".repeat(32)}`,
    generationSpec: toHex(generationSpec(PROMPT.length, generated.length, generationParamsHash(params))),
    outputCid: `0x01551220${"0f".repeat(32)}`,
    traceCid: "0x",
  };
  const claims = claimDomain(BigInt(d.chainId), d.address);
  const submit = user(worker, {
    type: "submitGeneration",
    claim,
    claimSignature: signClaim(claim, worker.key, claims),
    generated,
  });
  // malformed: each signed by its sender, but bytes L2 does not decode (8a): the stranger's
  // multiaddr with a bidi control, the requester's window past 8192, the worker's CID of 129 bytes
  const badWorker = signTx(
    {
      type: "registerWorker",
      from: stranger.address,
      nonce: 0,
      fee: 1n,
      models: [model],
      price: 1n,
      capacity: 1,
      multiaddr: "/ip4/10.0.0.1/\u202etcp",
    } as never,
    stranger.key,
    chain.domain,
  ) as UserTx;
  const badPost = { ...genJob, nonce: 1, window: 9000 } as UserTx;
  const badSubmit = {
    ...submit,
    nonce: 2,
    claim: { ...claim, outputCid: `0x${"01".repeat(129)}` },
  } as UserTx;
  const forcedTxs = [register, genJob, claimJob, submit, badWorker, badPost, badSubmit];
  for (const x of forcedTxs.slice(4))
    t.throws(() => decodeForcedData(forcedData(x)), `a malformed forced ${x.type} encodes no tx`);

  const forcedFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  for (const tx of forcedTxs) await bridge.as(b.wallet(3)).forceTransaction(toHex(forcedData(tx)));
  const forced = await derivedSince(seqClients, d.address, forcedFrom);
  t.equal(forced.length, 7, "the follower derives the seven forced txs");
  const block2 = seal(forced);
  t.same(
    block2.receipts.map((r) => r.events[0]?.kind),
    ["ForcedTx", "ForcedTx", "ForcedTx", "ForcedTx", "ForcedTxInvalid", "ForcedTxInvalid", "ForcedTxInvalid"],
    "L2 runs the four forced txs and takes the malformed ones as no tx",
  );
  t.match(block2.receipts[4].events[0], { reason: /multiaddr: control or bidi character U\+202E/ });
  t.match(block2.receipts[5].events[0], { reason: /window/ });
  t.match(block2.receipts[6].events[0], { reason: /outputCid/ });
  t.match(
    block2.receipts.slice(0, 4).map((r) => r.events[1]?.kind),
    ["WorkerRegistered", "JobPosted", "JobClaimed", /Submitted/],
  );

  const zero = toHex(new Uint8Array(32));
  const genesisStart = { state: start, inboxHash: zero, lastTime: 0 };
  const post = async (blocks: Block[], inboxCount: bigint, stateRoot?: Hex) => {
    await postBlocks(bridge, blocks, { inboxCount, stateRoot });
  };
  const witnessOf = (blocks: Block[], i: number) => witnessAt(genesis, genesisStart, blocks, i);
  /** Unsealed block 2 holding the first `n` forced txs (a lying batch's). */
  const block2With = (n: number): Block =>
    ({ ...block2, txs: forced.slice(0, n).map(encodeTx), receipts: [] }) as unknown as Block;
  const stateAfter = (n: number) =>
    replayBatch(genesis, genesisStart, batchBlocks([block1, block2With(n)])).finalState;

  /** Batch 0 as [block1, block 2 with the first `n` forced txs], its state root the liar's. */
  async function lyingBatch(
    what: string,
    n: number,
    lie: (state: Map<string, StateRecord>) => void,
  ): Promise<{ blocks: Block[]; truth: ReturnType<typeof replayBatch>; lieCommitment: Hex }> {
    const blocks = [block1, block2With(n)];
    const truth = replayBatch(genesis, genesisStart, batchBlocks(blocks));
    const lieRoot = liedRoot(t, what, truth, lie);
    await post(blocks, BigInt(n + 1), lieRoot);
    return { blocks, truth, lieCommitment: lieCommitmentOf(lieRoot, truth) };
  }
  async function provenWrong(
    t: Test,
    what: string,
    n: number,
    lie: (state: Map<string, StateRecord>) => void,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
  ) {
    const { blocks, truth, lieCommitment } = await lyingBatch(what, n, lie);
    await proveLastTxWrong(t, what, {
      index: 0n,
      blocks,
      truth,
      lieCommitment,
      witness: (i) => witnessOf(blocks, i),
      reason: "tx executes to another state",
      hostile,
      lastTx: "the forced tx",
    });
  }
  const workerWith = (address: Hex, patch: Partial<Worker>) => (state: Map<string, StateRecord>) => {
    const k = keys.worker(address);
    const w = (state.get(k) as Worker | undefined) ?? {
      address,
      models: [model],
      price: 1n,
      capacity: 1,
      multiaddr: "/ip4/10.0.0.1/tcp",
      active: 0,
    };
    state.set(k, { ...w, ...patch });
  };

  await t.test("a forced registerWorker applied with another capacity is proven wrong", async (t) => {
    await provenWrong(
      t,
      "forced registerWorker, capacity 99",
      1,
      workerWith(worker.address, { capacity: 99 }),
      (id, w) => rejectsRecordLeftOutAndOtherTime(t, chGame, id, w),
    );
  });

  await t.test("a forced postGenerationJob whose escrow is not debited is proven wrong", async (t) => {
    await provenWrong(
      t,
      "forced postGenerationJob, escrow kept",
      2,
      jobStateLies.escrowNotDebited(requester.address, 100n),
    );
  });

  await t.test("a valid forced submitGeneration dropped as refused is proven wrong", async (t) => {
    await provenWrong(t, "forced submitGeneration dropped", 4, forcedTxLies.droppedAsRefused(stateAfter(3)));
  });

  await t.test("a malformed forced postGenerationJob applied (fee taken) is proven wrong", async (t) => {
    await provenWrong(
      t,
      "malformed forced postGenerationJob applied",
      6,
      jobStateLies.creditedExtra(requester.address, -1n),
      async (id, w) => {
        t.same(w.records, [], "no record: its bytes encode no tx");
        const other = witnessOf([block1, block2With(1)], 1).records;
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: other.slice(0, 1) }),
          "RecordCount",
          "a record given with it",
        );
      },
    );
  });

  await t.test("a malformed forced submitGeneration applied (fee taken) is proven wrong", async (t) => {
    await provenWrong(
      t,
      "malformed forced submitGeneration applied",
      7,
      jobStateLies.creditedExtra(worker.address, -1n),
    );
  });

  await t.test(
    "the validator challenges a batch applying a malformed forced registerWorker, and wins",
    async (t) => {
      const { blocks, truth, lieCommitment } = await lyingBatch(
        "malformed forced registerWorker applied",
        5,
        workerWith(stranger.address, {}),
      );
      // the reader reads from the Bridge's deployment (the inbox messages the batch counts); the
      // lying batches before this one were removed, this one is the last it returns
      const read = (await new L1BatchReader(seqClients, { bridge: d.address, confirmations: 0 }).next()).at(
        -1,
      );
      if (!read) throw new Error("the reader returns no batch");
      t.equal(read.index, 0, "the reader returns the lying batch");
      t.equal(read.txDataHash, buildBatch(blocks).txDataHash, "its data");
      t.match(new BatchReplayer(genesis).apply(read), { ok: false }, "the replayer flags it");
      const vc = new ValidatorChallenger(chGame, genesis, RIG.challengerBond);
      vc.onBadBatch(read, { state: new Map(start), inboxHash: zero, lastTime: 0 });
      const liar = sequencerLiars.truthUntil(truth.txCount - 1)(truth, lieCommitment, []);
      for (let i = 0; i < 40 && (vc.outcome === "none" || vc.outcome === "playing"); i++) {
        await vc.step();
        if (vc.challengeId === null) continue;
        const v = await seqGame.getChallenge(vc.challengeId);
        if (v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid)
          await sequencerMove(seqGame, vc.challengeId, liar);
      }
      t.equal(vc.outcome, "won", "the validator's challenger wins (not `cannot`)");
      t.same(
        await seqGame.resolution(vc.challengeId as bigint),
        { challengerWon: true, reason: "tx executes to another state" },
        "tx executes to another state",
      );
      t.equal(
        (await seqGame.getChallenge(vc.challengeId as bigint)).lo,
        BigInt(truth.txCount - 1),
        "at the forced tx",
      );
      t.equal(await bridge.batchCount(), 0n, "the batch is removed");
      await seqGame.depositSequencerBond(RIG.sequencerBond);
    },
  );

  await t.test("the honest batch: every forced tx steps on chain to the replay's commitment", async (t) => {
    const blocks = [block1, block2];
    await post(blocks, 8n);
    const truth = replayBatch(genesis, genesisStart, batchBlocks(blocks));
    t.equal(
      (await bridge.getBatch(0n)).inboxHash,
      truth.finalInboxHash,
      "the Bridge's inbox hash is the replay's",
    );
    const names = [
      "model",
      "forced registerWorker",
      "forced postGenerationJob",
      "forced claimJob",
      "forced submitGeneration",
      "malformed forced registerWorker",
      "malformed forced postGenerationJob",
      "malformed forced submitGeneration",
    ];
    const gas: Record<string, number> = {};
    for (let k = 0; k < truth.txCount; k++) {
      const w = witnessOf(blocks, k);
      const call = {
        address: challenge.verifier,
        abi: batchStepVerifierAbi,
        functionName: "step",
        args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
      } as never;
      const [applied, post3] = (await seqClients.publicClient.readContract(call)) as [
        boolean,
        readonly Hex[],
      ];
      t.ok(applied, `${names[k]}: applied on chain`);
      t.equal(
        stepCommitment(fromHex(post3[0]), fromHex(post3[1]), fromHex(post3[2]), truth.roots[k + 1].lastTime),
        truth.commitments[k + 1],
        `${names[k]}: the one-step reaches the replay's C_${k + 1}`,
      );
      if (k >= 1)
        gas[names[k]] = Number(
          await seqClients.publicClient.estimateContractGas({
            ...(call as object),
            account: b.accounts[1].address,
          } as never),
        );
    }
    for (const k of [5, 6, 7]) {
      t.equal(truth.roots[k + 1].stateRoot, truth.roots[k].stateRoot, `${names[k]}: no state change`);
      t.not(
        truth.roots[k + 1].inboxHash,
        truth.roots[k].inboxHash,
        `${names[k]}: its inbox message consumed`,
      );
    }
    t.comment(`forced one-step gas: ${JSON.stringify(gas)}`);
    await rig.survivesLyingChallengers(t, "a forced tx", {
      index: 0n,
      blocks,
      truth,
      witness: (i) => witnessOf(blocks, i),
      liars: [
        ["disagrees with everything", challengerLiars.disagreeAll, 0n],
        ["disagrees from the malformed registerWorker on", challengerLiars.disagreeFrom(5), 5n],
        ["disagrees from the forced submitGeneration on", challengerLiars.disagreeFrom(4), 4n],
        ["agrees with everything", challengerLiars.agreeAll, 7n],
      ],
    });
  });
});
