/**
 * Read batches and their data from L1 alone: every `Bridge.BatchPosted` log up to the block
 * `confirmations` below the head, in index order, each with the `txData` its postBatch call
 * carried (decoded from the calldata of the tx that emitted the log). The data is taken from the
 * tx, not from the sequencer or any store: this is what lets anyone rebuild L2 (rebuild.ts).
 *
 * The sequencer posts from an account (an EOA), so the log's tx calls Bridge.postBatch directly.
 * A batch posted through another contract (a multisig, a proxy) has its data inside that
 * contract's calldata; this reader refuses it by name rather than guess (tracing the call would
 * need debug_traceTransaction, which not every L1 node serves).
 */
import { decodeFunctionData, type Hex, parseEventLogs } from "viem";
import type { L1Clients } from "../bridge/clients.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { fromHex } from "../protocol/bytes.ts";
import type { Address } from "../protocol/secp256k1.ts";
import type { L1BatchWithData } from "./rebuild.ts";

export interface L1BatchReaderOptions {
  bridge: Address;
  confirmations: number;
  /** First L1 block to scan (the Bridge's deployment block). */
  startBlock?: number;
  /** Largest block range per eth_getLogs call. */
  maxRange?: number;
}

export class L1BatchReader {
  private readonly clients: L1Clients;
  private readonly opts: Required<L1BatchReaderOptions>;
  /** Next L1 block to scan, and the batches read so far but not yet taken. */
  private scanFrom: number;
  private nextIndex = 0;

  constructor(clients: L1Clients, opts: L1BatchReaderOptions) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 0)
      throw new RangeError(`confirmations must be a non-negative integer, got ${opts.confirmations}`);
    this.clients = clients;
    this.opts = { startBlock: 0, maxRange: 2000, ...opts };
    this.scanFrom = this.opts.startBlock;
  }

  /** Batches posted since the last call, confirmed `confirmations` deep, with their data. */
  async next(): Promise<L1BatchWithData[]> {
    const pub = this.clients.publicClient;
    const safe = Number(await pub.getBlockNumber({ cacheTime: 0 })) - this.opts.confirmations;
    const out: L1BatchWithData[] = [];
    for (; this.scanFrom <= safe; ) {
      const to = Math.min(safe, this.scanFrom + this.opts.maxRange - 1);
      const logs = await pub.getLogs({
        address: this.opts.bridge,
        fromBlock: BigInt(this.scanFrom),
        toBlock: BigInt(to),
      });
      for (const log of parseEventLogs({ abi: bridgeAbi, logs, eventName: "BatchPosted" })) {
        const index = Number(log.args.batchIndex);
        if (index !== this.nextIndex)
          throw new Error(`L1 batch log ${index} out of order: expected batch ${this.nextIndex}`);
        const tx = await pub.getTransaction({ hash: log.transactionHash });
        if (!tx.to || tx.to.toLowerCase() !== this.opts.bridge.toLowerCase())
          throw new Error(
            `batch ${index} was posted through contract ${tx.to} (tx ${log.transactionHash}): its data is not in the tx's own calldata`,
          );
        const call = decodeFunctionData({ abi: bridgeAbi, data: tx.input });
        if (call.functionName !== "postBatch")
          throw new Error(
            `batch ${index}'s tx ${log.transactionHash} calls ${call.functionName}, not postBatch`,
          );
        const txData = call.args[6] as Hex;
        out.push({
          index,
          firstBlock: Number(log.args.firstBlock),
          lastBlock: Number(log.args.lastBlock),
          stateRoot: log.args.stateRoot,
          withdrawalRoot: log.args.withdrawalRoot,
          txDataHash: log.args.txDataHash,
          txData: fromHex(txData),
        });
        this.nextIndex++;
      }
      this.scanFrom = to + 1;
    }
    return out;
  }
}
