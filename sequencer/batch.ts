/**
 * Batches to the L1 bridge (`Bridge.postBatch(firstBlock, lastBlock, stateRoot, withdrawalRoot,
 * txDataHash, cid)`) and withdrawal proofs against them. buildBatch is pure; the Batcher posts
 * contiguous block ranges through an injected BatchPoster (bridge/bridge.ts BridgeContract fits)
 * and records what it posted in the node's level store (`bt/<index>`).
 *
 * Confirmation (when given a BatchL1View, sequencer/batch-l1.ts): a batch is recorded as `sent`
 * before its postBatch tx goes out, and becomes `confirmed` only once the Bridge holds it, with
 * the same roots, in the state of the block `confirmations` below the L1 head. Until then no
 * further batch is posted. If the Bridge does not hold it at the head (the tx failed, reverted, or
 * a reorg dropped it) and L1 does not still have the tx waiting, the same range is posted again
 * under the same index. That is idempotent: Bridge.postBatch only takes the block right after the
 * previous batch's last block, so a second copy of a batch that did land reverts
 * (NonContiguousBatch) and the next check finds the first. Proofs are served only against
 * confirmed batches.
 *
 *   stateRoot      = state root of lastBlock
 *   withdrawalRoot = protocol/withdrawal.ts message root over the range's L2 -> L1 messages
 *                    (withdrawals and L1 request results), block then tx order
 *   txData         = sequencer/batch-data.ts encoding of the blocks' txs (binary tx bytes, from
 *                    which the Bridge computes the batch's txRoot) and headers, posted as calldata
 *   txDataHash     = batchDataHash(txData) = sha256(txData) (the Bridge refuses data that does
 *                    not hash to it); txRoot = batchDataTxRoot(txData) (what the Bridge records);
 *                    cid = CIDv1 of txData (injected `cidOf`)
 */
import type { Logger } from "pino";
import { fromHex, toHex } from "../protocol/bytes.ts";
import type { Eip712Domain } from "../protocol/eip712.ts";
import { ZERO32 } from "../protocol/merkle.ts";
import { type ClaimMsg, decodeTx, type Hex } from "../protocol/tx.ts";
import {
  type L2Message,
  MessageTree,
  messageLeaf,
  type ResultMessage,
  txMessages,
  type Withdrawal,
} from "../protocol/withdrawal.ts";
import { batchDataHash, batchDataTxRoot, encodeBatchData } from "./batch-data.ts";
import {
  type ForgedResult,
  faultyRoots,
  forgedResult,
  lyingAnswers,
  type SequencerFaultMode,
} from "./batch-faults.ts";
import type { Block } from "./block.ts";
import { Chain } from "./chain.ts";
import {
  inboxHashAfter,
  lastTimeAfter,
  messageChainOf,
  stepCommitment,
  txBytes,
} from "./fault-proof/encoding.ts";
import { replayBatch } from "./fault-proof/steps.ts";
import type { SequencerNode } from "./node.ts";
import { keys } from "./state/records.ts";

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
  const txData = encodeBatchData(blocks);
  const last = blocks[blocks.length - 1].header;
  return {
    firstBlock: blocks[0].header.number,
    lastBlock: last.number,
    stateRoot: last.stateRoot,
    withdrawalRoot: new MessageTree(messages).rootHex,
    txDataHash: batchDataHash(txData),
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
    /** The batch data (sequencer/batch-data.ts), carried as calldata; batchDataHash(txData) = txDataHash. */
    txData: Hex;
    /** Inbox messages (deposits, forced txs) the batch's blocks derived, counted from the first. */
    inboxCount: bigint;
  }): Promise<{ batchIndex: bigint; txHash?: Hex }>;
}

