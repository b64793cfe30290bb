/**
 * Rebuild L2 state from L1 alone: take the batches the Bridge holds, in index order, each with the
 * data its postBatch carried (sequencer/batch-data.ts), and re-execute every block from genesis
 * through the same state machine the sequencer runs (Chain.applyBlock). For every batch the
 * replayer says whether what the batch commits (data hash, block range, state root, message root)
 * is what its own data re-executes to. Pure: no I/O (sequencer/l1-batches.ts reads L1).
 *
 * What it checks per batch, first failure wins:
 *   - batchDataHash(txData) = the batch's txDataHash (the Bridge already refuses others; checked
 *     anyway);
 *   - the data decodes and holds exactly blocks firstBlock..lastBlock, following the last batch;
 *   - each block re-executes (signed by the genesis sequencer, parent link, every tx applies, tx,
 *     state and message roots equal its header's);
 *   - the batch's stateRoot = the state root after lastBlock, recomputed here;
 *   - the batch's withdrawalRoot = the message root over the re-executed receipts (buildBatch);
 *   - when the batch comes with the inbox messages it consumed (`inbox`, read from L1): the derived
 *     txs of its blocks that consume inbox messages (deposit, forcedTx) are exactly those messages,
 *     in inbox order (a deposit's id, recipient and amount; a forced tx's sender and bytes), each
 *     in the block that derived it (the first whose L1 origin reaches the message's L1 block).
 *     A forced tx is in the block whatever its bytes hold; the state machine runs it or finds it
 *     invalid there (sequencer/state/machine.ts). The batch challenge proves the same on L1
 *     through the inbox hash in its step commitments (docs/rollup.md 8c).
 * The first bad batch stops the replay: every later batch builds on a state now in question.
 *
 * Not checked yet (docs/rollup.md 8b): L1 inference requests, stake changes and dispute events (not in the
 * inbox).
 */
import { fromHex, toHex } from "../protocol/bytes.ts";
import { ZERO32 } from "../protocol/merkle.ts";
import { decodeTx, type Hex, type Tx } from "../protocol/tx.ts";
import { buildBatch } from "./batch.ts";
import { batchDataHash, decodeBatchData } from "./batch-data.ts";
import type { Block } from "./block.ts";
import { Chain, type GenesisConfig } from "./chain.ts";
import { disputeTxOnOtherJob, disputeTxUnbacked, type L1Dispute } from "./fault-proof/dispute-events.ts";
import {
  INBOX_MODEL,
  INBOX_REQUEST,
  inboxHashAfter,
  inboxMessageHash,
  lastTimeAfter,
  txBytes,
} from "./fault-proof/encoding.ts";

/** One message of the Bridge's inbox, as its L1 logs tell it. */
export type InboxMessage =
  | { index: number; l1Block: number; kind: "deposit"; depositId: bigint; recipient: Hex; amount: bigint }
  | { index: number; l1Block: number; kind: "forced"; sender: Hex; signedL2Tx: Hex }
  /** A model, an L1 request or a queued stake change: checked by its message hash (InboxQueued). */
  | { index: number; l1Block: number; kind: "l1Event"; inboxKind: number; messageHash: Hex };

/** A batch as the Bridge holds it, with the data its postBatch tx carried. */
export interface L1BatchWithData {
  /** The inbox messages this batch consumed (its inboxCount range); absent: not checked. */
  inbox?: InboxMessage[];
  index: number;
  firstBlock: number;
  lastBlock: number;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  txData: Uint8Array;
  /** The inbox hash the Bridge recorded for the batch (8c's C_n carries it); absent: not known. */
  inboxHash?: Hex;
  /** The last timed tx's block time (ms) postBatch stated (8c's C_n carries it); absent: not checked. */
  lastTime?: number;
  /**
   * L1's dispute (DisputeGame.getDispute, with its DisputeOpened log's jobId and the claim its
   * opening tx carried; null: the game has none) for every dispute id the batch's disputeOpened /
   * disputeResolved txs name; absent: not checked.
   */
  disputes?: Map<bigint, L1Dispute | null>;
}

export type BatchVerdict =
  | { index: number; ok: true; stateRoot: Hex; withdrawalRoot: Hex; blocks: number; txs: number }
  | { index: number; ok: false; reason: string };

export class BatchReplayer {
  readonly chain: Chain;
  private readonly sequencer: GenesisConfig["sequencer"];
  /** Index of the next batch expected; null once a bad batch stopped the replay. */
  private next: number | null = 0;
  /** Verdict of every batch replayed so far, by index. */
  readonly verdicts: BatchVerdict[] = [];
  /** The L1 inbox hash after the derived txs of every block replayed so far (8c's C_k carries it). */
  inboxHash: Hex = toHex(ZERO32);
  /** The block time of the last timed tx replayed so far (8c's C_k carries it; 0 before any). */
  lastTime = 0;

