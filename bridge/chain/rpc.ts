/**
 * Ethereum JSON-RPC over an EmbeddedChain: the method table, parameter validation, wire formats,
 * polling filters and dev-account signing. `createProvider` wraps it as an EIP-1193 provider so
 * viem's `custom()` transport talks to the chain like to any node.
 */
import type { TypedTransaction } from "@ethereumjs/tx";
import { createTx } from "@ethereumjs/tx";
import { hexToBytes } from "@ethereumjs/util";
import { RpcRequestError } from "viem";
import { fromHex } from "../../protocol/bytes.ts";
import type { CallRequest, EmbeddedChain, LogFilter, LogMatch, MinedBlock, StoredReceipt } from "./chain.ts";
import { ChainError, RpcErrorCode } from "./errors.ts";
import { data, type Hex, minBig, quantity } from "./format.ts";

export interface JsonRpcRequest {
  jsonrpc?: string;
  id?: string | number | null;
  method: string;
  params?: unknown;
}

export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

const DEFAULT_TIP = 1_000_000_000n;
const MAX_FILTERS = 1000;

// ------------------------------------------------------------------ parameter parsing

function invalid(message: string): ChainError {
  return new ChainError(RpcErrorCode.invalidParams, message);
}

function paramList(params: unknown, method: string, min: number, max: number): unknown[] {
  const list = params === undefined || params === null ? [] : params;
  if (!Array.isArray(list)) throw invalid(`${method}: params must be an array`);
  if (list.length < min || list.length > max) {
    throw invalid(`${method}: expected ${min === max ? min : `${min} to ${max}`} params, got ${list.length}`);
  }
  return list;
}

function parseAddress(v: unknown, what: string): Hex {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v))
    throw invalid(`${what}: expected a 20-byte hex address`);
  return v.toLowerCase() as Hex;
}

function parseQuantity(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
    throw invalid(`${what}: expected a hex quantity`);
  return BigInt(v);
}

function parseData(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v))
    throw invalid(`${what}: expected even-length hex data`);
  return fromHex(v);
}

function parseHash(v: unknown, what: string): Hex {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw invalid(`${what}: expected a 32-byte hex hash`);
  return v.toLowerCase() as Hex;
}

/** Block tag or number (or an EIP-1898 object) to a block number; "pending" means latest state. */
function parseBlock(chain: EmbeddedChain, v: unknown, what: string): bigint {
  if (v === undefined || v === null) return chain.blockNumber();
  if (typeof v === "string") {
    switch (v) {
      case "latest":
      case "pending":
      case "safe":
      case "finalized":
        return chain.blockNumber();
      case "earliest":
        return 0n;
      default: {
        const n = parseQuantity(v, what);
        if (n > chain.blockNumber())
          throw new ChainError(-32000, `${what}: block ${n} is beyond the latest ${chain.blockNumber()}`);
        return n;
      }
    }
  }
  if (typeof v === "object") {
    const o = v as { blockNumber?: unknown; blockHash?: unknown };
    if (o.blockHash !== undefined) {
      const b = chain.blockByHash(parseHash(o.blockHash, `${what}.blockHash`));
      if (!b) throw new ChainError(-32000, `${what}: unknown block hash`);
      return b.block.header.number;
    }
    if (o.blockNumber !== undefined) return parseBlock(chain, o.blockNumber, `${what}.blockNumber`);
  }
  throw invalid(`${what}: expected a block number or tag`);
}

