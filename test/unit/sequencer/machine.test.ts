import t, { type Test } from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import {
  type ClaimMsg,
  claimDigest,
  encodeTx,
  type Hex,
  NO_GENERATION,
  signClaim,
  signTx,
  type Tx,
  txDigest,
  type UserTx,
  type WorkerStakeTx,
} from "../../../protocol/tx.ts";
import { decodeForcedData, forcedData, txBytes } from "../../../sequencer/fault-proof/encoding.ts";
import { applyTx, type ChainParams, type TxContext, TxRejected } from "../../../sequencer/state/machine.ts";
import { MemoryState } from "../../../sequencer/state/overlay.ts";
import { type Account, type Job, keys, type Worker } from "../../../sequencer/state/records.ts";
import { cidHexOf, modelRegistration } from "../../helpers/registered-model.ts";

const key = (n: number) => {
  const k = new Uint8Array(32);
  k[31] = n;
  return k;
};
const ALICE_K = key(1);
const WORKER_K = key(2);
const OTHER_K = key(3);
const ALICE = addressOf(ALICE_K);
const WORKER = addressOf(WORKER_K);
const OTHER = addressOf(OTHER_K);
const FEES = `0x${"fe".repeat(20)}` as const;
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const MODEL = h32(0xaa);
const INPUT = h32(0xbb);
/** The CID of the bytes a job's input would be (the machine checks it is a CID, not what it names). */
const INPUT_CID = await cidHexOf(new TextEncoder().encode("the machine test's input file"));
const MODEL_REGISTERED = await modelRegistration(MODEL);
const params: ChainParams = { challengeWindowMs: 1000, minFee: 1n, feeRecipient: FEES, claimCollateral: 0n };
const cdomain = claimDomain(1n, `0x${"b0".repeat(20)}`);
let txn = 0;
const ctx = (timestamp: number, txHash: Hex = h32(0x10 + (txn++ % 200))): TxContext => ({
  timestamp,
  txHash,
  params,
  claimDomain: cdomain,
  l2Domain: l2Domain(424242n),
});
const SIG = `0x${"00".repeat(65)}` as Hex; // user signatures are checked before applyTx

function fresh(): MemoryState {
  const s = new MemoryState();
  applyTx(s, { type: "deposit", depositId: 1n, recipient: ALICE, amount: 1000n }, ctx(0));
  applyTx(s, { type: "deposit", depositId: 2n, recipient: WORKER, amount: 100n }, ctx(0));
  applyTx(s, { type: "deposit", depositId: 3n, recipient: OTHER, amount: 100n }, ctx(0));
  applyTx(s, MODEL_REGISTERED, ctx(0));
  return s;
}
const acct = (s: MemoryState, a: string) =>
  (s.get(keys.account(a)) as Account | undefined) ?? { balance: 0n, nonce: 0 };
const jobOf = (s: MemoryState, id: Hex) => s.get(keys.job(id)) as Job;
const nonceOf = (s: MemoryState, a: string) => acct(s, a).nonce;
const user = (s: MemoryState, from: string) => ({
  from: from as Hex,
  nonce: nonceOf(s, from),
  fee: 1n,
  signature: SIG,
});

function rejects(t: Test, s: MemoryState, tx: Tx, c: TxContext, re: RegExp, msg?: string) {
  const before = new Map(s.map);
  t.throws(() => applyTx(s, tx, c), re, msg ?? re.source);
  t.same(s.map, before, "state untouched by a rejected tx");
}

/** Register the worker, post a job, claim it; returns the job id. */
function setupClaimed(s: MemoryState, now = 10): Hex {
  applyTx(
    s,
    {
      type: "registerWorker",
      ...user(s, WORKER),
      models: [MODEL],
      price: 5n,
      capacity: 1,
      multiaddr: "/ip4/127.0.0.1/tcp/1",
    },
    ctx(now),
  );
  const id = h32(0x77);
  applyTx(
    s,
    {
      type: "postJob",
      ...user(s, ALICE),
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: INPUT_CID,
      escrow: 300n,
      deadline: now + 500,
    },
    ctx(now, id),
  );
  applyTx(s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(now));
  return id;
}
function claimFor(id: Hex, over: Partial<ClaimMsg> = {}): ClaimMsg {
  return {
    jobId: id,
    worker: WORKER,
    modelId: MODEL,
    inputRoot: INPUT,
    outputRoot: h32(1),
    traceRoot: h32(2),
    generationSpec: NO_GENERATION,
    outputCid: "0x0155",
    traceCid: "0x0156",
    ...over,
  };
}
function submit(
  s: MemoryState,
  id: Hex,
  _now: number,
  over: Partial<ClaimMsg> = {},
  signer = WORKER_K,
  from = WORKER,
): Tx {
  const c = claimFor(id, over);
  return { type: "submitResult", ...user(s, from), claim: c, claimSignature: signClaim(c, signer, cdomain) };
}

