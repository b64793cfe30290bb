/**
 * The batch challenge with real processes (docs/rollup.md 8c), on the embedded L1 chain (its own
 * HTTP server) and on anvil. The Bridge is deployed with its BatchChallenge for the test's L2
 * genesis; `verdict sequencer` bonds by itself before its first batch.
 *
 * Lying sequencer: `verdict sequencer --test-fault forge-withdrawal` posts batch 0 with a message
 * root holding 1 ETH to itself that no L2 tx made (`wrong-state-root`: a state root that is not
 * its blocks'; `forge-result`: a result leaf from a claim it signed itself), and defends it with
 * its lie (the truth at every step but the last). A `verdict validator --challenge-key` process re-executes the batch from L1,
 * challenges it, wins the bisection and the one-step, and the Bridge removes the batch; the forged
 * withdrawal is never paid (refused while challenged, and after the removal). The caught sequencer
 * re-posts the honest chain, a genuine withdrawal is paid from it, and a fresh validator finds
 * every batch on L1 right.
 *
 * Honest sequencer: a challenger that disagrees with every commitment plays against the real
 * `verdict sequencer` process, which answers each move from its own blocks (and is killed with
 * SIGKILL mid-challenge and restarted: it finds the challenge on L1 and plays on); the liar cannot
 * prove a step (StepIsRight), its clock runs out, the sequencer ends the challenge by timeout and
 * takes its bond; the batch stays.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { createTestClient, type Hex, parseEther } from "viem";
import { BatchChallengeContract, challengerMove, PHASE } from "../../../bridge/batch-challenge.ts";
import { devAccounts } from "../../../bridge/chain/accounts.ts";
import { connectL1 } from "../../../bridge/clients.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { batchChallengeAbi } from "../../../contracts/artifacts/BatchChallenge.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { MessageTree } from "../../../protocol/withdrawal.ts";
import { startRole } from "../../../scripts/devnet/roles.ts";
import { decodeBatchData } from "../../../sequencer/batch-data.ts";
import { forgedWithdrawal } from "../../../sequencer/batch-faults.ts";
import { resolveGenesis, type SequencerConfig } from "../../../sequencer/config.ts";
import { devKeys } from "../../../sequencer/devkit.ts";
import { challengeGenesisOfConfig } from "../../../sequencer/fault-proof/genesis.ts";
import { replayBatch } from "../../../sequencer/fault-proof/steps.ts";
import { L1BatchReader } from "../../../sequencer/l1-batches.ts";
import { challengerLiars } from "../../helpers/adversary/batch-liars.ts";
import { anvilBackend } from "../../helpers/l1.ts";
import { agentSequencerConfig } from "./harness.ts";
import { runValidator, until } from "./validator-harness.ts";

/** Seconds a batch can be challenged (and a withdrawal waits). */
/**
 * The Bridge's L1 window (s), and the L2 one (genesis challengeWindowMs) as long (the sequencer
 * refuses a longer L2 window); below the batch challenge's clock, so the tests' jumps past it
 * never time a defender out.
 */
const WINDOW = 20n;
/** Seconds each side has for all its moves in one batch challenge. */
const CLOCK = 40n;
const ACCOUNTS = devAccounts(10);
const SEQUENCER = 0; // the Bridge's sequencer (posts batches, answers challenges)
const CHALLENGER = 4;
const RECIPIENT = 6;

interface Net {
  l1Url: string;
  dep: Awaited<ReturnType<typeof deployBridge>>;
  cfg: Partial<SequencerConfig>;
  cfgPath: string;
  dir: string;
  user: ReturnType<typeof devKeys>[number];
  increaseTime(s: number): Promise<void>;
  logs: string[];
  role(name: string, args: string[]): ReturnType<typeof startRole>;
}

