/**
 * What a worker keeps to answer any dispute and to get paid, in level under its data dir
 * (one LevelDB, utf8 keys, JSON values):
 *   j/<jobId>      JobRecord: model, input CID and bytes, roots, the claim and its signature
 *   d/<disputeId>  DisputeRecord: the dispute on one of our claims and how it ended
 *   m/<name>       cursors (next L2 block, next L1 block for dispute logs)
 * The job record (with the input bytes) is written before submitResult is sent, so a worker that
 * crashes right after signing still holds everything needed to rebuild its PartyView: inference
 * is deterministic, so the view is recomputed from model + input instead of being stored.
 */
import { Level } from "level";
import type { ClaimMsg, Hex } from "../../protocol/tx.ts";
import type { FaultMode } from "./faults.ts";

export type JobStage = "claimed" | "submitted" | "paid" | "refunded" | "failed" | "disputed";

export interface JobRecord {
  jobId: Hex;
  modelId: Hex;
  inputCid: Hex;
  inputRoot: Hex;
  /** The fetched input file, base64 (verified against inputRoot before use). */
  inputBase64: string | null;
  claim: ClaimMsg | null;
  claimSignature: Hex | null;
  /** The fault mode the claim was made under (null: honest); the view is rebuilt with it. */
  fault: FaultMode | null;
  stage: JobStage;
  /** L2 time the result was included (ms), from the job record; finalize waits for the window. */
  submittedAt: number | null;
  /** Earliest time to try finalize next (ms). */
  finalizeAfter: number | null;
  error: string | null;
  updatedAt: number;
}

export interface DisputeRecord {
  disputeId: string;
  jobId: Hex;
  claimKey: Hex;
  challenger: Hex;
  /** 0 none yet, 1 claimer (we) won, 2 challenger won, 3 void. */
  winner: number;
  moves: number;
  openedAtBlock: string;
}

export class WorkerStore {
  readonly db: Level<string, string>;

  constructor(path: string) {
    this.db = new Level<string, string>(path, { keyEncoding: "utf8", valueEncoding: "utf8" });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async getJson<T>(key: string): Promise<T | null> {
    const v = await this.db.get(key);
    return v === undefined ? null : (JSON.parse(v) as T);
  }

  private async list<T>(prefix: string): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this.db.values({ gte: prefix, lt: `${prefix}\xff` })) out.push(JSON.parse(v) as T);
    return out;
  }

  job(jobId: string): Promise<JobRecord | null> {
    return this.getJson<JobRecord>(`j/${jobId.toLowerCase()}`);
  }

  /** Written with sync: the claim must survive a crash right after it is sent. */
  putJob(r: JobRecord): Promise<void> {
    return this.db.put(`j/${r.jobId.toLowerCase()}`, JSON.stringify(r), { sync: true });
  }

  async updateJob(jobId: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    const r = await this.job(jobId);
    if (!r) throw new Error(`no job record ${jobId}`);
    const next = { ...r, ...patch, updatedAt: Date.now() };
    await this.putJob(next);
    return next;
  }

  jobs(): Promise<JobRecord[]> {
    return this.list<JobRecord>("j/");
  }

  dispute(id: bigint | string): Promise<DisputeRecord | null> {
    return this.getJson<DisputeRecord>(`d/${String(id).padStart(20, "0")}`);
  }

  putDispute(r: DisputeRecord): Promise<void> {
    return this.db.put(`d/${r.disputeId.padStart(20, "0")}`, JSON.stringify(r), { sync: true });
  }

  disputes(): Promise<DisputeRecord[]> {
    return this.list<DisputeRecord>("d/");
  }

  async cursor(name: string): Promise<number | null> {
    const v = await this.db.get(`m/${name}`);
    return v === undefined ? null : Number(v);
  }

  setCursor(name: string, n: number): Promise<void> {
    return this.db.put(`m/${name}`, String(n));
  }
}