function parseCallRequest(v: unknown, what: string): CallRequest {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw invalid(`${what}: expected a transaction object`);
  const o = v as Record<string, unknown>;
  const req: CallRequest = {};
  if (o.from !== undefined && o.from !== null) req.from = parseAddress(o.from, `${what}.from`);
  if (o.to !== undefined && o.to !== null) req.to = parseAddress(o.to, `${what}.to`);
  const input = o.input ?? o.data;
  if (input !== undefined && input !== null) req.data = data(parseData(input, `${what}.input`));
  if (o.value !== undefined && o.value !== null) req.value = parseQuantity(o.value, `${what}.value`);
  if (o.gas !== undefined && o.gas !== null) req.gas = parseQuantity(o.gas, `${what}.gas`);
  if (o.gasPrice !== undefined && o.gasPrice !== null)
    req.gasPrice = parseQuantity(o.gasPrice, `${what}.gasPrice`);
  if (o.maxFeePerGas !== undefined && o.maxFeePerGas !== null) {
    req.maxFeePerGas = parseQuantity(o.maxFeePerGas, `${what}.maxFeePerGas`);
  }
  if (o.maxPriorityFeePerGas !== undefined && o.maxPriorityFeePerGas !== null) {
    req.maxPriorityFeePerGas = parseQuantity(o.maxPriorityFeePerGas, `${what}.maxPriorityFeePerGas`);
  }
  if (o.nonce !== undefined && o.nonce !== null) req.nonce = parseQuantity(o.nonce, `${what}.nonce`);
  return req;
}

interface FilterSpec {
  fromBlock?: unknown;
  toBlock?: unknown;
  address?: unknown;
  topics?: unknown;
  blockHash?: unknown;
}

function parseLogFilter(chain: EmbeddedChain, v: unknown, what: string): LogFilter {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw invalid(`${what}: expected a filter object`);
  const o = v as FilterSpec;
  let fromBlock: bigint;
  let toBlock: bigint;
  if (o.blockHash !== undefined) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined) {
      throw invalid(`${what}: blockHash cannot be combined with fromBlock/toBlock`);
    }
    const b = chain.blockByHash(parseHash(o.blockHash, `${what}.blockHash`));
    if (!b) throw new ChainError(-32000, `${what}: unknown block hash`);
    fromBlock = toBlock = b.block.header.number;
  } else {
    // A range reaching past the tip is not an error for logs: it matches what exists so far.
    const bound = (v: unknown, name: string) =>
      typeof v === "string" && v.startsWith("0x") ? parseQuantity(v, name) : parseBlock(chain, v, name);
    fromBlock = bound(o.fromBlock ?? "latest", `${what}.fromBlock`);
    toBlock = bound(o.toBlock ?? "latest", `${what}.toBlock`);
    if (fromBlock > toBlock) throw invalid(`${what}: fromBlock ${fromBlock} is after toBlock ${toBlock}`);
  }
  let addresses: Hex[] | undefined;
  if (o.address !== undefined && o.address !== null) {
    addresses = Array.isArray(o.address)
      ? o.address.map((a, i) => parseAddress(a, `${what}.address[${i}]`))
      : [parseAddress(o.address, `${what}.address`)];
  }
  let topics: (Hex | Hex[] | null)[] | undefined;
  if (o.topics !== undefined && o.topics !== null) {
    if (!Array.isArray(o.topics) || o.topics.length > 4)
      throw invalid(`${what}.topics: expected up to 4 entries`);
    topics = o.topics.map((t, i) => {
      if (t === null) return null;
      if (Array.isArray(t)) return t.map((x, j) => parseHash(x, `${what}.topics[${i}][${j}]`));
      return parseHash(t, `${what}.topics[${i}]`);
    });
  }
  return { fromBlock, toBlock, addresses, topics };
}

// ------------------------------------------------------------------ wire formats

function formatTx(tx: TypedTransaction, block?: MinedBlock, index?: number): Record<string, unknown> {
  const baseFee = block?.block.header.baseFeePerGas ?? 0n;
  const out: Record<string, unknown> = {
    hash: data(tx.hash()),
    type: quantity(tx.type),
    chainId: quantity(tx.common.chainId()),
    nonce: quantity(tx.nonce),
    from: tx.getSenderAddress().toString(),
    to: tx.to ? tx.to.toString() : null,
    value: quantity(tx.value),
    gas: quantity(tx.gasLimit),
    input: data(tx.data),
    v: quantity(tx.v ?? 0n),
    r: quantity(tx.r ?? 0n),
    s: quantity(tx.s ?? 0n),
    blockHash: block ? block.hash : null,
    blockNumber: block ? quantity(block.block.header.number) : null,
    transactionIndex: index !== undefined ? quantity(index) : null,
  };
  if ("maxFeePerGas" in tx) {
    out.maxFeePerGas = quantity(tx.maxFeePerGas);
    out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas);
    const tip =
      tx.maxFeePerGas - baseFee < tx.maxPriorityFeePerGas
        ? tx.maxFeePerGas - baseFee
        : tx.maxPriorityFeePerGas;
    out.gasPrice = quantity(block ? baseFee + tip : tx.maxFeePerGas);
    out.yParity = quantity(tx.v ?? 0n);
  } else {
    out.gasPrice = quantity((tx as unknown as { gasPrice: bigint }).gasPrice);
  }
  if ("accessList" in tx) {
    out.accessList = (tx.accessList as [Uint8Array, Uint8Array[]][]).map(([address, keys]) => ({
      address: data(address),
      storageKeys: keys.map(data),
    }));
  }
  return out;
}

