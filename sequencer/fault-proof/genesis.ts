/**
 * What the batch challenge takes from the L2 genesis (its constructor arguments and those of
 * BatchStepVerifier, docs/rollup.md 8c): the L2 chain id, the fee rules and the state root before
 * batch 0. None of them depends on the Bridge's address, so an L1 deployment can compute them
 * before the genesis names its Bridge. Pure.
 */
import type { BatchChallengeSetup } from "../../bridge/params.ts";
import { toHex } from "../../protocol/bytes.ts";
import { claimDomain, domainSeparator, l2Domain } from "../../protocol/eip712.ts";
import { Chain, type GenesisConfig } from "../chain.ts";
import { DEFAULTS, resolveGenesis, type SequencerConfig } from "../config.ts";

export type ChallengeGenesis = Pick<
  BatchChallengeSetup,
  "l2ChainId" | "minFee" | "feeRecipient" | "claimCollateral" | "challengeWindowMs" | "genesisStateRoot"
>;

/** The challenge's view of a resolved genesis. */
export function challengeGenesisOf(genesis: GenesisConfig): ChallengeGenesis {
  return {
    l2ChainId: genesis.l2ChainId,
    minFee: genesis.params.minFee,
    feeRecipient: genesis.params.feeRecipient,
    claimCollateral: genesis.params.claimCollateral,
    challengeWindowMs: BigInt(genesis.params.challengeWindowMs),
    genesisStateRoot: new Chain(genesis).initGenesis().block.header.stateRoot,
  };
}

/**
 * The same from a config's genesis section without its Bridge (not deployed yet): a placeholder
 * address and L1 chain id stand in, they change nothing the challenge takes. `sequencerKey` is
 * the one the sequencer will run with (it names the fee recipient when the genesis names none).
 */
export function challengeGenesisOfConfig(
  g: Pick<SequencerConfig["genesis"], "l2ChainId" | "sequencer" | "minFee" | "feeRecipient" | "alloc"> &
    Partial<Pick<SequencerConfig["genesis"], "claimCollateral" | "challengeWindowMs">>,
  sequencerKey?: string,
): ChallengeGenesis {
  const { genesis } = resolveGenesis({
    sequencerKey: sequencerKey ?? null,
    follow: "challenge-genesis",
    genesis: {
      timestamp: 0,
      challengeWindowMs: DEFAULTS.genesis.challengeWindowMs,
      ...g,
      bridge: `0x${"00".repeat(20)}`,
      l1ChainId: "1",
    },
  } as SequencerConfig);
  return challengeGenesisOf(genesis);
}

/**
 * The L2 genesis of the devnet (`npm run devnet`, `verdict l1 node --deploy`, `verdict l1 deploy`)
 * and of the process tests (test/helpers/network.ts): the config's default genesis (chain 424242,
 * no fee, the dev sequencer key, no balances), so a sequencer started with only the Bridge address
 * in its genesis matches the challenge those commands deploy.
 */
export const DEVNET_L2_GENESIS = {
  l2ChainId: DEFAULTS.genesis.l2ChainId,
  sequencer: DEFAULTS.genesis.sequencer,
  minFee: DEFAULTS.genesis.minFee,
  feeRecipient: DEFAULTS.genesis.feeRecipient,
  claimCollateral: DEFAULTS.genesis.claimCollateral,
  challengeWindowMs: DEFAULTS.genesis.challengeWindowMs,
  alloc: DEFAULTS.genesis.alloc,
};

/** What a deployed challenge holds of its genesis (BatchChallenge and its BatchStepVerifier). */
export interface DeployedChallengeGenesis {
  genesisStateRoot: `0x${string}`;
  minFee: bigint;
  feeRecipient: `0x${string}`;
  /** The claimJob rule's collateral per claim (JobStepRules, created by the verifier). */
  claimCollateral: bigint;
  /** The finalize rule's challenge window (JobStepRules): when a submitted job may be paid. */
  challengeWindowMs: bigint;
  /**
   * The worker claims' EIP-712 domain separator the submitResult one-step checks signatures in
   * (JobStepRules: the L1's chain id and the Bridge the verifier was deployed with).
   */
  claimDomainSeparator: `0x${string}`;
  /** The verifier keeps the EIP-712 domain separator of the L2 chain id, not the id. */
  l2DomainSeparator: `0x${string}`;
  /**
   * The DisputeGame the dispute events' one-steps read (DisputeEventStepRules.game) and the
   * Bridge's: optional, absent where the reader does not know them.
   */
  disputeRulesGame?: `0x${string}`;
  bridgeDisputeGame?: `0x${string}`;
}

/**
 * Why a deployed batch challenge does not fit `genesis` (null when it does). A challenge built for
 * another genesis starts batch 0 from another state: a challenger could then "prove" an honest
 * tx 0 wrong against that state, so a sequencer must not post batches under it.
 */
export function challengeGenesisMismatch(
  deployed: DeployedChallengeGenesis,
  genesis: GenesisConfig,
): string | null {
  const ours = challengeGenesisOf(genesis);
  const diffs: string[] = [];
  if (deployed.genesisStateRoot.toLowerCase() !== ours.genesisStateRoot.toLowerCase())
    diffs.push(`genesis state root ${deployed.genesisStateRoot} there, ${ours.genesisStateRoot} here`);
  if (deployed.minFee !== ours.minFee) diffs.push(`minFee ${deployed.minFee} there, ${ours.minFee} here`);
  if (deployed.claimCollateral !== ours.claimCollateral)
    diffs.push(`claimCollateral ${deployed.claimCollateral} there, ${ours.claimCollateral} here`);
  // under another window a challenger could "prove" an honest pay refused (or a liar's early pay right)
  if (deployed.challengeWindowMs !== ours.challengeWindowMs)
    diffs.push(`challengeWindowMs ${deployed.challengeWindowMs} there, ${ours.challengeWindowMs} here`);
  if (deployed.feeRecipient.toLowerCase() !== ours.feeRecipient.toLowerCase())
    diffs.push(`feeRecipient ${deployed.feeRecipient} there, ${ours.feeRecipient} here`);
  // under another claim domain an honest submitResult's claim signature would not recover to its
  // worker on chain, and a challenger could "prove" it refused
  const claims = toHex(domainSeparator(claimDomain(genesis.l1ChainId, genesis.bridge)));
  if (deployed.claimDomainSeparator.toLowerCase() !== claims)
    diffs.push(
      `claim domain separator ${deployed.claimDomainSeparator} there, ${claims} (L1 chain ${genesis.l1ChainId}, Bridge ${genesis.bridge}) here`,
    );
  const separator = toHex(domainSeparator(l2Domain(ours.l2ChainId)));
  if (deployed.l2DomainSeparator.toLowerCase() !== separator)
    diffs.push(
      `L2 domain separator ${deployed.l2DomainSeparator} there, ${separator} (chain ${ours.l2ChainId}) here`,
    );
  // under another game an honest dispute tx would find no such dispute on chain and be "proven" refused
  if (
    deployed.disputeRulesGame !== undefined &&
    deployed.bridgeDisputeGame !== undefined &&
    deployed.disputeRulesGame.toLowerCase() !== deployed.bridgeDisputeGame.toLowerCase()
  )
    diffs.push(
      `the dispute events' one-steps read DisputeGame ${deployed.disputeRulesGame}, the Bridge's is ${deployed.bridgeDisputeGame}`,
    );
  return diffs.length ? diffs.join("; ") : null;
}
