/**
 * The Bridge's L1 inbox on the embedded chain and on anvil: deposits and forced L2 txs join one
 * queue with a rolling hash; a batch must consume every message older than
 * forcedInclusionDelay() (the challenge window), never fewer than the batch before it, never more
 * than exist; hostile forced txs (empty, too long) are refused and change nothing.
 */
import t, { type Test } from "tap";
import { type Address, encodePacked, type Hex, keccak256, parseEther } from "viem";
import type { BridgeRevert } from "../../../bridge/bridge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import type { Tx } from "../../../protocol/tx.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { inboxHashAfter } from "../../../sequencer/fault-proof/encoding.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

const ZERO = `0x${"00".repeat(32)}` as Hex;

async function rejectsWith(t: Test, p: Promise<unknown>, errorName: string, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}

async function scenario(t: Test, b: L1Backend): Promise<void> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 300n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
  });
  const bridge = d.bridge;
  const user = b.accounts[3].address;
  t.equal(await bridge.forcedInclusionDelay(), 100n, "the delay is the challenge window");

  // deposit 0 is inbox message 0; a forced tx is message 1
  const dep = await bridge.deposit(user, 5n);
  const forcedBytes = toHex(new TextEncoder().encode('{"type":"transfer"}'));
  const forced = await bridge.as(b.wallet(3)).forceTransaction(forcedBytes);
  t.equal(forced.inboxIndex, 1n);
  t.equal(await bridge.inboxLength(), 2n);
  const h0 = keccak256(
    encodePacked(["uint8", "uint256", "address", "uint256"], [1, dep.depositId, user, 5n]),
  );
  const h1 = keccak256(encodePacked(["uint8", "address", "bytes32"], [2, user, keccak256(forcedBytes)]));
  const r0 = keccak256(encodePacked(["bytes32", "bytes32"], [ZERO, h0]));
  const r1 = keccak256(encodePacked(["bytes32", "bytes32"], [r0, h1]));
  t.equal((await bridge.inboxMessage(0n)).rollingHash, r0, "rolling hash after the deposit");
  t.equal((await bridge.inboxMessage(1n)).rollingHash, r1, "and after the forced tx");
  // the batch challenge's definition (one for L2 and the one-step) rolls the same hash
  const derived: Tx[] = [
    { type: "deposit", depositId: dep.depositId, recipient: user.toLowerCase() as Address, amount: 5n },
    { type: "forcedTx", inboxIndex: 1n, sender: user.toLowerCase() as Address, data: forcedBytes },
  ];
  t.equal(toHex(inboxHashAfter(fromHex(ZERO), derived)), r1, "inboxHashAfter over the derived txs");

  await rejectsWith(
    t,
    bridge.as(b.wallet(3)).forceTransaction("0x"),
    "InvalidForcedTx",
    "an empty forced tx",
  );
  await rejectsWith(
    t,
    bridge.as(b.wallet(3)).forceTransaction(toHex(new Uint8Array(8193))),
    "InvalidForcedTx",
    "a forced tx over 8 KiB",
  );
  t.equal(await bridge.inboxLength(), 2n, "refused forced txs queue nothing");

  const batch = (first: bigint, n: number, inboxCount: bigint) => ({
    firstBlock: first,
    lastBlock: first,
    stateRoot: toHex(sha256(new Uint8Array([n]))),
    withdrawalRoot: ZERO,
    txDataHash: batchDataHash(batchDataWithoutTxs(Uint8Array.of(n))),
    txData: toHex(batchDataWithoutTxs(Uint8Array.of(n))),
    cid: "0x" as Hex,
    inboxCount,
  });
  await rejectsWith(t, bridge.postBatch(batch(1n, 1, 3n)), "InvalidInboxCount", "more messages than queued");
  // within the delay a batch may leave messages for later
  await bridge.postBatch(batch(1n, 1, 1n));
  t.match(await bridge.getBatch(0n), { inboxCount: 1n, inboxHash: r0 }, "batch 0 consumed message 0");
  await rejectsWith(
    t,
    bridge.postBatch(batch(2n, 2, 0n)),
    "InvalidInboxCount",
    "fewer than the batch before",
  );
  await b.increaseTime(100);
  await rejectsWith(
    t,
    bridge.postBatch(batch(2n, 2, 1n)),
    "InboxMessageOverdue",
    "the forced tx is past the delay and not consumed",
  );
  t.equal(await bridge.batchCount(), 1n, "the refused batch is not there");
  await bridge.postBatch(batch(2n, 2, 2n));
  t.match(await bridge.getBatch(1n), { inboxCount: 2n, inboxHash: r1 }, "consuming it is accepted");
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
