/**
 * The validator's pure checks of a dispute tx against L1's dispute (sequencer/fault-proof/
 * dispute-events.ts, docs/rollup.md 8b/8c): a real dispute moved onto another job is named, with
 * the opening's job, and the one-step's way to refuse it depends on the job record before the tx.
 * (End to end with the real contracts: test/integration/bridge/batch-challenge-disputes.test.ts.)
 */
import t from "tap";
import {
  type ClaimMsg,
  type DisputeOpenedTx,
  type DisputeResolvedTx,
  type Hex,
  NO_GENERATION,
} from "../../../protocol/tx.ts";
import {
  disputeTxOnOtherJob,
  disputeTxUnbacked,
  type L1Dispute,
  otherJobRefutation,
  WINNER,
} from "../../../sequencer/fault-proof/dispute-events.ts";
import type { Job, JobDisputes } from "../../../sequencer/state/records.ts";

const h = (b: string) => `0x${b.repeat(32)}` as Hex;
const WORKER = `0x${"11".repeat(20)}` as Hex;
const CHALLENGER = `0x${"22".repeat(20)}` as Hex;
const [JOB_A, JOB_C] = [h("aa"), h("cc")];
const claimA: ClaimMsg = {
  jobId: JOB_A,
  worker: WORKER,
  modelId: h("01"),
  inputRoot: h("02"),
  outputRoot: h("03"),
  traceRoot: h("00"),
  generationSpec: NO_GENERATION,
  outputCid: "0x01",
  traceCid: "0x",
};
const KEY = h("ee");
const onL1 = (over: Partial<L1Dispute> = {}): L1Dispute => ({
  claimer: WORKER,
  challenger: CHALLENGER,
  claimKey: KEY,
  winner: WINNER.none,
  jobId: JOB_A,
  claim: claimA,
  ...over,
});
const opened = (jobId: Hex): DisputeOpenedTx => ({
  type: "disputeOpened",
  disputeId: 7n,
  jobId,
  claimKey: KEY,
  claimer: WORKER,
  challenger: CHALLENGER,
});
const resolved = (jobId: Hex, claimerWon: boolean): DisputeResolvedTx => ({
  type: "disputeResolved",
  disputeId: 7n,
  jobId,
  claimKey: KEY,
  claimer: WORKER,
  claimerWon,
});
/** A job record as the machine holds it: only what the refutation reads matters. */
const job = (claim: ClaimMsg | null): Job =>
  ({ id: JOB_C, status: claim ? "submitted" : "claimed", worker: WORKER, claim }) as Job;
const none: JobDisputes = { open: [] };
const openHere: JobDisputes = { open: [{ id: 7n, claimKey: KEY }] };

t.test("a dispute tx on the job L1 opened it on is not named", async (t) => {
  t.equal(disputeTxOnOtherJob(opened(JOB_A), onL1()), null, "the opening on its own job");
  t.equal(
    disputeTxOnOtherJob(opened(JOB_A.toUpperCase().replace("0X", "0x") as Hex), onL1()),
    null,
    "any hex case",
  );
  t.equal(disputeTxOnOtherJob(opened(JOB_C), onL1({ jobId: undefined })), null, "job not read: not checked");
  t.equal(disputeTxOnOtherJob(opened(JOB_C), null), null, "no dispute: disputeTxUnbacked's to name");
  t.equal(disputeTxUnbacked(opened(JOB_C), onL1()), null, "the stored dispute alone backs a moved one");
});

t.test("a real dispute moved onto another job is named with both jobs", async (t) => {
  t.equal(
    disputeTxOnOtherJob(opened(JOB_C), onL1()),
    `derives disputeOpened of dispute 7 on job ${JOB_C}, which L1 opened on job ${JOB_A}`,
  );
  t.match(
    disputeTxOnOtherJob(resolved(JOB_C, false), onL1({ winner: WINNER.challenger })),
    /derives disputeResolved of dispute 7 on job 0xcc.*, which L1 opened on job 0xaa/,
  );
  t.match(
    disputeTxOnOtherJob(opened(JOB_C), onL1({ claim: null })),
    /which L1 opened on job 0xa+ \(opened through another contract: no claim witness/,
    "an opening through another contract: the reason says there is no witness",
  );
});

t.test("how the one-step refuses a moved dispute tx", async (t) => {
  const d = onL1();
  t.same(
    otherJobRefutation(opened(JOB_C), d, undefined, undefined),
    { refuted: true, witness: null },
    "no job: the rule refuses",
  );
  t.same(
    otherJobRefutation(opened(JOB_C), d, job({ ...claimA, jobId: JOB_C }), none),
    { refuted: true, witness: null },
    "the job holds its claim: its digest is not the key (no witness: RecordCount)",
  );
  t.same(
    otherJobRefutation(opened(JOB_C), d, job(null), none),
    { refuted: true, witness: claimA },
    "only claimed: with the disputed claim as witness",
  );
  t.same(
    otherJobRefutation(opened(JOB_C), onL1({ claim: null }), job(null), none),
    { refuted: false, witness: null },
    "only claimed, no claim read: not provable",
  );
  t.same(
    otherJobRefutation(opened(JOB_C), d, job(null), openHere),
    { refuted: true, witness: null },
    "already open on the job: refused",
  );
  t.same(
    otherJobRefutation(opened(JOB_C), d, job(null), none, true),
    { refuted: true, witness: null },
    "already opened by L2 (its marker present; on job A, or since resolved): refused, no witness",
  );
  t.same(
    otherJobRefutation(resolved(JOB_C, false), d, job(null), none),
    { refuted: true, witness: claimA },
    "a loss on a claimed job the dispute is not open on: with the witness",
  );
  t.same(
    otherJobRefutation(resolved(JOB_C, true), onL1({ claim: null }), job(null), none),
    { refuted: true, witness: null },
    "a win L2 does not follow on the job: refused without a witness",
  );
  for (const won of [true, false])
    t.same(
      otherJobRefutation(resolved(JOB_C, won), d, job(null), openHere),
      { refuted: false, witness: null },
      `a resolution (claimerWon ${won}) of a moved dispute already open on the job: applied`,
    );
});
