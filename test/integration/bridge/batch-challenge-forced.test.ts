/**
 * The batch challenge's one-steps of forced job txs (docs/rollup.md 8a, 8c; issue 13): a user the
 * sequencer censors forces its signed postJob, claimJob, submitResult and finalize through L1
 * (Bridge.forceTransaction of encoding.ts forcedData: the tx bytes without a block time), the real
 * follower derives them, the real L2 Chain seals them (the 0x82 tx carries its block's time), and
 * every tx of the honest batch steps on chain (BatchStepVerifier `_forced` -> JobStepRules) to the
 * replay's next commitment, forced txs L2 refuses (a bad signature, a stale nonce) as no-ops.
 * Lying batches: a forced postJob applied with another effect, a refused forced finalize applied,
 * a valid forced claimJob dropped as refused: each proven wrong at that tx and removed; hostile
 * witnesses at a forced tx's one-step are refused by name and change nothing.
 */
import t, { type Test } from "tap";
import type { Hex } from "viem";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import {
  type ClaimMsg,
  encodeTx,
  NO_GENERATION,
  signClaim,
  signTx,
  type Tx,
  type UserTx,
} from "../../../protocol/tx.ts";
import type { Block } from "../../../sequencer/block.ts";
import { forcedData, stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import type { StateRecord } from "../../../sequencer/state/records.ts";
import { forcedTxLies, jobStateLies } from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  lieCommitmentOf,
  liedRoot,
  postBlocks,
  rejectsOtherBlockTime,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import { challengeRig, rejectsWith } from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

t.test("batch challenge one-steps of forced job txs", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-forced", claimCollateral: 0n });
  const { b, seqClients, d, bridge, genesis, key, chain, start, challenge, proveLastTxWrong } = rig;
  const [requester, worker, stranger] = rig.devs;

  // inbox message 0: the job's model, derived by the real follower
  const modelFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId: model } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  const [modelTx] = await derivedSince(seqClients, d.address, modelFrom);

  const nonces = new Map<string, number>();
  const user = (from: typeof requester, body: Record<string, unknown>, signer = from.key) => {
    const n = nonces.get(from.address) ?? 0;
    if (signer === from.key) nonces.set(from.address, n + 1);
    return signTx(
      { ...body, from: from.address, nonce: n, fee: 1n } as never,
      signer,
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
  const block1 = seal([
    modelTx,
    user(worker, {
      type: "registerWorker",
      models: [model],
      price: 5n,
      capacity: 2,
      multiaddr: "/ip4/127.0.0.1/tcp/4001",
    }),
  ]);

  // the censored user's txs, signed on L2 and forced through L1 (inbox messages 1..6)
  const inputRoot = `0x${"c3".repeat(32)}` as Hex;
  const postJob = user(requester, {
    type: "postJob",
    modelId: model,
    inputRoot,
    inputCid: `0x01551220${"ab".repeat(32)}`,
    escrow: 100n,
    deadline: ts + 600_000,
  });
  const jobId = chain.txHash(postJob) as Hex;
  const claims = claimDomain(BigInt(d.chainId), d.address);
  const claim: ClaimMsg = {
    jobId,
    worker: worker.address,
    modelId: model,
    inputRoot,
    outputRoot: `0x${"d4".repeat(32)}`,
    traceRoot: `0x${"e5".repeat(32)}`,
    generationSpec: NO_GENERATION,
    outputCid: `0x01551220${"0f".repeat(32)}`,
    traceCid: "0x",
  };
  const claimJob = user(worker, { type: "claimJob", jobId });
  const submit = user(worker, {
    type: "submitResult",
    claim,
    claimSignature: signClaim(claim, worker.key, claims),
  });
  const badSignature = user(requester, { type: "finalize", jobId }, stranger.key);
  const finalize = user(requester, { type: "finalize", jobId });
  const forcedFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  // postJob, claimJob, submitResult, a finalize signed by another key, the postJob again (a stale
  // nonce), then the requester's real finalize
  for (const tx of [postJob, claimJob, submit, badSignature, postJob, finalize])
    await bridge.as(b.wallet(3)).forceTransaction(toHex(forcedData(tx)));
  const forced = await derivedSince(seqClients, d.address, forcedFrom);
  t.same(
    forced.map((x) => x.type),
    Array(6).fill("forcedTx"),
    "the follower derives the six forced txs",
  );
  const block2 = seal(forced.slice(0, 5));
  t.match(
    block2.receipts.map((r) => r.events.map((e) => e.kind)),
    [
      ["ForcedTx", "JobPosted"],
      ["ForcedTx", "JobClaimed"],
      ["ForcedTx", "ResultSubmitted"],
      ["ForcedTxInvalid"],
      ["ForcedTxInvalid"],
    ],
    "L2 runs the forced job txs and refuses the other two",
  );
  t.match(block2.receipts[3].events[0], { reason: /bad signature/ });
  t.match(block2.receipts[4].events[0], { reason: /nonce/ });
  ts += genesis.params.challengeWindowMs;
  const block3 = seal([forced[5]]);
  t.match(block3.receipts[0].events[0], { kind: "ForcedTx" });

  const zero = toHex(new Uint8Array(32));
  const genesisStart = { state: start, inboxHash: zero, lastTime: 0 };
  const post = async (blocks: Block[], inboxCount: bigint, stateRoot?: Hex) => {
    await postBlocks(bridge, blocks, { inboxCount, stateRoot });
  };
  const witnessOf = (blocks: Block[], i: number) => witnessAt(genesis, genesisStart, blocks, i);
  /** Unsealed block 2 holding the first `n` forced txs (a lying batch's). */
  const block2With = (n: number): Block =>
    ({ ...block2, txs: forced.slice(0, n).map(encodeTx), receipts: [] }) as unknown as Block;

  /** Batch 0 as [block1, block 2 with the first `n` forced txs], its state root the liar's. */
  async function lyingBatch(
    t: Test,
    what: string,
    n: number,
    lie: (state: Map<string, StateRecord>) => void,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
  ) {
    const blocks = [block1, block2With(n)];
    const truth = replayBatch(genesis, genesisStart, batchBlocks(blocks));
    const lieRoot = liedRoot(t, what, truth, lie);
    await post(blocks, BigInt(n + 1), lieRoot);
    await proveLastTxWrong(t, what, {
      index: 0n,
      blocks,
      truth,
      lieCommitment: lieCommitmentOf(lieRoot, truth),
      witness: (i) => witnessOf(blocks, i),
      reason: "tx executes to another state",
      hostile,
      lastTx: "the forced tx",
    });
  }

  await t.test("a forced postJob applied with another effect (escrow kept) is proven wrong", async (t) => {
    await lyingBatch(
      t,
      "forced postJob, escrow not debited",
      1,
      jobStateLies.escrowNotDebited(requester.address, 100n),
      async (id, w) => {
        const game = rig.chGame;
        await rejectsWith(
          t,
          game.proveStep(id, { ...w, records: w.records.slice(1) }),
          "RecordCount",
          "a record left out",
        );
        const model = w.records.findIndex((r) => r.key.startsWith("model/"));
        const tampered = w.records.map((r, i) =>
          i === model ? { ...r, value: `${r.value.slice(0, -2)}ff` as Hex } : r,
        );
        await rejectsWith(
          t,
          game.proveStep(id, { ...w, records: tampered }),
          "RecordProofMismatch",
          "tampered model record",
        );
        await rejectsOtherBlockTime(t, game, id, w);
      },
    );
  });

  await t.test("a valid forced claimJob dropped as refused is proven wrong", async (t) => {
    const before = replayBatch(genesis, genesisStart, batchBlocks([block1, block2With(1)])).finalState;
    await lyingBatch(t, "forced claimJob dropped", 2, forcedTxLies.droppedAsRefused(before));
  });

  await t.test("a forced finalize L2 refuses (bad signature), applied, is proven wrong", async (t) => {
    await lyingBatch(t, "refused forced finalize applied", 4, jobStateLies.paidUnchecked(jobId));
  });

  await t.test("the honest batch: every forced tx steps on chain to the replay's commitment", async (t) => {
    const blocks = [block1, block2, block3];
    await post(blocks, 7n);
    const truth = replayBatch(genesis, genesisStart, batchBlocks(blocks));
    t.equal(
      (await bridge.getBatch(0n)).inboxHash,
      truth.finalInboxHash,
      "the Bridge's inbox hash is the replay's",
    );
    t.equal(truth.finalLastTime, block3.header.timestamp, "the last forced tx sets the last time");
    const names = [
      "model",
      "registerWorker",
      "forced postJob",
      "forced claimJob",
      "forced submitResult",
      "forced finalize, bad signature",
      "forced postJob, stale nonce",
      "forced finalize",
    ];
    const gas: Record<string, bigint> = {};
    for (let k = 0; k < truth.txCount; k++) {
      const w = witnessOf(blocks, k);
      const args = [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records] as const;
      const call = {
        address: challenge.verifier,
        abi: batchStepVerifierAbi,
        functionName: "step",
        args,
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
      if (k >= 2)
        gas[names[k]] = await seqClients.publicClient.estimateContractGas({
          ...(call as object),
          account: b.accounts[1].address,
        } as never);
    }
    // roots[k + 1] is after tx k: tx 5 the bad signature, tx 6 the stale nonce
    for (const k of [5, 6]) {
      t.equal(truth.roots[k + 1].stateRoot, truth.roots[k].stateRoot, `${names[k]}: no state change`);
      t.not(
        truth.roots[k + 1].inboxHash,
        truth.roots[k].inboxHash,
        `${names[k]}: its inbox message consumed`,
      );
    }
    t.not(truth.roots[3].stateRoot, truth.roots[2].stateRoot, "the forced postJob changed the state");
    t.comment(
      `forced one-step gas: ${JSON.stringify(Object.fromEntries(Object.entries(gas).map(([k, v]) => [k, Number(v)])))}`,
    );
    t.equal(await bridge.batchCount(), 1n);
  });
});
