/**
 * Forced inclusion with real processes: a `verdict sequencer --test-fault censor` process on the
 * embedded L1 chain refuses a user's transfer over its API; the user sends the same signed tx
 * through Bridge.forceTransaction; the sequencer derives it from the inbox and includes it, its
 * batch consumes the inbox message (Bridge.getBatch(i).inboxCount), and a fresh validator process
 * rebuilds that state from L1 alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { devKeys } from "../../../sequencer/devkit.ts";
import { forcedData } from "../../../sequencer/fault-proof/encoding.ts";
import { agentSequencerConfig, spawnSequencer } from "./harness.ts";
import { runValidator, until } from "./validator-harness.ts";

t.test("a censored tx is included through the L1 inbox", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-forced-it-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // L1 mines on an interval too: a forced tx is a timed tx (its bytes carry its block's time), so
  // its batch waits until L1's clock reaches that time (Bridge LastTimeAhead), which an L1 mining
  // only on txs would never do once the sequencer is the only one sending
  const devnet = await startDevnet({ port: 0, automine: true, blockTimeMs: 500 });
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const [user, other] = devKeys(2, "forced-it");
  const seqDir = join(dir, "seq");
  mkdirSync(seqDir);
  const cfg = {
    ...agentSequencerConfig({
      dataDir: seqDir,
      l1Rpc: devnet.http?.url as string,
      deployment: dep,
      l1Key: devnet.chain.accounts[0].privateKey,
      challengeWindowMs: 60_000,
      alloc: { [user.address]: (10n ** 21n).toString() },
    }),
    batchIntervalMs: 300,
  };
  const seq = await spawnSequencer(seqDir, cfg, ["--test-fault", "censor"]);
  t.teardown(async () => {
    seq.proc.kill("SIGKILL");
    await seq.exited;
  });

  const tx = signTx(
    {
      type: "transfer",
      from: user.address,
      nonce: 0,
      fee: 0n,
      to: other.address,
      amount: 4242n,
    } as UnsignedUserTx,
    user.key,
    l2Domain(424242n),
  );
  const wire = JSON.stringify(encodeTx(tx as UserTx));
  const res = await fetch(`${seq.url}/v1/txs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: wire,
  });
  t.equal(res.status, 503, "the sequencer refuses it over the API");
  t.match(((await res.json()) as { error: string }).error, /censored/);

  // anyone may send it through L1: here an L1 account that is not the tx's signer
  const sender = dep.bridge.as(walletClientFor(devnet.clients, devnet.chain.accounts[5].privateKey));
  // forced as its fault-proof bytes (forcedData: the one forced encoding, which the one-step reads)
  const forced = await sender.forceTransaction(toHex(forcedData(tx as UserTx)));
  const balance = async () =>
    ((await (await fetch(`${seq.url}/v1/accounts/${other.address}`)).json()) as { balance?: string }).balance;
  await until("the forced transfer on L2", async () => (await balance()) === "4242");
  t.pass("included through the inbox");
  const acct = (await (await fetch(`${seq.url}/v1/accounts/${user.address}`)).json()) as { nonce: number };
  t.equal(acct.nonce, 1, "the signer's nonce moved: it ran as the user's own tx");

  const covering = await until("a batch consuming the inbox message", async () => {
    const n = await dep.bridge.batchCount();
    for (let i = 0n; i < n; i++) {
      const b = (await dep.bridge.getBatch(i)) as { inboxCount: bigint };
      if (b.inboxCount > forced.inboxIndex) return i + 1n;
    }
    return null;
  });
  t.ok(covering >= 1n, `batch ${covering - 1n} consumed inbox message ${forced.inboxIndex}`);

  const cfgPath = join(dir, "validator.json");
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, dataDir: join(dir, "unused") }));
  const r = await runValidator(cfgPath);
  t.equal(r.code, 0, `a fresh validator rebuilds it from L1 alone (output: ${r.out.slice(-300)})`);
});
