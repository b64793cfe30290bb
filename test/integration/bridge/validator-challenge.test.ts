/**
 * `verdict validator --challenge-key` in process on the embedded chain: the real Validator reads
 * the batches from L1 (BatchPosted logs and their calldata), re-executes them, leaves the honest
 * batch alone and challenges the wrong-state-root one on its own, playing the honest challenger's
 * moves against a lying sequencer (test/helpers/adversary/batch-liars.ts) until the batch is
 * removed; against a sequencer that withholds its moves it ends the challenge by timeout. A batch
 * whose data credits a deposit L1 never queued (under its own, consistent state root) is named by
 * the validator and proven on L1 at that deposit through the inbox hash in the step commitments;
 * one that gives stake to a worker L1 never saw staking (a workerStake no inbox message holds) is
 * named and proven at that tx ('tx refused by the rules': its message is not L1's next); one whose
 * made-up slash raises a stake (applied in its state root) is named and proven at the slash
 * ('tx refused by the rules': its one-step holds a slash to lowering stake).
 */
import t, { type Test } from "tap";
import { parseEther } from "viem";
import {
  BatchChallengeContract,
  deployBatchChallenge,
  sequencerMove,
} from "../../../bridge/batch-challenge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { concatBytes, fromHex, toHex, u32be } from "../../../protocol/bytes.ts";
import { ZERO32 } from "../../../protocol/merkle.ts";
import type { Address } from "../../../protocol/secp256k1.ts";
import { encodeTx, type Hex, signTx, type Tx } from "../../../protocol/tx.ts";
import { MessageTree } from "../../../protocol/withdrawal.ts";
import { buildBatch } from "../../../sequencer/batch.ts";
import { batchDataHash, batchTxSection } from "../../../sequencer/batch-data.ts";
import { faultyRoots } from "../../../sequencer/batch-faults.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis, type SequencerConfig } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { messageChainOf, stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, replaySteps, stepsOfBatchData } from "../../../sequencer/fault-proof/steps.ts";
import type { StateRecord } from "../../../sequencer/state/records.ts";
import { armChallenger, Validator } from "../../../sequencer/validator.ts";
import { sequencerLiars, slashLies } from "../../helpers/adversary/batch-liars.ts";
import { stateRootOf } from "../../helpers/batch-challenge-rig.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const WINDOW = 100n;
// longer than the window: a later batch's window ends while the earlier batch is still challenged
const CLOCK = 300n;

/**
 * How the sequencer lies in batch 1 and plays: `answer` (a wrong state root, defended by a liar
 * telling the truth until the last tx), `withhold` (the same, never answering), `garbage` (the
 * honest roots over data whose tx section also holds bytes that encode no tx, played by a
 * sequencer answering with its own replay of that section: nothing in the state is wrong, but the
 * batch holds a refused step, and the challenger steers the bisection onto it), `bigNonce` (the
 * same with a transfer of the right length whose nonce is past 2^53 - 1: no tx either, decided on
 * its bytes before any record, on chain as in TS).
 */
type Mode = "answer" | "withhold" | "garbage" | "bigNonce";
const garbageMode = (m: Mode) => m === "garbage" || m === "bigNonce";
/** A transfer's kind byte and 49 bytes: no tx (a transfer is 178 bytes). */
const GARBAGE_TX = concatBytes(Uint8Array.of(0x01), new Uint8Array(49).fill(7));

/** The bytes a garbage mode appends: GARBAGE_TX, or the section's first transfer at nonce 2^60. */
function garbageOf(mode: Mode, data: Uint8Array): Uint8Array {
  if (mode === "garbage") return GARBAGE_TX;
  const b = Uint8Array.from(batchTxSection(data).txs[0]);
  new DataView(b.buffer).setBigUint64(21, 2n ** 60n);
  return b;
}

/**
 * An embedded L1 with a Bridge and a BatchChallenge (bonded sequencer, `CLOCK` per side), the L2
 * genesis of two dev users (`seed` names their keys) and the sequencer's Chain at genesis.
 */