async function network(t: Test, l1: "embedded" | "anvil"): Promise<Net> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-batch-defence-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let l1Url: string;
  if (l1 === "anvil") {
    const a = await anvilBackend();
    t.teardown(() => a.close());
    l1Url = a.url;
  } else {
    const devnet = await startDevnet({ port: 0, deploy: false });
    t.teardown(() => devnet.close());
    l1Url = devnet.http?.url as string;
  }
  const deployer = await connectL1({
    rpcUrl: l1Url,
    privateKey: ACCOUNTS[SEQUENCER].privateKey,
    pollingIntervalMs: 50,
  });
  const test = createTestClient({ mode: "anvil", chain: deployer.chain, transport: deployer.transport });
  // an empty block every second: L1 time moves as on a real chain (windows, clocks)
  const ticker = setInterval(() => void test.mine({ blocks: 1 }).catch(() => {}), 1000);
  t.teardown(() => clearInterval(ticker));
  const [user] = devKeys(1, "batch-defence");
  const genesis = {
    l2ChainId: "424242",
    sequencer: null,
    minFee: "0",
    feeRecipient: null,
    challengeWindowMs: Number(WINDOW) * 1000,
    alloc: { [user.address]: (10n ** 21n).toString() },
  };
  const dep = await deployBridge(deployer, {
    challengeWindow: WINDOW,
    unbondingDelay: 10_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
    batchChallenge: { ...challengeGenesisOfConfig(genesis), clock: CLOCK },
  });
  const seqDir = join(dir, "seq");
  mkdirSync(seqDir);
  const base = agentSequencerConfig({
    dataDir: seqDir,
    l1Rpc: l1Url,
    deployment: dep,
    l1Key: ACCOUNTS[SEQUENCER].privateKey,
    challengeWindowMs: genesis.challengeWindowMs,
    alloc: genesis.alloc,
  });
  const cfg = { ...base, batchIntervalMs: 1000 };
  const cfgPath = join(dir, "sequencer.json");
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const logs: string[] = [];
  const roles: ReturnType<typeof startRole>[] = [];
  t.teardown(async () => {
    for (const r of roles.reverse()) await r.stop(3000);
  });
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(logs.slice(-80).join("\n"));
  });
  return {
    l1Url,
    dep,
    cfg,
    cfgPath,
    dir,
    user,
    logs,
    increaseTime: async (s) => {
      await test.increaseTime({ seconds: s });
      await test.mine({ blocks: 1 });
    },
    role: (name, args) => {
      const r = startRole({ role: name, args, print: (l) => logs.push(l), printLevel: 30 });
      roles.push(r);
      return r;
    },
  };
}

async function sendL2(seqUrl: string, n: Net, tx: Record<string, unknown>): Promise<Hex> {
  const signed = signTx(
    { from: n.user.address, fee: 0n, ...tx } as UnsignedUserTx,
    n.user.key,
    l2Domain(424242n),
  );
  const res = await fetch(`${seqUrl}/v1/txs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(encodeTx(signed as UserTx)),
  });
  if (res.status !== 202) throw new Error(`${tx.type}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { txHash: Hex }).txHash;
}

async function startSequencer(
  n: Net,
  extra: string[],
): Promise<{ url: string; role: ReturnType<typeof startRole> }> {
  const seq = n.role("sequencer", ["sequencer", "--config", n.cfgPath, ...extra]);
  const url = (await seq.waitFor((l) => l.msg === "http listening", 120_000, "HTTP address")).url as string;
  await seq.waitFor((l) => l.msg === "p2p listening", 60_000, "p2p");
  return { url, role: seq };
}

const LIES = [
  ["embedded", "forge-withdrawal"],
  ["embedded", "wrong-state-root"],
  ["embedded", "forge-result"],
  ["anvil", "forge-withdrawal"],
  ["anvil", "wrong-state-root"],
] as const;

