/**
 * L2 rebuilt from L1 alone, with real processes: a `verdict sequencer` process on the embedded L1
 * chain (over HTTP) derives a deposit, takes a transfer and a withdrawal, and posts batches whose
 * data rides in postBatch's calldata. A fresh `verdict validator --check` process, given only the
 * L1 URL and the genesis, rebuilds the exact state root of every batch. Run against a sequencer
 * with each test fault (wrong-state-root, forge-withdrawal, forge-result), the same validator
 * names the bad batch and exits 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { Hex } from "viem";
import { startDevnet } from "../../../bridge/devnet.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { devKeys } from "../../../sequencer/devkit.ts";
import { agentSequencerConfig, spawnSequencer } from "./harness.ts";
import { runValidator, until, watchValidator } from "./validator-harness.ts";

for (const fault of [null, "wrong-state-root", "forge-withdrawal", "forge-result"] as const) {
  t.test(
    fault
      ? `sequencer fault ${fault}: the validator names batch 0`
      : "honest: every batch rebuilt from L1 alone",
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), "verdict-validator-it-"));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const devnet = await startDevnet({ port: 0 });
      t.teardown(() => devnet.close());
      const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
      const [user, other] = devKeys(2, "validator-it");
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
      const seq = await spawnSequencer(seqDir, cfg, fault ? ["--test-fault", fault] : []);
      t.teardown(async () => {
        seq.proc.kill("SIGKILL");
        await seq.exited;
      });
      // an L1 deposit (a derived system tx), then a transfer and a withdrawal on L2
      await dep.bridge.deposit(other.address, 5_000n);
      await until("the deposit on L2", async () => {
        const a = (await (await fetch(`${seq.url}/v1/accounts/${other.address}`)).json()) as {
          balance?: string;
        };
        return a.balance === "5000";
      });
      const send = async (tx: Record<string, unknown>) => {
        const signed = signTx(
          { from: user.address, fee: 0n, ...tx } as UnsignedUserTx,
          user.key,
          l2Domain(424242n),
        );
        const res = await fetch(`${seq.url}/v1/txs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(encodeTx(signed as UserTx)),
        });
        t.equal(res.status, 202, `${tx.type} accepted`);
        return ((await res.json()) as { txHash: Hex }).txHash;
      };
      await send({ type: "transfer", nonce: 0, to: other.address, amount: 777n });
      const w = await send({ type: "withdraw", nonce: 1, l1Recipient: other.address, amount: 1000n });
      const wBlock = await until("the withdrawal in a block", async () => {
        const r = (await (await fetch(`${seq.url}/v1/receipts/${w}`)).json()) as { blockNumber?: number };
        return r.blockNumber;
      });
      await until("a batch covering the withdrawal on L1", async () => {
        const n = await dep.bridge.batchCount();
        return n > 0n && (await dep.bridge.getBatch(n - 1n)).lastBlock >= BigInt(wBlock);
      });

      const cfgPath = join(dir, "validator.json");
      writeFileSync(cfgPath, JSON.stringify({ ...cfg, dataDir: join(dir, "unused") }));
      const r = await runValidator(cfgPath);
      const s = r.summary as {
        batches: number;
        head: number;
        roots: Hex[];
        bad: { index: number; reason: string } | null;
      };
      if (!fault) {
        t.equal(r.code, 0, "exit 0");
        t.equal(s.bad, null, "no bad batch");
        t.ok(s.batches >= 1, `${s.batches} batches replayed`);
        for (let i = 0; i < s.batches; i++) {
          const onL1 = await dep.bridge.getBatch(BigInt(i));
          t.equal(s.roots[i], onL1.stateRoot, `batch ${i}: the rebuilt state root is the one L1 holds`);
          const block = (await (await fetch(`${seq.url}/v1/blocks/${onL1.lastBlock}`)).json()) as {
            header: { stateRoot: Hex };
          };
          t.equal(
            s.roots[i],
            block.header.stateRoot,
            `batch ${i}: and the sequencer's block ${onL1.lastBlock}`,
          );
        }
        t.ok(s.head >= wBlock, "the replay reached the withdrawal's block");
      } else {
        t.equal(r.code, 2, `exit 2 (output: ${r.out.slice(-400)})`);
        t.equal(s.bad?.index, 0, "batch 0 is named");
        t.match(
          s.bad?.reason,
          fault === "wrong-state-root" ? /state root .* the batch commits/ : /message root/,
        );
        t.equal(s.batches, 1, "the replay stops at the bad batch");
        if (fault === "wrong-state-root") {
          // watching, with metrics: the bad batch shows as its index
          const w = await watchValidator(cfgPath);
          t.teardown(() => w.stop());
          const text = await until("the bad batch in the metrics", async () => {
            const m = await (await fetch(w.url)).text();
            return /^verdict_validator_bad_batch 0$/m.test(m) && m;
          });
          t.match(text, /^verdict_validator_batches_checked 1$/m, "one batch checked");
          t.equal(await w.stop(), 2, "a watching validator that saw a bad batch exits 2 on SIGTERM");
        }
      }
    },
  );
}