function formatBlock(b: MinedBlock, fullTxs: boolean): Record<string, unknown> {
  const h = b.block.header;
  return {
    number: quantity(h.number),
    hash: b.hash,
    parentHash: data(h.parentHash),
    nonce: data(h.nonce),
    sha3Uncles: data(h.uncleHash),
    logsBloom: data(h.logsBloom),
    transactionsRoot: data(h.transactionsTrie),
    stateRoot: data(h.stateRoot),
    receiptsRoot: data(h.receiptTrie),
    miner: h.coinbase.toString(),
    difficulty: quantity(h.difficulty),
    totalDifficulty: "0x0",
    extraData: data(h.extraData),
    size: quantity(b.block.serialize().length),
    gasLimit: quantity(h.gasLimit),
    gasUsed: quantity(h.gasUsed),
    timestamp: quantity(h.timestamp),
    baseFeePerGas: h.baseFeePerGas !== undefined ? quantity(h.baseFeePerGas) : undefined,
    mixHash: data(h.mixHash),
    withdrawalsRoot: h.withdrawalsRoot ? data(h.withdrawalsRoot) : undefined,
    withdrawals: b.block.withdrawals ? [] : undefined,
    blobGasUsed: h.blobGasUsed !== undefined ? quantity(h.blobGasUsed) : undefined,
    excessBlobGas: h.excessBlobGas !== undefined ? quantity(h.excessBlobGas) : undefined,
    parentBeaconBlockRoot: h.parentBeaconBlockRoot ? data(h.parentBeaconBlockRoot) : undefined,
    requestsHash: h.requestsHash ? data(h.requestsHash) : undefined,
    transactions: b.block.transactions.map((tx, i) => (fullTxs ? formatTx(tx, b, i) : data(tx.hash()))),
    uncles: [],
  };
}

function formatLog(l: LogMatch): Record<string, unknown> {
  return {
    address: l.address,
    topics: l.topics,
    data: l.data,
    blockNumber: quantity(l.blockNumber),
    blockHash: l.blockHash,
    transactionHash: l.txHash,
    transactionIndex: quantity(l.txIndex),
    logIndex: quantity(l.logIndex),
    removed: false,
  };
}

function formatReceipt(r: StoredReceipt, b: MinedBlock): Record<string, unknown> {
  const n = b.block.header.number;
  return {
    transactionHash: r.txHash,
    transactionIndex: quantity(r.txIndex),
    blockHash: b.hash,
    blockNumber: quantity(n),
    from: r.from,
    to: r.to,
    cumulativeGasUsed: quantity(r.cumulativeGasUsed),
    gasUsed: quantity(r.gasUsed),
    effectiveGasPrice: quantity(r.effectiveGasPrice),
    contractAddress: r.contractAddress,
    logs: r.logs.map((l) =>
      formatLog({ ...l, blockNumber: n, blockHash: b.hash, txHash: r.txHash, txIndex: r.txIndex }),
    ),
    logsBloom: data(r.logsBloom),
    type: quantity(r.type),
    status: quantity(r.status),
  };
}

// ------------------------------------------------------------------ the server

type Filter =
  | { kind: "logs"; spec: LogFilter & { openEnded: boolean }; next: bigint }
  | { kind: "blocks"; next: bigint };

export class ChainRpc {
  readonly chain: EmbeddedChain;
  private readonly filters = new Map<string, Filter>();
  private filterSeq = 0;
  private readonly keys: Map<string, Uint8Array>;

