/**
 * The durable embedded chain (bridge/chain/journal.ts): a chain created on a data dir replays its
 * journal into the very same blocks (hashes, state, receipts, logs, the pool), continues it, and
 * refuses a journal it cannot trust with a named error. startDevnet on a data dir finds its
 * deployment instead of deploying again.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { parseEther, toEventSelector } from "viem";
import { EmbeddedChain, JOURNAL_FILE } from "../../../bridge/chain/chain.ts";
import { JournalError, parseJournal } from "../../../bridge/chain/journal.ts";
import { embeddedL1Clients } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { bridgeAbi, bridgeBytecode } from "../../../contracts/artifacts/Bridge.ts";
import { challengeGenesisOfConfig, DEVNET_L2_GENESIS } from "../../../sequencer/fault-proof/genesis.ts";

function tempDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "verdict-journal-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every block's hash, state root and receipts' logs, from genesis to the head. */
function fingerprint(chain: EmbeddedChain): string[] {
  const out: string[] = [];
  for (let n = 0n; n <= chain.blockNumber(); n++) {
    const b = chain.blockByNumber(n)!;
    out.push(
      `${n} ${b.hash} ${Buffer.from(b.block.header.stateRoot).toString("hex")} ${b.block.header.timestamp} ` +
        JSON.stringify(b.receipts.map((r) => [r.txHash, r.status, r.gasUsed.toString(), r.logs])),
    );
  }
  return out;
}

t.test("a chain replayed from its journal has the same blocks, state and pool, and goes on", async (t) => {
  const dir = tempDir(t);
  // A clock the test moves, so blocks of the first life and the second are seconds apart.
  let now = 1_700_000_000_000;
  const clock = () => now;
  const a = await EmbeddedChain.create({ dataDir: dir, clock });
  t.equal(a.replayedBlocks, 0, "a new chain");
  const ca = embeddedL1Clients(a, { privateKey: a.accounts[0].privateKey });
  const deploy = await ca.walletClient!.deployContract({
    abi: bridgeAbi,
    bytecode: bridgeBytecode,
    args: [a.accounts[0].address, 100n, 200n, parseEther("1"), parseEther("0.1")],
  });
  const bridge = (await ca.publicClient.waitForTransactionReceipt({ hash: deploy })).contractAddress!;
  now += 5000;
  const depositor = embeddedL1Clients(a, { privateKey: a.accounts[1].privateKey });
  await depositor.walletClient!.writeContract({
    address: bridge,
    abi: bridgeAbi,
    functionName: "deposit",
    args: [a.accounts[1].address],
    value: parseEther("2"),
  });
  a.increaseTime(3600);
  await a.mine(3);
  // A snapshot / revert is journaled too: the reverted blocks must not come back.
  const snap = await a.snapshot();
  await ca.walletClient!.sendTransaction({ to: a.accounts[5].address, value: 7n });
  await a.revertTo(snap);
  await a.mine(1);
  // One transaction left pending when the chain stops.
  a.automine = false;
  // (from another account: viem's nonce manager would still count the reverted transfer)
  const other = embeddedL1Clients(a, { privateKey: a.accounts[2].privateKey });
  const pendingHash = await other.walletClient!.sendTransaction({ to: a.accounts[4].address, value: 123n });
  const before = fingerprint(a);
  const balance = await a.getBalance(bridge);
  await a.close();

  now += 60_000;
  const b = await EmbeddedChain.create({ dataDir: dir, clock });
  t.teardown(() => b.close());
  t.equal(b.replayedBlocks, before.length - 1, "every block replayed");
  t.strictSame(fingerprint(b), before, "same hashes, state roots, timestamps, receipts and logs");
  t.equal(await b.getBalance(bridge), balance, "same state");
  t.equal(
    await b.getBalance(a.accounts[5].address),
    parseEther("10000"),
    "the reverted transfer stays reverted",
  );
  t.ok(b.transaction(pendingHash)?.tx, "the pending transaction is back in the pool");
  t.equal(b.transaction(pendingHash)?.block, undefined, "and not mined");
  // Deposited only: a deposit also logs InboxQueued (the forced-inclusion inbox)
  const deposited = toEventSelector(bridgeAbi.find((x) => x.type === "event" && x.name === "Deposited")!);
  const logs = b.getLogs({
    fromBlock: 0n,
    toBlock: b.blockNumber(),
    addresses: [bridge],
    topics: [deposited],
  });
  t.equal(logs.length, 1, "the deposit's log is found again");

  const [next] = await b.mine(1);
  t.equal(next.receipts[0]?.txHash, pendingHash, "the next block takes the pending transaction");
  t.ok(
    Number(next.block.header.timestamp) >
      Number(b.blockByNumber(next.block.header.number - 1n)!.block.header.timestamp),
    "time goes on after the restart",
  );
  const again = fingerprint(b);
  await b.close();
  const c = await EmbeddedChain.create({ dataDir: dir, clock });
  t.teardown(() => c.close());
  t.strictSame(fingerprint(c), again, "a second restart replays the blocks of both lives");
});

