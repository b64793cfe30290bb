/**
 * Batches to the L1 bridge (`Bridge.postBatch(firstBlock, lastBlock, stateRoot, withdrawalRoot,
 * txDataHash, cid)`) and withdrawal proofs against them. buildBatch is pure; the Batcher posts
 * contiguous block ranges through an injected BatchPoster (bridge/bridge.ts BridgeContract fits)
 * and records what it posted in the node's level store (`bt/<index>`).
 *
 *   stateRoot      = state root of lastBlock
 *   withdrawalRoot = protocol/withdrawal.ts message root over the range's L2 -> L1 messages
 *                    (withdrawals and L1 request results), block then tx order
 *   txData         = utf8(JSON.stringify({ blocks: [{ header, txs }, ...] }))
 *   txDataHash     = sha256(txData); cid = CIDv1 of txData (injected `cidOf`)
 */
import type { Logger } from "pino";
import { toHex } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import type { Hex } from "../protocol/tx.ts";
import {
  type L2Message,
  MessageTree,
  type ResultMessage,
  txMessages,
  type Withdrawal,
} from "../protocol/withdrawal.ts";
import type { Block } from "./block.ts";
import type { SequencerNode } from "./node.ts";

export interface BatchData {
  firstBlock: number;
  lastBlock: number;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  txData: Uint8Array;
  /** Every message of the range, in tree order. */
  messages: L2Message[];
  /** The withdrawals among them. */
  withdrawals: Withdrawal[];
}

/** A receipt's messages in the order the block's tree holds them (sequencer/chain.ts). */
function receiptMessages(r: Block["receipts"][number]): L2Message[] {
  const result: ResultMessage | undefined = r.result && {
    ...r.result,
    requestId: BigInt(r.result.requestId),
  };
  const withdrawal: Withdrawal | undefined = r.withdrawal
    ? { recipient: r.withdrawal.recipient, amount: BigInt(r.withdrawal.amount), l2TxHash: r.txHash }
    : undefined;
  return txMessages({ withdrawal, result });
}

export function buildBatch(blocks: readonly Block[]): BatchData {
  if (blocks.length === 0) throw new Error("a batch needs at least one block");
  blocks.forEach((b, i) => {
    if (i > 0 && b.header.number !== blocks[i - 1].header.number + 1)
      throw new Error(`batch blocks not contiguous: ${blocks[i - 1].header.number} then ${b.header.number}`);
  });
  const messages: L2Message[] = [];
  for (const b of blocks) for (const r of b.receipts) messages.push(...receiptMessages(r));
  const txData = new TextEncoder().encode(
    JSON.stringify({ blocks: blocks.map((b) => ({ header: b.header, txs: b.txs })) }),
  );
  const last = blocks[blocks.length - 1].header;
  return {
    firstBlock: blocks[0].header.number,
    lastBlock: last.number,
    stateRoot: last.stateRoot,
    withdrawalRoot: new MessageTree(messages).rootHex,
    txDataHash: toHex(sha256(txData)),
    txData,
    messages,
    withdrawals: messages.filter((m) => m.kind === "withdrawal"),
  };
}

export interface BatchPoster {
  postBatch(b: {
    firstBlock: bigint;
    lastBlock: bigint;
    stateRoot: Hex;
    withdrawalRoot: Hex;
    txDataHash: Hex;
    cid: Hex;
  }): Promise<{ batchIndex: bigint; txHash?: Hex }>;
}

export interface PostedBatch {
  index: number;
  firstBlock: number;
  lastBlock: number;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  cid: Hex;
  l1TxHash: Hex | null;
}

export interface WithdrawalProofReply {
  batchIndex: number;
  recipient: Hex;
  amount: string;
  l2TxHash: Hex;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

/** What Bridge.deliverResult takes for L1 request `requestId`. */
export interface ResultProofReply {
  batchIndex: number;
  requestId: string;
  claimKey: Hex;
  outputRoot: Hex;
  outputCid: Hex;
  /** The L2 tx that finalized the job and sent the result. */
  l2TxHash: Hex;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

const batchKey = (i: number) => `bt/${i.toString().padStart(10, "0")}`;

export class Batcher {
  private readonly node: SequencerNode;
  private readonly poster: BatchPoster;
  private readonly cidOf: (data: Uint8Array) => Promise<Hex>;
  private readonly maxBlocks: number;
  private readonly logger?: Logger;
  private timer: NodeJS.Timeout | null = null;
  private posting: Promise<PostedBatch | null> | null = null;
  /** L1 request id -> index of the posted batch holding its result, for batches scanned so far. */
  private readonly resultAt = new Map<string, { batchIndex: number; l2TxHash: Hex }>();
  private scannedBatches = 0;

  constructor(
    node: SequencerNode,
    poster: BatchPoster,
    opts: { cidOf: (data: Uint8Array) => Promise<Hex>; maxBlocks?: number; logger?: Logger },
  ) {
    this.node = node;
    this.poster = poster;
    this.cidOf = opts.cidOf;
    this.maxBlocks = opts.maxBlocks ?? 1000;
    this.logger = opts.logger;
  }

