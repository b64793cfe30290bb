/**
 * The batch challenge (contracts/src/BatchChallenge.sol, docs/rollup.md 8c) on the embedded chain,
 * with the real Bridge, blocks sealed by the real L2 Chain and batch data as the batcher encodes
 * it. An honest batch survives lying challengers (test/helpers/adversary/batch-liars.ts: one
 * disagreeing with everything, one agreeing with everything, two judging at random); batches with
 * a wrong state root, a forged withdrawal leaf or a forged withdrawal tx are each challenged by
 * the honest challenger against a lying sequencer (truth until the last tx, its final everywhere,
 * truth until the forged tx, garbage, withholding), removed with every later batch, the
 * sequencer's bond slashed (half to the challenger); the forged withdrawal is never paid; the
 * honest chain is re-posted. Derived txs are proven against the L1 inbox (the inbox hash is part of
 * every step commitment): a made-up deposit, a skipped forced tx and a replaced forced tx are each
 * removed; an honest batch with a forced transfer, a deposit and a forced tx of garbage survives a
 * challenger that disagrees with everything. L1 events (a model, a stake change, an L1 request on
 * the real Bridge, derived by the real follower): a made-up workerStake and a replaced or made-up
 * l1InferenceRequest are refused at their tx (their message is not L1's next); an honest batch
 * with each kind survives challengers disagreeing from each (the inbox check passes and the state
 * rule's one-step, L1EventStepRules, is right: StepIsRight; their lies are
 * batch-challenge-l1-events.test.ts'). Hostile moves are refused by name. Measures one-step gas per
 * tx type.
 */
import t, { type Test } from "tap";
import { type Address, type Hex, parseEther } from "viem";
import {
  BatchChallengeContract,
  BatchChallengeRevert,
  challengerMove,
  deployBatchChallenge,
  PHASE,
  sequencerMove,
} from "../../../bridge/batch-challenge.ts";
import { type BridgeContract, type BridgeRevert, simulateAndSend } from "../../../bridge/bridge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { concatBytes, fromHex, toHex } from "../../../protocol/bytes.ts";
import { ZERO32 } from "../../../protocol/merkle.ts";
import { signTx, type Tx, type UserTx } from "../../../protocol/tx.ts";
import { type L2Message, MessageTree, messageLeaf } from "../../../protocol/withdrawal.ts";
import { buildBatch, lastTimeThrough } from "../../../sequencer/batch.ts";
import { batchDataHash, batchDataTxRoot, decodeBatchData } from "../../../sequencer/batch-data.ts";
import { faultyRoots, type SequencerFaultMode } from "../../../sequencer/batch-faults.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import {
  forcedData as encodeForcedData,
  messageChainOf,
  stepCommitment,
} from "../../../sequencer/fault-proof/encoding.ts";
import {
  type BatchReplay,
  type BatchStart,
  replayBatch,
  type StepWitness,
} from "../../../sequencer/fault-proof/steps.ts";
import type { StateRecord } from "../../../sequencer/state/records.ts";
import {
  challengerLiars,
  type SequencerAnswers,
  sequencerLiars,
} from "../../helpers/adversary/batch-liars.ts";
import { derivedSince, embeddedBackend, placeholderModel } from "../../helpers/l1.ts";

const WINDOW = 120n;
const CLOCK = 60n;
const SEQUENCER_BOND = parseEther("1");
const CHALLENGER_BOND = parseEther("0.1");

async function rejectsWith(t: Test, p: Promise<unknown>, errorName: string, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}

