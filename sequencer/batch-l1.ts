/**
 * The Bridge as the Batcher reads it back (BatchL1View, sequencer/batch.ts), over the viem public
 * client of a BridgeContract (bridge/bridge.ts). Reads at an older block need the L1 node to keep
 * that state, which every node does for the last 128 blocks, far more than any confirmation depth.
 */
import type { BridgeContract } from "../bridge/bridge.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import type { Hex } from "../protocol/tx.ts";
import type { BatchL1View, L1Batch } from "./batch.ts";

/** Blocks of BatchPosted logs getBatch reads back (many RPCs refuse wider eth_getLogs ranges). */
const LOG_WINDOW = 9_999n;

export function bridgeBatchView(bridge: BridgeContract): BatchL1View {
  const pub = bridge.clients.publicClient;
  const read = <T>(
    functionName: "batchCount" | "getBatch" | "inboxLength",
    args: readonly unknown[],
    at?: bigint,
  ) =>
    pub.readContract({
      address: bridge.address,
      abi: bridgeAbi,
      functionName,
      args,
      blockNumber: at,
    } as Parameters<typeof pub.readContract>[0]) as Promise<T>;
  return {
    // no cached head: a reorg or a new block must be seen on the next step
    blockNumber: () => pub.getBlockNumber({ cacheTime: 0 }),
    batchCount: (at) => read<bigint>("batchCount", [], at),
    async getBatch(index, at) {
      const batch = await read<L1Batch>("getBatch", [index], at);
      // the record keeps the txRoot L1 computed; the data's hash is in the BatchPosted event (the
      // last one for the index: a removed batch's index is posted again). Only the last
      // LOG_WINDOW blocks are asked (public RPCs cap eth_getLogs ranges): an older batch's hash is
      // left out and only its roots are compared.
      const to = at ?? (await pub.getBlockNumber({ cacheTime: 0 }));
      const posted = await pub.getContractEvents({
        address: bridge.address,
        abi: bridgeAbi,
        eventName: "BatchPosted",
        args: { batchIndex: index },
        fromBlock: to > LOG_WINDOW ? to - LOG_WINDOW : 0n,
        toBlock: to,
      });
      const last = posted[posted.length - 1] as { args: { txDataHash?: Hex } } | undefined;
      return { ...batch, txDataHash: last?.args.txDataHash };
    },
    async inboxLength(at) {
      // before the Bridge's deployment block there is no contract to ask, and no message
      if ((await pub.getCode({ address: bridge.address, blockNumber: at })) === undefined) return 0n;
      return read<bigint>("inboxLength", [], at);
    },
    async headTime() {
      return (await pub.getBlock({ blockTag: "latest" })).timestamp;
    },
    async isPending(hash: Hex) {
      try {
        const tx = await pub.getTransaction({ hash });
        if (tx.blockNumber !== null) return false; // mined (and the batch is not there: reverted)
        // behind a nonce gap it would never be mined: not worth waiting for
        return tx.nonce <= (await pub.getTransactionCount({ address: tx.from, blockTag: "latest" }));
      } catch {
        return false; // unknown to the node: dropped
      }
    },
    resetNonce() {
      const account = bridge.wallet?.account;
      account?.nonceManager?.reset({ address: account.address, chainId: pub.chain.id });
    },
  };
}
