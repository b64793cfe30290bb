/**
 * Batches to the L1 bridge (`Bridge.postBatch(firstBlock, lastBlock, stateRoot, withdrawalRoot,
 * txDataHash, cid)`) and withdrawal proofs against them. buildBatch is pure; the Batcher posts
 * contiguous block ranges through an injected BatchPoster (bridge/bridge.ts BridgeContract fits)
 * and records what it posted in the node's level store (`bt/<index>`).
 *
 *   stateRoot      = state root of lastBlock
 *   withdrawalRoot = protocol/withdrawal.ts root over the range's withdrawals, block then tx order
 *   txData         = utf8(JSON.stringify({ blocks: [{ header, txs }, ...] }))
 *   txDataHash     = sha256(txData); cid = CIDv1 of txData (injected `cidOf`)
 */
import type { Logger } from "pino";
import { toHex } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import type { Hex } from "../protocol/tx.ts";
import { type Withdrawal, WithdrawalTree } from "../protocol/withdrawal.ts";
import type { Block } from "./block.ts";
import type { SequencerNode } from "./node.ts";

export interface BatchData {
  firstBlock: number;
  lastBlock: number;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  txData: Uint8Array;
  withdrawals: Withdrawal[];
}

export function buildBatch(blocks: readonly Block[]): BatchData {
  if (blocks.length === 0) throw new Error("a batch needs at least one block");
  blocks.forEach((b, i) => {
    if (i > 0 && b.header.number !== blocks[i - 1].header.number + 1)
      throw new Error(`batch blocks not contiguous: ${blocks[i - 1].header.number} then ${b.header.number}`);
  });
  const withdrawals: Withdrawal[] = [];
  for (const b of blocks)
    for (const r of b.receipts)
      if (r.withdrawal)
        withdrawals.push({
          recipient: r.withdrawal.recipient,
          amount: BigInt(r.withdrawal.amount),
          l2TxHash: r.txHash,
        });
  const txData = new TextEncoder().encode(
    JSON.stringify({ blocks: blocks.map((b) => ({ header: b.header, txs: b.txs })) }),
  );
  const last = blocks[blocks.length - 1].header;
  return {
    firstBlock: blocks[0].header.number,
    lastBlock: last.number,
    stateRoot: last.stateRoot,
    withdrawalRoot: new WithdrawalTree(withdrawals).rootHex,
    txDataHash: toHex(sha256(txData)),
    txData,
    withdrawals,
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

const batchKey = (i: number) => `bt/${i.toString().padStart(10, "0")}`;

export class Batcher {
  private readonly node: SequencerNode;
  private readonly poster: BatchPoster;
  private readonly cidOf: (data: Uint8Array) => Promise<Hex>;
  private readonly maxBlocks: number;
  private readonly logger?: Logger;
  private timer: NodeJS.Timeout | null = null;
  private posting: Promise<PostedBatch | null> | null = null;

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
    const blocks: Block[] = [];
    for (let n = batch.firstBlock; n <= batch.lastBlock; n++)
      blocks.push((await this.node.block(n)) as Block);
    const data = buildBatch(blocks);
    const i = data.withdrawals.findIndex((w) => w.l2TxHash === l2TxHash);
    const p = new WithdrawalTree(data.withdrawals).proof(i);
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