/** The Bridge as the Batcher reads it back (sequencer/batch-l1.ts implements it over viem). */
export interface BatchL1View {
  /** Latest L1 block number. */
  blockNumber(): Promise<bigint>;
  /** Bridge.batchCount() in the state after block `at` (latest when absent). */
  batchCount(at?: bigint): Promise<bigint>;
  /**
   * Bridge.inboxLength() in the state after L1 block `at`: the inbox messages a block with that L1
   * origin has derived (0 before the Bridge existed).
   */
  inboxLength?(at: bigint): Promise<bigint>;
  /** Bridge.getBatch(index) in the state after block `at` (latest when absent). */
  getBatch(index: bigint, at?: bigint): Promise<L1Batch>;
  /** The latest L1 block's timestamp (s): a batch is posted only once it reaches the batch's lastTime. */
  headTime?(): Promise<bigint>;
  /** True while L1 has tx `hash` waiting to be mined next (a reposting would race it). */
  isPending(hash: Hex): Promise<boolean>;
  /**
   * Forget a sender nonce counted locally: after a reorg dropped the batch tx, a nonce counter
   * that only goes up would give the repost a nonce L1 cannot mine until the gap fills.
   */
  resetNonce?(): void;
}

/**
 * The sequencer's bond in the Bridge's batch challenge (docs/rollup.md 8c): postBatch is refused
 * while it is below the required amount. bridge/batch-challenge.ts implements it over viem.
 */
export interface SequencerBond {
  /** The bond held and the bond postBatch needs; null when the Bridge has no batch challenge. */
  status(): Promise<{ balance: bigint; required: bigint } | null>;
  /** Adds `amount` wei to the bond (from the sequencer's L1 account). */
  deposit(amount: bigint): Promise<void>;
}

/** What the sequencer reveals in a batch challenge: the batch's message leaves and every C_k. */
export interface ChallengeAnswers {
  messageLeaves: Hex[];
  commitments: Hex[];
  txRoot: Hex;
}

export interface L1Batch {
  /** Absent from views of Bridges older than the inbox. */
  inboxCount?: bigint;
  /** The last timed tx's block time (ms) the batch stated; absent from views of older Bridges. */
  lastTime?: bigint;
  firstBlock: bigint;
  lastBlock: bigint;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  /** Computed by the Bridge over the data's tx section (batch-data.ts batchDataTxRoot). */
  txRoot: Hex;
  /** sha256 of the batch data, from its BatchPosted event; absent: not read. */
  txDataHash?: Hex;
}