async function validatorRig(t: Test, seed: string) {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const seqClients = b.clients(0);
  const d = await deployBridge(seqClients, {
    challengeWindow: WINDOW,
    unbondingDelay: 1200n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
  });
  const users = devKeys(2, seed);
  const cfg = {
    ...DEFAULTS,
    l1Confirmations: 0,
    l1StartBlock: 0,
    genesis: { ...devGenesis(users, 1000n), l1ChainId: String(d.chainId), bridge: d.address, minFee: "1" },
  } as SequencerConfig;
  const { genesis, key } = resolveGenesis(cfg);
  const chain = new Chain(genesis);
  const genesisRoot = chain.initGenesis().block.header.stateRoot;
  const game = await deployBatchChallenge(seqClients, {
    bridge: d.address,
    l2ChainId: genesis.l2ChainId,
    minFee: genesis.params.minFee,
    feeRecipient: genesis.params.feeRecipient,
    claimCollateral: genesis.params.claimCollateral,
    challengeWindowMs: BigInt(genesis.params.challengeWindowMs),
    genesisStateRoot: genesisRoot,
    sequencerBond: parseEther("1"),
    challengerBond: parseEther("0.1"),
    clock: CLOCK,
  });
  const seqGame = new BatchChallengeContract(seqClients, game.address);
  await seqGame.depositSequencerBond(parseEther("1"));
  return { b, d, users, cfg, genesis, key, chain, seqGame };
}