  constructor(chain: EmbeddedChain) {
    this.chain = chain;
    this.keys = new Map(chain.accounts.map((a) => [a.address.toLowerCase(), hexToBytes(a.privateKey)]));
  }

  /** Runs one call; throws ChainError (with a JSON-RPC code) on bad input or failed execution. */
  async request(method: string, params?: unknown): Promise<unknown> {
    const c = this.chain;
    switch (method) {
      case "web3_clientVersion":
        paramList(params, method, 0, 0);
        return "verdict-embedded-l1/0.1.0";
      case "net_version":
        return String(c.chainId);
      case "net_listening":
        return true;
      case "eth_chainId":
        return quantity(c.chainId);
      case "eth_syncing":
        return false;
      case "eth_mining":
        return c.automine || c.blockTimeMs !== undefined;
      case "eth_accounts":
        return c.accounts.map((a) => a.address.toLowerCase());
      case "eth_blockNumber":
        return quantity(c.blockNumber());
      case "eth_gasPrice":
        return quantity(c.nextBaseFee() + DEFAULT_TIP);
      case "eth_maxPriorityFeePerGas":
        return quantity(DEFAULT_TIP);
      case "eth_blobBaseFee":
        return "0x1";
      case "eth_feeHistory":
        return this.feeHistory(params);
      case "eth_getBalance": {
        const [a, b] = paramList(params, method, 1, 2);
        return quantity(await c.getBalance(parseAddress(a, "address"), parseBlock(c, b, "block")));
      }
      case "eth_getCode": {
        const [a, b] = paramList(params, method, 1, 2);
        return data(await c.getCode(parseAddress(a, "address"), parseBlock(c, b, "block")));
      }
      case "eth_getStorageAt": {
        const [a, slot, b] = paramList(params, method, 2, 3);
        const key = new Uint8Array(32);
        const k = parseQuantity(slot, "slot");
        key.set(fromHex(k.toString(16).padStart(64, "0")));
        return data(await c.getStorageAt(parseAddress(a, "address"), key, parseBlock(c, b, "block")));
      }
      case "eth_getTransactionCount": {
        const [a, b] = paramList(params, method, 1, 2);
        const address = parseAddress(a, "address");
        const pending = b === "pending";
        return quantity(
          await c.getTransactionCount(address, pending, pending ? undefined : parseBlock(c, b, "block")),
        );
      }
      case "eth_getBlockByNumber": {
        const [b, full] = paramList(params, method, 1, 2);
        let n: bigint;
        try {
          n = parseBlock(c, b, "block");
        } catch (err) {
          if (err instanceof ChainError && err.code === -32000) return null; // future block
          throw err;
        }
        const block = c.blockByNumber(n);
        return block ? formatBlock(block, full === true) : null;
      }
      case "eth_getBlockByHash": {
        const [h, full] = paramList(params, method, 1, 2);
        const block = c.blockByHash(parseHash(h, "block hash"));
        return block ? formatBlock(block, full === true) : null;
      }
      case "eth_getBlockTransactionCountByNumber": {
        const [b] = paramList(params, method, 1, 1);
        const block = c.blockByNumber(parseBlock(c, b, "block"));
        return block ? quantity(block.block.transactions.length) : null;
      }
      case "eth_getTransactionByHash": {
        const [h] = paramList(params, method, 1, 1);
        const found = c.transaction(parseHash(h, "transaction hash"));
        return found ? formatTx(found.tx, found.block, found.index) : null;
      }
      case "eth_getTransactionReceipt": {
        const [h] = paramList(params, method, 1, 1);
        const found = c.receipt(parseHash(h, "transaction hash"));
        return found ? formatReceipt(found.receipt, found.block) : null;
      }
      case "eth_sendRawTransaction": {
        const [raw] = paramList(params, method, 1, 1);
        return c.sendRawTransaction(parseData(raw, "raw transaction"));
      }
      case "eth_sendTransaction": {
        const [t] = paramList(params, method, 1, 1);
        return this.sendFromDevAccount(parseCallRequest(t, "transaction"));
      }
      case "eth_call": {
        const [t, b] = paramList(params, method, 1, 3);
        const n = parseBlock(c, b, "block");
        return data(await c.call(parseCallRequest(t, "transaction"), n === c.blockNumber() ? undefined : n));
      }
      case "eth_estimateGas": {
        const [t] = paramList(params, method, 1, 3);
        return quantity(await c.estimateGas(parseCallRequest(t, "transaction")));
      }
      case "eth_getLogs": {
        const [f] = paramList(params, method, 1, 1);
        return c.getLogs(parseLogFilter(c, f, "filter")).map(formatLog);
      }
      case "eth_newFilter": {
        const [f] = paramList(params, method, 1, 1);
        const spec = parseLogFilter(c, f, "filter");
        const o = f as FilterSpec;
        const openEnded = o.toBlock === undefined || o.toBlock === "latest" || o.toBlock === "pending";
        return this.addFilter({ kind: "logs", spec: { ...spec, openEnded }, next: spec.fromBlock });
      }
      case "eth_newBlockFilter":
        paramList(params, method, 0, 0);
        return this.addFilter({ kind: "blocks", next: c.blockNumber() + 1n });
      case "eth_getFilterChanges": {
        const [id] = paramList(params, method, 1, 1);
        return this.filterChanges(this.filter(id));
      }
      case "eth_getFilterLogs": {
        const [id] = paramList(params, method, 1, 1);
        const f = this.filter(id);
        if (f.kind !== "logs") throw invalid("eth_getFilterLogs: not a log filter");
        const to = f.spec.openEnded ? c.blockNumber() : f.spec.toBlock;
        return c.getLogs({ ...f.spec, toBlock: to }).map(formatLog);
      }
      case "eth_uninstallFilter": {
        const [id] = paramList(params, method, 1, 1);
        return this.filters.delete(String(id));
      }
      // ---- dev and test methods (same names as anvil/hardhat, so tests drive both alike)
      case "evm_mine":
      case "anvil_mine":
      case "hardhat_mine": {
        const [first] = paramList(params, method, 0, 2);
        let count = 1;
        if (method === "evm_mine" && first !== undefined && first !== null) {
          // evm_mine's optional param is the block's timestamp.
          const ts = typeof first === "number" ? first : Number(parseQuantity(first, "timestamp"));
          c.setNextBlockTimestamp(ts);
        } else if (first !== undefined && first !== null) {
          count = Number(typeof first === "number" ? first : parseQuantity(first, "block count"));
        }
        await c.mine(count);
        return method === "evm_mine" ? "0x0" : null;
      }
      case "evm_increaseTime": {
        const [s] = paramList(params, method, 1, 1);
        const seconds = typeof s === "number" ? s : Number(parseQuantity(s, "seconds"));
        return quantity(c.increaseTime(seconds));
      }
      case "evm_setNextBlockTimestamp": {
        const [t] = paramList(params, method, 1, 1);
        c.setNextBlockTimestamp(typeof t === "number" ? t : Number(parseQuantity(t, "timestamp")));
        return null;
      }
      case "evm_snapshot":
        paramList(params, method, 0, 0);
        return quantity(await c.snapshot());
      case "evm_revert": {
        const [id] = paramList(params, method, 1, 1);
        return c.revertTo(Number(parseQuantity(id, "snapshot id")));
      }
      case "evm_setAutomine": {
        const [on] = paramList(params, method, 1, 1);
        if (typeof on !== "boolean") throw invalid("evm_setAutomine: expected a boolean");
        c.automine = on;
        return null;
      }
      default:
        throw new ChainError(
          RpcErrorCode.methodNotFound,
          `method not supported by the embedded chain: ${method}`,
        );
    }
  }

