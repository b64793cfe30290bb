/**
 * Crash during load: a real `verdict sequencer` child process is loaded by concurrent clients,
 * SIGKILLed mid-load, and restarted on the same data dir. Every acknowledged tx must be there,
 * and the head state root must equal an independent re-execution of all blocks from genesis.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { spawnSequencer } from "./harness.ts";

const CLIENTS = 8;
const users = devKeys(CLIENTS + 1, "crash-test");
const cfg = { genesis: devGenesis(users), httpPort: 0, blockTimeMs: 100, logLevel: "warn" };
const { genesis } = resolveGenesis({ ...DEFAULTS, ...cfg });
const domain = l2Domain(genesis.l2ChainId);

t.test("SIGKILL under load loses no acknowledged tx and restarts to the replayed root", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-crash-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = { ...cfg, dataDir: join(dir, "data"), logLevel: "info" };
  const first = await spawnSequencer(dir, data);
  t.teardown(() => first.proc.kill("SIGKILL"));

  const acked = new Map<string, number>(); // txHash -> client
  const sentNonce = new Array(CLIENTS).fill(0);
  let stop = false;
  const client = async (c: number) => {
    const u = users[c];
    while (!stop) {
      const tx = signTx(
        {
          type: "transfer",
          from: u.address,
          nonce: sentNonce[c],
          fee: 0n,
          to: users[CLIENTS].address,
          amount: 1n,
        },
        u.key,
        domain,
      );
      let res: Response;
      try {
        res = await fetch(`${first.url}/v1/txs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(encodeTx(tx as UserTx)),
        });
      } catch {
        return; // the process is gone
      }
      if (res.status !== 202) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      acked.set(((await res.json()) as { txHash: string }).txHash, c);
      sentNonce[c]++;
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  // let load run until a good number of acks and several blocks
  while (acked.size < 600) await new Promise((r) => setTimeout(r, 20));
  first.proc.kill("SIGKILL");
  await first.exited;
  stop = true;
  await Promise.all(clients);
  t.ok(acked.size >= 600, `${acked.size} txs acknowledged before the kill`);

  const second = await spawnSequencer(dir, data);
  t.teardown(() => second.proc.kill("SIGKILL"));
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
  const get = async (p: string): Promise<any> => (await fetch(`${second.url}${p}`)).json();
  let missing = 0;
  for (const hash of acked.keys()) {
    const r = await get(`/v1/receipts/${hash}`);
    if (r.status !== "included") missing++;
  }
  t.equal(missing, 0, "every acknowledged tx is in a block after the restart");
  for (let c = 0; c < CLIENTS; c++) {
    const a = await get(`/v1/accounts/${users[c].address}`);
    const ackedForClient = [...acked.values()].filter((x) => x === c).length;
    t.ok(
      a.nonce >= ackedForClient && a.nonce <= ackedForClient + 1,
      `client ${c}: nonce ${a.nonce}, acked ${ackedForClient}`,
    );
  }

  // Independent replay from genesis through every block the restarted node serves.
  const health = await get("/health");
  const replay = new Chain(genesis);
  replay.initGenesis();
  for (let n = 1; n <= health.head; n++) {
    const b = (await get(`/v1/blocks/${n}`)) as Block;
    replay.applyBlock(b, genesis.sequencer);
  }
  t.equal(replay.head.stateRoot, health.stateRoot, `replayed ${health.head} blocks to the same state root`);
  t.equal(replay.head.number, health.head);
  second.proc.kill("SIGTERM");
  t.equal(await second.exited, 0, "clean shutdown on SIGTERM");
});
