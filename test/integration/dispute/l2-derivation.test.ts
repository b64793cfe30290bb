/**
 * L1 disputes reach L2: a real sequencer (SequencerNode with BridgeFollower) over the real Bridge
 * and DisputeGame. A worker's claim is submitted on L2, disputed on L1 and played to the end with
 * the planners: L2 shows the job `disputed` once the DisputeOpened is `confirmations` deep, then
 * `refunded` (claimer lost) or `submitted` and paid after the challenge window (claimer won).
 * Every dispute on the claim counts (a second one is followed too); a void one after the refund,
 * and a dispute over a claim another bonded worker signed for the same job id, are rejected by
 * the state machine without stalling the
 * sequencer; a dispute reorged out before its confirmation depth never reaches L2. On the
 * embedded chain and on anvil.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t, { type Test } from "tap";
import { createTestClient, type Hex, parseEther } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { SequencerNode, SubmitError } from "../../../sequencer/node.ts";
import { keys as K } from "../../../sequencer/state/records.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { type MlpFixture, mlpFixture, registerModel, signClaimAs, tamper } from "../../helpers/dispute.ts";
import { testClaim } from "../../helpers/dispute-game.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";
import { cidHexOf } from "../../helpers/registered-model.ts";

const REQUESTER = 4;
const WORKER = 1;
const CHALLENGER = 2;
const CHALLENGER2 = 3;
const SOCK = 6; // a second bonded worker that signs a claim naming someone else's job
const STRANGER = 5;
const CONFIRMATIONS = 2;
const WINDOW_MS = 60_000;
const ESCROW = 1000n;
const CLOCK = 600n;

interface Rig {
  b: L1Backend;
  f: MlpFixture;
  honest: PartyView;
  modelId: Hex;
  bridge: Hex;
  game: DisputeGameContract;
  node: SequencerNode;
  /** The L2 clock (ms); block timestamps. */
  now: { ms: number };
  l2: (who: number, tx: Record<string, unknown>) => Promise<Hex>;
  seal: () => Promise<void>;
  /** Mines `confirmations` L1 blocks and seals: what L1 did so far reaches L2. */
  confirm: () => Promise<void>;
  job: (id: Hex) => {
    status: string;
    disputeId: string | null;
    refundReason: string | null;
    submittedAt: number | null;
  };
  balance: (who: number) => bigint;
}

async function rig(t: Test, b: L1Backend, f: MlpFixture): Promise<Rig> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
    disputeClock: CLOCK,
  });
  const modelId = await registerModel(d.bridge, f.model);
  await d.bridge.as(b.wallet(WORKER)).stake(parseEther("3"));
  await d.bridge.as(b.wallet(SOCK)).stake(parseEther("1"));
  for (const c of [CHALLENGER, CHALLENGER2]) await d.bridge.as(b.wallet(c)).depositBond(parseEther("0.5"));

  const addr = (i: number) => b.accounts[i].address.toLowerCase();
  const { genesis, key } = resolveGenesis({
    ...DEFAULTS,
    genesis: {
      ...DEFAULTS.genesis,
      l1ChainId: String(d.chainId),
      bridge: d.address,
      challengeWindowMs: WINDOW_MS,
      alloc: { [addr(REQUESTER)]: "1000000" },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "verdict-l2-dispute-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const follower = new BridgeFollower(b.clients(0), {
    bridge: d.address,
    confirmations: CONFIRMATIONS,
    startBlock: Number(d.blockNumber),
  });
  const now = { ms: 1_000_000 };
  const node = await SequencerNode.open({
    dataDir: dir,
    genesis,
    sequencerKey: key ?? undefined,
    l1: follower,
    clock: () => now.ms,
    verifyWorkers: 0,
  });
  t.teardown(() => node.close());
  const nonces = new Map<number, number>();
  const domain = l2Domain(genesis.l2ChainId);
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  const r: Rig = {
    b,
    f,
    honest: buildPartyView(f.model, [f.input], f.outputs),
    modelId,
    bridge: d.address,
    game,
    node,
    now,
    l2: async (who, tx) => {
      const nonce = nonces.get(who) ?? 0;
      const signed = signTx(
        { ...tx, from: addr(who), nonce, fee: 0n } as unknown as UnsignedUserTx,
        fromHex(b.accounts[who].privateKey),
        domain,
      );
      const { txHash } = await node.submit(encodeTx(signed as UserTx));
      nonces.set(who, nonce + 1);
      return txHash;
    },
    seal: async () => {
      now.ms += 1000;
      await node.sealNow();
    },
    confirm: async () => {
      await b.mine(CONFIRMATIONS);
      await r.seal();
    },
    job: (id) => node.record(K.job(id)) as ReturnType<Rig["job"]>,
    balance: (who) => {
      const a = node.record(K.account(addr(who))) as { balance: string } | null;
      return BigInt(a?.balance ?? "0");
    },
  };
  await r.l2(WORKER, { type: "registerWorker", models: [modelId], price: 1n, capacity: 4, multiaddr: "" });
  // the model's registration has its confirmations (stakes and bonds came after it): derived now
  await r.seal();
  if (!node.record(K.model(modelId))) throw new Error(`model ${modelId} not derived into L2`);
  return r;
}