  private feeHistory(params: unknown): unknown {
    const [countParam, newest, percentiles] = paramList(params, "eth_feeHistory", 2, 3);
    const count =
      typeof countParam === "number" ? BigInt(countParam) : parseQuantity(countParam, "block count");
    if (count < 1n || count > 1024n) throw invalid("eth_feeHistory: block count must be in [1, 1024]");
    const last = parseBlock(this.chain, newest, "newest block");
    const first = last - count + 1n < 0n ? 0n : last - count + 1n;
    const baseFees: Hex[] = [];
    const ratios: number[] = [];
    const rewards: Hex[][] = [];
    const pct = Array.isArray(percentiles) ? percentiles : undefined;
    for (let n = first; n <= last; n++) {
      const h = this.chain.blockByNumber(n)!.block.header;
      baseFees.push(quantity(h.baseFeePerGas ?? 0n));
      ratios.push(Number(h.gasUsed) / Number(h.gasLimit));
      if (pct) rewards.push(pct.map(() => quantity(DEFAULT_TIP)));
    }
    baseFees.push(quantity(this.chain.blockByNumber(last)!.block.header.calcNextBaseFee()));
    return {
      oldestBlock: quantity(first),
      baseFeePerGas: baseFees,
      gasUsedRatio: ratios,
      reward: pct ? rewards : undefined,
    };
  }

