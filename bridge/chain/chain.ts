/**
 * An in-process Ethereum chain on @ethereumjs/vm: prefunded dev accounts, a transaction pool, blocks
 * mined on demand (automine), on an interval or by hand, receipts and logs kept in memory.
 *
 * Every method that reads or writes VM state runs under one lock, so a block being built, an
 * eth_call and a gas estimate never see each other's half-done state. Time comes from an injected
 * clock plus an offset that tests move with increaseTime / setNextBlockTimestamp.
 */

import { join } from "node:path";
import { type Block, createBlock } from "@ethereumjs/block";
import { type Common, createCustomCommon, Hardfork, Mainnet } from "@ethereumjs/common";
import type { EVMMockBlockchainInterface, Log as EvmLog } from "@ethereumjs/evm";
import { createTx, createTxFromRLP, type TypedTransaction, type TypedTxData } from "@ethereumjs/tx";
import { Address, bytesToHex, createAccount, createAddressFromString, hexToBytes } from "@ethereumjs/util";
import { buildBlock, createVM, type RunTxResult, runTx, type VM } from "@ethereumjs/vm";
import { sha256 } from "../../protocol/sha256.ts";
import { DEV_BALANCE, DEV_MNEMONIC, type DevAccount, devAccounts } from "./accounts.ts";
import { ChainError, ExecutionReverted } from "./errors.ts";
import { type Hex, minBig } from "./format.ts";
import { type BlockRecord, ChainJournal, type GenesisRecord, JournalError } from "./journal.ts";

export interface EmbeddedChainOptions {
  chainId?: number;
  /** Number of prefunded accounts derived from `mnemonic`. */
  accounts?: number;
  mnemonic?: string;
  /** Balance of each prefunded account, wei. */
  balance?: bigint;
  /** Mine one block per transaction as soon as it arrives. Default: true unless blockTimeMs is set. */
  automine?: boolean;
  /** Mine a block (possibly empty) every blockTimeMs once start() is called. */
  blockTimeMs?: number;
  gasLimit?: bigint;
  genesisBaseFee?: bigint;
  /** Wall clock in milliseconds; the chain adds its own time-travel offset on top. */
  clock?: () => number;
  /**
   * Keep the chain in this directory (journal.ts): every admitted transaction and sealed block is
   * journaled (fsync) to `<dataDir>/chain.ndjson`, and a chain created on a directory that has one
   * replays it, ending with the same blocks and hashes. Unset: in memory only.
   */
  dataDir?: string;
}

/** The journal file inside a chain's data dir. */
export const JOURNAL_FILE = "chain.ndjson";

export interface StoredLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  logIndex: number;
}

export interface StoredReceipt {
  txHash: Hex;
  txIndex: number;
  from: Hex;
  to: Hex | null;
  contractAddress: Hex | null;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  status: 0 | 1;
  logs: StoredLog[];
  logsBloom: Uint8Array;
  type: number;
}

export interface MinedBlock {
  block: Block;
  hash: Hex;
  receipts: StoredReceipt[];
}

export interface CallRequest {
  from?: Hex;
  to?: Hex | null;
  data?: Hex;
  value?: bigint;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  nonce?: bigint;
}

export interface LogFilter {
  fromBlock: bigint;
  toBlock: bigint;
  addresses?: Hex[];
  /** Per position: null matches anything, an array matches any of its entries. */
  topics?: (Hex | Hex[] | null)[];
}

export interface LogMatch extends StoredLog {
  blockNumber: bigint;
  blockHash: Hex;
  txHash: Hex;
  txIndex: number;
}

const MAX_LOG_RANGE = 100_000n;

/** A promise queue: one critical section at a time, in arrival order. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Block hashes for the BLOCKHASH opcode, served from the chain's own block list. */
class BlockList implements EVMMockBlockchainInterface {
  readonly blocks: MinedBlock[] = [];
  async getBlock(n: number): Promise<{ hash(): Uint8Array }> {
    const b = this.blocks[n];
    if (!b) throw new Error(`no block ${n}`);
    return b.block;
  }
  async putBlock(): Promise<void> {}
  shallowCopy(): EVMMockBlockchainInterface {
    return this;
  }
}

