/**
 * The batch challenge's genesis (sequencer/fault-proof/genesis.ts) against the real contracts on
 * the embedded chain: deployBridge deploys BatchChallenge + BatchStepVerifier for a config's
 * genesis computed before the Bridge exists; what the deployed contracts hold matches that genesis
 * once it names the Bridge, and a sequencer's genesis that differs in its balances, fee rules or
 * L2 chain id is named (the sequencer refuses to run under such a challenge, sequencer/run.ts).
 */
import t from "tap";
import { BatchChallengeContract } from "../../../bridge/batch-challenge.ts";
import { deployBridge } from "../../../bridge/deploy.ts";
import { DEVNET_BRIDGE_PARAMS } from "../../../bridge/params.ts";
import { DEFAULTS, resolveGenesis, type SequencerConfig } from "../../../sequencer/config.ts";
import {
  challengeGenesisMismatch,
  challengeGenesisOfConfig,
  DEVNET_L2_GENESIS,
} from "../../../sequencer/fault-proof/genesis.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const section = {
  ...DEVNET_L2_GENESIS,
  alloc: { [`0x${"ab".repeat(20)}`]: "1000" },
};
const dep = await deployBridge(backend.clients(0), {
  ...DEVNET_BRIDGE_PARAMS,
  batchChallenge: challengeGenesisOfConfig(section),
});
const game = new BatchChallengeContract(backend.clients(0), dep.batchChallenge?.address as `0x${string}`);
const deployed = await game.deployedGenesis();
const genesisOf = (g: Partial<SequencerConfig["genesis"]>) =>
  resolveGenesis({
    ...DEFAULTS,
    genesis: { ...DEFAULTS.genesis, ...section, bridge: dep.address, l1ChainId: String(dep.chainId), ...g },
  }).genesis;

t.test("the deployed challenge holds the genesis it was deployed for", async (t) => {
  t.equal(challengeGenesisMismatch(deployed, genesisOf({})), null, "the sequencer's own genesis fits");
  t.equal(dep.batchChallenge?.genesisStateRoot, deployed.genesisStateRoot);
  t.same(
    [deployed.disputeRulesGame.toLowerCase(), deployed.bridgeDisputeGame.toLowerCase()],
    [dep.disputeGame.toLowerCase(), dep.disputeGame.toLowerCase()],
    "the dispute events' one-steps read the Bridge's DisputeGame",
  );
  t.equal(await game.sequencerBond(), 10n ** 18n, "the default sequencer bond");
  t.not(
    challengeGenesisOfConfig(DEVNET_L2_GENESIS).genesisStateRoot,
    deployed.genesisStateRoot,
    "balances change the genesis root",
  );
});

t.test("a genesis the challenge was not deployed for is named", async (t) => {
  t.match(challengeGenesisMismatch(deployed, genesisOf({ alloc: {} })), /^genesis state root /);
  t.match(challengeGenesisMismatch(deployed, genesisOf({ minFee: "5" })), /^minFee 0 there, 5 here$/);
  // submitResult's one-step checks claim signatures in the Bridge's claim domain
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ bridge: `0x${"ef".repeat(20)}` })),
    /^claim domain separator 0x[0-9a-f]{64} there, 0x[0-9a-f]{64} \(L1 chain \d+, Bridge 0xefef/,
  );
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ l1ChainId: "5" })),
    /^claim domain separator .* \(L1 chain 5, /,
  );
  // the claimJob one-step checks the stake with it (JobStepRules)
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ claimCollateral: "1000" })),
    /^claimCollateral 0 there, 1000 here$/,
  );
  // the finalize one-step pays a submitted job only after it (JobStepRules)
  t.equal(deployed.challengeWindowMs, BigInt(DEFAULTS.genesis.challengeWindowMs), "the config's window");
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ challengeWindowMs: 5 })),
    /^challengeWindowMs 60000 there, 5 here$/,
  );
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ feeRecipient: `0x${"cd".repeat(20)}` })),
    /^feeRecipient /,
  );
  t.match(
    challengeGenesisMismatch(deployed, genesisOf({ l2ChainId: "7" })),
    /^L2 domain separator .* \(chain 7\) here$/,
  );
  t.match(
    challengeGenesisMismatch({ ...deployed, disputeRulesGame: `0x${"9a".repeat(20)}` }, genesisOf({})),
    /^the dispute events' one-steps read DisputeGame 0x9a.* the Bridge's is /,
    "dispute rules reading another game",
  );
});