async function scenario(t: Test, mode: Mode): Promise<void> {
  const withhold = mode === "withhold";
  const { b, d, users, cfg, genesis, key, chain, seqGame } = await validatorRig(t, "validator-challenge");
  await d.bridge.deposit(users[0].address, 5000n);

  let nonce = 0;
  const transfer = (amount: bigint) =>
    signTx(
      { type: "transfer", from: users[0].address, nonce: nonce++, fee: 1n, to: users[1].address, amount },
      users[0].key,
      chain.domain,
    ) as Tx;
  const seal = (txs: Tx[], ts: number): Block => {
    for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
    return chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` }, key as Uint8Array).block;
  };
  const block1 = seal(
    [{ type: "deposit", depositId: 0n, recipient: users[0].address, amount: 5000n } as Tx, transfer(10n)],
    1000,
  );
  const block2 = seal([transfer(20n), transfer(30n), transfer(40n)], 2000);
  const post = (blocks: Block[], lie: boolean) => {
    const built = buildBatch(blocks);
    const h = lie && garbageMode(mode) ? { ...built, ...withGarbage(built.txData, mode) } : built;
    const roots =
      lie && !garbageMode(mode)
        ? faultyRoots(
            "wrong-state-root",
            { stateRoot: h.stateRoot, messages: h.messages, batchIndex: 1 },
            genesis.sequencer,
          )
        : h;
    return d.bridge.postBatch({
      firstBlock: BigInt(h.firstBlock),
      lastBlock: BigInt(h.lastBlock),
      stateRoot: roots.stateRoot,
      withdrawalRoot: roots.withdrawalRoot,
      txDataHash: h.txDataHash,
      cid: "0x01",
      txData: toHex(h.txData),
      inboxCount: 1n,
    });
  };
  await post([block1], false);
  await post([block2], true);

  const chClients = b.clients(1);
  const v = new Validator(chClients, cfg);
  await armChallenger(v, chClients, cfg);
  const verdicts = await v.step();
  t.match(
    verdicts,
    [
      { index: 0, ok: true },
      { index: 1, ok: false },
    ],
    "batch 0 re-executes, batch 1 does not",
  );
  await v.step(); // opens the challenge on batch 1

  // A batch posted after the challenged one, with a withdrawal: past its own window it still pays
  // nothing while the earlier batch is challenged (its removal would take this one too).
  const claim = await laterWithdrawal();
  async function laterWithdrawal() {
    const l1Recipient = b.accounts[5].address.toLowerCase() as `0x${string}`;
    const withdrawTx = signTx(
      { type: "withdraw", from: users[0].address, nonce: nonce++, fee: 1n, l1Recipient, amount: 100n },
      users[0].key,
      chain.domain,
    ) as Tx;
    const block3 = seal([withdrawTx], 3000);
    const later = buildBatch([block3]);
    await post([block3], false);
    await b.increaseTime(Number(WINDOW) + 1);
    const w = later.withdrawals[0];
    const claim = {
      batchIndex: 2n,
      recipient: l1Recipient,
      amount: w.amount,
      l2TxHash: w.l2TxHash,
      ...new MessageTree(later.messages).proof(0),
    };
    await t.rejects(
      d.bridge.proveWithdrawal(claim),
      /BatchUnderChallenge/,
      "a later batch pays nothing while an earlier one is challenged",
    );
    return claim;
  }

  // the lying sequencer's answers for batch 1
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    `acct/${a.toLowerCase()}`,
    { balance: bal, nonce: 0 },
  ]);
  const first = replayBatch(genesis, { state: start, inboxHash: toHex(ZERO32), lastTime: 0 }, [
    { header: block1.header, txs: block1.txs },
  ]);
  const truth = replayBatch(
    genesis,
    { state: first.finalState, inboxHash: first.finalInboxHash, lastTime: first.finalLastTime },
    [{ header: block2.header, txs: block2.txs }],
  );
  const wrongRoot = faultyRoots(
    "wrong-state-root",
    { stateRoot: block2.header.stateRoot, messages: [], batchIndex: 1 },
    genesis.sequencer,
  ).stateRoot;
  const leaves = truth.messageLeaves;
  // garbage: the sequencer answers from its own replay of the section it posted (the refused
  // step changes nothing there), so every commitment it reveals is a true one
  const garbageData = withGarbage(buildBatch([block2]).txData, mode).txData;
  const sectionTruth = replaySteps(
    genesis,
    { state: first.finalState, inboxHash: first.finalInboxHash, lastTime: first.finalLastTime },
    stepsOfBatchData(garbageData, first.finalLastTime),
  );
  const liar = garbageMode(mode)
    ? sectionTruth
    : sequencerLiars.truthUntilLast(
        truth,
        // transfers, deposits and withdrawals: no timed tx, the batch states last time 0
        stepCommitment(
          fromHex(wrongRoot),
          messageChainOf(leaves.map(fromHex)),
          fromHex(truth.finalInboxHash),
          0,
        ),
        leaves,
      );

  for (let i = 0; i < 40 && v.challenger?.outcome !== "won"; i++) {
    await v.step();
    if (v.challenger?.challengeId === null || v.challenger?.challengeId === undefined) continue;
    if (withhold) await b.increaseTime(Number(CLOCK) + 1);
    else await sequencerMove(seqGame, v.challenger.challengeId, liar);
  }
  t.equal(v.challenger?.outcome, "won", "the validator's challenge removed the bad batch");
  t.equal(
    await d.bridge.batchCount(),
    1n,
    "the bad batch and any after it are gone, the honest batch 0 stays",
  );
  if (claim)
    await t.rejects(
      d.bridge.proveWithdrawal(claim),
      /UnknownBatch/,
      "the later batch's withdrawal is never paid from it",
    );
  t.equal(await seqGame.challengeCount(), 1n, "exactly one challenge: the honest batch was never challenged");
  const r = await seqGame.resolution(0n);
  t.equal(
    r?.reason,
    {
      answer: "tx executes to another state",
      withhold: "sequencer ran out of time",
      garbage: "tx refused by the rules",
      bigNonce: "tx refused by the rules",
    }[mode],
  );
  // the slashed sequencer posts nothing until it bonds again, then re-posts the honest chain
  await t.rejects(post([block2], false), /SequencerBondTooLow/, "no bond left after the slash");
  await seqGame.depositSequencerBond(parseEther("1"));
  await post([block2], false);
  t.equal(await d.bridge.batchCount(), 2n, "the honest batch 1 is re-posted");
}

t.test("the validator challenges a wrong state root and wins the bisection", (t) => scenario(t, "answer"));
t.test("the validator ends a challenge the sequencer does not answer", (t) => scenario(t, "withhold"));
t.test("the validator removes a batch holding bytes that encode no tx, though its roots are right", (t) =>
  scenario(t, "garbage"),
);
t.test(
  "the validator removes a batch holding a transfer whose nonce is past 2^53 - 1, though its roots are right",
  (t) => scenario(t, "bigNonce"),
);

/** Batch data with garbageOf(mode) appended to its tx section (the body left as it was). */
function withGarbage(data: Uint8Array, mode: Mode): { txData: Uint8Array; txDataHash: Hex } {
  const { txs, bodyStart } = batchTxSection(data);
  const txData = concatBytes(
    Uint8Array.of(0x03),
    u32be(txs.length + 1),
    ...[...txs, garbageOf(mode, data)].flatMap((b) => [u32be(b.length), b]),
    data.subarray(bodyStart),
  );
  return { txData, txDataHash: batchDataHash(txData) };
}

/**
 * A batch whose data derives `madeUp` (an L1 message L1 never queued, for users[0]) between two
 * transfers, under the state root its own blocks reach: the validator names it (`named`), challenges
 * it and wins at that tx (`reason`) against a sequencer that claims L1's inbox hash from it on.
 */
async function madeUpDerivedTx(
  t: Test,
  madeUp: (user: Address) => Tx,
  named: RegExp,
  reason: string,
  spend: bigint,
) {
  const { b, d, users, cfg, genesis, key, chain, seqGame } = await validatorRig(
    t,
    "validator-challenge-deposit",
  );
  await d.bridge.deposit(users[0].address, 5000n); // inbox message 0, the only one

  let nonce = 0;
  const transfer = (amount: bigint) =>
    signTx(
      { type: "transfer", from: users[0].address, nonce: nonce++, fee: 1n, to: users[1].address, amount },
      users[0].key,
      chain.domain,
    ) as Tx;
  const seal = (txs: Tx[], ts: number): Block => {
    for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
    return chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` }, key as Uint8Array).block;
  };
  const block1 = seal(
    [{ type: "deposit", depositId: 0n, recipient: users[0].address, amount: 5000n } as Tx, transfer(10n)],
    1000,
  );
  // a deposit L1 never queued, credited to users[0] and spent in the same block
  const block2 = seal([transfer(20n), madeUp(users[0].address), transfer(spend)], 2000);
  const post = (blocks: Block[]) => {
    const h = buildBatch(blocks);
    // the roots are the blocks' own: the lie is in the data, not in the state root
    return d.bridge.postBatch({
      firstBlock: BigInt(h.firstBlock),
      lastBlock: BigInt(h.lastBlock),
      stateRoot: h.stateRoot,
      withdrawalRoot: h.withdrawalRoot,
      txDataHash: h.txDataHash,
      cid: "0x01",
      txData: toHex(h.txData),
      inboxCount: 1n,
    });
  };
  await post([block1]);
  await post([block2]);

  const chClients = b.clients(1);
  const v = new Validator(chClients, cfg);
  await armChallenger(v, chClients, cfg);
  t.match(
    await v.step(),
    [
      { index: 0, ok: true },
      { index: 1, ok: false, reason: named },
    ],
    "the validator names the made-up derived tx",
  );

  // the lying sequencer defends its roots; C_n carries the inbox hash L1 recorded for batch 1
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    `acct/${a.toLowerCase()}`,
    { balance: bal, nonce: 0 },
  ]);
  const first = replayBatch(genesis, { state: start, inboxHash: toHex(ZERO32), lastTime: 0 }, [
    { header: block1.header, txs: block1.txs },
  ]);
  const truth = replayBatch(
    genesis,
    { state: first.finalState, inboxHash: first.finalInboxHash, lastTime: first.finalLastTime },
    [{ header: block2.header, txs: block2.txs }],
  );
  const recorded = (await d.bridge.getBatch(1n)).inboxHash;
  t.equal(recorded, first.finalInboxHash, "batch 1 consumed no inbox message on L1");
  t.not(truth.finalInboxHash, recorded, "its data rolls one in");
  const liar = sequencerLiars.inboxAsRecordedFrom(1, recorded)(
    truth,
    stepCommitment(
      fromHex(block2.header.stateRoot),
      messageChainOf(truth.messageLeaves.map(fromHex)),
      fromHex(recorded),
      0,
    ),
    truth.messageLeaves,
  );
  for (let i = 0; i < 40 && v.challenger?.outcome !== "won"; i++) {
    await v.step();
    if (v.challenger?.challengeId === null || v.challenger?.challengeId === undefined) continue;
    await sequencerMove(seqGame, v.challenger.challengeId, liar);
  }
  t.equal(v.challenger?.outcome, "won", "the validator's challenge removed the batch");
  t.equal(await d.bridge.batchCount(), 1n, "batch 1 is gone, batch 0 stays");
  t.same(await seqGame.resolution(0n), { challengerWon: true, reason }, "proven at the made-up tx");
  t.equal((await seqGame.getChallenge(0n)).lo, 1n, "the one-step ran on it (tx 1)");
}