export interface PostedBatch {
  index: number;
  /** `sent`: postBatch sent (or about to be), not yet `confirmations` deep on L1. Absent in old records: confirmed. */
  status?: "sent" | "confirmed";
  /** How many times postBatch was sent for it (more than 1 after a drop or a failure). */
  posts?: number;
  firstBlock: number;
  lastBlock: number;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  /** The txRoot the Bridge computes from the data (absent in old records: not compared). */
  txRoot?: Hex;
  cid: Hex;
  /** Inbox messages consumed through this batch (absent in old records: 0). */
  inboxCount?: number;
  /** Block time (ms) of the last timed tx through this batch (lastTimeThrough; absent in old records: 0). */
  lastTime?: number;
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

/**
 * A test-only lying batcher (sequencer/batch-faults.ts). forge-result signs its forged claim with
 * `sequencerKey` in `claimDomain`.
 */
export interface BatchFault {
  mode: SequencerFaultMode;
  sequencer: Hex;
  sequencerKey?: Uint8Array;
  claimDomain?: Eip712Domain;
}

/**
 * What Bridge.deliverResult takes for L1 request `requestId`, but for the claim's place in its
 * batch's claims tree (GET /v1/claims/:claimKey/proof): the result leaf with its proof and the
 * worker's signed claim it names (the Bridge checks claimKey = claimDigest(claim) itself).
 */
export interface ResultProofReply {
  batchIndex: number;
  requestId: string;
  claimKey: Hex;
  outputRoot: Hex;
  outputCid: Hex;
  /** The paid job's claim as the worker signed it, and its signature. */
  claim: ClaimMsg;
  claimSignature: Hex;
  /** The L2 tx that finalized the job and sent the result. */
  l2TxHash: Hex;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

const batchKey = (i: number) => `bt/${i.toString().padStart(10, "0")}`;

const isConfirmed = (b: PostedBatch) => b.status === undefined || b.status === "confirmed";

/** How far (ms) L1's head time may lag a batch's last block time before the batcher warns. */
const L1_CLOCK_LAG_WARN_MS = 30_000;

/**
 * The block time of the last timed tx through `blocks` (docs/rollup.md 8c), from `lastTime`, the
 * one before them: what postBatch states and the batch's C_n carries. Throws on a timed tx stamped
 * before it (a node's own blocks never are: block timestamps only go up).
 */
export function lastTimeThrough(lastTime: number, blocks: readonly Pick<Block, "header" | "txs">[]): number {
  let t = lastTime;
  for (const b of blocks)
    for (const json of b.txs) {
      const next = lastTimeAfter(t, txBytes(decodeTx(json), b.header.timestamp));
      if (next === null)
        throw new Error(`block ${b.header.number} is stamped before the last timed tx (${t})`);
      t = next;
    }
  return t;
}

function batchArgs(rec: PostedBatch, txData: Uint8Array) {
  return {
    txData: toHex(txData),
    inboxCount: BigInt(rec.inboxCount ?? 0),
    lastTime: BigInt(rec.lastTime ?? 0),
    firstBlock: BigInt(rec.firstBlock),
    lastBlock: BigInt(rec.lastBlock),
    stateRoot: rec.stateRoot,
    withdrawalRoot: rec.withdrawalRoot,
    txDataHash: rec.txDataHash,
    cid: rec.cid,
  };
}

/** The first field in which L1's batch differs from ours, or null. */
function batchDiff(on: L1Batch, rec: PostedBatch): string | null {
  if (Number(on.firstBlock) !== rec.firstBlock || Number(on.lastBlock) !== rec.lastBlock)
    return `blocks ${on.firstBlock}..${on.lastBlock} on L1, ${rec.firstBlock}..${rec.lastBlock} here`;
  for (const k of ["stateRoot", "withdrawalRoot"] as const)
    if (on[k].toLowerCase() !== rec[k].toLowerCase()) return `${k} ${on[k]} on L1, ${rec[k]} here`;
  if (rec.txRoot && on.txRoot.toLowerCase() !== rec.txRoot.toLowerCase())
    return `txRoot ${on.txRoot} on L1, ${rec.txRoot} here`;
  // the same txs in other blocks (other headers) are another batch: its body is not this node's
  if (on.txDataHash && on.txDataHash.toLowerCase() !== rec.txDataHash.toLowerCase())
    return `txDataHash ${on.txDataHash} on L1, ${rec.txDataHash} here`;
  if (on.lastTime !== undefined && Number(on.lastTime) !== (rec.lastTime ?? 0))
    return `lastTime ${on.lastTime} on L1, ${rec.lastTime ?? 0} here`;
  return null;
}

export class Batcher {
  private readonly node: SequencerNode;
  private readonly poster: BatchPoster;
  private readonly cidOf: (data: Uint8Array) => Promise<Hex>;
  private readonly maxBlocks: number;
  private readonly logger?: Logger;
  private timer: NodeJS.Timeout | null = null;
  private posting: Promise<PostedBatch | null> | null = null;
  /** L1 request id -> index of the posted batch holding its result, for batches scanned so far. */
  private readonly resultAt = new Map<string, { batchIndex: number; l2TxHash: Hex; jobId: string }>();
  private scannedBatches = 0;
  private readonly l1?: BatchL1View;
  private readonly confirmations: number;
  private readonly fault: BatchFault | null;
  /** forge-result: the lie told in each batch this process posted, by batch index. */
  private readonly forged = new Map<number, ForgedResult>();
  /** forge-result: L1 request 0's job once a posted batch derived it. */
  private request0: { jobId: Hex; modelId: Hex; inputRoot: Hex } | null = null;
  private readonly bond?: SequencerBond;
  private readonly onRemoved: (fromIndex: number) => void;
  /** The last block of the batch whose wait for L1's clock was already warned about. */
  private warnedLagFor = -1;
  /**
   * Test faults lie until L1 removes a batch of theirs (a challenge proved the lie): from then on
   * the batcher re-posts the honest chain, so a test sees the removal followed by honest batches.
   */
  private caught = false;