/** The L1 claim key of the claim `submit` makes for job `id` (with `over` changed). */
const keyOf = (id: Hex, over: Partial<ClaimMsg> = {}): Hex => toHex(claimDigest(claimFor(id, over), cdomain));

t.test("transfer moves value, charges the fee, bumps the nonce", async (t) => {
  const s = fresh();
  const out = applyTx(s, { type: "transfer", ...user(s, ALICE), to: OTHER, amount: 100n }, ctx(1));
  t.same(acct(s, ALICE), { balance: 899n, nonce: 1 });
  t.same(acct(s, OTHER), { balance: 200n, nonce: 0 });
  t.same(acct(s, FEES).balance, 1n);
  t.equal(out.events[0].kind, "Transfer");
  rejects(
    t,
    s,
    { type: "transfer", ...user(s, ALICE), to: OTHER, amount: 899n },
    ctx(1),
    /insufficient balance: have 898, need 899 for the transfer/,
  );
  rejects(
    t,
    s,
    { type: "transfer", ...user(s, OTHER), fee: 0n, to: ALICE, amount: 1n },
    ctx(1),
    /fee too low: minimum 1, got 0/,
  );
  rejects(
    t,
    s,
    { type: "transfer", ...user(s, OTHER), fee: 201n, to: ALICE, amount: 0n },
    ctx(1),
    /insufficient balance: have 200, need 201 for the fee/,
  );
});

t.test("nonces: replay and gaps are rejected with the expected nonce", async (t) => {
  const s = fresh();
  const tx: Tx = { type: "transfer", ...user(s, ALICE), to: OTHER, amount: 1n };
  applyTx(s, tx, ctx(1));
  rejects(t, s, tx, ctx(1), /bad nonce: expected 1, got 0/, "replay of an applied tx");
  rejects(t, s, { ...tx, nonce: 3 }, ctx(1), /bad nonce: expected 1, got 3/, "nonce gap");
  applyTx(s, { ...tx, nonce: 1 }, ctx(1));
  t.equal(nonceOf(s, ALICE), 2);
});

t.test("withdraw burns L2 balance and yields a withdrawal leaf", async (t) => {
  const s = fresh();
  const out = applyTx(
    s,
    { type: "withdraw", ...user(s, ALICE), l1Recipient: OTHER, amount: 500n },
    ctx(1, h32(0x99)),
  );
  t.same(out.withdrawal, { recipient: OTHER, amount: 500n, l2TxHash: h32(0x99) });
  t.equal(acct(s, ALICE).balance, 499n);
  rejects(
    t,
    s,
    { type: "withdraw", ...user(s, ALICE), l1Recipient: OTHER, amount: 0n },
    ctx(1),
    /withdrawal amount must be positive/,
  );
  rejects(
    t,
    s,
    { type: "withdraw", ...user(s, ALICE), l1Recipient: OTHER, amount: 499n },
    ctx(1),
    /insufficient balance/,
  );
});

t.test("register and update a worker", async (t) => {
  const s = fresh();
  const reg = {
    type: "registerWorker" as const,
    models: [MODEL],
    price: 5n,
    capacity: 2,
    multiaddr: "/ip4/1.2.3.4/tcp/1",
  };
  t.equal(applyTx(s, { ...reg, ...user(s, WORKER) }, ctx(1)).events[0].kind, "WorkerRegistered");
  t.equal(applyTx(s, { ...reg, ...user(s, WORKER), price: 9n }, ctx(1)).events[0].kind, "WorkerUpdated");
  t.equal((s.get(keys.worker(WORKER)) as Worker).price, 9n);
  rejects(t, s, { ...reg, ...user(s, WORKER), models: [MODEL, MODEL] }, ctx(1), /duplicate model id/);
});

t.test("post job escrows the fee; bad deadline and no funds rejected", async (t) => {
  const s = fresh();
  const post = {
    type: "postJob" as const,
    modelId: MODEL,
    inputRoot: INPUT,
    inputCid: INPUT_CID,
    escrow: 300n,
    deadline: 100,
  };
  applyTx(s, { ...post, ...user(s, ALICE) }, ctx(10, h32(0x55)));
  t.equal(acct(s, ALICE).balance, 699n);
  t.equal(jobOf(s, h32(0x55)).status, "open");
  rejects(
    t,
    s,
    { ...post, ...user(s, ALICE), deadline: 10 },
    ctx(10),
    /deadline 10 is not after the block time 10/,
  );
  rejects(
    t,
    s,
    { ...post, ...user(s, ALICE), escrow: 699n },
    ctx(10),
    /insufficient balance: have 698, need 699 for the job escrow/,
  );
  rejects(t, s, { ...post, ...user(s, ALICE) }, ctx(10, h32(0x55)), /job 0x5555.* exists/);
});