for (const [l1, fault] of LIES) {
  t.test(`${l1}: a ${fault} batch is challenged by a validator process and removed`, async (t) => {
    const n = await network(t, l1);
    const game = n.dep.batchChallenge?.address as Hex;
    const watch = new BatchChallengeContract(await connectL1({ rpcUrl: n.l1Url }), game);
    // a deposit derived in the sequencer's first block, and user txs: batch 0 has txs to bisect
    await n.dep.bridge.deposit(n.user.address, 5_000n);
    const seq = await startSequencer(n, ["--test-fault", fault]);
    await sendL2(seq.url, n, {
      type: "transfer",
      nonce: 0,
      to: devKeys(2, "batch-defence")[1].address,
      amount: 7n,
    });
    await sendL2(seq.url, n, {
      type: "transfer",
      nonce: 1,
      to: devKeys(2, "batch-defence")[1].address,
      amount: 8n,
    });
    await seq.role.waitFor((l) => l.msg === "posting the sequencer bond", 60_000, "the sequencer bonds");
    await until("batch 0 on L1", async () => (await n.dep.bridge.batchCount()) > 0n, 60_000);
    const lie = await n.dep.bridge.getBatch(0n);
    const postedAt = Date.now();
    const sequencerL2 = resolveGenesis(n.cfg as SequencerConfig).genesis.sequencer;
    const forged = forgedWithdrawal(0, sequencerL2);
    const forgedClaim = {
      batchIndex: 0n,
      recipient: forged.recipient,
      amount: forged.amount,
      l2TxHash: forged.l2TxHash,
      ...new MessageTree([forged]).proof(0),
    };
    if (fault === "forge-withdrawal")
      t.equal(
        lie.withdrawalRoot,
        new MessageTree([forged]).rootHex,
        "batch 0 commits the forged withdrawal (its blocks send no message)",
      );

    const validator = n.role("validator", [
      "validator",
      "--config",
      n.cfgPath,
      "--challenge-key",
      ACCOUNTS[CHALLENGER].privateKey,
      "--interval-ms",
      "200",
    ]);
    await validator.waitFor((l) => l.msg === "challenged bad batch", 60_000, "the validator challenges");
    // the window passes while the challenge runs: the forged withdrawal still pays nothing
    await n.increaseTime(Number(WINDOW) + 1);
    if (fault === "forge-withdrawal")
      await t.rejects(
        n.dep.bridge.proveWithdrawal(forgedClaim),
        // under challenge; or, if the challenge already ended, removed / posted again honestly
        /BatchUnderChallenge|UnknownBatch|InvalidWithdrawalProof|BatchNotFinalized/,
        "the forged withdrawal is refused while its batch is challenged",
      );
    const ended = await validator.waitFor(
      (l) => l.msg === "batch challenge ended",
      180_000,
      "the challenge ends",
    );
    t.equal(ended.outcome, "won", "the validator won");
    // with a 200 ms validator poll, a 1 s defender tick and 1 s L1 blocks (wall clock: the L1 time jump below is not in it)
    t.comment(
      `seconds from the bad batch on L1 to its removal: ${((Date.now() - postedAt) / 1000).toFixed(1)}`,
    );
    t.equal(ended.reason, "tx executes to another state", "proven by a one-step, not by the clock");
    await seq.role.waitFor(
      (l) => l.msg === "batch challenged: revealed its messages",
      1000,
      "the lying sequencer defended its batch",
    );
    const c = await watch.getChallenge(0n);
    t.equal(c.phase, PHASE.challengerWon, "on L1: the challenger won");
    t.ok(c.txCount >= 2n, `the bisection ran over ${c.txCount} txs`);
    const [removed] = await watch.clients.publicClient.getContractEvents({
      address: game,
      abi: batchChallengeAbi,
      eventName: "BatchesRemoved",
      fromBlock: 0n,
    });
    t.match(
      (removed as unknown as { args: { fromBatchIndex: bigint; slashed: bigint } }).args,
      { fromBatchIndex: 0n, slashed: parseEther("1") },
      "batch 0 and every later one removed, the sequencer's whole bond slashed",
    );

    // the caught sequencer drops its removed batches and re-posts the honest chain
    await seq.role.waitFor((l) => /^batches removed from L1/.test(String(l.msg)), 60_000, "drop");
    let posts0 = 0;
    await seq.role.waitFor(
      (l) => l.msg === "batch posted" && l.index === 0 && ++posts0 === 2,
      60_000,
      "batch 0 posted again",
    );
    const honest = await n.dep.bridge.getBatch(0n);
    t.equal(honest.firstBlock, 1n, "batch 0 is posted again from block 1");
    t.ok(
      honest.stateRoot !== lie.stateRoot || honest.withdrawalRoot !== lie.withdrawalRoot,
      "with other roots than the lie",
    );
    // a genuine withdrawal, batched after the removal, is paid after its window
    const recipient = ACCOUNTS[RECIPIENT].address.toLowerCase() as Hex;
    const w = await sendL2(seq.url, n, { type: "withdraw", nonce: 2, l1Recipient: recipient, amount: 1000n });
    const proof = await until(
      "the withdrawal's proof",
      async () => {
        const r = await fetch(`${seq.url}/v1/withdrawals/${w}/proof`);
        return r.status === 200 && ((await r.json()) as Record<string, unknown>);
      },
      60_000,
    );
    await n.increaseTime(Number(WINDOW) + 1);
    await n.dep.bridge.proveWithdrawal({
      batchIndex: BigInt(proof.batchIndex as number),
      recipient,
      amount: 1000n,
      l2TxHash: w,
      leafIndex: proof.leafIndex as number,
      leafCount: proof.leafCount as number,
      proof: proof.proof as Hex[],
    });
    t.pass("the genuine withdrawal is paid from the re-posted chain");
    if (fault === "forge-withdrawal") {
      await t.rejects(
        n.dep.bridge.proveWithdrawal(forgedClaim),
        /InvalidWithdrawalProof/,
        "the forged withdrawal is never paid from the re-posted batch 0",
      );
      const pub = (await connectL1({ rpcUrl: n.l1Url })).publicClient;
      t.equal(await pub.getBalance({ address: sequencerL2 }), 0n, "forged recipient paid: 0");
    }
    await validator.waitFor(
      (l) => l.msg === "batches removed on L1: replaying from genesis again",
      30_000,
      "the validator starts over",
    );
    await validator.waitFor(
      (l) => l.msg === "batch re-executed: commitments match" && l.index === 0,
      30_000,
      "the validator checks the re-posted batch 0",
    );
    t.equal(await watch.challengeCount(), 1n, "the re-posted honest batches were not challenged");
    // a fresh validator rebuilds every batch L1 holds now (the removed ones skipped) and finds no lie
    writeFileSync(join(n.dir, "validator.json"), JSON.stringify({ ...n.cfg, dataDir: join(n.dir, "v") }));
    const check = await runValidator(join(n.dir, "validator.json"));
    t.equal(check.code, 0, `a fresh validator finds every batch right (${check.out.slice(-300)})`);
  });
}

