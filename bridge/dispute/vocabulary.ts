/**
 * The dispute game's vocabulary as the contract defines it (contracts/src/DisputeGame.sol,
 * docs/dispute-game.md): phases, winners, whose clock runs in each phase, the on-chain Dispute
 * struct, what the events reveal, and the moves the contract accepts. Pure data, no I/O: the
 * contract client (game.ts) sends and reads these, the players (verifier/game) plan them.
 */
import type { Hex } from "viem";

export const Phase = {
  none: 0,
  traceReveal: 1,
  tracePick: 2,
  leafReveal: 3,
  chunkReveal: 4,
  chunkPick: 5,
  chunkData: 6,
  elementPick: 7,
  foldPost: 8,
  foldPick: 9,
  oneStep: 10,
  resolved: 11,
  /** Level 0: the claimer binds graph output `index` to its trace leaf (answerOutput). */
  outputAnswer: 12,
  /** Level 0 opened without naming k: the claimer reveals every output tensor root (revealOutputs). */
  outputsReveal: 13,
  /** The challenger names the revealed output it disputes (pickOutput); then outputAnswer. */
  outputPick: 14,
  /** A deferred claim (traceRoot 0): the claimer commits its full trace root (commitTrace). */
  traceCommit: 15,
  /** The challenger chooses level 1 or level 0 against the committed root (chooseOpening). */
  openingChoice: 16,
} as const;

/** chooseOpening's kinds (DisputeGame OPENING_*): the three openings of a claim with a trace root. */
export const OpeningKind = { trace: 0, output: 1, outputs: 2 } as const;

/**
 * `unbacked`: the disputed copy's signer held no stake, so the dispute ended at once with the
 * bond returned and the claim not invalidated (DisputeGame WINNER_UNBACKED): neither side won.
 */
export const Winner = { none: 0, claimer: 1, challenger: 2, void: 3, unbacked: 4 } as const;

/** A party to a dispute. */
export type Side = "claimer" | "challenger";

/** True when the claimer must move next: DisputeGame `_claimerTurn` (whose clock runs, who times out). */
export function claimerToMove(phase: number): boolean {
  return (
    phase === Phase.traceReveal ||
    phase === Phase.leafReveal ||
    phase === Phase.chunkReveal ||
    phase === Phase.chunkData ||
    phase === Phase.foldPost ||
    phase === Phase.outputAnswer ||
    phase === Phase.outputsReveal ||
    phase === Phase.traceCommit
  );
}

/** Who the game waits for in `phase` (null: no game, or resolved). */
export function sideToMove(phase: number): Side | null {
  if (phase === Phase.none || phase === Phase.resolved) return null;
  return claimerToMove(phase) ? "claimer" : "challenger";
}

/** The Dispute struct's chess clocks (seconds). */
export interface DisputeClocks {
  lastMoveAt: bigint;
  claimerTimeLeft: bigint;
  challengerTimeLeft: bigint;
}

/** The last L1 time (seconds) at which `side`'s clock still runs: lastMoveAt + its time left. */
export function clockRunsOutAt(d: DisputeClocks, side: Side): bigint {
  return d.lastMoveAt + (side === "claimer" ? d.claimerTimeLeft : d.challengerTimeLeft);
}

/** True when `side`'s clock ran out at L1 time `now`: DisputeGame.timeout's `elapsed > left`. */
export function timedOut(d: DisputeClocks, side: Side, now: bigint): boolean {
  return now > clockRunsOutAt(d, side);
}

/** The Winner names, by value. */
export const WINNER_NAMES = ["none", "claimer", "challenger", "void", "unbacked"] as const;

/** A resolved game from one side: won, lost or void (null: not resolved, or no such winner). */
export type Outcome = "won" | "lost" | "void";

export function outcomeFor(winner: number, side: Side): Outcome | null {
  if (winner === Winner.void || winner === Winner.unbacked) return "void";
  if (winner === Winner.claimer) return side === "claimer" ? "won" : "lost";
  if (winner === Winner.challenger) return side === "challenger" ? "won" : "lost";
  return null;
}

/** Levels per descent round: 16 children. */
export const ARITY_BITS = 4;

/** The on-chain Dispute struct, as far as the planners read it. */
export interface DisputeState {
  phase: number;
  winner: number;
  index: bigint;
  depthLeft: number;
  nodeIndex: number;
  opCode: number;
  element: bigint;
  value: bigint;
  foldLength: bigint;
  kLo: bigint;
  kHi: bigint;
  sLo: bigint;
  sHi: bigint;
  /** The trace root played on: the claim's, or a deferred claim's committed one (commitTrace). */
  traceRoot?: Hex;
  /** The current node; on a deferred claim before the choice, the claim's outputRoot. */
  node?: Hex;
}