t.test("batch challenge on the embedded chain", async (t) => {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const seqClients = b.clients(0);
  const d = await deployBridge(seqClients, {
    challengeWindow: WINDOW,
    unbondingDelay: 1200n,
    minWorkerStake: parseEther("1"),
    challengerBond: CHALLENGER_BOND,
  });
  const bridge: BridgeContract = d.bridge;
  const users = devKeys(3, "batch-challenge");
  const feeRecipient = users[2].address;
  const l1Recipient = b.accounts[5].address.toLowerCase() as Address;
  const { genesis, key } = resolveGenesis({
    ...DEFAULTS,
    genesis: {
      ...devGenesis(users.slice(0, 2), 1000n),
      l1ChainId: String(d.chainId),
      bridge: d.address,
      minFee: "1",
      feeRecipient,
    },
  });
  const chain = new Chain(genesis);
  const genesisRoot = chain.initGenesis().block.header.stateRoot;
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    `acct/${a.toLowerCase()}`,
    { balance: bal, nonce: 0 },
  ]);
  // transfers, withdrawals and deposits only: no timed tx, the last time stays 0
  const genesisStart: BatchStart = { state: start, inboxHash: toHex(ZERO32), lastTime: 0 };

  const challenge = await deployBatchChallenge(seqClients, {
    bridge: d.address,
    l2ChainId: genesis.l2ChainId,
    minFee: genesis.params.minFee,
    feeRecipient,
    claimCollateral: genesis.params.claimCollateral,
    challengeWindowMs: BigInt(genesis.params.challengeWindowMs),
    genesisStateRoot: genesisRoot,
    sequencerBond: SEQUENCER_BOND,
    challengerBond: CHALLENGER_BOND,
    clock: CLOCK,
  });
  const seqGame = new BatchChallengeContract(seqClients, challenge.address);
  const chGame = seqGame.as(b.wallet(1));
  const liarChGame = seqGame.as(b.wallet(2));

  // L1 deposit 0 (2 ETH) so that the bridge holds what a forged 1 ETH withdrawal would take.
  const depositAmount = parseEther("2");
  await bridge.deposit(users[0].address, depositAmount);

  // ---------------------------------------------------------------- L2 blocks, sealed for real
  const nonces = new Map<string, number>();
  const user = (from: (typeof users)[number], body: Record<string, unknown>, signer = from) => {
    const nonce = nonces.get(from.address) ?? 0;
    nonces.set(from.address, nonce + 1);
    return signTx({ ...body, from: from.address, nonce, fee: 1n } as never, signer.key, chain.domain) as Tx;
  };
  let ts = 1_000;
  const origin = { number: 0, hash: `0x${"00".repeat(32)}` as Hex };
  const seal = (txs: Tx[]): Block => {
    for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
    ts += 1000;
    return chain.seal(origin, key as Uint8Array).block;
  };
  const fresh = devKeys(1, "batch-challenge-fresh")[0].address;
  const block1 = seal([
    { type: "deposit", depositId: 0n, recipient: users[0].address, amount: depositAmount } as Tx,
    user(users[0], { type: "transfer", to: users[1].address, amount: 100n }),
    user(users[0], { type: "withdraw", l1Recipient, amount: 50n }),
  ]);
  const block2 = seal([user(users[1], { type: "transfer", to: fresh, amount: 30n })]);
  const block3 = seal([
    user(users[1], { type: "transfer", to: users[0].address, amount: 7n }),
    user(users[0], { type: "withdraw", l1Recipient, amount: 5n }),
  ]);
  // A block where the sequencer slipped in a withdrawal of users[1]'s funds signed by users[0].
  const forgedTx = user(users[1], { type: "withdraw", l1Recipient, amount: 500n }, users[0]);

  const batchBlocks = (blocks: Block[]) => blocks.map((x) => ({ header: x.header, txs: x.txs }));
  /** The state and inbox hash after `blocks` from genesis: where the batch after them starts. */
  const stateAt = (blocks: Block[]): BatchStart => {
    if (!blocks.length) return genesisStart;
    const r = replayBatch(genesis, genesisStart, batchBlocks(blocks));
    return { state: [...r.finalState], inboxHash: r.finalInboxHash, lastTime: r.finalLastTime };
  };

  let maxOneStepGas = 0n;
  const oneStepGas: Record<string, bigint> = {};
  let txPerSide = { sequencer: 0, challenger: 0 };

  /**
   * Plays challenge `id` until it ends (the final phase), the challenger's one-step is refused as
   * right (-1: its clock will run out) or the sequencer withholds its move (0; `seq` null).
   */
  async function play(
    id: bigint,
    seq: SequencerAnswers | null,
    ch: { game: BatchChallengeContract; replay: BatchReplay; witness: (i: number) => StepWitness },
    moves = { sequencer: 0, challenger: 0 },
  ): Promise<number> {
    for (let round = 0; round < 64; round++) {
      const v = await seqGame.getChallenge(id);
      if (v.phase >= PHASE.sequencerWon) return v.phase;
      const sequencersTurn = v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid;
      if (sequencersTurn) {
        if (!seq) return 0;
        await sequencerMove(seqGame, id, seq);
        moves.sequencer++;
        continue;
      }
      try {
        if (await challengerMove(ch.game, id, ch.replay, ch.witness)) moves.challenger++;
      } catch (err) {
        // StepIsRight: the step reaches the disputed commitment, the challenger cannot prove it wrong
        if ((err as BridgeRevert).errorName !== "StepIsRight") throw err;
        return -1;
      }
    }
    throw new Error("challenge did not end in 64 moves");
  }

  function witnessOf(startState: BatchStart, blocks: Block[], i: number) {
    const w = replayBatch(genesis, startState, batchBlocks(blocks), i).witness;
    if (!w) throw new Error(`no witness for tx ${i}`);
    return w;
  }

  // ---------------------------------------------------------------- the bond
  const honest0 = buildBatch([block1, block2]);
  /** Posts `batch` stating its last timed tx's time, from the previous batch's as L1 recorded it. */
  const post = async (
    batch: ReturnType<typeof buildBatch>,
    roots?: { stateRoot: Hex; withdrawalRoot: Hex },
    inboxCount = 1n,
  ) => {
    const count = await bridge.batchCount();
    const before = count === 0n ? 0 : Number((await bridge.getBatch(count - 1n)).lastTime);
    return bridge.postBatch({
      firstBlock: BigInt(batch.firstBlock),
      lastBlock: BigInt(batch.lastBlock),
      stateRoot: roots?.stateRoot ?? batch.stateRoot,
      withdrawalRoot: roots?.withdrawalRoot ?? batch.withdrawalRoot,
      txDataHash: batch.txDataHash,
      cid: "0x01",
      txData: toHex(batch.txData),
      inboxCount,
      lastTime: BigInt(lastTimeThrough(before, decodeBatchData(batch.txData))),
    });
  };
  await t.test("postBatch needs the sequencer's bond", async (t) => {
    await rejectsWith(t, post(honest0), "SequencerBondTooLow", "without a bond");
    await seqGame.depositSequencerBond(SEQUENCER_BOND);
    t.equal(await seqGame.sequencerBondBalance(), SEQUENCER_BOND);
  });

  // ---------------------------------------------------------------- honest batch 0 survives
  const replay0 = replayBatch(genesis, genesisStart, batchBlocks([block1, block2]));
  await t.test("the replay's commitments are the batch's roots", async (t) => {
    t.equal(replay0.txCount, 4);
    t.equal(
      replay0.commitments[4],
      stepCommitment(
        fromHex(honest0.stateRoot),
        messageChainOf(replay0.messageLeaves.map(fromHex)),
        fromHex(replay0.finalInboxHash),
        0,
      ),
      "C_n = (batch state root, chain of its message leaves, inbox hash after its deposit, no timed tx)",
    );
    t.equal(new MessageTree(honest0.messages).rootHex, honest0.withdrawalRoot);
    t.equal(
      replay0.commitments[0],
      stepCommitment(fromHex(genesisRoot), ZERO32, ZERO32, 0),
      "C_0 from genesis",
    );
  });

  await t.test("an honest batch is never removed by lying challengers", async (t) => {
    await post(honest0);
    t.equal(
      (await bridge.getBatch(0n)).inboxHash,
      replay0.finalInboxHash,
      "the Bridge's inbox hash after deposit 0 is the replay's",
    );
    const w = (i: number) => witnessOf(genesisStart, [block1, block2], i);
    const liars = [
      ["disagrees with everything", challengerLiars.disagreeAll],
      ["agrees with everything", challengerLiars.agreeAll],
      ["judges at random (seed 1)", challengerLiars.random(1)],
      ["judges at random (seed 2)", challengerLiars.random(2)],
    ] as const;
    const ids: bigint[] = [];
    for (const [name, liar] of liars) {
      const c = await liarChGame.challengeBatch(0n, CHALLENGER_BOND);
      ids.push(c.id);
      t.equal(
        await play(c.id, replay0, { game: liarChGame, replay: liar(replay0), witness: w }),
        -1,
        `a challenger that ${name} cannot prove a step wrong`,
      );
    }
    t.equal(await seqGame.isBatchUnchallenged(0n), false);
    await b.increaseTime(Number(WINDOW) + 5);
    const proof = new MessageTree(honest0.messages).proof(0);
    const w0 = honest0.withdrawals[0];
    const claim = {
      batchIndex: 0n,
      recipient: l1Recipient,
      amount: w0.amount,
      l2TxHash: w0.l2TxHash,
      ...proof,
    };
    await rejectsWith(
      t,
      bridge.proveWithdrawal(claim),
      "BatchUnderChallenge",
      "a challenged batch pays nothing",
    );
    for (const id of ids) {
      await seqGame.timeout(id);
      t.equal((await seqGame.getChallenge(id)).phase, PHASE.sequencerWon);
    }
    t.equal(await bridge.batchCount(), 1n, "the honest batch stays");
    t.equal(
      await seqGame.sequencerBondBalance(),
      SEQUENCER_BOND + BigInt(liars.length) * CHALLENGER_BOND,
      "the liars' bonds go to the sequencer",
    );
    await bridge.proveWithdrawal(claim);
    t.pass("the honest withdrawal is paid after the window once unchallenged");
  });

  // ---------------------------------------------------------------- lying batches are removed

  async function lyingBatch(
    t: Test,
    what: string,
    blocks: Block[],
    lie: {
      mode?: SequencerFaultMode;
      liar: ((truth: BatchReplay, final: Hex, leaves: Hex[]) => SequencerAnswers) | "withhold";
      reason: string;
      at: number;
      /** The inbox messages the batch claims to consume (all batches so far: 1). */
      inboxCount?: bigint;
    },
    prior: Block[],
  ): Promise<void> {
    const honest = buildBatch(blocks);
    const index = await bridge.batchCount();
    const roots = lie.mode
      ? faultyRoots(
          lie.mode,
          { stateRoot: honest.stateRoot, messages: honest.messages, batchIndex: Number(index) },
          genesis.sequencer,
        )
      : { stateRoot: honest.stateRoot, withdrawalRoot: honest.withdrawalRoot };
    await post(honest, roots, lie.inboxCount ?? 1n);
    const pre = stateAt(prior);
    const truth = replayBatch(genesis, pre, batchBlocks(blocks));
    // The liar's messages: the honest ones plus what it forged into the root.
    const forgedMessages = lie.mode ? (roots as { messages: L2Message[] }).messages : honest.messages;
    const liarLeaves = forgedMessages.map((m) => toHex(messageLeaf(m)));
    // C_n carries the inbox hash the Bridge recorded for the batch, whatever the sequencer says
    const liarFinal = stepCommitment(
      fromHex(roots.stateRoot),
      messageChainOf(liarLeaves.map(fromHex)),
      fromHex((await bridge.getBatch(index)).inboxHash),
      Number((await bridge.getBatch(index)).lastTime),
    );
    const liar = lie.liar === "withhold" ? null : lie.liar(truth, liarFinal, liarLeaves);
    const bondBefore = await seqGame.sequencerBondBalance();
    const chBefore = await b.clients(1).publicClient.getBalance({ address: b.accounts[1].address });
    const c = await chGame.challengeBatch(index, CHALLENGER_BOND);
    const moves = { sequencer: 0, challenger: 0 };
    const phase = await play(
      c.id,
      liar,
      { game: chGame, replay: truth, witness: (i) => witnessOf(pre, blocks, i) },
      moves,
    );
    if (phase !== 0 && /workerStake|l1InferenceRequest/.test(what)) {
      // the challenger's winning proveStep, the inbox check included (the last tx mined)
      const pub1 = b.clients(1).publicClient;
      const last = await pub1.getBlock();
      const rc = await pub1.getTransactionReceipt({ hash: last.transactions[last.transactions.length - 1] });
      t.comment(`${what}: proveStep ${rc.gasUsed} gas (the challenger's win, removal and slash included)`);
    }
    if (phase === 0) {
      // the sequencer withholds: once its clock is out anyone ends the challenge
      await rejectsWith(t, chGame.timeout(c.id), "ClockNotOut", `${what}: not before its clock is out`);
      await b.increaseTime(Number(CLOCK) + 1);
      await chGame.timeout(c.id);
    }
    t.equal(
      (await seqGame.getChallenge(c.id)).phase,
      PHASE.challengerWon,
      `${what}: the honest challenger wins`,
    );
    t.same(
      await seqGame.resolution(c.id),
      { challengerWon: true, reason: lie.reason },
      `${what}: ${lie.reason}`,
    );
    t.equal(
      (await seqGame.getChallenge(c.id)).lo,
      BigInt(lie.at),
      `${what}: the one-step ran on tx ${lie.at}`,
    );
    txPerSide = {
      sequencer: Math.max(txPerSide.sequencer, moves.sequencer),
      challenger: Math.max(txPerSide.challenger, moves.challenger + 1),
    };
    t.equal(await bridge.batchCount(), index, `${what}: batch ${index} and every later one removed`);
    t.equal(
      await seqGame.sequencerBondBalance(),
      bondBefore - SEQUENCER_BOND,
      `${what}: the bond is slashed`,
    );
    const chAfter = await b.clients(1).publicClient.getBalance({ address: b.accounts[1].address });
    t.ok(
      chAfter > chBefore + SEQUENCER_BOND / 2n - parseEther("0.01"),
      `${what}: the challenger got half the slash`,
    );
    if (lie.mode === "forge-withdrawal") {
      const forged = new MessageTree(forgedMessages);
      const last = forgedMessages.length - 1;
      const m = forgedMessages[last];
      if (m.kind !== "withdrawal") throw new Error("expected the forged withdrawal");
      await b.increaseTime(Number(WINDOW) + 5);
      await rejectsWith(
        t,
        bridge.proveWithdrawal({
          batchIndex: index,
          recipient: m.recipient,
          amount: m.amount,
          l2TxHash: m.l2TxHash,
          ...forged.proof(last),
        }),
        "UnknownBatch",
        "the forged withdrawal's batch is gone: never paid",
      );
    }
    // the sequencer bonds again and re-posts the honest chain from the removed batch on
    await seqGame.depositSequencerBond(SEQUENCER_BOND);
  }

  await t.test("wrong-state-root: proven at the last tx, removed, slashed", async (t) => {
    await lyingBatch(
      t,
      "wrong-state-root",
      [block3],
      {
        mode: "wrong-state-root",
        liar: sequencerLiars.truthUntilLast,
        reason: "tx executes to another state",
        at: 1,
      },
      [block1, block2],
    );
  });

  await t.test("a sequencer that reveals garbage or withholds its move loses", async (t) => {
    await lyingBatch(
      t,
      "garbage mids",
      [block3],
      {
        mode: "wrong-state-root",
        liar: sequencerLiars.garbage,
        reason: "tx executes to another state",
        at: 0,
      },
      [block1, block2],
    );
    await lyingBatch(
      t,
      "withheld reveal",
      [block3],
      { mode: "wrong-state-root", liar: "withhold", reason: "sequencer ran out of time", at: 0 },
      [block1, block2],
    );
    await post(buildBatch([block3]));
    t.equal(await bridge.batchCount(), 2n, "the honest batch 1 is re-posted");
  });

  const block4 = seal([user(users[0], { type: "transfer", to: users[1].address, amount: 3n })]);
  await t.test(
    "forge-withdrawal: a forged message leaf is proven against the first tx, never paid",
    async (t) => {
      await lyingBatch(
        t,
        "forge-withdrawal",
        [block4],
        {
          mode: "forge-withdrawal",
          liar: sequencerLiars.finalEverywhere,
          reason: "tx executes to another state",
          at: 0,
        },
        [block1, block2, block3],
      );
    },
  );

  await t.test("a forged withdrawal tx (bad signature) is refused by the one-step", async (t) => {
    // the sequencer's chain: admits the forged tx without checking its signature
    const forgedBlock = seal([forgedTx]);
    await lyingBatch(
      t,
      "forged withdrawal tx",
      [block4, forgedBlock],
      { liar: sequencerLiars.truthUntil(1), reason: "tx refused by the rules", at: 1 },
      [block1, block2, block3],
    );
    t.equal(await bridge.batchCount(), 2n);
  });

  await t.test("one-step gas by tx type", async (t) => {
    const pre = stateAt([]);
    const types = ["deposit", "transfer", "withdraw", "transfer"];
    for (let i = 0; i < 4; i++) {
      const w = witnessOf(pre, [block1, block2], i);
      const gas = await b.clients(1).publicClient.estimateContractGas({
        address: challenge.verifier,
        abi: (await import("../../../contracts/artifacts/BatchStepVerifier.ts")).batchStepVerifierAbi,
        functionName: "step",
        args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
        account: b.accounts[1].address,
      });
      oneStepGas[types[i]] = gas > (oneStepGas[types[i]] ?? 0n) ? gas : oneStepGas[types[i]];
      if (gas > maxOneStepGas) maxOneStepGas = gas;
    }

    t.ok(maxOneStepGas < 300_000n, `largest one-step ${maxOneStepGas} gas (goal <= 300k)`);
    t.comment(
      `one-step gas ${JSON.stringify(Object.fromEntries(Object.entries(oneStepGas).map(([k, v]) => [k, Number(v)])))}, moves per side ${JSON.stringify(txPerSide)}`,
    );
  });

  await t.test("hostile moves are refused by name and change nothing", async (t) => {
    const index = await bridge.batchCount();
    const honest = buildBatch([block4]);
    const wrong = faultyRoots(
      "wrong-state-root",
      { stateRoot: honest.stateRoot, messages: honest.messages, batchIndex: 2 },
      genesis.sequencer,
    );
    await post(honest, wrong);
    await rejectsWith(t, chGame.challengeBatch(index, 1n), "WrongChallengerBond", "a short bond");
    await rejectsWith(t, chGame.challengeBatch(index + 1n, CHALLENGER_BOND), "UnknownBatch", "no such batch");
    // data whose tx section does not frame is refused at postBatch and changes nothing: every
    // batch the Bridge holds has one well-defined tx list, hashed by L1 itself
    const last = await bridge.getBatch(index);
    const count = await bridge.batchCount();
    const framing = [
      { what: "data of 1 byte", data: Uint8Array.of(0x22) },
      {
        what: "data of version 0x02 (the old header format)",
        data: concatBytes(Uint8Array.of(0x02), honest.txData.subarray(1)),
      },
      {
        what: "a tx count past the end",
        data: concatBytes(Uint8Array.of(0x03, 0, 0, 0, 9), honest.txData.subarray(5, 40)),
      },
      { what: "a tx length past the end", data: Uint8Array.of(0x03, 0, 0, 0, 1, 0, 0, 1, 0, 7) },
    ];
    for (const m of framing) {
      const block = BigInt(honest.lastBlock + 1);
      await rejectsWith(
        t,
        bridge.postBatch({
          firstBlock: block,
          lastBlock: block,
          stateRoot: honest.stateRoot,
          withdrawalRoot: honest.withdrawalRoot,
          txDataHash: batchDataHash(m.data),
          cid: "0x01",
          txData: toHex(m.data),
          inboxCount: last.inboxCount,
          lastTime: last.lastTime,
        }),
        "BadBatchData",
        m.what,
      );
    }
    t.equal(await bridge.batchCount(), count, "no refused data posted a batch");
    const onL1 = await bridge.getBatch(index);
    t.same(
      { txRoot: onL1.txRoot, txCount: Number(onL1.txCount) },
      batchDataTxRoot(honest.txData),
      "the Bridge's txRoot and txCount are the ones TS computes from the data",
    );
    const c = await chGame.challengeBatch(index, CHALLENGER_BOND);
    const twin = await liarChGame.challengeBatch(index, CHALLENGER_BOND);
    await rejectsWith(
      t,
      chGame.revealMessages(c.id, []),
      "NotSequencer",
      "the challenger revealing for the sequencer",
    );
    await rejectsWith(
      t,
      seqGame.revealMessages(c.id, [`0x${"12".repeat(32)}`]),
      "MessagesMismatch",
      "leaves that are not the root's",
    );
    await rejectsWith(t, chGame.judgeMid(c.id, true), "WrongPhase", "judging before a reveal");
    await rejectsWith(t, seqGame.timeout(c.id), "ClockNotOut", "a timeout inside the clock");
    await rejectsWith(
      t,
      seqGame.withdrawSequencerBond(1n),
      "BondLocked",
      "the bond while a batch is challenged",
    );
    await rejectsWith(t, chGame.withdrawSequencerBond(1n), "NotSequencer", "someone else taking the bond");
    const direct = (functionName: string, args: readonly unknown[]) =>
      simulateAndSend(
        b.clients(1),
        b.wallet(1),
        { contract: "Bridge", address: d.address, abi: bridgeAbi, functionName, args },
        (f, e, a, x) => new BatchChallengeRevert(f, e, a, x),
      );
    await rejectsWith(
      t,
      direct("removeBatchesFrom", [0n]),
      "NotBatchChallenge",
      "removing batches without a challenge",
    );
    await rejectsWith(
      t,
      direct("setBatchChallenge", [b.accounts[1].address]),
      "NotDeployer",
      "re-pointing the challenge",
    );
    await rejectsWith(t, seqGame.closeVoid(twin.id), "NotVoid", "closing a live challenge as void");
    const pre = stateAt([block1, block2, block3]);
    const truth = replayBatch(genesis, pre, batchBlocks([block4]));
    await seqGame.revealMessages(c.id, truth.messageLeaves);
    await rejectsWith(
      t,
      liarChGame.proveStep(c.id, witnessOf(pre, [block4], 0)),
      "NotChallenger",
      "another account proving",
    );
    const w = witnessOf(pre, [block4], 0);
    await rejectsWith(
      t,
      chGame.proveStep(c.id, { ...w, preStateRoot: `0x${"34".repeat(32)}` }),
      "PreStateMismatch",
      "a made-up pre-state",
    );
    const other = witnessOf(stateAt([block1, block2]), [block3], 0);
    await rejectsWith(
      t,
      chGame.proveStep(c.id, { ...w, txBytes: other.txBytes }),
      "TxNotInBatch",
      "a tx from another batch",
    );
    t.equal((await seqGame.getChallenge(c.id)).phase, PHASE.awaitOneStep, "nothing moved");
    await chGame.proveStep(c.id, w);
    t.equal((await seqGame.getChallenge(c.id)).phase, PHASE.challengerWon);
    const bal = await b.clients(2).publicClient.getBalance({ address: b.accounts[2].address });
    await seqGame.closeVoid(twin.id);
    t.equal((await seqGame.getChallenge(twin.id)).phase, PHASE.void, "the twin on the removed batch is void");
    t.equal(
      await b.clients(2).publicClient.getBalance({ address: b.accounts[2].address }),
      bal + CHALLENGER_BOND,
      "its bond is refunded",
    );
    await b.increaseTime(Number(WINDOW) + 1);
    await rejectsWith(
      t,
      chGame.challengeBatch(1n, CHALLENGER_BOND),
      "WindowClosed",
      "a challenge after the window",
    );
  });
  // ---------------------------------------------------------------- derived txs against the L1 inbox
  await t.test("derived txs are proven against the L1 inbox", async (t) => {
    /** An L2 chain at block 3 (the end of batch 1, L1's last batch): each case seals on its own. */
    const forkAt3 = () => {
      const f = new Chain(genesis);
      f.initGenesis();
      for (const blk of [block1, block2, block3])
        f.applyBlock({ header: blk.header, txs: blk.txs, receipts: [] }, genesis.sequencer);
      return f;
    };
    const sealOn = (f: Chain, txs: Tx[]): Block => {
      for (const tx of txs) f.admit(tx, f.txHash(tx), ts);
      ts += 1000;
      return f.seal(origin, key as Uint8Array).block;
    };
    /** A transfer signed with `from`'s next nonce on `f` (plus `skip`). */
    const transfer = (f: Chain, from: (typeof users)[number], to: Address, amount: bigint, skip = 0) => {
      const acct = f.state.get(`acct/${from.address}`) as { nonce: number } | undefined;
      const nonce = (acct?.nonce ?? 0) + skip;
      return signTx(
        { type: "transfer", from: from.address, nonce, fee: 1n, to, amount },
        from.key,
        f.domain,
      ) as Tx;
    };
    const prior = [block1, block2, block3];
    await seqGame.depositSequencerBond(SEQUENCER_BOND); // the hostile-moves removal slashed it
    const forcer = b.accounts[3].address.toLowerCase() as Address;

    // (a) a deposit L1 never queued (only deposit 0 is in the inbox), spent in the next block; the
    // liar claims L1's inbox hash from the made-up deposit on, and then only at the last tx
    const fa = forkAt3();
    const madeUp = sealOn(fa, [
      transfer(fa, users[0], users[1].address, 2n),
      { type: "deposit", depositId: 1n, recipient: users[0].address, amount: parseEther("5") } as Tx,
    ]);
    const spent = sealOn(fa, [
      transfer(fa, users[0], users[1].address, parseEther("3")),
      transfer(fa, users[1], users[0].address, 1n),
    ]);
    const recorded = stateAt(prior).inboxHash; // the batch counts no new message
    await lyingBatch(
      t,
      "made-up deposit, told consistently",
      [madeUp, spent],
      {
        liar: sequencerLiars.inboxAsRecordedFrom(1, recorded),
        reason: "tx executes to another state",
        at: 1,
      },
      prior,
    );
    await lyingBatch(
      t,
      "made-up deposit, truth until the last tx",
      [madeUp, spent],
      { liar: sequencerLiars.truthUntilLast, reason: "tx executes to another state", at: 3 },
      prior,
    );

    // inbox message 1: a transfer of users[1] forced through L1 by another L1 account
    const forcedData = toHex(encodeForcedData(transfer(forkAt3(), users[1], users[0].address, 4n) as UserTx));
    const forced = await bridge.as(b.wallet(3)).forceTransaction(forcedData);
    t.equal(forced.inboxIndex, 1n);

    // (b) the forced tx skipped: the batch counts it (inboxCount 2) but no tx consumes it
    const fb = forkAt3();
    const skipped = sealOn(fb, [transfer(fb, users[0], users[1].address, 2n)]);
    await lyingBatch(
      t,
      "skipped forced tx",
      [skipped],
      {
        liar: sequencerLiars.truthUntilLast,
        reason: "tx executes to another state",
        at: 0,
        inboxCount: 2n,
      },
      prior,
    );

    // (c) the forced tx replaced by another tx of the same signer
    const fc = forkAt3();
    const replacement = toHex(encodeForcedData(transfer(fc, users[1], users[0].address, 1n) as UserTx));
    const replaced = sealOn(fc, [
      { type: "forcedTx", inboxIndex: 1n, sender: forcer, data: replacement } as Tx,
    ]);
    await lyingBatch(
      t,
      "forced tx replaced",
      [replaced],
      {
        liar: sequencerLiars.truthUntilLast,
        reason: "tx executes to another state",
        at: 0,
        inboxCount: 2n,
      },
      prior,
    );

    // (d) an honest batch holding the forced transfer, a real deposit and a forced tx of garbage
    await bridge.deposit(users[0].address, parseEther("1")); // inbox 2, deposit 1
    const garbage = await bridge.as(b.wallet(3)).forceTransaction("0xdeadbeef"); // inbox 3
    const fd = forkAt3();
    const honestBlock = sealOn(fd, [
      transfer(fd, users[0], users[1].address, 2n),
      { type: "forcedTx", inboxIndex: 1n, sender: forcer, data: forcedData } as Tx,
      { type: "deposit", depositId: 1n, recipient: users[0].address, amount: parseEther("1") } as Tx,
      { type: "forcedTx", inboxIndex: garbage.inboxIndex, sender: forcer, data: "0xdeadbeef" } as Tx,
    ]);
    t.match(honestBlock.receipts[1].events, [{ kind: "ForcedTx" }, { kind: "Transfer", amount: "4" }]);
    t.match(honestBlock.receipts[3].events, [{ kind: "ForcedTxInvalid", inboxIndex: "3" }]);
    const index = await bridge.batchCount();
    const honest = buildBatch([honestBlock]);
    await post(honest, undefined, 4n);
    const pre = stateAt(prior);
    const truth = replayBatch(genesis, pre, batchBlocks([honestBlock]));
    t.equal(
      (await bridge.getBatch(index)).inboxHash,
      truth.finalInboxHash,
      "the Bridge's inbox hash after a forced tx, a deposit and forced garbage is the replay's",
    );
    const verifierAbi = (await import("../../../contracts/artifacts/BatchStepVerifier.ts"))
      .batchStepVerifierAbi;
    const names = ["transfer", "forced transfer", "deposit", "forced garbage"];
    for (let k = 0; k < truth.txCount; k++) {
      const w = witnessOf(pre, [honestBlock], k);
      const args = [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records] as const;
      const [applied, post3] = (await b.clients(1).publicClient.readContract({
        address: challenge.verifier,
        abi: verifierAbi,
        functionName: "step",
        args,
      } as never)) as [boolean, readonly Hex[]];
      t.ok(applied, `${names[k]}: applied on chain`);
      t.equal(
        stepCommitment(fromHex(post3[0]), fromHex(post3[1]), fromHex(post3[2]), truth.roots[k + 1].lastTime),
        truth.commitments[k + 1],
        `${names[k]}: the one-step reaches the replay's C_${k + 1}`,
      );
      const gas = await b.clients(1).publicClient.estimateContractGas({
        address: challenge.verifier,
        abi: verifierAbi,
        functionName: "step",
        args,
        account: b.accounts[1].address,
      } as never);
      oneStepGas[names[k]] = gas;
      if (gas > maxOneStepGas) maxOneStepGas = gas;
    }
    const c = await liarChGame.challengeBatch(index, CHALLENGER_BOND);
    t.equal(
      await play(c.id, truth, {
        game: liarChGame,
        replay: challengerLiars.disagreeAll(truth),
        witness: (i) => witnessOf(pre, [honestBlock], i),
      }),
      -1,
      "a challenger that disagrees with every commitment cannot prove a step wrong",
    );
    await b.increaseTime(Number(CLOCK) + 1);
    await seqGame.timeout(c.id);
    t.equal((await seqGame.getChallenge(c.id)).phase, PHASE.sequencerWon, "the sequencer wins");
    t.equal(await bridge.batchCount(), index + 1n, "the honest batch with derived txs stays");

    // ---------------------------------------------------------------- L1 events through the inbox
    // A model (inbox 4), a worker's stake (5) and an L1 request (6), derived by the real follower.
    const eventsFrom = (await b.clients(0).publicClient.getBlockNumber()) + 1n;
    const h = (x: number) => `0x${x.toString(16).padStart(2, "0").repeat(32)}` as Hex;
    const { modelId } = await bridge.as(b.wallet(4)).registerModel(placeholderModel(), "0x01551220c0ffee");
    await bridge.as(b.wallet(6)).stake(parseEther("1"));
    const l1Now = (await b.clients(0).publicClient.getBlock()).timestamp;
    await bridge.as(b.wallet(7)).requestInference({
      modelId,
      inputRoot: h(9),
      inputCid: "0x0155122011",
      deadline: l1Now + 100_000n,
      escrow: parseEther("0.1"),
    });
    const events = await derivedSince(b.clients(0), d.address, eventsFrom);
    t.same(
      events.map((x) => [x.type, (x as { inboxIndex?: bigint }).inboxIndex]),
      [
        ["modelRegistered", 4n],
        ["workerStake", 5n],
        ["l1InferenceRequest", 6n],
      ],
    );
    const [modelTx, stakeTx, requestTx] = events as [Tx, Tx, Tx];
    const afterHonest = [...prior, honestBlock];
    const forkAtHonest = () => {
      const f = forkAt3();
      f.applyBlock({ header: honestBlock.header, txs: honestBlock.txs, receipts: [] }, genesis.sequencer);
      return f;
    };
    const recordedHonest = truth.finalInboxHash; // L1's inbox hash after message 3

    // (e) a stake L1 never queued (a worker never staked on L1 made able to claim), told
    // consistently from it on: refused at that tx, its message is not L1's next
    const fe = forkAtHonest();
    const madeUpStake = sealOn(fe, [
      transfer(fe, users[0], users[1].address, 2n),
      {
        type: "workerStake",
        inboxIndex: 4n,
        worker: users[0].address,
        seq: 1n,
        active: parseEther("9"),
        unbonding: 0n,
      } as Tx,
    ]);
    await lyingBatch(
      t,
      "made-up workerStake, told consistently",
      [madeUpStake],
      {
        liar: sequencerLiars.inboxAsRecordedFrom(1, recordedHonest),
        reason: "tx refused by the rules",
        at: 1,
        inboxCount: 4n,
      },
      afterHonest,
    );
    // the same stake claimed as message 4 of a batch that counts 5 (the model's place)
    await lyingBatch(
      t,
      "made-up workerStake in a real message's place",
      [madeUpStake],
      { liar: sequencerLiars.truthUntilLast, reason: "tx refused by the rules", at: 1, inboxCount: 5n },
      afterHonest,
    );

    // (f) the L1 request replaced by one with 10x its escrow (the model and stake derived honestly)
    const ff = forkAtHonest();
    const inflated = {
      ...(requestTx as Extract<Tx, { type: "l1InferenceRequest" }>),
      escrow: parseEther("1"),
    };
    const replacedRequest = sealOn(ff, [modelTx, stakeTx, inflated as Tx]);
    await lyingBatch(
      t,
      "l1InferenceRequest replaced",
      [replacedRequest],
      { liar: sequencerLiars.truthUntilLast, reason: "tx refused by the rules", at: 2, inboxCount: 7n },
      afterHonest,
    );
    // (g) a request L1 never made, after the real ones, in a batch that counts only those
    const fg = forkAtHonest();
    const extra = {
      ...(requestTx as Extract<Tx, { type: "l1InferenceRequest" }>),
      inboxIndex: 7n,
      requestId: 1n,
    };
    const madeUpRequest = sealOn(fg, [modelTx, stakeTx, requestTx, extra as Tx]);
    await lyingBatch(
      t,
      "made-up l1InferenceRequest past the batch's count",
      [madeUpRequest],
      {
        liar: sequencerLiars.inboxAsRecordedFrom(3, (await bridge.inboxMessage(6n)).rollingHash),
        reason: "tx refused by the rules",
        at: 3,
        inboxCount: 7n,
      },
      afterHonest,
    );

    // (h) the honest batch with each kind survives a challenger that disagrees from each of them on
    const fh = forkAtHonest();
    const eventsBlock = sealOn(fh, [
      modelTx,
      stakeTx,
      transfer(fh, users[0], users[1].address, 2n),
      requestTx,
    ]);
    const evIndex = await bridge.batchCount();
    const evBatch = buildBatch([eventsBlock]);
    await post(evBatch, undefined, 7n);
    const evPre = stateAt(afterHonest);
    const evTruth = replayBatch(genesis, evPre, batchBlocks([eventsBlock]));
    t.equal(
      (await bridge.getBatch(evIndex)).inboxHash,
      evTruth.finalInboxHash,
      "the Bridge's inbox hash after a model, a stake and a request is the replay's",
    );
    const evIds: bigint[] = [];
    for (const at of [0, 1, 3]) {
      const c = await liarChGame.challengeBatch(evIndex, CHALLENGER_BOND);
      evIds.push(c.id);
      t.equal(
        await play(c.id, evTruth, {
          game: liarChGame,
          replay: challengerLiars.disagreeFrom(at)(evTruth),
          witness: (i) => witnessOf(evPre, [eventsBlock], i),
        }),
        -1,
        `${eventsBlock.txs[at].type}: L1's next message, its one-step cannot be proven wrong`,
      );
      t.equal((await seqGame.getChallenge(c.id)).lo, BigInt(at), `the challenger's one-step is at tx ${at}`);
    }
    await b.increaseTime(Number(CLOCK) + 1);
    for (const id of evIds) {
      await seqGame.timeout(id);
      t.equal((await seqGame.getChallenge(id)).phase, PHASE.sequencerWon, "the sequencer wins");
    }
    t.equal(await bridge.batchCount(), evIndex + 1n, "the honest batch with L1 events stays");

    t.ok(maxOneStepGas < 300_000n, `largest one-step ${maxOneStepGas} gas (goal <= 300k)`);
    t.comment(
      `one-step gas ${JSON.stringify(Object.fromEntries(Object.entries(oneStepGas).map(([k, v]) => [k, Number(v)])))}`,
    );
  });
});
