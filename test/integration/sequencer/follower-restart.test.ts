/**
 * A follower set up as the README says (--follow <leader multiaddr with /p2p/<id>>) keeps
 * following across five leader restarts: the leader's libp2p key is kept in its data dir, so its
 * peer id is the same each time, and the follower catches up after each. With the leader gone for
 * good, the follower's /health and /metrics say it is stale instead of ok at an old head.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { type Child, spawnSequencer } from "./harness.ts";

const users = devKeys(2, "follow-restart");
const base = { genesis: devGenesis(users), httpPort: 0, blockTimeMs: 100, logLevel: "info" };
const { genesis } = resolveGenesis({ ...DEFAULTS, ...base });
const domain = l2Domain(genesis.l2ChainId);

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
const getJson = async (url: string): Promise<any> => (await fetch(url)).json();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitFor<T>(what: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  let v = await what();
  while (!done(v) && Date.now() < until) {
    await sleep(100);
    v = await what();
  }
  return v;
}

t.test("a follower survives five leader restarts; a lost leader shows in its health", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-follow-restart-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const leaderCfg = { ...base, dataDir: join(dir, "leader"), p2pListen: [`/ip4/127.0.0.1/tcp/${port}`] };
  let leader: Child = await spawnSequencer(dir, leaderCfg);
  t.teardown(() => leader.proc.kill("SIGKILL"));
  const leaderAddr = leader.p2p[0];
  t.match(leaderAddr, /\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/);

  let nonce = 0;
  const send = async (n: number) => {
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
      const r = await fetch(`${leader.url}/v1/txs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeTx(tx as UserTx)),
      });
      t.equal(r.status, 202);
      await sleep(30); // spread over blocks
    }
  };
  await send(5);

  const follower = await spawnSequencer(
    dir,
    { ...base, dataDir: join(dir, "follower"), followerStaleMs: 1500 },
    ["--follow", leaderAddr],
  );
  t.teardown(() => follower.proc.kill("SIGKILL"));

  for (let round = 1; round <= 5; round++) {
    leader.proc.kill("SIGKILL");
    await leader.exited;
    leader = await spawnSequencer(dir, leaderCfg);
    t.equal(leader.p2p[0], leaderAddr, `restart ${round}: same peer id and address`);
    await send(3);
    // sealed and durable: the leader's head stays put from here
    const lh = await waitFor(
      () => getJson(`${leader.url}/health`),
      (h) => h.pendingTxs === 0,
      5_000,
    );
    const fh = await waitFor(
      () => getJson(`${follower.url}/health`),
      (h) => h.head >= lh.head,
      20_000,
    );
    t.equal(fh.head, lh.head, `restart ${round}: the follower caught up to block ${lh.head}`);
    t.equal(fh.stateRoot, lh.stateRoot, `restart ${round}: same state root`);
  }
  const healthy = await waitFor(
    () => getJson(`${follower.url}/health`),
    (h) => h.ok === true,
    5_000,
  );
  t.equal(healthy.ok, true, "in step with the leader: ok");
  t.equal(healthy.follower.lag, 0);
  t.notOk(
    follower.log.some((l) => l.includes("does not match")),
    "no identity mismatch",
  );

  leader.proc.kill("SIGKILL");
  await leader.exited;
  const stale = await waitFor(
    () => getJson(`${follower.url}/health`),
    (h) => h.ok === false && h.follower.lastError !== undefined,
    10_000,
  );
  t.equal(stale.ok, false, "the leader is gone: /health says so");
  t.match(stale.follower.reason, /^leader last heard from \d+ s ago$/);
  t.ok(stale.follower.sinceLeaderMs >= 1500);
  t.type(stale.follower.lastError, "string", "with the last failure to reach it");
  const metrics = await (await fetch(`${follower.url}/metrics`)).text();
  t.match(metrics, /^verdict_sequencer_follower_healthy 0$/m);
  t.match(metrics, /^verdict_sequencer_sync_failures_total [1-9]\d*$/m);
  t.match(metrics, /^verdict_sequencer_follower_since_leader_seconds (\d+\.?\d*)$/m);
});