  constructor(
    node: SequencerNode,
    poster: BatchPoster,
    opts: {
      cidOf: (data: Uint8Array) => Promise<Hex>;
      maxBlocks?: number;
      logger?: Logger;
      /** Without it a batch counts as confirmed once postBatch returns. */
      l1?: BatchL1View;
      /** L1 blocks on top of the one holding a batch before it is confirmed (default 2). */
      confirmations?: number;
      /** Test only (sequencer/batch-faults.ts): commit lying roots; the caller checks the chain. */
      fault?: BatchFault | null;
      /** The bond postBatch needs (topped up to the required amount before each post). */
      bond?: SequencerBond;
      /** Called when L1 removed batches from this index on (a lost batch challenge). */
      onRemoved?: (fromIndex: number) => void;
    },
  ) {
    this.fault = opts.fault ?? null;
    this.bond = opts.bond;
    this.onRemoved = opts.onRemoved ?? (() => {});
    this.node = node;
    this.poster = poster;
    this.cidOf = opts.cidOf;
    this.maxBlocks = opts.maxBlocks ?? 1000;
    this.logger = opts.logger;
    this.l1 = opts.l1;
    this.confirmations = opts.confirmations ?? 2;
    if (!Number.isInteger(this.confirmations) || this.confirmations < 0)
      throw new RangeError(`confirmations must be a non-negative integer, got ${opts.confirmations}`);
  }

  /** Batches confirmed on L1 (all recorded ones when there is no L1 view). */
  async confirmed(): Promise<PostedBatch[]> {
    return (await this.posted()).filter(isConfirmed);
  }

  async posted(): Promise<PostedBatch[]> {
    const out: PostedBatch[] = [];
    for await (const v of this.node.store.db.values({ gt: "bt/", lt: "bt0" })) out.push(JSON.parse(v));
    return out;
  }

  /**
   * One step: confirm (or post again) the outstanding batch; once none is outstanding, post the
   * blocks after the last batch up to the head (at most maxBlocks). Returns the batch it sent, or
   * null when it sent none (nothing new, or waiting for confirmations).
   */
  postOnce(): Promise<PostedBatch | null> {
    if (!this.posting) this.posting = this.post().finally(() => (this.posting = null));
    return this.posting;
  }

  private async post(): Promise<PostedBatch | null> {
    let done = await this.posted();
    if (this.l1) {
      done = await this.dropRemoved(done, this.l1);
      await this.adopt(done, this.l1);
      for (const rec of done) {
        if (isConfirmed(rec)) continue;
        const state = await this.check(rec, this.l1);
        if (state === "waiting") return null;
        if (state === "missing") return this.send(rec);
        rec.status = "confirmed";
        await this.record(rec);
        this.logger?.info({ index: rec.index, posts: rec.posts }, "batch confirmed on L1");
      }
    }
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
    const lie = this.caught ? null : this.fault;
    const forged = lie?.mode === "forge-result" ? this.forgeResult(done.length, blocks) : undefined;
    const roots = lie
      ? faultyRoots(
          lie.mode,
          { stateRoot: data.stateRoot, messages: data.messages, batchIndex: done.length },
          lie.sequencer as `0x${string}`,
          forged,
        )
      : data;
    if (lie) this.logger?.warn({ fault: lie.mode, index: done.length }, "TEST FAULT: lying batch roots");
    const origin = blocks[blocks.length - 1].header.l1OriginNumber;
    // the blocks derived every inbox message L1 held at their origin (docs/rollup.md section 8)
    const inboxCount = this.l1?.inboxLength ? Number(await this.l1.inboxLength(BigInt(origin))) : 0;
    const lastTime = lastTimeThrough(prev?.lastTime ?? 0, blocks);
    // The Bridge refuses a lastTime above its block's time: wait until L1's head has reached it (a
    // slow L1 clock delays the batch, it never reverts it). Batches without timed txs never wait.
    const l1Time = this.l1?.headTime ? Number(await this.l1.headTime()) * 1000 : null;
    if (l1Time !== null && l1Time < lastTime) {
      this.logger?.debug({ lastTime, l1Time }, "waiting for L1 time to reach the batch's last block time");
      // An L1 that mines only when it gets a tx (automine) and is idle never gets there: say so once
      // a batch is that far behind, rather than wait in silence.
      if (lastTime - l1Time > L1_CLOCK_LAG_WARN_MS && this.warnedLagFor !== last) {
        this.warnedLagFor = last;
        this.logger?.warn(
          { lastTime, l1Time, lagMs: lastTime - l1Time },
          "L1's head time is far behind the batch's last block time: the batch waits for L1 blocks (an L1 that mines only on transactions must mine on an interval, e.g. `verdict l1 node --block-time 1`)",
        );
      }
      return null;
    }
    const rec: PostedBatch = {
      index: done.length,
      status: "sent",
      posts: 0,
      firstBlock: first,
      lastBlock: last,
      inboxCount,
      lastTime,
      stateRoot: roots.stateRoot,
      withdrawalRoot: roots.withdrawalRoot,
      txDataHash: data.txDataHash,
      txRoot: batchDataTxRoot(data.txData).txRoot,
      cid,
      l1TxHash: null,
    };
    if (!this.l1) {
      await this.ensureBond();
      const r = await this.poster.postBatch(batchArgs(rec, data.txData));
      rec.index = Number(r.batchIndex);
      rec.status = "confirmed";
      rec.posts = 1;
      rec.l1TxHash = r.txHash ?? null;
      await this.record(rec);
      this.logger?.info({ ...rec }, "batch posted");
      return rec;
    }
    // send() records it before the tx goes out: a crash after sending leaves a record to check
    return this.send(rec);
  }