  async posted(): Promise<PostedBatch[]> {
    const out: PostedBatch[] = [];
    for await (const v of this.node.store.db.values({ gt: "bt/", lt: "bt0" })) out.push(JSON.parse(v));
    return out;
  }

  /** Post the blocks after the last posted batch up to the head (at most maxBlocks). */
  postOnce(): Promise<PostedBatch | null> {
    if (!this.posting) this.posting = this.post().finally(() => (this.posting = null));
    return this.posting;
  }

  private async post(): Promise<PostedBatch | null> {
    const done = await this.posted();
    const prev = done[done.length - 1];
    const first = prev ? prev.lastBlock + 1 : 1;
    const last = Math.min(this.node.chain.head.number, first + this.maxBlocks - 1);
    if (last < first) return null;
    const blocks: Block[] = [];
    for (let n = first; n <= last; n++) {
      const b = await this.node.block(n);
      if (!b) throw new Error(`block ${n} missing from the store`);
      blocks.push(b);
    }
    const data = buildBatch(blocks);
    const cid = await this.cidOf(data.txData);
    const r = await this.poster.postBatch({
      firstBlock: BigInt(first),
      lastBlock: BigInt(last),
      stateRoot: data.stateRoot,
      withdrawalRoot: data.withdrawalRoot,
      txDataHash: data.txDataHash,
      cid,
    });
    const rec: PostedBatch = {
      index: Number(r.batchIndex),
      firstBlock: first,
      lastBlock: last,
      stateRoot: data.stateRoot,
      withdrawalRoot: data.withdrawalRoot,
      txDataHash: data.txDataHash,
      cid,
      l1TxHash: r.txHash ?? null,
    };
    await this.node.store.db.put(batchKey(rec.index), JSON.stringify(rec), { sync: true });
    this.logger?.info({ ...rec }, "batch posted");
    return rec;
  }

  /** Proof for the withdrawal made by L2 tx `l2TxHash`, against the posted batch holding it. */
  async withdrawalProof(l2TxHash: string): Promise<WithdrawalProofReply | { error: string }> {
    const rc = await this.node.receipt(l2TxHash);
    if (!rc) return { error: "unknown tx" };
    if (rc.status !== "included" || rc.blockNumber === undefined)
      return { error: "tx is not in a block yet" };
    if (!rc.withdrawal) return { error: "tx is not a withdrawal" };
    const bn = rc.blockNumber;
    const batch = (await this.posted()).find((b) => b.firstBlock <= bn && bn <= b.lastBlock);
    if (!batch) return { error: `block ${bn} is not in a posted batch yet` };
    const data = await this.rebuild(batch);
    const i = data.messages.findIndex((m) => m.kind === "withdrawal" && m.l2TxHash === l2TxHash);
    const p = new MessageTree(data.messages).proof(i);
    return {
      batchIndex: batch.index,
      recipient: rc.withdrawal.recipient,
      amount: rc.withdrawal.amount,
      l2TxHash: l2TxHash as Hex,
      leafIndex: p.leafIndex,
      leafCount: p.leafCount,
      proof: p.proof,
    };
  }

  /**
   * Proof for the result of L1 request `requestId` (decimal), against the posted batch holding it.
   * Results are found by scanning posted batches once each; the index is kept in memory.
   */
  async resultProof(requestId: string): Promise<ResultProofReply | { error: string }> {
    if (!/^(0|[1-9][0-9]{0,77})$/.test(requestId)) return { error: "requestId must be a decimal integer" };
    const posted = await this.posted();
    for (; this.scannedBatches < posted.length; this.scannedBatches++) {
      const b = posted[this.scannedBatches];
      for (let n = b.firstBlock; n <= b.lastBlock; n++) {
        const block = await this.node.block(n);
        if (!block) throw new Error(`block ${n} missing from the store`);
        for (const r of block.receipts)
          if (r.result) this.resultAt.set(r.result.requestId, { batchIndex: b.index, l2TxHash: r.txHash });
      }
    }
    const at = this.resultAt.get(requestId);
    if (!at) return { error: `no result for request ${requestId} in a posted batch yet` };
    const batch = posted.find((b) => b.index === at.batchIndex) as PostedBatch;
    const data = await this.rebuild(batch);
    const i = data.messages.findIndex((m) => m.kind === "result" && m.requestId.toString() === requestId);
    const m = data.messages[i] as ResultMessage;
    const p = new MessageTree(data.messages).proof(i);
    return {
      batchIndex: batch.index,
      requestId,
      claimKey: m.claimKey,
      outputRoot: m.outputRoot,
      outputCid: m.outputCid,
      l2TxHash: at.l2TxHash,
      leafIndex: p.leafIndex,
      leafCount: p.leafCount,
      proof: p.proof,
    };
  }

  private async rebuild(batch: PostedBatch): Promise<BatchData> {
    const blocks: Block[] = [];
    for (let n = batch.firstBlock; n <= batch.lastBlock; n++) {
      const b = await this.node.block(n);
      if (!b) throw new Error(`block ${n} missing from the store`);
      blocks.push(b);
    }
    return buildBatch(blocks);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.postOnce().catch((err) =>
        this.logger?.error({ err: (err as Error).message }, "batch posting failed"),
      );
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.posting?.catch(() => {});
  }
}