t.test("post job: a model L1 never registered, or an inputCid that is no CID, is refused", async (t) => {
  const s = fresh();
  const post = {
    type: "postJob" as const,
    modelId: MODEL,
    inputRoot: INPUT,
    inputCid: INPUT_CID,
    escrow: 300n,
    deadline: 100,
  };
  const unregistered = h32(0xcd);
  rejects(
    t,
    s,
    { ...post, ...user(s, ALICE), modelId: unregistered },
    ctx(10),
    new RegExp(`^model ${unregistered} is not registered on L1: no worker could prove a result for it$`),
  );
  for (const bad of ["0x01", "0x0155", "0x01551220aa", `0x${"ab".repeat(36)}`] as Hex[])
    rejects(
      t,
      s,
      { ...post, ...user(s, ALICE), inputCid: bad },
      ctx(10),
      /^inputCid is not a CID, a worker could not fetch the input: not a binary CID: 0x/,
      `inputCid ${bad} refused`,
    );
  // once L1's registration is derived, the same job is taken
  applyTx(s, await modelRegistration(unregistered), ctx(10));
  applyTx(s, { ...post, ...user(s, ALICE), modelId: unregistered }, ctx(10, h32(0x56)));
  t.equal(jobOf(s, h32(0x56)).modelId, unregistered);
});

t.test("model registration: recorded with its CID once; a replay is refused", async (t) => {
  const s = fresh();
  t.same(s.get(keys.model(MODEL)), {
    modelId: MODEL,
    registrant: MODEL_REGISTERED.registrant,
    cid: MODEL_REGISTERED.cid,
  });
  rejects(t, s, MODEL_REGISTERED, ctx(1), new RegExp(`^model ${MODEL} was already registered$`));
  const out = applyTx(s, await modelRegistration(h32(0xce), { cid: INPUT_CID }), ctx(1));
  t.same(out.events, [
    { kind: "ModelRegistered", modelId: h32(0xce), registrant: MODEL_REGISTERED.registrant, cid: INPUT_CID },
  ]);
});

t.test("claim job: every failure path", async (t) => {
  const s = fresh();
  const id = h32(0x66);
  applyTx(
    s,
    {
      type: "postJob",
      ...user(s, ALICE),
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: INPUT_CID,
      escrow: 10n,
      deadline: 100,
    },
    ctx(10, id),
  );
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: h32(0x01) }, ctx(11), /unknown job 0x0101/);
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(11), /is not a registered worker/);
  applyTx(
    s,
    {
      type: "registerWorker",
      ...user(s, WORKER),
      models: [h32(0xcc)],
      price: 1n,
      capacity: 1,
      multiaddr: "",
    },
    ctx(11),
  );
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(11), /does not serve model/);
  applyTx(
    s,
    { type: "registerWorker", ...user(s, WORKER), models: [MODEL], price: 1n, capacity: 0, multiaddr: "" },
    ctx(11),
  );
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(11), /at capacity \(0 of 0\)/);
  applyTx(
    s,
    { type: "registerWorker", ...user(s, WORKER), models: [MODEL], price: 1n, capacity: 1, multiaddr: "" },
    ctx(11),
  );
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(101), /deadline 100 has passed/);
  applyTx(s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(11));
  t.equal(jobOf(s, id).status, "claimed");
  t.equal((s.get(keys.worker(WORKER)) as Worker).active, 1);
  rejects(t, s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(11), /is claimed, not open/);
});

t.test("submit result: claim must match the job and be signed by the worker", async (t) => {
  const s = fresh();
  const id = setupClaimed(s);
  rejects(
    t,
    s,
    submit(s, id, 20, { modelId: h32(0xcd) }),
    ctx(20),
    /claim modelId 0xcdcd.* differs from the job's 0xaaaa/,
  );
  rejects(
    t,
    s,
    submit(s, id, 20, { inputRoot: h32(0xce) }),
    ctx(20),
    /claim inputRoot 0xcece.* differs from the job's 0xbbbb/,
  );
  rejects(
    t,
    s,
    submit(s, id, 20, {}, OTHER_K),
    ctx(20),
    /claim is signed by 0x[0-9a-f]{40}, not by the worker/,
  );
  // The claim names its worker (issue 18, the puppet signer): a claim naming another key is
  // refused even when that key signed it, and one naming the worker needs the worker's signature.
  rejects(
    t,
    s,
    submit(s, id, 20, { worker: OTHER }, OTHER_K),
    ctx(20),
    /claim names worker 0x[0-9a-f]{40}, not the job's worker 0x/,
  );
  rejects(
    t,
    s,
    submit(s, id, 20, { worker: OTHER }),
    ctx(20),
    /claim names worker 0x[0-9a-f]{40}, not the job's worker 0x/,
  );
  const badSig = {
    ...(submit(s, id, 20) as Extract<Tx, { type: "submitResult" }>),
    claimSignature: `0x${"00".repeat(65)}` as Hex,
  };
  rejects(t, s, badSig, ctx(20), /claim bad signature/);
  rejects(t, s, submit(s, id, 20, {}, OTHER_K, OTHER), ctx(20), /claimed by 0x[0-9a-f]{40}, not 0x/);
  rejects(t, s, submit(s, id, 20, { jobId: h32(0x01) }), ctx(20), /unknown job/);
  rejects(t, s, submit(s, id, 511), ctx(511), /deadline 510 has passed/);
  applyTx(s, submit(s, id, 20), ctx(20));
  t.equal(jobOf(s, id).status, "submitted");
  t.equal(jobOf(s, id).submittedAt, 20);
  t.equal((s.get(keys.worker(WORKER)) as Worker).active, 0, "capacity released");
  rejects(t, s, submit(s, id, 21), ctx(21), /is submitted, not claimed/);
});

