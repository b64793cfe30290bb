/**
 * The Bridge contract end to end through the typed helpers (bridge/bridge.ts), on the embedded chain
 * AND on a real anvil node started here: stake and unbonding timing, challenger bonds, deposits and
 * their events, batch posting rights and contiguity, withdrawal proofs (valid pays once, replays and
 * bad proofs rejected), a re-entrant recipient, and model registration against the TS model id.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { type Address, encodeFunctionData, type Hex, parseEther, toFunctionSelector } from "viem";
import { type BridgeContract, BridgeRevert, type ModelRegistration } from "../../../bridge/bridge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { type BridgeParams, deployBridge } from "../../../bridge/deploy.ts";
import { bridgeAbi, bridgeBytecode } from "../../../contracts/artifacts/Bridge.ts";
import {
  reentrantRecipientAbi,
  reentrantRecipientBytecode,
} from "../../../contracts/artifacts/ReentrantRecipient.ts";
import { fromHex, toHex, u32be } from "../../../protocol/bytes.ts";
import { claimDomain, typedDataDigest, typesFor } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { type Withdrawal, WithdrawalTree, withdrawalLeaf } from "../../../protocol/withdrawal.ts";
import { modelIdFromParts } from "../../../prover-trace/commit/model.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { challengeGenesisOfConfig, DEVNET_L2_GENESIS } from "../../../sequencer/fault-proof/genesis.ts";
import { testClaim } from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const PARAMS: BridgeParams = {
  challengeWindow: 100n,
  unbondingDelay: 300n,
  minWorkerStake: parseEther("1"),
  challengerBond: parseEther("0.1"),
};

const SEQUENCER = 0;
const WORKER = 1;
const CHALLENGER = 2;
const DEPOSITOR = 3;
const RECIPIENT = 4;
const STRANGER = 5;

const h32 = (n: number): Hex => toHex(sha256(u32be(n)));
/** Batch data standing in for real blocks (the Bridge checks only its hash) and its commitment. */
const batchData = (n: number): { txData: Hex; txDataHash: Hex } => ({
  txData: toHex(batchDataWithoutTxs(u32be(n))),
  txDataHash: batchDataHash(batchDataWithoutTxs(u32be(n))),
});

async function rejectsWith(t: Test, p: Promise<unknown>, errorName: string, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.ok(err instanceof BridgeRevert, `${what}: a BridgeRevert`);
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}

interface Setup {
  bridge: BridgeContract;
  address: Address;
  as: (account: number) => BridgeContract;
  balance: (account: number) => Promise<bigint>;
  /** ETH spent on gas by the receipt's sender. */
  gasCost: (r: { receipt: { gasUsed: bigint; effectiveGasPrice: bigint } }) => bigint;
}

async function setup(b: L1Backend, params: BridgeParams = PARAMS): Promise<Setup> {
  const clients = b.clients(SEQUENCER);
  const d = await deployBridge(clients, params);
  return {
    bridge: d.bridge,
    address: d.address,
    as: (i) => d.bridge.as(b.wallet(i)),
    balance: (i) => clients.publicClient.getBalance({ address: b.accounts[i].address }),
    gasCost: (r) => r.receipt.gasUsed * r.receipt.effectiveGasPrice,
  };
}