for (const l1 of ["embedded", "anvil"] as const) {
  t.test(`${l1}: an honest sequencer process defends its batch against a lying challenger`, async (t) => {
    const n = await network(t, l1);
    const game = n.dep.batchChallenge?.address as Hex;
    await n.dep.bridge.deposit(n.user.address, 5_000n);
    let seq = await startSequencer(n, []);
    const to = devKeys(2, "batch-defence")[1].address;
    for (let i = 0; i < 3; i++) await sendL2(seq.url, n, { type: "transfer", nonce: i, to, amount: 5n });
    await until("batch 0 on L1", async () => (await n.dep.bridge.batchCount()) > 0n, 60_000);
    const bondBefore = await new BatchChallengeContract(
      await connectL1({ rpcUrl: n.l1Url }),
      game,
    ).sequencerBondBalance();
    // the liar's view of batch 0: the batch's own data, every commitment after C_0 disputed
    const liarClients = await connectL1({
      rpcUrl: n.l1Url,
      privateKey: ACCOUNTS[CHALLENGER].privateKey,
      pollingIntervalMs: 50,
    });
    const [batch] = await new L1BatchReader(liarClients, {
      bridge: n.dep.address,
      confirmations: 0,
      startBlock: Number(n.dep.blockNumber),
    }).next();
    const { genesis } = resolveGenesis({ ...n.cfg, follow: "test" } as SequencerConfig);
    const start = Object.entries(genesis.alloc).map(
      ([a, b]) =>
        [`acct/${a.toLowerCase()}`, { balance: b, nonce: 0 }] as [string, { balance: bigint; nonce: number }],
    );
    const blocks = decodeBatchData(batch.txData);
    // batch 0: from the genesis state, before any inbox message
    const begin = { state: start, inboxHash: `0x${"00".repeat(32)}` as const, lastTime: 0 };
    const truth = replayBatch(genesis, begin, blocks);
    const liar = challengerLiars.disagreeAll(truth);
    const liarGame = new BatchChallengeContract(liarClients, game);
    const { id } = await liarGame.challengeBatch(0n, parseEther("0.1"));
    let proven = false;
    let crashed = false;
    for (let i = 0; i < 200; i++) {
      const v = await liarGame.getChallenge(id);
      if (v.phase >= PHASE.sequencerWon) break;
      if (v.phase === PHASE.awaitVerdict && !crashed) {
        // the sequencer crashes mid-challenge; the restarted process finds the challenge on L1
        // and plays on from its phase (nothing about it was kept but L1 and the blocks)
        crashed = true;
        seq.role.proc.kill("SIGKILL");
        await seq.role.exited;
        seq = await startSequencer(n, []);
      }
      if (v.phase === PHASE.awaitOneStep && !proven) {
        await t.rejects(
          challengerMove(liarGame, id, liar, (k) => replayBatch(genesis, begin, blocks, k).witness as never),
          /StepIsRight/,
          "the liar cannot prove a right step wrong",
        );
        proven = true;
        // it stops answering: past its clock, the sequencer process ends the challenge
        await n.increaseTime(Number(CLOCK) + 1);
      } else if (v.phase === PHASE.awaitVerdict)
        await challengerMove(liarGame, id, liar, () => {
          throw new Error("no one-step at a verdict");
        });
      await new Promise((r) => setTimeout(r, 250));
    }
    const moves = await seq.role.waitFor(
      (l) => l.msg === "batch challenge ended: the sequencer's batch stands",
      60_000,
      "the sequencer wins",
    );
    t.equal(moves.challengeId, id.toString(), "the restarted sequencer process ended it");
    t.ok(crashed, "the sequencer was killed mid-challenge");
    t.ok(proven, "the bisection reached a one-step");
    t.equal((await liarGame.resolution(id))?.reason, "challenger ran out of time");
    t.ok((await n.dep.bridge.batchCount()) >= 1n, "batch 0 stays");
    t.equal((await n.dep.bridge.getBatch(0n)).stateRoot, batch.stateRoot, "with its roots");
    t.equal(
      await liarGame.sequencerBondBalance(),
      bondBefore + parseEther("0.1"),
      "the liar's bond went to the sequencer",
    );
    t.notOk(
      n.logs.some((l) => l.includes("batches removed from L1")),
      "the honest sequencer never saw a removal",
    );
  });
}

