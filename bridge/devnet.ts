/**
 * One call for an L1 devnet: the embedded chain (optionally over HTTP), mining on an interval or
 * per transaction, with the Bridge deployed from dev account 0 (also the sequencer unless told
 * otherwise). `verdict l1 node` and the one-command devkit both start L1 through here.
 *
 * With `dataDir` the chain is durable (chain/journal.ts) and the deployment is written to
 * `<dataDir>/deployment.json`: a devnet started again on the same directory replays its blocks
 * and finds its contracts where they were, deploying nothing.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { BridgeContract } from "./bridge.ts";
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
  /** True when the chain was replayed from `dataDir` and the deployment found there, not made. */
  resumed: boolean;
  close(): Promise<void>;
}

/** Where a durable devnet keeps its deployment. */
export const DEPLOYMENT_FILE = "deployment.json";

/** A deployment as JSON (bigints as decimal strings), the form `verdict l1 deploy` prints. */
export function deploymentToJson(d: Deployment): Record<string, unknown> {
  return {
    bridge: d.address,
    disputeGame: d.disputeGame,
    oneStepVerifier: d.oneStepVerifier,
    chainId: d.chainId,
    txHash: d.txHash,
    blockNumber: d.blockNumber.toString(),
    deployer: d.deployer,
    params: Object.fromEntries(
      Object.entries(d.params).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
    ),
    ...(d.batchChallenge
      ? {
          batchChallenge: Object.fromEntries(
            Object.entries(d.batchChallenge).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
          ),
        }
      : {}),
  };
}

function deploymentFromJson(o: Record<string, unknown>, clients: L1Clients): Deployment {
  const p = o.params as Record<string, string>;
  const address = o.bridge as Address;
  return {
    address,
    disputeGame: o.disputeGame as Address,
    oneStepVerifier: o.oneStepVerifier as Address,
    chainId: Number(o.chainId),
    txHash: o.txHash as Hex,
    blockNumber: BigInt(o.blockNumber as string),
    deployer: o.deployer as Address,
    params: {
      sequencer: p.sequencer as Address,
      challengeWindow: BigInt(p.challengeWindow),
      unbondingDelay: BigInt(p.unbondingDelay),
      minWorkerStake: BigInt(p.minWorkerStake),
      challengerBond: BigInt(p.challengerBond),
      disputeClock: BigInt(p.disputeClock),
    },
    bridge: new BridgeContract(clients, address),
    batchChallenge: o.batchChallenge
      ? batchChallengeFromJson(o.batchChallenge as Record<string, string>)
      : undefined,
  };
}

function batchChallengeFromJson(c: Record<string, string>): NonNullable<Deployment["batchChallenge"]> {
  return {
    address: c.address as Address,
    verifier: c.verifier as Address,
    l2ChainId: BigInt(c.l2ChainId),
    minFee: BigInt(c.minFee),
    feeRecipient: c.feeRecipient as Address,
    claimCollateral: BigInt(c.claimCollateral ?? "0"),
    challengeWindowMs: BigInt(c.challengeWindowMs ?? "60000"),
    genesisStateRoot: c.genesisStateRoot as Hex,
    sequencerBond: BigInt(c.sequencerBond),
    batchChallengerBond: BigInt(c.batchChallengerBond),
    clock: BigInt(c.clock),
  };
}

/** The deployment stored in `dataDir`, if the chain there has its code; else undefined. */
async function storedDeployment(
  dataDir: string,
  chain: EmbeddedChain,
  clients: L1Clients,
): Promise<Deployment | undefined> {
  const path = join(dataDir, DEPLOYMENT_FILE);
  if (chain.replayedBlocks === 0 || !existsSync(path)) return undefined;
  let d: Deployment;
  try {
    d = deploymentFromJson(JSON.parse(readFileSync(path, "utf8")), clients);
  } catch (e) {
    throw new Error(`${path}: not a deployment (${(e as Error).message})`);
  }
  const code = await chain.getCode(d.address as Hex);
  if (code.length === 0)
    throw new Error(`${path} names the Bridge ${d.address}, which has no code on this chain`);
  return d;
}

export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const chain = await EmbeddedChain.create(opts);
  const rpc = new ChainRpc(chain);
  chain.start();
  const clients = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  let http: ChainHttpServer | undefined;
  try {
    let deployment: Deployment | undefined;
    let resumed = false;
    if (opts.deploy !== false) {
      deployment = opts.dataDir ? await storedDeployment(opts.dataDir, chain, clients) : undefined;
      resumed = deployment !== undefined;
      if (!deployment) {
        deployment = await deployBridge(clients, { ...DEVNET_BRIDGE_PARAMS, ...opts.bridgeParams });
        if (opts.dataDir) {
          const path = join(opts.dataDir, DEPLOYMENT_FILE);
          writeFileSync(`${path}.tmp`, `${JSON.stringify(deploymentToJson(deployment), null, 2)}\n`);
          renameSync(`${path}.tmp`, path);
        }
      }
    } else resumed = chain.replayedBlocks > 0;
    if (opts.port !== undefined) http = await serveChainHttp(rpc, { port: opts.port, host: opts.host });
    return {
      chain,
      rpc,
      clients,
      http,
      deployment,
      resumed,
      close: async () => {
        await http?.close();
        await chain.close();
      },
    };
  } catch (err) {
    await http?.close();
    await chain.close();
    throw err;
  }
}