/** Posts, claims and submits a job on L2 whose claim commits to `claimer`'s trace. */
async function submittedJob(r: Rig, claimer: PartyView, n: number) {
  const inputRoot = toHex(tensorListRoot([r.f.input]));
  const jobId = await r.l2(REQUESTER, {
    type: "postJob",
    modelId: r.modelId,
    inputRoot,
    inputCid: await cidHexOf(encodeTensorFile([r.f.input])),
    escrow: ESCROW,
    deadline: r.now.ms + 3_600_000,
  });
  await r.l2(WORKER, { type: "claimJob", jobId });
  const claim = testClaim(r.b, {
    jobId,
    modelId: r.modelId,
    inputRoot,
    outputRoot: toHex(sha256(claimer.trace.outputs[r.f.model.nodeCount - 1][0].root)),
    traceRoot: toHex(claimer.trace.root),
    outputCid: `0x01551220${n.toString(16).padStart(64, "0")}`,
  });
  const signature = await signClaimAs(r.b, WORKER, claim, r.bridge);
  await r.l2(WORKER, { type: "submitResult", claim, claimSignature: signature });
  await r.seal();
  return { jobId, claim, signature };
}

async function rejects422(t: Test, p: Promise<unknown>, re: RegExp, what: string) {
  try {
    await p;
    t.fail(`${what}: accepted`);
  } catch (e) {
    t.ok(e instanceof SubmitError && e.status === 422, `${what}: refused (${(e as Error).message})`);
    t.match((e as Error).message, re, what);
  }
}

