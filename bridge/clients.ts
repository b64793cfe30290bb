/**
 * viem clients for L1: from an RPC URL (anvil, geth, a testnet) or from the embedded chain's
 * EIP-1193 provider. Everything else in bridge/ takes an L1Clients and does not care which.
 */
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import type { EmbeddedChain } from "./chain/chain.ts";
import { createProvider, type Eip1193Provider } from "./chain/rpc.ts";

export type L1PublicClient = PublicClient<Transport, Chain>;
export type L1WalletClient = WalletClient<Transport, Chain, Account>;

export interface L1Clients {
  chain: Chain;
  transport: Transport;
  publicClient: L1PublicClient;
  /** Present when a key was given. */
  walletClient?: L1WalletClient;
  pollingIntervalMs: number;
}

export function l1Chain(chainId: number, rpcUrl = "http://127.0.0.1:8545"): Chain {
  return defineChain({
    id: chainId,
    name: `verdict-l1-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

function build(chain: Chain, transport: Transport, pollingIntervalMs: number, privateKey?: Hex): L1Clients {
  const publicClient = createPublicClient({ chain, transport, pollingInterval: pollingIntervalMs });
  const clients: L1Clients = { chain, transport, publicClient, pollingIntervalMs };
  if (privateKey) clients.walletClient = walletClientFor(clients, privateKey);
  return clients;
}

export function walletClientFor(
  clients: Pick<L1Clients, "chain" | "transport" | "pollingIntervalMs">,
  privateKey: Hex,
): L1WalletClient {
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey))
    throw new Error("private key must be 32 bytes of 0x-prefixed hex");
  return createWalletClient({
    chain: clients.chain,
    transport: clients.transport,
    // A nonce manager hands out consecutive nonces to concurrent sends from one account (the
    // sequencer posting batches while proving withdrawals, a watcher playing several games). One
    // per wallet client, not viem's shared one: that one remembers the last nonce per address and
    // chain id for the whole process, which is wrong for the next fresh dev chain with the same
    // id (or after evm_revert): make a new wallet client then.
    account: privateKeyToAccount(privateKey, { nonceManager: createNonceManager({ source: jsonRpc() }) }),
    pollingInterval: clients.pollingIntervalMs,
  });
}

/** Clients for a JSON-RPC node; asks it for its chain id first. */
export async function connectL1(opts: {
  rpcUrl: string;
  privateKey?: Hex;
  pollingIntervalMs?: number;
  /** Per-request timeout (viem's default is 10 s; a slow node estimating a large call needs more). */
  timeoutMs?: number;
}): Promise<L1Clients> {
  let url: URL;
  try {
    url = new URL(opts.rpcUrl);
  } catch {
    throw new Error(`not a valid RPC URL: ${opts.rpcUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error(`RPC URL must be http(s): ${opts.rpcUrl}`);
  const transport = http(opts.rpcUrl, { retryCount: 0, timeout: opts.timeoutMs });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (err) {
    throw new Error(`cannot reach L1 node at ${opts.rpcUrl}: ${(err as Error).message.split("\n")[0]}`);
  }
  return build(l1Chain(chainId, opts.rpcUrl), transport, opts.pollingIntervalMs ?? 250, opts.privateKey);
}

/** Clients talking to an in-process chain through its EIP-1193 provider (no sockets). */
export function embeddedL1Clients(
  source: EmbeddedChain | Eip1193Provider,
  opts: { privateKey?: Hex; pollingIntervalMs?: number; chainId?: number } = {},
): L1Clients {
  const isChain = "sendRawTransaction" in source;
  const provider = isChain ? createProvider(source) : source;
  const chainId = isChain ? source.chainId : opts.chainId;
  if (chainId === undefined) throw new Error("embeddedL1Clients: pass chainId with a bare provider");
  return build(l1Chain(chainId), custom(provider), opts.pollingIntervalMs ?? 25, opts.privateKey);
}

/**
 * What every contract client holds: the clients, the contract's address and the wallet it sends
 * from (default: the clients' own); `as(wallet)` is the same contract sending from another account.
 */
export abstract class ContractClient {
  readonly clients: L1Clients;
  readonly address: Address;
  readonly wallet: L1WalletClient | undefined;

  constructor(
    clients: L1Clients,
    address: Address,
    wallet: L1WalletClient | undefined = clients.walletClient,
  ) {
    this.clients = clients;
    this.address = address;
    this.wallet = wallet;
  }

  /** The same contract, sending from another account. */
  as(wallet: L1WalletClient): this {
    const Client = this.constructor as new (c: L1Clients, a: Address, w: L1WalletClient) => this;
    return new Client(this.clients, this.address, wallet);
  }
}