  /**
   * Send postBatch for a recorded batch (first time or again) and record the tx. A batch the
   * Bridge refuses because it leaves an overdue inbox message out (its blocks' L1 origin is older
   * than the message) can never land as it is: its record is dropped, and the next step builds a
   * batch up to the head, whose later blocks derive the message. Returns null then.
   */
  private async send(rec: PostedBatch): Promise<PostedBatch | null> {
    rec.posts = (rec.posts ?? 0) + 1;
    if (rec.posts > 1) {
      this.l1?.resetNonce?.();
      this.logger?.warn(
        { index: rec.index, posts: rec.posts, previousTx: rec.l1TxHash },
        "batch not on L1 (failed, reverted or reorged out); posting it again",
      );
    }
    await this.record(rec);
    const data = await this.rebuild(rec);
    if (data.txDataHash !== rec.txDataHash)
      throw new Error(
        `batch ${rec.index}: its blocks now give data hash ${data.txDataHash}, not ${rec.txDataHash}`,
      );
    await this.ensureBond();
    let r: Awaited<ReturnType<BatchPoster["postBatch"]>>;
    try {
      r = await this.poster.postBatch(batchArgs(rec, data.txData));
    } catch (err) {
      if ((err as { errorName?: string }).errorName !== "InboxMessageOverdue") throw err;
      await this.node.store.db.del(batchKey(rec.index), { sync: true });
      this.logger?.warn(
        { index: rec.index, lastBlock: rec.lastBlock, inboxCount: rec.inboxCount },
        "batch refused: it leaves an overdue L1 inbox message out; dropped, the next one reaches further",
      );
      return null;
    }
    if (Number(r.batchIndex) !== rec.index)
      throw new Error(
        `L1 took batch ${rec.index} as index ${r.batchIndex}: the Bridge and this node disagree`,
      );
    rec.l1TxHash = r.txHash ?? null;
    await this.record(rec);
    this.logger?.info({ ...rec }, "batch posted");
    return rec;
  }

  /** Tops the sequencer's bond up to what postBatch needs (after a slash, or the first time). */
  private async ensureBond(): Promise<void> {
    const b = await this.bond?.status();
    if (!b || b.balance >= b.required) return;
    const amount = b.required - b.balance;
    this.logger?.warn(
      { balance: b.balance.toString(), amount: amount.toString() },
      "posting the sequencer bond",
    );
    await this.bond?.deposit(amount);
  }

