/**
 * The Batcher waits for its batches to be `confirmations` deep on L1 and posts a batch again when
 * L1 lost it: a reorg (evm_snapshot / evm_revert) drops the postBatch tx, a postBatch whose
 * answer was lost still landed (no second copy), a batch on L1 the node never recorded is adopted.
 * The real Bridge, on the embedded chain and on anvil.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { createTestClient, type Hex, parseEther } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import { Batcher, type BatchPoster, buildBatch } from "../../../sequencer/batch.ts";
import { bridgeBatchView } from "../../../sequencer/batch-l1.ts";
import type { Block } from "../../../sequencer/block.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import type { L1Source } from "../../../sequencer/l1.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const users = devKeys(2, "batch-confirm");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 10_000n) });
const domain = { name: "Verdict", version: "1", chainId: genesis.l2ChainId };
const cidOf = async (d: Uint8Array) => toHex((await fileCid(d)).bytes) as Hex;

async function l2(t: Test, l1?: L1Source) {
  const d = mkdtempSync(join(tmpdir(), "verdict-batchconf-"));
  const node = await SequencerNode.open({
    dataDir: d,
    genesis,
    sequencerKey: key ?? undefined,
    verifyWorkers: 0,
    l1,
  });
  t.teardown(async () => {
    await node.close();
    rmSync(d, { recursive: true, force: true });
  });
  let nonce = 0;
  /** Seal `n` blocks with one transfer each. */
  const blocks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const tx = signTx(
        {
          type: "transfer",
          from: users[0].address,
          nonce: nonce++,
          fee: 0n,
          to: users[1].address,
          amount: 1n,
        },
        users[0].key,
        domain,
      );
      await node.submit(encodeTx(tx as UserTx));
      await node.sealNow();
    }
  };
  return { node, blocks };
}