t.test("finalize pays the worker only after the challenge window", async (t) => {
  const s = fresh();
  const id = setupClaimed(s);
  applyTx(s, submit(s, id, 20), ctx(20));
  rejects(
    t,
    s,
    { type: "finalize", ...user(s, OTHER), jobId: id },
    ctx(1019),
    /challenge window is open until 1020/,
  );
  const workerBefore = acct(s, WORKER).balance;
  applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: id }, ctx(1020));
  t.equal(jobOf(s, id).status, "paid");
  t.equal(acct(s, WORKER).balance, workerBefore + 300n);
  rejects(
    t,
    s,
    { type: "finalize", ...user(s, ALICE), jobId: id },
    ctx(2000),
    /is paid, nothing to finalize/,
  );
  rejects(t, s, { type: "finalize", ...user(s, ALICE), jobId: h32(3) }, ctx(2000), /unknown job/);
});

t.test("finalize refunds a job whose deadline passed without a result", async (t) => {
  const s = fresh();
  const id = setupClaimed(s); // deadline 510, claimed by WORKER
  rejects(
    t,
    s,
    { type: "finalize", ...user(s, ALICE), jobId: id },
    ctx(510),
    /is claimed and its deadline 510 has not passed/,
  );
  const before = acct(s, ALICE).balance;
  applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: id }, ctx(511));
  t.equal(jobOf(s, id).status, "refunded");
  t.equal(jobOf(s, id).refundReason, "deadline missed");
  t.equal(acct(s, ALICE).balance, before - 1n + 300n, "escrow back, fee paid");
  t.equal((s.get(keys.worker(WORKER)) as Worker).active, 0, "worker capacity released");
});

