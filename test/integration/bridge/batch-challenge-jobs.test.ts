/**
 * The batch challenge's one-steps of the worker and job txs (registerWorker, postJob, claimJob:
 * contracts/src/JobStepRules.sol, docs/rollup.md 8c) on the embedded chain, with the real Bridge,
 * blocks sealed by the real L2 Chain and batch data as the batcher encodes it. Every tx of an
 * honest batch steps on chain to the replay's next commitment, and the batch survives challengers
 * that disagree or agree everywhere; batches that lie about a job tx (a postJob whose escrow is not
 * debited, a claimJob by an unregistered worker, a registerWorker listing a model twice, a
 * claimJob past the worker's collateral) are proven wrong at that tx and removed; hostile
 * witnesses (tampered record bytes, wrong-length records, a made-up block time) are refused by
 * name and change nothing. finalize (pay after the window, deadline refunds, an L1 job's result
 * and refund messages) steps on chain to the replay; batches lying about one (the worker paid twice
 * the escrow, paid before the window ends, a submitted job refunded) are proven wrong at it.
 * Measures one-step gas per job tx type.
 */
import t, { type Test } from "tap";
import { type Hex, parseEther } from "viem";
import { PHASE } from "../../../bridge/batch-challenge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { generationStepRulesAbi } from "../../../contracts/artifacts/GenerationStepRules.ts";
import { jobStepRulesAbi } from "../../../contracts/artifacts/JobStepRules.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import {
  type ClaimMsg,
  claimDigest,
  type DisputeOpenedTx,
  encodeTx,
  type L1InferenceRequestTx,
  NO_GENERATION,
  type PostGenerationJobTx,
  signClaim,
  signTx,
  type Tx,
} from "../../../protocol/tx.ts";
import {
  generationInputRoot,
  generationPassInputRoot,
  generationSpec,
} from "../../../prover-trace/commit/generation.ts";
import type { Block } from "../../../sequencer/block.ts";
import { stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { type Job, keys, type StateRecord } from "../../../sequencer/state/records.ts";
import { challengerLiars, jobStateLies } from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  blockSealer,
  liedRoot,
  postBlocks,
  rejectsOtherBlockTime,
  rejectsRecordLeftOutAndOtherTime,
  stepReader,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import {
  challengeRig,
  RIG,
  rejectsWith,
  revertName,
  stateRootOf as rootOf,
} from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

const CLOCK = RIG.clock;
const _SEQUENCER_BOND = RIG.sequencerBond;
const CHALLENGER_BOND = RIG.challengerBond;
/** Collateral per claim: a third of the worker's 1 ETH L1 stake, so it backs three claims (3C + 1). */
const COLLATERAL = 10n ** 18n / 3n;

t.test("batch challenge one-steps of the worker and job txs", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-jobs", claimCollateral: COLLATERAL });
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
    liarChGame,
    playTo,
    proveLastTxWrong,
  } = rig;
  const [requester, worker, stranger] = rig.devs;

  // ---------------------------------------------------------------- L1 events through the inbox
  // The job's model and the worker's stake are L1 events (inbox messages 0 and 1), derived by the
  // real follower: made-up ones would be provably wrong against the inbox hash.
  const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId: model } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  await b.wallet(0).sendTransaction({ to: worker.address, value: parseEther("2") } as never);
  await bridge.as(walletClientFor(seqClients, toHex(worker.key))).stake(parseEther("1"));
  // two L1 requests (inbox messages 2 and 3): one the worker answers and finalize pays (a result
  // message to L1), one nobody claims and finalize refunds after its deadline (a withdrawal)
  const l1Now = (await seqClients.publicClient.getBlock()).timestamp;
  for (const deadline of [l1Now + 100_000n, l1Now + 1000n])
    await bridge.as(b.wallet(3)).requestInference({
      modelId: model,
      inputRoot: `0x${"c3".repeat(32)}`,
      inputCid: "0x0155122011",
      deadline,
      escrow: 70n,
    });
  const l1Events = await derivedSince(seqClients, d.address, eventsFrom);
  const [modelTx, stakeTx] = l1Events.filter((x) => x.type === "modelRegistered" || x.type === "workerStake");
  const [paidRequest, refundedRequest] = l1Events.filter((x) => x.type === "l1InferenceRequest") as [
    L1InferenceRequestTx,
    L1InferenceRequestTx,
  ];
  t.equal((stakeTx as { active: bigint }).active, 3n * COLLATERAL + 1n, "the L1 stake backs three claims");
  // every batch below counts the four messages; batch 0 consumes them
  const inboxAfterSetup = (await bridge.inboxMessage(3n)).rollingHash as Hex;

  // ---------------------------------------------------------------- L2 blocks, sealed for real
  const nonces = new Map<string, number>();
  /** The sender's next tx on the sealed chain; `nonce`: a tx of a lying batch (never sealed). */
  const user = (from: typeof requester, body: Record<string, unknown>, nonce?: number) => {
    const n = nonce ?? nonces.get(from.address) ?? 0;
    if (nonce === undefined) nonces.set(from.address, n + 1);
    return signTx({ ...body, from: from.address, nonce: n, fee: 1n } as never, from.key, chain.domain) as Tx;
  };
  const { seal, timeBefore, now } = blockSealer(chain, key as Uint8Array);
  const otherModel = `0x${"a2".repeat(32)}` as Hex;
  const inputCid = `0x01551220${"ab".repeat(32)}` as Hex;
  const postJob = (escrow: bigint) =>
    user(requester, {
      type: "postJob",
      modelId: model,
      inputRoot: `0x${"c3".repeat(32)}`,
      inputCid,
      escrow,
      deadline: now() + 600_000,
    });
  // batch 0: L1-derived setup (a registered model, the worker's L1 stake: three claims'
  // collateral) and a generation job
  const genJob = user(requester, {
    type: "postGenerationJob",
    modelId: model,
    prompt: [1, 2, 3],
    window: 8,
    params: { maxTokens: 4, stopToken: 2, rule: { kind: "greedy" } },
    escrow: 50n,
    deadline: now() + 600_000,
  });
  const block1 = seal([modelTx, stakeTx, paidRequest, refundedRequest, genJob]);
  // batch 1: the job txs, honest
  const job1 = postJob(100n);
  const claims = claimDomain(BigInt(d.chainId), d.address);
  const claimOf = (jobId: Hex): ClaimMsg => ({
    jobId,
    worker: worker.address,
    modelId: model,
    inputRoot: `0x${"c3".repeat(32)}`,
    outputRoot: `0x${"d4".repeat(32)}`,
    traceRoot: `0x${"e5".repeat(32)}`,
    generationSpec: NO_GENERATION,
    outputCid: `0x01551220${"0f".repeat(32)}`,
    traceCid: "0x",
  });
  const claim1 = claimOf(chain.txHash(job1));
  // a real dispute on the worker's signed claim, opened on L1's DisputeGame before the claim
  // reaches L2 (still running), as the follower derives it: its one-step reads that dispute
  const disputeFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  await bridge.as(b.wallet(4)).depositBond(CHALLENGER_BOND);
  await new DisputeGameContract(seqClients, d.disputeGame)
    .as(b.wallet(4))
    .open(claim1, signClaim(claim1, worker.key, claims));
  const [opened1] = await derivedSince(seqClients, d.address, disputeFrom);
  t.same(
    [opened1.type, (opened1 as DisputeOpenedTx).claimKey.toLowerCase()],
    ["disputeOpened", toHex(claimDigest(claim1, claims))],
    "the follower derives the dispute on claim 1",
  );
  const job2 = postJob(40n);
  const block2Txs = [
    user(worker, {
      type: "registerWorker",
      models: [otherModel, model],
      price: 5n,
      capacity: 2,
      multiaddr: "/ip4/127.0.0.1/tcp/4001",
    }),
    job1,
    user(worker, { type: "claimJob", jobId: chain.txHash(job1) }),
    // an update: keeps the active count (1)
    user(worker, {
      type: "registerWorker",
      models: [model],
      price: 6n,
      capacity: 3,
      multiaddr: "/dns4/worker.example/tcp/4001",
    }),
    job2,
    user(worker, { type: "claimJob", jobId: chain.txHash(job2) }),
    user(worker, { type: "claimJob", jobId: chain.txHash(genJob) }),
    // a dispute on the worker's signed claim reaches L2 before the claim: it is submitted disputed
    opened1,
    user(worker, {
      type: "submitResult",
      claim: claim1,
      claimSignature: signClaim(claim1, worker.key, claims),
    }),
  ];
  const block2 = seal(block2Txs);
  const job3 = postJob(30n);
  const block3 = seal([job3]);

  // these batches consume no L1 inbox message: the inbox hash stays 0 through every step
  // batch 0 starts before any inbox message; every later batch after the two it consumed, and
  // consumes none of its own: the inbox hash stays inboxAfterSetup through each of their steps
  const INBOX = fromHex(inboxAfterSetup);
  const at = (state: Iterable<[string, StateRecord]>, blocks: Block[]) => ({
    state,
    inboxHash: inboxAfterSetup,
    lastTime: timeBefore(blocks[0].header.number),
  });
  const stateAt = (blocks: Block[]): [string, StateRecord][] =>
    blocks.length
      ? [
          ...replayBatch(
            genesis,
            { state: start, inboxHash: toHex(new Uint8Array(32)), lastTime: 0 },
            batchBlocks(blocks),
          ).finalState,
        ]
      : start;
  /** Posts `blocks` as the next batch; `lastTime`: what it states (default: its last timed tx's). */
  const post = (blocks: Block[], stateRoot?: Hex, lastTime?: number) =>
    postBlocks(bridge, blocks, {
      inboxCount: 4n,
      stateRoot,
      timeBefore: timeBefore(blocks[0].header.number),
      lastTime,
    });
  const witnessOf = (pre: Iterable<[string, StateRecord]>, blocks: Block[], i: number) =>
    witnessAt(genesis, at(pre, blocks), blocks, i);
  // the verifier forwards job txs to JobStepRules / GenerationStepRules as they are: their errors are theirs
  const stepAbi = [
    ...batchStepVerifierAbi,
    ...jobStepRulesAbi.filter((e) => e.type === "error"),
    ...generationStepRulesAbi.filter(
      (e) => e.type === "error" && !jobStepRulesAbi.some((f) => f.type === "error" && f.name === e.name),
    ),
  ];
  const readStep = stepReader(b.clients(1).publicClient, challenge.verifier, stepAbi);
  const step = (w: StepWitness) =>
    readStep(w).then(([applied, post]): [boolean, Hex, Hex] => [applied, post[0], post[1]]);

  await post([block1]);
  const pre1 = stateAt([block1]);
  const truth1 = replayBatch(genesis, at(pre1, [block2]), batchBlocks([block2]));
  const oneStepGas: Record<string, number> = {};

  await t.test("every job tx of an honest batch steps on chain to the replay's commitment", async (t) => {
    t.equal(truth1.txCount, block2Txs.length);
    const after = new Map(truth1.finalState);
    const j1 = after.get(keys.job(chain.txHash(job1))) as Job;
    t.equal(j1.status, "disputed", "the replay applied the txs (job 1 submitted under its open dispute)");
    t.equal(
      (after.get(keys.worker(worker.address)) as { active: number }).active,
      2,
      "two claims active (three claimed, one submitted)",
    );
    for (let i = 0; i < truth1.txCount; i++) {
      const w = witnessOf(pre1, [block2], i);
      const [applied, root, msgChain] = await step(w);
      t.ok(applied, `tx ${i} (${block2Txs[i].type}) applied`);
      t.equal(
        stepCommitment(fromHex(root), fromHex(msgChain), INBOX, truth1.roots[i + 1].lastTime),
        truth1.commitments[i + 1],
        `tx ${i} C_${i + 1}`,
      );
      const gas = Number(
        await b.clients(1).publicClient.estimateContractGas({
          address: challenge.verifier,
          abi: batchStepVerifierAbi,
          functionName: "step",
          args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
          account: b.accounts[1].address,
        } as never),
      );
      const type = block2Txs[i].type;
      oneStepGas[type] = Math.max(oneStepGas[type] ?? 0, gas);
      if (type === "submitResult") {
        const at = w.records.findIndex((r) => r.key.startsWith("disputes/"));
        t.ok(w.records[at].present, "the job's open disputes are read");
        const long = w.records.map((r, k) => (k === at ? { ...r, value: `${r.value}00` as Hex } : r));
        t.equal(
          await revertName(step({ ...w, records: long })),
          "BadDisputesRecord",
          "a disputes record a byte long",
        );
      }
    }
  });

  await t.test("an honest batch of job txs survives lying challengers", async (t) => {
    await post([block2]);
    const ids: bigint[] = [];
    for (const [name, liar] of [
      ["disagrees with everything", challengerLiars.disagreeAll],
      ["agrees with everything", challengerLiars.agreeAll],
    ] as const) {
      const c = await liarChGame.challengeBatch(1n, CHALLENGER_BOND);
      ids.push(c.id);
      t.equal(
        await playTo(
          c.id,
          truth1,
          { game: liarChGame, replay: liar(truth1), witness: (i) => witnessOf(pre1, [block2], i) },
          false,
        ),
        -1,
        `a challenger that ${name} cannot prove a job tx wrong (StepIsRight)`,
      );
    }
    await b.increaseTime(Number(CLOCK) + 1);
    for (const id of ids) {
      await seqGame.timeout(id);
      t.equal((await seqGame.getChallenge(id)).phase, PHASE.sequencerWon);
    }
    t.equal(await bridge.batchCount(), 2n, "the honest batch stays");
  });

  const pre2 = stateAt([block1, block2]);
  /**
   * Unsealed blocks at block 3's place holding `txs`, tx i in a block of time `times[i]` (default
   * block 3's): consecutive txs of one time share a block.
   */
  const blocksAt = (txs: Tx[], times?: number[]): Block[] => {
    const out: { header: Block["header"]; txs: unknown[]; receipts: unknown[] }[] = [];
    txs.forEach((tx, i) => {
      const time = times?.[i] ?? block3.header.timestamp;
      const last = out[out.length - 1];
      if (last && last.header.timestamp === time) last.txs.push(encodeTx(tx));
      else
        out.push({
          ...block3,
          header: { ...block3.header, number: block3.header.number + out.length, timestamp: time },
          txs: [encodeTx(tx)],
          receipts: [],
        });
    });
    return out as unknown as Block[];
  };
  /** A batch whose block holds `txs` at block 3's place, its state root the liar's. */
  async function lyingBatch(
    t: Test,
    what: string,
    txs: Tx[],
    lie: (state: Map<string, StateRecord>) => void,
    reason: string,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
    times?: number[],
  ): Promise<void> {
    const blocks = blocksAt(txs, times);
    const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
    const lieRoot = liedRoot(t, what, truth, lie);
    const index = await bridge.batchCount();
    await post(blocks, lieRoot);
    // the truth until the job tx (the last), then its lie
    await proveLastTxWrong(t, what, {
      index,
      blocks,
      truth,
      lieCommitment: stepCommitment(fromHex(lieRoot), new Uint8Array(32), INBOX, truth.finalLastTime),
      witness: (i) => witnessOf(pre2, blocks, i),
      reason,
      hostile,
      lastTx: "the job tx",
    });
  }

  await t.test("a postJob whose escrow is not debited is proven wrong and removed", async (t) => {
    const tx = job3;
    await lyingBatch(
      t,
      "escrow not debited",
      [tx],
      jobStateLies.escrowNotDebited(requester.address, 30n),
      "tx executes to another state",
      async (id, w) => {
        const model = w.records.findIndex((r) => r.key.startsWith("model/"));
        const tampered = w.records.map((r, i) =>
          i === model ? { ...r, value: `${r.value.slice(0, -2)}ff` as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: tampered }),
          "RecordProofMismatch",
          "tampered model record bytes",
        );
        const long = w.records.map((r, i) => (i === 0 ? { ...r, value: `${r.value}00` as Hex } : r));
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: long }),
          "BadAccountRecord",
          "a 41-byte account record",
        );
        await rejectsRecordLeftOutAndOtherTime(t, chGame, id, w);
      },
    );
  });

  await t.test("a claimJob by an unregistered worker is refused by the one-step", async (t) => {
    // the stranger claims job 3, posted in the lie's own batch
    await lyingBatch(
      t,
      "claim by an unregistered worker",
      [job3, user(stranger, { type: "claimJob", jobId: chain.txHash(job3) }, 0)],
      jobStateLies.claimedUnchecked(chain.txHash(job3), stranger.address),
      "tx refused by the rules",
      async (id, w) => {
        const jobAt = w.records.findIndex((r) => r.key.startsWith("job/"));
        const short = w.records.map((r, i) =>
          i === jobAt ? { ...r, value: r.value.slice(0, 200) as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: short }),
          "BadJobRecord",
          "a truncated job record",
        );
        const workerAt = w.records.findIndex((r) => r.key.startsWith("worker/"));
        const posed = w.records.map((r, i) =>
          i === workerAt ? { ...r, present: true, hasOther: false, value: `0x${"00".repeat(63)}` as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: posed }),
          "RecordProofMismatch",
          "an absent worker passed off as present",
        );
      },
    );
  });

  await t.test("a registerWorker listing a model twice is refused by the one-step", async (t) => {
    await lyingBatch(
      t,
      "duplicate model",
      [
        user(
          stranger,
          {
            type: "registerWorker",
            models: [model, model],
            price: 1n,
            capacity: 1,
            multiaddr: "/ip4/10.0.0.1/tcp/1",
          },
          0,
        ),
      ],
      jobStateLies.workerWritten({
        address: stranger.address,
        models: [model, model],
        price: 1n,
        capacity: 1,
        multiaddr: "/ip4/10.0.0.1/tcp/1",
        active: 0,
      }),
      "tx refused by the rules",
    );
  });

  await t.test("a claimJob past the worker's collateral is refused by the one-step", async (t) => {
    // the worker backs three claims with 3 * COLLATERAL + 1 of stake: a fourth is not covered
    await lyingBatch(
      t,
      "claim past the collateral",
      [job3, user(worker, { type: "claimJob", jobId: chain.txHash(job3) }, 6)],
      jobStateLies.claimedUnchecked(chain.txHash(job3), worker.address),
      "tx refused by the rules",
    );
  });

  await t.test("a submitResult whose claim another key signed is refused by the one-step", async (t) => {
    const claim2 = claimOf(chain.txHash(job2));
    // first the honest one (no dispute open: the job becomes submitted), stepped on chain
    const honest = user(
      worker,
      { type: "submitResult", claim: claim2, claimSignature: signClaim(claim2, worker.key, claims) },
      6,
    );
    const block = { ...block3, txs: [encodeTx(honest)], receipts: [] } as unknown as Block;
    const truth = replayBatch(genesis, at(pre2, [block]), batchBlocks([block]));
    t.equal((truth.finalState.get(keys.job(chain.txHash(job2))) as Job).status, "submitted");
    const [applied, root, msgChain] = await step(witnessOf(pre2, [block], 0));
    t.ok(applied, "the honest submitResult applies");
    t.equal(
      stepCommitment(fromHex(root), fromHex(msgChain), INBOX, truth.roots[1].lastTime),
      truth.commitments[1],
      "to the replay's C_1",
    );
    await lyingBatch(
      t,
      "claim signed by another key",
      [
        user(
          worker,
          { type: "submitResult", claim: claim2, claimSignature: signClaim(claim2, stranger.key, claims) },
          6,
        ),
      ],
      jobStateLies.statusSet(chain.txHash(job2), "submitted"),
      "tx refused by the rules",
    );
  });

  await t.test("a submitResult on a generation job is refused by the one-step", async (t) => {
    const id = chain.txHash(genJob);
    const j = new Map(pre2).get(keys.job(id)) as Job;
    t.ok(j.generation && j.status === "claimed", "the generation job is claimed by the worker");
    const claim = { ...claimOf(id), inputRoot: j.inputRoot };
    await lyingBatch(
      t,
      "submitResult on a generation job",
      [
        user(
          worker,
          { type: "submitResult", claim, claimSignature: signClaim(claim, worker.key, claims) },
          6,
        ),
      ],
      jobStateLies.statusSet(id, "submitted"),
      "tx refused by the rules",
    );
  });

  // ---------------------------------------------------------------- generation jobs
  const genId = chain.txHash(genJob);
  const genParams = (genJob as PostGenerationJobTx).params;
  const GEN_PROMPT = [1, 2, 3];
  const GEN_WINDOW = 8;
  /** The worker's claim on the generation job over `generated` (its pass input root unless given). */
  const generationClaim = (generated: number[], inputRoot?: Hex): ClaimMsg => ({
    ...claimOf(genId),
    inputRoot: inputRoot ?? toHex(generationPassInputRoot(GEN_PROMPT, generated, GEN_WINDOW)),
    generationSpec: toHex(
      generationSpec(GEN_PROMPT.length, generated.length, generationParamsHash(genParams)),
    ),
  });
  /** The worker's submitGeneration (its next nonce after pre2) of `claim`, signed by `signer`. */
  const submitGeneration = (claim: ClaimMsg, generated: number[], signer = worker) =>
    user(
      worker,
      { type: "submitGeneration", claim, claimSignature: signClaim(claim, signer.key, claims), generated },
      6,
    );
  const sampled: GenerationParams = {
    maxTokens: 3,
    stopToken: null,
    rule: { kind: "sample", topK: 5, halfLife: 100, seed: new Uint8Array(32).fill(7) },
  };
  /** The requester's postGenerationJob (its next nonce after pre2). */
  const postGeneration = (prompt: number[], window: number, params: GenerationParams) =>
    user(
      requester,
      {
        type: "postGenerationJob",
        modelId: model,
        prompt,
        window,
        params,
        escrow: 20n,
        deadline: now() + 600_000,
      },
      3,
    ) as PostGenerationJobTx;

  await t.test(
    "postGenerationJob and submitGeneration step on chain to the replay's commitment",
    async (t) => {
      // batch 0's generation job, after the four L1 events
      const r0 = replayBatch(
        genesis,
        { state: start, inboxHash: toHex(new Uint8Array(32)), lastTime: 0 },
        batchBlocks([block1]),
        4,
      );
      const w0 = r0.witness as StepWitness;
      const [applied0, root0, chain0] = await step(w0);
      t.ok(applied0, "batch 0's postGenerationJob applied");
      t.equal(
        stepCommitment(fromHex(root0), fromHex(chain0), fromHex(w0.preInboxHash), r0.roots[5].lastTime),
        w0.post,
        "batch 0's postGenerationJob: the replay's C_5",
      );
      const cases: [string, Tx, (j: Job) => boolean][] = [
        [
          "a job with a sampling rule and no stop token",
          postGeneration([7, 8], 6, sampled),
          (j) => j.status === "open",
        ],
        [
          "a generation ended by its stop token",
          submitGeneration(generationClaim([5, 2]), [5, 2]),
          (j) => j.status === "submitted" && j.generation?.generated?.join() === "5,2",
        ],
        [
          "a generation run to maxTokens without the stop token",
          submitGeneration(generationClaim([4, 0, 4, 4]), [4, 0, 4, 4]),
          (j) => j.status === "submitted" && j.generation?.generated?.length === 4,
        ],
      ];
      // a long prompt: the one-step's cost grows with the tokens it carries and hashes
      const long = Array.from({ length: 4096 }, (_, i) => (i * 7919) % 32000);
      cases.push([
        "a 4,096-token prompt in a window of 8,192",
        postGeneration(long, 8192, { maxTokens: 4096, stopToken: 0, rule: { kind: "greedy" } }),
        (j) => j.status === "open" && j.generation?.prompt.length === 4096,
      ]);
      for (const [what, tx, expect] of cases) {
        const blocks = blocksAt([tx]);
        const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
        const id = tx.type === "submitGeneration" ? tx.claim.jobId : chain.txHash(tx);
        t.ok(expect(truth.finalState.get(keys.job(id)) as Job), `${what}: the replay applied it`);
        const w = witnessOf(pre2, blocks, 0);
        const [applied, root, msgChain] = await step(w);
        t.ok(applied, `${what}: applied on chain`);
        t.equal(
          stepCommitment(fromHex(root), fromHex(msgChain), INBOX, truth.roots[1].lastTime),
          truth.commitments[1],
          `${what}: C_1`,
        );
        const gas = Number(
          await b.clients(1).publicClient.estimateContractGas({
            address: challenge.verifier,
            abi: batchStepVerifierAbi,
            functionName: "step",
            args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
            account: b.accounts[1].address,
          } as never),
        );
        if (tx.type === "postGenerationJob" && tx.prompt.length === 4096)
          t.comment(`postGenerationJob one-step with a 4,096-token prompt: ${gas} gas`);
        else oneStepGas[tx.type] = Math.max(oneStepGas[tx.type] ?? 0, gas);
      }
    },
  );

  await t.test("a postGenerationJob whose escrow is not debited is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "generation escrow not debited",
      [postGeneration([7, 8], 6, sampled)],
      jobStateLies.escrowNotDebited(requester.address, 20n),
      "tx executes to another state",
      async (id, w) => {
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: w.records.slice(0, -1) }),
          "RecordCount",
          "the job record left out",
        );
        const jobAt = w.records.findIndex((r) => r.key.startsWith("job/"));
        const posed = w.records.map((r, i) =>
          i === jobAt ? { ...r, present: true, hasOther: false, value: `0x${"00".repeat(300)}` as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: posed }),
          "RecordProofMismatch",
          "the fresh job passed off as present",
        );
      },
    );
  });

  await t.test(
    "a postGenerationJob whose prompt and maxTokens pass the window is refused by the one-step",
    async (t) => {
      const tx = postGeneration(GEN_PROMPT, 6, genParams); // 3 + 4 > 6
      const at3 = block3.header.timestamp;
      await lyingBatch(
        t,
        "generation job past its window",
        [tx],
        jobStateLies.jobPosted({
          id: chain.txHash(tx),
          source: "l2",
          requester: requester.address,
          l1RequestId: null,
          modelId: model,
          inputRoot: toHex(generationInputRoot(GEN_PROMPT)),
          inputCid: "0x",
          escrow: 20n,
          deadline: tx.deadline,
          postedAt: at3,
          status: "open",
          worker: null,
          claim: null,
          claimSignature: null,
          submittedAt: null,
          disputeId: null,
          refundReason: null,
          generation: { prompt: GEN_PROMPT, window: 6, params: genParams, generated: null },
        }),
        "tx refused by the rules",
      );
    },
  );

  const tGen = block3.header.timestamp;
  await t.test(
    "a submitGeneration with tokens after the stop token is refused by the one-step",
    async (t) => {
      const generated = [2, 5]; // the stop token 2 first, then the generation goes on
      const claim = generationClaim(generated);
      const tx = submitGeneration(claim, generated);
      await lyingBatch(
        t,
        "tokens after the stop token",
        [tx],
        jobStateLies.generationSubmitted(
          claim,
          (tx as { claimSignature: Hex }).claimSignature,
          generated,
          tGen,
        ),
        "tx refused by the rules",
        async (id, w) => {
          const jobAt = w.records.findIndex((r) => r.key.startsWith("job/"));
          const withRecord = (value: Hex) => w.records.map((r, i) => (i === jobAt ? { ...r, value } : r));
          const job = w.records[jobAt].value;
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: withRecord(job.slice(0, -8) as Hex) }),
            "BadJobRecord",
            "a job record whose generation part is cut short",
          );
          // the window (the generation part's first u32) read as 9: another record
          const g = job.length - 2 * (4 + 4 + 4 * GEN_PROMPT.length + 2 + 50 + 1);
          await rejectsWith(
            t,
            chGame.proveStep(id, {
              ...w,
              records: withRecord(`${job.slice(0, g)}00000009${job.slice(g + 8)}` as Hex),
            }),
            "RecordProofMismatch",
            "a job record with another window",
          );
        },
      );
    },
  );

  for (const [what, generated, claim, signer] of [
    [
      "a wrong pass inputRoot",
      [5, 2],
      generationClaim([5, 2], toHex(generationPassInputRoot(GEN_PROMPT, [5, 2], 9))),
      worker,
    ],
    ["more tokens than maxTokens", [4, 4, 4, 4, 4], generationClaim([4, 4, 4, 4, 4]), worker],
    ["an end before maxTokens without the stop token", [5, 6], generationClaim([5, 6]), worker],
    [
      "a generationSpec of other params",
      [5, 2],
      {
        ...generationClaim([5, 2]),
        generationSpec: toHex(generationSpec(GEN_PROMPT.length, 2, generationParamsHash(sampled))),
      },
      worker,
    ],
    ["a claim another key signed", [5, 2], generationClaim([5, 2]), stranger],
  ] as const)
    await t.test(`a submitGeneration with ${what} is refused by the one-step`, async (t) => {
      const tx = submitGeneration(claim, [...generated], signer);
      await lyingBatch(
        t,
        what,
        [tx],
        jobStateLies.generationSubmitted(
          claim,
          (tx as { claimSignature: Hex }).claimSignature,
          generated,
          tGen,
        ),
        "tx refused by the rules",
      );
    });

  // ---------------------------------------------------------------- finalize
  const WINDOW_MS = genesis.params.challengeWindowMs;
  const job2Id = chain.txHash(job2);
  const claim2 = claimOf(job2Id);
  const submit2 = () =>
    user(
      worker,
      { type: "submitResult", claim: claim2, claimSignature: signClaim(claim2, worker.key, claims) },
      6,
    );
  const tSubmit = block3.header.timestamp;

  await t.test(
    "finalize: pay, deadline refunds and an L1 job's messages step on chain to the replay",
    async (t) => {
      const paidId = chain.txHash(paidRequest);
      const refundedId = chain.txHash(refundedRequest);
      const l1Claim = claimOf(paidId);
      const late = 2_000_000; // past job 2's and the generation job's deadlines
      const tRefund = refundedRequest.deadline + 1;
      const txs: [Tx, number][] = [
        [submit2(), tSubmit],
        // pay: sent by a stranger, the worker's account a record of its own
        [user(stranger, { type: "finalize", jobId: job2Id }, 0), late],
        // refund of a claimed L2 job after its deadline, sent by its requester: the worker's active
        // count and collateral released
        [user(requester, { type: "finalize", jobId: chain.txHash(genJob) }, 3), late],
        [user(worker, { type: "claimJob", jobId: paidId }, 7), late],
        [
          user(
            worker,
            { type: "submitResult", claim: l1Claim, claimSignature: signClaim(l1Claim, worker.key, claims) },
            8,
          ),
          late,
        ],
        // an L1 job paid: its result message goes to L1
        [user(worker, { type: "finalize", jobId: paidId }, 9), late + WINDOW_MS],
        // an L1 job nobody claimed, refunded after its deadline: a withdrawal to its requester
        [user(stranger, { type: "finalize", jobId: refundedId }, 1), tRefund],
        // refused: job 1 is disputed
        [user(stranger, { type: "finalize", jobId: chain.txHash(job1) }, 2), tRefund],
      ];
      const blocks = blocksAt(
        txs.map((x) => x[0]),
        txs.map((x) => x[1]),
      );
      const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
      const after = truth.finalState;
      t.equal((after.get(keys.job(job2Id)) as Job).status, "paid", "job 2 paid");
      t.equal(
        (after.get(keys.job(chain.txHash(genJob))) as Job).status,
        "refunded",
        "the generation job refunded",
      );
      t.equal((after.get(keys.job(paidId)) as Job).status, "paid", "the L1 job paid");
      t.equal((after.get(keys.job(refundedId)) as Job).status, "refunded", "the unclaimed L1 job refunded");
      t.equal(truth.messageLeaves.length, 2, "two L2 -> L1 messages: the result and the refund");
      for (let i = 0; i < txs.length; i++) {
        const w = witnessOf(pre2, blocks, i);
        const [applied, root, msgChain] = await step(w);
        const type = txs[i][0].type;
        t.equal(
          applied,
          i !== txs.length - 1,
          `tx ${i} (${type}) ${i === txs.length - 1 ? "refused" : "applied"}`,
        );
        t.equal(
          stepCommitment(fromHex(root), fromHex(msgChain), INBOX, truth.roots[i + 1].lastTime),
          truth.commitments[i + 1],
          `tx ${i} (${type}) C_${i + 1}`,
        );
        if (type !== "finalize") continue;
        if (i === 5 || i === 6) t.not(msgChain, w.preMessageChain, `tx ${i}: the message chain moved`);
        else t.equal(msgChain, w.preMessageChain, `tx ${i}: an L2 job sends no message`);
        const gas = Number(
          await b.clients(1).publicClient.estimateContractGas({
            address: challenge.verifier,
            abi: batchStepVerifierAbi,
            functionName: "step",
            args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
            account: b.accounts[1].address,
          } as never),
        );
        oneStepGas.finalize = Math.max(oneStepGas.finalize ?? 0, gas);
      }
    },
  );

  await t.test("a finalize paying the worker twice the escrow is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "worker paid twice",
      [submit2(), user(worker, { type: "finalize", jobId: job2Id }, 7)],
      jobStateLies.creditedExtra(worker.address, 40n),
      "tx executes to another state",
      undefined,
      [tSubmit, tSubmit + WINDOW_MS], // the window's last instant: pay is due
    );
  });

  await t.test("a finalize paying before the challenge window ends is refused by the one-step", async (t) => {
    await lyingBatch(
      t,
      "paid before the window ends",
      [submit2(), user(worker, { type: "finalize", jobId: job2Id }, 7)],
      jobStateLies.paidUnchecked(job2Id),
      "tx refused by the rules",
      async (id, w) => {
        const jobAt = w.records.findIndex((r) => r.key.startsWith("job/"));
        t.equal(
          w.records.length,
          jobAt + 3,
          "records: accounts, job, worker, stake (the sender is the payee)",
        );
        // a job record claiming the window is long over: its bytes no longer open the root
        const early = w.records.map((r, i) =>
          i === jobAt
            ? {
                ...r,
                value:
                  `${r.value.slice(0, 2 + 2 * 221)}${"00".repeat(8)}${r.value.slice(2 + 2 * 229)}` as Hex,
              }
            : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: early }),
          "RecordProofMismatch",
          "a job record with another submittedAt",
        );
        const short = w.records.map((r, i) =>
          i === jobAt ? { ...r, value: r.value.slice(0, 200) as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: short }),
          "BadJobRecord",
          "a truncated job record",
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: w.records.slice(0, -1) }),
          "RecordCount",
          "the stake record left out",
        );
        await rejectsOtherBlockTime(t, chGame, id, w);
      },
      [tSubmit, tSubmit + WINDOW_MS - 1],
    );
  });

  await t.test("a finalize refunding a submitted job is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "refund of a submitted job",
      [submit2(), user(stranger, { type: "finalize", jobId: job2Id }, 0)],
      jobStateLies.refundedInstead(job2Id),
      "tx executes to another state",
      undefined,
      [tSubmit, 2_000_000], // past the job's deadline too: only the status decides
    );
  });

  // ---------------------------------------------------------------- block time bounds
  /** A lying batch at block 3's place defended with the truth until its last tx, then `lie`. */
  async function timeLie(
    t: Test,
    what: string,
    blocks: Block[],
    stated: { stateRoot: Hex; lastTime: number },
    reason: string,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
  ): Promise<void> {
    const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
    const index = await bridge.batchCount();
    await post(blocks, stated.stateRoot, stated.lastTime);
    t.equal(
      (await bridge.getBatch(index)).lastTime,
      BigInt(stated.lastTime),
      `${what}: the Bridge records its lastTime`,
    );
    await proveLastTxWrong(t, what, {
      index,
      blocks,
      truth,
      lieCommitment: stepCommitment(fromHex(stated.stateRoot), new Uint8Array(32), INBOX, stated.lastTime),
      witness: (i) => witnessOf(pre2, blocks, i),
      reason,
      hostile,
      lastTx: "its last tx",
    });
  }

  await t.test(
    "a finalize stamped after L1's time: its lastTime is refused at postBatch, any earlier one is proven wrong",
    async (t) => {
      // the window ends in the batch's data, but L1 (the real clock) has not reached that time
      const l1Ms = Number((await b.clients(0).publicClient.getBlock()).timestamp) * 1000;
      const future = l1Ms + 3_600_000;
      const blocks = blocksAt(
        [submit2(), user(stranger, { type: "finalize", jobId: job2Id }, 0)],
        [tSubmit, future],
      );
      const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
      t.equal(
        (truth.finalState.get(keys.job(job2Id)) as Job).status,
        "paid",
        "the data's time pays the worker",
      );
      t.equal(truth.finalLastTime, future, "its last timed tx is the finalize");
      const count = await bridge.batchCount();
      const bond = await seqGame.sequencerBondBalance();
      await rejectsWith(
        t,
        post(blocks, rootOf(truth.finalState), future),
        "LastTimeAhead",
        "the finalize's time as the batch's lastTime",
      );
      t.equal(await bridge.batchCount(), count, "nothing posted");
      t.equal(await seqGame.sequencerBondBalance(), bond, "the bond is untouched");
      // stating L1's time instead: the chain of last times ends elsewhere than the stated one
      await timeLie(
        t,
        "finalize stamped in the future, lastTime stated at L1's time",
        blocks,
        { stateRoot: rootOf(truth.finalState), lastTime: l1Ms },
        "tx executes to another state",
      );
    },
  );

  await t.test("a tx stamped below the previous timed tx is refused by the one-step", async (t) => {
    // the block-3 post of job 3 (valid on its own at its time) after a submitResult stamped later
    const blocks = blocksAt([submit2(), job3], [tSubmit + 1000, tSubmit]);
    const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
    t.equal(truth.finalState.get(keys.job(chain.txHash(job3))), undefined, "the replay refuses the post");
    t.equal(truth.commitments[2], truth.commitments[1], "and keeps the state");
    // the liar's state: both applied, as if time went back; the postJob rule itself takes it there
    const same = blocksAt([submit2(), job3], [tSubmit, tSubmit]);
    const lie = replayBatch(genesis, at(pre2, same), batchBlocks(same)).finalState;
    const wSame = witnessOf(pre2, same, 1);
    t.equal(wSame.txBytes, witnessOf(pre2, blocks, 1).txBytes, "the same tx bytes, block time included");
    const [applied] = await step(wSame);
    t.ok(applied, "the postJob rule alone takes it after the submitResult: only the order of times is wrong");
    await timeLie(
      t,
      "a postJob stamped before the submitResult before it",
      blocks,
      { stateRoot: rootOf(lie), lastTime: tSubmit + 1000 },
      "tx refused by the rules",
      async (id, w) => {
        // a challenger cannot pass off an earlier last time: it opens no agreed commitment
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, preLastTime: tSubmit }),
          "PreStateMismatch",
          "the pre-state's last time lowered to the tx's",
        );
      },
    );
  });

  await t.test("a batch stating a lastTime other than its last timed tx's is proven wrong", async (t) => {
    const blocks = blocksAt([submit2()], [tSubmit]);
    const truth = replayBatch(genesis, at(pre2, blocks), batchBlocks(blocks));
    const root = rootOf(truth.finalState);
    for (const [what, lastTime] of [
      ["later than its last timed tx", tSubmit + 5000],
      ["earlier than its last timed tx", tSubmit - 1],
    ] as const)
      await timeLie(
        t,
        `lastTime ${what}`,
        blocks,
        { stateRoot: root, lastTime },
        "tx executes to another state",
      );
  });

  await t.test("one-step gas of the job txs", async (t) => {
    const max = Math.max(...Object.values(oneStepGas));
    t.ok(max > 0 && max <= 300_000, `largest job one-step ${max} gas (goal <= 300k)`);
    t.comment(`job one-step gas ${JSON.stringify(oneStepGas)}`);
  });
});
