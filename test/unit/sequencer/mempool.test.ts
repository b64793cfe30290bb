/**
 * Nonce gaps: txs ahead of their account's next nonce wait in the future-nonce queue, run when
 * the gap fills, survive a crash, are bounded, and are dropped with a reason when they no longer
 * apply. Real nodes on real level dirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { encodeTx, type Hex, signTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { FutureNonceQueue, type QueuedTx, QueueRefusal } from "../../../sequencer/mempool.ts";
import { type NodeOptions, SequencerNode, SubmitError } from "../../../sequencer/node.ts";
import { keys as K } from "../../../sequencer/state/records.ts";

const users = devKeys(4, "mempool-test");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });
const domain = { name: "Verdict", version: "1", chainId: genesis.l2ChainId };

function dir(t: { teardown(fn: () => void): void }) {
  const d = mkdtempSync(join(tmpdir(), "verdict-mempool-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
function open(dataDir: string, extra: Partial<NodeOptions> = {}) {
  return SequencerNode.open({
    dataDir,
    genesis,
    sequencerKey: key ?? undefined,
    clock: () => 1_000,
    ...extra,
  });
}
function transfer(from: number, nonce: number, amount = 1n, to = (from + 1) % 4) {
  const u = users[from];
  const tx = signTx(
    { type: "transfer", from: u.address, nonce, fee: 0n, to: users[to].address, amount },
    u.key,
    domain,
  );
  return encodeTx(tx as UserTx);
}
async function refusal(p: Promise<unknown>): Promise<SubmitError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SubmitError) return e;
    throw e;
  }
  throw new Error("accepted");
}
const acct = (n: SequencerNode, i: number) => n.record(K.account(users[i].address)) as { nonce: number };

t.test("a future nonce waits, runs when the gap fills, and lands in the same block", async (t) => {
  const n = await open(dir(t));
  t.teardown(() => n.close());
  const q3 = await n.submit(transfer(0, 3));
  const q1 = await n.submit(transfer(0, 1));
  t.match(q3, { queued: true, nextNonce: 0 });
  t.match(q1, { queued: true, nextNonce: 0 });
  t.equal(n.queuedCount, 2);
  t.equal(acct(n, 0).nonce, 0, "nothing ran yet");
  t.equal((await n.receipt(q3.txHash))?.status, "queued");
  const replay = await refusal(n.submit(transfer(0, 3)));
  t.equal(replay.status, 409);
  t.match(replay.message, /already known: tx 0x[0-9a-f]{64} is queued until nonce 0 is used/);
  const other = await refusal(n.submit(transfer(0, 3, 2n)));
  t.equal(other.status, 409);
  t.match(other.message, new RegExp(`nonce 3 of ${users[0].address} is already queued by tx ${q3.txHash}`));

  const r0 = await n.submit(transfer(0, 0));
  t.notOk(r0.queued, "nonce 0 runs at once");
  t.equal(acct(n, 0).nonce, 2, "nonce 1 ran right behind it; 3 still waits for 2");
  t.equal((await n.receipt(q1.txHash))?.status, "pending");
  t.equal((await n.receipt(q3.txHash))?.status, "queued");
  await n.submit(transfer(0, 2));
  t.equal(acct(n, 0).nonce, 4);
  t.equal(n.queuedCount, 0);
  // the promoted txs' WAL group may still be in flight (a group in flight at a seal is taken by a
  // later block's commit); wait for it so that this block's commit takes it
  await n.wal.idle();
  const b = await n.sealNow();
  t.same(
    b?.txs.map((x) => x.nonce),
    [0, 1, 2, 3],
    "one block, nonce order",
  );
  t.equal((await n.receipt(q3.txHash))?.status, "included");
  const replayIncluded = await refusal(n.submit(transfer(0, 3)));
  t.equal(replayIncluded.status, 422, "a replay of an included nonce is refused");
  t.match(replayIncluded.message, /bad nonce: expected 4, got 3/);
  t.same(await n.store.wal(), [], "WAL covered by the block");
  const left: unknown[] = [];
  for await (const q of n.store.queuedTxs()) left.push(q);
  await new Promise((r) => setTimeout(r, 50)); // deletes of q/ keys are not awaited by submit
  left.length = 0;
  for await (const q of n.store.queuedTxs()) left.push(q);
  t.same(left, [], "no queued entry left in the store");
});

t.test("a queued tx survives a crash before the gap fills, and one whose gap filled too", async (t) => {
  const d = dir(t);
  const n1 = await open(d);
  const q2 = await n1.submit(transfer(1, 2));
  const q1 = await n1.submit(transfer(1, 1));
  // crash: nothing sealed, nothing closed but the db handle
  await n1.wal.idle();
  await n1.store.close();

  const n2 = await open(d);
  t.equal(n2.queuedCount, 2, "both acknowledged queued txs are back");
  t.equal((await n2.receipt(q2.txHash))?.status, "queued");
  await n2.submit(transfer(1, 0));
  t.equal(acct(n2, 1).nonce, 3, "the gap filled: 1 and 2 ran");
  // crash again before a seal: the WAL now holds 0, 1, 2 (and their q/ keys may be gone or not)
  await n2.wal.idle();
  await n2.store.close();

  const n3 = await open(d);
  t.teardown(() => n3.close());
  t.equal(n3.queuedCount, 0, "nothing waits twice");
  t.equal(n3.chain.head.number, 1, "the WAL became block 1");
  t.same(
    (await n3.block(1))?.txs.map((x) => x.nonce),
    [0, 1, 2],
  );
  t.equal((await n3.receipt(q1.txHash))?.status, "included");
  t.equal((await n3.receipt(q2.txHash))?.status, "included");
  t.equal(acct(n3, 1).nonce, 3);
});

t.test("a queued tx that no longer applies is dropped with the reason", async (t) => {
  const n = await open(dir(t));
  t.teardown(() => n.close());
  const dropped: { txHash: string; reason: string }[] = [];
  n.on("dropped", (e) => dropped.push(e));
  // nonce 1 spends more than will be left after nonce 0, nonce 2 is fine on its own
  const big = await n.submit(transfer(2, 1, 900n));
  const later = await n.submit(transfer(2, 2, 1n));
  await n.submit(transfer(2, 0, 500n));
  t.equal(acct(n, 2).nonce, 1, "nonce 1 was refused, so 2 keeps waiting");
  t.same(
    dropped.map((d) => d.txHash),
    [big.txHash],
  );
  t.match(dropped[0].reason, /^dropped from the queue: insufficient balance: have 500, need 900/);
  t.match(await n.receipt(big.txHash), { status: "dropped", reason: /insufficient balance/ });
  t.match(await n.tx(big.txHash), { status: "dropped", tx: { nonce: 1 } });
  t.equal((await n.receipt(later.txHash))?.status, "queued");
  // the sender can now use nonce 1 again; 2 runs behind it
  await n.submit(transfer(2, 1, 100n));
  t.equal(acct(n, 2).nonce, 3);
  t.equal((await n.receipt(later.txHash))?.status, "pending");
});

t.test("queued txs expire after the ttl, with the reason", async (t) => {
  let now = 1_000;
  const n = await open(dir(t), { clock: () => now, queue: { ttlMs: 60_000 } });
  t.teardown(() => n.close());
  const q = await n.submit(transfer(3, 1));
  now += 59_000;
  await n.sealNow();
  t.equal(n.queuedCount, 1, "not yet");
  now += 1_000;
  await n.sealNow();
  t.equal(n.queuedCount, 0);
  t.match(await n.receipt(q.txHash), {
    status: "dropped",
    reason: `dropped from the queue: expired after 60 s waiting for nonce 0 of ${users[3].address}`,
  });
  // once dropped, the same tx may be sent again
  t.match(await n.submit(transfer(3, 1)), { queued: true });
});

t.test("the queue is bounded per account and in total, and says so", async (t) => {
  const n = await open(dir(t), { queue: { perAccount: 4, total: 6 } });
  t.teardown(() => n.close());
  const far = await refusal(n.submit(transfer(0, 5)));
  t.equal(far.status, 422);
  t.equal(far.message, "nonce 5 is 5 ahead of the next nonce 0; at most 4 may wait");
  const waiting: Hex[] = [];
  for (let i = 1; i <= 4; i++) waiting.push((await n.submit(transfer(0, i))).txHash);
  await n.submit(transfer(1, 1));
  await n.submit(transfer(1, 2));
  // full: sender 2 (nothing waiting) takes the place of the farthest tx of the biggest holder
  t.match(await n.submit(transfer(2, 1)), { queued: true });
  t.equal(n.queuedCount, 6);
  t.match(await n.receipt(waiting[3]), {
    status: "dropped",
    reason: `dropped from the queue: evicted: the queue is full and ${users[0].address} held the most waiting txs; its farthest nonce made room`,
  });
  // the biggest holder itself cannot push others out
  const full = await refusal(n.submit(transfer(0, 4)));
  t.equal(full.status, 503);
  t.match(
    full.message,
    /^mempool full: 6 txs already wait for earlier nonces and 0x[0-9a-f]{40} holds as many as anyone; send nonce 0 first/,
  );
  // the sender whose gap fills frees room
  await n.submit(transfer(0, 0));
  t.equal(n.queuedCount, 3);
  const ahead = await n.submit(transfer(0, 8)); // next is 4 now: 4 ahead
  t.match(ahead, { queued: true, nextNonce: 4 });
});

t.test("only what the sender could pay for may wait; a key without funds queues nothing", async (t) => {
  const n = await open(dir(t));
  t.teardown(() => n.close());
  const stranger = devKeys(1, "mempool-stranger")[0];
  const signed = signTx(
    { type: "transfer", from: stranger.address, nonce: 1, fee: 0n, to: users[0].address, amount: 0n },
    stranger.key,
    domain,
  );
  const poor = await refusal(n.submit(encodeTx(signed as UserTx)));
  t.equal(poor.status, 422);
  t.equal(
    poor.message,
    `cannot wait for nonce 0: ${stranger.address} has 0 wei, its waiting txs would need 0 (an account without funds cannot queue txs)`,
  );
  t.equal(n.queuedCount, 0);
  t.match(await n.submit(transfer(0, 1, 600n)), { queued: true });
  const over = await refusal(n.submit(transfer(0, 2, 600n)));
  t.equal(over.status, 422);
  t.match(over.message, /has 1000 wei, its waiting txs would need 1200$/);
  t.match(await n.submit(transfer(0, 2, 400n)), { queued: true }, "what the balance covers may wait");
  t.equal(n.queuedCount, 2);
});

t.test("a queued nonce used by another tx before a restart is dropped at start", async (t) => {
  const d = dir(t);
  const n1 = await open(d);
  const q = await n1.submit(transfer(0, 1, 7n));
  // simulate the other path: a block (from an older binary, or a lost q/ delete) used nonce 1
  await n1.submit(transfer(0, 0));
  t.equal(acct(n1, 0).nonce, 2);
  await n1.sealNow();
  await n1.close();
  // put the queued entry back as if its deletion had been lost, but for a different tx at nonce 1
  const n2raw = await open(d);
  const otherAtOne = transfer(0, 1, 8n);
  await n2raw.store.putQueued(`0x${"ab".repeat(32)}`, 1_000, JSON.stringify(otherAtOne));
  await n2raw.store.putQueued(q.txHash, 1_000, JSON.stringify(transfer(0, 1, 7n)));
  await n2raw.close();
  const n3 = await open(d);
  t.teardown(() => n3.close());
  t.equal(n3.queuedCount, 0);
  t.equal((await n3.receipt(q.txHash))?.status, "included", "the included one is simply forgotten");
  t.match(await n3.receipt(`0x${"ab".repeat(32)}`), {
    status: "dropped",
    reason: `dropped from the queue: nonce 1 of ${users[0].address} was used by another tx`,
  });
});

t.test("FutureNonceQueue on its own: order, caps, stale, bad limits", async (t) => {
  const mk = (from: string, nonce: number, at = 0): QueuedTx => ({
    tx: {} as QueuedTx["tx"],
    hash: `0x${from}${nonce}`.padEnd(66, "0") as Hex,
    from,
    nonce,
    json: {},
    text: "{}",
    queuedAt: at,
  });
  const q = new FutureNonceQueue({ perAccount: 3, total: 4, ttlMs: 10 });
  q.add(mk("a", 2), 1);
  q.add(mk("a", 4, 5), 1);
  t.throws(() => q.add(mk("a", 1), 1), /not ahead/);
  t.throws(() => q.add(mk("a", 5), 1), /nonce 5 is 4 ahead of the next nonce 1; at most 3 may wait/);
  t.ok(
    (() => {
      try {
        q.add(mk("a", 5), 1);
      } catch (e) {
        return e instanceof QueueRefusal && e.status === 422;
      }
    })(),
    "a QueueRefusal with 422",
  );
  q.add(mk("b", 9), 1, true);
  t.equal(q.size, 3, "restoring skips the caps");
  t.equal(q.take("a", 3), undefined);
  t.equal(q.take("a", 2)?.nonce, 2);
  t.same(
    q.expire(10).map((x) => x.nonce),
    [9],
  );
  t.same(
    q.takeStale("a", 5).map((x) => x.nonce),
    [4],
  );
  t.equal(q.size, 0);
  t.same(q.accounts(), []);
  t.throws(() => new FutureNonceQueue({ perAccount: -1 }), /perAccount must be an integer >= 0, got -1/);
});