function lower(h: string): Hex {
  return h.toLowerCase() as Hex;
}

function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if ("maxFeePerGas" in tx) {
    const tip = minBig(tx.maxPriorityFeePerGas, tx.maxFeePerGas - baseFee);
    return baseFee + tip;
  }
  return (tx as { gasPrice: bigint }).gasPrice;
}

function maxFee(tx: TypedTransaction): bigint {
  return "maxFeePerGas" in tx ? tx.maxFeePerGas : (tx as { gasPrice: bigint }).gasPrice;
}

export class EmbeddedChain {
  readonly chainId: number;
  readonly common: Common;
  readonly accounts: DevAccount[];
  readonly gasLimit: bigint;
  automine: boolean;
  readonly blockTimeMs: number | undefined;

  private readonly vm: VM;
  private readonly list: BlockList;
  private readonly lock = new Lock();
  private readonly clock: () => number;
  private timeOffsetS = 0;
  private nextTimestamp: number | undefined;
  /** Pending transactions by sender, then by nonce. */
  private readonly pool = new Map<string, Map<bigint, TypedTransaction>>();
  private readonly txIndex = new Map<string, { block: number; index: number }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly blockListeners = new Set<(b: MinedBlock) => void>();
  private readonly snapshots = new Map<number, { block: number; timeOffsetS: number }>();
  private snapshotSeq = 0;
  /** Where admitted txs and sealed blocks are journaled; unset while replaying and in memory. */
  private journal: ChainJournal | undefined;
  /** Blocks rebuilt from the data dir's journal when the chain was created (0: a new chain). */
  replayedBlocks = 0;

  private constructor(
    opts: Required<Omit<EmbeddedChainOptions, "blockTimeMs" | "dataDir">> & { blockTimeMs?: number },
    vm: VM,
    list: BlockList,
    common: Common,
  ) {
    this.chainId = opts.chainId;
    this.common = common;
    this.accounts = devAccounts(opts.accounts, opts.mnemonic);
    this.gasLimit = opts.gasLimit;
    this.automine = opts.automine;
    this.blockTimeMs = opts.blockTimeMs;
    this.clock = opts.clock;
    this.vm = vm;
    this.list = list;
  }

  static async create(options: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
    const opts = {
      chainId: options.chainId ?? 31337,
      accounts: options.accounts ?? 10,
      mnemonic: options.mnemonic ?? DEV_MNEMONIC,
      balance: options.balance ?? DEV_BALANCE,
      automine: options.automine ?? options.blockTimeMs === undefined,
      blockTimeMs: options.blockTimeMs,
      gasLimit: options.gasLimit ?? 30_000_000n,
      genesisBaseFee: options.genesisBaseFee ?? 1_000_000_000n,
      clock: options.clock ?? Date.now,
    };
    if (!Number.isSafeInteger(opts.chainId) || opts.chainId <= 0) {
      throw new RangeError(`chainId must be a positive integer, got ${opts.chainId}`);
    }
    if (opts.blockTimeMs !== undefined && !(opts.blockTimeMs > 0)) {
      throw new RangeError(`blockTimeMs must be > 0, got ${opts.blockTimeMs}`);
    }
    const common = createCustomCommon({ chainId: opts.chainId, name: "verdict-embedded" }, Mainnet, {
      hardfork: Hardfork.Prague,
    });
    const journal = options.dataDir ? ChainJournal.open(join(options.dataDir, JOURNAL_FILE)) : undefined;
    const stored = journal?.records[0] as GenesisRecord | undefined;
    const list = new BlockList();
    const vm = await createVM({ common, blockchain: list });
    const chain = new EmbeddedChain(opts, vm, list, common);
    for (const a of chain.accounts) {
      await vm.stateManager.putAccount(
        createAddressFromString(a.address),
        createAccount({ balance: opts.balance }),
      );
    }
    const genesis = createBlock(
      {
        header: {
          number: 0n,
          gasLimit: opts.gasLimit,
          baseFeePerGas: opts.genesisBaseFee,
          timestamp: BigInt(stored?.timestamp ?? Math.floor(opts.clock() / 1000)),
          stateRoot: await vm.stateManager.getStateRoot(),
          excessBlobGas: 0n,
          blobGasUsed: 0n,
          parentBeaconBlockRoot: new Uint8Array(32),
          requestsHash: new Uint8Array(32),
        },
      },
      { common },
    );
    const genesisHash = lower(bytesToHex(genesis.hash()));
    list.blocks.push({ block: genesis, hash: genesisHash, receipts: [] });
    if (!journal) return chain;
    const record: GenesisRecord = {
      kind: "genesis",
      version: 1,
      chainId: opts.chainId,
      accounts: opts.accounts,
      mnemonicHash: lower(bytesToHex(sha256(new TextEncoder().encode(opts.mnemonic)))),
      balance: opts.balance.toString(),
      gasLimit: opts.gasLimit.toString(),
      genesisBaseFee: opts.genesisBaseFee.toString(),
      timestamp: Number(genesis.header.timestamp),
      hash: genesisHash,
    };
    try {
      if (!stored) journal.append(record);
      else await chain.replay(journal, record);
    } catch (e) {
      journal.close();
      throw e;
    }
    chain.journal = journal;
    return chain;
  }