  /**
   * Batches L1 no longer holds although this node confirmed them: a batch challenge proved one of
   * them (or an earlier one) wrong and the Bridge removed it with every later batch. Their records
   * are dropped, so the next step posts the blocks again from the first removed one (this node's
   * blocks: the honest chain; a test fault stops lying once caught). Returns the records kept.
   */
  private async dropRemoved(done: PostedBatch[], l1: BatchL1View): Promise<PostedBatch[]> {
    const count = Number(await l1.batchCount());
    if (!done.some((r) => r.index >= count && isConfirmed(r))) return done;
    for (const r of done)
      if (r.index >= count) await this.node.store.db.del(batchKey(r.index), { sync: true });
    this.resultAt.clear();
    this.scannedBatches = 0;
    // forge-result: the lies told under the removed indexes are gone with them
    for (const i of [...this.forged.keys()]) if (i >= count) this.forged.delete(i);
    if (this.fault && !this.caught) {
      this.caught = true;
      this.logger?.warn(
        { fault: this.fault.mode },
        "TEST FAULT: lie removed on L1; posting honest roots from now on",
      );
    }
    this.logger?.warn(
      { fromIndex: count, dropped: done.filter((r) => r.index >= count).map((r) => r.index) },
      "batches removed from L1 (a batch challenge proved one wrong); posting the chain again from there",
    );
    this.onRemoved(count);
    return done.filter((r) => r.index < count);
  }

  /**
   * What this node reveals when its batch `index` is challenged: the batch's message leaves and
   * every step commitment C_k from a replay of its own blocks (from genesis to the batch start,
   * then tx by tx, sequencer/fault-proof/steps.ts). Null when this node has no record of that
   * batch or the challenged data (its `txRoot`) is not its batch's. A test fault's lying batch is
   * defended with its lie (batch-faults.ts `lyingAnswers`).
   */
  async challengeAnswers(index: number, txRoot: Hex): Promise<ChallengeAnswers | null> {
    const rec = (await this.posted()).find((r) => r.index === index);
    if (!rec) return null;
    const genesis = this.node.chain.genesis;
    const chain = new Chain(genesis);
    chain.initGenesis();
    // the L1 inbox hash at the batch start: every inbox message the blocks before it derived
    let inbox: Uint8Array = ZERO32;
    let lastTime = 0;
    for (let n = 1; n < rec.firstBlock; n++) {
      const b = await this.node.block(n);
      if (!b) throw new Error(`block ${n} missing from the store`);
      chain.applyBlock({ header: b.header, txs: b.txs, receipts: [] }, genesis.sequencer);
      inbox = inboxHashAfter(
        inbox,
        b.txs.map((j) => decodeTx(j)),
      );
      lastTime = lastTimeThrough(lastTime, [b]);
    }
    const blocks: Block[] = [];
    for (let n = rec.firstBlock; n <= rec.lastBlock; n++) {
      const b = await this.node.block(n);
      if (!b) throw new Error(`block ${n} missing from the store`);
      blocks.push(b);
    }
    const truth = replayBatch(genesis, { state: chain.state.map, inboxHash: toHex(inbox), lastTime }, blocks);
    if (truth.txRoot !== txRoot.toLowerCase()) return null;
    const data = buildBatch(blocks);
    if (rec.stateRoot === data.stateRoot && rec.withdrawalRoot === data.withdrawalRoot) {
      const claimed = stepCommitment(
        fromHex(rec.stateRoot),
        messageChainOf(truth.messageLeaves.map(fromHex)),
        fromHex(truth.finalInboxHash),
        rec.lastTime ?? 0,
      );
      if (claimed !== truth.commitments[truth.txCount])
        throw new Error(`batch ${index}: the replay of its blocks does not reach its own roots`);
      return { messageLeaves: truth.messageLeaves, commitments: truth.commitments, txRoot: truth.txRoot };
    }
    if (!this.fault) throw new Error(`batch ${index}: its record's roots are not its blocks'`);
    const lie = faultyRoots(
      this.fault.mode,
      { stateRoot: data.stateRoot, messages: data.messages, batchIndex: index },
      this.fault.sequencer as `0x${string}`,
      this.forged.get(index),
    );
    const leaves = lie.messages.map(messageLeaf);
    // a lying batch still counts the inbox honestly (the Bridge records its inbox hash) and states
    // its last time honestly
    const claimedFinal = stepCommitment(
      fromHex(rec.stateRoot),
      messageChainOf(leaves),
      fromHex(truth.finalInboxHash),
      rec.lastTime ?? 0,
    );
    return { ...lyingAnswers(truth, claimedFinal, leaves.map(toHex)), txRoot: truth.txRoot };
  }