  constructor(genesis: GenesisConfig) {
    this.chain = new Chain(genesis);
    this.chain.initGenesis();
    this.sequencer = genesis.sequencer;
  }

  /** The first bad batch, if any. */
  get firstBad(): Extract<BatchVerdict, { ok: false }> | null {
    const bad = this.verdicts.find((v) => !v.ok);
    return (bad as Extract<BatchVerdict, { ok: false }>) ?? null;
  }

  get stateRoot(): Hex {
    return toHex(this.chain.tree.rootHash());
  }

  get headNumber(): number {
    return this.chain.head.number;
  }

  /** Replay the next batch. Batches must come in index order; after a bad one nothing more runs. */
  apply(batch: L1BatchWithData): BatchVerdict {
    if (this.next === null) throw new Error(`replay stopped at bad batch ${this.firstBad?.index}`);
    if (batch.index !== this.next) throw new Error(`expected batch ${this.next}, got ${batch.index}`);
    const verdict = this.check(batch);
    this.verdicts.push(verdict);
    this.next = verdict.ok ? this.next + 1 : null;
    return verdict;
  }

  private check(b: L1BatchWithData): BatchVerdict {
    const bad = (reason: string): BatchVerdict => ({ index: b.index, ok: false, reason });
    const dataHash = batchDataHash(b.txData);
    if (dataHash !== b.txDataHash.toLowerCase())
      return bad(`data hashes to ${dataHash}, the batch commits ${b.txDataHash}`);
    let blocks: ReturnType<typeof decodeBatchData>;
    try {
      blocks = decodeBatchData(b.txData);
    } catch (e) {
      return bad((e as Error).message);
    }
    const expectedFirst = this.chain.head.number + 1;
    if (b.firstBlock !== expectedFirst)
      return bad(`starts at block ${b.firstBlock}, the chain rebuilt so far ends at ${expectedFirst - 1}`);
    if (blocks.length !== b.lastBlock - b.firstBlock + 1)
      return bad(`commits blocks ${b.firstBlock}..${b.lastBlock} but carries ${blocks.length}`);
    const applied: Block[] = [];
    let txs = 0;
    const inbox = [...(b.inbox ?? [])];
    for (const [i, blk] of blocks.entries()) {
      if (blk.header.number !== b.firstBlock + i)
        return bad(`block ${i} of the data is number ${blk.header.number}, expected ${b.firstBlock + i}`);
      try {
        applied.push(
          this.chain.applyBlock({ header: blk.header, txs: blk.txs, receipts: [] }, this.sequencer).block,
        );
      } catch (e) {
        return bad(`re-execution: ${(e as Error).message}`);
      }
      txs += blk.txs.length;
      for (const [k, json] of blk.txs.entries()) {
        const next = lastTimeAfter(this.lastTime, txBytes(decodeTx(json), blk.header.timestamp));
        if (next === null)
          return bad(
            `tx ${k} of block ${blk.header.number} is stamped ${blk.header.timestamp}, before the last timed tx's ${this.lastTime}`,
          );
        this.lastTime = next;
      }
      this.inboxHash = toHex(
        inboxHashAfter(
          fromHex(this.inboxHash),
          blk.txs.map((j) => decodeTx(j)),
        ),
      );
      if (b.inbox) {
        const wrong = checkDerived(blk.header, applied[applied.length - 1], inbox);
        if (wrong) return bad(wrong);
      }
      if (b.disputes) {
        const wrong = checkDisputes(
          blk.header.number,
          blk.txs.map((j) => decodeTx(j)),
          b.disputes,
        );
        if (wrong) return bad(wrong);
      }
    }
    if (inbox.length) return bad(`${describe(inbox[0])} is counted but no block of the batch derived it`);
    const stateRoot = this.stateRoot;
    if (stateRoot !== b.stateRoot.toLowerCase())
      return bad(`state root after block ${b.lastBlock} is ${stateRoot}, the batch commits ${b.stateRoot}`);
    const withdrawalRoot = buildBatch(applied).withdrawalRoot;
    if (withdrawalRoot !== b.withdrawalRoot.toLowerCase())
      return bad(`message root is ${withdrawalRoot}, the batch commits ${b.withdrawalRoot}`);
    if (b.lastTime !== undefined && b.lastTime !== this.lastTime)
      return bad(`states last time ${b.lastTime}, its timed txs end at ${this.lastTime}`);
    return { index: b.index, ok: true, stateRoot, withdrawalRoot, blocks: blocks.length, txs };
  }
}

