/**
 * Attack 6 on the worker side (verifier/worker/retention.ts): a model is needed while any signed
 * claim on it can still be disputed (its window from inclusion not over, or not included yet) or
 * a dispute on it is still open; the worker refuses to stop serving such a model, and only such.
 */
import t from "tap";
import type { Hex } from "viem";
import {
  checkModelsRetained,
  disputableUntil,
  modelsStillNeeded,
  RetentionError,
} from "../../../verifier/worker/retention.ts";
import type { DisputeRecord, JobRecord } from "../../../verifier/worker/store.ts";

const M1 = `0x${"a1".repeat(32)}` as Hex;
const M2 = `0x${"b2".repeat(32)}` as Hex;
const WINDOW = 60_000;
let n = 0;
function job(modelId: Hex, p: Partial<JobRecord> = {}): JobRecord {
  n++;
  return {
    jobId: `0x${n.toString(16).padStart(64, "0")}` as Hex,
    modelId,
    inputCid: "0x",
    inputRoot: "0x",
    inputBase64: null,
    claim: null,
    claimSignature: `0x${"55".repeat(65)}` as Hex,
    fault: null,
    stage: "paid",
    submittedAt: 1_000,
    finalizeAfter: null,
    error: null,
    updatedAt: 0,
    ...p,
  };
}
const dispute = (jobId: Hex, winner: number): DisputeRecord => ({
  disputeId: "1",
  jobId,
  claimKey: "0x",
  challenger: "0x",
  winner,
  moves: 0,
  openedAtBlock: "0",
});

t.test("the window runs from inclusion; a claim not seen included has no known end", async (t) => {
  t.equal(disputableUntil(job(M1), WINDOW), 61_000);
  t.equal(disputableUntil(job(M1, { submittedAt: null, stage: "claimed" }), WINDOW), null);
});

t.test("which models claims still need, and until when", async (t) => {
  const young = job(M1, { stage: "submitted", submittedAt: 50_000 });
  const old = job(M2, { submittedAt: 1_000 });
  let need = modelsStillNeeded([young, old, job(M1, { submittedAt: 20_000 })], [], 70_000, WINDOW);
  t.same([...need.keys()], [M1], "only the model with a claim inside its window");
  t.same(need.get(M1), { modelId: M1, claims: 2, until: 110_000 }, "both M1 claims, the later end");
  need = modelsStillNeeded([young, old], [], 110_000, WINDOW);
  t.equal(need.size, 0, "exactly at the window's end a claim is final: nothing needed");
  need = modelsStillNeeded([job(M2, { submittedAt: null, stage: "claimed" })], [], 1e12, WINDOW);
  t.same(need.get(M2)?.until, null, "signed, inclusion unknown: needed until known");
  need = modelsStillNeeded(
    [job(M2, { claimSignature: null, stage: "failed", submittedAt: null })],
    [],
    0,
    WINDOW,
  );
  t.equal(need.size, 0, "nothing signed: nothing to defend");
  const disputedOld = job(M2, { submittedAt: 0 });
  need = modelsStillNeeded([disputedOld], [dispute(disputedOld.jobId, 0)], 1e12, WINDOW);
  t.same(need.get(M2), { modelId: M2, claims: 1, until: null }, "an open dispute: until it resolves");
  need = modelsStillNeeded([disputedOld], [dispute(disputedOld.jobId, 1)], 1e12, WINDOW);
  t.equal(need.size, 0, "a resolved dispute past the window: free");
});

t.test("the worker refuses to drop a needed model, and only a needed one", async (t) => {
  const need = modelsStillNeeded(
    [job(M1, { submittedAt: 50_000 }), job(M2, { submittedAt: 0 })],
    [],
    60_000,
    WINDOW,
  );
  t.doesNotThrow(
    () => checkModelsRetained([M1.toUpperCase().replace("0X", "0x")], need),
    "served (any case)",
  );
  t.doesNotThrow(() => checkModelsRetained([M1], need), "M2's claims are final: it may go");
  t.throws(
    () => checkModelsRetained([M2], need),
    {
      name: "RetentionError",
      message: new RegExp(
        `${M1} \\(1 claim disputable until 1970-01-01T00:01:50.000Z\\).*keep them in --model`,
      ),
    },
    "M1 dropped while a claim is disputable: refused, naming it and until when",
  );
  t.ok(new RetentionError("x") instanceof Error);
});
