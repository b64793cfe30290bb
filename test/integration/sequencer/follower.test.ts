/**
 * Two real processes over real libp2p (tcp + noise + yamux + gossipsub): a sequencer under load
 * and a follower started with --follow <multiaddr>. The follower re-executes every block and
 * must serve the same head hash and state root; a follower started late catches up by sync.
 * Txs submitted to the follower are forwarded to the leader over /verdict/tx/1; the leader's
 * answer (hash, queued, or its refusal) comes back; with the leader gone the follower says so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { spawnSequencer } from "./harness.ts";

const users = devKeys(4, "follow-test");
const base = { genesis: devGenesis(users), httpPort: 0, blockTimeMs: 100, logLevel: "info" };
const { genesis } = resolveGenesis({ ...DEFAULTS, ...base });
const domain = l2Domain(genesis.l2ChainId);

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
const getJson = async (url: string): Promise<any> => (await fetch(url)).json();

t.test("a follower over libp2p reaches identical state roots", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-follow-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const leader = await spawnSequencer(dir, { ...base, dataDir: join(dir, "leader") });
  t.teardown(() => leader.proc.kill("SIGKILL"));

  const send = async (i: number, n: number) => {
    for (let k = 0; k < n; k++) {
      const u = users[i];
      const nonce = (await getJson(`${leader.url}/v1/accounts/${u.address}`)).nonce;
      const tx = signTx(
        {
          type: "transfer",
          from: u.address,
          nonce,
          fee: 0n,
          to: users[(i + 1) % 4].address,
          amount: BigInt(k + 1),
        },
        u.key,
        domain,
      );
      const r = await fetch(`${leader.url}/v1/txs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeTx(tx as UserTx)),
      });
      t.equal(r.status, 202);
    }
  };
  // blocks exist before the follower starts: it must catch up over /verdict/sync/2
  await send(0, 20);
  await new Promise((r) => setTimeout(r, 300));

  const follower = await spawnSequencer(dir, { ...base, logLevel: "debug", dataDir: join(dir, "follower") }, [
    "--follow",
    leader.p2p[0],
  ]);
  t.teardown(() => follower.proc.kill("SIGKILL"));
  // and more blocks while it follows: gossip
  await Promise.all([send(1, 20), send(2, 20)]);
  await new Promise((r) => setTimeout(r, 300));
  const lh = await getJson(`${leader.url}/health`);
  t.ok(lh.head >= 3, `leader made ${lh.head} blocks`);
  let fh = await getJson(`${follower.url}/health`);
  const deadline = Date.now() + 20_000;
  while (fh.head < lh.head && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    fh = await getJson(`${follower.url}/health`);
  }
  t.equal(fh.role, "follower");
  t.equal(fh.head, lh.head, "follower reached the leader's head");
  for (let n = 1; n <= lh.head; n++) {
    const a = await getJson(`${leader.url}/v1/blocks/${n}`);
    const b = await getJson(`${follower.url}/v1/blocks/${n}`);
    t.equal(b.header.stateRoot, a.header.stateRoot, `block ${n} state root`);
    t.equal(b.header.hash, a.header.hash, `block ${n} hash`);
  }
  const via = (how: string) => follower.log.filter((l) => l.includes('"via":"' + how + '"')).length;
  t.ok(via("sync") > 0, `${via("sync")} blocks caught up over /verdict/sync/2`);
  t.ok(via("gossip") > 0, `${via("gossip")} blocks arrived by gossipsub`);
  const rej = await fetch(`${follower.url}/v1/txs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  t.equal(rej.status, 400);

  // a follower forwards submissions to the leader over /verdict/tx/1
  const u = users[3];
  const signed = (nonce: number, amount = 1n) =>
    encodeTx(
      signTx(
        { type: "transfer", from: u.address, nonce, fee: 0n, to: users[0].address, amount },
        u.key,
        domain,
      ) as UserTx,
    );
  const toFollower = async (tx: unknown) => {
    const r = await fetch(`${follower.url}/v1/txs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(tx),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
    const json: any = await r.json();
    return { status: r.status, body: json };
  };
  const fwd = await toFollower(signed(0));
  t.equal(fwd.status, 202, JSON.stringify(fwd.body));
  t.match(fwd.body, { forwarded: true, txHash: /^0x[0-9a-f]{64}$/ });
  t.notOk(fwd.body.queued);
  const included = async (url: string, hash: string) => {
    const until = Date.now() + 20_000;
    for (;;) {
      const r = await getJson(`${url}/v1/receipts/${hash}`);
      if (r.status === "included" || Date.now() > until) return r;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  t.match(await included(leader.url, fwd.body.txHash), { status: "included" }, "the leader included it");
  t.match(
    await included(follower.url, fwd.body.txHash),
    { status: "included" },
    "and the follower has its block",
  );
  const replay = await toFollower(signed(0));
  t.equal(replay.status, 422, "the leader's refusal comes back with its status");
  t.equal(replay.body.error, "the sequencer refused the forwarded tx: bad nonce: expected 1, got 0");
  const gap = await toFollower(signed(3));
  t.equal(gap.status, 202);
  t.match(gap.body, { forwarded: true, queued: true, nextNonce: 1 }, "a nonce gap is queued by the leader");
  const far = await toFollower(signed(40));
  t.equal(far.status, 422);
  t.match(far.body.error, /nonce 40 is 39 ahead of the next nonce 1; at most 16 may wait/);
  const forged = await toFollower({ ...signed(1), amount: "2" });
  t.equal(forged.status, 401, "a bad signature is refused by the follower itself");
  t.match(forged.body.error, /^bad signature/);
  await toFollower(signed(1));
  const last = await toFollower(signed(2));
  t.equal(last.status, 202);
  t.match(
    await included(follower.url, gap.body.txHash),
    { status: "included" },
    "the gap filled: nonce 3 ran",
  );

  leader.proc.kill("SIGKILL");
  await leader.exited;
  const down = await toFollower(signed(4));
  t.equal(down.status, 503);
  t.match(down.body.error, /^this node is a follower and could not forward the tx to the sequencer: /);
});
