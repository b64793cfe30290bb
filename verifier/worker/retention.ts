/**
 * What a worker must keep to defend its claims, and for how long (issue 18, attack 6): a claim
 * can be disputed until its dispute window ends, and a dispute already open until it is resolved.
 * Defending needs the model (served: a --model file), the job input (kept in the job record,
 * never pruned) and the trace (recomputed from both: inference is deterministic). So the one
 * thing an operator can take away too early is a model, by restarting without its --model: the
 * worker refuses to start then, naming each model, how many claims still need it and until when.
 * Pure: records and the clock in, the answer out.
 */
import type { DisputeRecord, JobRecord } from "./store.ts";

/** Claims on one model that can still be disputed. */
export interface StillNeeded {
  modelId: string;
  claims: number;
  /** Latest end of a dispute window among them (ms); null: an open dispute, until it is resolved. */
  until: number | null;
}

export class RetentionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetentionError";
  }
}

/**
 * When a signed claim stops being disputable (ms), or null when that is not known yet (a claim
 * signed but not seen included: a signature can be disputed before it reaches L2, attack 5).
 * The window runs from the claim's inclusion on L2 (`submittedAt`).
 */
export function disputableUntil(job: JobRecord, disputeWindowMs: number): number | null {
  if (job.submittedAt === null) return null;
  return job.submittedAt + disputeWindowMs;
}

/** Per model, the claims still disputable at `now` (signed claims only; open disputes always count). */
export function modelsStillNeeded(
  jobs: readonly JobRecord[],
  disputes: readonly DisputeRecord[],
  now: number,
  disputeWindowMs: number,
): Map<string, StillNeeded> {
  const openDisputeJobs = new Set(disputes.filter((d) => d.winner === 0).map((d) => d.jobId.toLowerCase()));
  const out = new Map<string, StillNeeded>();
  for (const j of jobs) {
    const open = openDisputeJobs.has(j.jobId.toLowerCase());
    if (!j.claimSignature && !open) continue; // nothing signed: nothing to defend
    const end = disputableUntil(j, disputeWindowMs);
    const needed = open || end === null || now < end;
    if (!needed) continue;
    const id = j.modelId.toLowerCase();
    const prev = out.get(id) ?? { modelId: id, claims: 0, until: 0 };
    const until = open || end === null || prev.until === null ? null : Math.max(prev.until, end);
    out.set(id, { modelId: id, claims: prev.claims + 1, until });
  }
  return out;
}

/** Throws RetentionError naming every model that claims still need and `served` lacks. */
export function checkModelsRetained(
  served: Iterable<string>,
  needed: ReadonlyMap<string, StillNeeded>,
): void {
  const have = new Set([...served].map((m) => m.toLowerCase()));
  const missing = [...needed.values()].filter((n) => !have.has(n.modelId));
  if (missing.length === 0) return;
  const what = missing
    .map(
      (n) =>
        `${n.modelId} (${n.claims} claim${n.claims === 1 ? "" : "s"} disputable ${
          n.until === null ? "until their disputes resolve" : `until ${new Date(n.until).toISOString()}`
        })`,
    )
    .join(", ");
  throw new RetentionError(
    `refusing to stop serving models our claims may still have to defend: ${what}; keep them in --model until then`,
  );
}
