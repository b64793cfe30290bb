/**
 * Follows the Bridge's events on L1 and turns them into L2 system transactions: the viem-backed
 * L1Source the sequencer asks at every block it seals (sequencer/l1.ts). Only blocks with
 * `confirmations` blocks on top are read, so a reorg shallower than that never reaches L2; the
 * returned origin (number and hash of the newest block read) goes into the L2 block header.
 *
 * Today the Bridge emits Deposited; the dispute game adds DisputeOpened / DisputeResolved and the
 * L1 consumer requests add theirs: each gets one entry in `toSystemTx` below.
 */
import type { Address, Hex } from "viem";
import { parseEventLogs } from "viem";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import type { SystemTx } from "../protocol/tx.ts";
import type { L1Clients } from "./clients.ts";

export interface L1Origin {
  number: number;
  hash: Hex;
}

export interface BridgeFollowerOptions {
  bridge: Address;
  /** Blocks that must sit on top of a block before its events are derived. */
  confirmations: number;
  /** The Bridge's deployment block: nothing before it is read. */
  startBlock?: number;
  /** Largest block range per eth_getLogs call (nodes cap it; 2,000 is safe on most). */
  maxRange?: number;
}

type BridgeLog = ReturnType<typeof parseEventLogs<typeof bridgeAbi>>[number];

function toSystemTx(log: BridgeLog): SystemTx | undefined {
  switch (log.eventName) {
    case "Deposited":
      return {
        type: "deposit",
        depositId: log.args.depositId,
        recipient: log.args.l2Recipient,
        amount: log.args.amount,
      };
    case "InferenceRequested":
      // L1 deadlines are seconds (block time); L2 deadlines are ms. The Bridge caps the deadline
      // so the product stays an exact JS number.
      return {
        type: "l1InferenceRequest",
        requestId: log.args.requestId,
        requester: log.args.requester,
        modelId: log.args.modelId,
        inputRoot: log.args.inputRoot,
        inputCid: log.args.inputCid,
        escrow: log.args.escrow,
        deadline: Number(log.args.deadline) * 1000,
      };
    default:
      return undefined; // events L2 does not derive (stakes, batches, withdrawals)
  }
}

export class BridgeFollower {
  readonly confirmations: number;
  private readonly clients: L1Clients;
  private readonly opts: Required<BridgeFollowerOptions>;

  constructor(clients: L1Clients, opts: BridgeFollowerOptions) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 0) {
      throw new RangeError(`confirmations must be a non-negative integer, got ${opts.confirmations}`);
    }
    const maxRange = opts.maxRange ?? 2000;
    if (!Number.isInteger(maxRange) || maxRange < 1)
      throw new RangeError(`maxRange must be >= 1, got ${maxRange}`);
    this.clients = clients;
    this.confirmations = opts.confirmations;
    this.opts = { startBlock: 0, ...opts, maxRange };
  }

  /** System txs from L1 blocks (after, origin], in L1 log order, and the new origin. */
  async derive(after: number): Promise<{ origin: L1Origin; txs: SystemTx[] }> {
    if (!Number.isInteger(after) || after < 0)
      throw new RangeError(`after must be a block number, got ${after}`);
    const pub = this.clients.publicClient;
    const tip = Number(await pub.getBlockNumber({ cacheTime: 0 }));
    const safe = tip - this.confirmations;
    if (safe <= after) return { origin: await this.origin(after), txs: [] };
    const txs: SystemTx[] = [];
    for (let from = Math.max(after + 1, this.opts.startBlock); from <= safe; from += this.opts.maxRange) {
      const to = Math.min(safe, from + this.opts.maxRange - 1);
      const logs = await pub.getLogs({
        address: this.opts.bridge,
        fromBlock: BigInt(from),
        toBlock: BigInt(to),
      });
      const parsed = parseEventLogs({ abi: bridgeAbi, logs });
      parsed.sort((a, b) =>
        a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
      );
      for (const log of parsed) {
        const tx = toSystemTx(log);
        if (tx) txs.push(tx);
      }
    }
    return { origin: await this.origin(safe), txs };
  }

  private async origin(n: number): Promise<L1Origin> {
    const block = await this.clients.publicClient.getBlock({ blockNumber: BigInt(n) });
    return { number: n, hash: block.hash };
  }
}
