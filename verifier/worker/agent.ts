/**
 * The worker's loop: follow L2 blocks (woken by the sequencer's SSE stream, and on a timer) for
 * JobPosted on a model it serves; claim while it has capacity; fetch the input by CID, check it
 * against the job's inputRoot, run traced inference, publish output and trace, sign the claim
 * (L1 domain) and submit it; after the challenge window, finalize to get paid. Every job's error
 * is logged and recorded on that job; nothing a job does can stop the agent.
 *
 * State lives in the store (store.ts) so a restart resumes: the L2 block cursor, each job's
 * record (input and claim included) and the finalize schedule.
 */
import type { Logger } from "pino";
import type { Address } from "viem";
import { toHex } from "../../protocol/bytes.ts";
import { cidToBytesHex, cidToString, fileCid } from "../../protocol/cid.ts";
import { type ClaimMsg, type Hex, isDeferredTrace } from "../../protocol/tx.ts";
import { Winner } from "../game/planner.ts";
import type { PartyView } from "../game/view.ts";
import { L2Error, type L2Job, type SequencerClient } from "../l2.ts";
import { buildClaim, signWorkerClaim } from "./claim.ts";
import type { WorkerContent } from "./content.ts";
import { type FaultMode, faultPublishes } from "./faults.ts";
import { executeGeneration, generationJobFor } from "./generation.ts";
import { executeJob, type ServedModel } from "./job.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { JobRecord, WorkerStore } from "./store.ts";

export interface AgentDeps {
  logger: Logger;
  l2: SequencerClient;
  content: WorkerContent;
  store: WorkerStore;
  models: ReadonlyMap<string, ServedModel>;
  metrics: WorkerMetrics;
  key: Uint8Array;
  address: Address;
  /** The claim domain: L1 chain id and Bridge. */
  l1ChainId: bigint;
  bridge: Hex;
  capacity: number;
  challengeWindowMs: number;
  deadlineMarginMs: number;
  pollMs: number;
  fromBlock: number | null;
  testFault: FaultMode | null;
  /**
   * Commit the full trace at claim time (a traced run, the trace published); false: deferred
   * claims (a plain run, traceRoot 0, the trace committed only in a dispute).
   */
  commitTrace?: boolean;
  /** Largest input file fetched (bytes). */
  maxInputBytes?: number;
  inputTimeoutMs?: number;
  clock?: () => number;
}

export class WorkerAgent {
  private readonly d: AgentDeps;
  private readonly clock: () => number;
  private readonly queue: Hex[] = [];
  private readonly queued = new Set<string>();
  /** Jobs taken and not yet submitted (claiming included): what capacity counts. */
  private readonly running = new Map<string, Promise<void>>();
  /** Submitted jobs waiting for their window: jobId -> earliest finalize time. */
  private readonly toFinalize = new Map<string, number>();
  /**
   * The traced runs held to answer disputes, by job id: a cache (viewFor rebuilds a missing one
   * from the kept input), released once the job is paid or refunded or its claim lost, because
   * each holds every node output (an imported OCR model's: about 1.5 GB).
   */
  private readonly views = new Map<string, Promise<{ view: PartyView; fault: FaultMode | null }>>();
  private readingBlocks: Promise<void> | null = null;
  private wakeAgain = false;
  private finalizing = false;
  private nextBlock = 0;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(deps: AgentDeps) {
    this.d = deps;
    this.clock = deps.clock ?? Date.now;
  }

  get activeJobs(): number {
    return this.running.size;
  }

  /** Loads the cursor and the unfinished jobs, then follows L2. */
  async start(): Promise<void> {
    const stored = await this.d.store.cursor("l2Next");
    this.nextBlock = stored ?? this.d.fromBlock ?? (await this.d.l2.health()).head;
    await this.recover();
    void this.d.l2.watchBlocks(() => this.wake(), this.abort.signal);
    this.timer = setInterval(() => {
      this.wake();
      void this.finalizeDue();
    }, this.d.pollMs);
  }