/** A revealed group of children (event TraceChildrenRevealed / ChunkChildrenRevealed). */
export interface RevealedChildren {
  index: bigint;
  depthLeft: number;
  children: Hex[];
}

/** The game as the chain shows it: the struct plus what the events revealed. */
export interface GameView {
  dispute: DisputeState;
  /** Every trace reveal of this dispute, in order (for proofs against the claimer's trace root). */
  traceReveals: RevealedChildren[];
  /** A trace leaf named in direct mode, with the claimer's path to it (event DirectMove). */
  traceDirect?: { nodeIndex: number; leaf: Hex; proof: Hex[] };
  /** The last chunk-tree reveal. */
  lastChunkReveal?: RevealedChildren;
  /** The revealed chunk (hex, 1 KiB). */
  chunk?: Hex;
  /** The last posted fold states. */
  foldStates?: bigint[];
  /** Every output tensor root the claimer revealed (event OutputsRevealed, level 0 unnamed). */
  outputReveal?: Hex[];
  /**
   * A deferred claim's output tensor roots as the challenger verified them (published outputs
   * hashing to the claim's outputRoot): lets its opening choice name k. Set by the challenger.
   */
  claimedOutputRoots?: Hex[];
}

export interface InputBindingArg {
  dtype: number;
  shape: number[];
  dataRoot: Hex;
  proof: Hex[];
}

export interface ElementOpeningArg {
  chunkIndex: bigint;
  chunk: Hex;
  proof: Hex[];
}

/**
 * challengeInput's opening (DisputeOpenings.InputOpening): element `element` of graph input
 * `input` (its tensor root against the claim's inputRoot, its chunk against dataRoot) and the
 * input's range leaf (dtype, min, max) against the model's inputRangesRoot.
 */
export interface InputOpeningArg {
  input: number;
  element: bigint;
  dtype: number;
  shape: number[];
  dataRoot: Hex;
  tensorProof: Hex[];
  chunk: Hex;
  chunkProof: Hex[];
  min: bigint;
  max: bigint;
  rangeProof: Hex[];
}

/** The claimer's level-0 answer (DisputeOpenings.OutputAnswer). */
export interface OutputAnswerArg {
  outputTensorRoot: Hex;
  outputProof: Hex[];
  node: number;
  slot: number;
  refProof: Hex[];
  leafOutputs: Hex[];
  traceProof: Hex[];
}

export type Move =
  | { kind: "commitTrace"; traceRoot: Hex }
  | { kind: "chooseOpening"; opening: Opening }
  | { kind: "answerOutput"; answer: OutputAnswerArg }
  | { kind: "revealOutputs"; roots: Hex[] }
  | { kind: "pickOutput"; roots: Hex[]; outputIndex: number }
  | { kind: "revealTraceChildren"; children: Hex[] }
  | { kind: "pickTraceChild"; children: Hex[]; child: number }
  | { kind: "revealLeaf"; descriptor: Hex; proof: Hex[]; dataRoot: Hex }
  | { kind: "revealChunkChildren"; children: Hex[] }
  | { kind: "pickChunkChild"; children: Hex[]; child: number }
  | { kind: "revealChunk"; chunk: Hex }
  | { kind: "pickElement"; chunk: Hex; elementInChunk: number }
  | { kind: "postFoldStates"; foldLength: bigint; finalState: bigint; states: bigint[] }
  | { kind: "pickFoldSegment"; states: bigint[]; segment: number }
  | { kind: "oneStep"; descriptor: Hex; inputs: InputBindingArg[]; openings: ElementOpeningArg[] }
  | { kind: "directTraceLeaf"; nodeIndex: number; leaf: Hex; proof: Hex[] }
  | { kind: "directChunk"; chunkIndex: bigint; chunk: Hex; proof: Hex[] };

/**
 * Which dispute to open on a claim (null: the claim agrees with this view, nothing to dispute).
 * `challengeOutputs`: level 0 without naming the output (the claimer reveals every output root,
 * then the challenger names one), for a wrong outputRoot whose wrong leaf no verified file names.
 */
export type Opening =
  | { kind: "openDispute" }
  /** A deferred claim (traceRoot 0): the claimer commits a trace first, then the choice (chooseOpening). */
  | { kind: "openDeferred" }
  | { kind: "challengeOutput"; outputIndex: number }
  | { kind: "challengeOutputs" }
  /** An element of the job's input outside its declared range: the challenger wins at once. */
  | { kind: "challengeInput"; opening: InputOpeningArg };
