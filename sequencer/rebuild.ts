/**
 * Rebuild L2 state from L1 alone: take the batches the Bridge holds, in index order, each with the
 * data its postBatch carried (sequencer/batch-data.ts), and re-execute every block from genesis
 * through the same state machine the sequencer runs (Chain.applyBlock). For every batch the
 * replayer says whether what the batch commits (data hash, block range, state root, message root)
 * is what its own data re-executes to. Pure: no I/O (sequencer/l1-batches.ts reads L1).
 *
 * What it checks per batch, first failure wins:
 *   - sha256(txData) = the batch's txDataHash (the Bridge already refuses others; checked anyway);
 *   - the data decodes and holds exactly blocks firstBlock..lastBlock, following the last batch;
 *   - each block re-executes (signed by the genesis sequencer, parent link, every tx applies, tx,
 *     state and message roots equal its header's);
 *   - the batch's stateRoot = the state root after lastBlock, recomputed here;
 *   - the batch's withdrawalRoot = the message root over the re-executed receipts (buildBatch);
 *   - when the batch comes with the inbox messages it consumed (`inbox`, read from L1): the deposit
 *     txs of its blocks are exactly those deposits, in inbox order, and every consumed forced tx
 *     is in the block that derived it (the first whose L1 origin reaches the message's L1 block),
 *     or derives nothing (not a user tx), or would be refused on the state after that block.
 * The first bad batch stops the replay: every later batch builds on a state now in question.
 *
 * Not checked yet (docs/rollup.md 8b): L1 inference requests, stake changes and dispute events (not in the
 * inbox), and a forced tx refused at its exact position but valid after the block's later
 * derived txs (it is judged on the state after the block).
 */
import { forcedTx } from "../bridge/follower.ts";
import { toHex } from "../protocol/bytes.ts";
import { sha256 } from "../protocol/sha256.ts";
import { decodeTx, type Hex } from "../protocol/tx.ts";
import { buildBatch } from "./batch.ts";
import { decodeBatchData } from "./batch-data.ts";
import type { Block } from "./block.ts";
import { Chain, type GenesisConfig } from "./chain.ts";

/** One message of the Bridge's inbox, as its L1 logs tell it. */
export type InboxMessage =
  | { index: number; l1Block: number; kind: "deposit"; depositId: bigint; recipient: Hex; amount: bigint }
  | { index: number; l1Block: number; kind: "forced"; signedL2Tx: Hex };

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
    const dataHash = toHex(sha256(b.txData));
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
    const deposits = (b.inbox ?? []).filter((m) => m.kind === "deposit");
    const forced = (b.inbox ?? []).filter((m) => m.kind === "forced");
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
      if (b.inbox) {
        const wrong = this.checkDerived(blk.header, applied[applied.length - 1], deposits, forced);
        if (wrong) return bad(wrong);
      }
    }
    if (deposits.length)
      return bad(
        `deposit ${deposits[0].depositId} (inbox ${deposits[0].index}) is counted but no block applied it`,
      );
    if (forced.length)
      return bad(`forced tx at inbox ${forced[0].index} is counted but no block of the batch derived it`);
    const stateRoot = this.stateRoot;
    if (stateRoot !== b.stateRoot.toLowerCase())
      return bad(`state root after block ${b.lastBlock} is ${stateRoot}, the batch commits ${b.stateRoot}`);
    const withdrawalRoot = buildBatch(applied).withdrawalRoot;
    if (withdrawalRoot !== b.withdrawalRoot.toLowerCase())
      return bad(`message root is ${withdrawalRoot}, the batch commits ${b.withdrawalRoot}`);
    return { index: b.index, ok: true, stateRoot, withdrawalRoot, blocks: blocks.length, txs };
  }

  /**
   * The inbox messages block `block` derived: its deposit txs must be the next consumed deposits,
   * and every consumed forced tx whose L1 block its origin reaches must be in it or be invalid.
   * Takes the messages it settles off the two lists. Returns what is wrong, or null.
   */
  private checkDerived(
    header: Block["header"],
    block: Block,
    deposits: Extract<InboxMessage, { kind: "deposit" }>[],
    forced: Extract<InboxMessage, { kind: "forced" }>[],
  ): string | null {
    const hashes = new Set(block.receipts.map((r) => r.txHash));
    for (const json of block.txs) {
      if (json.type !== "deposit") continue;
      const tx = decodeTx(json);
      if (tx.type !== "deposit") continue;
      const next = deposits.shift();
      if (!next)
        return `block ${header.number} credits deposit ${tx.depositId}, which no inbox message counted by the batch holds`;
      if (
        next.depositId !== tx.depositId ||
        next.recipient.toLowerCase() !== tx.recipient ||
        next.amount !== tx.amount
      )
        return `block ${header.number} credits deposit ${tx.depositId} to ${tx.recipient} (${tx.amount}); the next inbox deposit is ${next.depositId} to ${next.recipient} (${next.amount})`;
    }
    while (forced.length && forced[0].l1Block <= header.l1OriginNumber) {
      const m = forced.shift() as (typeof forced)[number];
      const tx = forcedTx(m.signedL2Tx);
      if (!tx) continue; // not a user tx: derives nothing
      const hash = this.chain.txHash(tx);
      if (hashes.has(hash)) continue;
      if (this.chain.refusal(tx, hash, header.timestamp) === null)
        return `forced tx ${hash} (inbox ${m.index}) is valid but block ${header.number}, which derived it, left it out`;
    }
    return null;
  }
}
