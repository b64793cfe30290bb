/**
 * The batch challenge's one-steps of the DisputeGame's event txs (disputeOpened, disputeResolved:
 * contracts/src/DisputeEventStepRules.sol, docs/rollup.md 8c) on the embedded chain with the real
 * Bridge and DisputeGame: a worker's deferred claims are disputed for real, one dispute won by the
 * claimer (the challenger's clock runs out), one by the challenger (the worker's clock runs out,
 * the worker slashed), one still running; the real follower derives their txs and the real L2
 * Chain seals them. Each dispute tx of the honest batch steps on chain to the replay's commitment
 * and the batch survives lying challengers; lying batches (a resolution paying a lost claim, a
 * flipped claimerWon, a resolution of a running dispute, a dispute moved to another job of the
 * same worker, a made-up dispute, one applied twice, an opening replayed after its resolution)
 * are proven wrong at that tx and removed, and the validator flags and challenges the replay;
 * hostile witnesses are refused by name and change nothing. Measures one-step gas.
 */
import t, { type Test } from "tap";
import { type Hex, parseEther } from "viem";
import { PHASE, sequencerMove } from "../../../bridge/batch-challenge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { DEFAULT_DISPUTE_CLOCK } from "../../../bridge/params.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { disputeEventStepRulesAbi } from "../../../contracts/artifacts/DisputeEventStepRules.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { ZERO32 } from "../../../protocol/merkle.ts";
import {
  type ClaimMsg,
  claimDigest,
  type DisputeOpenedTx,
  type DisputeResolvedTx,
  encodeTx,
  NO_GENERATION,
  signClaim,
  signTx,
  type Tx,
} from "../../../protocol/tx.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { disputeTxUnbacked } from "../../../sequencer/fault-proof/dispute-events.ts";
import { claimBytes, stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { type RecordWitness, replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { L1BatchReader } from "../../../sequencer/l1-batches.ts";
import { BatchReplayer, type L1BatchWithData } from "../../../sequencer/rebuild.ts";
import { type Job, type JobDisputes, keys, type StateRecord } from "../../../sequencer/state/records.ts";
import { ValidatorChallenger } from "../../../sequencer/validator-challenge.ts";
import { disputeEventLies, jobStateLies } from "../../helpers/adversary/batch-liars.ts";
import {
  batchBlocks,
  postBlocks,
  stepArgs,
  stepReader,
  threeLyingChallengers,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import {
  challengeRig,
  RIG,
  rejectsWith,
  revertName,
  stateRootOf,
} from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

/** The L1 account that opens the disputes (bonded on the Bridge). */
const DISPUTER = 4;
const ESCROW = 100n;
const INPUT_ROOT = `0x${"c3".repeat(32)}` as Hex;

t.test("batch challenge one-steps of the DisputeGame's event txs", async (t) => {
  const rig = await challengeRig(t, { seed: "batch-challenge-disputes", claimCollateral: 10n ** 18n });
  const { b, seqClients, d, bridge, genesis, key, chain, start, seqGame, chGame } = rig;
  const [requester, worker] = rig.devs;

  // ---------------------------------------------------------------- L1: model, stake (inbox 0, 1)
  const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  await b.wallet(0).sendTransaction({ to: worker.address, value: parseEther("4") } as never);
  const workerWallet = walletClientFor(seqClients, toHex(worker.key));
  await bridge.as(workerWallet).stake(parseEther("3"));

  // ---------------------------------------------------------------- the L2 jobs (signed, sealed below)
  const nonces = new Map<string, number>();
  const user = (from: typeof requester, body: Record<string, unknown>) => {
    const n = nonces.get(from.address) ?? 0;
    nonces.set(from.address, n + 1);
    return signTx({ ...body, from: from.address, nonce: n, fee: 1n } as never, from.key, chain.domain) as Tx;
  };
  let ts = 1_000_000;
  const postJob = () =>
    user(requester, {
      type: "postJob",
      modelId,
      inputRoot: INPUT_ROOT,
      inputCid: `0x01551220${"ab".repeat(32)}`,
      escrow: ESCROW,
      deadline: ts + 600_000,
    });
  const jobs = [postJob(), postJob(), postJob()];
  const [idA, idB, idC] = jobs.map((j) => chain.txHash(j));
  const claims = claimDomain(BigInt(d.chainId), d.address);
  // deferred claims (traceRoot 0): the claimer commits a trace root only when disputed
  const claimOf = (jobId: Hex): ClaimMsg => ({
    jobId,
    worker: worker.address,
    modelId,
    inputRoot: INPUT_ROOT,
    outputRoot: `0x${"d4".repeat(32)}`,
    traceRoot: toHex(ZERO32),
    generationSpec: NO_GENERATION,
    outputCid: `0x01551220${"0f".repeat(32)}`,
    traceCid: "0x",
  });
  const [claimA, claimB, claimC] = [idA, idB, idC].map(claimOf);
  const sign = (c: ClaimMsg) => signClaim(c, worker.key, claims);
  const keyOf = (c: ClaimMsg) => toHex(claimDigest(c, claims));

  // ---------------------------------------------------------------- L1: three real disputes
  // A: the worker commits its trace, the challenger goes silent: the claimer wins on time.
  // B: the worker goes silent: the challenger wins on time, the worker is slashed.
  // C (a claim on a job L2 has only claimed): the worker commits, nobody moves: still running.
  await bridge.as(b.wallet(DISPUTER)).depositBond(3n * RIG.challengerBond);
  const game = new DisputeGameContract(seqClients, d.disputeGame);
  const byDisputer = game.as(b.wallet(DISPUTER));
  const byWorker = game.as(workerWallet);
  const dA = (await byDisputer.openDeferred(claimA, sign(claimA))).disputeId;
  const dB = (await byDisputer.openDeferred(claimB, sign(claimB))).disputeId;
  const dC = (await byDisputer.openDeferred(claimC, sign(claimC))).disputeId;
  await byWorker.play(dA, { kind: "commitTrace", traceRoot: `0x${"7a".repeat(32)}` } as never);
  await byWorker.play(dC, { kind: "commitTrace", traceRoot: `0x${"7c".repeat(32)}` } as never);
  await b.increaseTime(Number(DEFAULT_DISPUTE_CLOCK) + 1);
  await game.timeout(dA);
  await game.timeout(dB);
  t.same(
    [
      (await game.getDispute(dA)).winner,
      (await game.getDispute(dB)).winner,
      (await game.getDispute(dC)).winner,
    ],
    [1, 2, 0],
    "L1: A won by the claimer, B by the challenger, C running",
  );
  const derived = await derivedSince(seqClients, d.address, eventsFrom);
  t.same(
    derived.map((x) => x.type),
    [
      "modelRegistered",
      "workerStake",
      "disputeOpened",
      "disputeOpened",
      "disputeOpened",
      "disputeResolved",
      "workerStake",
      "disputeResolved",
    ],
    "the follower derives the model, the stake, three openings, two resolutions and B's slash",
  );
  const [modelTx, stakeTx, openA, openB, openC, wonA, slash, lostB] = derived as [
    Tx,
    Tx,
    DisputeOpenedTx,
    DisputeOpenedTx,
    DisputeOpenedTx,
    DisputeResolvedTx,
    Tx,
    DisputeResolvedTx,
  ];
  t.same([wonA.claimerWon, lostB.claimerWon], [true, false], "A's resolution: claimer won; B's: lost");
  t.same(
    [openA, openB, openC].map((o) => [o.jobId, o.claimKey.toLowerCase()]),
    [claimA, claimB, claimC].map((c) => [c.jobId, keyOf(c)]),
    "each opening names its claim's job and key (the claim digest in L2's claim domain)",
  );
  const INBOX = (await bridge.inboxMessage(1n)).rollingHash as Hex;
  /** What L1's stored dispute says of a dispute tx (the one-step's first check), read now. */
  const disputeCount = () =>
    seqClients.publicClient.readContract({
      address: d.disputeGame,
      abi: disputeGameAbi,
      functionName: "disputeCount",
    }) as Promise<bigint>;
  const onL1 = async (tx: DisputeOpenedTx | DisputeResolvedTx) =>
    disputeTxUnbacked(tx, tx.disputeId < (await disputeCount()) ? await game.getDispute(tx.disputeId) : null);
  for (const tx of [openA, openB, openC, wonA, lostB])
    t.equal(await onL1(tx), null, `L1 backs ${tx.type} ${tx.disputeId}`);

  // ---------------------------------------------------------------- L2 blocks, sealed for real
  const origin = { number: 0, hash: `0x${"00".repeat(32)}` as Hex };
  const seal = (txs: Tx[]): Block => {
    for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
    ts += 1000;
    return chain.seal(origin, key as Uint8Array).block;
  };
  const setupTxs = [
    modelTx,
    stakeTx,
    user(worker, {
      type: "registerWorker",
      models: [modelId],
      price: 5n,
      capacity: 3,
      multiaddr: "/ip4/127.0.0.1/tcp/4001",
    }),
    ...jobs,
    ...[idA, idB, idC].map((jobId) => user(worker, { type: "claimJob", jobId })),
    ...[claimA, claimB].map((claim) =>
      user(worker, { type: "submitResult", claim, claimSignature: sign(claim) }),
    ),
  ];
  const block1 = seal(setupTxs);
  t.equal(
    block1.txs.length,
    setupTxs.length,
    "block 1 holds the setup: model, stake, worker, three jobs claimed, two submitted",
  );
  const disputeTxs: Tx[] = [openA, openB, openC, wonA, slash, lostB];
  const block2 = seal(disputeTxs);
  t.equal(block2.txs.length, disputeTxs.length, "block 2 holds the dispute txs");

  const truth0 = replayBatch(
    genesis,
    { state: start, inboxHash: toHex(ZERO32), lastTime: 0 },
    batchBlocks([block1]),
  );
  const at1 = {
    state: truth0.finalState as Iterable<[string, StateRecord]>,
    inboxHash: INBOX,
    lastTime: truth0.finalLastTime,
  };
  /** Unsealed blocks at block 2's place holding `txs` (a lying batch: never sealed). */
  const blocksOf = (txs: Tx[]): Block[] => [
    { ...block2, txs: txs.map((x) => encodeTx(x)), receipts: [] } as unknown as Block,
  ];
  const witnessOf = (blocks: Block[], i: number, notOnL1?: (i: number) => boolean) =>
    witnessAt(genesis, at1, blocks, i, notOnL1);
  /**
   * The validator's challenger on bad batch `batch` (after batch 0), played out against a lying
   * sequencer that defends with its own replay of `lying` (its lie applied); returns it ended.
   */
  const validatorChallenges = async (batch: L1BatchWithData, lying: Block[]) => {
    const vc = new ValidatorChallenger(chGame, genesis, RIG.challengerBond);
    vc.onBadBatch(batch, {
      state: new Map(truth0.finalState),
      inboxHash: INBOX,
      lastTime: truth0.finalLastTime,
    });
    const liar = replayBatch(genesis, at1, batchBlocks(lying));
    for (let i = 0; i < 40 && (vc.outcome === "none" || vc.outcome === "playing"); i++) {
      await vc.step();
      if (vc.challengeId === null) continue;
      const v = await seqGame.getChallenge(vc.challengeId);
      if (v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid)
        await sequencerMove(seqGame, vc.challengeId, liar);
    }
    return vc;
  };
  const post = (blocks: Block[], stateRoot?: Hex) =>
    postBlocks(bridge, blocks, {
      inboxCount: 2n,
      stateRoot,
      // batch 0 starts from no timed tx; every later one here follows batch 0
      timeBefore: blocks[0] === block1 ? 0 : truth0.finalLastTime,
    });
  await post([block1]);
  t.equal(truth0.finalInboxHash, INBOX, "batch 0 consumes the two inbox messages");

  // the verifier forwards these txs to DisputeEventStepRules as they are: their errors are its
  const stepAbi = [...batchStepVerifierAbi, ...disputeEventStepRulesAbi.filter((e) => e.type === "error")];
  const step = stepReader(b.clients(1).publicClient, rig.challenge.verifier, stepAbi);
  /** A claim witness: the claim's bytes as a job record holds them (no state record, no proof). */
  const claimWitness = (c: ClaimMsg | Hex): RecordWitness => ({
    key: "claim witness",
    value: typeof c === "string" ? c : toHex(claimBytes(c)),
    present: false,
    siblings: [],
    hasOther: false,
    otherPath: toHex(ZERO32),
    otherValueHash: toHex(ZERO32),
  });
  const withWitness = (w: StepWitness, c: ClaimMsg | Hex): StepWitness => ({
    ...w,
    records: [...w.records, claimWitness(c)],
  });
  const oneStepGas: Record<string, number> = {};

  await t.test("every dispute tx of an honest batch steps on chain to the replay's commitment", async (t) => {
    const truth = replayBatch(genesis, at1, batchBlocks([block2]));
    const after = new Map(truth.finalState);
    const job = (id: Hex) => after.get(keys.job(id)) as Job;
    t.same(
      [job(idA).status, job(idB).status, job(idC).status],
      ["submitted", "refunded", "claimed"],
      "A submitted again after its win, B refunded after its loss, C claimed under its open dispute",
    );
    t.same(
      (after.get(keys.jobDisputes(idC)) as JobDisputes).open.map((o) => o.id),
      [dC],
      "C's open dispute is kept for its submission",
    );
    for (let i = 0; i < disputeTxs.length; i++) {
      const type = disputeTxs[i].type;
      const w = witnessOf([block2], i);
      const [applied, post] = await step(w);
      t.ok(applied, `tx ${i} (${type}) applied`);
      t.equal(
        stepCommitment(fromHex(post[0]), fromHex(post[1]), fromHex(post[2]), truth.roots[i + 1].lastTime),
        truth.commitments[i + 1],
        `tx ${i} (${type}) C_${i + 1}`,
      );
      const gas = Number(
        await b.clients(1).publicClient.estimateContractGas({
          address: rig.challenge.verifier,
          abi: batchStepVerifierAbi,
          functionName: "step",
          args: stepArgs(w),
          account: b.accounts[1].address,
        } as never),
      );
      // the slash's stake change (0x88) included: L1EventStepRules' lower-only rule
      const name =
        type === "disputeResolved"
          ? `${type}(${(disputeTxs[i] as DisputeResolvedTx).claimerWon})`
          : type === "workerStake"
            ? "slash"
            : type;
      oneStepGas[name] = Math.max(oneStepGas[name] ?? 0, gas);
    }
    // C has no claim on L2 yet: a witness of its own claim confirms the tx, one of another claim is refused
    const wC = witnessOf([block2], 2);
    t.same(
      await step(withWitness(wC, claimC)),
      await step(wC),
      "openC with C's own claim as witness: the same step",
    );
    t.equal(
      await revertName(step(withWitness(wC, claimA))),
      "ClaimWitnessNotDisputed",
      "openC with A's claim as witness: not the disputed claim",
    );
    const wA = witnessOf([block2], 0);
    t.equal(
      await revertName(step(withWitness(wA, claimA))),
      "RecordCount",
      "no claim witness where the job record holds the claim",
    );
  });

  await t.test(
    "the validator's replay names a resolution L1 does not hold; its challenger proves it",
    async (t) => {
      // a liar's chain (its machine has no view of L1) seals a flipped resolution after block 1
      const fork = new Chain(genesis);
      fork.initGenesis();
      fork.applyBlock({ header: block1.header, txs: block1.txs, receipts: [] }, genesis.sequencer);
      const lie = disputeEventLies.flipped(lostB);
      for (const tx of [openA, openB, lie]) fork.admit(tx, fork.txHash(tx), ts);
      const lying = fork.seal(origin, key as Uint8Array).block;
      t.equal(lying.txs.length, 3, "the liar's chain seals the flipped resolution");
      await post([lying]);
      // the validator's path: batches and their data from L1 alone, the disputes they name read from the game
      const batches = await new L1BatchReader(seqClients, { bridge: d.address, confirmations: 0 }).next();
      t.same(
        batches.map((x) => x.index),
        [0, 1],
        "the reader returns batch 0 and the lying batch 1",
      );
      const replayer = new BatchReplayer(genesis);
      const verdicts = batches.map((x) => replayer.apply(x));
      t.ok(verdicts[0].ok, "batch 0 re-executes");
      t.match(
        verdicts[1],
        {
          ok: false,
          reason:
            /derives disputeResolved of dispute 1, which L1 does not back: .*claimerWon is false, not true/,
        },
        "batch 1: its resolution is not L1's",
      );
      const vc = await validatorChallenges(batches[1], [lying]);
      t.equal(vc.outcome, "won", "the validator's challenger wins");
      t.same(
        await seqGame.resolution(vc.challengeId as bigint),
        { challengerWon: true, reason: "tx refused by the rules" },
        "tx refused by the rules",
      );
      t.equal(
        (await seqGame.getChallenge(vc.challengeId as bigint)).lo,
        2n,
        "proven at the flipped resolution",
      );
      t.equal(await bridge.batchCount(), 1n, "the lying batch is removed");
      await seqGame.depositSequencerBond(RIG.sequencerBond);
    },
  );

  await t.test(
    "the validator's reading of L1 names a dispute moved onto another claimed job; its challenger removes it",
    async (t) => {
      // a liar's chain seals A's real dispute on job C (same worker, only claimed: its machine takes it)
      const fork = new Chain(genesis);
      fork.initGenesis();
      fork.applyBlock({ header: block1.header, txs: block1.txs, receipts: [] }, genesis.sequencer);
      const moved = disputeEventLies.movedToJob(openA, idC);
      fork.admit(moved, fork.txHash(moved), ts);
      const lying = fork.seal(origin, key as Uint8Array).block;
      t.equal(lying.txs.length, 1, "the liar's chain seals A's dispute on job C");
      t.equal(await onL1(moved), null, "getDispute alone backs it (it stores no job)");
      const index = await bridge.batchCount();
      await post([lying]);
      const batches = await new L1BatchReader(seqClients, { bridge: d.address, confirmations: 0 }).next();
      const read = batches[Number(index)].disputes?.get(dA);
      t.equal(
        read?.jobId?.toLowerCase(),
        idA.toLowerCase(),
        "the reader takes A's job from its DisputeOpened log",
      );
      t.same(read?.claim, claimA, "and A's claim from the calldata of the tx that opened it");
      const replayer = new BatchReplayer(genesis);
      const verdicts = batches.map((x) => replayer.apply(x));
      t.ok(verdicts[0].ok, "batch 0 re-executes");
      t.match(
        verdicts[Number(index)],
        {
          ok: false,
          reason: new RegExp(
            `block 2 derives disputeOpened of dispute ${dA} on job ${idC}, which L1 opened on job ${idA}$`,
            "i",
          ),
        },
        "the lying batch: A's dispute is on another job than L1 opened it on",
      );
      const vc = await validatorChallenges(batches[Number(index)], [lying]);
      t.equal(vc.outcome, "won", "the validator's challenger wins (A's claim as the one-step's witness)");
      t.same(
        await seqGame.resolution(vc.challengeId as bigint),
        { challengerWon: true, reason: "tx refused by the rules" },
        "tx refused by the rules",
      );
      t.equal(await bridge.batchCount(), index, "the lying batch is removed");
      await seqGame.depositSequencerBond(RIG.sequencerBond);

      // without A's claim (an opening through another contract) the one-step takes the tx: no challenge
      const blind = new Map(batches[Number(index)].disputes);
      blind.set(dA, { ...(read as NonNullable<typeof read>), claim: null });
      const verdict = new BatchReplayer(genesis);
      verdict.apply(batches[0]);
      t.match(
        verdict.apply({ ...batches[Number(index)], disputes: blind }),
        { ok: false, reason: /which L1 opened on job .*opened through another contract: no claim witness/ },
        "flagged, saying why no challenge can prove it",
      );
      const noWitness = new ValidatorChallenger(chGame, genesis, RIG.challengerBond);
      noWitness.onBadBatch(
        { ...batches[Number(index)], disputes: blind },
        { state: new Map(truth0.finalState), inboxHash: INBOX, lastTime: truth0.finalLastTime },
      );
      t.equal(noWitness.outcome, "cannot", "no challenge opened that the one-step would make it lose");
      t.equal(noWitness.challengeId, null, "none opened");
    },
  );

  await t.test(
    "the validator's replay refuses an opening replayed after its resolution; its challenger proves it",
    async (t) => {
      // no machine takes the replay now (the marker), so the liar posts unsealed blocks and its own root
      const txs = disputeEventLies.replayedAfterResolution(openA, wonA);
      const lying = blocksOf(txs);
      const lied = new Map(replayBatch(genesis, at1, batchBlocks(lying)).finalState);
      disputeEventLies.reopened(openA)(lied);
      const index = await bridge.batchCount();
      await post(lying, stateRootOf(lied));
      const batches = await new L1BatchReader(seqClients, { bridge: d.address, confirmations: 0 }).next();
      t.equal(
        await onL1(openA),
        null,
        "L1's dispute backs every field of the replayed opening (getDispute and its log)",
      );
      const replayer = new BatchReplayer(genesis);
      const verdicts = batches.map((x) => replayer.apply(x));
      t.ok(verdicts[0].ok, "batch 0 re-executes");
      t.match(
        verdicts[Number(index)],
        { ok: false, reason: new RegExp(`re-execution: block 2 tx 2 .*dispute ${dA} was already opened`) },
        "the lying batch: its third tx re-opens dispute A",
      );
      const vc = await validatorChallenges(batches[Number(index)], lying);
      t.equal(vc.outcome, "won", "the validator's challenger wins");
      t.same(
        await seqGame.resolution(vc.challengeId as bigint),
        { challengerWon: true, reason: "tx refused by the rules" },
        "tx refused by the rules",
      );
      t.equal(
        (await seqGame.getChallenge(vc.challengeId as bigint)).lo,
        2n,
        "proven at the replayed opening",
      );
      t.equal(await bridge.batchCount(), index, "the lying batch is removed");
      await seqGame.depositSequencerBond(RIG.sequencerBond);
    },
  );

  /**
   * A batch at index 1 holding `txs` after batch 0, defended with the truth until its last tx,
   * whose state root is what a lying sequencer's machine makes of them (`lie` applied on top: for
   * a tx the machine itself refuses). `notOnL1`: the last tx has no ground on L1, so the honest
   * challenger's replay takes it as refused. The honest challenger proves the last tx wrong.
   */
  async function lyingBatch(
    t: Test,
    what: string,
    txs: Tx[],
    o: {
      /** The last tx's refusal on chain: what L1's dispute says (null: L1 backs it) */
      l1Says?: RegExp;
      notOnL1: boolean;
      lie?: (state: Map<string, StateRecord>) => void;
      witness?: (w: StepWitness) => StepWitness;
      hostile?: (id: bigint, w: StepWitness) => Promise<void>;
    },
  ): Promise<void> {
    const blocks = blocksOf(txs);
    const last = txs.length - 1;
    const lastTx = txs[last] as DisputeOpenedTx | DisputeResolvedTx;
    if (o.l1Says) t.match(await onL1(lastTx), o.l1Says, `${what}: L1's dispute does not back it`);
    else t.equal(await onL1(lastTx), null, `${what}: L1's dispute backs its fields (the rule decides)`);
    const notOnL1 = o.notOnL1 ? (i: number) => i === last : undefined;
    const truth = replayBatch(genesis, at1, batchBlocks(blocks), undefined, notOnL1);
    const lied = new Map(replayBatch(genesis, at1, batchBlocks(blocks)).finalState);
    o.lie?.(lied);
    const lieRoot = stateRootOf(lied);
    t.not(lieRoot, stateRootOf(truth.finalState), `${what}: the liar's root is not the truth`);
    const index = await bridge.batchCount();
    await post(blocks, lieRoot);
    const witness = (i: number) => {
      const w = witnessOf(blocks, i, notOnL1);
      return i === last && o.witness ? o.witness(w) : w;
    };
    await rig.proveLastTxWrong(t, what, {
      index,
      blocks,
      truth,
      lieCommitment: stepCommitment(fromHex(lieRoot), ZERO32, fromHex(INBOX), truth.finalLastTime),
      witness,
      reason: "tx refused by the rules",
      hostile: o.hostile,
      lastTx: `its ${txs[last].type}`,
    });
  }

  await t.test("a resolution L1 does not hold is proven wrong and removed", async (t) => {
    await lyingBatch(
      t,
      "a resolution paying a lost claim (B unfrozen)",
      [openA, openB, disputeEventLies.flipped(lostB)],
      {
        l1Says: /claimerWon is false, not true/,
        notOnL1: true,
      },
    );
    await lyingBatch(t, "a flipped claimerWon (A refunded)", [openA, disputeEventLies.flipped(wonA)], {
      l1Says: /claimerWon is true, not false/,
      notOnL1: true,
    });
    await lyingBatch(
      t,
      "a lost resolution of a dispute still running (C refunded)",
      [openA, openB, openC, disputeEventLies.resolvedWhileRunning(openC, false)],
      {
        l1Says: /still running on L1/,
        notOnL1: true,
        hostile: async (id, w) => {
          t.same(
            w.records.map((r) => r.key),
            [
              keys.job(idC),
              keys.jobDisputes(idC),
              keys.worker(worker.address),
              keys.stake(worker.address),
              keys.account(requester.address),
            ],
            "records: job, disputes, the worker (a claimed job), its stake, the L2 requester",
          );
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: w.records.slice(0, 2) }),
            "RecordCount",
            "the refund's records left out",
          );
          const long = w.records.map((r, k) => (k === 1 ? { ...r, value: `${r.value}00` as Hex } : r));
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: long }),
            "RecordProofMismatch",
            "a disputes record a byte long (L1 refuses the tx first: every proof checked against the pre root)",
          );
          const rich = w.records.map((r, k) =>
            k === 4 ? { ...r, value: `0x${"ff".repeat(32)}${r.value.slice(66)}` as Hex } : r,
          );
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: rich }),
            "RecordProofMismatch",
            "a made-up requester balance",
          );
        },
      },
    );
    await lyingBatch(
      t,
      "a won resolution of a dispute still running",
      [openA, openB, openC, disputeEventLies.resolvedWhileRunning(openC, true)],
      {
        l1Says: /still running on L1/,
        notOnL1: true,
      },
    );
  });

  await t.test("a dispute moved to another job of the same worker is proven wrong and removed", async (t) => {
    // C is only claimed on L2: the machine takes any claim of its worker; A's claim, as witness, names job A
    await lyingBatch(t, "A's dispute on job C (claimed)", [disputeEventLies.movedToJob(openA, idC)], {
      notOnL1: true,
      witness: (w) => withWitness(w, claimA),
      hostile: async (id, withA) => {
        const w = { ...withA, records: withA.records.slice(0, -1) }; // the honest witness less A's claim
        // without a witness the rule applies the tx: its records proven as the machine writes them
        const applied = witnessOf(blocksOf([disputeEventLies.movedToJob(openA, idC)]), 0);
        await rejectsWith(
          t,
          chGame.proveStep(id, applied),
          "StepIsRight",
          "without the claim witness the tx stands",
        );
        await rejectsWith(
          t,
          chGame.proveStep(id, withWitness(w, claimC)),
          "ClaimWitnessNotDisputed",
          "C's claim as witness: not the disputed claim",
        );
        const short = toHex(claimBytes(claimA)).slice(0, -2) as Hex;
        await rejectsWith(
          t,
          chGame.proveStep(id, withWitness(w, short)),
          "BadClaimWitness",
          "a claim witness a byte short",
        );
      },
    });
    // B's claim is on L2: the machine itself refuses A's dispute on it; the liar freezes B anyway
    await lyingBatch(t, "A's dispute on job B (submitted)", [disputeEventLies.movedToJob(openA, idB)], {
      notOnL1: false,
      lie: jobStateLies.statusSet(idB, "disputed"),
    });
  });

  await t.test("a made-up disputeOpened is proven wrong and removed", async (t) => {
    await lyingBatch(t, "a dispute L1 never opened (A frozen)", [disputeEventLies.madeUp(openA, 99n)], {
      l1Says: /has no dispute 99/,
      notOnL1: true,
    });
    await lyingBatch(
      t,
      "A's dispute with another challenger",
      [disputeEventLies.otherChallenger(openA, requester.address)],
      {
        l1Says: /was opened by .* on L1, not/,
        notOnL1: true,
      },
    );
  });

  await t.test("a dispute event applied twice is proven wrong at the second", async (t) => {
    await lyingBatch(t, "A's dispute opened twice", disputeEventLies.twice(openA), {
      notOnL1: false,
      lie: (state) => {
        const k = keys.jobDisputes(idA);
        const open = (state.get(k) as JobDisputes).open;
        state.set(k, { open: [...open, ...open] });
      },
    });
    await lyingBatch(t, "B's loss refunded twice", [openB, ...disputeEventLies.twice(lostB)], {
      notOnL1: false,
      lie: jobStateLies.creditedExtra(requester.address, ESCROW),
    });
  });

  await t.test("an opening replayed after its resolution is proven wrong and removed", async (t) => {
    // A's claim won: replaying its opening would re-freeze A (the worker never paid); L1 backs
    // every field of it (the dispute was opened), so only the l1/dispute/<id> marker refuses it
    await lyingBatch(
      t,
      "A's opening replayed after the claimer's win (A frozen again)",
      disputeEventLies.replayedAfterResolution(openA, wonA),
      {
        notOnL1: false,
        lie: disputeEventLies.reopened(openA),
        hostile: async (id, w) => {
          t.same(
            w.records.map((r) => [r.key, r.present]),
            [
              [keys.job(idA), true],
              [keys.jobDisputes(idA), true],
              [keys.dispute(dA), true],
            ],
            "records: job, disputes, the dispute's marker (present: the first opening wrote it)",
          );
          t.equal(w.records[2].value, "0x01", "the marker is the byte 0x01");
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: w.records.slice(0, 2) }),
            "RecordCount",
            "the marker left out",
          );
          const absent = w.records.map((r, k) =>
            k === 2 ? { ...r, value: "0x" as Hex, present: false } : r,
          );
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: absent }),
            "RecordProofMismatch",
            "the marker passed off as absent",
          );
          const other = w.records.map((r, k) => (k === 2 ? { ...r, value: "0x02" as Hex } : r));
          await rejectsWith(
            t,
            chGame.proveStep(id, { ...w, records: other }),
            "BadSeenRecord",
            "a marker of another byte",
          );
        },
      },
    );
    // B's claim lost: its job is refunded, so the replay is refused by the job's state as well
    await lyingBatch(
      t,
      "B's opening replayed after its loss (B refunded, then frozen)",
      [openB, lostB, openB],
      {
        notOnL1: false,
        lie: jobStateLies.statusSet(idB, "disputed"),
      },
    );
  });

  await t.test("an honest batch of dispute txs survives lying challengers", async (t) => {
    const truth = replayBatch(genesis, at1, batchBlocks([block2]));
    const index = await bridge.batchCount();
    t.equal(index, 1n, "every lying batch was removed");
    await post([block2]);
    // the validator's reading: each dispute with the job its log names and its opening's claim
    const read = await new L1BatchReader(seqClients, { bridge: d.address, confirmations: 0 }).next();
    const honest = read[Number(index)];
    t.same(
      [dA, dB, dC].map((id) => [
        honest.disputes?.get(id)?.jobId?.toLowerCase(),
        honest.disputes?.get(id)?.claim,
      ]),
      [
        [idA.toLowerCase(), claimA],
        [idB.toLowerCase(), claimB],
        [idC.toLowerCase(), claimC],
      ],
      "the reader takes each dispute's job and claim from L1",
    );
    const replayer = new BatchReplayer(genesis);
    t.same(
      read.map((x) => replayer.apply(x).ok),
      [true, true],
      "the validator does not flag the honest batch of dispute txs",
    );
    await rig.survivesLyingChallengers(t, "a dispute tx", {
      index,
      blocks: [block2],
      truth,
      witness: (i) => witnessOf([block2], i),
      liars: threeLyingChallengers("C's opening", 2, 5),
    });
  });

  await t.test("one-step gas of the dispute txs", async (t) => {
    const max = Math.max(...Object.values(oneStepGas));
    t.ok(max > 0 && max <= 300_000, `largest dispute one-step ${max} gas (goal <= 300k)`);
    t.comment(`dispute one-step gas ${JSON.stringify(oneStepGas)}`);
  });
});
