/**
 * Runs every dispute of this watcher at once: one async task per claim, each its own state
 * machine (opening -> playing -> won / lost / void), so a slow or stuck game never holds up
 * another. Only the step that spends the shared challenger bond (ensure bond + open) is
 * serialised, so two openings never count the same free bond.
 *
 * Every L1 tx is preceded by a durable write of the game record naming it (store.ts), and every
 * decision is taken from the chain as it is now (player.ts), so a watcher killed at any point
 * resumes where the chain says the game is.
 */
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import type { BridgeContract } from "../../bridge/bridge.ts";
import { BridgeRevert } from "../../bridge/bridge.ts";
import type { DisputeGameContract } from "../../bridge/dispute/game.ts";
import type { GenerationRuleContract } from "../../bridge/dispute/generation-rule.ts";
import { type InputOpeningArg, outcomeFor, Phase } from "../../bridge/dispute/vocabulary.ts";
import { type Action, decide, type Outcome } from "../game/challenger.ts";
import { type Opening, PlanError } from "../game/planner.ts";
import { decideTokenMove, type TokenMoveAction, type TokenProofArg } from "../game/token-move.ts";
import type { PartyView } from "../game/view.ts";
import type { WatcherMetrics } from "./metrics.ts";
import { RefusalTracker } from "./refusals.ts";
import { type GameRecord, TERMINAL, type WatcherStore } from "./store.ts";

export interface SchedulerDeps {
  game: DisputeGameContract;
  bridge: BridgeContract;
  store: WatcherStore;
  metrics: WatcherMetrics;
  logger: Logger;
  me: Address;
  pollMs: number;
  /** Our view of the claim's run (re-executed; cached by the caller). */
  viewFor(r: GameRecord): Promise<PartyView>;
  /** The token move's calldata for a record at level "token" (from our pass; cached by the caller). */
  tokenProofFor?(r: GameRecord): Promise<TokenProofArg>;
  /** challengeInput's opening for a record at level "input" (from the job's input; cached by the caller). */
  inputChallengeFor?(r: GameRecord): Promise<InputOpeningArg>;
  /** The DisputeGame's GenerationRule (the token move); needed for records at level "token". */
  generationRule?: GenerationRuleContract;
  bondDeposit?: bigint;
  withdrawIdleBond?: boolean;
  /**
   * A game's task ended (the game over, given up, or the scheduler stopped): drop what was cached
   * for it (its view holds every node output of a run); a resumed game rebuilds it.
   */
  release?(r: GameRecord): void;
  /**
   * claimFinalAt when the claim is already final on L1 (finality.ts): a dispute opened then would
   * lose to proveClaimFinal and cost our bond, so none is opened. Absent: always open.
   */
  claimFinalOnL1?(claimKey: Hex): Promise<bigint | undefined>;
  /** Consecutive planning failures before a game is given up as failed. */
  maxPlanErrors?: number;
  /** Consecutive refusals of one move by one revert before the game is reported stuck (refusals.ts). */
  stuckAfter?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The dispute a record asks for: level 1 for a wrong trace; level 0 on the output the checker
 * named, or, when no verified file named one (several outputs, issue 18 attack 11), level 0
 * without naming it (the claimer reveals every output root, the planner then picks).
 */
export function recordOpening(
  r: Pick<GameRecord, "level" | "outputIndex">,
): Exclude<Opening, { kind: "challengeInput" }> {
  if (r.level === "deferred") return { kind: "openDeferred" };
  if (r.level !== "output") return { kind: "openDispute" };
  if (r.outputIndex === undefined) return { kind: "challengeOutputs" };
  return { kind: "challengeOutput", outputIndex: r.outputIndex };
}

export class GameScheduler {
  private readonly d: SchedulerDeps;
  private readonly tasks = new Map<string, Promise<void>>();
  private openChain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private bondSize: bigint | undefined;

  constructor(deps: SchedulerDeps) {
    this.d = deps;
  }