t.test("disputes: lost dispute refunds, won dispute pays after the window", async (t) => {
  const lost = fresh();
  const id = setupClaimed(lost);
  const key = keyOf(id);
  const opened = (disputeId: bigint, claimKey: Hex = key): Tx => ({
    type: "disputeOpened",
    disputeId,
    jobId: id,
    claimKey,
    claimer: WORKER,
    challenger: OTHER,
  });
  const resolved = (disputeId: bigint, claimerWon: boolean, claimKey: Hex = key): Tx => ({
    type: "disputeResolved",
    disputeId,
    jobId: id,
    claimKey,
    claimer: WORKER,
    claimerWon,
  });
  // A dispute on the worker's claim before it reaches L2 counts (attack 5): kept while claimed,
  // and the claim, once submitted, is disputed until it ends.
  applyTx(lost, opened(9n), ctx(15));
  t.equal(jobOf(lost, id).status, "claimed", "still claimed, with the dispute recorded");
  applyTx(lost, submit(lost, id, 20), ctx(20));
  t.equal(jobOf(lost, id).status, "disputed", "submitted under an open dispute");
  applyTx(lost, resolved(9n, true), ctx(22));
  t.equal(jobOf(lost, id).status, "submitted", "the claimer won it");
  rejects(t, lost, opened(1n, keyOf(id, { traceRoot: h32(0x99) })), ctx(25), /is on claim 0x.*not job/);
  // A dispute against any other key is not about this job (the claim names its worker, and L1
  // opens a dispute only on the named worker's signature; issue 18, the puppet signer).
  rejects(
    t,
    lost,
    { ...opened(11n), claimer: OTHER } as Tx,
    ctx(25),
    /dispute 11 is against 0x[0-9a-f]{40}, not job .*'s worker/,
  );
  t.equal(jobOf(lost, id).status, "submitted", "the claim stands");
  // Every dispute counts (attack 4): a second one while disputed is followed too.
  applyTx(lost, opened(1n), ctx(30));
  t.equal(jobOf(lost, id).status, "disputed");
  t.same(lost.get(keys.dispute(1n)), { l1: true }, "the applied opening writes its l1/dispute marker");
  rejects(t, lost, opened(1n), ctx(31), /dispute 1 was already opened/);
  applyTx(lost, opened(2n), ctx(31));
  applyTx(lost, resolved(2n, true), ctx(32));
  t.equal(jobOf(lost, id).status, "disputed", "a puppet's lost dispute does not release the job");
  rejects(
    t,
    lost,
    { type: "finalize", ...user(lost, ALICE), jobId: id },
    ctx(5000),
    /is disputed, nothing to finalize/,
  );
  rejects(t, lost, resolved(2n, true), ctx(40), /has no open dispute 2/, "a dispute's win twice");
  rejects(
    t,
    lost,
    resolved(1n, false, keyOf(id, { outputRoot: h32(0x98) })),
    ctx(40),
    /is on claim/,
    "a lost dispute over another claim for the same job id",
  );
  const before = acct(lost, ALICE).balance;
  applyTx(lost, resolved(1n, false), ctx(40));
  t.equal(jobOf(lost, id).status, "refunded");
  t.equal(jobOf(lost, id).refundReason, "dispute lost");
  t.equal(acct(lost, ALICE).balance, before + 300n);
  rejects(t, lost, resolved(1n, false), ctx(41), /is refunded; a lost dispute can only refund/);
  rejects(t, lost, resolved(2n, false), ctx(41), /is refunded/, "a second dispute ending void");
  rejects(t, lost, resolved(1n, true), ctx(41), /has no open dispute 1/);

  // A loss before the claim is submitted refunds the job at once (attack 5), capacity freed.
  const early = fresh();
  const id3 = setupClaimed(early);
  rejects(
    t,
    early,
    { ...opened(4n), jobId: id3, claimer: OTHER } as Tx,
    ctx(14),
    /dispute 4 is against 0x[0-9a-f]{40}, not job 0x[0-9a-f]{64}'s worker/,
    "before submission only the worker's own claims concern the job",
  );
  applyTx(early, { ...opened(3n), jobId: id3 } as Tx, ctx(15));
  applyTx(early, { ...resolved(3n, false), jobId: id3 } as Tx, ctx(16));
  t.equal(jobOf(early, id3).status, "refunded", "refunded while claimed");
  t.equal((early.get(keys.worker(WORKER)) as Worker).active, 0, "worker capacity released");
  rejects(t, early, submit(early, id3, 17), ctx(17), /is refunded, not claimed/);

  const won = fresh();
  const id2 = setupClaimed(won);
  applyTx(won, submit(won, id2, 20), ctx(20));
  const key2 = keyOf(id2);
  applyTx(
    won,
    { type: "disputeOpened", disputeId: 7n, jobId: id2, claimKey: key2, claimer: WORKER, challenger: OTHER },
    ctx(30),
  );
  applyTx(
    won,
    { type: "disputeResolved", disputeId: 7n, jobId: id2, claimKey: key2, claimer: WORKER, claimerWon: true },
    ctx(40),
  );
  t.equal(jobOf(won, id2).status, "submitted");
  t.equal(jobOf(won, id2).disputeId, null);
  // L1 opens a dispute once: replayed after its resolution (no longer open) it would re-freeze
  // the job whose claim won, so the worker is never paid; its marker refuses it.
  rejects(
    t,
    won,
    { type: "disputeOpened", disputeId: 7n, jobId: id2, claimKey: key2, claimer: WORKER, challenger: OTHER },
    ctx(50),
    /dispute 7 was already opened/,
    "an opening replayed after its resolution",
  );
  rejects(
    t,
    won,
    { type: "finalize", ...user(won, ALICE), jobId: id2 },
    ctx(1000),
    /window is open until 1020/,
  );
  applyTx(won, { type: "finalize", ...user(won, ALICE), jobId: id2 }, ctx(1020));
  t.equal(jobOf(won, id2).status, "paid");
  rejects(
    t,
    won,
    {
      type: "disputeResolved",
      disputeId: 8n,
      jobId: id2,
      claimKey: key2,
      claimer: WORKER,
      claimerWon: false,
    },
    ctx(1030),
    /is paid; a lost dispute can only refund/,
    "a dispute lost after the payout changes nothing on L2",
  );
});

t.test("disputes: a loss L2 was not following still refunds; void counts as lost", async (t) => {
  // Dispute 1 was opened on L1 while L2 still had the job claimed (derived tx rejected); dispute 2
  // is the one L2 follows. Dispute 1 is won by the challenger: the claim is invalid on L1.
  const s = fresh();
  const id = setupClaimed(s);
  applyTx(s, submit(s, id, 20), ctx(20));
  const key = keyOf(id);
  applyTx(
    s,
    { type: "disputeOpened", disputeId: 2n, jobId: id, claimKey: key, claimer: WORKER, challenger: OTHER },
    ctx(30),
  );
  const before = acct(s, ALICE).balance;
  applyTx(
    s,
    { type: "disputeResolved", disputeId: 1n, jobId: id, claimKey: key, claimer: WORKER, claimerWon: false },
    ctx(40),
  );
  t.equal(jobOf(s, id).status, "refunded");
  t.equal(jobOf(s, id).disputeId, 1n, "records the dispute that decided");
  t.equal(acct(s, ALICE).balance, before + 300n);
  rejects(
    t,
    s,
    { type: "disputeResolved", disputeId: 2n, jobId: id, claimKey: key, claimer: WORKER, claimerWon: true },
    ctx(50),
    /has no open dispute 2/,
    "the followed dispute's later end changes nothing",
  );

  // A submitted (not disputed) job whose claim L1 holds invalid (a void end: claimerWon false).
  const v = fresh();
  const id2 = setupClaimed(v);
  applyTx(v, submit(v, id2, 20), ctx(20));
  applyTx(
    v,
    {
      type: "disputeResolved",
      disputeId: 5n,
      jobId: id2,
      claimKey: keyOf(id2),
      claimer: WORKER,
      claimerWon: false,
    },
    ctx(30),
  );
  t.equal(jobOf(v, id2).status, "refunded");
});

