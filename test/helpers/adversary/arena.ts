/**
 * The arena of the adversarial harness (issue 18): one embedded chain, one Bridge + DisputeGame,
 * one small model, reused across many games. Each game is a fresh claim (its own jobId) disputed
 * once and played to the end by two agents: the honest side is the REAL decision code
 * (verifier/game/challenger.ts and claimer.ts `decide`, which call the planners), the liar a
 * strategy (strategies.ts). When both wait, L1 time jumps to the next clock that can run out,
 * so a game with withheld moves or last-second moves ends in a few steps.
 *
 * After each game the invariants are checked against the chain (checkInvariants): no ETH left
 * the Bridge, the Bridge's pools (worker stake, challenger bonds, burned) sum to what they did,
 * the honest side lost nothing, the liar lost its stake or bond.
 *
 * Beyond one claim and one dispute, a plan may ask for: several lying claims on the worker's one
 * stake, all disputed at once (`lies`); a claim on a three-output model (`level0`) with the
 * outputs the liar published, if any (`publishedOutputs`); a claim already final on L1 (recorded
 * in a batch, its window over) before the liar disputes it (`finalBeforeOpen`); and a puppet, a
 * second bonded challenger of the liar's (PUPPET), whose own disputes its strategy opens.
 */

import { type Address, type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import type { EmbeddedChain } from "../../../bridge/chain/chain.ts";
import { type Deployment, deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract, type GameTx } from "../../../bridge/dispute/game.ts";
import { claimerToMove } from "../../../bridge/dispute/vocabulary.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { ClaimsTree } from "../../../protocol/claims.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { claimDigest, DEFERRED_TRACE, NO_GENERATION } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import { type Action, decide as decideChallenger } from "../../../verifier/game/challenger.ts";
import {
  type ClaimerAction,
  type ClaimInclusionProof,
  decide as decideClaimer,
} from "../../../verifier/game/claimer.ts";
import { planInputChallenge } from "../../../verifier/game/input-range.ts";
import {
  type GameView,
  type Move,
  type Opening,
  Phase,
  planOpening,
} from "../../../verifier/game/planner.ts";
import { buildPartyView, type PartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { type MlpFixture, mlpFixture, registerModel, signClaimAs } from "../dispute.ts";
import { type InputRangeFixture, inputRangeFixture } from "../input-range.ts";
import { embeddedBackend, type L1Backend } from "../l1.ts";
import { type Level0Fixture, level0Fixture } from "../level0.ts";

export const WORKER = 1;
export const CHALLENGER = 2;
/** The liar's second challenger: its bond counts as the liar's (pools `stake`). */
export const PUPPET = 3;
export const CLOCK = 600n;
export const MIN_STAKE = parseEther("1");
export const BOND = parseEther("0.1");
/** The Bridge's challenge window in the arena (seconds). */
export const CHALLENGE_WINDOW = 100n;
/** The Bridge's unbonding delay in the arena (seconds). */
export const UNBONDING_DELAY = 10_000n;
/** A last-second liar moves this many seconds before its clock runs out. */
export const LAST_SECONDS = 10n;

export type Side = "claimer" | "challenger";

/** What a liar does on its turn (or, for a lying claimer, when it could call timeout). */
export type LiarStep =
  | { kind: "move"; move: Move }
  /** A tx of its own (a move the planner would never send); may be refused. */
  | { kind: "raw"; send: (game: DisputeGameContract, id: bigint) => Promise<GameTx> }
  | { kind: "timeout" }
  /** Nothing now; `jumpTo` (L1 seconds): the liar moves at the last second, after this time. */
  | { kind: "wait"; lastSecond?: boolean };

/** The liar's view of a game and whose turn it is; it decides what to send. */
export interface LiarTurn {
  game: GameView & { dispute: Awaited<ReturnType<DisputeGameContract["getDispute"]>> };
  now: bigint;
  /** True when the contract waits for the liar (else it may only call timeout). */
  ourTurn: boolean;
  /** How many moves the liar has made in this game. */
  moves: number;
}

export interface Liar {
  side: Side;
  step(turn: LiarTurn): LiarStep;
}

/** One game set up by a strategy: the claim's view, the honest side's view, how it opens, the liar. */
export interface GamePlan {
  /** The view whose trace/outputs the claim commits to. */
  claimView: PartyView;
  /** The honest party's view (claimer's own run, or the watcher's re-execution). */
  honestView: PartyView;
  /** The lying challenger's opening (for a lying claimer, the honest watcher plans its own). */
  liarOpening?: Opening;
  liar: Liar;
  /** The liar's view when it lies as claimer (its moves come from the planner on it). */
  liarView?: PartyView;
  /**
   * Other encodings of the claim's signature the liar put forward (attack 9): before the game,
   * the watcher's opening with each must be refused by the error named here and change nothing;
   * then the canonical signature opens the game.
   */
  refusedSignatures?: (canonical: Hex) => { signature: Hex; error: string }[];
  /** What the liar does on L1 after signing its claim and before the watcher opens the game. */
  beforeOpen?: (signed: SignedClaim) => Promise<void>;
  /** Lying claims on the one stake, each its own job, all disputed before any is played (default 1). */
  lies?: number;
  /** The claim is on the arena's three-output model (a.level0), not the MLP. */
  level0?: boolean;
  /**
   * The graph-output roots the liar published (absent: none). The honest watcher reads them as
   * its checker does: they name the disputed output only if they hash to the claim's outputRoot.
   */
  publishedOutputs?: Hex[];
  /**
   * The claim is on the arena's input-range model (a.inputRange), over its input with one token
   * id past the declared range ("outside": no output exists, the watcher opens challengeInput)
   * or its in-range input ("inside").
   */
  inputRange?: "outside" | "inside";
  /**
   * Openings the lying challenger tries before its real one: each must be refused by the error
   * named here and change nothing (challengeInput against an in-range claim).
   */
  refusedOpenings?: { opening: Opening; error: string; what: string }[];
  /** The claim is recorded in a batch on L1 and its window over before the liar opens (attack 6). */
  finalBeforeOpen?: boolean;
  /**
   * The claim's trace is deferred (traceRoot DEFERRED_TRACE, docs/dispute-game.md "Deferred
   * trace"): disputed with openDeferred, the claimer commits a trace root in the game.
   */
  deferred?: boolean;
}

/** A claim as signed by the worker, with its EIP-712 digest. */
export interface SignedClaim {
  claim: ClaimMessage;
  signature: Hex;
  claimKey: Hex;
}

export interface GameOutcome {
  winner: number;
  liarSide: Side;
  honestWon: boolean;
  txs: Record<Side, number>;
  gas: Record<Side, bigint>;
  /** Txs the liar tried that the contract refused. */
  refused: number;
  /** What the honest side earned (wei, from the Bridge's pools), before its gas. */
  honestEarnedWei: bigint;
}

export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantError";
  }
}

