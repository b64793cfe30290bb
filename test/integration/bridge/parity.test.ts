/**
 * The embedded chain executes like a real node: the same Bridge calls use exactly the same gas on
 * the embedded chain (ethereumjs) and on anvil (revm), deployment included, so gas figures measured
 * in-process hold on a real chain.
 */
import t from "tap";
import { type Hex, parseEther, toHex } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { WithdrawalTree } from "../../../protocol/withdrawal.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

async function gasTrace(b: L1Backend): Promise<Record<string, bigint>> {
  const d = await deployBridge(b.clients(0));
  const pub = b.clients().publicClient;
  const ws = Array.from({ length: 16 }, (_, i) => ({
    recipient: b.accounts[2].address,
    amount: 1n + BigInt(i),
    l2TxHash: `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex,
  }));
  const tree = new WithdrawalTree(ws);
  const gas: Record<string, bigint> = {};
  gas.deploy = (await pub.getTransactionReceipt({ hash: d.txHash })).gasUsed;
  gas.deposit = (await d.bridge.deposit(b.accounts[1].address, parseEther("1"))).receipt.gasUsed;
  gas.stake = (await d.bridge.stake(parseEther("1"))).receipt.gasUsed;
  gas.registerModel = (
    await d.bridge.registerModel(
      {
        graphRoot: `0x${"33".repeat(32)}`,
        weightsRoot: `0x${"44".repeat(32)}`,
        outputRefsRoot: `0x${"66".repeat(32)}`,
        inputRangesRoot: `0x${"77".repeat(32)}`,
        nodeCount: 9,
        weightCount: 2,
        inputCount: 1,
        outputCount: 1,
      },
      `0x01551220${"55".repeat(32)}`,
    )
  ).receipt.gasUsed;
  gas.postBatch = (
    await d.bridge.postBatch({
      firstBlock: 1n,
      lastBlock: 2n,
      stateRoot: `0x${"11".repeat(32)}`,
      withdrawalRoot: tree.rootHex,
      // data with no tx: the Bridge checks the data against its hash and frames its tx section
      txDataHash: batchDataHash(batchDataWithoutTxs()),
      txData: toHex(batchDataWithoutTxs()),
      cid: "0x",
    })
  ).receipt.gasUsed;
  await b.increaseTime(200);
  gas.proveWithdrawal = (
    await d.bridge.proveWithdrawal({ batchIndex: 0n, ...ws[5], ...tree.proof(5) })
  ).receipt.gasUsed;
  return gas;
}

t.test("same gas on the embedded chain and on anvil", async (t) => {
  const embedded = await embeddedBackend();
  t.teardown(() => embedded.close());
  const anvil = await anvilBackend();
  t.teardown(() => anvil.close());
  const a = await gasTrace(embedded);
  const b = await gasTrace(anvil);
  t.same(a, b);
  t.ok(a.proveWithdrawal > 21_000n && a.deploy > 1_000_000n, "real executions, not empty calls");
});