  /** After a restart: jobs claimed but not submitted are resumed or given up, submitted ones scheduled. */
  private async recover(): Promise<void> {
    for (const r of await this.d.store.jobs()) {
      if (r.stage === "submitted" || r.stage === "disputed") {
        this.toFinalize.set(r.jobId, r.finalizeAfter ?? 0);
      } else if (r.stage === "claimed") {
        const job = await this.d.l2.job(r.jobId).catch(() => null);
        const ours = job?.worker?.toLowerCase() === this.d.address.toLowerCase();
        if (job && ours && job.status === "submitted") {
          await this.markSubmitted(job);
        } else if (job && ours && job.status === "claimed") {
          this.d.logger.info({ jobId: r.jobId }, "resuming a claimed job after restart");
          this.startJob(r.jobId, job);
        } else {
          await this.d.store.updateJob(r.jobId, { stage: "failed", error: "lost across a restart" });
        }
      }
    }
  }

  /** Reads every block from the cursor to the head (one reader at a time; wake-ups coalesce). */
  wake(): void {
    if (this.stopped) return;
    if (this.readingBlocks) {
      this.wakeAgain = true;
      return;
    }
    this.readingBlocks = this.readBlocks()
      .catch((e) => this.d.logger.warn({ err: (e as Error).message }, "reading L2 blocks failed"))
      .finally(() => {
        this.readingBlocks = null;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  private async readBlocks(): Promise<void> {
    while (!this.stopped) {
      const b = await this.d.l2.block(this.nextBlock);
      if (!b) return;
      for (const r of b.receipts) for (const ev of r.events) await this.onEvent(ev);
      this.nextBlock++;
      await this.d.store.setCursor("l2Next", this.nextBlock);
    }
  }

  private async onEvent(ev: { kind: string; [k: string]: unknown }): Promise<void> {
    const jobId = typeof ev.jobId === "string" ? (ev.jobId.toLowerCase() as Hex) : null;
    if (!jobId) return;
    if (ev.kind === "JobPosted") {
      // L1 requests carry no modelId in the event: those are looked up when taken
      const modelId = typeof ev.modelId === "string" ? ev.modelId.toLowerCase() : null;
      const served = modelId === null || this.d.models.has(modelId);
      this.d.metrics.jobsSeen.inc({ served: String(served) });
      if (!served || this.queued.has(jobId) || this.running.has(jobId)) return;
      this.queued.add(jobId);
      this.queue.push(jobId);
      this.pump();
    } else if (ev.kind === "JobPaid" || ev.kind === "JobRefunded") {
      this.releaseView(jobId, ev.kind === "JobPaid" ? "paid" : "refunded");
      if (!this.toFinalize.has(jobId)) return;
      this.toFinalize.delete(jobId);
      const stage = ev.kind === "JobPaid" ? "paid" : "refunded";
      await this.d.store.updateJob(jobId, { stage });
      this.d.metrics.jobs.inc({ result: stage });
      this.d.logger.info({ jobId, reason: ev.reason }, ev.kind === "JobPaid" ? "job paid" : "job refunded");
    }
  }

  /** Takes queued jobs while there is capacity. */
  private pump(): void {
    while (!this.stopped && this.running.size < this.d.capacity && this.queue.length > 0) {
      const jobId = this.queue.shift() as Hex;
      this.queued.delete(jobId);
      this.startJob(jobId, null);
    }
  }

  /** Puts a job back in the queue after a pause (it stays open; a slot may free up). */
  private requeueLater(jobId: Hex): void {
    setTimeout(
      () => {
        if (this.stopped || this.queued.has(jobId) || this.running.has(jobId)) return;
        this.queued.add(jobId);
        this.queue.push(jobId);
        this.pump();
      },
      Math.max(this.d.pollMs * 4, 1000),
    );
  }

  private startJob(jobId: Hex, claimed: L2Job | null): void {
    this.d.metrics.activeJobs.set(this.running.size + 1);
    const p = this.takeJob(jobId, claimed)
      .catch(async (e) => {
        const msg = (e as Error).message;
        this.d.metrics.jobs.inc({ result: "failed" });
        this.d.logger.error({ jobId, err: msg }, "job failed");
        const rec = await this.d.store.job(jobId).catch(() => null);
        if (rec) await this.d.store.updateJob(jobId, { stage: "failed", error: msg }).catch(() => {});
        // a job we claimed and could not serve holds one of our L2 slots until its deadline;
        // finalize then refunds the requester and frees the slot
        const job = await this.d.l2.job(jobId).catch(() => null);
        if (job?.status === "claimed" && job.worker?.toLowerCase() === this.d.address.toLowerCase())
          this.toFinalize.set(jobId, job.deadline + 1);
      })
      .finally(() => {
        this.running.delete(jobId);
        this.d.metrics.activeJobs.set(this.running.size);
        this.pump();
      });
    this.running.set(jobId, p);
  }

  /** Claims (unless resuming one already claimed) and serves one job. */
  private async takeJob(jobId: Hex, alreadyClaimed: L2Job | null): Promise<void> {
    let job = alreadyClaimed;
    const log = this.d.logger.child({ jobId });
    if (!job) {
      job = await this.d.l2.job(jobId);
      if (!job) throw new Error("the sequencer does not know this job");
      if (job.status !== "open") return; // someone else took it
      const model = this.d.models.get(job.modelId.toLowerCase());
      if (!model) return;
      if (job.generation) {
        try {
          generationJobFor(model, job.generation);
        } catch (e) {
          log.info({ reason: (e as Error).message }, "generation job skipped: this model cannot serve it");
          return;
        }
      }
      if (job.deadline - this.clock() < this.d.deadlineMarginMs) {
        log.info({ deadline: job.deadline }, "job skipped: its deadline is too close");
        return;
      }
      try {
        await this.d.l2.send({ type: "claimJob", jobId });
      } catch (e) {
        if (e instanceof L2Error && e.status === 422) {
          log.info({ reason: e.message }, "job not claimed");
          // At capacity on L2 (a failed job still holds a slot until its deadline), or no free
          // stake for another claim's collateral (each claim holds claimCollateral until it is
          // paid or refunded, issue 18): both pass, so the job goes back in the queue, not away.
          if (/at capacity|does not cover another claim/.test(e.message)) this.requeueLater(jobId);
          return;
        }
        throw e;
      }
      this.d.metrics.jobs.inc({ result: "claimed" });
      log.info({ modelId: job.modelId }, "job claimed");
      await this.d.store.putJob({
        jobId,
        modelId: job.modelId.toLowerCase() as Hex,
        inputCid: job.inputCid,
        inputRoot: job.inputRoot.toLowerCase() as Hex,
        inputBase64: null,
        claim: null,
        claimSignature: null,
        fault: this.d.testFault,
        stage: "claimed",
        submittedAt: null,
        finalizeAfter: null,
        error: null,
        updatedAt: this.clock(),
      });
    }
    await this.serve(job, log);
  }

  private async serve(job: L2Job, log: Logger): Promise<void> {
    const model = this.d.models.get(job.modelId.toLowerCase());
    if (!model) throw new Error(`model ${job.modelId} is not served here`);
    const rec = (await this.d.store.job(job.id)) as JobRecord;
    if (job.generation) return this.serveGeneration(job, job.generation, model, rec, log);
    const input = rec.inputBase64
      ? Buffer.from(rec.inputBase64, "base64")
      : await this.d.content.get(cidToString(job.inputCid), {
          timeoutMs: this.d.inputTimeoutMs ?? 30_000,
          maxBytes: this.d.maxInputBytes ?? 64 * 1024 * 1024,
        });
    // kept before anything is signed: a dispute is answered by re-running on exactly these bytes
    await this.d.store.updateJob(job.id, { inputBase64: Buffer.from(input).toString("base64") });
    const t0 = performance.now();
    const ex = await executeJob(model, job, input, rec.fault, { deferred: this.deferred });
    this.d.metrics.inferenceSeconds.observe((performance.now() - t0) / 1000);
    const claim = buildClaim(job, this.d.address, model.modelId, ex.inputRoot, ex.run, {
      outputCid: await this.publish(ex.outputFile, rec.fault),
      traceCid: await this.publish(ex.traceFile, rec.fault),
    });
    await this.signRecordSend(job.id, claim, ex.run.view, rec.fault, (claimSignature) => ({
      type: "submitResult",
      claim,
      claimSignature,
    }));
    log.info(
      { outputRoot: claim.outputRoot, traceRoot: claim.traceRoot, fault: rec.fault ?? undefined },
      "result submitted",
    );
    const after = await this.d.l2.job(job.id);
    if (after) await this.markSubmitted(after);
  }

  /**
   * A generation job: decode, the one traced pass (as an ordinary run: same faults, same content),
   * the claim with its generationSpec, and submitGeneration with the generated tokens.
   */
  private async serveGeneration(
    job: L2Job,
    g: NonNullable<L2Job["generation"]>,
    model: ServedModel,
    rec: JobRecord,
    log: Logger,
  ): Promise<void> {
    const spec = generationJobFor(model, g);
    const t0 = performance.now();
    const gen = await executeGeneration(model, job.id, spec, rec.fault, { deferred: this.deferred });
    this.d.metrics.inferenceSeconds.observe((performance.now() - t0) / 1000);
    const { ex } = gen;
    // kept before anything is signed: a dispute is answered by re-running the pass on these bytes
    await this.d.store.updateJob(job.id, {
      inputBase64: Buffer.from(gen.inputFile).toString("base64"),
      inputRoot: gen.passInputRoot,
    });
    const claim = buildClaim(
      { id: job.id, modelId: job.modelId, inputRoot: gen.passInputRoot },
      this.d.address,
      model.modelId,
      ex.inputRoot,
      ex.run,
      {
        outputCid: await this.publish(ex.outputFile, rec.fault),
        traceCid: await this.publish(ex.traceFile, rec.fault),
      },
      gen.generationSpec,
    );
    await this.signRecordSend(job.id, claim, ex.run.view, rec.fault, (claimSignature) => ({
      type: "submitGeneration",
      claim,
      claimSignature,
      generated: gen.generated,
    }));
    log.info(
      { tokens: gen.generated.length, traceRoot: claim.traceRoot, fault: rec.fault ?? undefined },
      "generation submitted",
    );
    const after = await this.d.l2.job(job.id);
    if (after) await this.markSubmitted(after);
  }

  /** Claims are deferred unless the operator asked to commit traces (--commit-trace). */
  private get deferred(): boolean {
    return this.d.commitTrace !== true;
  }

  /**
   * Publishes a content file (a withholding liar only names it) and returns the claim's CID
   * bytes; no file (a deferred claim's trace): "0x", the claim names nothing.
   */
  private async publish(file: Uint8Array | null, fault: FaultMode | null): Promise<Hex> {
    if (!file) return "0x";
    const cid = faultPublishes(fault) ? await this.d.content.add(file) : (await fileCid(file)).toString();
    return cidToBytesHex(cid);
  }

  /**
   * Signs `claim`, records it with its signature before it leaves (a dispute after a crash here is
   * still answerable), keeps the run's view and sends the L2 tx `txOf` makes of the signature.
   */
  private async signRecordSend(
    jobId: Hex,
    claim: ClaimMsg,
    view: PartyView | null,
    fault: FaultMode | null,
    txOf: (claimSignature: Hex) => Parameters<SequencerClient["send"]>[0],
  ): Promise<void> {
    const claimSignature = signWorkerClaim(
      claim,
      this.d.key,
      this.d.l1ChainId,
      this.d.bridge,
      this.d.address,
    );
    await this.d.store.updateJob(jobId, { claim, claimSignature });
    this.keepView(jobId, view, fault);
    await this.d.l2.send(txOf(claimSignature));
    this.d.metrics.jobs.inc({ result: "submitted" });
  }

  /** Caches the view a claim was made with (a deferred plain run has none: built if disputed). */
  private keepView(jobId: Hex, view: PartyView | null, fault: FaultMode | null): void {
    if (!view) return;
    this.views.set(jobId.toLowerCase(), Promise.resolve({ view, fault }));
    this.d.metrics.viewsHeld.set(this.views.size);
  }

  /** Drops the view of `jobId`, if one is held (a dispute after this rebuilds it). */
  private releaseView(jobId: Hex, why: string): void {
    if (!this.views.delete(jobId.toLowerCase())) return;
    this.d.metrics.viewsHeld.set(this.views.size);
    this.d.logger.info({ jobId, why, held: this.views.size }, "claim view released");
  }

  /** Views held in memory now. */
  get viewsHeld(): number {
    return this.views.size;
  }

  private async markSubmitted(job: L2Job): Promise<void> {
    const at = job.submittedAt ?? this.clock();
    const finalizeAfter = at + this.d.challengeWindowMs;
    await this.d.store.updateJob(job.id, { stage: "submitted", submittedAt: at, finalizeAfter });
    this.toFinalize.set(job.id, finalizeAfter);
  }

  /** Sends finalize for every submitted job whose window has passed (one pass, not re-entrant). */
  async finalizeDue(): Promise<void> {
    if (this.finalizing || this.stopped) return;
    this.finalizing = true;
    try {
      const now = this.clock();
      for (const [jobId, after] of this.toFinalize) {
        if (after > now) continue;
        await this.finalizeOne(jobId as Hex).catch((e) =>
          this.d.logger.warn({ jobId, err: (e as Error).message }, "finalize failed"),
        );
      }
    } finally {
      this.finalizing = false;
    }
  }

  private async finalizeOne(jobId: Hex): Promise<void> {
    const job = await this.d.l2.job(jobId);
    if (!job) return;
    const retry = (ms: number): void => {
      this.toFinalize.set(jobId, this.clock() + ms);
    };
    if (job.status === "paid" || job.status === "refunded") {
      this.toFinalize.delete(jobId);
      this.releaseView(jobId, job.status);
      await this.d.store.updateJob(jobId, { stage: job.status, error: job.refundReason });
      this.d.metrics.jobs.inc({ result: job.status });
      return;
    }
    if (job.status === "disputed") return retry(Math.max(this.d.pollMs * 4, 1000));
    if (job.status === "claimed" && job.deadline < this.clock()) {
      // our failed job, past its deadline: refund the requester, free our slot
      await this.d.l2.send({ type: "finalize", jobId });
      this.d.logger.info({ jobId }, "finalize sent for a job we could not serve (deadline passed)");
      return retry(this.d.pollMs);
    }
    if (job.status !== "submitted") return retry(this.d.pollMs * 4);
    try {
      await this.d.l2.send({ type: "finalize", jobId });
      this.d.logger.info({ jobId }, "finalize sent");
      retry(this.d.pollMs); // JobPaid in the next block confirms it
    } catch (e) {
      const m = e instanceof L2Error ? /open until (\d+)/.exec(e.message) : null;
      if (m) this.toFinalize.set(jobId, Number(m[1]) + 1);
      else {
        this.d.metrics.l2TxErrors.inc({ type: "finalize" });
        retry(Math.max(this.d.pollMs * 4, 1000));
        throw e;
      }
    }
  }

  /** The view a claim on `jobId` was made with: cached, or rebuilt by re-running the job. */
  viewFor(jobId: Hex): Promise<{ view: PartyView; fault: FaultMode | null }> {
    const key = jobId.toLowerCase();
    let p = this.views.get(key);
    if (!p) {
      p = this.rebuildView(key as Hex);
      this.views.set(key, p);
      this.d.metrics.viewsHeld.set(this.views.size);
      p.catch(() => {
        if (this.views.get(key) === p) this.views.delete(key);
        this.d.metrics.viewsHeld.set(this.views.size);
      });
    }
    return p;
  }

  private async rebuildView(jobId: Hex): Promise<{ view: PartyView; fault: FaultMode | null }> {
    const rec = await this.d.store.job(jobId);
    if (!rec?.claim || !rec.inputBase64) throw new Error(`no claim on job ${jobId} in this data dir`);
    const model = this.d.models.get(rec.modelId);
    if (!model) throw new Error(`job ${jobId} was run on model ${rec.modelId}, which is no longer served`);
    // a deferred claim's trace is made here, from the input kept before the claim was signed
    const deferred = isDeferredTrace(rec.claim.traceRoot);
    const ex = await executeJob(
      model,
      { id: jobId, modelId: rec.modelId, inputRoot: rec.inputRoot },
      Buffer.from(rec.inputBase64, "base64"),
      rec.fault,
      { deferred, view: true },
    );
    const [what, ours, claimed] = deferred
      ? ["output root", ex.run.outputRoot, rec.claim.outputRoot]
      : ["trace root", ex.run.traceRoot, rec.claim.traceRoot];
    if (toHex(ours) !== claimed.toLowerCase())
      throw new Error(`job ${jobId}: re-running gives ${what} ${toHex(ours)}, the claim says ${claimed}`);
    if (!ex.run.view) throw new Error(`job ${jobId}: the traced re-run built no view`);
    this.d.logger.info({ jobId, deferred }, "dispute view rebuilt by re-running the job (traced)");
    return { view: ex.run.view, fault: rec.fault };
  }

  /** A dispute on `jobId` ended (from the defender). */
  async disputeResolved(jobId: Hex, winner: number): Promise<void> {
    const rec = await this.d.store.job(jobId);
    if (!rec) return;
    if (winner === Winner.challenger) {
      this.toFinalize.delete(jobId);
      // the claim is invalidated: no later dispute on it can need our view
      this.releaseView(jobId, "claim lost");
      await this.d.store.updateJob(jobId, { stage: "refunded", error: "dispute lost" });
      this.d.metrics.jobs.inc({ result: "lost_claim" });
    } else if (rec.stage === "submitted" || rec.stage === "disputed") {
      this.toFinalize.set(jobId, Math.min(this.toFinalize.get(jobId) ?? 0, this.clock()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
    await this.readingBlocks;
  }
}