t.test("the validator challenges a made-up deposit and wins through the inbox hash", (t) =>
  madeUpDerivedTx(
    t,
    (user) => ({ type: "deposit", depositId: 1n, recipient: user, amount: 10n ** 18n }) as Tx,
    /derives deposit 1 .*which no inbox message counted by the batch holds/,
    "tx executes to another state",
    10n ** 17n, // spends the made-up credit
  ),
);

t.test("the validator challenges a made-up stake change and wins: its message is not L1's next", (t) =>
  madeUpDerivedTx(
    t,
    // a worker L1 never saw staking, given stake on L2 (claimed as message 1; L1 holds only 0)
    (user) =>
      ({
        type: "workerStake",
        inboxIndex: 1n,
        worker: user,
        seq: 1n,
        active: 10n ** 18n,
        unbonding: 0n,
      }) as Tx,
    /derives workerStake naming inbox 1 .*which no inbox message counted by the batch holds/,
    "tx refused by the rules",
    30n,
  ),
);

t.test("the validator challenges a made-up slash that raises a stake and wins at it", async (t) => {
  const { b, d, users, cfg, genesis, key, chain, seqGame } = await validatorRig(
    t,
    "validator-challenge-slash",
  );

  let nonce = 0;
  const transfer = (amount: bigint) =>
    signTx(
      { type: "transfer", from: users[0].address, nonce: nonce++, fee: 1n, to: users[1].address, amount },
      users[0].key,
      chain.domain,
    ) as Tx;
  const honest = [transfer(10n), transfer(20n)];
  for (const tx of honest) chain.admit(tx, chain.txHash(tx), 1000);
  const sealed = chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` }, key as Uint8Array).block;
  // a slash L2's rule refuses (it raises a stake L2 never held: a worker given 5 ETH on L2 with no
  // L1 stake behind it), put between the two transfers by a lying sequencer that applies it
  const stored = { seq: 0n, active: 0n, unbonding: 0n, backing: 0 };
  const raise = slashLies.raising(users[1].address, stored, parseEther("5"));
  const lying = { ...sealed, txs: [honest[0], raise, honest[1]].map((x) => encodeTx(x)) } as Block;
  const blocks = [{ header: lying.header, txs: lying.txs }];
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    `acct/${a.toLowerCase()}`,
    { balance: bal, nonce: 0 },
  ]);
  const truth = replayBatch(genesis, { state: start, inboxHash: toHex(ZERO32), lastTime: 0 }, blocks);
  t.equal(truth.commitments[2], truth.commitments[1], "the replay refuses the slash");
  const lied = new Map(truth.finalState);
  slashLies.appliedAnyway(raise)(lied);
  const lieRoot = stateRootOf(lied);
  const h = buildBatch([lying]);
  await d.bridge.postBatch({
    firstBlock: BigInt(h.firstBlock),
    lastBlock: BigInt(h.lastBlock),
    stateRoot: lieRoot,
    withdrawalRoot: h.withdrawalRoot,
    txDataHash: h.txDataHash,
    cid: "0x01",
    txData: toHex(h.txData),
    inboxCount: 0n,
  });

  const chClients = b.clients(1);
  const v = new Validator(chClients, cfg);
  await armChallenger(v, chClients, cfg);
  t.match(await v.step(), [{ index: 0, ok: false }], "the validator names the batch bad");
  const liar = sequencerLiars.truthUntil(1)(truth, stepCommitment(fromHex(lieRoot), ZERO32, ZERO32, 0), []);
  for (let i = 0; i < 40 && v.challenger?.outcome !== "won"; i++) {
    await v.step();
    if (v.challenger?.challengeId === null || v.challenger?.challengeId === undefined) continue;
    await sequencerMove(seqGame, v.challenger.challengeId, liar);
  }
  t.equal(v.challenger?.outcome, "won", "the validator's challenge removed the batch");
  t.equal(await d.bridge.batchCount(), 0n, "the batch is gone");
  t.same(
    await seqGame.resolution(0n),
    { challengerWon: true, reason: "tx refused by the rules" },
    "proven at the slash",
  );
  t.equal((await seqGame.getChallenge(0n)).lo, 1n, "the one-step ran on the slash (tx 1)");
});
