/**
 * Upload quotas of a content node: each client (by IP: uploads carry no signature) may add at
 * most `bytesPerWindow` bytes per `windowMs`, refilled continuously (a token bucket of bytes),
 * so that a stranger cannot fill the node's disk at line rate. Pure bookkeeping, clock injected.
 */

export interface UploadLimits {
  /** Bytes a client may upload per window (also the most it may upload at once). */
  bytesPerWindow: number;
  windowMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  bytesPerWindow: 1024 * 1024 * 1024,
  windowMs: 3_600_000,
};

/** How many clients are tracked before full buckets (the same as untracked) are forgotten. */
const TRACKED = 10_000;

export type QuotaAnswer = { ok: true } | { ok: false; retryAfterMs: number; available: number };

export class UploadQuota {
  readonly limits: UploadLimits;
  private readonly clock: () => number;
  private readonly buckets = new Map<string, { bytes: number; at: number }>();

  constructor(limits: Partial<UploadLimits> = {}, clock: () => number = Date.now) {
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
    for (const [k, v] of Object.entries(this.limits))
      if (!Number.isSafeInteger(v) || v <= 0)
        throw new Error(`upload limit ${k} must be a positive integer, got ${v}`);
    this.clock = clock;
  }

  /** Bytes `client` may upload now. */
  available(client: string): number {
    return this.refill(client).bytes;
  }

  /** Whether `client` may upload `bytes` now, without taking them. */
  check(client: string, bytes: number): QuotaAnswer {
    const b = this.refill(client);
    if (bytes <= b.bytes) return { ok: true };
    const rate = this.limits.bytesPerWindow / this.limits.windowMs;
    return { ok: false, retryAfterMs: Math.ceil((bytes - b.bytes) / rate), available: Math.floor(b.bytes) };
  }

  /** Take `bytes` from `client`'s allowance; refused (nothing taken) when it has not that many. */
  take(client: string, bytes: number): QuotaAnswer {
    const answer = this.check(client, bytes);
    if (!answer.ok) return answer;
    const b = this.refill(client);
    b.bytes -= bytes;
    this.buckets.set(client, b);
    if (this.buckets.size > TRACKED) this.forgetFull();
    return answer;
  }

  private refill(client: string): { bytes: number; at: number } {
    const now = this.clock();
    const b = this.buckets.get(client);
    if (!b) return { bytes: this.limits.bytesPerWindow, at: now };
    const rate = this.limits.bytesPerWindow / this.limits.windowMs;
    b.bytes = Math.min(this.limits.bytesPerWindow, b.bytes + (now - b.at) * rate);
    b.at = now;
    return b;
  }

  private forgetFull(): void {
    for (const k of [...this.buckets.keys()])
      if (this.refill(k).bytes >= this.limits.bytesPerWindow) this.buckets.delete(k);
  }
}
