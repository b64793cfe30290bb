/**
 * The batch challenge's one-step of a slash's stake change (kind 0x88: contracts/src/
 * L1EventStepRules.sol, docs/rollup.md 8c) on the embedded chain with the real Bridge and
 * DisputeGame: a worker's deferred claim is disputed for real and the worker, silent, is slashed;
 * the real follower derives the slash (a workerStake with no inbox message) and the real L2 Chain
 * seals it. Until this one-step a slash's step reverted (OneStepNotBuilt), so the honest challenger
 * had no winning move there and a sequencer could claim any post-state at it. Now: the honest
 * slash steps on chain to the replay's commitment (no inbox message consumed) and its batch
 * survives lying challengers; a batch claiming a post-state at the slash that also credits an
 * account, a made-up slash raising stake and a slash repeating the stored seq are each proven wrong
 * at that tx and removed; bytes of a kind no tx has (0x10, the old 0xff || JSON form) under a
 * batch's txRoot are refused at their step, not a revert; hostile witnesses are refused by name and
 * change nothing. Measures the slash's one-step gas.
 */
import t, { type Test } from "tap";
import { type Hex, parseEther } from "viem";
import { PHASE } from "../../../bridge/batch-challenge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { DEFAULT_DISPUTE_CLOCK } from "../../../bridge/params.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { l1EventStepRulesAbi } from "../../../contracts/artifacts/L1EventStepRules.ts";
import { concatBytes, fromHex, toHex, u32be } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { merkleLevels, merkleProof, ZERO32 } from "../../../protocol/merkle.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import {
  type ClaimMsg,
  encodeTx,
  NO_GENERATION,
  signClaim,
  type Tx,
  type WorkerStakeTx,
} from "../../../protocol/tx.ts";
import { buildBatch } from "../../../sequencer/batch.ts";
import { batchDataHash, batchTxSection } from "../../../sequencer/batch-data.ts";
import type { Block } from "../../../sequencer/block.ts";
import { stepCommitment, txBytes } from "../../../sequencer/fault-proof/encoding.ts";
import { type BatchReplay, replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { keys, type StateRecord, type WorkerStake } from "../../../sequencer/state/records.ts";
import { jobStateLies, sequencerLiars, slashLies } from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  lieCommitmentOf,
  liedRoot,
  postBlocks,
  recordedInbox,
  stepArgs,
  stepReader,
  threeLyingChallengers,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import { challengeRig, RIG, rejectsWith, stateRootOf } from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

/** The L1 account that opens the dispute (bonded on the Bridge). */
const DISPUTER = 4;

t.test("batch challenge one-step of a slash's stake change", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-slash", claimCollateral: 10n ** 18n });
  const { b, seqClients, d, bridge, genesis, key, chain, start, seqGame, chGame, proveLastTxWrong } = rig;
  const [, worker, stranger] = rig.devs;

  // ---------------------------------------------------------------- L1: model, stake, a real slash
  const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  await b.wallet(0).sendTransaction({ to: worker.address, value: parseEther("4") } as never);
  const workerWallet = walletClientFor(seqClients, toHex(worker.key));
  await bridge.as(workerWallet).stake(parseEther("3"));
  // a deferred claim (traceRoot 0) the worker never defends: the challenger wins on time
  const claim: ClaimMsg = {
    jobId: `0x${"1b".repeat(32)}`,
    worker: worker.address,
    modelId,
    inputRoot: `0x${"c3".repeat(32)}`,
    outputRoot: `0x${"d4".repeat(32)}`,
    traceRoot: toHex(ZERO32),
    generationSpec: NO_GENERATION,
    outputCid: `0x01551220${"0f".repeat(32)}`,
    traceCid: "0x",
  };
  await bridge.as(b.wallet(DISPUTER)).depositBond(RIG.challengerBond);
  const game = new DisputeGameContract(seqClients, d.disputeGame);
  const signature = signClaim(claim, worker.key, claimDomain(BigInt(d.chainId), d.address));
  const { disputeId } = await game.as(b.wallet(DISPUTER)).openDeferred(claim, signature);
  await b.increaseTime(Number(DEFAULT_DISPUTE_CLOCK) + 1);
  await game.timeout(disputeId);
  t.equal((await game.getDispute(disputeId)).winner, 2, "L1: the challenger won, the worker slashed");
  const derived = await derivedSince(seqClients, d.address, eventsFrom);
  t.same(
    derived.map((x) => [x.type, (x as { inboxIndex?: bigint }).inboxIndex]),
    [
      ["modelRegistered", 0n],
      ["workerStake", 1n],
      ["disputeOpened", undefined],
      ["workerStake", undefined],
      ["disputeResolved", undefined],
    ],
    "the follower derives the model, the stake, the opening, the slash (no inbox message) and the loss",
  );
  const [modelTx, stakeTx, , slash] = derived as [Tx, WorkerStakeTx, Tx, WorkerStakeTx];
  t.ok(slash.seq > stakeTx.seq && slash.active < stakeTx.active, "the slash lowers the stake, the next seq");
  t.equal(toHex(txBytes(slash, 0).subarray(0, 1)), "0x88", "its tx bytes: kind 0x88");

  // ---------------------------------------------------------------- the honest batch, sealed for real
  // (the dispute txs are left out: their job is no L2 job here; the slash's rule needs none)
  const ts = 1_000_000;
  for (const tx of [modelTx, stakeTx, slash]) chain.admit(tx, chain.txHash(tx), ts);
  const block1 = chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` as Hex }, key as Uint8Array).block;
  t.equal(block1.txs.length, 3, "the sequencer's block holds the model, the stake and the slash");

  /** Unsealed blocks at block 1's place holding `txs` (a lying batch: never sealed). */
  const blocksOf = (txs: Tx[]): Block[] => [
    { ...block1, txs: txs.map((x) => encodeTx(x)), receipts: [] } as unknown as Block,
  ];
  const at0 = { state: start as Iterable<[string, StateRecord]>, inboxHash: toHex(ZERO32), lastTime: 0 };
  const witnessOf = (blocks: Block[], i: number) => witnessAt(genesis, at0, blocks, i);
  const post = (blocks: Block[], inboxCount: bigint, stateRoot?: Hex) =>
    postBlocks(bridge, blocks, { inboxCount, stateRoot });
  const stepAbi = [...batchStepVerifierAbi, ...l1EventStepRulesAbi.filter((e) => e.type === "error")];
  const step = stepReader(b.clients(1).publicClient, rig.challenge.verifier, stepAbi);
  let slashGas = 0;

  await t.test("the honest slash steps on chain to the replay's commitment", async (t) => {
    const truth = replayBatch(genesis, at0, batchBlocks([block1]));
    t.equal(
      truth.finalInboxHash,
      await recordedInbox(bridge, 2n),
      "the batch consumes the two inbox messages",
    );
    const st = new Map(truth.finalState).get(keys.stake(worker.address)) as WorkerStake;
    t.same(
      [st.seq, st.active, st.unbonding],
      [slash.seq, slash.active, slash.unbonding],
      "the slashed stake",
    );
    const w = witnessOf([block1], 2);
    t.same(
      w.records.map((r) => [r.key, r.present]),
      [[keys.stake(worker.address), true]],
      "its one record: the worker's stake",
    );
    const [applied, after] = await step(w);
    t.ok(applied, "applied");
    t.equal(after[2], w.preInboxHash, "no inbox message consumed");
    t.equal(
      stepCommitment(fromHex(after[0]), fromHex(after[1]), fromHex(after[2]), truth.roots[3].lastTime),
      truth.commitments[3],
      "C_3: the replay's",
    );
    slashGas = Number(
      await b.clients(1).publicClient.estimateContractGas({
        address: rig.challenge.verifier,
        abi: batchStepVerifierAbi,
        functionName: "step",
        args: stepArgs(w),
        account: b.accounts[1].address,
      } as never),
    );
    t.ok(slashGas > 0 && slashGas <= 300_000, `slash one-step ${slashGas} gas (goal <= 300k)`);
    t.comment(`slash one-step gas ${slashGas}`);
  });

  /**
   * A batch at index 0 holding `txs` (counting `inboxCount` messages) whose state root is the
   * liar's (`lie` applied to the true state after it), defended with the truth until its last tx;
   * the honest challenger proves that tx wrong (`reason`) and the batch is removed.
   */
  async function lyingBatch(
    t: Test,
    what: string,
    txs: Tx[],
    lie: (state: Map<string, StateRecord>) => void,
    reason: string,
    hostile?: (id: bigint, w: StepWitness) => Promise<void>,
  ): Promise<void> {
    const blocks = blocksOf(txs);
    const truth = replayBatch(genesis, at0, batchBlocks(blocks));
    const lieRoot = liedRoot(t, what, truth, lie);
    const index = await bridge.batchCount();
    await post(blocks, 2n, lieRoot);
    const inbox = (await bridge.getBatch(index)).inboxHash as Hex;
    await proveLastTxWrong(t, what, {
      index,
      blocks,
      truth,
      lieCommitment: lieCommitmentOf(lieRoot, truth, inbox),
      witness: (i) => witnessOf(blocks, i),
      reason,
      hostile,
      lastTx: "the slash",
    });
  }

  await t.test(
    "(a) a post-state at the honest slash that also credits an account: proven wrong",
    async (t) => {
      await lyingBatch(
        t,
        "slash step crediting a stranger 1 ETH",
        [modelTx, stakeTx, slash],
        slashLies.creditedAtSlash(stranger.address, parseEther("1")),
        "tx executes to another state",
        async (id, w) => {
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: [] }),
            "RecordCount",
            "the stake record left out",
          );
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
          const short = w.records.map((r) => ({ ...r, value: r.value.slice(0, -2) as Hex }));
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: short }),
            "BadStakeRecord",
            "a record a byte short",
          );
          // the slash's bytes with more active stake: not the tx in the batch
          const more =
            `${w.txBytes.slice(0, 2 + 2 * 29)}${"ff".repeat(32)}${w.txBytes.slice(2 + 2 * 61)}` as Hex;
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, txBytes: more }),
            "TxNotInBatch",
            "another active stake",
          );
        },
      );
    },
  );

  await t.test("(b) a made-up slash that raises active stake: refused, proven wrong", async (t) => {
    const stored = { seq: stakeTx.seq, active: stakeTx.active, unbonding: stakeTx.unbonding, backing: 0 };
    const raise = slashLies.raising(worker.address, stored, parseEther("5"));
    const blocks = blocksOf([modelTx, stakeTx, raise]);
    const w = witnessOf(blocks, 2);
    t.same(
      await step(w),
      [false, [w.preStateRoot, w.preMessageChain, w.preInboxHash]],
      "the one-step's rule refuses it, nothing moves",
    );
    await lyingBatch(
      t,
      "made-up slash raising active stake by 5 ETH",
      [modelTx, stakeTx, raise],
      slashLies.appliedAnyway(raise),
      "tx refused by the rules",
    );
    const unbonding = { ...raise, active: stakeTx.active, unbonding: 1n };
    t.same(
      (await step(witnessOf(blocksOf([modelTx, stakeTx, unbonding]), 2)))[0],
      false,
      "one raising unbonding stake: refused too",
    );
  });

  await t.test("(c) a slash repeating the stored seq: refused, proven wrong", async (t) => {
    const again = slashLies.seqRepeated(slash, parseEther("1"));
    const blocks = blocksOf([modelTx, stakeTx, slash, again]);
    const w = witnessOf(blocks, 3);
    t.same((await step(w))[0], false, "the one-step's rule refuses it");
    await lyingBatch(
      t,
      "second slash under the stored seq",
      [modelTx, stakeTx, slash, again],
      slashLies.appliedAnyway(again),
      "tx refused by the rules",
    );
  });

  await t.test("(e) bytes of a kind no tx has, under a batch's txRoot: refused at their step", async (t) => {
    // The batch's tx section holds the model's and the stake's txs and then the bytes (the Bridge
    // hashes them into its txRoot); its body is those two txs' block (no reader takes such data).
    // The liar claims a credit at the bytes' step; the challenger proves it: before, this step
    // reverted OneStepNotBuilt and the liar won.
    const prefix = blocksOf([modelTx, stakeTx]);
    const truthP = replayBatch(genesis, at0, batchBlocks(prefix));
    const k = truthP.txCount;
    for (const bytes of [
      Uint8Array.of(0x10, 0xc0, 0xff, 0xee),
      concatBytes(Uint8Array.of(0xff), new TextEncoder().encode(JSON.stringify(encodeTx(slash)))),
    ]) {
      const what = `kind 0x${bytes[0].toString(16)} (${bytes.length} bytes)`;
      const leaves = [...[modelTx, stakeTx].map((x) => sha256(txBytes(x, ts))), sha256(bytes)];
      const prefixData = buildBatch(prefix).txData;
      const { txs, bodyStart } = batchTxSection(prefixData);
      const data = concatBytes(
        Uint8Array.of(0x03),
        u32be(txs.length + 1),
        ...[...txs, bytes].flatMap((b) => [u32be(b.length), b]),
        prefixData.subarray(bodyStart),
      );
      const lied = new Map(truthP.finalState);
      jobStateLies.creditedExtra(stranger.address, parseEther("1"))(lied);
      const lieRoot = stateRootOf(lied);
      const index = await bridge.batchCount();
      await bridge.postBatch({
        firstBlock: 1n,
        lastBlock: 1n,
        stateRoot: lieRoot,
        withdrawalRoot: buildBatch(prefix).withdrawalRoot,
        txDataHash: batchDataHash(data),
        cid: "0x01",
        txData: toHex(data),
        inboxCount: 2n,
        lastTime: 0n,
      });
      const inbox = (await bridge.getBatch(index)).inboxHash as Hex;
      const lie = stepCommitment(fromHex(lieRoot), ZERO32, fromHex(inbox), 0);
      const r = truthP.roots[k];
      // the challenger's replay: the bytes are no tx, so C_{k+1} = C_k
      const replay = { commitments: [...truthP.commitments, truthP.commitments[k]] } as BatchReplay;
      const witness = (i: number): StepWitness => {
        if (i !== k) throw new Error(`the one-step should land on the bytes, not tx ${i}`);
        return {
          index: k,
          txBytes: toHex(bytes),
          txProof: merkleProof(merkleLevels(concatBytes(...leaves)), k).map(toHex),
          records: [],
          pre: truthP.commitments[k],
          post: truthP.commitments[k],
          preStateRoot: r.stateRoot,
          preMessageChain: r.messageChain,
          preInboxHash: r.inboxHash,
          preLastTime: r.lastTime,
        };
      };
      const liar = sequencerLiars.truthUntil(k)(
        { ...truthP, txCount: k + 1, commitments: replay.commitments },
        lie,
        [],
      );
      const c = await chGame.challengeBatch(index, RIG.challengerBond);
      t.equal(
        await rig.playTo(c.id, liar, { game: chGame, replay, witness }, false),
        PHASE.challengerWon,
        `${what}: the honest challenger wins`,
      );
      t.same(
        await seqGame.resolution(c.id),
        { challengerWon: true, reason: "tx refused by the rules" },
        `${what}: tx refused by the rules`,
      );
      t.equal((await seqGame.getChallenge(c.id)).lo, BigInt(k), `${what}: proven at the bytes`);
      t.equal(await bridge.batchCount(), index, `${what}: the batch is removed`);
      await seqGame.depositSequencerBond(RIG.sequencerBond);
    }
  });

  await t.test("(d) an honest batch with a real slash survives lying challengers", async (t) => {
    const truth = replayBatch(genesis, at0, batchBlocks([block1]));
    const index = await bridge.batchCount();
    await post([block1], 2n);
    await rig.survivesLyingChallengers(t, "a slash", {
      index,
      blocks: [block1],
      truth,
      witness: (i) => witnessOf([block1], i),
      liars: threeLyingChallengers("the slash", 2, 2),
    });
  });

  t.comment(`slash one-step gas ${slashGas}`);
});
