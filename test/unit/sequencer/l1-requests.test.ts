/**
 * L1-sourced jobs in the state machine: a paid one sends its result to L1 (TxOutcome.result, with
 * the claim's EIP-712 digest as claimKey), a refunded one withdraws the escrow to the L1 requester
 * instead of crediting it on L2 (deadline missed, dispute lost); L2 jobs keep their L2 refunds and
 * send no result.
 */

import t from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import { type ClaimMsg, claimDigest, type Hex, NO_GENERATION, signClaim } from "../../../protocol/tx.ts";
import { resultLeaf } from "../../../protocol/withdrawal.ts";
import { applyTx, type ChainParams, type TxContext } from "../../../sequencer/state/machine.ts";
import { MemoryState } from "../../../sequencer/state/overlay.ts";
import { type Account, type Job, keys } from "../../../sequencer/state/records.ts";
import { cidHexOf, modelRegistration } from "../../helpers/registered-model.ts";

const key = (n: number) => {
  const k = new Uint8Array(32);
  k[31] = n;
  return k;
};
const WORKER_K = key(2);
const WORKER = addressOf(WORKER_K);
const ALICE = addressOf(key(1));
const CONSUMER = `0x${"c0".repeat(20)}` as const; // an L1 contract: no L2 key
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const MODEL = h32(0xaa);
const INPUT = h32(0xbb);
const INPUT_CID = await cidHexOf(new TextEncoder().encode("the L1 request test's input file"));
const params: ChainParams = {
  challengeWindowMs: 1000,
  minFee: 0n,
  feeRecipient: `0x${"fe".repeat(20)}`,
  claimCollateral: 0n,
};
const cdomain = claimDomain(31337n, `0x${"b0".repeat(20)}`);
let n = 0;
const ctx = (timestamp: number, txHash: Hex = h32(0x10 + (n++ % 200))): TxContext => ({
  timestamp,
  txHash,
  params,
  claimDomain: cdomain,
  l2Domain: l2Domain(424242n),
});
const SIG = `0x${"00".repeat(65)}` as Hex;
const acct = (s: MemoryState, a: string) =>
  (s.get(keys.account(a)) as Account | undefined) ?? { balance: 0n, nonce: 0 };
const user = (s: MemoryState, from: string) => ({
  from: from as Hex,
  nonce: acct(s, from).nonce,
  fee: 0n,
  signature: SIG,
});

const JOB = h32(0x70);

/** An L1 request derived at t=10 (deadline 500), claimed by the worker; returns the state. */
function l1Job(): MemoryState {
  const s = new MemoryState();
  applyTx(
    s,
    {
      type: "registerWorker",
      ...user(s, WORKER),
      models: [MODEL],
      price: 1n,
      capacity: 2,
      multiaddr: "/ip4/127.0.0.1/tcp/1",
    },
    ctx(10),
  );
  applyTx(
    s,
    {
      type: "l1InferenceRequest",
      inboxIndex: 0n,
      requestId: 9n,
      requester: CONSUMER,
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: INPUT_CID,
      escrow: 700n,
      deadline: 500,
    },
    ctx(10, JOB),
  );
  applyTx(s, { type: "claimJob", ...user(s, WORKER), jobId: JOB }, ctx(20));
  return s;
}

function submit(s: MemoryState, at: number): ClaimMsg {
  const claim: ClaimMsg = {
    jobId: JOB,
    worker: WORKER,
    modelId: MODEL,
    inputRoot: INPUT,
    outputRoot: h32(0xcc),
    traceRoot: h32(0xdd),
    generationSpec: NO_GENERATION,
    outputCid: "0x0155122001",
    traceCid: "0x0155122002",
  };
  applyTx(
    s,
    { type: "submitResult", ...user(s, WORKER), claim, claimSignature: signClaim(claim, WORKER_K, cdomain) },
    ctx(at),
  );
  return claim;
}

t.test("a paid L1 job pays the worker on L2 and sends its result to L1", async (t) => {
  const s = l1Job();
  const claim = submit(s, 30);
  const before = acct(s, WORKER).balance;
  const out = applyTx(s, { type: "finalize", ...user(s, WORKER), jobId: JOB }, ctx(1030));
  t.equal(acct(s, WORKER).balance - before, 700n, "escrow credited to the worker on L2");
  t.same(out.result, {
    requestId: 9n,
    claimKey: toHex(claimDigest(claim, cdomain)),
    outputRoot: claim.outputRoot,
    outputCid: claim.outputCid,
  });
  t.equal(out.withdrawal, undefined, "no withdrawal");
  t.ok(resultLeaf(out.result!).length === 32, "the result encodes as a leaf");
  t.equal((s.get(keys.job(JOB)) as Job).status, "paid");
});

t.test("an L1 job whose deadline passed withdraws the escrow to the L1 requester", async (t) => {
  const s = l1Job();
  const fin = h32(0xf1);
  const out = applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: JOB }, ctx(501, fin));
  t.same(out.withdrawal, { recipient: CONSUMER, amount: 700n, l2TxHash: fin });
  t.equal(out.result, undefined, "no result");
  t.equal(acct(s, CONSUMER).balance, 0n, "nothing credited on L2");
  t.match(s.get(keys.job(JOB)), { status: "refunded", refundReason: "deadline missed" });
});

t.test("an L1 job whose claim lost a dispute withdraws the escrow to the L1 requester", async (t) => {
  const s = l1Job();
  const claim = submit(s, 30);
  const claimKey = toHex(claimDigest(claim, cdomain));
  applyTx(
    s,
    { type: "disputeOpened", disputeId: 4n, jobId: JOB, claimKey, claimer: WORKER, challenger: ALICE },
    ctx(40),
  );
  const res = h32(0xf2);
  const out = applyTx(
    s,
    { type: "disputeResolved", disputeId: 4n, jobId: JOB, claimKey, claimer: WORKER, claimerWon: false },
    ctx(50, res),
  );
  t.same(out.withdrawal, { recipient: CONSUMER, amount: 700n, l2TxHash: res });
  t.equal(acct(s, CONSUMER).balance, 0n);
  t.match(s.get(keys.job(JOB)), { status: "refunded", refundReason: "dispute lost" });
  t.throws(
    () => applyTx(s, { type: "finalize", ...user(s, WORKER), jobId: JOB }, ctx(2000)),
    /refunded, nothing to finalize/,
    "and it can never also pay (no result after a refund)",
  );
});

t.test("L2 jobs are unchanged: refunds credit L2, payment sends no result", async (t) => {
  const s = new MemoryState();
  applyTx(s, { type: "deposit", depositId: 1n, recipient: ALICE, amount: 1000n }, ctx(0));
  applyTx(s, await modelRegistration(MODEL), ctx(0));
  const id = h32(0x71);
  applyTx(
    s,
    {
      type: "postJob",
      ...user(s, ALICE),
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: INPUT_CID,
      escrow: 300n,
      deadline: 100,
    },
    ctx(1, id),
  );
  const out = applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: id }, ctx(101));
  t.equal(out.withdrawal, undefined);
  t.equal(out.result, undefined);
  t.equal(acct(s, ALICE).balance, 1000n, "escrow back on L2");
});