  private async record(rec: PostedBatch): Promise<void> {
    await this.node.store.db.put(batchKey(rec.index), JSON.stringify(rec), { sync: true });
  }

  /**
   * Where the outstanding batch stands on L1: confirmed (held `confirmations` blocks deep),
   * waiting (held at the head only, or its tx still waits to be mined), or missing.
   */
  private async check(rec: PostedBatch, l1: BatchL1View): Promise<"confirmed" | "waiting" | "missing"> {
    const head = await l1.blockNumber();
    const i = BigInt(rec.index);
    if ((await l1.batchCount()) <= i) {
      if (rec.l1TxHash && (await l1.isPending(rec.l1TxHash))) return "waiting";
      return "missing";
    }
    const onHead = await l1.getBatch(i);
    const diff = batchDiff(onHead, rec);
    if (diff) throw new Error(`L1 batch ${rec.index} is not the one this node posted: ${diff}`);
    const deep = head - BigInt(this.confirmations);
    if (deep < 0n || (await l1.batchCount(deep)) <= i) return "waiting";
    return batchDiff(await l1.getBatch(i, deep), rec) ? "waiting" : "confirmed";
  }

  /**
   * Batches L1 holds that this node has no record of (a crash between sending and recording, by
   * code from before records were written first): taken over when they are this node's blocks.
   */
  private async adopt(done: PostedBatch[], l1: BatchL1View): Promise<void> {
    const count = Number(await l1.batchCount());
    for (let i = done.length; i < count; i++) {
      const on = await l1.getBatch(BigInt(i));
      const first = Number(on.firstBlock);
      const last = Number(on.lastBlock);
      const prev = done[done.length - 1];
      const blocks: Block[] = [];
      for (let n = first; n <= last && n <= this.node.chain.head.number; n++) {
        const b = await this.node.block(n);
        if (b) blocks.push(b);
      }
      const data = blocks.length === last - first + 1 ? buildBatch(blocks) : null;
      const rec: PostedBatch | null = data && {
        index: i,
        status: "sent",
        posts: 1,
        firstBlock: first,
        lastBlock: last,
        stateRoot: data.stateRoot,
        withdrawalRoot: data.withdrawalRoot,
        txDataHash: data.txDataHash,
        txRoot: batchDataTxRoot(data.txData).txRoot,
        cid: await this.cidOf(data.txData),
        inboxCount: Number(on.inboxCount ?? 0n),
        lastTime: lastTimeThrough(prev?.lastTime ?? 0, blocks),
        l1TxHash: null,
      };
      const diff = rec ? batchDiff(on, rec) : `this node has no blocks ${first}..${last}`;
      if (diff || (prev && prev.lastBlock + 1 !== first))
        throw new Error(`L1 holds batch ${i}, which this node did not post: ${diff ?? "not contiguous"}`);
      await this.record(rec as PostedBatch);
      done.push(rec as PostedBatch);
      this.logger?.warn({ index: i }, "found a batch on L1 this node had not recorded; adopted it");
    }
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
    if (!isConfirmed(batch))
      return {
        error: `block ${bn} is in batch ${batch.index}, posted to L1 but not confirmed yet (${this.confirmations} confirmations)`,
      };
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
  /** forge-result: the claim it signs for batch `index`, about request 0 once L2 derived it. */
  private forgeResult(index: number, blocks: readonly Block[]): ForgedResult {
    const f = this.fault as BatchFault;
    if (!f.sequencerKey || !f.claimDomain)
      throw new Error("forge-result needs the sequencer key and claim domain");
    for (const b of blocks)
      for (const r of b.receipts)
        for (const e of r.events)
          if (!this.request0 && e.kind === "JobPosted" && e.l1RequestId === "0") {
            const job = this.node.record(keys.job(String(e.jobId))) as { modelId: Hex; inputRoot: Hex };
            this.request0 = { jobId: e.jobId as Hex, modelId: job.modelId, inputRoot: job.inputRoot };
          }
    const forged = forgedResult(index, f.sequencerKey, f.claimDomain, this.request0);
    this.forged.set(index, forged);
    return forged;
  }

  /** forge-result: the claim keys it adds to batch `index`'s claims tree (none when honest). */
  forgedClaimKeys(index: number): Hex[] {
    const f = this.forged.get(index);
    return f ? [f.message.claimKey] : [];
  }

  /**
   * forge-result: request 0's forged result in the oldest confirmed batch whose lie is about
   * request 0's real job (the oldest lie at all before L2 derived it): a stable answer, so a
   * relayer can wait out that claim's window while newer batches keep coming.
   */
  private async forgedProof(posted: PostedBatch[]): Promise<ResultProofReply | null> {
    const lies = posted.filter((b) => this.forged.has(b.index));
    const batch = lies.find((b) => this.forged.get(b.index)?.claim.jobId === this.request0?.jobId) ?? lies[0];
    if (!batch) return null;
    const f = this.forged.get(batch.index) as ForgedResult;
    const messages = [...(await this.rebuild(batch)).messages, f.message];
    const p = new MessageTree(messages).proof(messages.length - 1);
    return {
      batchIndex: batch.index,
      requestId: "0",
      claimKey: f.message.claimKey,
      outputRoot: f.message.outputRoot,
      outputCid: f.message.outputCid,
      claim: f.claim,
      claimSignature: f.claimSignature,
      l2TxHash: `0x${"00".repeat(32)}`,
      leafIndex: p.leafIndex,
      leafCount: p.leafCount,
      proof: p.proof,
    };
  }

  async resultProof(requestId: string): Promise<ResultProofReply | { error: string }> {
    if (!/^(0|[1-9][0-9]{0,77})$/.test(requestId)) return { error: "requestId must be a decimal integer" };
    const posted = await this.confirmed();
    if (this.fault?.mode === "forge-result" && requestId === "0") {
      const lie = await this.forgedProof(posted);
      if (lie) return lie;
    }
    for (; this.scannedBatches < posted.length; this.scannedBatches++) {
      const b = posted[this.scannedBatches];
      for (let n = b.firstBlock; n <= b.lastBlock; n++) {
        const block = await this.node.block(n);
        if (!block) throw new Error(`block ${n} missing from the store`);
        block.receipts.forEach((r, i) => {
          // Only `finalize` pays a job (and so sends a result): the tx names the job.
          if (r.result)
            this.resultAt.set(r.result.requestId, {
              batchIndex: b.index,
              l2TxHash: r.txHash,
              jobId: String(block.txs[i].jobId),
            });
        });
      }
    }
    const at = this.resultAt.get(requestId);
    if (!at) return { error: `no result for request ${requestId} in a posted batch yet` };
    const batch = posted.find((b) => b.index === at.batchIndex) as PostedBatch;
    const data = await this.rebuild(batch);
    const i = data.messages.findIndex((m) => m.kind === "result" && m.requestId.toString() === requestId);
    const m = data.messages[i] as ResultMessage;
    const p = new MessageTree(data.messages).proof(i);
    const job = this.node.record(keys.job(at.jobId)) as { claim: ClaimMsg; claimSignature: Hex } | null;
    if (!job?.claim) throw new Error(`job ${at.jobId} of request ${requestId} holds no claim`);
    return {
      batchIndex: batch.index,
      requestId,
      claimKey: m.claimKey,
      outputRoot: m.outputRoot,
      outputCid: m.outputCid,
      claim: job.claim,
      claimSignature: job.claimSignature,
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