async function scenarios(t: Test, b: L1Backend, f: MlpFixture): Promise<void> {
  const r = await rig(t, b, f);
  const as = (i: number) => r.game.as(b.wallet(i));

  await t.test(
    "claimer lost: disputed, then refunded; a second dispute is followed, a void one rejected",
    async (t) => {
      const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3));
      const { jobId, claim, signature } = await submittedJob(r, liar, 1);
      t.equal(r.job(jobId).status, "submitted");
      const before = r.balance(REQUESTER);
      const { disputeId } = await as(CHALLENGER).open(claim, signature);
      await r.seal();
      t.equal(r.job(jobId).status, "submitted", "not before its confirmation depth");
      await r.confirm();
      t.equal(r.job(jobId).status, "disputed", "disputed once confirmed");
      t.equal(r.job(jobId).disputeId, disputeId.toString(), "under that dispute");
      await rejects422(t, r.l2(REQUESTER, { type: "finalize", jobId }), /is disputed/, "finalize");

      // A second challenger disputes the same claim while the first game runs.
      const second = await as(CHALLENGER2).open(claim, signature);
      await r.confirm();
      t.equal(r.job(jobId).disputeId, second.disputeId.toString(), "L2 follows the second dispute too");
      t.equal(r.job(jobId).status, "disputed");

      const played = await playToEnd(
        disputeId,
        { game: as(WORKER), view: liar },
        { game: as(CHALLENGER), view: r.honest },
      );
      t.equal(played.winner, Winner.challenger, "the challenger wins on L1");
      await r.seal();
      t.equal(r.job(jobId).status, "disputed", "the resolution waits for its confirmation depth");
      await r.confirm();
      t.equal(r.job(jobId).status, "refunded", "refunded on L2");
      t.equal(r.job(jobId).refundReason, "dispute lost");
      t.equal(r.balance(REQUESTER), before + ESCROW, "the escrow is back with the requester");
      t.equal(r.balance(WORKER), 0n, "the worker is not paid");

      // The second dispute is now void on L1; its DisputeResolved is rejected on L2 while the
      // sequencer goes on sealing the user txs of the same block.
      await as(STRANGER).closeVoid(second.disputeId);
      t.equal((await r.game.getDispute(second.disputeId)).winner, Winner.void);
      // and a third, opened on the invalidated claim, ends void at once
      await as(CHALLENGER).open(claim, signature);
      const head = r.node.chain.head.number;
      await b.mine(CONFIRMATIONS);
      const transfer = await r.l2(REQUESTER, {
        type: "transfer",
        to: b.accounts[STRANGER].address,
        amount: 7n,
      });
      await r.seal();
      t.equal(r.node.chain.head.number, head + 1, "a block was sealed");
      const blk = await r.node.block(head + 1);
      t.same(
        blk?.receipts.map((x) => x.txHash),
        [transfer],
        "with the user tx and none of the rejected dispute txs",
      );
      t.equal(r.job(jobId).status, "refunded", "still refunded");
      t.equal(r.balance(REQUESTER), before + ESCROW - 7n, "refunded once");
    },
  );

  await t.test(
    "claimer won: disputed, back to submitted, paid after the window; a sock's claim is ignored",
    async (t) => {
      const { jobId, claim, signature } = await submittedJob(r, r.honest, 2);
      const submittedAt = r.job(jobId).submittedAt as number;

      // Another bonded worker signs a claim naming this job: its dispute is not about this job's
      // claim, so L2 ignores it, and its loss does not refund this job.
      const sockClaim = {
        ...claim,
        worker: b.accounts[SOCK].address.toLowerCase() as Hex,
        traceRoot: toHex(sha256(new Uint8Array([9]))),
      };
      const sockSig = await signClaimAs(b, SOCK, sockClaim, r.bridge);
      const sock = await as(CHALLENGER2).open(sockClaim, sockSig);
      await r.confirm();
      t.equal(r.job(jobId).status, "submitted", "a dispute over another claim does not freeze the job");
      await b.increaseTime(Number(CLOCK) + 1);
      await as(STRANGER).timeout(sock.disputeId);
      t.equal((await r.game.getDispute(sock.disputeId)).winner, Winner.challenger, "the sock lost on time");
      await r.confirm();
      t.equal(r.job(jobId).status, "submitted", "its loss does not refund this job");

      const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3, 1000));
      const { disputeId } = await as(CHALLENGER).open(claim, signature);
      await r.confirm();
      t.equal(r.job(jobId).status, "disputed");
      const played = await playToEnd(
        disputeId,
        { game: as(WORKER), view: r.honest },
        { game: as(CHALLENGER), view: liar },
      );
      t.equal(played.winner, Winner.claimer, "the claimer wins on L1");
      await r.confirm();
      t.equal(r.job(jobId).status, "submitted", "back to submitted");
      t.equal(r.job(jobId).disputeId, null);
      r.now.ms = submittedAt + WINDOW_MS - 2000;
      await rejects422(t, r.l2(WORKER, { type: "finalize", jobId }), /challenge window is open/, "early");
      await r.node.sealNow(); // closes the block stamped before the window's end
      r.now.ms = submittedAt + WINDOW_MS;
      const before = r.balance(WORKER);
      await r.l2(WORKER, { type: "finalize", jobId });
      await r.seal();
      t.equal(r.job(jobId).status, "paid", "paid after the window");
      t.equal(r.balance(WORKER), before + ESCROW);
    },
  );

  await t.test("a dispute reorged out before its confirmation depth never reaches L2", async (t) => {
    const { jobId, claim, signature } = await submittedJob(r, r.honest, 3);
    const clients = b.clients(0);
    const test = createTestClient({ mode: "anvil", chain: clients.chain, transport: clients.transport });
    const snap = await test.snapshot();
    await as(CHALLENGER).open(claim, signature);
    await b.mine(CONFIRMATIONS - 1);
    // a user tx in each block, so that a block (and its L1 origin) is sealed every time
    const poke = () => r.l2(REQUESTER, { type: "transfer", to: b.accounts[STRANGER].address, amount: 1n });
    await poke();
    await r.seal();
    t.equal(r.job(jobId).status, "submitted", "one block short of the depth");
    const origin = r.node.chain.head.l1OriginNumber;
    await test.revert({ id: snap });
    await b.mine(CONFIRMATIONS + 2);
    await poke();
    await r.seal();
    t.equal(r.job(jobId).status, "submitted", "the dropped dispute never arrives");
    const head = r.node.chain.head;
    t.ok(head.l1OriginNumber > origin, "L2 moved on along the new L1 chain");
    const l1Block = await clients.publicClient.getBlock({ blockNumber: BigInt(head.l1OriginNumber) });
    t.equal(head.l1OriginHash, l1Block.hash, "its origin is a block of the new chain");
  });
}

t.test("L1 disputes derived into L2 on the embedded chain", async (t) => {
  const f = await mlpFixture(16, 32);
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("L1 disputes derived into L2 on anvil", async (t) => {
  const f = await mlpFixture(16, 32);
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});