  /** Games running now. */
  get running(): number {
    return this.tasks.size;
  }

  /** Starts (or resumes) the task of a record in "opening" or "playing"; no-op if it runs. */
  start(r: GameRecord): void {
    if (this.stopped || TERMINAL.has(r.status) || this.tasks.has(r.claimKey)) return;
    const task = this.run(r)
      .catch((e) =>
        this.d.logger.error({ err: (e as Error).message, claimKey: r.claimKey }, "game task crashed"),
      )
      .finally(() => {
        this.tasks.delete(r.claimKey);
        this.d.release?.(r);
        this.d.metrics.gamesOpen.set(this.tasks.size);
        if (!this.stopped && this.tasks.size === 0 && this.d.withdrawIdleBond) void this.withdrawIdle();
      });
    this.tasks.set(r.claimKey, task);
    this.d.metrics.gamesOpen.set(this.tasks.size);
  }

  /** Resolves once every running game ended (tests; a graceful drain). */
  async idle(): Promise<void> {
    while (this.tasks.size) await Promise.all([...this.tasks.values()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.tasks.values()]);
  }

  // ------------------------------------------------------------------ one game

  private async run(r: GameRecord): Promise<void> {
    const log = this.d.logger.child({ claimKey: r.claimKey, jobId: r.jobId });
    const refusals = new RefusalTracker(this.d.stuckAfter);
    try {
      if (r.status === "opening") {
        const opened = await this.serialised(() => this.open(r, log, refusals));
        if (!opened) return;
      }
      if (r.level === "token") await this.playTokenMove(r, log, refusals);
      else if (r.level === "input") await this.endInputMove(r, log);
      else await this.play(r, log, refusals);
    } finally {
      if (refusals.progressed()) this.d.metrics.stuckGames.dec();
    }
  }

  /**
   * The contract refused `kind` (a BridgeRevert): after the same refusal `stuckAfter` times in a
   * row the game is stuck, an alert (error log naming the revert, verdict_watcher_stuck_games),
   * not a silent retry loop. Returns how long to wait before trying again: longer once stuck.
   */
  private async refused(
    r: GameRecord,
    refusals: RefusalTracker,
    kind: string,
    e: BridgeRevert,
    log: Logger,
  ): Promise<number> {
    const v = refusals.refused(kind, e.errorName);
    if (v.kind === "stuck") {
      // recorded before it is announced: whoever reads the alert finds the reason in the store
      await this.save(r, { reason: `stuck: ${kind} refused ${v.times} times with ${e.errorName}` });
      this.d.metrics.stuckGames.inc();
      log.error(
        { move: kind, revert: e.errorName, times: v.times, err: e.message },
        "the contract keeps refusing our move: game stuck",
      );
    }
    return refusals.stuck ? Math.min(this.d.pollMs * 8, 30_000) : this.d.pollMs;
  }

  /** A tx of this game landed: a stuck spell (if any) is over. */
  private async progressed(r: GameRecord, refusals: RefusalTracker, log: Logger): Promise<void> {
    if (!refusals.progressed()) return;
    this.d.metrics.stuckGames.dec();
    log.info("the contract accepted our move again: no longer stuck");
    await this.save(r, { reason: undefined });
  }

  private serialised<T>(f: () => Promise<T>): Promise<T> {
    const p = this.openChain.then(f, f);
    this.openChain = p.catch(() => {});
    return p;
  }

  private async save(r: GameRecord, patch: Partial<GameRecord>): Promise<void> {
    Object.assign(r, patch, { updatedAt: Date.now() });
    await this.d.store.put(r);
  }

  /** Our dispute on this claim, if one was opened (a crash may have hidden it from the record). */
  private async findOurDispute(claimKey: Hex): Promise<bigint | undefined> {
    const ours = (await this.d.game.disputesOpened({ claimKey }, 0n)).filter(
      (e) => e.challenger.toLowerCase() === this.d.me.toLowerCase(),
    );
    return ours.length ? ours[ours.length - 1].disputeId : undefined;
  }

