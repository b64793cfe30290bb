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
}

/** Devnet dispute clock: each side has one hour in total for all its moves. */
export const DEFAULT_DISPUTE_CLOCK = 3600n;

/** Devnet defaults: short windows so a whole game fits in minutes with 1 s blocks. */
export const DEVNET_BRIDGE_PARAMS: BridgeParams = {
  challengeWindow: 120n,
  unbondingDelay: 1200n,
  minWorkerStake: 10n ** 18n,
  challengerBond: 10n ** 17n,
};