t.test("L1-derived txs are idempotent: a deposit or request is never applied twice", async (t) => {
  const s = fresh();
  rejects(
    t,
    s,
    { type: "deposit", depositId: 1n, recipient: ALICE, amount: 5n },
    ctx(1),
    /deposit 1 was already credited/,
  );
  const req: Tx = {
    type: "l1InferenceRequest",
    inboxIndex: 0n,
    requestId: 9n,
    requester: OTHER,
    modelId: MODEL,
    inputRoot: INPUT,
    inputCid: INPUT_CID,
    escrow: 50n,
    deadline: 100,
  };
  applyTx(s, req, ctx(1, h32(0x42)));
  const j = jobOf(s, h32(0x42));
  t.equal(j.source, "l1");
  t.equal(j.l1RequestId, 9n);
  rejects(t, s, req, ctx(2), /L1 request 9 was already derived/);
  rejects(
    t,
    s,
    {
      type: "disputeOpened",
      disputeId: 1n,
      jobId: h32(0x01),
      claimKey: h32(0x02),
      claimer: WORKER,
      challenger: OTHER,
    },
    ctx(2),
    /unknown job/,
  );
});

t.test("rejected txs cannot be caught half-applied", async (t) => {
  const s = fresh();
  // fee is charged first inside applyTx; the transfer then fails: nothing may stick
  try {
    applyTx(s, { type: "transfer", ...user(s, ALICE), to: OTHER, amount: 10_000n }, ctx(1));
  } catch (e) {
    t.ok(e instanceof TxRejected);
  }
  t.same(acct(s, ALICE), { balance: 1000n, nonce: 0 });
  t.same(acct(s, FEES), { balance: 0n, nonce: 0 });
});

t.test("collateral per claim: L1 stake derived in order, one claimCollateral per open claim", async (t) => {
  const withCollateral = (timestamp: number, txHash?: Hex): TxContext => ({
    ...ctx(timestamp, txHash),
    params: { ...params, claimCollateral: 10n },
  });
  const s = fresh();
  const stake = (seq: bigint, active: bigint, unbonding = 0n): Tx => ({
    type: "workerStake",
    inboxIndex: seq,
    worker: WORKER,
    seq,
    active,
    unbonding,
  });
  applyTx(
    s,
    {
      type: "registerWorker",
      ...user(s, WORKER),
      models: [MODEL],
      price: 5n,
      capacity: 4,
      multiaddr: "/ip4/127.0.0.1/tcp/1",
    },
    withCollateral(1),
  );
  const post = (b: number): Hex => {
    const id = h32(b);
    applyTx(
      s,
      {
        type: "postJob",
        ...user(s, ALICE),
        modelId: MODEL,
        inputRoot: INPUT,
        inputCid: INPUT_CID,
        escrow: 30n,
        deadline: 500,
      },
      withCollateral(2, id),
    );
    return id;
  };
  const claim = (id: Hex): Tx => ({ type: "claimJob", ...user(s, WORKER), jobId: id });
  const a = post(0x61);
  const b = post(0x62);
  const stakeRec = () => s.get(keys.stake(WORKER));
  rejects(
    t,
    s,
    claim(a),
    withCollateral(3),
    /active L1 stake 0 does not cover another claim: it backs 0 of 10/,
  );
  applyTx(s, stake(1n, 15n), withCollateral(3));
  t.same(stakeRec(), { seq: 1n, active: 15n, unbonding: 0n, backing: 0 });
  rejects(t, s, stake(1n, 99n), withCollateral(3), /stake change 1 of .* is not after 1, already applied/);
  applyTx(s, claim(a), withCollateral(4));
  rejects(
    t,
    s,
    claim(b),
    withCollateral(4),
    /active L1 stake 15 does not cover another claim: it backs 1 of 10/,
  );
  applyTx(s, stake(2n, 20n), withCollateral(5));
  applyTx(s, claim(b), withCollateral(5));
  t.equal((stakeRec() as { backing: number }).backing, 2, "two claims backed");
  // The worker unbonds half: job b's claim would lack collateral, so its result is refused.
  applyTx(s, stake(3n, 10n, 10n), withCollateral(6));
  // A change without an inbox message is a slash's (Bridge.settleDispute does not queue it): it may
  // lower stake, never raise it, so a made-up one cannot back claims L1 holds no stake for.
  const slash = (seq: bigint, active: bigint, unbonding: bigint): Tx => {
    const { inboxIndex: _, ...rest } = stake(seq, active, unbonding) as WorkerStakeTx;
    return rest;
  };
  rejects(t, s, slash(4n, 11n, 10n), withCollateral(6), /raises stake without an L1 inbox message/);
  rejects(t, s, slash(4n, 0n, 11n), withCollateral(6), /raises stake without an L1 inbox message/);
  const sub = (id: Hex): Tx => ({
    type: "submitResult",
    ...user(s, WORKER),
    claim: claimFor(id),
    claimSignature: signClaim(claimFor(id), WORKER_K, cdomain),
  });
  rejects(
    t,
    s,
    sub(b),
    withCollateral(7),
    /active L1 stake 10 no longer covers the 2 claims it backs \(10 each\)/,
  );
  // Job b misses its deadline: refunded, its collateral freed (job a's deadline passed too).
  applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: b }, withCollateral(501));
  t.equal(jobOf(s, b).status, "refunded");
  t.equal((stakeRec() as { backing: number }).backing, 1, "the refund frees b's collateral");
  rejects(t, s, sub(a), withCollateral(502), /deadline .* has passed/);
  applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: a }, withCollateral(502));
  t.equal((stakeRec() as { backing: number }).backing, 0, "every claim's collateral is free again");
  applyTx(s, slash(4n, 0n, 10n), withCollateral(503));
  t.same(stakeRec(), { seq: 4n, active: 0n, unbonding: 10n, backing: 0 }, "a slash lowers stake");
});

