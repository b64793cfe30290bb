/**
 * Deploys the Bridge with its constructor parameters, then the dispute game (OneStepVerifier and
 * DisputeGame) and registers the game with the Bridge, then (when `batchChallenge` is given) the
 * batch challenge (BatchStepVerifier and BatchChallenge) for that L2 genesis, waiting for every
 * receipt.
 */
import type { Address, Hex } from "viem";
import { bridgeAbi, bridgeBytecode } from "../contracts/artifacts/Bridge.ts";
import { disputeGameAbi, disputeGameBytecode } from "../contracts/artifacts/DisputeGame.ts";
import { oneStepVerifierAbi, oneStepVerifierBytecode } from "../contracts/artifacts/OneStepVerifier.ts";
import { deployBatchChallenge } from "./batch-challenge.ts";
import { BridgeContract } from "./bridge.ts";
import type { L1Clients } from "./clients.ts";
import {
  type BatchChallengeSetup,
  type BridgeParams,
  challengeWindowConflict,
  DEFAULT_BATCH_CLOCK,
  DEFAULT_DISPUTE_CLOCK,
  DEVNET_BRIDGE_PARAMS,
  DEVNET_SEQUENCER_BOND,
} from "./params.ts";

export { type BatchChallengeSetup, type BridgeParams, DEVNET_BRIDGE_PARAMS };

/** The batch challenge as deployed (every default filled in). */
export type BatchChallengeDeployment = Required<BatchChallengeSetup> & {
  address: Address;
  verifier: Address;
};

export interface Deployment {
  address: Address;
  txHash: Hex;
  blockNumber: bigint;
  chainId: number;
  deployer: Address;
  params: Required<Omit<BridgeParams, "batchChallenge">>;
  bridge: BridgeContract;
  /** The BatchChallenge registered with the Bridge; absent when none was asked for. */
  batchChallenge?: BatchChallengeDeployment;
  /** The DisputeGame registered with the Bridge, and the OneStepVerifier it calls. */
  disputeGame: Address;
  oneStepVerifier: Address;
}

export async function deployBridge(
  clients: L1Clients,
  params: BridgeParams = DEVNET_BRIDGE_PARAMS,
): Promise<Deployment> {
  const wallet = clients.walletClient;
  if (!wallet) throw new Error("deployBridge: no wallet (pass a private key)");
  if (params.unbondingDelay <= params.challengeWindow) {
    throw new Error(
      `unbonding delay (${params.unbondingDelay} s) must exceed the challenge window (${params.challengeWindow} s)`,
    );
  }
  if (params.minWorkerStake <= 0n || params.challengerBond <= 0n)
    throw new Error("min worker stake and challenger bond must be > 0");
  const { batchChallenge: challengeSetup, ...bridgeParams } = params;
  // the L2 genesis the batch challenge is for must not outlast L1's window (challengeWindowConflict)
  const windowConflict =
    challengeSetup &&
    challengeWindowConflict(Number(challengeSetup.challengeWindowMs), params.challengeWindow);
  if (windowConflict) throw new Error(windowConflict);
  const full: Required<Omit<BridgeParams, "batchChallenge">> = {
    ...bridgeParams,
    sequencer: params.sequencer ?? wallet.account.address,
    disputeClock: params.disputeClock ?? DEFAULT_DISPUTE_CLOCK,
  };
  if (full.disputeClock <= 0n) throw new Error("dispute clock must be > 0 seconds");
  const txHash = await wallet.deployContract({
    abi: bridgeAbi,
    bytecode: bridgeBytecode,
    args: [
      full.sequencer,
      full.challengeWindow,
      full.unbondingDelay,
      full.minWorkerStake,
      full.challengerBond,
    ],
  });
  const receipt = await clients.publicClient.waitForTransactionReceipt({
    hash: txHash,
    pollingInterval: clients.pollingIntervalMs,
  });
  if (receipt.status !== "success" || !receipt.contractAddress)
    throw new Error(`Bridge deployment failed (tx ${txHash})`);
  const wait = async (hash: Hex, what: string) => {
    const r = await clients.publicClient.waitForTransactionReceipt({
      hash,
      pollingInterval: clients.pollingIntervalMs,
    });
    if (r.status !== "success") throw new Error(`${what} failed (tx ${hash})`);
    return r;
  };
  const verifierReceipt = await wait(
    await wallet.deployContract({ abi: oneStepVerifierAbi, bytecode: oneStepVerifierBytecode, args: [] }),
    "OneStepVerifier deployment",
  );
  const oneStepVerifier = verifierReceipt.contractAddress as Address;
  const gameReceipt = await wait(
    await wallet.deployContract({
      abi: disputeGameAbi,
      bytecode: disputeGameBytecode,
      args: [receipt.contractAddress, oneStepVerifier, full.disputeClock],
    }),
    "DisputeGame deployment",
  );
  const disputeGame = gameReceipt.contractAddress as Address;
  await wait(
    await wallet.writeContract({
      address: receipt.contractAddress,
      abi: bridgeAbi,
      functionName: "setDisputeGame",
      args: [disputeGame],
    }),
    "Bridge.setDisputeGame",
  );
  let batchChallenge: BatchChallengeDeployment | undefined;
  if (challengeSetup) {
    const setup: Required<BatchChallengeSetup> = {
      ...challengeSetup,
      sequencerBond: challengeSetup.sequencerBond ?? DEVNET_SEQUENCER_BOND,
      batchChallengerBond: challengeSetup.batchChallengerBond ?? full.challengerBond,
      clock: challengeSetup.clock ?? DEFAULT_BATCH_CLOCK,
    };
    if (setup.sequencerBond <= 0n || setup.batchChallengerBond <= 0n || setup.clock <= 0n)
      throw new Error("batch challenge: sequencer bond, challenger bond and clock must be > 0");
    const d = await deployBatchChallenge(clients, {
      bridge: receipt.contractAddress,
      l2ChainId: setup.l2ChainId,
      minFee: setup.minFee,
      feeRecipient: setup.feeRecipient,
      claimCollateral: setup.claimCollateral,
      challengeWindowMs: setup.challengeWindowMs,
      genesisStateRoot: setup.genesisStateRoot,
      sequencerBond: setup.sequencerBond,
      challengerBond: setup.batchChallengerBond,
      clock: setup.clock,
    });
    batchChallenge = { ...setup, ...d };
  }
  return {
    batchChallenge,
    disputeGame,
    oneStepVerifier,
    address: receipt.contractAddress,
    txHash,
    blockNumber: receipt.blockNumber,
    chainId: clients.chain.id,
    deployer: wallet.account.address,
    params: full,
    bridge: new BridgeContract(clients, receipt.contractAddress),
  };
}