t.test("a journal of other options, a torn tail, a bad line, a wrong hash", async (t) => {
  const dir = tempDir(t);
  const a = await EmbeddedChain.create({ dataDir: dir });
  await a.mine(2);
  const head = a.latest().hash;
  await a.close();

  await t.rejects(EmbeddedChain.create({ dataDir: dir, chainId: 5 }), {
    name: "JournalError",
    message: /created with chainId 31337, this one is asked for 5/,
  });
  await t.rejects(EmbeddedChain.create({ dataDir: dir, accounts: 3 }), /created with accounts 10/);

  const path = join(dir, JOURNAL_FILE);
  const good = readFileSync(path, "utf8");
  appendFileSync(path, '{"kind":"block","number":3,"timest');
  const torn = await EmbeddedChain.create({ dataDir: dir });
  t.equal(torn.latest().hash, head, "a torn last line is cut off");
  await torn.close();
  t.equal(readFileSync(path, "utf8"), good, "and removed from the file");

  const lines = good.trimEnd().split("\n");
  writeFileSync(path, `${lines[0]}\nnot json\n${lines.slice(1).join("\n")}\n`);
  await t.rejects(EmbeddedChain.create({ dataDir: dir }), { name: "JournalError", message: /:2: not JSON/ });

  const forged = lines.map((l) => l.replace(/"hash":"0x[0-9a-f]{64}"}$/, `"hash":"0x${"ab".repeat(32)}"}`));
  writeFileSync(path, `${lines[0]}\n${forged.slice(1).join("\n")}\n`);
  await t.rejects(
    EmbeddedChain.create({ dataDir: dir }),
    /block 1 replays as 0x[0-9a-f]{64}, the journal says 0xabab/,
  );

  t.throws(() => parseJournal('{"kind":"tx","raw":"0x01"}\n'), /first record must be the genesis/);
  t.throws(() => parseJournal('{"kind":"nope"}\n'), JournalError);
  t.throws(() => parseJournal(`${lines[0]}\n{"kind":"block","number":-1}\n`), /bad number/);
});

t.test("startDevnet on a data dir deploys once, then finds its contracts", async (t) => {
  const dir = tempDir(t);
  // with the batch challenge, as `verdict l1 node --deploy` deploys it
  const bridgeParams = { batchChallenge: challengeGenesisOfConfig(DEVNET_L2_GENESIS) };
  const first = await startDevnet({ dataDir: dir, blockTimeMs: 100, bridgeParams });
  t.equal(first.resumed, false);
  const bridge = first.deployment!.address;
  const head = await first.chain.mine(1);
  await first.close();
  const second = await startDevnet({ dataDir: dir, blockTimeMs: 100, bridgeParams });
  t.teardown(() => second.close());
  t.same(
    second.deployment!.batchChallenge,
    first.deployment!.batchChallenge,
    "same BatchChallenge, same setup",
  );
  t.match(second.deployment!.batchChallenge?.address, /^0x[0-9a-fA-F]{40}$/);
  t.equal(second.resumed, true, "resumed");
  t.equal(second.deployment!.address, bridge, "same Bridge");
  t.equal(second.deployment!.disputeGame, first.deployment!.disputeGame, "same DisputeGame");
  t.equal(second.chain.blockByNumber(head[0].block.header.number)!.hash, head[0].hash, "same blocks");
  t.equal(
    (
      (await second.clients.publicClient.readContract({
        address: bridge,
        abi: bridgeAbi,
        functionName: "disputeGame",
      })) as string
    ).toLowerCase(),
    first.deployment!.disputeGame.toLowerCase(),
  );
});
