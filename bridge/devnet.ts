/**
 * One call for an L1 devnet: the embedded chain (optionally over HTTP), mining on an interval or
 * per transaction, with the Bridge deployed from dev account 0 (also the sequencer unless told
 * otherwise). `verdict l1 node` and the one-command devkit both start L1 through here.
 */
import type { Address } from "viem";
import { EmbeddedChain, type EmbeddedChainOptions } from "./chain/chain.ts";
import { type ChainHttpServer, serveChainHttp } from "./chain/http.ts";
import { ChainRpc } from "./chain/rpc.ts";
import { embeddedL1Clients, type L1Clients } from "./clients.ts";
import { type BridgeParams, DEVNET_BRIDGE_PARAMS, type Deployment, deployBridge } from "./deploy.ts";

export interface DevnetOptions extends EmbeddedChainOptions {
  /** Serve JSON-RPC over HTTP on this port (0: any free port); no server when undefined. */
  port?: number;
  host?: string;
  /** Deploy the Bridge (default true) with these parameters. */
  deploy?: boolean;
  bridgeParams?: Partial<BridgeParams> & { sequencer?: Address };
}

export interface Devnet {
  chain: EmbeddedChain;
  rpc: ChainRpc;
  /** Clients for dev account 0 (the deployer). */
  clients: L1Clients;
  http?: ChainHttpServer;
  deployment?: Deployment;
  close(): Promise<void>;
}

export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const chain = await EmbeddedChain.create(opts);
  const rpc = new ChainRpc(chain);
  chain.start();
  const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  let http: ChainHttpServer | undefined;
  try {
    const deployment =
      opts.deploy === false
        ? undefined
        : await deployBridge(clients, { ...DEVNET_BRIDGE_PARAMS, ...opts.bridgeParams });
    if (opts.port !== undefined) http = await serveChainHttp(rpc, { port: opts.port, host: opts.host });
    return {
      chain,
      rpc,
      clients,
      http,
      deployment,
      close: async () => {
        await chain.stop();
        await http?.close();
      },
    };
  } catch (err) {
    await chain.stop();
    await http?.close();
    throw err;
  }
}
