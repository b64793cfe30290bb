/**
 * Builders of dispute states as the chain shows them, for tests of the pure players (planner,
 * challenger and claimer decisions, fault policies): every field zero unless the test says
 * otherwise, so a test names only what it is about.
 */
import type { Address, Hex } from "viem";
import type { FullDisputeState } from "../../bridge/dispute/game.ts";
import { type DisputeState, type GameView, Phase, Winner } from "../../bridge/dispute/vocabulary.ts";

const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const ZERO_ADDRESS = `0x${"00".repeat(20)}` as Address;

/** The Dispute struct as far as the planners read it. */
export function disputeState(over: Partial<DisputeState> = {}): DisputeState {
  return {
    phase: Phase.none,
    winner: Winner.none,
    index: 0n,
    depthLeft: 0,
    nodeIndex: 0,
    opCode: 0,
    element: 0n,
    value: 0n,
    foldLength: 0n,
    kLo: 0n,
    kHi: 0n,
    sLo: 0n,
    sHi: 0n,
    ...over,
  };
}

/** A game with no reveals yet (`rest` adds them). */
export function gameView(d: Partial<DisputeState>, rest: Partial<GameView> = {}): GameView {
  return { dispute: disputeState(d), traceReveals: [], ...rest };
}

/** The whole struct (parties, roots, clocks) as DisputeGameContract.getDispute returns it. */
export function fullDisputeState(over: Partial<FullDisputeState> = {}): FullDisputeState {
  return {
    ...disputeState(),
    claimer: ZERO_ADDRESS,
    openedAt: 0n,
    challenger: ZERO_ADDRESS,
    claimKey: ZERO32,
    modelId: ZERO32,
    inputRoot: ZERO32,
    traceRoot: ZERO32,
    lastMoveAt: 0n,
    claimerTimeLeft: 0n,
    challengerTimeLeft: 0n,
    node: ZERO32,
    descriptorHash: ZERO32,
    outDtype: 0,
    outBytes: 0n,
    chunkCount: 0n,
    statesHash: ZERO32,
    ...over,
  };
}
