/**
 * A refusal the watcher cannot get past must become an alert, not a silent retry loop (issue 18,
 * "agents always have a move"): the contract reverting the same move with the same error, again
 * and again, means our view, the contract or the chain disagree in a way retrying will not fix
 * (attack 9 was one: every openDispute reverted ECDSAInvalidSignature, forever, unnoticed).
 *
 * One tracker per game, pure: it counts consecutive refusals of one move by one revert and says
 * when the game becomes stuck (once, to alert) and when it moves again. The scheduler keeps
 * retrying a stuck game, slower: the game can still change under it (the claimer's clock runs
 * out, another dispute invalidates the claim), and a timeout or closeVoid is then a move again.
 */

/** Consecutive refusals of the same move by the same revert before a game counts as stuck. */
export const STUCK_AFTER = 3;

export type RefusalVerdict =
  /** Retry as usual. */
  | { kind: "retry"; times: number }
  /** This refusal made the game stuck: alert now (once). */
  | { kind: "stuck"; times: number }
  /** Still stuck (already alerted): retry, slower. */
  | { kind: "stillStuck"; times: number };

export class RefusalTracker {
  private move: string | undefined;
  private revert: string | undefined;
  private times = 0;
  private stuckNow = false;
  private readonly threshold: number;

  constructor(threshold = STUCK_AFTER) {
    this.threshold = threshold;
    if (!Number.isInteger(threshold) || threshold < 1)
      throw new RangeError(`threshold must be a positive integer, got ${threshold}`);
  }

  get stuck(): boolean {
    return this.stuckNow;
  }

  /** The move `move` was refused by the contract with revert `revert`. */
  refused(move: string, revert: string): RefusalVerdict {
    if (move === this.move && revert === this.revert) this.times++;
    else {
      // another move or another reason: the game changed, count afresh (an alert stays raised
      // until a tx lands, so a stuck game that alternates refusals is not un-alerted)
      this.move = move;
      this.revert = revert;
      this.times = 1;
    }
    if (this.stuckNow) return { kind: "stillStuck", times: this.times };
    if (this.times >= this.threshold) {
      this.stuckNow = true;
      return { kind: "stuck", times: this.times };
    }
    return { kind: "retry", times: this.times };
  }

  /** A tx of this game landed (or the game ended): true when that ends a stuck spell. */
  progressed(): boolean {
    const was = this.stuckNow;
    this.move = undefined;
    this.revert = undefined;
    this.times = 0;
    this.stuckNow = false;
    return was;
  }
}