/**
 * The dispute event txs of a block against the disputes L1 stores (what their one-step checks
 * first, docs/rollup.md 8c): a made-up one, another outcome, a resolution of a running dispute;
 * and a real one moved onto another job than its DisputeOpened log names (when the reader read it).
 * Returns what is wrong, or null. (A dropped or reordered one is not seen: L1 counts no events.)
 */
function checkDisputes(block: number, txs: Tx[], disputes: Map<bigint, L1Dispute | null>): string | null {
  for (const tx of txs) {
    if (tx.type !== "disputeOpened" && tx.type !== "disputeResolved") continue;
    const d = disputes.get(tx.disputeId) ?? null;
    const why = disputeTxUnbacked(tx, d);
    if (why)
      return `block ${block} derives ${tx.type} of dispute ${tx.disputeId}, which L1 does not back: ${why}`;
    const moved = disputeTxOnOtherJob(tx, d);
    if (moved) return `block ${block} ${moved}`;
  }
  return null;
}

/** The dispute ids a batch's txs name (what a reader fetches for `L1BatchWithData.disputes`). */
export function disputeIdsOf(blocks: readonly { txs: readonly unknown[] }[]): bigint[] {
  const ids = new Set<bigint>();
  for (const b of blocks)
    for (const j of b.txs) {
      const tx = decodeTx(j as Parameters<typeof decodeTx>[0]);
      if (tx.type === "disputeOpened" || tx.type === "disputeResolved") ids.add(tx.disputeId);
    }
  return [...ids];
}

function describe(m: InboxMessage): string {
  if (m.kind === "deposit") return `deposit ${m.depositId} (inbox ${m.index})`;
  if (m.kind === "forced") return `forced tx at inbox ${m.index}`;
  const what =
    m.inboxKind === INBOX_MODEL ? "model" : m.inboxKind === INBOX_REQUEST ? "L1 request" : "stake change";
  return `${what} at inbox ${m.index} (message ${m.messageHash})`;
}

function detail(m: InboxMessage): string {
  if (m.kind === "deposit") return ` to ${m.recipient} (${m.amount})`;
  if (m.kind === "forced") return ` from ${m.sender}`;
  return "";
}

/**
 * The inbox messages block `block` derived: its deposit and forcedTx txs must be the next counted
 * messages, in order, and every counted message whose L1 block its origin reaches must be among
 * them. Takes the messages it settles off `inbox`. Returns what is wrong, or null.
 */
function checkDerived(header: Block["header"], block: Block, inbox: InboxMessage[]): string | null {
  for (const json of block.txs) {
    const tx = decodeTx(json);
    // every derived tx that consumes an inbox message: deposit, forcedTx and the L1 events (a
    // slash's workerStake and the dispute events consume none)
    const message = inboxMessageHash(tx);
    if (!message) continue;
    const next = inbox.shift();
    const what =
      tx.type === "deposit"
        ? `deposit ${tx.depositId} to ${tx.recipient} (${tx.amount})`
        : tx.type === "forcedTx"
          ? `forced tx ${tx.inboxIndex} from ${tx.sender}`
          : `${tx.type} naming inbox ${"inboxIndex" in tx ? tx.inboxIndex : "?"} (message ${toHex(message)})`;
    if (!next)
      return `block ${header.number} derives ${what}, which no inbox message counted by the batch holds`;
    const same =
      tx.type === "deposit"
        ? next.kind === "deposit" &&
          next.depositId === tx.depositId &&
          next.recipient.toLowerCase() === tx.recipient &&
          next.amount === tx.amount
        : tx.type === "forcedTx"
          ? next.kind === "forced" &&
            BigInt(next.index) === tx.inboxIndex &&
            next.sender.toLowerCase() === tx.sender &&
            next.signedL2Tx.toLowerCase() === tx.data
          : next.kind === "l1Event" &&
            "inboxIndex" in tx &&
            BigInt(next.index) === tx.inboxIndex &&
            next.messageHash.toLowerCase() === toHex(message);
    if (!same)
      return `block ${header.number} derives ${what} where the next inbox message is ${describe(next)}${detail(next)}`;
  }
  if (inbox.length && inbox[0].l1Block <= header.l1OriginNumber)
    return `${describe(inbox[0])} is in L1 block ${inbox[0].l1Block}, which block ${header.number} derived (origin ${header.l1OriginNumber}), but no tx of it consumes the message`;
  return null;
}
