/**
 * Whether a follower is in step with its leader, for /health and /metrics. Pure bookkeeping with
 * an injected clock: sequencer/p2p.ts reports each pull (and each gossiped block) from the leader
 * and each failure to reach it.
 *
 * A follower is healthy when it heard from the leader within `staleAfterMs` and is at most
 * `maxLag` blocks behind the leader's head as last reported. Otherwise /health says ok: false
 * with the reason, so that a follower cut off from its leader no longer looks fine at a stale head.
 */

export interface FollowerLimits {
  /** Longest silence from the leader that is still healthy (a pull runs every 2 s). */
  staleAfterMs: number;
  /** Most blocks behind the leader's reported head that is still healthy. */
  maxLag: number;
}

export const DEFAULT_FOLLOWER_LIMITS: FollowerLimits = { staleAfterMs: 10_000, maxLag: 16 };

export interface FollowerReport {
  ok: boolean;
  /** The leader's head when last heard from; null before the first contact. */
  leaderHead: number | null;
  /** Blocks this node is behind that head. */
  lag: number | null;
  /** Milliseconds since the leader was last heard from; null before the first contact. */
  sinceLeaderMs: number | null;
  /** Why it is not ok (absent when ok). */
  reason?: string;
  /** The last failure to reach the leader, if any since the last contact. */
  lastError?: string;
}

export class FollowerStatus {
  private readonly clock: () => number;
  readonly limits: FollowerLimits;
  private readonly startedAt: number;
  private leaderHead: number | null = null;
  private heardAt: number | null = null;
  private lastError: string | null = null;

  constructor(clock: () => number, limits: Partial<FollowerLimits> = {}) {
    this.clock = clock;
    this.limits = { ...DEFAULT_FOLLOWER_LIMITS, ...limits };
    this.startedAt = clock();
  }

  /** The leader answered: its head is `head` (a gossiped block counts as its head, at least). */
  heard(head: number): void {
    this.leaderHead = this.leaderHead === null ? head : Math.max(head, this.leaderHead);
    // a restarted leader may report a lower head than a block gossiped before: believe the pull
    this.heardAt = this.clock();
    this.lastError = null;
  }

  /** A pull answered with the leader's current head (authoritative, may be lower after a restart). */
  pulled(head: number): void {
    this.leaderHead = head;
    this.heardAt = this.clock();
    this.lastError = null;
  }

  failed(err: string): void {
    this.lastError = err;
  }

  report(ownHead: number): FollowerReport {
    const now = this.clock();
    const since = this.heardAt === null ? null : now - this.heardAt;
    const lag = this.leaderHead === null ? null : Math.max(0, this.leaderHead - ownHead);
    let reason: string | undefined;
    if (since === null) {
      if (now - this.startedAt > this.limits.staleAfterMs)
        reason = `no contact with the leader in ${Math.round((now - this.startedAt) / 1000)} s since start`;
    } else if (since > this.limits.staleAfterMs)
      reason = `leader last heard from ${Math.round(since / 1000)} s ago`;
    else if (lag !== null && lag > this.limits.maxLag)
      reason = `${lag} blocks behind the leader (at most ${this.limits.maxLag})`;
    return {
      ok: reason === undefined,
      leaderHead: this.leaderHead,
      lag,
      sinceLeaderMs: since,
      ...(reason ? { reason } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