export interface Arena {
  b: L1Backend & { chain: EmbeddedChain };
  f: MlpFixture;
  d: Deployment;
  honest: PartyView;
  as: (i: number) => DisputeGameContract;
  worker: Address;
  challenger: Address;
  /** The three-output level-0 model, registered beside the MLP, and its honest view. */
  level0: { f: Level0Fixture; modelId: Hex };
  /** The embedding model whose token ids declare [0, 15], registered beside the MLP. */
  inputRange: { f: InputRangeFixture; modelId: Hex };
  play(plan: GamePlan): Promise<GameOutcome>;
  close(): Promise<void>;
}

/** Sets up the arena: the worker staked and the challenger bonded for a few games at a time. */
export async function openArena(games = 4): Promise<Arena> {
  const b = await embeddedBackend();
  // A small MLP: 11 nodes, hidden 20, K = 8 at the first MatMulInteger; one graph output.
  const f = await mlpFixture(8, 20);
  const l0 = await level0Fixture();
  const d = await deployBridge(b.clients(0), {
    challengeWindow: CHALLENGE_WINDOW,
    unbondingDelay: UNBONDING_DELAY,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: CLOCK,
  });
  const modelId = await registerModel(d.bridge, f.model);
  const level0 = { f: l0, modelId: await registerModel(d.bridge, l0.model) };
  const ir = await inputRangeFixture();
  const inputRange = { f: ir, modelId: await registerModel(d.bridge, ir.model) };
  const bridgeAs = (i: number) => d.bridge.as(b.wallet(i));
  await bridgeAs(WORKER).stake(MIN_STAKE * BigInt(games + 2));
  await bridgeAs(CHALLENGER).depositBond(BOND * BigInt(games + 2));
  await bridgeAs(PUPPET).depositBond(BOND * BigInt(games + 2));
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  const as = (i: number) => game.as(b.wallet(i));
  const worker = b.accounts[WORKER].address;
  const challenger = b.accounts[CHALLENGER].address;
  const puppet = b.accounts[PUPPET].address;
  const chainId = BigInt(await b.clients().publicClient.getChainId());
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  let jobs = 0;
  // Every game starts from this snapshot and the chain goes back to it after the game's checks:
  // the chain, its state trie and its logs stay small however many games are played.
  let snapshot = await b.chain.snapshot();
  // The pools at the snapshot: every game starts from them.
  let startPools: Pools | undefined;

  const pools = async () => {
    const pub = b.clients().publicClient;
    const [stake, workerBond, puppetBond, bond, burned, balBridge, balGame] = await Promise.all([
      d.bridge.stakeOf(worker) as Promise<{ active: bigint; unbonding?: bigint }>,
      d.bridge.bondOf(worker) as Promise<{ free: bigint; locked: bigint }>,
      d.bridge.bondOf(puppet) as Promise<{ free: bigint; locked: bigint }>,
      d.bridge.bondOf(challenger) as Promise<{ free: bigint; locked: bigint }>,
      pub.readContract({ address: d.address, abi: bridgeAbi, functionName: "burned" }) as Promise<bigint>,
      pub.getBalance({ address: d.address }),
      pub.getBalance({ address: d.disputeGame }),
    ]);
    return {
      // what the worker holds on the Bridge (its stake and what it was paid from lost bonds) and
      // its puppet's bond: a puppet's lost bond paid to the worker is the liar's to itself
      stake:
        stake.active +
        (stake.unbonding ?? 0n) +
        workerBond.free +
        workerBond.locked +
        puppetBond.free +
        puppetBond.locked,
      bond: bond.free + bond.locked,
      locked: bond.locked + puppetBond.locked,
      burned,
      eth: balBridge + balGame,
    };
  };

  async function play(plan: GamePlan): Promise<GameOutcome> {
    try {
      return await playOnce(plan);
    } finally {
      await b.chain.revertTo(snapshot);
      snapshot = await b.chain.snapshot();
    }
  }

  /** A fresh claim (its own job) committing to `plan.claimView`, signed by the worker. */
  async function signClaim(plan: GamePlan): Promise<SignedClaim> {
    jobs++;
    const claim: ClaimMessage = {
      jobId: toHex(sha256(u32be(jobs))),
      worker: b.accounts[WORKER].address.toLowerCase() as Hex,
      modelId: plan.inputRange ? inputRange.modelId : plan.level0 ? level0.modelId : modelId,
      inputRoot: toHex(
        tensorListRoot(
          plan.inputRange === "outside"
            ? inputRange.f.badInputs
            : plan.inputRange === "inside"
              ? inputRange.f.inputs
              : [plan.level0 ? level0.f.input : f.input],
        ),
      ),
      outputRoot: toHex(viewOutputRoot(plan.claimView)),
      traceRoot: plan.deferred ? DEFERRED_TRACE : toHex(plan.claimView.trace.root),
      generationSpec: NO_GENERATION,
      outputCid: "0x",
      traceCid: "0x",
    };
    const signature = await signClaimAs(b, WORKER, claim, d.address);
    return { claim, signature, claimKey: toHex(claimDigest(claim, claimDomain(chainId, d.address))) };
  }

  /** Records `claimKey` in a batch's claims tree on L1 and lets its window pass; its proof. */
  async function makeFinal(claimKey: Hex): Promise<ClaimInclusionProof> {
    const data = batchDataWithoutTxs(u32be(jobs));
    // a fresh wallet each game: a client's nonce manager remembers nonces the snapshot reverted
    const sequencer = d.bridge.as(b.wallet(0));
    const { batchIndex } = await sequencer.postBatch({
      firstBlock: BigInt(jobs),
      lastBlock: BigInt(jobs),
      stateRoot: toHex(sha256(data)),
      withdrawalRoot: toHex(sha256(data)),
      txDataHash: batchDataHash(data),
      txData: toHex(data),
      cid: "0x01551220aa",
      // every inbox message so far (the model, the stakes: L1 events are inbox messages), or the
      // Bridge refuses the batch once the oldest is overdue
      inboxCount: await d.bridge.inboxLength(),
    });
    const tree = new ClaimsTree([claimKey]);
    await sequencer.recordBatchClaims(batchIndex, tree.rootHex);
    const p = tree.proof(0);
    const finalAt = await d.bridge.claimFinalAt(batchIndex, claimKey, p);
    await b.increaseTime(Number(CHALLENGE_WINDOW) + 1);
    return { batchIndex: Number(batchIndex), ...p, finalAt };
  }

  async function playOnce(plan: GamePlan): Promise<GameOutcome> {
    // fresh clients each game: a client caches the block a dispute id was opened in
    const byIndex = { claimer: as(WORKER), challenger: as(CHALLENGER) };
    const lies = plan.liar.side === "claimer" ? (plan.lies ?? 1) : 1;
    const signed: SignedClaim[] = [];
    for (let i = 0; i < lies; i++) signed.push(await signClaim(plan));
    startPools ??= await pools();
    const before = startPools;
    const liarSide = plan.liar.side;
    const txs: Record<Side, number> = { claimer: 0, challenger: 0 };
    const gas: Record<Side, bigint> = { claimer: 0n, challenger: 0n };
    let refused = 0;
    const sent = (side: Side, tx: GameTx) => {
      txs[side]++;
      gas[side] += tx.gasUsed;
    };

    // Opening: the honest watcher plans its own (planOpening on what the liar published, as the
    // checker does; challengeInput on an input outside its range, as the checker finds it); a
    // lying challenger opens as its strategy says.
    const inputChallenge =
      liarSide === "claimer" && plan.inputRange === "outside"
        ? planInputChallenge(inputRange.f.model, inputRange.f.badInputs)
        : null;
    const planned: Opening | null =
      liarSide === "challenger"
        ? (plan.liarOpening ?? { kind: "openDispute" })
        : inputChallenge
          ? { kind: "challengeInput", opening: inputChallenge.opening }
          : planOpening(plan.honestView, signed[0].claim, plan.publishedOutputs);
    if (!planned) throw new InvariantError("the honest watcher finds nothing to dispute in a lying claim");
    const opening: Opening = planned;
    const inclusion = plan.finalBeforeOpen ? await makeFinal(signed[0].claimKey) : undefined;
    await plan.beforeOpen?.(signed[0]);
    const { claim, signature } = signed[0];
    for (const bad of plan.refusedSignatures?.(signature) ?? []) {
      const err = await byIndex.challenger.openPlanned(claim, bad.signature, opening).then(
        () => undefined,
        (e: { errorName?: string }) => e,
      );
      if (err?.errorName !== bad.error)
        throw new InvariantError(
          `a claim signed in another encoding was not refused by ${bad.error}: ${err ? (err.errorName ?? err) : "opened"}`,
        );
      refused++;
      const p = await pools();
      if (
        p.eth !== before.eth ||
        p.bond !== before.bond ||
        p.locked !== before.locked ||
        p.stake !== before.stake
      )
        throw new InvariantError("a refused opening changed the Bridge's pools");
    }
    for (const bad of plan.refusedOpenings ?? []) {
      const err = await byIndex.challenger.openPlanned(claim, signature, bad.opening).then(
        () => undefined,
        (e: { errorName?: string }) => e,
      );
      if (err?.errorName !== bad.error)
        throw new InvariantError(
          `${bad.what}: not refused by ${bad.error}: ${err ? (err.errorName ?? err) : "opened"}`,
        );
      refused++;
      const p = await pools();
      if (
        p.eth !== before.eth ||
        p.bond !== before.bond ||
        p.locked !== before.locked ||
        p.stake !== before.stake
      )
        throw new InvariantError(`${bad.what}: a refused opening changed the Bridge's pools`);
    }
    // Every lie is disputed before any game is played: the games run at once on one stake.
    const ids: bigint[] = [];
    for (const c of signed) {
      const opened = await byIndex.challenger.openPlanned(c.claim, c.signature, opening);
      sent("challenger", opened);
      ids.push(opened.disputeId);
    }

    let liarMoves = 0;
    const playDispute = async (id: bigint, claimKey: Hex) => {
      // Nothing but this game changes whether its claim is invalidated (a puppet's disputes are
      // lost on purpose), so it is read once, as the watcher would read it on every turn.
      const invalidated = await byIndex.claimer.claimInvalidated(claimKey);
      let refusedInARow = 0;
      for (let turn = 0; turn < 400; turn++) {
        const [game, now] = await Promise.all([byIndex.claimer.readGame(id), byIndex.claimer.now()]);
        if (game.dispute.phase === Phase.resolved) break;
        const claimerTurn = claimerToMove(game.dispute.phase);
        // The honest side's decision, by the real decide function.
        let honestAct: Action | ClaimerAction;
        if (liarSide === "claimer")
          honestAct = decideChallenger({ game, invalidated, now, me: challenger }, plan.honestView);
        else honestAct = decideClaimer({ game, now, inclusion }, plan.honestView);
        const honestSide: Side = liarSide === "claimer" ? "challenger" : "claimer";
        const honestGame = byIndex[honestSide];
        if (honestAct.kind === "move") {
          sent(honestSide, await honestGame.play(id, honestAct.move));
          continue;
        }
        if (honestAct.kind === "proveFinal") {
          sent(
            honestSide,
            await honestGame.proveClaimFinal(id, BigInt(honestAct.inclusion.batchIndex), honestAct.inclusion),
          );
          continue;
        }
        if (honestAct.kind === "timeout") {
          sent(honestSide, await honestGame.timeout(id));
          continue;
        }
        if (honestAct.kind === "closeVoid") {
          sent(honestSide, await honestGame.closeVoid(id));
          continue;
        }
        if (honestAct.kind === "ended") break;
        // The honest side waits: the liar's turn (or nobody can move yet).
        const liarTurn = (liarSide === "claimer") === claimerTurn;
        const step = plan.liar.step({ game, now, ourTurn: liarTurn, moves: liarMoves });
        const liarGame = byIndex[liarSide];
        try {
          if (step.kind === "move") {
            liarMoves++;
            sent(liarSide, await liarGame.play(id, step.move));
            refusedInARow = 0;
            continue;
          }
          if (step.kind === "raw") {
            liarMoves++;
            sent(liarSide, await step.send(liarGame, id));
            refusedInARow = 0;
            continue;
          }
          if (step.kind === "timeout") {
            sent(liarSide, await liarGame.timeout(id));
            continue;
          }
        } catch (e) {
          if (!(e as { errorName?: string }).errorName) throw e;
          refused++;
          // a refused tx changes nothing: the liar may try again (a few times), then the clock runs
          if (++refusedInARow < 3) continue;
        }
        refusedInARow = 0;
        // Nobody moves now: jump L1 time to where a clock can run out (the liar's, last second
        // or not), so the honest side's timeout becomes a move.
        const d = game.dispute;
        const left = (liarSide === "claimer") === claimerTurn ? "liar" : "honest";
        const clockLeft = claimerTurn ? d.claimerTimeLeft : d.challengerTimeLeft;
        const runsOut = d.lastMoveAt + clockLeft;
        if (left === "honest") throw new InvariantError(`honest ${honestSide} waits on its own turn`);
        if (step.kind === "wait" && step.lastSecond && runsOut - LAST_SECONDS > now) {
          await b.increaseTime(Number(runsOut - LAST_SECONDS - now));
          // one more chance for the liar, at the last second
          const again = plan.liar.step({
            game: await byIndex.claimer.readGame(id),
            now: runsOut - LAST_SECONDS,
            ourTurn: true,
            moves: liarMoves,
          });
          if (again.kind === "move") {
            try {
              liarMoves++;
              sent(liarSide, await liarGame.play(id, again.move));
              continue;
            } catch (e) {
              if (!(e as { errorName?: string }).errorName) throw e;
              refused++;
            }
          }
        }
        const nowAfter = await byIndex.claimer.now();
        if (runsOut + 1n > nowAfter) await b.increaseTime(Number(runsOut + 1n - nowAfter));
      }
      const final = await byIndex.claimer.getDispute(id);
      if (final.phase !== Phase.resolved) throw new InvariantError(`dispute ${id} did not end in 400 turns`);
      return final.winner;
    };
    // One game at a time; the others wait on the liar's first move (every opening leaves the
    // claimer to move), so a time jump in one game can only run out the liar's clock elsewhere.
    const winners: number[] = [];
    for (const [i, id] of ids.entries()) winners.push(await playDispute(id, signed[i].claimKey));
    const after = await pools();
    const honestWins = winners.filter((w) => (liarSide === "claimer" ? w === 2 : w === 1)).length;
    const honestWon = honestWins === winners.length;
    const honestEarnedWei =
      liarSide === "claimer" ? after.bond - before.bond : after.stake - before.stake + 0n;
    for (const w of winners) if (w !== winners[0]) throw new InvariantError(`games ended apart: ${winners}`);
    checkInvariants(before, after, liarSide, winners[0], winners.length);
    for (const c of signed)
      if (liarSide === "challenger" && (await byIndex.claimer.claimInvalidated(c.claimKey)))
        throw new InvariantError("an honest claim was invalidated");
    return { winner: winners[0], liarSide, honestWon, txs, gas, refused, honestEarnedWei };
  }

  return {
    b,
    f,
    d,
    honest,
    as,
    worker,
    challenger,
    level0,
    inputRange,
    play,
    close: () => b.close(),
  };
}

