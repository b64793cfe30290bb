import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { fromHex } from "../../../protocol/bytes.ts";
import { encodeTx, type Hex, signTx, type UserTx } from "../../../protocol/tx.ts";
import { signHeader } from "../../../sequencer/block.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { recordBytes } from "../../../sequencer/fault-proof/encoding.ts";
import { StaticL1Source } from "../../../sequencer/l1.ts";
import { SequencerNode, SubmitError } from "../../../sequencer/node.ts";
import { decodeRecord, encodeRecord, keys as K } from "../../../sequencer/state/records.ts";
import { SparseMerkleTree, valueHash, verifyStateProof } from "../../../sequencer/state/smt.ts";

const users = devKeys(4, "node-test");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });

function dir(t: { teardown(fn: () => void): void }) {
  const d = mkdtempSync(join(tmpdir(), "verdict-seq-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
function open(dataDir: string, now = () => 1_000, l1?: StaticL1Source) {
  return SequencerNode.open({ dataDir, genesis, sequencerKey: key ?? undefined, clock: now, l1 });
}
let nonces = new Map<string, number>();
function transfer(from: number, to: number, amount: bigint, nonce?: number) {
  const u = users[from];
  const n = nonce ?? nonces.get(u.address) ?? 0;
  if (nonce === undefined) nonces.set(u.address, n + 1);
  const tx = signTx(
    { type: "transfer", from: u.address, nonce: n, fee: 0n, to: users[to].address, amount },
    u.key,
    { name: "Verdict", version: "1", chainId: genesis.l2ChainId },
  );
  return encodeTx(tx as UserTx);
}

t.test(
  "state tree: root is independent of insertion order; proofs for present and absent keys",
  async (t) => {
    const a = new SparseMerkleTree();
    const b = new SparseMerkleTree();
    const entries = Array.from({ length: 300 }, (_, i) => [`k/${i}`, `v${i}`] as const);
    for (const [k, v] of entries) a.set(k, valueHash(v));
    for (const [k, v] of [...entries].reverse()) b.set(k, valueHash(v));
    t.same(a.rootHash(), b.rootHash());
    const root = a.rootHash();
    t.ok(verifyStateProof(root, a.proof("k/17"), "v17"), "membership");
    t.notOk(verifyStateProof(root, a.proof("k/17"), "v18"), "wrong value fails");
    t.ok(verifyStateProof(root, a.proof("absent"), null), "non-membership");
    t.notOk(verifyStateProof(root, a.proof("k/17"), null), "a present key cannot be proven absent");
    const forged = a.proof("k/17");
    forged.siblings[0] = `0x${"11".repeat(32)}`;
    t.notOk(verifyStateProof(root, forged, "v17"), "tampered sibling fails");
    a.set("k/17", valueHash("changed"));
    t.notSame(a.rootHash(), root, "an update changes the root");
    t.same(new SparseMerkleTree().rootHash(), new Uint8Array(32), "empty tree root is zero");
  },
);

t.test("submit, seal, restart: same head, same root, receipts survive", async (t) => {
  nonces = new Map();
  const d = dir(t);
  const n1 = await open(d);
  const h1 = await n1.submit(transfer(0, 1, 10n));
  await n1.submit(transfer(0, 2, 20n));
  t.equal((await n1.receipt(h1.txHash))?.status, "pending");
  const b = await n1.sealNow();
  t.equal(b?.header.number, 1);
  t.equal(b?.receipts.length, 2);
  t.equal((await n1.receipt(h1.txHash))?.status, "included");
  const root = n1.chain.head.stateRoot;
  // proof of the sender's account against the head root
  const p = n1.proof(K.account(users[0].address));
  const key = K.account(users[0].address);
  const bytes = recordBytes(key, decodeRecord(key, JSON.stringify(p.value)));
  t.ok(verifyStateProof(fromHex(p.stateRoot), p.proof, bytes), "account proof verifies");
  t.notOk(
    verifyStateProof(fromHex(p.stateRoot), p.proof, JSON.stringify(p.value)),
    "the JSON is not what the tree commits",
  );
  await n1.close();
  const n2 = await open(d);
  t.equal(n2.chain.head.number, 1);
  t.equal(n2.chain.head.stateRoot, root);
  t.equal((await n2.receipt(h1.txHash))?.status, "included");
  t.same(n2.record(K.account(users[0].address)), { balance: "970", nonce: 2 });
  await n2.close();
});

t.test("acknowledged but unsealed txs are replayed from the WAL into the same block", async (t) => {
  nonces = new Map();
  const d = dir(t);
  // reference: same txs sealed without a restart
  const ref = await open(dir(t));
  const txs = [transfer(0, 1, 5n), transfer(1, 2, 3n), transfer(0, 3, 1n)];
  for (const tx of txs) await ref.submit(tx);
  await ref.sealNow();
  const want = ref.chain.head;
  await ref.close();

  const n1 = await open(d);
  for (const tx of txs) await n1.submit(tx);
  // simulate a crash: drop the process state without sealing (close only the db handle)
  await n1.wal.idle();
  await n1.store.close();
  const n2 = await open(d, () => 99_999);
  t.equal(n2.chain.head.number, 1, "the WAL became block 1");
  t.equal(n2.chain.head.stateRoot, want.stateRoot, "same state root as without the crash");
  t.equal(n2.chain.head.timestamp, want.timestamp, "the block keeps the recorded timestamp");
  t.equal(n2.chain.head.hash, want.hash, "identical block");
  t.same(await n2.store.wal(), [], "WAL emptied once the block is durable");
  await n2.close();
});

t.test(
  "a WAL group that spans a seal keeps the later block's tx; single-entry WAL values still load",
  async (t) => {
    nonces = new Map();
    const d = dir(t);
    const opts = {
      dataDir: d,
      genesis,
      sequencerKey: key ?? undefined,
      clock: () => 1_000,
      verifyWorkers: 0,
    };
    const n1 = await SequencerNode.open(opts);
    // A's group write is in flight; B is admitted into block 1 and C into block 2, and both wait
    // for the next write: one group holding txs of two blocks
    const a = n1.submit(transfer(0, 1, 1n));
    const b = n1.submit(transfer(1, 2, 1n));
    const sealed = n1.sealNow();
    const c = n1.submit(transfer(2, 3, 1n));
    const [, , hc] = await Promise.all([a, b, c]);
    t.equal((await sealed)?.receipts.length, 2, "block 1 holds A and B");
    await n1.wal.idle();
    const left = await n1.store.walGroups();
    t.same(
      left.map((g) => g.entries.map((e) => e.block)),
      [[1], [1, 2]],
      "block 1's commit ran before A's group was durable; B and C share a group",
    );
    t.same(n1.wal.takeCovered(1), [left[0].seq], "block 1 covers A's group, not the one holding C");
    // crash before block 2 is sealed; also leave an entry in the pre-grouping layout (one object
    // per key), which a node must still replay
    const d2 = transfer(3, 0, 2n);
    const seq = Math.max(...left.flatMap((g) => g.entries.map((e) => e.seq))) + 1;
    await n1.store.db.put(
      `w/${String(seq).padStart(16, "0")}`,
      JSON.stringify({ seq, block: 2, timestamp: 1_000, tx: d2 }),
    );
    await n1.store.close();
    const n2 = await SequencerNode.open(opts);
    t.equal(n2.chain.head.number, 2, "block 2 rebuilt from the WAL");
    t.equal((await n2.receipt(hc.txHash))?.status, "included", "C survived");
    t.equal((await n2.block(2))?.txs.length, 2, "C and the old-layout entry");
    t.same(await n2.store.wal(), [], "WAL empty once block 2 is durable");
    await n2.close();
  },
);

t.test("rejections carry status and reason", async (t) => {
  nonces = new Map();
  const n = await open(dir(t));
  const ok = transfer(0, 1, 1n);
  await n.submit(ok);
  const cases: [unknown, number, RegExp][] = [
    [{ type: "transfer" }, 400, /field from/],
    [ok, 409, /already known/],
    [transfer(0, 1, 1n, 50), 422, /nonce 50 is 49 ahead of the next nonce 1; at most 16 may wait/],
    [transfer(0, 1, 2n, 0), 422, /bad nonce: expected 1, got 0/],
    [transfer(2, 1, 10_000n), 422, /insufficient balance: have 1000, need 10000/],
    [{ ...transfer(3, 1, 1n), amount: "2" }, 401, /bad signature: signed by 0x[0-9a-f]{40}, but from is/],
    [{ type: "deposit", depositId: "1", recipient: users[0].address, amount: "5" }, 400, /system tx/],
  ];
  for (const [body, status, re] of cases) {
    try {
      await n.submit(body);
      t.fail(`accepted ${JSON.stringify(body).slice(0, 60)}`);
    } catch (e) {
      t.ok(e instanceof SubmitError);
      t.equal((e as SubmitError).status, status, (e as Error).message);
      t.match((e as Error).message, re);
    }
  }
  await n.close();
});

t.test("L1 events enter at seal time once confirmed, exactly once", async (t) => {
  nonces = new Map();
  const l1 = new StaticL1Source(2);
  const n = await open(dir(t), () => 5_000, l1);
  const fresh = devKeys(1, "l1-test")[0].address;
  // viem hands out checksummed (mixed-case) addresses: they must credit the same account
  const checksummed = `0x${fresh.slice(2).toUpperCase()}` as typeof fresh;
  l1.mine([{ type: "deposit", depositId: 1n, recipient: checksummed, amount: 77n }]);
  t.equal(await n.sealNow(), null, "not confirmed yet: nothing to seal");
  l1.mine([]);
  l1.mine([]);
  const b = await n.sealNow();
  t.equal(b?.header.l1OriginNumber, 1);
  t.same(n.record(K.account(fresh)), { balance: "77", nonce: 0 });
  l1.mine([{ type: "deposit", depositId: 1n, recipient: fresh, amount: 77n }]); // duplicate id
  l1.mine([]);
  l1.mine([]);
  await n.sealNow();
  t.same(
    n.record(K.account(fresh)),
    { balance: "77", nonce: 0 },
    "a repeated deposit id is not credited twice",
  );
  t.equal(encodeRecord(K.account(fresh), { balance: 77n, nonce: 0 }), '{"balance":"77","nonce":0}');
  await n.close();
});

t.test("a block lost before its commit was durable is rebuilt with its L1 txs", async (t) => {
  nonces = new Map();
  const d = dir(t);
  const l1 = new StaticL1Source(0);
  const [fresh] = devKeys(1, "lost-block");
  l1.mine([{ type: "deposit", depositId: 5n, recipient: fresh.address, amount: 50n }]);
  const n1 = await open(d, () => 7_000, l1);
  // the process dies while block 1's commit batch is in flight: it never lands
  n1.store.commitBlock = () => new Promise(() => {});
  void n1.sealNow();
  await new Promise((r) => setTimeout(r, 50));
  t.equal(n1.chain.head.number, 1, "block 1 (with the deposit) sealed in memory only");
  // a tx spending the deposit is acknowledged into block 2
  const spend = signTx(
    { type: "transfer", from: fresh.address, nonce: 0, fee: 0n, to: users[0].address, amount: 40n },
    fresh.key,
    { name: "Verdict", version: "1", chainId: genesis.l2ChainId },
  );
  const { txHash } = await n1.submit(encodeTx(spend as UserTx));
  await n1.wal.idle();
  await n1.store.close();
  const n2 = await open(d, () => 8_000, l1);
  t.equal((await n2.receipt(txHash))?.status, "included", "the acknowledged spend survived");
  t.same(n2.record(K.account(fresh.address)), { balance: "10", nonce: 1 });
  t.equal(n2.chain.head.l1OriginNumber, 1, "the rebuilt block keeps its L1 origin");
  await n2.sealNow();
  t.same(
    n2.record(K.account(fresh.address)),
    { balance: "10", nonce: 1 },
    "the deposit is not credited again",
  );
  await n2.close();
});

t.test("a follower re-executes blocks to the same roots and refuses a forged one", async (t) => {
  nonces = new Map();
  const leader = await open(dir(t));
  const follower = await SequencerNode.open({ dataDir: dir(t), genesis });
  for (let i = 0; i < 3; i++) {
    await leader.submit(transfer(0, 1, 1n));
    await leader.submit(transfer(1, 2, 1n));
    const b = await leader.sealNow();
    await follower.importBlock(structuredClone(b as NonNullable<typeof b>));
    t.equal(follower.chain.head.stateRoot, leader.chain.head.stateRoot, `block ${i + 1} root`);
  }
  await leader.submit(transfer(0, 1, 1n));
  const b = structuredClone(
    (await leader.sealNow()) as NonNullable<Awaited<ReturnType<typeof leader.sealNow>>>,
  );
  const forged = structuredClone(b);
  (forged.txs[0] as { amount: string }).amount = "2";
  await t.rejects(follower.importBlock(forged), /bad signature/);
  const badRoot = structuredClone(b);
  badRoot.header.stateRoot = `0x${"00".repeat(32)}` as Hex;
  await t.rejects(follower.importBlock(badRoot), /hash .* does not match its header/);
  await follower.importBlock(b);
  t.equal(follower.chain.head.hash, leader.chain.head.hash);
  // correctly signed, but the state root is not what re-execution gives: the follower stops
  await leader.submit(transfer(0, 1, 1n));
  const next = structuredClone(
    (await leader.sealNow()) as NonNullable<Awaited<ReturnType<typeof leader.sealNow>>>,
  );
  const { hash: _h, sequencer: _s, signature: _sig, ...hdr } = next.header;
  next.header = signHeader(
    { ...hdr, stateRoot: `0x${"ab".repeat(32)}` },
    key as Uint8Array,
    genesis.sequencer,
  );
  let fatal: unknown = null;
  follower.on("fatal", (e) => {
    fatal = e;
  });
  await t.rejects(follower.importBlock(next), /state root 0x[0-9a-f]{64} differs from header 0xabab/);
  t.ok(fatal, "divergence is fatal for the follower");
  await t.rejects(follower.submit(transfer(0, 1, 1n)), /follower/);
  await leader.close();
  await follower.close();
});
