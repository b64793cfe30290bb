/**
 * L1 costs and the embedded chain's speed: gas of every Bridge call the other subsystems make now
 * (withdrawal proofs at several tree depths), postBatch of real batch data (10, 100 and 1,000
 * signed L2 transfers from 50 senders in 10 blocks: the bytes, the gas, the gas per tx; the Bridge
 * hashes every tx of the data's tx section into the batch's txRoot), and how fast the embedded
 * chain serves eth_call and mines transfers (automine, one block per transaction, through viem as
 * clients use it).
 */
import { type Hex, parseEther } from "viem";
import type { BridgeContract } from "../bridge/bridge.ts";
import { EmbeddedChain } from "../bridge/chain/chain.ts";
import { embeddedL1Clients } from "../bridge/clients.ts";
import { deployBridge } from "../bridge/deploy.ts";
import { toHex, u32be } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import { signTx, type Tx } from "../protocol/tx.ts";
import { type Withdrawal, WithdrawalTree } from "../protocol/withdrawal.ts";
import { buildBatch } from "../sequencer/batch.ts";
import { batchDataHash, batchDataWithoutTxs } from "../sequencer/batch-data.ts";
import type { Block } from "../sequencer/block.ts";
import { Chain } from "../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../sequencer/config.ts";
import { devGenesis, devKeys } from "../sequencer/devkit.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const h32 = (n: number): Hex => toHex(sha256(u32be(n)));

async function gasOfBridgeCalls(chain: EmbeddedChain): Promise<Record<string, number>> {
  const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const d = await deployBridge(clients, {
    challengeWindow: 10n,
    unbondingDelay: 20n,
    minWorkerStake: 1n,
    challengerBond: 1n,
  });
  const bridge: BridgeContract = d.bridge;
  const gas: Record<string, number> = {};
  const deployReceipt = await clients.publicClient.getTransactionReceipt({ hash: d.txHash });
  gas.deploy = Number(deployReceipt.gasUsed);
  gas.deposit = Number((await bridge.deposit(chain.accounts[1].address, parseEther("100"))).receipt.gasUsed);
  gas.stake = Number((await bridge.stake(parseEther("1"))).receipt.gasUsed);
  gas.unbond = Number((await bridge.unbond(parseEther("0.5"))).receipt.gasUsed);
  gas.depositBond = Number((await bridge.depositBond(parseEther("1"))).receipt.gasUsed);
  gas.registerModel = Number(
    (
      await bridge.registerModel(
        {
          graphRoot: h32(1),
          weightsRoot: h32(2),
          outputRefsRoot: h32(3),
          inputRangesRoot: h32(4),
          nodeCount: 300,
          weightCount: 40,
          inputCount: 1,
          outputCount: 1,
        },
        `0x01551220${"ab".repeat(32)}`,
      )
    ).receipt.gasUsed,
  );
  let next = 1n;
  for (const n of [1, 16, 1024]) {
    const ws: Withdrawal[] = Array.from({ length: n }, (_, i) => ({
      recipient: chain.accounts[2].address,
      amount: 1000n + BigInt(i),
      l2TxHash: h32(10_000 * n + i),
    }));
    const tree = new WithdrawalTree(ws);
    const posted = await bridge.postBatch({
      firstBlock: next,
      lastBlock: next + 9n,
      stateRoot: h32(n),
      withdrawalRoot: tree.rootHex,
      txDataHash: batchDataHash(batchDataWithoutTxs(u32be(n + 1))),
      txData: toHex(batchDataWithoutTxs(u32be(n + 1))),
      cid: `0x01551220${"cd".repeat(32)}`,
      // every inbox message so far (the deposit, stake changes, the model): else it is overdue
      inboxCount: await bridge.inboxLength(),
      // a batch with timed txs states its last one's time (ms): a slot of its own in the record
      lastTime: (await clients.publicClient.getBlock()).timestamp * 1000n,
    });
    next += 10n;
    if (n === 1) gas.postBatch = Number(posted.receipt.gasUsed);
    chain.increaseTime(11);
    await chain.mine(1);
    const i = n - 1;
    const r = await bridge.proveWithdrawal({ batchIndex: posted.batchIndex, ...ws[i], ...tree.proof(i) });
    gas[`proveWithdrawal.leaves${n}`] = Number(r.receipt.gasUsed);
  }
  return gas;
}

/** Sealed L2 blocks holding `n` signed transfers from 50 senders, in 10 blocks. */
function transferBlocks(n: number): Block[] {
  const users = devKeys(50, "bench-l1-batch");
  const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 10n ** 18n) });
  const l2 = new Chain(genesis);
  l2.initGenesis();
  const blocks: Block[] = [];
  const nonces = new Array(users.length).fill(0);
  for (let b = 0; b < 10; b++) {
    for (let i = (b * n) / 10; i < ((b + 1) * n) / 10; i++) {
      const u = i % users.length;
      const to = users[(u + 1) % users.length].address;
      const tx = signTx(
        {
          type: "transfer",
          from: users[u].address,
          nonce: nonces[u]++,
          fee: 1n,
          to,
          amount: 1000n + BigInt(i),
        },
        users[u].key,
        l2.domain,
      ) as Tx;
      l2.admit(tx, l2.txHash(tx), 1_000 * (b + 1));
    }
    blocks.push(l2.seal({ number: 0, hash: `0x${"00".repeat(32)}` }, key as Uint8Array).block);
  }
  return blocks;
}

/** postBatch of batch data holding 10, 100 and 1,000 transfers: bytes, gas and gas per tx. */
async function postBatchOfTransfers(chain: EmbeddedChain): Promise<Record<string, number>> {
  const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[5].privateKey });
  const { bridge } = await deployBridge(clients, {
    challengeWindow: 10n,
    unbondingDelay: 20n,
    minWorkerStake: 1n,
    challengerBond: 1n,
  });
  const out: Record<string, number> = {};
  let next = 1n;
  for (const n of [10, 100, 1000]) {
    const batch = buildBatch(transferBlocks(n));
    const r = await bridge.postBatch({
      firstBlock: next,
      lastBlock: next + 9n,
      stateRoot: batch.stateRoot,
      withdrawalRoot: batch.withdrawalRoot,
      txDataHash: batch.txDataHash,
      txData: toHex(batch.txData),
      cid: `0x01551220${"cd".repeat(32)}`,
      inboxCount: 0n,
      lastTime: 0n,
    });
    next += 10n;
    out[`txs${n}.bytes`] = batch.txData.length;
    out[`txs${n}.gas`] = Number(r.receipt.gasUsed);
    out[`txs${n}.gasPerTx`] = Math.round(Number(r.receipt.gasUsed) / n);
  }
  return out;
}

async function chainSpeed(chain: EmbeddedChain): Promise<Record<string, number>> {
  const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[3].privateKey });
  const to = chain.accounts[4].address;
  const pub = clients.publicClient;
  for (let i = 0; i < 5; i++) await clients.walletClient!.sendTransaction({ to, value: 1n }); // warm-up
  const n = 100;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await clients.walletClient!.sendTransaction({ to, value: 1n, gas: 21000n });
  const minedPerS = n / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < n; i++) await pub.call({ to, data: "0x" });
  const callsPerS = n / ((performance.now() - t0) / 1000);
  return { transfersMinedPerS: minedPerS, ethCallsPerS: callsPerS };
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const chain = await EmbeddedChain.create();
  return {
    gas: await gasOfBridgeCalls(chain),
    postBatchOfTransfers: await postBatchOfTransfers(chain),
    embeddedChain: await chainSpeed(chain),
  };
}
