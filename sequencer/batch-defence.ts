/**
 * The sequencer defends its batches (docs/rollup.md 8c): every challenge opened on the Bridge's
 * BatchChallenge is found by scanning the challenge ids, and each of its moves is answered from the
 * sequencer's own replay of the batch (Batcher.challengeAnswers; bridge/batch-challenge.ts
 * `sequencerMove` plays it). A challenger whose clock ran out while it is its turn is ended by
 * `timeout` (the sequencer wins its bond). Time is L1's: the injected `now` (the latest L1 block's
 * timestamp in the process) is what the contract's clocks compare with.
 *
 * Crash-safe by construction: nothing is kept but what L1 and the node's own blocks hold. After a
 * restart the scan starts again at challenge 0 and each open challenge is answered from its phase
 * on L1; a move whose tx landed before the crash is simply not due any more, and a move sent twice
 * reverts (WrongPhase) without changing anything.
 */
import type { Logger } from "pino";
import type { ChallengeView } from "../bridge/batch-challenge.ts";
import { PHASE } from "../bridge/batch-challenge.ts";
import type { Hex } from "../protocol/tx.ts";
import type { ChallengeAnswers } from "./batch.ts";

/** The BatchChallenge as the sequencer plays it (bridge/batch-challenge.ts BatchChallengeContract). */
export interface DefenceGame {
  challengeCount(): Promise<bigint>;
  getChallenge(id: bigint): Promise<ChallengeView>;
  revealMessages(id: bigint, leaves: readonly Hex[]): Promise<unknown>;
  revealMid(id: bigint, commitment: Hex): Promise<unknown>;
  timeout(id: bigint): Promise<unknown>;
}

export type DefenceMove =
  | { id: bigint; batchIndex: number; move: "revealMessages" | "revealMid" | "timeout" }
  | { id: bigint; batchIndex: number; move: "none"; why: string };

/** Reverts that mean "not due any more": another tx got there first, or the batch is gone. */
const STALE = new Set(["WrongPhase", "NotVoid", "ClockNotOut"]);

export class BatchDefender {
  private readonly game: DefenceGame;
  private readonly answers: (batchIndex: number, txRoot: Hex) => Promise<ChallengeAnswers | null>;
  private readonly now: () => Promise<bigint>;
  private readonly logger?: Logger;
  /** Challenges below this id were seen closed (or are in `open`). */
  private scanned = 0n;
  private readonly open = new Set<bigint>();
  private readonly cache = new Map<string, ChallengeAnswers | null>();
  /** Challenges on data this node did not post (logged once). */
  private readonly refused = new Set<bigint>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<DefenceMove[]> | null = null;
  /** Challenges this process saw end, by id: true when the sequencer won. */
  readonly outcomes = new Map<bigint, boolean>();

  constructor(opts: {
    game: DefenceGame;
    /** The answers for batch `batchIndex` whose data has `txRoot` (null: not this node's batch). */
    answers: (batchIndex: number, txRoot: Hex) => Promise<ChallengeAnswers | null>;
    /** L1 time, seconds (the latest block's timestamp). */
    now: () => Promise<bigint>;
    logger?: Logger;
  }) {
    this.game = opts.game;
    this.answers = opts.answers;
    this.now = opts.now;
    this.logger = opts.logger;
  }

  /** One pass: find new challenges, answer every open one whose move is due. */
  stepOnce(): Promise<DefenceMove[]> {
    if (!this.running) this.running = this.step().finally(() => (this.running = null));
    return this.running;
  }

  private async step(): Promise<DefenceMove[]> {
    const count = await this.game.challengeCount();
    for (; this.scanned < count; this.scanned++) this.open.add(this.scanned);
    const moves: DefenceMove[] = [];
    let failed: Error | null = null;
    for (const id of [...this.open]) {
      // one challenge failing (an L1 error, a replay that cannot be made) must not starve the others
      try {
        const m = await this.answer(id);
        if (m) moves.push(m);
      } catch (err) {
        failed = err as Error;
        this.logger?.error({ challengeId: id.toString(), err: failed.message }, "batch defence: move failed");
      }
    }
    if (failed) throw failed;
    return moves;
  }

  private async answer(id: bigint): Promise<DefenceMove | null> {
    const v = await this.game.getChallenge(id);
    const batchIndex = Number(v.batchIndex);
    if (v.phase >= PHASE.sequencerWon) {
      this.open.delete(id);
      if (v.phase !== PHASE.void) this.outcomes.set(id, v.phase === PHASE.sequencerWon);
      const log = v.phase === PHASE.challengerWon ? "error" : "info";
      this.logger?.[log](
        { challengeId: id.toString(), batchIndex, phase: v.phase },
        v.phase === PHASE.sequencerWon
          ? "batch challenge ended: the sequencer's batch stands"
          : v.phase === PHASE.void
            ? "batch challenge ended: void (its batch was removed by another challenge)"
            : "batch challenge ended: the batch was proven wrong and removed",
      );
      return null;
    }
    const ours = v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid;
    try {
      if (!ours) {
        // the challenger's move: once its clock is out, the sequencer ends the challenge and wins
        const elapsed = (await this.now()) - BigInt(v.lastMoveAt);
        if (elapsed <= BigInt(v.challengerClock)) return null;
        await this.game.timeout(id);
        return { id, batchIndex, move: "timeout" };
      }
      const key = `${batchIndex}:${v.txRoot}`;
      if (!this.cache.has(key)) this.cache.set(key, await this.answers(batchIndex, v.txRoot));
      const a = this.cache.get(key);
      if (!a) {
        if (this.refused.has(id)) return { id, batchIndex, move: "none", why: "not this node's batch" };
        this.refused.add(id);
        this.logger?.error(
          { challengeId: id.toString(), batchIndex, txRoot: v.txRoot },
          "challenged batch is not one this node posted: cannot answer",
        );
        return { id, batchIndex, move: "none", why: "not this node's batch" };
      }
      if (v.phase === PHASE.awaitMessages) {
        await this.game.revealMessages(id, a.messageLeaves);
        this.logger?.warn(
          { challengeId: id.toString(), batchIndex, txCount: Number(v.txCount) },
          "batch challenged: revealed its messages",
        );
        return { id, batchIndex, move: "revealMessages" };
      }
      const mid = Number((BigInt(v.lo) + BigInt(v.hi)) / 2n);
      await this.game.revealMid(id, a.commitments[mid]);
      this.logger?.info({ challengeId: id.toString(), batchIndex, mid }, "batch challenge: revealed C_mid");
      return { id, batchIndex, move: "revealMid" };
    } catch (err) {
      const name = (err as { errorName?: string }).errorName;
      if (name && STALE.has(name)) {
        if (name === "NotVoid") this.open.delete(id); // its batch is gone: nothing left to defend
        return { id, batchIndex, move: "none", why: name };
      }
      throw err;
    }
  }

  /** Answers on an interval; a failed pass is logged and tried again on the next tick. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.stepOnce().catch((err) =>
        this.logger?.error({ err: (err as Error).message }, "batch defence step failed"),
      );
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
