/**
 * What a requester does next with a job, from the job as L2 reports it: pure (the clock and the
 * challenge window are passed in), so the rules are tested without a network.
 *
 *   paid      -> done: fetch the output and check it against the claim's outputRoot
 *   refunded  -> done: the escrow is back ("deadline missed", or "dispute lost": the worker lied)
 *   disputed  -> a dispute runs on L1: wait for it (or report it, if the caller asked)
 *   submitted -> wait for the challenge window; once it closed, anyone may send `finalize`
 *   open / claimed past the deadline -> `finalize` refunds the escrow
 */

/** A job as GET /v1/jobs/:id returns it (sequencer/state/records.ts, JSON form). */
export interface L2JobJson {
  id: `0x${string}`;
  source: "l2" | "l1";
  requester: `0x${string}`;
  l1RequestId: string | null;
  modelId: `0x${string}`;
  inputRoot: `0x${string}`;
  inputCid: `0x${string}`;
  escrow: string;
  deadline: number;
  postedAt: number;
  status: "open" | "claimed" | "submitted" | "disputed" | "paid" | "refunded";
  worker: `0x${string}` | null;
  claim: {
    jobId: `0x${string}`;
    modelId: `0x${string}`;
    inputRoot: `0x${string}`;
    outputRoot: `0x${string}`;
    traceRoot: `0x${string}`;
    /** generationSpec(P, n, paramsHash) of a generation claim; 32 zero bytes for a single-pass job. */
    generationSpec: `0x${string}`;
    outputCid: `0x${string}`;
    traceCid: `0x${string}`;
  } | null;
  claimSignature: `0x${string}` | null;
  submittedAt: number | null;
  disputeId: string | null;
  refundReason: string | null;
  /**
   * A generation job's prompt, window, parameters (their JSON form, protocol/generation-job.ts)
   * and, once a claim is submitted, the generated tokens it claims; absent on a single-pass job.
   */
  generation?: {
    prompt: number[];
    window: number;
    params: Record<string, unknown>;
    generated: number[] | null;
  };
}

export type NextStep =
  | { kind: "paid" }
  | { kind: "refunded"; reason: string }
  | { kind: "disputed"; disputeId: bigint | null }
  /** Send `finalize` now (the window closed, or the deadline passed unanswered). */
  | { kind: "finalize"; why: "window closed" | "deadline passed" }
  | { kind: "wait"; until: number | null };

/**
 * `now` and the job's times are L2 milliseconds (the sequencer stamps blocks with its wall clock);
 * `marginMs` covers the gap between this clock and the next block's timestamp.
 */
export function nextStep(job: L2JobJson, now: number, challengeWindowMs: number, marginMs = 250): NextStep {
  switch (job.status) {
    case "paid":
      return { kind: "paid" };
    case "refunded":
      return { kind: "refunded", reason: job.refundReason ?? "refunded" };
    case "disputed":
      return { kind: "disputed", disputeId: job.disputeId === null ? null : BigInt(job.disputeId) };
    case "submitted": {
      if (job.submittedAt === null) return { kind: "wait", until: null };
      const end = job.submittedAt + challengeWindowMs;
      return now >= end + marginMs
        ? { kind: "finalize", why: "window closed" }
        : { kind: "wait", until: end };
    }
    case "open":
    case "claimed":
      return now > job.deadline + marginMs
        ? { kind: "finalize", why: "deadline passed" }
        : { kind: "wait", until: job.deadline };
    default:
      throw new Error(`unknown job status '${(job as { status: string }).status}'`);
  }
}
