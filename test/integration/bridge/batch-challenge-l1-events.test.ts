/**
 * The batch challenge's one-steps of the L1 events' state rules (modelRegistered,
 * l1InferenceRequest, a queued workerStake: contracts/src/L1EventStepRules.sol, docs/rollup.md 8c)
 * on the embedded chain, with the real Bridge (the events are real L1 calls, derived by the real
 * follower), blocks sealed by the real L2 Chain and batch data as the batcher encodes it. Each
 * event of an honest batch steps on chain to the replay's next commitment and the batch survives
 * challengers that disagree or agree everywhere; batches that derive L1's real message but write
 * another record (a model with another registrant or CID, an L1 job with another escrow, deadline
 * or model, a stake with other amounts) are proven wrong at that tx and removed; a batch holding
 * a model, a request or a stake change twice is proven wrong at the second (its message is no
 * longer L1's next), and the state rule itself refuses the replay past the inbox check; hostile
 * witnesses are refused by name and change nothing. Measures one-step gas per event.
 */
import t, { type Test } from "tap";
import { type Hex, parseEther } from "viem";
import { walletClientFor } from "../../../bridge/clients.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { l1EventStepRulesAbi } from "../../../contracts/artifacts/L1EventStepRules.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { ZERO32 } from "../../../protocol/merkle.ts";
import {
  encodeTx,
  type L1InferenceRequestTx,
  type ModelRegisteredTx,
  type Tx,
  type WorkerStakeTx,
} from "../../../protocol/tx.ts";
import type { Block } from "../../../sequencer/block.ts";
import { stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { type Job, keys, type StateRecord, type WorkerStake } from "../../../sequencer/state/records.ts";
import { l1EventStateLies } from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  postBlocks,
  recordedInbox,
  rejectsOtherBlockTime,
  stepArgs,
  stepReader,
  threeLyingChallengers,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import { challengeRig, rejectsWith, stateRootOf } from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

t.test("batch challenge one-steps of the L1 events' state rules", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-l1-events", claimCollateral: 10n ** 18n });
  const { b, seqClients, d, bridge, genesis, key, chain, start, challenge, chGame, proveLastTxWrong } = rig;
  const [, worker, stranger] = rig.devs;

  // ---------------------------------------------------------------- L1 events on the real Bridge
  // a model (inbox message 0), the worker's stake (1), an L1 request (2), a partial unbond (3: the
  // worker's second stake change, over a stake record L2 already holds)
  const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  await b.wallet(0).sendTransaction({ to: worker.address, value: parseEther("3") } as never);
  const workerBridge = bridge.as(walletClientFor(seqClients, toHex(worker.key)));
  await workerBridge.stake(parseEther("2"));
  const l1Now = (await seqClients.publicClient.getBlock()).timestamp;
  await bridge.as(b.wallet(3)).requestInference({
    modelId,
    inputRoot: `0x${"c3".repeat(32)}`,
    inputCid: "0x0155122011",
    deadline: l1Now + 100_000n,
    escrow: 70n,
  });
  await workerBridge.unbond(parseEther("1"));
  const events = await derivedSince(seqClients, d.address, eventsFrom);
  t.same(
    events.map((x) => [x.type, (x as { inboxIndex?: bigint }).inboxIndex]),
    [
      ["modelRegistered", 0n],
      ["workerStake", 1n],
      ["l1InferenceRequest", 2n],
      ["workerStake", 3n],
    ],
    "the follower derives the four inbox messages",
  );
  const [modelTx, stakeTx, requestTx, unbondTx] = events as [
    ModelRegisteredTx,
    WorkerStakeTx,
    L1InferenceRequestTx,
    WorkerStakeTx,
  ];
  const jobId = chain.txHash(requestTx);

  // ---------------------------------------------------------------- the honest batch, sealed for real
  const ts = 1_000_000;
  for (const tx of events) chain.admit(tx, chain.txHash(tx), ts);
  const block1 = chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` as Hex }, key as Uint8Array).block;
  t.equal(block1.txs.length, 4, "the sequencer's block holds the four events");

  /** Unsealed blocks at block 1's place holding `txs` (a lying batch: never sealed). */
  const blocksOf = (txs: Tx[]): Block[] => [
    { ...block1, txs: txs.map((x) => encodeTx(x)), receipts: [] } as unknown as Block,
  ];
  const at0 = { state: start as Iterable<[string, StateRecord]>, inboxHash: toHex(ZERO32), lastTime: 0 };
  const witnessOf = (blocks: Block[], i: number) => witnessAt(genesis, at0, blocks, i);
  const post = (blocks: Block[], inboxCount: bigint, stateRoot?: Hex) =>
    postBlocks(bridge, blocks, { inboxCount, stateRoot });
  // the verifier forwards these txs to L1EventStepRules as they are: their errors are its
  const stepAbi = [...batchStepVerifierAbi, ...l1EventStepRulesAbi.filter((e) => e.type === "error")];
  const step = stepReader(b.clients(1).publicClient, challenge.verifier, stepAbi);
  const oneStepGas: Record<string, number> = {};

  await t.test("every L1 event of an honest batch steps on chain to the replay's commitment", async (t) => {
    const truth = replayBatch(genesis, at0, batchBlocks([block1]));
    t.equal(
      truth.finalInboxHash,
      await recordedInbox(bridge, 4n),
      "the replay's inbox hash is the Bridge's after message 3",
    );
    const after = new Map(truth.finalState);
    const job = after.get(keys.job(jobId)) as Job;
    t.same(
      [job.source, job.status, job.escrow, job.postedAt, job.l1RequestId],
      ["l1", "open", 70n, ts, requestTx.requestId],
      "the L1 request's job: open, its escrow, posted at the block time",
    );
    const st = after.get(keys.stake(worker.address)) as WorkerStake;
    t.same(
      [st.seq, st.active, st.unbonding],
      [2n, parseEther("1"), parseEther("1")],
      "the stake after the unbond",
    );
    for (let i = 0; i < 4; i++) {
      const w = witnessOf([block1], i);
      const [applied, post] = await step(w);
      const type = i === 3 ? "workerStake (over a record)" : events[i].type;
      t.ok(applied, `tx ${i} (${type}) applied`);
      t.not(post[2], w.preInboxHash, `tx ${i}: its message rolled into the inbox hash`);
      t.equal(
        stepCommitment(fromHex(post[0]), fromHex(post[1]), fromHex(post[2]), truth.roots[i + 1].lastTime),
        truth.commitments[i + 1],
        `tx ${i} (${type}) C_${i + 1}`,
      );
      const gas = Number(
        await b.clients(1).publicClient.estimateContractGas({
          address: challenge.verifier,
          abi: batchStepVerifierAbi,
          functionName: "step",
          args: stepArgs(w),
          account: b.accounts[1].address,
        } as never),
      );
      const name = events[i].type;
      oneStepGas[name] = Math.max(oneStepGas[name] ?? 0, gas);
    }
  });

  /**
   * A batch at index 0 holding `txs` (counting `inboxCount` messages) whose state root is the
   * liar's (`lie` applied to the true state after it; none: the true root), defended with the
   * truth until its last tx; the honest challenger proves that tx wrong.
   */
  async function lyingBatch(
    t: Test,
    what: string,
    txs: Tx[],
    inboxCount: bigint,
    lie: ((state: Map<string, StateRecord>) => void) | null,
    reason: string,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
  ): Promise<void> {
    const blocks = blocksOf(txs);
    const truth = replayBatch(genesis, at0, batchBlocks(blocks));
    const lied = new Map(truth.finalState);
    lie?.(lied);
    const lieRoot = stateRootOf(lied);
    if (lie) t.not(lieRoot, stateRootOf(truth.finalState), `${what}: the liar's root is not the truth`);
    const index = await bridge.batchCount();
    await post(blocks, inboxCount, lieRoot);
    const inbox = (await bridge.getBatch(index)).inboxHash as Hex;
    t.equal(inbox, await recordedInbox(bridge, inboxCount), `${what}: the Bridge recorded L1's inbox hash`);
    await proveLastTxWrong(t, what, {
      index,
      blocks,
      truth,
      lieCommitment: stepCommitment(fromHex(lieRoot), ZERO32, fromHex(inbox), truth.finalLastTime),
      witness: (i) => witnessOf(blocks, i),
      reason,
      hostile,
      lastTx: "its last tx",
    });
  }

  const otherModel = `0x${"a7".repeat(32)}` as Hex;

  await t.test("a model record with another registrant or CID is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "model with another registrant",
      [modelTx],
      1n,
      l1EventStateLies.modelChanged(modelId, { registrant: stranger.address }),
      "tx executes to another state",
      async (id, w) => {
        t.equal(w.records.length, 1, "one record: the model");
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: [] }),
          "RecordCount",
          "the model record left out",
        );
        // an absent model passed off as registered (the replay check would refuse the tx)
        const posed = w.records.map((r) => ({
          ...r,
          present: true,
          hasOther: false,
          value: `${modelId}${stranger.address.slice(2)}0001ff` as Hex,
        }));
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: posed }),
          "RecordProofMismatch",
          "an absent model passed off as registered",
        );
        // the model's tx bytes with another registrant: not the tx in the batch
        const other = `${w.txBytes.slice(0, 2 + 2 * 41)}${stranger.address.slice(2)}${w.txBytes.slice(2 + 2 * 61)}`;
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, txBytes: other as Hex }),
          "TxNotInBatch",
          "the tx with another registrant",
        );
      },
    );
    await lyingBatch(
      t,
      "model with another CID",
      [modelTx],
      1n,
      l1EventStateLies.modelChanged(modelId, { cid: "0x01551220beef" }),
      "tx executes to another state",
    );
  });

  await t.test("an L1 job with another escrow, deadline or model is proven wrong and removed", async (t) => {
    const txs = [modelTx, stakeTx, requestTx];
    await lyingBatch(
      t,
      "L1 job with ten times the escrow",
      txs,
      3n,
      l1EventStateLies.jobChanged(jobId, { escrow: 700n }),
      "tx executes to another state",
      async (id, w) => {
        t.same(
          w.records.map((r) => r.key),
          [keys.l1Request(requestTx.requestId), keys.job(jobId)],
          "records: the request's marker, the job",
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: w.records.slice(0, 1) }),
          "RecordCount",
          "the job record left out",
        );
        const badMarker = w.records.map((r, i) =>
          i === 0 ? { ...r, present: true, hasOther: false, value: "0x02" as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: badMarker }),
          "BadSeenRecord",
          "a marker record that is not 0x01",
        );
        const seen = w.records.map((r, i) =>
          i === 0 ? { ...r, present: true, hasOther: false, value: "0x01" as Hex } : r,
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: seen }),
          "RecordProofMismatch",
          "the request passed off as already derived",
        );
        // the block time is part of the tx leaf: another one is another tx (and another postedAt)
        await rejectsOtherBlockTime(t, chGame, id, w);
      },
    );
    await lyingBatch(
      t,
      "L1 job with a later deadline",
      txs,
      3n,
      l1EventStateLies.jobChanged(jobId, { deadline: requestTx.deadline + 3_600_000 }),
      "tx executes to another state",
    );
    await lyingBatch(
      t,
      "L1 job for another model",
      txs,
      3n,
      l1EventStateLies.jobChanged(jobId, { modelId: otherModel }),
      "tx executes to another state",
    );
  });

  await t.test("a stake record with other amounts is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "first stake with more active stake",
      [modelTx, stakeTx],
      2n,
      l1EventStateLies.stakeChanged(worker.address, { active: parseEther("5") }),
      "tx executes to another state",
    );
    await lyingBatch(
      t,
      "unbond with nothing unbonding",
      [modelTx, stakeTx, requestTx, unbondTx],
      4n,
      l1EventStateLies.stakeChanged(worker.address, { active: parseEther("2"), unbonding: 0n }),
      "tx executes to another state",
      async (id, w) => {
        t.ok(w.records[0].present, "the unbond's stake record is present (the first change)");
        const short = w.records.map((r) => ({ ...r, value: r.value.slice(0, -2) as Hex }));
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: short }),
          "BadStakeRecord",
          "a stake record a byte short",
        );
        // the record with seq 0: the change would pass the replay check on a made-up record
        const seq0 = w.records.map((r) => ({
          ...r,
          value: `0x${"00".repeat(32)}${r.value.slice(66)}` as Hex,
        }));
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: seq0 }),
          "RecordProofMismatch",
          "a stake record with another seq",
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, { ...w, records: [] }),
          "RecordCount",
          "the stake record left out",
        );
      },
    );
  });

  await t.test(
    "an L1 event applied twice is proven wrong at the second; the rule refuses the replay",
    async (t) => {
      for (const [what, txs, count] of [
        ["model registered twice", [modelTx, modelTx], 1n],
        ["stake change applied twice", [modelTx, stakeTx, stakeTx], 2n],
        ["L1 request derived twice", [modelTx, stakeTx, requestTx, requestTx], 3n],
      ] as const) {
        const blocks = blocksOf([...txs]);
        const truth = replayBatch(genesis, at0, batchBlocks(blocks));
        const n = txs.length;
        t.equal(truth.commitments[n], truth.commitments[n - 1], `${what}: the replay refuses the second`);
        // past the inbox check (what proveStep asks first), the state rule itself refuses it
        const w = witnessOf(blocks, n - 1);
        t.ok(w.records[0].present, `${what}: its record is there before the second`);
        t.same(
          await step(w),
          [false, [w.preStateRoot, w.preMessageChain, w.preInboxHash]],
          `${what}: the one-step's rule refuses it, nothing moves`,
        );
        // the batch states the true roots (the second changes nothing) but holds a tx L2 refuses
        await lyingBatch(t, what, [...txs], count, null, "tx refused by the rules");
      }
    },
  );

  await t.test("an honest batch of L1 events survives lying challengers", async (t) => {
    const truth = replayBatch(genesis, at0, batchBlocks([block1]));
    const index = await bridge.batchCount();
    await post([block1], 4n);
    await rig.survivesLyingChallengers(t, "an L1 event", {
      index,
      blocks: [block1],
      truth,
      witness: (i) => witnessOf([block1], i),
      liars: threeLyingChallengers("the L1 request", 2, 3),
    });
  });

  await t.test("one-step gas of the L1 events", async (t) => {
    const max = Math.max(...Object.values(oneStepGas));
    t.ok(max > 0 && max <= 300_000, `largest L1 event one-step ${max} gas (goal <= 300k)`);
    t.comment(`L1 event one-step gas ${JSON.stringify(oneStepGas)}`);
  });
});
