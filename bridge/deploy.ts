/** Deploys the Bridge with its constructor parameters and waits for the receipt. */
import type { Address, Hex } from "viem";
import { bridgeAbi, bridgeBytecode } from "../contracts/artifacts/Bridge.ts";
import { BridgeContract } from "./bridge.ts";
import type { L1Clients } from "./clients.ts";
import { type BridgeParams, DEVNET_BRIDGE_PARAMS } from "./params.ts";

export { type BridgeParams, DEVNET_BRIDGE_PARAMS };

export interface Deployment {
  address: Address;
  txHash: Hex;
  blockNumber: bigint;
  chainId: number;
  deployer: Address;
  params: Required<BridgeParams>;
  bridge: BridgeContract;
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
  const full: Required<BridgeParams> = { ...params, sequencer: params.sequencer ?? wallet.account.address };
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
  return {
    address: receipt.contractAddress,
    txHash,
    blockNumber: receipt.blockNumber,
    chainId: clients.chain.id,
    deployer: wallet.account.address,
    params: full,
    bridge: new BridgeContract(clients, receipt.contractAddress),
  };
}