t.test("a forced tx runs as the user tx its bytes encode, or changes nothing", async (t) => {
  const domain = l2Domain(424242n);
  const SENDER = `0x${"5e".repeat(20)}` as Hex;
  const forced = (data: Uint8Array, inboxIndex = 7n): Tx => ({
    type: "forcedTx",
    inboxIndex,
    sender: SENDER as `0x${string}`,
    data: toHex(data),
  });
  const signedTransfer = (s: MemoryState, amount: bigint, nonce = nonceOf(s, ALICE), k = ALICE_K) =>
    signTx({ type: "transfer", from: ALICE, nonce, fee: 1n, to: OTHER, amount }, k, domain) as UserTx;

  const s = fresh();
  const tx = signedTransfer(s, 10n);
  const out = applyTx(s, forced(forcedData(tx)), ctx(5));
  t.match(out.events, [
    { kind: "ForcedTx", inboxIndex: "7", txHash: toHex(txDigest(tx, domain)) },
    { kind: "Transfer", from: ALICE, to: OTHER, amount: "10" },
  ]);
  t.same(acct(s, OTHER), { balance: 110n, nonce: 0 }, "the transfer ran");
  t.equal(nonceOf(s, ALICE), 1, "as the signer's own tx");

  const invalid = (data: Uint8Array, reason: RegExp, what: string) => {
    const before = new Map(s.map);
    const o = applyTx(s, forced(data), ctx(6));
    t.match(o.events, [{ kind: "ForcedTxInvalid", inboxIndex: "7", reason }], what);
    t.same(s.map, before, `${what}: nothing changes`);
  };
  invalid(forcedData(tx), /bad nonce/, "the same tx again (a replay)");
  invalid(
    forcedData(signedTransfer(s, 10n, nonceOf(s, ALICE), OTHER_K)),
    /bad signature/,
    "signed by another key",
  );
  invalid(forcedData(signedTransfer(s, 10_000n)), /insufficient balance/, "more than the balance");
  invalid(new TextEncoder().encode("not a tx"), /starts with byte 110/, "garbage");
  invalid(new Uint8Array(0), /empty/, "no bytes");
  invalid(forcedData(signedTransfer(s, 1n)).subarray(0, 100), /100 bytes, expected 178/, "a cut transfer");
  const json = new TextEncoder().encode(JSON.stringify(encodeTx(signedTransfer(s, 1n))));
  invalid(
    Uint8Array.from([0xff, ...json]),
    /starts with byte 255/,
    "0xff || JSON is no forced form any more",
  );
  const dep = txBytes({ type: "deposit", depositId: 99n, recipient: ALICE, amount: 5n }, 0);
  invalid(dep, /starts with byte 129/, "a deposit's bytes (system txs are not forced)");
  t.same(decodeForcedData(forcedData(tx)), tx, "decodeForcedData inverts forcedData");
});