  private async challengerBond(): Promise<bigint> {
    this.bondSize ??= (await this.d.bridge.config()).challengerBond;
    return this.bondSize;
  }

  private async updateBondMetrics(): Promise<{ free: bigint; locked: bigint }> {
    const b = (await this.d.bridge.bondOf(this.d.me)) as { free: bigint; locked: bigint };
    this.d.metrics.bondFree.set(Number(b.free));
    this.d.metrics.bondLocked.set(Number(b.locked));
    return b;
  }

  /** Bond, then openDispute. False when the game ended before it began (void, or gave up). */
  private async open(r: GameRecord, log: Logger, refusals: RefusalTracker): Promise<boolean> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const existing = await this.findOurDispute(r.claimKey);
        if (existing !== undefined) {
          log.info({ disputeId: existing.toString() }, "dispute found on chain");
          await this.save(r, { status: "playing", disputeId: existing.toString(), pending: undefined });
          return true;
        }
        if (await this.d.game.claimInvalidated(r.claimKey)) {
          // another challenger already won: opening would only come back void
          log.info("claim already invalidated by another dispute; not opening");
          await this.save(r, { status: "void", reason: "invalidated before we opened", pending: undefined });
          this.d.metrics.gamesEnded.inc({ outcome: "void" });
          return false;
        }
        const finalAt = await this.d.claimFinalOnL1?.(r.claimKey);
        if (finalAt !== undefined) {
          // too late (L1 time passed the claim's window before we got here): a dispute would lose
          log.warn(
            { finalAt: finalAt.toString() },
            "the claim is final on L1 already: a dispute would lose to proveClaimFinal; not opening",
          );
          await this.save(r, {
            status: "skipped",
            reason: "final on L1 before we opened",
            pending: undefined,
          });
          this.d.metrics.gamesEnded.inc({ outcome: "skipped" });
          return false;
        }
        const bond = await this.challengerBond();
        const { free } = await this.updateBondMetrics();
        if (free < bond) {
          const want =
            this.d.bondDeposit && this.d.bondDeposit > bond - free ? this.d.bondDeposit : bond - free;
          await this.save(r, { pending: { kind: "depositBond", at: Date.now() } });
          await this.d.bridge.depositBond(want);
          this.d.metrics.moves.inc({ kind: "depositBond" });
          log.info({ amount: want.toString() }, "challenger bond deposited");
        }
        const opening: Opening =
          r.level === "input"
            ? { kind: "challengeInput", opening: await this.inputOpening(r) }
            : recordOpening(r);
        await this.save(r, { pending: { kind: "openDispute", at: Date.now() } });
        const tx = await this.d.game.openPlanned(r.claim, r.signature, opening);
        this.count(r, "openDispute", tx.gasUsed);
        await this.save(r, { status: "playing", disputeId: tx.disputeId.toString(), pending: undefined });
        await this.progressed(r, refusals, log);
        await this.updateBondMetrics();
        log.info({ disputeId: tx.disputeId.toString(), level: r.level }, "dispute opened");
        return true;
      } catch (e) {
        const err = e as Error;
        if (e instanceof BridgeRevert && e.errorName === "ModelNotRegistered") {
          log.error({ err: err.message }, "cannot open a dispute on this claim");
          await this.save(r, { status: "failed", reason: err.message, pending: undefined });
          return false;
        }
        log.warn({ err: err.message, attempt }, "opening failed; retrying");
        const backoff = Math.min(this.d.pollMs * 2 ** Math.min(attempt, 4), 10_000);
        const wait =
          e instanceof BridgeRevert
            ? await this.refused(r, refusals, r.pending?.kind ?? "openDispute", e, log)
            : 0;
        await sleep(Math.max(backoff, wait));
      }
    }
    return false;
  }

  private inputOpening(r: GameRecord): Promise<InputOpeningArg> {
    if (!this.d.inputChallengeFor)
      throw new PlanError("a challengeInput record, but no input opening provider");
    return this.d.inputChallengeFor(r);
  }

  /**
   * challengeInput decides its dispute in the tx that opens it (or reverts): read the outcome.
   * Nothing is left to play, so a dispute still open would be a contract we do not know.
   */
  private async endInputMove(r: GameRecord, log: Logger): Promise<void> {
    const id = BigInt(r.disputeId as string);
    const plog = log.child({ disputeId: r.disputeId });
    while (!this.stopped) {
      try {
        const d = await this.d.game.getDispute(id);
        if (d.phase === Phase.resolved) {
          await this.finish(r, outcomeFor(d.winner, "challenger") ?? "void", plog);
          return;
        }
        plog.error({ phase: d.phase }, "a challengeInput dispute is still open");
        await this.save(r, {
          status: "failed",
          reason: `challengeInput left phase ${d.phase}`,
          pending: undefined,
        });
        return;
      } catch (e) {
        plog.warn({ err: (e as Error).message }, "cannot read the dispute; retrying");
        await sleep(this.d.pollMs);
      }
    }
  }

  private count(r: GameRecord, kind: string, gas: bigint): void {
    r.moves = { ...r.moves, [kind]: (r.moves?.[kind] ?? 0) + 1 };
    this.d.metrics.moves.inc({ kind });
    this.d.metrics.moveGas.inc(Number(gas));
  }

  private async play(r: GameRecord, log: Logger, refusals: RefusalTracker): Promise<void> {
    const id = BigInt(r.disputeId as string);
    const plog = log.child({ disputeId: r.disputeId });
    let view: PartyView | undefined;
    let planErrors = 0;
    while (!this.stopped) {
      let action: Action;
      try {
        view ??= await this.d.viewFor(r);
        const [game, invalidated, now] = await Promise.all([
          this.d.game.readGame(id),
          this.d.game.claimInvalidated(r.claimKey),
          this.d.game.now(),
        ]);
        action = decide({ game, invalidated, now, me: this.d.me }, view);
        planErrors = 0;
      } catch (e) {
        const err = e as Error;
        if (e instanceof PlanError && ++planErrors >= (this.d.maxPlanErrors ?? 5)) {
          plog.error({ err: err.message }, "our view contradicts the game; giving up");
          await this.save(r, { status: "failed", reason: err.message, pending: undefined });
          return;
        }
        plog.warn({ err: err.message }, "cannot read or plan the game; retrying");
        await sleep(this.d.pollMs);
        continue;
      }
      if (action.kind === "ended") {
        await this.finish(r, action.outcome, plog);
        return;
      }
      if (action.kind === "wait") {
        await sleep(this.d.pollMs);
        continue;
      }
      const kind = action.kind === "move" ? action.move.kind : action.kind;
      try {
        await this.save(r, { pending: { kind, at: Date.now() } });
        const tx =
          action.kind === "move"
            ? await this.d.game.play(id, action.move)
            : action.kind === "timeout"
              ? await this.d.game.timeout(id)
              : await this.d.game.closeVoid(id);
        this.count(r, kind, tx.gasUsed);
        await this.save(r, { pending: undefined });
        await this.progressed(r, refusals, plog);
        plog.debug({ kind, gas: tx.gasUsed.toString() }, "move sent");
      } catch (e) {
        // the game moved under us (a timeout, another tx) or the node hiccuped: re-read and
        // retry; the same refusal again and again is an alert (refused)
        plog.warn({ kind, err: (e as Error).message }, "move failed; re-reading the game");
        await sleep(
          e instanceof BridgeRevert ? await this.refused(r, refusals, kind, e, plog) : this.d.pollMs,
        );
      }
    }
  }

  /**
   * A dispute opened for the token move: send GenerationRule.proveTokenRuleBroken until the chain
   * shows the dispute resolved. Decided from the chain each round (decideTokenMove), the proof
   * rebuilt from our own pass after a restart, and the record names the tx before it is sent.
   */
  private async playTokenMove(r: GameRecord, log: Logger, refusals: RefusalTracker): Promise<void> {
    const id = BigInt(r.disputeId as string);
    const plog = log.child({ disputeId: r.disputeId });
    const rule = this.d.generationRule;
    const proofFor = this.d.tokenProofFor;
    if (!rule || !proofFor) {
      plog.error("a token-move dispute, but this watcher has no GenerationRule to play it");
      await this.save(r, { status: "failed", reason: "no GenerationRule configured", pending: undefined });
      return;
    }
    let proofErrors = 0;
    while (!this.stopped) {
      let action: TokenMoveAction;
      let proof: TokenProofArg | undefined;
      try {
        const [dispute, invalidated] = await Promise.all([
          this.d.game.getDispute(id),
          this.d.game.claimInvalidated(r.claimKey),
        ]);
        action = decideTokenMove({ dispute, invalidated, me: this.d.me });
        if (action.kind === "prove") proof = await proofFor(r);
        proofErrors = 0;
      } catch (e) {
        // a PlanError: our own pass no longer shows a broken rule (it will not change by retrying);
        // anything else (the node, the model's content) is retried like any read
        const err = e as Error;
        if (e instanceof PlanError && ++proofErrors >= (this.d.maxPlanErrors ?? 5)) {
          plog.error({ err: err.message }, "cannot rebuild the token move; giving up");
          await this.save(r, { status: "failed", reason: err.message, pending: undefined });
          return;
        }
        plog.warn({ err: err.message }, "cannot read the dispute or rebuild the token move; retrying");
        await sleep(this.d.pollMs);
        continue;
      }
      if (action.kind === "ended") {
        await this.finish(r, action.outcome, plog);
        return;
      }
      const kind = action.kind === "prove" ? "proveTokenRuleBroken" : "closeVoid";
      try {
        await this.save(r, { pending: { kind, at: Date.now() } });
        const tx =
          action.kind === "prove"
            ? await rule.proveTokenRuleBroken(id, r.claim, proof as TokenProofArg)
            : await this.d.game.closeVoid(id);
        this.count(r, kind, tx.gasUsed);
        await this.save(r, { pending: undefined });
        await this.progressed(r, refusals, plog);
        plog.info(
          { kind, gas: tx.gasUsed.toString(), reason: "reason" in tx ? tx.reason : undefined },
          "token move sent",
        );
      } catch (e) {
        // the dispute ended under us (another dispute, a timeout) or the node hiccuped: re-read;
        // the same refusal again and again (RuleHolds: our pass is not the claim's) is an alert
        plog.warn({ kind, err: (e as Error).message }, "token move failed; re-reading the dispute");
        await sleep(
          e instanceof BridgeRevert ? await this.refused(r, refusals, kind, e, plog) : this.d.pollMs,
        );
      }
    }
  }

  private async finish(r: GameRecord, outcome: Outcome, log: Logger): Promise<void> {
    await this.save(r, { status: outcome, pending: undefined });
    this.d.metrics.gamesEnded.inc({ outcome });
    log.info({ outcome, moves: r.moves }, "dispute ended");
    try {
      await this.updateBondMetrics();
    } catch {}
  }

  private async withdrawIdle(): Promise<void> {
    try {
      const { free } = await this.updateBondMetrics();
      if (free === 0n || this.tasks.size) return;
      await this.d.bridge.withdrawBond(free);
      this.d.metrics.moves.inc({ kind: "withdrawBond" });
      this.d.logger.info({ amount: free.toString() }, "idle challenger bond withdrawn");
      await this.updateBondMetrics();
    } catch (e) {
      this.d.logger.warn({ err: (e as Error).message }, "withdrawing the idle bond failed");
    }
  }
}