  /**
   * Rebuilds the chain from `journal`: the same genesis (options must match the stored ones),
   * every block re-executed with its recorded timestamp and transactions (each hash checked), and
   * the transactions still pending when the chain stopped put back in the pool.
   */
  private async replay(journal: ChainJournal, expected: GenesisRecord): Promise<void> {
    const [stored, ...rest] = journal.records as [GenesisRecord, ...typeof journal.records];
    const where = journal.path;
    for (const k of [
      "chainId",
      "accounts",
      "mnemonicHash",
      "balance",
      "gasLimit",
      "genesisBaseFee",
    ] as const) {
      if (stored[k] !== expected[k])
        throw new JournalError(
          `${where} holds a chain created with ${k} ${stored[k]}, this one is asked for ${expected[k]}: ` +
            "start it with the same options or another data dir",
        );
    }
    if (stored.hash !== expected.hash)
      throw new JournalError(
        `${where}: genesis rebuilds as ${expected.hash}, the journal says ${stored.hash}`,
      );
    const pending = new Map<string, Hex>();
    for (const r of rest) {
      if (r.kind === "tx")
        pending.set(
          lower(bytesToHex(createTxFromRLP(hexToBytes(r.raw), { common: this.common }).hash())),
          r.raw,
        );
      else if (r.kind === "block") {
        if (BigInt(r.number) !== this.blockNumber() + 1n)
          throw new JournalError(`${where}: block ${r.number} follows block ${this.blockNumber()}`);
        const mined = await this.mineOne(r);
        if (mined.hash !== r.hash)
          throw new JournalError(
            `${where}: block ${r.number} replays as ${mined.hash}, the journal says ${r.hash} (not deterministic?)`,
          );
        for (const rc of mined.receipts) pending.delete(rc.txHash);
      } else if (r.kind === "revert") {
        if (r.to > this.list.blocks.length - 1)
          throw new JournalError(`${where}: revert to block ${r.to} beyond the head ${this.blockNumber()}`);
        await this.dropAfter(r.to);
        pending.clear(); // revertTo empties the pool
      }
    }
    this.replayedBlocks = this.list.blocks.length - 1;
    // Blocks mined faster than the clock (time travel, 1 per ms) keep later ones ahead of it.
    const ahead = Number(this.latest().block.header.timestamp) - this.now();
    if (ahead > 0) this.timeOffsetS += ahead;
    for (const raw of pending.values()) {
      try {
        await this.admit(createTxFromRLP(hexToBytes(raw), { common: this.common }));
      } catch {
        // mined or replaced since, or no longer valid: what a node restart does with its pool
      }
    }
  }

  // ------------------------------------------------------------------ time

  /** Seconds since the epoch as the chain sees it: clock plus time-travel offset. */
  now(): number {
    return Math.floor(this.clock() / 1000) + this.timeOffsetS;
  }