async function scenarios(t: Test, b: L1Backend): Promise<void> {
  const addr = (i: number) => b.accounts[i].address;

  await t.test("constructor refuses an unbonding delay not above the challenge window", async (t) => {
    const w = b.wallet(SEQUENCER);
    // A constructor revert carries the raw error data: look for the custom error's selector.
    const selector = toFunctionSelector("UnbondingDelayNotAboveChallengeWindow(uint64,uint64)").slice(2);
    await t.rejects(
      w.deployContract({ abi: bridgeAbi, bytecode: bridgeBytecode, args: [addr(0), 100n, 100n, 1n, 1n] }),
      new RegExp(selector),
    );
    await t.rejects(
      deployBridge(b.clients(0), { ...PARAMS, unbondingDelay: 50n }),
      /must exceed the challenge window/,
    );
    // a batch challenge for an L2 genesis whose window outlasts L1's: claims would be final on L1
    // while L2 still takes disputes on them (bridge/params.ts challengeWindowConflict)
    await t.rejects(
      deployBridge(b.clients(0), {
        ...PARAMS,
        batchChallenge: challengeGenesisOfConfig({ ...DEVNET_L2_GENESIS, challengeWindowMs: 100_001 }),
      }),
      /challengeWindowMs 100001\) is longer than the Bridge's L1 challenge window \(100 s\)/,
    );
    const s = await setup(b);
    t.same(await s.bridge.config(), {
      sequencer: addr(SEQUENCER),
      challengeWindow: 100n,
      unbondingDelay: 300n,
      minWorkerStake: parseEther("1"),
      challengerBond: parseEther("0.1"),
    });
  });

  await t.test("worker stake: bonded, unbond waits the full delay, withdraw once", async (t) => {
    const s = await setup(b);
    const worker = s.as(WORKER);
    await rejectsWith(t, worker.stake(0n), "ZeroAmount", "stake 0");
    await worker.stake(parseEther("2"));
    t.ok(await s.bridge.isBondedWorker(addr(WORKER)));
    await rejectsWith(t, worker.unbond(parseEther("3")), "InsufficientStake", "unbond more than staked");
    await rejectsWith(t, worker.withdrawUnbonded(), "NothingUnbonding", "withdraw before unbond");
    const u = await worker.unbond(parseEther("1.5"));
    const block = await b.clients().publicClient.getBlock({ blockNumber: u.receipt.blockNumber });
    const st = await s.bridge.stakeOf(addr(WORKER));
    t.equal(st.active, parseEther("0.5"));
    t.equal(st.unbonding, parseEther("1.5"));
    t.equal(st.unlockAt, block.timestamp + 300n, "unlocks one unbonding delay later");
    t.notOk(await s.bridge.isBondedWorker(addr(WORKER)), "below the minimum stake");
    await rejectsWith(t, worker.withdrawUnbonded(), "StillUnbonding", "right after unbond");
    await b.increaseTime(200);
    await rejectsWith(
      t,
      worker.withdrawUnbonded(),
      "StillUnbonding",
      "after the challenge window, before the delay",
    );
    await b.increaseTime(150);
    const before = await s.balance(WORKER);
    const w = await worker.withdrawUnbonded();
    t.equal(await s.balance(WORKER), before + parseEther("1.5") - s.gasCost(w), "paid the unbonded stake");
    await rejectsWith(t, worker.withdrawUnbonded(), "NothingUnbonding", "second withdraw");
    t.equal((await s.bridge.stakeOf(addr(WORKER))).active, parseEther("0.5"), "active stake untouched");
  });

  await t.test("challenger bonds: deposit, withdraw what is free", async (t) => {
    const s = await setup(b);
    const ch = s.as(CHALLENGER);
    await ch.depositBond(parseEther("0.3"));
    t.same(await s.bridge.bondOf(addr(CHALLENGER)), { free: parseEther("0.3"), locked: 0n });
    await rejectsWith(t, ch.withdrawBond(parseEther("0.4")), "InsufficientFreeBond", "more than free");
    await rejectsWith(t, ch.withdrawBond(0n), "ZeroAmount", "zero");
    const before = await s.balance(CHALLENGER);
    const w = await ch.withdrawBond(parseEther("0.1"));
    t.equal(await s.balance(CHALLENGER), before + parseEther("0.1") - s.gasCost(w));
    t.equal((await s.bridge.bondOf(addr(CHALLENGER))).free, parseEther("0.2"));
  });

  await t.test("deposits emit Deposited with sequential ids", async (t) => {
    const s = await setup(b);
    const dep = s.as(DEPOSITOR);
    const l2a = addr(7);
    const l2b = addr(8);
    const d0 = await dep.deposit(l2a, parseEther("1"));
    const d1 = await dep.deposit(l2b, parseEther("2"));
    t.equal(d0.depositId, 0n);
    t.equal(d1.depositId, 1n);
    const events = await b.clients().publicClient.getContractEvents({
      address: s.address,
      abi: bridgeAbi,
      eventName: "Deposited",
      fromBlock: 0n,
    });
    t.same(
      events.map((e) => e.args),
      [
        { depositId: 0n, l2Recipient: l2a, amount: parseEther("1") },
        { depositId: 1n, l2Recipient: l2b, amount: parseEther("2") },
      ],
    );
    t.equal(await s.bridge.depositCount(), 2n);
    // Concurrent sends from one account get consecutive nonces (per-wallet nonce manager).
    const burst = await Promise.all([1n, 2n, 3n, 4n].map((v) => dep.deposit(l2a, v)));
    t.same(
      burst.map((r) => r.depositId).sort((x, y) => Number(x - y)),
      [2n, 3n, 4n, 5n],
      "four concurrent deposits all land",
    );
    t.equal(await s.bridge.bridgedBalance(), parseEther("3") + 10n);
    await rejectsWith(t, dep.deposit(l2a, 0n), "ZeroAmount", "empty deposit");
    const broke = s.bridge.as(walletClientFor(b.clients(), `0x${"42".repeat(32)}`));
    await t.rejects(
      broke.deposit(l2a, 1n),
      /Bridge.deposit failed: .*insufficient funds/i,
      "an account without ETH",
    );
    await rejectsWith(
      t,
      dep.deposit("0x0000000000000000000000000000000000000000", 1n),
      "ZeroAddress",
      "to address 0",
    );
  });

  await t.test("batches: only the sequencer, contiguous, final after the challenge window", async (t) => {
    const s = await setup(b);
    const batch = {
      firstBlock: 1n,
      lastBlock: 10n,
      stateRoot: h32(1),
      withdrawalRoot: h32(2),
      ...batchData(3),
      cid: "0x01551220aa" as Hex,
    };
    await rejectsWith(t, s.as(STRANGER).postBatch(batch), "NotSequencer", "a stranger posts");
    await rejectsWith(
      t,
      s.bridge.postBatch({ ...batch, lastBlock: 0n }),
      "InvalidBlockRange",
      "last < first",
    );
    await rejectsWith(
      t,
      s.bridge.postBatch({ ...batch, txData: batchData(4).txData }),
      "BatchDataMismatch",
      "data that does not hash to the batch's txDataHash",
    );
    await rejectsWith(t, s.bridge.postBatch({ ...batch, txData: "0x" }), "EmptyBatchData", "no data");
    // the batch's last timed tx may not be stamped after the L1 block that takes it
    const l1Ms = (await b.clients().publicClient.getBlock()).timestamp * 1000n;
    await rejectsWith(
      t,
      s.bridge.postBatch({ ...batch, lastTime: l1Ms + 3_600_000n }),
      "LastTimeAhead",
      "a lastTime an hour after L1's time",
    );
    t.equal(await s.bridge.batchCount(), 0n, "nothing posted by the refused calls");
    const p0 = await s.bridge.postBatch(batch);
    t.equal(p0.batchIndex, 0n);
    const [ev] = await b.clients().publicClient.getContractEvents({
      address: s.address,
      abi: bridgeAbi,
      eventName: "BatchPosted",
      fromBlock: 0n,
    });
    const { txData: _data, ...committed } = batch;
    t.same(ev.args, { batchIndex: 0n, ...committed });
    await rejectsWith(
      t,
      s.bridge.postBatch({ ...batch, firstBlock: 12n, lastBlock: 20n }),
      "NonContiguousBatch",
      "gap",
    );
    await rejectsWith(
      t,
      s.bridge.postBatch({ ...batch, firstBlock: 10n, lastBlock: 20n }),
      "NonContiguousBatch",
      "overlap",
    );
    const p1 = await s.bridge.postBatch({
      ...batch,
      firstBlock: 11n,
      lastBlock: 11n,
      cid: "0x",
      lastTime: l1Ms,
    });
    t.equal(p1.batchIndex, 1n);
    t.equal(
      (await s.bridge.getBatch(1n)).lastTime,
      l1Ms,
      "the stated lastTime (L1's time, not above it) is recorded",
    );
    t.equal(await s.bridge.batchCount(), 2n);
    const stored = await s.bridge.getBatch(0n);
    t.equal(stored.stateRoot, batch.stateRoot);
    t.equal(stored.withdrawalRoot, batch.withdrawalRoot);
    t.equal(stored.lastBlock, 10n);
    t.notOk(await s.bridge.isBatchFinalized(0n), "not final when posted");
    await b.increaseTime(101);
    t.ok(await s.bridge.isBatchFinalized(0n), "final after the window");
    await t.rejects(s.bridge.getBatch(5n), /UnknownBatch/);
  });

  await t.test("withdrawals: valid pays once, replay and bad proofs rejected", async (t) => {
    const s = await setup(b);
    await s.as(DEPOSITOR).deposit(addr(DEPOSITOR), parseEther("10"));
    const ws: Withdrawal[] = [
      { recipient: addr(RECIPIENT), amount: parseEther("1"), l2TxHash: h32(100) },
      { recipient: addr(STRANGER), amount: parseEther("2"), l2TxHash: h32(101) },
      { recipient: addr(RECIPIENT), amount: parseEther("0.5"), l2TxHash: h32(102) },
    ];
    const tree = new WithdrawalTree(ws);
    const { batchIndex } = await s.bridge.postBatch({
      firstBlock: 1n,
      lastBlock: 5n,
      stateRoot: h32(9),
      withdrawalRoot: tree.rootHex,
      ...batchData(10),
      cid: "0x",
      inboxCount: 1n, // the deposit above (inbox message 0)
    });
    const claim = (i: number) => ({ batchIndex, ...ws[i], ...tree.proof(i) });
    const relayer = s.as(STRANGER);
    await rejectsWith(t, relayer.proveWithdrawal(claim(0)), "BatchNotFinalized", "before the window closes");
    await b.increaseTime(101);

    const before = await s.balance(RECIPIENT);
    await relayer.proveWithdrawal(claim(0));
    t.equal(await s.balance(RECIPIENT), before + parseEther("1"), "the recipient is paid, whoever relays");
    t.ok(await s.bridge.withdrawalClaimed(toHex(withdrawalLeaf(ws[0]))));
    await rejectsWith(t, relayer.proveWithdrawal(claim(0)), "WithdrawalAlreadyClaimed", "replay");
    const p = tree.proof(0);
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(0), leafCount: 4, proof: p.proof }),
      "WithdrawalAlreadyClaimed",
      "replay at another leaf count",
    );

    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), amount: parseEther("3") }),
      "InvalidWithdrawalProof",
      "amount raised",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), recipient: addr(RECIPIENT) }),
      "InvalidWithdrawalProof",
      "recipient swapped",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), leafIndex: 2 }),
      "InvalidWithdrawalProof",
      "wrong index",
    );
    const badSibling = [...claim(1).proof];
    badSibling[0] = h32(555);
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), proof: badSibling }),
      "InvalidWithdrawalProof",
      "sibling changed",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), proof: claim(1).proof.slice(1) }),
      "ProofLengthMismatch",
      "short proof",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), leafIndex: 3 }),
      "LeafIndexOutOfRange",
      "index >= count",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), leafCount: 0 }),
      "LeafIndexOutOfRange",
      "zero leaves",
    );
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ ...claim(1), batchIndex: 7n }),
      "UnknownBatch",
      "unknown batch",
    );

    const strangerBefore = await s.balance(RECIPIENT);
    await relayer.proveWithdrawal(claim(2));
    t.equal(await s.balance(RECIPIENT), strangerBefore + parseEther("0.5"));
    t.equal(await s.bridge.bridgedBalance(), parseEther("8.5"));

    // A withdrawal root promising more than was ever deposited cannot drain stakes or bonds.
    await s.as(WORKER).stake(parseEther("5"));
    const greedy = new WithdrawalTree([
      { recipient: addr(STRANGER), amount: parseEther("12"), l2TxHash: h32(200) },
    ]);
    const g = await s.bridge.postBatch({
      firstBlock: 6n,
      lastBlock: 6n,
      stateRoot: h32(11),
      withdrawalRoot: greedy.rootHex,
      ...batchData(12),
      cid: "0x",
      inboxCount: 1n, // no new inbox message since batch 0
    });
    await b.increaseTime(101);
    await rejectsWith(
      t,
      relayer.proveWithdrawal({ batchIndex: g.batchIndex, ...greedy.withdrawals[0], ...greedy.proof(0) }),
      "InsufficientBridgedBalance",
      "more than bridged",
    );
  });

  await t.test("a re-entrant recipient cannot withdraw twice in one payout", async (t) => {
    const s = await setup(b);
    const c = b.clients(STRANGER);
    const hash = await c.walletClient!.deployContract({
      abi: reentrantRecipientAbi,
      bytecode: reentrantRecipientBytecode,
      args: [s.address],
    });
    const attacker = (await c.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
    await s.as(DEPOSITOR).deposit(addr(DEPOSITOR), parseEther("5"));
    const ws: Withdrawal[] = [
      { recipient: attacker, amount: parseEther("1"), l2TxHash: h32(300) },
      { recipient: attacker, amount: parseEther("1"), l2TxHash: h32(301) },
    ];
    const tree = new WithdrawalTree(ws);
    const { batchIndex } = await s.bridge.postBatch({
      firstBlock: 1n,
      lastBlock: 1n,
      stateRoot: h32(1),
      withdrawalRoot: tree.rootHex,
      ...batchData(2),
      cid: "0x",
    });
    await b.increaseTime(101);
    const args = (i: number) => {
      const p = tree.proof(i);
      return [
        batchIndex,
        ws[i].recipient,
        ws[i].amount,
        ws[i].l2TxHash,
        BigInt(p.leafIndex),
        BigInt(p.leafCount),
        p.proof,
      ] as const;
    };
    const read = <F extends "received" | "reentrySucceeded" | "reentryError" | "attempted">(
      functionName: F,
    ) => c.publicClient.readContract({ address: attacker, abi: reentrantRecipientAbi, functionName });
    const arm = async (data: Hex, revertOnBlocked: boolean) => {
      const h = await c.walletClient!.writeContract({
        address: attacker,
        abi: reentrantRecipientAbi,
        functionName: "arm",
        args: [data, revertOnBlocked],
      });
      await c.publicClient.waitForTransactionReceipt({ hash: h });
    };

    // 1. While being paid leaf 0, the recipient re-enters to claim leaf 1: the guard stops it.
    await arm(encodeFunctionData({ abi: bridgeAbi, functionName: "proveWithdrawal", args: args(1) }), false);
    await s.as(STRANGER).proveWithdrawal({ batchIndex, ...ws[0], ...tree.proof(0) });
    t.ok(await read("attempted"), "the recipient tried to re-enter");
    t.notOk(await read("reentrySucceeded"), "re-entry failed");
    t.equal((await read("reentryError")).slice(0, 10), "0x3ee5aeb5", "with ReentrancyGuardReentrantCall()");
    t.equal(await read("received"), parseEther("1"), "paid exactly once");
    t.notOk(await s.bridge.withdrawalClaimed(toHex(withdrawalLeaf(ws[1]))), "leaf 1 still unclaimed");

    // 2. A recipient that reverts when its re-entry is blocked makes its own payout fail, nothing else.
    await arm(encodeFunctionData({ abi: bridgeAbi, functionName: "proveWithdrawal", args: args(0) }), true);
    await rejectsWith(
      t,
      s.as(STRANGER).proveWithdrawal({ batchIndex, ...ws[1], ...tree.proof(1) }),
      "TransferFailed",
      "payout reverted",
    );
    t.notOk(await s.bridge.withdrawalClaimed(toHex(withdrawalLeaf(ws[1]))), "nothing recorded");
    t.equal(await s.bridge.bridgedBalance(), parseEther("4"), "balance as after the first payout");
    const onChain = await c.publicClient.getBalance({ address: s.address });
    t.equal(onChain, parseEther("4"), "the contract still holds the rest");
  });

  await t.test("claims: the contract recovers the worker from its EIP-712 signature", async (t) => {
    const s = await setup(b);
    const chainId = BigInt(await b.clients().publicClient.getChainId());
    const claim = testClaim(b, {
      jobId: h32(60),
      modelId: h32(61),
      inputRoot: h32(62),
      outputRoot: h32(63),
      traceRoot: h32(64),
    });
    const worker = b.wallet(WORKER);
    const sign = (domain: ReturnType<typeof claimDomain>) =>
      worker.signTypedData({
        domain: { ...domain, chainId: Number(domain.chainId) },
        types: typesFor("Claim"),
        primaryType: "Claim",
        message: claim,
      } as unknown as Parameters<typeof worker.signTypedData>[0]);
    const domain = claimDomain(chainId, s.address);
    t.equal(
      await s.bridge.claimDigest(claim),
      toHex(typedDataDigest(domain, "Claim", { ...claim })),
      "digest as protocol/eip712.ts",
    );
    const sig = await sign(domain);
    t.equal(await s.bridge.claimSigner(claim, sig), addr(WORKER), "recovers the worker");
    // a signature over anything else recovers another key than claim.worker: refused by name
    const tampered = { ...claim, outputRoot: h32(65) };
    await t.rejects(
      s.bridge.claimSigner(tampered, sig),
      /ClaimSignerNotWorker/,
      "another claim, another signer",
    );
    const otherChain = await sign(claimDomain(chainId + 1n, s.address));
    await t.rejects(
      s.bridge.claimSigner(claim, otherChain),
      /ClaimSignerNotWorker/,
      "a signature for another chain does not count",
    );
    const otherBridge = await sign(claimDomain(chainId, addr(STRANGER)));
    await t.rejects(
      s.bridge.claimSigner(claim, otherBridge),
      /ClaimSignerNotWorker/,
      "nor one for another contract",
    );
    await t.rejects(s.bridge.claimSigner(claim, "0x1234"), /SignatureLength/);
  });

  await t.test("model registry: id matches the TS model id, bad input named", async (t) => {
    const s = await setup(b);
    const cidBytes = fromHex(`0x01551220${"cd".repeat(32)}`);
    const m: ModelRegistration = {
      graphRoot: h32(40),
      weightsRoot: h32(41),
      outputRefsRoot: h32(42),
      inputRangesRoot: h32(44),
      nodeCount: 123,
      weightCount: 17,
      inputCount: 1,
      outputCount: 2,
    };
    const reg = await s.as(STRANGER).registerModel(m, cidBytes);
    const expected = toHex(
      modelIdFromParts({
        ...m,
        graphRoot: fromHex(m.graphRoot),
        weightsRoot: fromHex(m.weightsRoot),
        outputRefsRoot: fromHex(m.outputRefsRoot),
        inputRangesRoot: fromHex(m.inputRangesRoot),
        cidBytes,
      }),
    );
    t.equal(reg.modelId, expected, "modelId = sha256(0x4d || four roots || counts || cid), as in TS");
    t.ok(await s.bridge.isModelRegistered(expected));
    const stored = await s.bridge.getModel(expected);
    t.match(stored, { ...m, registrant: addr(STRANGER) });
    await rejectsWith(t, s.bridge.registerModel(m, cidBytes), "ModelAlreadyRegistered", "twice");
    const other = await s.bridge.registerModel({ ...m, nodeCount: 124 }, cidBytes);
    t.not(other.modelId, expected, "the counts are part of the id");
    const otherRefs = await s.bridge.registerModel({ ...m, outputRefsRoot: h32(43) }, cidBytes);
    t.not(otherRefs.modelId, expected, "the output refs are part of the id");
    t.equal((await s.bridge.getModel(otherRefs.modelId)).outputRefsRoot, h32(43), "and stored");
    const otherRanges = await s.bridge.registerModel({ ...m, inputRangesRoot: h32(45) }, cidBytes);
    t.not(otherRanges.modelId, expected, "the input ranges are part of the id");
    t.equal((await s.bridge.getModel(otherRanges.modelId)).inputRangesRoot, h32(45), "and stored");
    await rejectsWith(t, s.bridge.registerModel(m, "0x"), "InvalidCid", "empty CID");
    await rejectsWith(t, s.bridge.registerModel(m, "0x00551220ab"), "InvalidCid", "not CIDv1");
    await rejectsWith(
      t,
      s.bridge.registerModel(m, toHex(new Uint8Array(129).fill(1))),
      "InvalidCid",
      "too long",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, graphRoot: toHex(new Uint8Array(32)) }, cidBytes),
      "EmptyGraphRoot",
      "zero graph",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, outputRefsRoot: toHex(new Uint8Array(32)) }, cidBytes),
      "EmptyOutputRefsRoot",
      "zero output refs",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, inputRangesRoot: toHex(new Uint8Array(32)) }, cidBytes),
      "EmptyInputRangesRoot",
      "zero input ranges",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, nodeCount: 0 }, cidBytes),
      "InvalidModelCounts",
      "no nodes",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, outputCount: 0 }, cidBytes),
      "InvalidModelCounts",
      "no outputs",
    );
    await rejectsWith(
      t,
      s.bridge.registerModel({ ...m, weightCount: 0 }, cidBytes),
      "WeightsRootCountMismatch",
      "weights without count",
    );
    // The reference model of test/vectors/model.json (npm run vectors) gets the vector's model id.
    const v = JSON.parse(readFileSync(join(import.meta.dirname, "../../vectors/model.json"), "utf8")).model;
    const vreg = await s.bridge.registerModel(
      {
        graphRoot: v.graphRoot,
        weightsRoot: v.weightsRoot,
        outputRefsRoot: v.outputRefsRoot,
        inputRangesRoot: v.inputRangesRoot,
        nodeCount: v.nodeCount,
        weightCount: v.weightCount,
        inputCount: v.inputCount,
        outputCount: v.outputCount,
      },
      v.cidBytes,
    );
    t.equal(vreg.modelId, v.modelId, `model id of ${v.name} as in test/vectors/model.json`);
    const noWeights = await s.bridge.registerModel(
      { ...m, weightsRoot: toHex(new Uint8Array(32)), weightCount: 0 },
      cidBytes,
    );
    t.ok(await s.bridge.isModelRegistered(noWeights.modelId), "a model without initializers");
  });
}

t.test("embedded chain", async (t) => {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b);
});

t.test("anvil", async (t) => {
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenarios(t, b);
});