t.test("a forced job tx runs as the signed tx at its block time, or changes nothing", async (t) => {
  const domain = l2Domain(424242n);
  const forced = (tx: UserTx): Tx => ({
    type: "forcedTx",
    inboxIndex: 3n,
    sender: `0x${"5e".repeat(20)}`,
    data: toHex(forcedData(tx)),
  });
  const signed = (tx: Omit<UserTx, "signature">, k: Uint8Array) => signTx(tx as UserTx, k, domain) as UserTx;
  const s = fresh();
  applyTx(
    s,
    signed(
      {
        type: "registerWorker",
        ...user(s, WORKER),
        models: [MODEL],
        price: 5n,
        capacity: 1,
        multiaddr: "/ip4/1.2.3.4/tcp/1",
      } as never,
      WORKER_K,
    ),
    ctx(5),
  );
  const post = signed(
    {
      type: "postJob",
      ...user(s, ALICE),
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: INPUT_CID,
      escrow: 300n,
      deadline: 900,
    } as never,
    ALICE_K,
  );
  t.same(decodeForcedData(forcedData(post)), post, "a postJob's forced bytes decode back to it");
  t.equal(forcedData(post).length, txBytes(post, 5).length - 8, "its tx bytes without the block time");
  const id = toHex(txDigest(post, domain));
  const out = applyTx(s, forced(post), ctx(20));
  t.match(out.events, [{ kind: "ForcedTx", txHash: id }, { kind: "JobPosted" }]);
  t.equal(jobOf(s, id).postedAt, 20, "posted at the forced tx's block time");
  t.equal(jobOf(s, id).escrow, 300n);

  const claim = signed({ type: "claimJob", ...user(s, WORKER), jobId: id } as never, WORKER_K);
  const before = new Map(s.map);
  t.match(applyTx(s, forced(claim), ctx(901)).events, [{ kind: "ForcedTxInvalid", reason: /deadline/ }]);
  t.same(s.map, before, "a claim past the deadline: refused, nothing changes");
  applyTx(s, forced(claim), ctx(30));
  t.equal(jobOf(s, id).status, "claimed", "forced claimJob ran");
  const c = claimFor(id);
  const sub = signed(
    {
      type: "submitResult",
      ...user(s, WORKER),
      claim: c,
      claimSignature: signClaim(c, WORKER_K, cdomain),
    } as never,
    WORKER_K,
  );
  t.same(decodeForcedData(forcedData(sub)), sub, "a submitResult's forced bytes decode back to it");
  applyTx(s, forced(sub), ctx(40));
  t.equal(jobOf(s, id).status, "submitted");
  t.equal(jobOf(s, id).submittedAt, 40, "submitted at the forced tx's block time");
  const fin = signed({ type: "finalize", ...user(s, ALICE), jobId: id } as never, ALICE_K);
  t.same(decodeForcedData(forcedData(fin)), fin);
  applyTx(s, forced(fin), ctx(40 + params.challengeWindowMs));
  t.equal(jobOf(s, id).status, "paid", "forced finalize ran");

  const bad = signed({ type: "finalize", ...user(s, ALICE), jobId: id } as never, OTHER_K);
  const before2 = new Map(s.map);
  t.match(applyTx(s, forced(bad), ctx(5000)).events, [{ kind: "ForcedTxInvalid", reason: /bad signature/ }]);
  t.same(s.map, before2, "signed by another key: nothing changes");
  const cut = forcedData(fin).subarray(0, 100);
  t.throws(() => decodeForcedData(cut), /100 bytes encode no such tx/, "a cut finalize is no tx");
  const big = forcedData(post).slice();
  new DataView(big.buffer).setBigUint64(157, 1n << 53n);
  t.throws(() => decodeForcedData(big), /deadline .* past 2\^53/, "a deadline past 2^53 - 1 is no tx");

  // registerWorker: decodeTx's field checks decide too (docs/rollup.md 8a), as on chain
  const reg = signed(
    {
      type: "registerWorker",
      ...user(s, OTHER),
      models: [MODEL],
      price: 1n,
      capacity: 2,
      multiaddr: "/dns4/w.example/tcp/4001",
    } as never,
    OTHER_K,
  );
  t.same(decodeForcedData(forcedData(reg)), reg, "registerWorker round-trips");
  const regBad = forcedData(reg).slice();
  regBad[regBad.length - 66] = 0xff; // the multiaddr's last byte: no UTF-8
  t.throws(() => decodeForcedData(regBad), "a multiaddr that is no UTF-8 is no tx");
  // a leading U+FEFF is a character like any other (decodeTx takes it in a multiaddr): the
  // forced bytes keep it, as the registerWorker's bytes in a batch do
  const bom = signed({ ...reg, multiaddr: "\ufeff/dns4/w.example" } as never, OTHER_K);
  t.same(decodeForcedData(forcedData(bom)), bom, "a multiaddr starting with a BOM round-trips");
  const bidi = signed({ ...reg, multiaddr: "/dns4/\u202ew.example" } as never, OTHER_K);
  t.throws(() => decodeForcedData(forcedData(bidi)), /U\+202E/, "a bidi control in the multiaddr is no tx");
});
