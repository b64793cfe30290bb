/**
 * What the batch challenge takes from the L2 genesis (its constructor arguments and those of
 * BatchStepVerifier, docs/rollup.md 8c): the L2 chain id, the fee rules and the state root before
 * batch 0. None of them depends on the Bridge's address, so an L1 deployment can compute them
 * before the genesis names its Bridge. Pure.
 */
import type { BatchChallengeSetup } from "../../bridge/params.ts";
import { Chain, type GenesisConfig } from "../chain.ts";
import { resolveGenesis, type SequencerConfig } from "../config.ts";

export type ChallengeGenesis = Pick<
  BatchChallengeSetup,
  "l2ChainId" | "minFee" | "feeRecipient" | "genesisStateRoot"
>;

/** The challenge's view of a resolved genesis. */
export function challengeGenesisOf(genesis: GenesisConfig): ChallengeGenesis {
  return {
    l2ChainId: genesis.l2ChainId,
    minFee: genesis.params.minFee,
    feeRecipient: genesis.params.feeRecipient,
    genesisStateRoot: new Chain(genesis).initGenesis().block.header.stateRoot,
  };
}

/**
 * The same from a config's genesis section without its Bridge (not deployed yet): a placeholder
 * address and L1 chain id stand in, they change nothing the challenge takes. `sequencerKey` is
 * the one the sequencer will run with (it names the fee recipient when the genesis names none).
 */
export function challengeGenesisOfConfig(
  g: Pick<SequencerConfig["genesis"], "l2ChainId" | "sequencer" | "minFee" | "feeRecipient" | "alloc">,
  sequencerKey?: string,
): ChallengeGenesis {
  const { genesis } = resolveGenesis({
    sequencerKey: sequencerKey ?? null,
    follow: "challenge-genesis",
    genesis: { timestamp: 0, challengeWindowMs: 1, ...g, bridge: `0x${"00".repeat(20)}`, l1ChainId: "1" },
  } as SequencerConfig);
  return challengeGenesisOf(genesis);
}

/**
 * The L2 genesis of the devnet (`npm run devnet`, `verdict l1 node --deploy`) and of the process
 * tests (test/helpers/network.ts): chain 424242, no fee, the dev sequencer key, no balances.
 */
export const DEVNET_L2_GENESIS = {
  l2ChainId: "424242",
  sequencer: null,
  minFee: "0",
  feeRecipient: null,
  alloc: {},
} as const;
