/**
 * `verdict validator --challenge-key` in process on the embedded chain: the real Validator reads
 * the batches from L1 (BatchPosted logs and their calldata), re-executes them, leaves the honest
 * batch alone and challenges the wrong-state-root one on its own, playing the honest challenger's
 * moves against a lying sequencer (test/helpers/adversary/batch-liars.ts) until the batch is
 * removed; against a sequencer that withholds its moves it ends the challenge by timeout.
 */
import t, { type Test } from "tap";
import { parseEther } from "viem";
import {
  BatchChallengeContract,
  deployBatchChallenge,
  sequencerMove,
} from "../../../bridge/batch-challenge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { signTx, type Tx } from "../../../protocol/tx.ts";
import { MessageTree } from "../../../protocol/withdrawal.ts";
import { buildBatch } from "../../../sequencer/batch.ts";
import { faultyRoots } from "../../../sequencer/batch-faults.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis, type SequencerConfig } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { messageChainOf, stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch } from "../../../sequencer/fault-proof/steps.ts";
import type { StateRecord } from "../../../sequencer/state/records.ts";
import { armChallenger, Validator } from "../../../sequencer/validator.ts";
import { sequencerLiars } from "../../helpers/adversary/batch-liars.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const WINDOW = 100n;
// longer than the window: a later batch's window ends while the earlier batch is still challenged
const CLOCK = 300n;

async function scenario(t: Test, withhold: boolean): Promise<void> {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const seqClients = b.clients(0);
  const d = await deployBridge(seqClients, {
    challengeWindow: WINDOW,
    unbondingDelay: 1200n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
  });
  const users = devKeys(2, "validator-challenge");
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
    genesisStateRoot: genesisRoot,
    sequencerBond: parseEther("1"),
    challengerBond: parseEther("0.1"),
    clock: CLOCK,
  });
  const seqGame = new BatchChallengeContract(seqClients, game.address);
  await seqGame.depositSequencerBond(parseEther("1"));
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
    const h = buildBatch(blocks);
    const roots = lie
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

  // the lying sequencer's answers for batch 1
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    `acct/${a.toLowerCase()}`,
    { balance: bal, nonce: 0 },
  ]);
  const before = replayBatch(genesis, start, [{ header: block1.header, txs: block1.txs }]).finalState;
  const truth = replayBatch(genesis, before, [{ header: block2.header, txs: block2.txs }]);
  const wrongRoot = faultyRoots(
    "wrong-state-root",
    { stateRoot: block2.header.stateRoot, messages: [], batchIndex: 1 },
    genesis.sequencer,
  ).stateRoot;
  const leaves = truth.messageLeaves;
  const liar = sequencerLiars.truthUntilLast(
    truth,
    stepCommitment(fromHex(wrongRoot), messageChainOf(leaves.map(fromHex))),
    leaves,
  );

  for (let i = 0; i < 40 && v.challenger?.outcome !== "won"; i++) {
    await v.step();
    if (v.challenger?.challengeId === null || v.challenger?.challengeId === undefined) continue;
    if (withhold) await b.increaseTime(Number(CLOCK) + 1);
    else await sequencerMove(seqGame, v.challenger.challengeId, liar);
  }
  t.equal(v.challenger?.outcome, "won", "the validator's challenge removed the bad batch");
  t.equal(await d.bridge.batchCount(), 1n, "batches 1 and 2 are gone, the honest batch 0 stays");
  await t.rejects(
    d.bridge.proveWithdrawal(claim),
    /UnknownBatch/,
    "the later batch's withdrawal is never paid from it",
  );
  t.equal(await seqGame.challengeCount(), 1n, "exactly one challenge: the honest batch was never challenged");
  const r = await seqGame.resolution(0n);
  t.equal(r?.reason, withhold ? "sequencer ran out of time" : "tx executes to another state");
  // the slashed sequencer posts nothing until it bonds again, then re-posts the honest chain
  await t.rejects(post([block2], false), /SequencerBondTooLow/, "no bond left after the slash");
  await seqGame.depositSequencerBond(parseEther("1"));
  await post([block2], false);
  t.equal(await d.bridge.batchCount(), 2n, "the honest batch 1 is re-posted");
}

t.test("the validator challenges a wrong state root and wins the bisection", (t) => scenario(t, false));
t.test("the validator ends a challenge the sequencer does not answer", (t) => scenario(t, true));