  private async sendFromDevAccount(req: CallRequest): Promise<Hex> {
    const c = this.chain;
    if (!req.from) throw invalid("eth_sendTransaction: from is required");
    const key = this.keys.get(req.from);
    if (!key) throw new ChainError(-32000, `eth_sendTransaction: ${req.from} is not an unlocked dev account`);
    const tip = req.maxPriorityFeePerGas ?? DEFAULT_TIP;
    const tx = createTx(
      {
        type: 2,
        chainId: BigInt(c.chainId),
        nonce: req.nonce ?? (await c.getTransactionCount(req.from, true)),
        to: req.to ?? undefined,
        data: req.data ?? "0x",
        value: req.value ?? 0n,
        gasLimit: req.gas ?? (await c.estimateGas(req)),
        maxPriorityFeePerGas: tip,
        maxFeePerGas: req.maxFeePerGas ?? req.gasPrice ?? c.nextBaseFee() * 2n + tip,
      },
      { common: c.common },
    ).sign(key);
    return c.sendRawTransaction(tx.serialize());
  }

  private addFilter(f: Filter): Hex {
    if (this.filters.size >= MAX_FILTERS)
      throw new ChainError(-32005, `too many filters (max ${MAX_FILTERS})`);
    const id = quantity(++this.filterSeq);
    this.filters.set(id, f);
    return id;
  }

  private filter(id: unknown): Filter {
    const f = typeof id === "string" ? this.filters.get(id) : undefined;
    if (!f) throw new ChainError(-32000, `filter not found: ${String(id)}`);
    return f;
  }

  private filterChanges(f: Filter): unknown[] {
    const tip = this.chain.blockNumber();
    if (f.kind === "blocks") {
      const out: Hex[] = [];
      for (let n = f.next; n <= tip; n++) out.push(this.chain.blockByNumber(n)!.hash);
      f.next = tip + 1n;
      return out;
    }
    const to = f.spec.openEnded ? tip : minBig(f.spec.toBlock, tip);
    if (f.next > to) return [];
    const logs = this.chain.getLogs({ ...f.spec, fromBlock: f.next, toBlock: to });
    f.next = to + 1n;
    return logs.map(formatLog);
  }
}

/**
 * EIP-1193 provider over the chain: errors are thrown as `{ code, message, data }` like a node's.
 * Reverts (code 3) are thrown as viem's RpcRequestError, exactly what viem's http transport makes of
 * a node's revert: viem would otherwise file the non-standard code 3 as an unknown error and retry
 * the call with backoff before decoding the revert data.
 */
export function createProvider(chain: EmbeddedChain): Eip1193Provider & { rpc: ChainRpc } {
  const rpc = new ChainRpc(chain);
  return {
    rpc,
    async request({ method, params }) {
      if (typeof method !== "string")
        throw new ChainError(RpcErrorCode.invalidRequest, "method must be a string");
      try {
        return await rpc.request(method, params);
      } catch (err) {
        if (err instanceof ChainError && err.code === 3) {
          throw new RpcRequestError({
            body: { method, params },
            error: { code: err.code, message: err.message, data: err.data },
            url: "embedded-l1",
          });
        }
        if (err instanceof ChainError) throw err;
        throw new ChainError(RpcErrorCode.internal, `internal error: ${(err as Error).message}`);
      }
    },
    on() {},
    removeListener() {},
  };
}