  /** Moves chain time forward; the next block is stamped at least `seconds` after the latest one. */
  increaseTime(seconds: number): number {
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new ChainError(-32602, `increaseTime needs a non-negative integer of seconds, got ${seconds}`);
    }
    this.timeOffsetS += seconds;
    // Blocks mined faster than one per second run ahead of the clock (each is parent + 1); the
    // jump is measured from the latest block, so that drift never eats into it.
    const target = Number(this.latest().block.header.timestamp) + seconds;
    if (this.now() < target) this.timeOffsetS += target - this.now();
    return this.timeOffsetS;
  }

  /** The next block gets exactly this timestamp (must be after the latest block's). */
  setNextBlockTimestamp(ts: number): void {
    const latest = Number(this.latest().block.header.timestamp);
    if (!Number.isSafeInteger(ts) || ts <= latest) {
      throw new ChainError(
        -32602,
        `next block timestamp ${ts} must be an integer above the latest block's ${latest}`,
      );
    }
    this.nextTimestamp = ts;
  }

  // ------------------------------------------------------------------ blocks

  latest(): MinedBlock {
    return this.list.blocks[this.list.blocks.length - 1];
  }

  blockNumber(): bigint {
    return BigInt(this.list.blocks.length - 1);
  }

  blockByNumber(n: bigint): MinedBlock | undefined {
    if (n < 0n || n >= BigInt(this.list.blocks.length)) return undefined;
    return this.list.blocks[Number(n)];
  }

  blockByHash(hash: string): MinedBlock | undefined {
    const h = hash.toLowerCase();
    // Linear from the tip: dev chains are short and recent blocks are the ones asked for.
    for (let i = this.list.blocks.length - 1; i >= 0; i--)
      if (this.list.blocks[i].hash === h) return this.list.blocks[i];
    return undefined;
  }

  onBlock(fn: (b: MinedBlock) => void): () => void {
    this.blockListeners.add(fn);
    return () => this.blockListeners.delete(fn);
  }

  /** Next block's base fee (EIP-1559 rule from the latest block). */
  nextBaseFee(): bigint {
    return this.latest().block.header.calcNextBaseFee();
  }

  /** Mines `count` blocks, taking pending transactions into the first ones. */
  mine(count = 1): Promise<MinedBlock[]> {
    if (!Number.isSafeInteger(count) || count < 1 || count > 10_000) {
      return Promise.reject(
        new ChainError(-32602, `block count must be an integer in [1, 10000], got ${count}`),
      );
    }
    return this.lock.run(async () => {
      const out: MinedBlock[] = [];
      for (let i = 0; i < count; i++) out.push(await this.mineOne());
      return out;
    });
  }

  /** Mines the next block: from the pool, or (replay) exactly the journaled `again`. */
  private async mineOne(again?: BlockRecord): Promise<MinedBlock> {
    const parent = this.latest();
    const parentTs = Number(parent.block.header.timestamp);
    let timestamp: number;
    if (again) timestamp = again.timestamp;
    else {
      const forced = this.nextTimestamp;
      this.nextTimestamp = undefined;
      // A forced timestamp moves chain time with it (later blocks follow it); a block stamped
      // parent + 1 because several were mined within one clock second does not.
      if (forced !== undefined && forced > this.now()) this.timeOffsetS += forced - this.now();
      timestamp = forced ?? Math.max(this.now(), parentTs + 1);
    }
    const builder = await buildBlock(this.vm, {
      parentBlock: parent.block,
      headerData: {
        timestamp: BigInt(timestamp),
        gasLimit: this.gasLimit,
        coinbase: new Address(new Uint8Array(20)),
        parentBeaconBlockRoot: new Uint8Array(32),
      },
      blockOpts: { putBlockIntoBlockchain: false },
    });
    const baseFee = parent.block.header.calcNextBaseFee();
    const included: { tx: TypedTransaction; result: RunTxResult }[] = [];
    if (again) {
      for (const raw of again.txs) {
        const tx = createTxFromRLP(hexToBytes(raw), { common: this.common });
        included.push({ tx, result: await builder.addTransaction(tx) });
        this.removeFromPool(tx);
      }
    }
    for (const tx of again ? [] : await this.selectPending(baseFee)) {
      if (builder.gasUsed + tx.gasLimit > this.gasLimit) continue; // next block
      try {
        const result = await builder.addTransaction(tx);
        included.push({ tx, result });
      } catch (err) {
        // Became invalid since it was accepted (e.g. balance spent by an earlier tx): drop it.
        process.emitWarning(`embedded chain dropped tx ${bytesToHex(tx.hash())}: ${(err as Error).message}`);
      }
      this.removeFromPool(tx);
    }
    const { block } = await builder.build();
    const hash = lower(bytesToHex(block.hash()));
    let logIndex = 0;
    const receipts: StoredReceipt[] = included.map(({ tx, result }, txIndex) => {
      const rcpt = result.receipt as {
        cumulativeBlockGasUsed: bigint;
        logs: EvmLog[];
        bitvector: Uint8Array;
        status?: 0 | 1;
      };
      return {
        txHash: lower(bytesToHex(tx.hash())),
        txIndex,
        from: lower(tx.getSenderAddress().toString()),
        to: tx.to ? lower(tx.to.toString()) : null,
        contractAddress: result.createdAddress ? lower(result.createdAddress.toString()) : null,
        gasUsed: result.totalGasSpent,
        cumulativeGasUsed: rcpt.cumulativeBlockGasUsed,
        effectiveGasPrice: effectiveGasPrice(tx, block.header.baseFeePerGas ?? 0n),
        status: result.execResult.exceptionError ? 0 : 1,
        logs: rcpt.logs.map(([address, topics, d]) => ({
          address: lower(bytesToHex(address)),
          topics: topics.map((t) => lower(bytesToHex(t))),
          data: lower(bytesToHex(d)),
          logIndex: logIndex++,
        })),
        logsBloom: rcpt.bitvector,
        type: tx.type,
      };
    });
    const mined: MinedBlock = { block, hash, receipts };
    // On disk before anyone can see it: a block that was answered is never lost.
    this.journal?.append({
      kind: "block",
      number: Number(block.header.number),
      timestamp,
      txs: included.map(({ tx }) => lower(bytesToHex(tx.serialize()))),
      hash,
    });
    this.list.blocks.push(mined);
    receipts.forEach((r, index) => {
      this.txIndex.set(r.txHash, { block: this.list.blocks.length - 1, index });
    });
    for (const fn of this.blockListeners) fn(mined);
    return mined;
  }

  // ------------------------------------------------------------------ snapshots (tests)

  /** Remembers the current chain (latest block, time offset); evm_snapshot. */
  snapshot(): Promise<number> {
    return this.lock.run(async () => {
      const id = ++this.snapshotSeq;
      this.snapshots.set(id, { block: this.list.blocks.length - 1, timeOffsetS: this.timeOffsetS });
      return id;
    });
  }

  /**
   * Returns the chain to snapshot `id`: later blocks, their receipts and the pool are dropped and
   * the state root is reset (the trie keeps old roots). Like anvil, the snapshot and every later
   * one are used up. False for an unknown id.
   */
  revertTo(id: number): Promise<boolean> {
    return this.lock.run(async () => {
      const snap = this.snapshots.get(id);
      if (!snap) return false;
      for (const k of [...this.snapshots.keys()]) if (k >= id) this.snapshots.delete(k);
      this.journal?.append({ kind: "revert", to: snap.block });
      await this.dropAfter(snap.block);
      this.timeOffsetS = snap.timeOffsetS;
      this.nextTimestamp = undefined;
      return true;
    });
  }

  /** Drops the blocks after `n`, their receipts and the pool, and resets the state root. */
  private async dropAfter(n: number): Promise<void> {
    for (const dropped of this.list.blocks.splice(n + 1)) {
      for (const r of dropped.receipts) this.txIndex.delete(r.txHash);
    }
    await this.vm.stateManager.setStateRoot(this.latest().block.header.stateRoot);
    this.pool.clear();
  }

  // ------------------------------------------------------------------ interval mining

  /** Starts interval mining (when blockTimeMs is set). Idempotent. */
  start(): void {
    if (this.blockTimeMs === undefined || this.timer) return;
    const tick = () => {
      this.ticking = this.mine(1)
        .then(() => undefined)
        .catch((err: unknown) =>
          process.emitWarning(`embedded chain: mining failed: ${(err as Error).message}`),
        )
        .finally(() => {
          this.ticking = undefined;
          if (this.timer) this.timer = setTimeout(tick, this.blockTimeMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.blockTimeMs).unref();
  }

  /** Stops interval mining; resolves once a block being mined at that moment is done. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Stops mining and closes the journal (after any block being sealed): the chain is done. */
  async close(): Promise<void> {
    await this.stop();
    await this.lock.run(async () => {
      this.journal?.close();
      this.journal = undefined;
    });
  }

  // ------------------------------------------------------------------ transactions

  /** Decodes, validates and pools a signed transaction; mines it at once under automine. */
  async sendRawTransaction(raw: Uint8Array): Promise<Hex> {
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(raw, { common: this.common });
    } catch (err) {
      throw new ChainError(-32602, `could not decode transaction: ${(err as Error).message}`);
    }
    const hash = await this.lock.run(async () => {
      const h = await this.admit(tx);
      this.journal?.append({ kind: "tx", raw: lower(bytesToHex(raw)) });
      return h;
    });
    if (this.automine) await this.mine(1);
    return hash;
  }

  private async admit(tx: TypedTransaction): Promise<Hex> {
    if (!tx.isSigned()) throw new ChainError(-32000, "transaction is not signed");
    let sender: Address;
    try {
      sender = tx.getSenderAddress();
    } catch (err) {
      throw new ChainError(-32000, `invalid transaction signature: ${(err as Error).message}`);
    }
    if (tx.type === 3)
      throw new ChainError(-32000, "blob transactions are not supported by the embedded chain");
    const hash = lower(bytesToHex(tx.hash()));
    if (this.txIndex.has(hash)) throw new ChainError(-32000, `transaction already mined: ${hash}`);
    const errs = tx.getValidationErrors();
    if (errs.length > 0) throw new ChainError(-32000, `invalid transaction: ${errs.join("; ")}`);
    if (tx.gasLimit > this.gasLimit) {
      throw new ChainError(-32000, `exceeds block gas limit: gas ${tx.gasLimit} > ${this.gasLimit}`);
    }
    const account = await this.vm.stateManager.getAccount(sender);
    const stateNonce = account?.nonce ?? 0n;
    if (tx.nonce < stateNonce)
      throw new ChainError(-32000, `nonce too low: next nonce ${stateNonce}, tx nonce ${tx.nonce}`);
    const cost = tx.gasLimit * maxFee(tx) + tx.value;
    const balance = account?.balance ?? 0n;
    if (balance < cost) {
      throw new ChainError(
        -32000,
        `insufficient funds for gas * price + value: balance ${balance}, tx cost ${cost}`,
      );
    }
    const baseFee = this.nextBaseFee();
    if (maxFee(tx) < baseFee) {
      throw new ChainError(
        -32000,
        `max fee per gas ${maxFee(tx)} is below the next block's base fee ${baseFee}`,
      );
    }
    const key = sender.toString().toLowerCase();
    let queue = this.pool.get(key);
    if (!queue) {
      queue = new Map();
      this.pool.set(key, queue);
    }
    const existing = queue.get(tx.nonce);
    if (existing) {
      if (lower(bytesToHex(existing.hash())) === hash) throw new ChainError(-32000, `already known: ${hash}`);
      if (maxFee(tx) <= maxFee(existing)) {
        throw new ChainError(-32000, "replacement transaction underpriced");
      }
    }
    queue.set(tx.nonce, tx);
    return hash;
  }

  /**
   * Executable pending txs: per sender, the run of consecutive nonces starting at the state nonce
   * (a tx after a nonce gap waits for the gap to fill), stopping at one the base fee prices out.
   */
  private async selectPending(baseFee: bigint): Promise<TypedTransaction[]> {
    const out: TypedTransaction[] = [];
    for (const [sender, queue] of this.pool) {
      const acct = await this.vm.stateManager.getAccount(createAddressFromString(sender));
      for (let n = acct?.nonce ?? 0n; queue.has(n); n++) {
        const tx = queue.get(n)!;
        if (maxFee(tx) < baseFee) break;
        out.push(tx);
      }
    }
    return out;
  }

  private removeFromPool(tx: TypedTransaction): void {
    const key = tx.getSenderAddress().toString().toLowerCase();
    const queue = this.pool.get(key);
    if (!queue) return;
    queue.delete(tx.nonce);
    if (queue.size === 0) this.pool.delete(key);
  }

  pendingTransactions(): TypedTransaction[] {
    return [...this.pool.values()].flatMap((q) => [...q.values()]);
  }

  /** Nonce for the next transaction of `address`, counting consecutive pooled ones when pending. */
  async getTransactionCount(address: Hex, pending: boolean, block?: bigint): Promise<bigint> {
    return this.lock.run(async () => {
      const vm = await this.vmAt(block);
      const acct = await vm.stateManager.getAccount(createAddressFromString(address));
      let nonce = acct?.nonce ?? 0n;
      if (pending) {
        const queue = this.pool.get(address.toLowerCase());
        while (queue?.has(nonce)) nonce++;
      }
      return nonce;
    });
  }

  transaction(hash: string): { tx: TypedTransaction; block?: MinedBlock; index?: number } | undefined {
    const h = hash.toLowerCase();
    const loc = this.txIndex.get(h);
    if (loc) {
      const block = this.list.blocks[loc.block];
      return { tx: block.block.transactions[loc.index], block, index: loc.index };
    }
    for (const tx of this.pendingTransactions()) if (lower(bytesToHex(tx.hash())) === h) return { tx };
    return undefined;
  }

  receipt(hash: string): { receipt: StoredReceipt; block: MinedBlock } | undefined {
    const loc = this.txIndex.get(hash.toLowerCase());
    if (!loc) return undefined;
    const block = this.list.blocks[loc.block];
    return { receipt: block.receipts[loc.index], block };
  }

  // ------------------------------------------------------------------ state reads

  /** The VM for the state after block `n` (latest when undefined); older states share the trie DB. */
  private async vmAt(n: bigint | undefined): Promise<VM> {
    if (n === undefined || n === this.blockNumber()) return this.vm;
    const b = this.blockByNumber(n);
    if (!b) throw new ChainError(-32000, `unknown block ${n} (latest is ${this.blockNumber()})`);
    const copy = await this.vm.shallowCopy(false);
    await copy.stateManager.setStateRoot(b.block.header.stateRoot);
    return copy;
  }

  async getBalance(address: Hex, block?: bigint): Promise<bigint> {
    return this.lock.run(async () => {
      const vm = await this.vmAt(block);
      return (await vm.stateManager.getAccount(createAddressFromString(address)))?.balance ?? 0n;
    });
  }

  async getCode(address: Hex, block?: bigint): Promise<Uint8Array> {
    return this.lock.run(async () =>
      (await this.vmAt(block)).stateManager.getCode(createAddressFromString(address)),
    );
  }

  async getStorageAt(address: Hex, slot: Uint8Array, block?: bigint): Promise<Uint8Array> {
    return this.lock.run(async () => {
      const vm = await this.vmAt(block);
      const v = await vm.stateManager.getStorage(createAddressFromString(address), slot);
      const out = new Uint8Array(32);
      out.set(v, 32 - v.length);
      return out;
    });
  }

  /** eth_call against the state after `block` (latest by default) in that block's context. */
  async call(req: CallRequest, block?: bigint): Promise<Uint8Array> {
    return this.lock.run(async () => {
      const vm = await this.vmAt(block);
      const context = (block === undefined ? this.latest() : this.blockByNumber(block)!).block;
      const result = await this.runTxDiscarded(vm, req, this.gasLimit, context);
      const err = result.execResult.exceptionError;
      if (err) throw this.executionError(err.error, result.execResult.returnValue);
      return result.execResult.returnValue;
    });
  }

  /**
   * Smallest gas limit with which the transaction succeeds (binary search like geth's, to within
   * 1.5%), in the context of the next block.
   */
  async estimateGas(req: CallRequest): Promise<bigint> {
    return this.lock.run(async () => {
      const context = this.pendingContext();
      const cap = req.gas ?? this.gasLimit;
      const first = await this.runTxDiscarded(this.vm, req, cap, context);
      if (first.execResult.exceptionError) {
        throw this.executionError(first.execResult.exceptionError.error, first.execResult.returnValue);
      }
      const ok = async (gas: bigint) =>
        !(await this.runTxDiscarded(this.vm, req, gas, context)).execResult.exceptionError;
      let lo = first.totalGasSpent - 1n;
      let hi = cap;
      // Usually enough: used gas plus refunds plus what the 63/64 rule holds back.
      const optimistic = ((first.totalGasSpent + first.gasRefund + 2300n) * 64n) / 63n;
      if (optimistic < hi && (await ok(optimistic))) hi = optimistic;
      else if (optimistic < hi) lo = optimistic;
      while (lo + 1n < hi && (hi - lo) * 1000n > hi * 15n) {
        const mid = (lo + hi) / 2n;
        if (await ok(mid)) hi = mid;
        else lo = mid;
      }
      return hi;
    });
  }

  private pendingContext(): Block {
    const parent = this.latest().block;
    return createBlock(
      {
        header: {
          number: parent.header.number + 1n,
          parentHash: parent.hash(),
          timestamp: BigInt(Math.max(this.nextTimestamp ?? this.now(), Number(parent.header.timestamp) + 1)),
          gasLimit: this.gasLimit,
          baseFeePerGas: parent.header.calcNextBaseFee(),
          excessBlobGas: 0n,
          parentBeaconBlockRoot: new Uint8Array(32),
        },
      },
      { common: this.common },
    );
  }

  /** Runs `req` as a transaction from `req.from` without a signature, then rolls the state back. */
  private async runTxDiscarded(
    vm: VM,
    req: CallRequest,
    gasLimit: bigint,
    block: Block,
  ): Promise<RunTxResult> {
    const from = createAddressFromString(req.from ?? "0x0000000000000000000000000000000000000000");
    const acct = await vm.stateManager.getAccount(from);
    const txData: TypedTxData = {
      type: 2,
      nonce: req.nonce ?? acct?.nonce ?? 0n,
      to: req.to ?? undefined,
      data: req.data ?? "0x",
      value: req.value ?? 0n,
      gasLimit,
      // Calls are free unless a price is given, as in geth; estimation must not fail on fees.
      maxFeePerGas: req.maxFeePerGas ?? req.gasPrice ?? block.header.baseFeePerGas ?? 0n,
      maxPriorityFeePerGas: req.maxPriorityFeePerGas ?? 0n,
    };
    const tx = createTx(txData, { common: this.common, freeze: false });
    tx.getSenderAddress = () => from;
    await vm.stateManager.checkpoint();
    try {
      return await runTx(vm, {
        tx,
        block,
        skipBalance: true,
        skipNonce: true,
        skipBlockGasLimitValidation: true,
        skipHardForkValidation: true,
      });
    } catch (err) {
      throw new ChainError(-32000, (err as Error).message);
    } finally {
      await vm.stateManager.revert();
    }
  }

  private executionError(evmError: string, returnValue: Uint8Array): ChainError {
    if (evmError === "revert") return new ExecutionReverted(returnValue);
    return new ChainError(-32000, `execution failed: ${evmError}`);
  }

  // ------------------------------------------------------------------ logs

  getLogs(filter: LogFilter): LogMatch[] {
    const tip = this.blockNumber();
    const to = minBig(filter.toBlock, tip);
    if (filter.fromBlock > to) return [];
    if (to - filter.fromBlock > MAX_LOG_RANGE) {
      throw new ChainError(-32005, `block range ${filter.fromBlock}..${to} exceeds ${MAX_LOG_RANGE} blocks`);
    }
    const addresses = filter.addresses?.map((a) => a.toLowerCase());
    const topics = filter.topics?.map((t) =>
      t === null ? null : Array.isArray(t) ? t.map((x) => x.toLowerCase()) : [t.toLowerCase()],
    );
    const out: LogMatch[] = [];
    for (let n = filter.fromBlock; n <= to; n++) {
      const b = this.list.blocks[Number(n)];
      for (const r of b.receipts) {
        for (const log of r.logs) {
          if (addresses && addresses.length > 0 && !addresses.includes(log.address)) continue;
          if (
            topics &&
            !topics.every(
              (want, i) => want === null || (i < log.topics.length && want.includes(log.topics[i])),
            )
          ) {
            continue;
          }
          out.push({ ...log, blockNumber: n, blockHash: b.hash, txHash: r.txHash, txIndex: r.txIndex });
        }
      }
    }
    return out;
  }
}
