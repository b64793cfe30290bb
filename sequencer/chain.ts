/**
 * The chain in memory: committed state (records + state tree), the head header, and the open
 * pending block. Txs are executed when they are admitted (so a rejection reaches the sender at
 * once and an acknowledged tx already has its effects); sealing turns the pending block into a
 * block. Followers re-execute blocks through the same code (applyBlock) and must reach the same
 * roots. No I/O here: the node persists what seal/applyBlock return.
 */
import { fromHex, toHex } from "../protocol/bytes.ts";
import { claimDomain, type Eip712Domain, l2Domain } from "../protocol/eip712.ts";
import type { Address } from "../protocol/secp256k1.ts";
import {
  decodeTx,
  encodeTx,
  type Hex,
  isSystemTx,
  type Tx,
  txDigest,
  verifyTxSignature,
} from "../protocol/tx.ts";
import { messageLeaf, txMessages } from "../protocol/withdrawal.ts";
import {
  type Block,
  type BlockHeader,
  headerHash,
  listRoot,
  type Receipt,
  type SignedHeader,
  signHeader,
  verifyHeader,
  ZERO_HASH,
} from "./block.ts";
import { recordValueHash } from "./fault-proof/encoding.ts";
import { applyTx, type ChainParams, type TxContext, type TxOutcome } from "./state/machine.ts";
import { Overlay, type StateAccess } from "./state/overlay.ts";
import { encodeRecord, keys, type StateRecord } from "./state/records.ts";
import { SparseMerkleTree } from "./state/smt.ts";

export interface GenesisConfig {
  l2ChainId: bigint;
  l1ChainId: bigint;
  bridge: Address;
  sequencer: Address;
  timestamp: number;
  params: ChainParams;
  alloc: Record<string, bigint>;
}

export interface PendingTx {
  tx: Tx;
  hash: Hex;
  outcome: TxOutcome;
  /** Wire JSON of the tx, encoded once (WAL and block share it). */
  json: Record<string, unknown>;
  /** JSON.stringify(json), made once (WAL entry and block text embed it). */
  text: string;
}

interface PendingBlock {
  number: number;
  timestamp: number;
  overlay: Overlay;
  txs: PendingTx[];
  hashes: Set<string>;
}

/** What a sealed or applied block changed, for the store. */
export interface Commit {
  block: Block;
  writes: [string, string][];
  /** JSON text of each of block.txs, in order (lets the store skip stringifying them again). */
  txTexts?: string[];
}

class CommittedState implements StateAccess {
  readonly map = new Map<string, StateRecord>();
  get(key: string) {
    return this.map.get(key);
  }
  set(key: string, v: StateRecord) {
    this.map.set(key, v);
  }
}

export function toReceipt(p: PendingTx, blockNumber: number, index: number): Receipt {
  const w = p.outcome.withdrawal;
  const r = p.outcome.result;
  const receipt: Receipt = {
    txHash: p.hash,
    blockNumber,
    index,
    events: p.outcome.events,
    withdrawal: w ? { recipient: w.recipient, amount: w.amount.toString(), l2TxHash: w.l2TxHash } : null,
  };
  if (r)
    receipt.result = {
      requestId: r.requestId.toString(),
      claimKey: r.claimKey,
      outputRoot: r.outputRoot,
      outputCid: r.outputCid,
    };
  return receipt;
}

export class Chain {
  readonly genesis: GenesisConfig;
  readonly domain: Eip712Domain;
  readonly claimDomain: Eip712Domain;
  readonly state = new CommittedState();
  readonly tree = new SparseMerkleTree();
  head!: SignedHeader;
  pending: PendingBlock | null = null;

  constructor(genesis: GenesisConfig) {
    this.genesis = genesis;
    this.domain = l2Domain(genesis.l2ChainId);
    this.claimDomain = claimDomain(genesis.l1ChainId, genesis.bridge);
  }