type Pools = { stake: bigint; bond: bigint; locked: bigint; burned: bigint; eth: bigint };

/**
 * After one game: no ETH left the Bridge or the game; stake + bonds + burned is what it was
 * (every wei moved between pools, none made or lost); no bond stays locked; the liar lost
 * (claimer: exactly the minimum stake per lie; challenger: its whole bond) and the honest side
 * nothing.
 */
export function checkInvariants(before: Pools, after: Pools, liarSide: Side, winner: number, lies = 1): void {
  const fail = (m: string) => {
    throw new InvariantError(m);
  };
  if (after.eth !== before.eth) fail(`ETH on the Bridge + game changed: ${before.eth} -> ${after.eth}`);
  const sum = (p: Pools) => p.stake + p.bond + p.burned;
  if (sum(after) !== sum(before)) fail(`pools not conserved: ${sum(before)} -> ${sum(after)}`);
  if (after.locked !== 0n) fail(`${after.locked} wei of bond still locked after the game`);
  if (liarSide === "claimer") {
    if (winner !== 2) fail(`a lying claimer won (winner ${winner})`);
    if (before.stake - after.stake !== MIN_STAKE * BigInt(lies))
      fail(`the lying claimer was not slashed by the minimum stake on each of its ${lies} lies`);
    if (after.bond < before.bond) fail("the honest challenger lost bond");
  } else {
    if (winner !== 1) fail(`a lying challenger won against an honest claim (winner ${winner})`);
    if (after.stake < before.stake) fail("the honest claimer lost stake");
    if (before.bond - after.bond !== BOND) fail("the lying challenger did not lose its bond");
  }
}