async function scenarios(t: Test, b: L1Backend) {
  /** A Bridge of its own for each scenario: its first batch may start at any block. */
  const freshBridge = async () =>
    (
      await deployBridge(b.clients(0), {
        challengeWindow: 100n,
        unbondingDelay: 10_000n,
        minWorkerStake: parseEther("1"),
        challengerBond: parseEther("0.1"),
        disputeClock: 600n,
      })
    ).bridge;
  const clients = b.clients(0);
  const test = createTestClient({ mode: "anvil", chain: clients.chain, transport: clients.transport });

  await t.test(
    "a batch refused for leaving an overdue inbox message out is rebuilt up to the head",
    async (t) => {
      const bridge = await freshBridge();
      const follower = new BridgeFollower(clients, { bridge: bridge.address, confirmations: 0 });
      const { node, blocks } = await l2(t, follower);
      await blocks(1);
      await bridge.deposit(users[1].address, 5n);
      await b.increaseTime(101); // the deposit is now older than forcedInclusionDelay (100 s)
      const batcher = new Batcher(node, bridge, { cidOf, l1: bridgeBatchView(bridge), confirmations: 0 });
      t.equal(await batcher.postOnce(), null, "block 1 alone (origin before the deposit) is refused");
      t.same(await batcher.posted(), [], "and its record dropped");
      t.equal(await bridge.batchCount(), 0n);
      await node.sealNow(); // derives the deposit
      const rec = await batcher.postOnce();
      t.match(
        rec,
        { index: 0, firstBlock: 1, lastBlock: 2, inboxCount: 1 },
        "the next batch reaches the deposit",
      );
      t.equal((await bridge.getBatch(0n)).inboxCount, 1n, "L1 holds it, counting the deposit");
    },
  );

  await t.test("a batch reorged out of L1 is posted again, and is confirmed only when deep", async (t) => {
    const bridge = await freshBridge();
    const onL1 = async () => Number(await bridge.batchCount());
    const { node, blocks } = await l2(t);
    const batcher = new Batcher(node, bridge, { cidOf, l1: bridgeBatchView(bridge), confirmations: 2 });
    await blocks(3);
    const snap = await test.snapshot();
    const first = await batcher.postOnce();
    t.match(first, { index: 0, status: "sent", posts: 1, firstBlock: 1, lastBlock: 3 });
    t.match(first?.l1TxHash, /^0x[0-9a-f]{64}$/);
    t.equal(await onL1(), 1, "on L1");
    await blocks(2);
    t.equal(await batcher.postOnce(), null, "0 blocks deep: waits, and posts nothing after it");
    await b.mine(1);
    t.equal(await batcher.postOnce(), null, "1 block deep: still waits");
    t.equal((await batcher.confirmed()).length, 0);

    await test.revert({ id: snap }); // the reorg: the postBatch tx is gone
    t.equal(await onL1(), 0, "L1 lost the batch");
    await b.mine(3);
    const again = await batcher.postOnce();
    t.match(again, { index: 0, status: "sent", posts: 2, firstBlock: 1, lastBlock: 3 }, "same batch again");
    t.not(again?.l1TxHash, first?.l1TxHash);
    const held = await bridge.getBatch(0n);
    t.equal(held.stateRoot, first?.stateRoot, "L1 holds the same roots");
    t.equal(held.lastBlock, 3n);
    await b.mine(1);
    t.equal(await batcher.postOnce(), null, "not deep enough yet");
    await b.mine(1);
    const next = await batcher.postOnce();
    t.match((await batcher.posted())[0], { status: "confirmed" }, "batch 0 confirmed at depth 2");
    t.match(next, { index: 1, status: "sent", firstBlock: 4, lastBlock: 5 }, "then the next range");
    t.equal(await onL1(), 2);
    // what keeps reposting idempotent: the Bridge takes only the block after the last batch
    await t.rejects(
      bridge.postBatch({
        firstBlock: 4n,
        lastBlock: 5n,
        stateRoot: next?.stateRoot as Hex,
        withdrawalRoot: next?.withdrawalRoot as Hex,
        txDataHash: next?.txDataHash as Hex,
        cid: next?.cid as Hex,
        txData: toHex(buildBatch([(await node.block(4)) as Block, (await node.block(5)) as Block]).txData),
      }),
      /NonContiguousBatch/,
    );
    await b.mine(2);
    t.equal(await batcher.postOnce(), null, "batch 1 confirmed, nothing new");
    t.same(
      (await batcher.confirmed()).map((x) => [x.index, x.posts]),
      [
        [0, 2],
        [1, 1],
      ],
    );
  });

  await t.test("batches on L1 that are not this node's are refused, never posted over", async (t) => {
    const other = await freshBridge();
    const a = await l2(t);
    const me = await l2(t);
    await a.blocks(2);
    await me.blocks(3);
    // node a's batch: the same txs as this node's, sealed at other times
    const data = buildBatch([(await a.node.block(1)) as Block, (await a.node.block(2)) as Block]);
    await other.postBatch({
      firstBlock: 1n,
      lastBlock: 2n,
      stateRoot: data.stateRoot,
      withdrawalRoot: data.withdrawalRoot,
      txDataHash: data.txDataHash,
      cid: await cidOf(data.txData),
      txData: toHex(data.txData),
    });
    let sends = 0;
    const counting: BatchPoster = {
      postBatch: (args) => {
        sends++;
        return other.postBatch(args);
      },
    };
    const batcher = new Batcher(me.node, counting, { cidOf, l1: bridgeBatchView(other), confirmations: 1 });
    await t.rejects(batcher.postOnce(), /L1 holds batch 0, which this node did not post: txDataHash/);
    t.equal(sends, 0);
    t.same(await batcher.posted(), []);
  });

  await t.test("a lost answer; a batch on L1 the node never recorded is adopted", async (t) => {
    const dep2 = { bridge: await freshBridge() };
    const { node, blocks } = await l2(t);
    await blocks(2);
    // adopted: an earlier run sent blocks 1..2 and crashed before recording it
    const data = buildBatch([(await node.block(1)) as Block, (await node.block(2)) as Block]);
    await dep2.bridge.postBatch({
      firstBlock: 1n,
      lastBlock: 2n,
      stateRoot: data.stateRoot,
      withdrawalRoot: data.withdrawalRoot,
      txDataHash: data.txDataHash,
      cid: await cidOf(data.txData),
      txData: toHex(data.txData),
    });
    let sends = 0;
    let lose = true;
    const lossy: BatchPoster = {
      async postBatch(args) {
        sends++;
        const r = await dep2.bridge.postBatch(args);
        if (lose) {
          lose = false;
          throw new Error("connection reset after sending");
        }
        return r;
      },
    };
    const batcher = new Batcher(node, lossy, { cidOf, l1: bridgeBatchView(dep2.bridge), confirmations: 1 });
    t.equal(await batcher.postOnce(), null, "batch 0 adopted, waiting for its depth");
    t.match((await batcher.posted())[0], { index: 0, status: "sent", firstBlock: 1, lastBlock: 2 });
    t.equal(sends, 0, "not posted again");
    await blocks(2);
    await b.mine(1);
    await t.rejects(batcher.postOnce(), /connection reset after sending/, "batch 1 sent, answer lost");
    t.equal(Number(await dep2.bridge.batchCount()), 2, "but it landed");
    t.match((await batcher.posted())[1], { index: 1, status: "sent", posts: 1, l1TxHash: null });
    t.equal(await batcher.postOnce(), null, "found on L1: waits for depth instead of posting again");
    await b.mine(1);
    t.equal(await batcher.postOnce(), null, "confirmed; nothing new");
    t.same(
      (await batcher.confirmed()).map((x) => [x.index, x.firstBlock, x.lastBlock]),
      [
        [0, 1, 2],
        [1, 3, 4],
      ],
    );
    t.equal(sends, 1, "one postBatch for batch 1");
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