  /** Genesis state and header (block 0 is unsigned: every node derives it from the config). */
  initGenesis(): Commit {
    const writes: [string, string][] = [];
    for (const [addr, bal] of Object.entries(this.genesis.alloc)) {
      const key = keys.account(addr.toLowerCase());
      const rec = { balance: bal, nonce: 0 };
      this.state.set(key, rec);
      writes.push([key, encodeRecord(key, rec)]);
    }
    for (const [k] of writes) this.tree.set(k, recordValueHash(k, this.state.get(k) as StateRecord));
    const h: BlockHeader = {
      number: 0,
      parentHash: ZERO_HASH,
      timestamp: this.genesis.timestamp,
      l1OriginNumber: 0,
      l1OriginHash: ZERO_HASH,
      txRoot: ZERO_HASH,
      stateRoot: toHex(this.tree.rootHash()),
      withdrawalRoot: ZERO_HASH,
    };
    this.head = { ...h, hash: toHex(headerHash(h)), sequencer: this.genesis.sequencer, signature: "0x" };
    return { block: { header: this.head, txs: [], receipts: [] }, writes };
  }

  /** Load committed state from the store (restart); checks the root against the head. */
  load(head: SignedHeader, records: Iterable<[string, string, StateRecord]>): void {
    for (const [k, , rec] of records) {
      this.state.set(k, rec);
      this.tree.set(k, recordValueHash(k, rec));
    }
    const root = toHex(this.tree.rootHash());
    if (root !== head.stateRoot)
      throw new Error(
        `state in the store has root ${root}, but head block ${head.number} says ${head.stateRoot}`,
      );
    this.head = head;
  }

  txHash(tx: Tx): Hex {
    return toHex(txDigest(tx, this.domain));
  }

  /** Check a user tx's signature (throws "bad signature: ..."). */
  verify(tx: Tx, hash: Hex): void {
    if (!isSystemTx(tx)) verifyTxSignature(tx, fromHex(hash));
  }

