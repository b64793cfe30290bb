/**
 * bridge/follower.ts: Deposited events become L2 deposit txs (and StakeChanged workerStake txs),
 * only once `confirmations` blocks sit
 * on top, in log order, across getLogs range chunks, with the origin's real block hash; on the
 * embedded chain and on anvil. ModelRegistered becomes a modelRegistered tx naming the Bridge's
 * model id, registrant and file CID (embedded chain).
 */
import t, { type Test } from "tap";
import { type Hex, parseEther, parseEventLogs } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { ZERO32 } from "../../../protocol/merkle.ts";
import { inboxHashAfter, inboxMessageHash } from "../../../sequencer/fault-proof/encoding.ts";
import { anvilBackend, embeddedBackend, type L1Backend, placeholderModel } from "../../helpers/l1.ts";
import { cidHexOf } from "../../helpers/registered-model.ts";

async function scenario(t: Test, b: L1Backend): Promise<void> {
  const clients = b.clients(0);
  const d = await deployBridge(clients);
  const startBlock = Number(d.blockNumber);
  const follower = new BridgeFollower(clients, {
    bridge: d.address,
    confirmations: 2,
    startBlock,
    maxRange: 2,
  });
  const depositor = d.bridge.as(b.wallet(3));
  const r1 = b.accounts[7].address;
  const r2 = b.accounts[8].address;
  await depositor.deposit(r1, parseEther("1"));
  await depositor.deposit(r2, parseEther("2"));
  await d.bridge.stake(parseEther("1")); // a stake change: L2 derives it (collateral per claim)
  await depositor.deposit(r1, parseEther("3"));
  const tip = Number(await clients.publicClient.getBlockNumber({ cacheTime: 0 }));

  const first = await follower.derive(startBlock);
  t.equal(first.origin.number, tip - 2, "stops `confirmations` blocks below the tip");
  t.same(
    first.txs.map((x) => (x.type === "deposit" ? [x.depositId, x.recipient, x.amount] : x.type)),
    [
      [0n, r1, parseEther("1")],
      [1n, r2, parseEther("2")],
    ],
    "the two confirmed deposits, in order",
  );
  const block = await clients.publicClient.getBlock({ blockNumber: BigInt(first.origin.number) });
  t.equal(first.origin.hash, block.hash, "origin carries the block hash");

  const idle = await follower.derive(first.origin.number);
  t.same(idle, { origin: first.origin, txs: [] }, "nothing new until more blocks");

  await b.mine(2);
  const second = await follower.derive(first.origin.number);
  t.equal(second.origin.number, tip);
  t.same(
    second.txs.map((x) => (x.type === "deposit" ? x.depositId : x)),
    [
      {
        type: "workerStake",
        inboxIndex: 2n, // after deposits 0 and 1: a stake change is an inbox message
        worker: b.accounts[0].address.toLowerCase(),
        seq: 1n,
        active: parseEther("1"),
        unbonding: 0n,
      },
      2n,
    ],
    "the stake change and the third deposit once confirmed, in log order",
  );
  const all = await new BridgeFollower(clients, {
    bridge: d.address,
    confirmations: 0,
    maxRange: 1000,
  }).derive(0);
  t.equal(all.txs.length, 4, "one big range from genesis sees the same events");
  await t.rejects(follower.derive(-1), /block number/);
  t.throws(() => new BridgeFollower(clients, { bridge: d.address, confirmations: -1 }), /confirmations/);
}

t.test("embedded chain", async (t) => {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenario(t, b);
});

t.test("anvil", async (t) => {
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenario(t, b);
});

t.test(
  "ModelRegistered: derived with the Bridge's model id, registrant and file CID, in log order",
  async (t) => {
    const b = await embeddedBackend();
    t.teardown(() => b.close());
    const clients = b.clients(0);
    const d = await deployBridge(clients);
    const cid = await cidHexOf(new TextEncoder().encode("a model file"));
    const registrant = d.bridge.as(b.wallet(4));
    await d.bridge.as(b.wallet(3)).deposit(b.accounts[7].address, parseEther("1"));
    const { modelId } = await registrant.registerModel(placeholderModel(), cid);
    const got = await new BridgeFollower(clients, {
      bridge: d.address,
      confirmations: 0,
      startBlock: Number(d.blockNumber),
    }).derive(Number(d.blockNumber) - 1);
    t.same(
      got.txs.map((x) => x.type),
      ["deposit", "modelRegistered"],
    );
    t.same(got.txs[1], {
      type: "modelRegistered",
      inboxIndex: 1n,
      modelId,
      registrant: b.accounts[4].address,
      cid,
    });
  },
);

t.test(
  "L1 events through the inbox: each derived tx hashes to the message the Bridge queued for it, in order",
  async (t) => {
    const b = await embeddedBackend();
    t.teardown(() => b.close());
    const clients = b.clients(0);
    const d = await deployBridge(clients);
    const h = (x: number) => `0x${x.toString(16).padStart(2, "0").repeat(32)}` as Hex;
    const worker = d.bridge.as(b.wallet(5));
    await d.bridge.as(b.wallet(3)).deposit(b.accounts[7].address, parseEther("1"));
    const { modelId } = await d.bridge
      .as(b.wallet(4))
      .registerModel(placeholderModel(), await cidHexOf(new TextEncoder().encode("a model file")));
    await worker.stake(parseEther("2"));
    const now = (await clients.publicClient.getBlock()).timestamp;
    await d.bridge.as(b.wallet(6)).requestInference({
      modelId,
      inputRoot: h(9),
      inputCid: await cidHexOf(new TextEncoder().encode("an input")),
      deadline: now + 3600n,
      escrow: parseEther("0.1"),
    });
    await worker.unbond(parseEther("1"));
    const got = await new BridgeFollower(clients, {
      bridge: d.address,
      confirmations: 0,
      startBlock: Number(d.blockNumber),
    }).derive(Number(d.blockNumber) - 1);
    t.same(
      got.txs.map((x) => [x.type, "inboxIndex" in x ? x.inboxIndex : null]),
      [
        ["deposit", null],
        ["modelRegistered", 1n],
        ["workerStake", 2n],
        ["l1InferenceRequest", 3n],
        ["workerStake", 4n],
      ],
      "every L1 event names its inbox message",
    );
    const queued = parseEventLogs({
      abi: bridgeAbi,
      eventName: "InboxQueued",
      logs: await clients.publicClient.getLogs({ address: d.address, fromBlock: d.blockNumber }),
    });
    t.same(
      got.txs.map((x) => toHex(inboxMessageHash(x) as Uint8Array)),
      queued.map((l) => l.args.messageHash),
      "encoding.ts's message hash of each derived tx is the one the Bridge queued",
    );
    t.equal(
      toHex(inboxHashAfter(ZERO32, got.txs)),
      (await d.bridge.inboxMessage(4n)).rollingHash,
      "the inbox hash after them is the Bridge's rolling hash",
    );
  },
);
