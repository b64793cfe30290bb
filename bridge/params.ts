/** Bridge constructor parameters: kept free of heavy imports so the CLI can show defaults cheaply. */
import type { Address } from "viem";

export interface BridgeParams {
  /** The only account allowed to post batches. Default: the deployer. */
  sequencer?: Address;
  /** Seconds until a posted batch is final. */
  challengeWindow: bigint;
  /** Seconds a worker waits between unbond() and withdrawUnbonded(); must exceed challengeWindow. */
  unbondingDelay: bigint;
  minWorkerStake: bigint;
  challengerBond: bigint;
  /** Each side's total time budget (chess clock) per dispute, seconds. Default DEFAULT_DISPUTE_CLOCK. */
  disputeClock?: bigint;
  /**
   * Deploy the batch challenge (BatchStepVerifier + BatchChallenge, docs/rollup.md 8c) for this L2
   * genesis and register it with the Bridge; without it the Bridge has none and nobody can
   * challenge a batch.
   */
  batchChallenge?: BatchChallengeSetup;
}

/** What the batch challenge is deployed with: the L2 genesis it replays from, bonds and clock. */
export interface BatchChallengeSetup {
  l2ChainId: bigint;
  minFee: bigint;
  feeRecipient: Address;
  /** The genesis's ChainParams.claimCollateral (the claimJob one-step's stake rule). */
  claimCollateral: bigint;
  /** The genesis's ChainParams.challengeWindowMs (the finalize one-step's pay rule). */
  challengeWindowMs: bigint;
  /** State root of the L2 genesis (the state before batch 0; sequencer/fault-proof/genesis.ts). */
  genesisStateRoot: `0x${string}`;
  /** Bond the sequencer keeps in the challenge; default DEVNET_SEQUENCER_BOND. */
  sequencerBond?: bigint;
  /** Bond per batch challenge; default the Bridge's challengerBond. */
  batchChallengerBond?: bigint;
  /** Seconds each side has for all its moves in one batch challenge; default DEFAULT_BATCH_CLOCK. */
  clock?: bigint;
}

/** Devnet sequencer bond: what one lost batch challenge slashes. */
export const DEVNET_SEQUENCER_BOND = 10n ** 18n;
/**
 * Devnet batch-challenge clock per side: longer than the devnet's 120 s batch window, so a batch
 * posted while another is challenged cannot become final under it by the clock alone.
 */
export const DEFAULT_BATCH_CLOCK = 300n;

/** Devnet dispute clock: each side has one hour in total for all its moves. */
export const DEFAULT_DISPUTE_CLOCK = 3600n;

/** Devnet defaults: short windows so a whole game fits in minutes with 1 s blocks. */
export const DEVNET_BRIDGE_PARAMS: BridgeParams = {
  challengeWindow: 120n,
  unbondingDelay: 1200n,
  minWorkerStake: 10n ** 18n,
  challengerBond: 10n ** 17n,
};

/**
 * Bond sizing (docs/bridge.md "Bond sizing"): the challenger's bond is what an honest claimer
 * earns for a dispute it wins, so it must pay the claimer's worst-case gas over a whole game at
 * the gas price the deployment plans for. CLAIMER_GAME_GAS_BOUND covers the measured worst
 * claimer game (`npm run bench -- dispute-gas`: 650,937 gas over 8 moves on the reference
 * transformer; a level-0 answer is 151,088) with room for larger models' extra descent rounds
 * (~90k gas each). At REFERENCE_GAS_PRICE it is 0.1 ETH: the devnet bond.
 */
export const CLAIMER_GAME_GAS_BOUND = 1_000_000n;
export const REFERENCE_GAS_PRICE = 100n * 10n ** 9n;

/** The smallest bond that keeps an honest claimer whole at `gasPrice` (wei per gas). */
export function minChallengerBond(gasPrice: bigint = REFERENCE_GAS_PRICE): bigint {
  return CLAIMER_GAME_GAS_BOUND * gasPrice;
}

/**
 * Why this L2 challenge window cannot run over a Bridge whose L1 window is `l1WindowS` (null: it
 * can). A claim is final on L1 at recordedAt + l1WindowS (Bridge.claimFinalAt, DisputeGame
 * proveClaimFinal), and L2 lets watchers dispute it for challengeWindowMs after the block that
 * submitted it: a shorter L1 window would end first, and an honest watcher opening late in the
 * L2 window would lose its bond to the liar while L2 pays the lie (docs/dispute-game.md "The
 * challenge window on L1"). Pure.
 */
export function challengeWindowConflict(challengeWindowMs: number, l1WindowS: bigint): string | null {
  if (BigInt(challengeWindowMs) <= l1WindowS * 1000n) return null;
  return (
    `the L2 challenge window (genesis challengeWindowMs ${challengeWindowMs}) is longer than the ` +
    `Bridge's L1 challenge window (${l1WindowS} s): claims would be final on L1 (proveClaimFinal) while ` +
    "L2 still takes disputes on them, so a watcher disputing late in the L2 window would lose; " +
    `deploy the Bridge with challengeWindow >= ${Math.ceil(challengeWindowMs / 1000)} s or shorten the L2 window`
  );
}