  /**
   * Would `tx` apply on top of the committed state at `timestamp`? The reason it would not, or
   * null; nothing changes either way (a validator asks this of a forced tx a block left out).
   */
  refusal(tx: Tx, hash: Hex, timestamp: number): string | null {
    try {
      this.verify(tx, hash);
      applyTx(new Overlay(this.state), tx, this.ctx(timestamp, hash));
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private ctx(timestamp: number, txHash: Hex): TxContext {
    return {
      timestamp,
      txHash,
      params: this.genesis.params,
      claimDomain: this.claimDomain,
      l2Domain: this.domain,
    };
  }

  /**
   * Execute a tx into the pending block (opened at `timestamp` if none is open). Throws
   * TxRejected with the reason; then nothing changed. `wire`: encodeTx(tx) and its JSON text,
   * when the caller already made them.
   */
  admit(
    tx: Tx,
    hash: Hex,
    timestamp: number,
    wire?: { json: Record<string, unknown>; text: string },
  ): PendingTx {
    const opened = !this.pending;
    const p: PendingBlock = this.pending ?? {
      number: this.head.number + 1,
      timestamp: Math.max(timestamp, this.head.timestamp),
      overlay: new Overlay(this.state),
      txs: [],
      hashes: new Set(),
    };
    if (p.hashes.has(hash)) throw new DuplicateTx(`already known: tx ${hash} is pending`);
    // a refused tx leaves no trace: the block it would have opened stays unopened (no empty block)
    const outcome = applyTx(p.overlay, tx, this.ctx(p.timestamp, hash));
    if (opened) this.pending = p;
    const json = wire?.json ?? encodeTx(tx);
    const ptx = { tx, hash, outcome, json, text: wire?.text ?? JSON.stringify(json) };
    p.txs.push(ptx);
    p.hashes.add(hash);
    return ptx;
  }

  /** Close the pending block: commit its writes, compute roots, sign. */
  seal(l1Origin: { number: number; hash: Hex }, key: Uint8Array): Commit {
    const p = this.pending;
    if (!p) throw new Error("no pending block to seal");
    this.pending = null;
    return this.commit(p, l1Origin, (h) => signHeader(h, key, this.genesis.sequencer));
  }

  private commit(
    p: PendingBlock,
    l1Origin: { number: number; hash: Hex },
    finish: (h: BlockHeader) => SignedHeader,
  ): Commit {
    const writes: [string, string][] = [];
    for (const [k, v] of p.overlay.writes) {
      const text = encodeRecord(k, v);
      this.state.set(k, v);
      this.tree.set(k, recordValueHash(k, v));
      writes.push([k, text]);
    }
    // The block's L2 -> L1 messages (withdrawals, L1 request results), in tx order.
    const wLeaves: Uint8Array[] = [];
    for (const t of p.txs) for (const m of txMessages(t.outcome)) wLeaves.push(messageLeaf(m));
    const header: BlockHeader = {
      number: p.number,
      parentHash: this.head.hash,
      timestamp: p.timestamp,
      l1OriginNumber: l1Origin.number,
      l1OriginHash: l1Origin.hash,
      txRoot: listRoot(p.txs.map((t) => fromHex(t.hash))),
      stateRoot: toHex(this.tree.rootHash()),
      withdrawalRoot: listRoot(wLeaves),
    };
    this.head = finish(header);
    const block: Block = {
      header: this.head,
      txs: p.txs.map((t) => t.json),
      receipts: p.txs.map((t, i) => toReceipt(t, p.number, i)),
    };
    return { block, writes, txTexts: p.txs.map((t) => t.text) };
  }

  /**
   * Re-execute a block from another node (follower) and commit it if every tx applies and the
   * roots match; throws naming the first difference, and then the chain is unchanged.
   */
  applyBlock(block: Block, sequencer: Address): Commit {
    const h = block.header;
    if (this.pending) throw new Error("a follower has no pending block");
    if (h.number !== this.head.number + 1)
      throw new Error(`block ${h.number}: expected number ${this.head.number + 1}`);
    if (h.parentHash !== this.head.hash)
      throw new Error(`block ${h.number}: parent ${h.parentHash} is not head ${this.head.hash}`);
    verifyHeader(h, sequencer);
    const p: PendingBlock = {
      number: h.number,
      timestamp: h.timestamp,
      overlay: new Overlay(this.state),
      txs: [],
      hashes: new Set(),
    };
    block.txs.forEach((json, i) => {
      const tx = decodeTx(json);
      const hash = this.txHash(tx);
      try {
        this.verify(tx, hash);
        const outcome = applyTx(p.overlay, tx, this.ctx(h.timestamp, hash));
        const norm = encodeTx(tx);
        p.txs.push({ tx, hash, outcome, json: norm, text: JSON.stringify(norm) });
      } catch (e) {
        throw new Error(`block ${h.number} tx ${i} (${hash}): ${(e as Error).message}`);
      }
    });
    // Commit into a scratch copy first would double memory; instead check the cheap roots first,
    // then the state root after committing (a mismatch there is fatal for the follower anyway).
    const txRoot = listRoot(p.txs.map((t) => fromHex(t.hash)));
    if (txRoot !== h.txRoot)
      throw new Error(`block ${h.number}: tx root ${txRoot} differs from header ${h.txRoot}`);
    const commit = this.commit(p, { number: h.l1OriginNumber, hash: h.l1OriginHash }, (mine) => {
      if (mine.stateRoot !== h.stateRoot)
        throw new StateDivergence(
          `block ${h.number}: state root ${mine.stateRoot} differs from header ${h.stateRoot}`,
        );
      if (mine.withdrawalRoot !== h.withdrawalRoot)
        throw new StateDivergence(
          `block ${h.number}: withdrawal root ${mine.withdrawalRoot} differs from header`,
        );
      return h;
    });
    return commit;
  }
}

export class DuplicateTx extends Error {}
/** Re-execution reached a different state root: the follower's state is no longer usable. */
export class StateDivergence extends Error {}