t.test("a sequencer refuses to run under a batch challenge deployed for another genesis", async (t) => {
  const n = await network(t, "embedded");
  const other = join(n.dir, "other-genesis.json");
  const cfg = n.cfg as SequencerConfig;
  writeFileSync(other, JSON.stringify({ ...cfg, genesis: { ...cfg.genesis, alloc: {} } }));
  const seq = n.role("sequencer", ["sequencer", "--config", other]);
  const code = await seq.exited;
  t.not(code, 0, "it exits with an error");
  t.match(
    n.logs.join("\n") + seq.text(),
    /batch challenge 0x[0-9a-fA-F]{40} was deployed for another L2 genesis \(genesis state root/,
    "naming the challenge and the difference",
  );
  t.equal(await n.dep.bridge.batchCount(), 0n, "and posts nothing");
});

t.test("a sequencer refuses an L2 challenge window longer than the Bridge's L1 window", async (t) => {
  const n = await network(t, "embedded");
  const longer = join(n.dir, "longer-window.json");
  const cfg = n.cfg as SequencerConfig;
  const windowMs = Number(WINDOW) * 1000 + 1;
  writeFileSync(longer, JSON.stringify({ ...cfg, genesis: { ...cfg.genesis, challengeWindowMs: windowMs } }));
  const seq = n.role("sequencer", ["sequencer", "--config", longer]);
  const code = await seq.exited;
  t.not(code, 0, "it exits with an error");
  t.match(
    n.logs.join("\n") + seq.text(),
    `the L2 challenge window (genesis challengeWindowMs ${windowMs}) is longer than the Bridge's L1 challenge window (${WINDOW} s)`,
    "naming both windows",
  );
  t.equal(await n.dep.bridge.batchCount(), 0n, "and posts nothing");
});
