/**
 * One dispute game set up for a test: a fresh Bridge + DisputeGame on `b`, the fixture's model
 * registered, the worker staked, two challengers bonded, and a claim the worker signed that
 * commits to `claimerView`'s trace. Shared by the game tests (test/integration/dispute/game*.ts).
 */

import type { Test } from "tap";
import { type Hex, parseEther } from "viem";
import { BridgeRevert, type ClaimMessage } from "../../bridge/bridge.ts";
import { type Deployment, deployBridge } from "../../bridge/deploy.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { toHex, u32be } from "../../protocol/bytes.ts";
import { sha256 } from "../../protocol/sha256.ts";
import { NO_GENERATION } from "../../protocol/tx.ts";
import { type ModelCommitment, tensorListRoot } from "../../prover-trace/commit/model.ts";
import { type PlayedGame, playToEnd } from "../../verifier/game/play.ts";
import type { PartyView } from "../../verifier/game/view.ts";
import { type MlpFixture, registerModel, signClaimAs } from "./dispute.ts";
import type { L1Backend } from "./l1.ts";

/** Dev account indexes. */
export const WORKER = 1;
export const CHALLENGER = 2;
export const CHALLENGER2 = 3;
export const STRANGER = 5;
/** Each side's clock (s), the worker's stake, the minimum stake (the slash) and the bond. */
export const CLOCK = 600n;
export const STAKE = parseEther("2");
export const MIN_STAKE = parseEther("1");
export const BOND = parseEther("0.1");

export const h32 = (n: number): Hex => toHex(sha256(u32be(n)));

/** The content id a test claim names for its outputs (no test fetches it). */
export const TEST_OUTPUT_CID: Hex = `0x01551220${"aa".repeat(32)}`;

/**
 * A claim of the worker (dev account WORKER) with what the tests' claims share: no generation,
 * TEST_OUTPUT_CID and no trace CID; `fields` give the rest and override any of these.
 */
export function testClaim(
  b: L1Backend,
  fields: Pick<ClaimMessage, "jobId" | "modelId" | "inputRoot" | "outputRoot" | "traceRoot"> &
    Partial<ClaimMessage>,
): ClaimMessage {
  return {
    worker: b.accounts[WORKER].address.toLowerCase() as Hex,
    generationSpec: NO_GENERATION,
    outputCid: TEST_OUTPUT_CID,
    traceCid: "0x",
    ...fields,
  };
}

export interface Game {
  b: L1Backend;
  d: Deployment;
  game: DisputeGameContract;
  claim: ClaimMessage;
  signature: Hex;
  /** The game client sending from dev account `i`. */
  as: (i: number) => DisputeGameContract;
}

/** A deployed Bridge and DisputeGame, `model` registered, the worker staked, both challengers bonded. */
export interface DeployedGame {
  d: Deployment;
  modelId: Hex;
  game: DisputeGameContract;
  /** The game client sending from dev account `i`. */
  as: (i: number) => DisputeGameContract;
}

export async function deployGame(b: L1Backend, model: ModelCommitment): Promise<DeployedGame> {
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: CLOCK,
  });
  const bridgeAs = (i: number) => d.bridge.as(b.wallet(i));
  const modelId = await registerModel(d.bridge, model);
  await bridgeAs(WORKER).stake(STAKE);
  await bridgeAs(CHALLENGER).depositBond(BOND);
  await bridgeAs(CHALLENGER2).depositBond(BOND);
  const game = new DisputeGameContract(b.clients(0), d.disputeGame);
  return { d, modelId, game, as: (i) => game.as(b.wallet(i)) };
}

export async function setupGame(b: L1Backend, f: MlpFixture, claimerView: PartyView): Promise<Game> {
  const m = f.model;
  const { d, modelId, game, as } = await deployGame(b, m);
  const lastNode = claimerView.trace.outputs[m.nodeCount - 1][0];
  const claim = testClaim(b, {
    jobId: h32(1),
    modelId,
    inputRoot: toHex(tensorListRoot([f.input])),
    outputRoot: toHex(sha256(lastNode.root)),
    traceRoot: toHex(claimerView.trace.root),
  });
  const signature = await signClaimAs(b, WORKER, claim, d.address);
  return { b, d, game, claim, signature, as };
}

/** Plays the game to the end with the two planners, each on its own view. */
export function playOut(g: Game, id: bigint, claimer: PartyView, challenger: PartyView): Promise<PlayedGame> {
  return playToEnd(id, { game: g.as(WORKER), view: claimer }, { game: g.as(CHALLENGER), view: challenger });
}

/** `p` must fail with a BridgeRevert (or DisputeGameRevert) naming `errorName`. */
export async function rejectsWith(
  t: Test,
  p: Promise<unknown>,
  errorName: string,
  what: string,
): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.ok(err instanceof BridgeRevert, `${what}: a BridgeRevert (${(err as Error).message})`);
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}
