/**
 * Read batches and their data from L1 alone: every `Bridge.BatchPosted` log up to the block
 * `confirmations` below the head, in index order, each with the `txData` and `inboxCount` its
 * postBatch call carried (decoded from the calldata of the tx that emitted the log) and the inbox
 * messages it consumed (from the Deposited / TransactionForced / InboxQueued logs before it; the
 * scan must start at or before the Bridge's deployment block to see them all). The data is taken from the
 * tx, not from the sequencer or any store: this is what lets anyone rebuild L2 (rebuild.ts).
 *
 * The sequencer posts from an account (an EOA), so the log's tx calls Bridge.postBatch directly.
 * A batch posted through another contract (a multisig, a proxy) has its data inside that
 * contract's calldata; this reader refuses it by name rather than guess (tracing the call would
 * need debug_traceTransaction, which not every L1 node serves).
 */
import { decodeFunctionData, getAbiItem, type Hex, parseEventLogs } from "viem";
import type { L1Clients } from "../bridge/clients.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../contracts/artifacts/DisputeGame.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { claimDomain } from "../protocol/eip712.ts";
import type { Address } from "../protocol/secp256k1.ts";
import { type ClaimMsg, claimDigest } from "../protocol/tx.ts";
import { decodeBatchData } from "./batch-data.ts";
import type { L1Dispute } from "./fault-proof/dispute-events.ts";
import { INBOX_MODEL, INBOX_REQUEST, INBOX_STAKE } from "./fault-proof/encoding.ts";
import { disputeIdsOf, type InboxMessage, type L1BatchWithData } from "./rebuild.ts";

