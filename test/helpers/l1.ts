/**
 * L1 backends for tests: the embedded chain (in process) and a real anvil node started on a free
 * port and killed in teardown. Both prefund the same dev accounts (same mnemonic), and both take
 * anvil's test-client methods for time travel, so one scenario runs unchanged on either.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createTestClient, type Hex } from "viem";
import type { ModelRegistration } from "../../bridge/bridge.ts";
import { type DevAccount, devAccounts } from "../../bridge/chain/accounts.ts";
import { EmbeddedChain, type EmbeddedChainOptions } from "../../bridge/chain/chain.ts";
import { connectL1, embeddedL1Clients, type L1Clients, walletClientFor } from "../../bridge/clients.ts";
import { BridgeFollower } from "../../bridge/follower.ts";
import type { Tx } from "../../protocol/tx.ts";

export interface L1Backend {
  name: string;
  accounts: DevAccount[];
  /** Clients with a wallet for dev account `index`. */
  clients(index?: number): L1Clients;
  wallet(index: number): NonNullable<L1Clients["walletClient"]>;
  /** Moves chain time forward by `seconds` and mines a block stamped after it. */
  increaseTime(seconds: number): Promise<void>;
  mine(blocks?: number): Promise<void>;
  close(): Promise<void>;
}

function testActions(clients: L1Clients) {
  return createTestClient({ mode: "anvil", chain: clients.chain, transport: clients.transport });
}

export async function embeddedBackend(
  opts: EmbeddedChainOptions = {},
): Promise<L1Backend & { chain: EmbeddedChain }> {
  const chain = await EmbeddedChain.create(opts);
  const base = embeddedL1Clients(chain);
  const test = testActions(base);
  return {
    name: "embedded",
    chain,
    accounts: chain.accounts,
    clients: (index = 0) => embeddedL1Clients(chain, { privateKey: chain.accounts[index].privateKey }),
    wallet: (index) => walletClientFor(base, chain.accounts[index].privateKey),
    increaseTime: async (seconds) => {
      await test.increaseTime({ seconds });
      await test.mine({ blocks: 1 });
    },
    mine: async (blocks = 1) => test.mine({ blocks }),
    close: async () => chain.stop(),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const ANVIL = join(import.meta.dirname, "../../node_modules/.bin/anvil");

/** Starts `anvil --port <free>` and resolves once it answers eth_chainId. */
export async function anvilBackend(): Promise<L1Backend & { url: string; process: ChildProcess }> {
  // Port 0: anvil binds a free port itself and says which. Picking one here and passing it
  // races with other tests (and a busy port would make us talk to someone else's node).
  const child = spawn(ANVIL, ["--port", "0", "--chain-id", "31337"], { stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("anvil did not say where it listens within 30 s"));
    }, 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /Listening on ([0-9.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume(); // keep draining so anvil never blocks on a full pipe
        resolve(`http://${m[1]}`);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with code ${code}`));
    });
  });
  let base: L1Clients | undefined;
  const deadline = Date.now() + 30_000;
  while (!base) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}`);
    try {
      base = await connectL1({ rpcUrl: url, pollingIntervalMs: 20 });
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error("anvil did not start within 30 s");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ready = base;
  const accounts = devAccounts(10);
  const test = testActions(ready);
  const withKey = (key: Hex): L1Clients => ({ ...ready, walletClient: walletClientFor(ready, key) });
  return {
    name: "anvil",
    url,
    process: child,
    accounts,
    clients: (index = 0) => withKey(accounts[index].privateKey),
    wallet: (index) => walletClientFor(ready, accounts[index].privateKey),
    increaseTime: async (seconds) => {
      await test.increaseTime({ seconds });
      await test.mine({ blocks: 1 });
    },
    mine: async (blocks = 1) => test.mine({ blocks }),
    close: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/**
 * A model registration whose roots are placeholders (0x01..01 to 0x04..04, one node, weight,
 * input and output): for tests of the Bridge's registry and inbox, where no model file is run.
 */
export function placeholderModel(): ModelRegistration {
  const h = (x: number) => `0x${x.toString(16).padStart(2, "0").repeat(32)}` as Hex;
  return {
    graphRoot: h(1),
    weightsRoot: h(2),
    outputRefsRoot: h(3),
    inputRangesRoot: h(4),
    nodeCount: 1,
    weightCount: 1,
    inputCount: 1,
    outputCount: 1,
  };
}

/**
 * The L2 txs the real follower derives from the Bridge's logs in blocks `fromBlock` and later
 * (deposits, forced txs, models, L1 requests, stake changes, with their inbox indexes).
 */
export async function derivedSince(clients: L1Clients, bridge: Hex, fromBlock: bigint): Promise<Tx[]> {
  const follower = new BridgeFollower(clients, { bridge, confirmations: 0, startBlock: Number(fromBlock) });
  return (await follower.derive(Number(fromBlock) - 1)).txs;
}