const DISPUTE_OPENED = getAbiItem({ abi: disputeGameAbi, name: "DisputeOpened" });

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
  /** Every inbox message seen so far, by index; and how many the last batch consumed. */
  private readonly inbox: InboxMessage[] = [];
  private consumed = 0;
  private lastDeposit: { depositId: bigint; recipient: Hex; amount: bigint } | null = null;
  /** Inbox messages consumed through each batch read, by index. */
  private readonly consumedAt: number[] = [];
  /** Batches handed out by earlier calls (a removal of one of them is the caller's to undo). */
  private returned = 0;
  /**
   * Set when L1 removed a batch an earlier call already returned (a batch challenge proved it
   * wrong): the lowest such index. The caller must rebuild from before it (a new reader).
   */
  removedReturned: number | null = null;

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
      for (const log of parseEventLogs({ abi: bridgeAbi, logs })) {
        if (log.eventName === "Deposited") {
          this.lastDeposit = {
            depositId: log.args.depositId,
            recipient: log.args.l2Recipient,
            amount: log.args.amount,
          };
          continue;
        }
        if (log.eventName === "InboxQueued" && log.args.kind === 1) {
          // a deposit's InboxQueued follows its Deposited in the same call
          if (!this.lastDeposit)
            throw new Error(`inbox message ${log.args.inboxIndex}: no Deposited before it`);
          this.queue(Number(log.args.inboxIndex), { kind: "deposit", ...this.lastDeposit }, log.blockNumber);
          this.lastDeposit = null;
          continue;
        }
        if (
          log.eventName === "InboxQueued" &&
          (log.args.kind === INBOX_MODEL || log.args.kind === INBOX_REQUEST || log.args.kind === INBOX_STAKE)
        ) {
          // a model, an L1 request or a stake change: the replay checks its tx by the message hash
          this.queue(
            Number(log.args.inboxIndex),
            { kind: "l1Event", inboxKind: log.args.kind, messageHash: log.args.messageHash },
            log.blockNumber,
          );
          continue;
        }
        if (log.eventName === "TransactionForced") {
          this.queue(
            Number(log.args.inboxIndex),
            { kind: "forced", sender: log.args.sender, signedL2Tx: log.args.signedL2Tx },
            log.blockNumber,
          );
          continue;
        }
        if (log.eventName === "BatchesRemoved") {
          // a batch challenge removed this batch and every later one: they are posted again
          const from = Number(log.args.fromBatchIndex);
          if (from < this.returned && (this.removedReturned === null || from < this.removedReturned))
            this.removedReturned = from;
          while (out.length && out[out.length - 1].index >= from) out.pop();
          this.nextIndex = Math.min(this.nextIndex, from);
          this.consumed = from === 0 ? 0 : (this.consumedAt[from - 1] ?? 0);
          this.consumedAt.length = Math.min(this.consumedAt.length, from);
          continue;
        }
        if (log.eventName !== "BatchPosted") continue;
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
        const inboxCount = Number(call.args[7] as bigint);
        if (inboxCount < this.consumed || inboxCount > this.inbox.length)
          throw new Error(
            `batch ${index} counts ${inboxCount} inbox messages; ${this.inbox.length} were read`,
          );
        const inboxHash = await this.inboxHashAt(index, log.blockNumber);
        const inbox = this.inbox.slice(this.consumed, inboxCount);
        this.consumed = inboxCount;
        this.consumedAt[index] = inboxCount;
        out.push({
          inbox,
          inboxHash,
          disputes: await this.disputesNamed(fromHex(txData)),
          index,
          firstBlock: Number(log.args.firstBlock),
          lastBlock: Number(log.args.lastBlock),
          stateRoot: log.args.stateRoot,
          withdrawalRoot: log.args.withdrawalRoot,
          txDataHash: log.args.txDataHash,
          txData: fromHex(txData),
          lastTime: Number(call.args[8] as bigint),
        });
        this.nextIndex++;
      }
      this.scanFrom = to + 1;
    }
    this.returned = this.nextIndex;
    return out;
  }

  /**
   * The inbox hash L1 recorded for batch `index`, read in the block that posted it (a later
   * removal cannot change it there): its C_n carries it, and the validator's challenger compares
   * its replay's with it before deciding a challenge can win. Undefined when the node cannot say
   * (a pruned state): the challenger then does not rely on it.
   */
  private async inboxHashAt(index: number, blockNumber: bigint | null): Promise<Hex | undefined> {
    try {
      const b = (await this.clients.publicClient.readContract({
        address: this.opts.bridge,
        abi: bridgeAbi,
        functionName: "getBatch",
        args: [BigInt(index)],
        blockNumber: blockNumber ?? undefined,
      })) as { inboxHash: Hex };
      return b.inboxHash;
    } catch {
      return undefined;
    }
  }

  /** The DisputeGame the Bridge names (read once; zero: none). */
  private game: Address | null = null;

  /**
   * L1's dispute for every dispute id the batch data's txs name (rebuild.ts checks each dispute tx
   * against it). Data that does not decode: none fetched (the replay refuses the batch anyway).
   */
  private async disputesNamed(txData: Uint8Array): Promise<Map<bigint, L1Dispute | null>> {
    const out = new Map<bigint, L1Dispute | null>();
    let ids: bigint[];
    try {
      ids = disputeIdsOf(decodeBatchData(txData));
    } catch {
      return out;
    }
    if (ids.length === 0) return out;
    const pub = this.clients.publicClient;
    this.game ??= (await pub.readContract({
      address: this.opts.bridge,
      abi: bridgeAbi,
      functionName: "disputeGame",
    })) as Address;
    const zero = /^0x0{40}$/.test(this.game);
    const count = zero
      ? 0n
      : ((await pub.readContract({
          address: this.game,
          abi: disputeGameAbi,
          functionName: "disputeCount",
        })) as bigint);
    for (const id of ids) {
      if (id >= count) {
        out.set(id, null);
        continue;
      }
      const d = (await pub.readContract({
        address: this.game as Address,
        abi: disputeGameAbi,
        functionName: "getDispute",
        args: [id],
      })) as L1Dispute;
      out.set(id, {
        claimer: d.claimer,
        challenger: d.challenger,
        claimKey: d.claimKey,
        winner: Number(d.winner),
        ...(await this.opening(id, d.claimKey)),
      });
    }
    return out;
  }

  /** What the DisputeOpened log of each dispute read so far names (it never changes). */
  private readonly openings = new Map<bigint, { jobId: Hex; claim: ClaimMsg | null }>();

  /**
   * The job dispute `id` was opened on (its DisputeOpened log's claim.jobId: getDispute stores
   * none) and the disputed claim, decoded from the calldata of the tx that emitted the log (every
   * DisputeGame opening takes the claim first); null when that tx called another contract, whose
   * calldata holds the claim where this reader cannot find it (docs/rollup.md 8c).
   */
  private async opening(id: bigint, claimKey: Hex): Promise<{ jobId: Hex; claim: ClaimMsg | null }> {
    const known = this.openings.get(id);
    if (known) return known;
    const pub = this.clients.publicClient;
    const head = Number(await pub.getBlockNumber({ cacheTime: 0 }));
    for (let from = this.opts.startBlock; from <= head; from += this.opts.maxRange) {
      const [log] = await pub.getLogs({
        address: this.game as Address,
        event: DISPUTE_OPENED,
        args: { disputeId: id },
        fromBlock: BigInt(from),
        toBlock: BigInt(Math.min(head, from + this.opts.maxRange - 1)),
      });
      if (!log) continue;
      const jobId = log.args.jobId as Hex;
      const tx = await pub.getTransaction({ hash: log.transactionHash as Hex });
      let claim: ClaimMsg | null = null;
      if (tx.to && tx.to.toLowerCase() === (this.game as Address).toLowerCase()) {
        const call = decodeFunctionData({ abi: disputeGameAbi, data: tx.input });
        const c = (call.args as readonly unknown[] | undefined)?.[0] as ClaimMsg | undefined;
        this.claims ??= claimDomain(BigInt(await pub.getChainId()), this.opts.bridge);
        // the opening's first argument is the claim; only the one whose digest is the key is used
        if (
          c &&
          typeof c === "object" &&
          "jobId" in c &&
          toHex(claimDigest(c, this.claims)) === claimKey.toLowerCase()
        )
          claim = {
            jobId: c.jobId,
            worker: c.worker.toLowerCase() as Address,
            modelId: c.modelId,
            inputRoot: c.inputRoot,
            outputRoot: c.outputRoot,
            traceRoot: c.traceRoot,
            generationSpec: c.generationSpec,
            outputCid: c.outputCid,
            traceCid: c.traceCid,
          };
      }
      const found = { jobId, claim };
      this.openings.set(id, found);
      return found;
    }
    throw new Error(
      `dispute ${id} is on L1 but no DisputeOpened log names it from block ${this.opts.startBlock}`,
    );
  }

  /** L2's claim domain (the claim keys' EIP-712 domain: L1's chain id and the Bridge). */
  private claims: ReturnType<typeof claimDomain> | null = null;

  private queue(
    index: number,
    m:
      | { kind: "deposit"; depositId: bigint; recipient: Hex; amount: bigint }
      | { kind: "forced"; sender: Hex; signedL2Tx: Hex }
      | { kind: "l1Event"; inboxKind: number; messageHash: Hex },
    l1Block: bigint | null,
  ): void {
    if (index !== this.inbox.length)
      throw new Error(
        `inbox message ${index} out of order: expected ${this.inbox.length} (scan from the Bridge's deployment block)`,
      );
    this.inbox.push({ index, l1Block: Number(l1Block), ...m } as InboxMessage);
  }
}
