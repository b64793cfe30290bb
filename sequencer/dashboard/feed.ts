/**
 * Disputes as the dashboard shows them, read from L1: the DisputeGame the Bridge names, each
 * dispute's struct (bridge/dispute/game.ts getDispute) and its events, summarised by summary.ts.
 *
 * Events are scanned incrementally (each request reads only the blocks since the last one) and
 * kept per dispute; the game address is asked of the Bridge until it is set.
 */
import { type Address, parseEventLogs, zeroAddress } from "viem";
import type { L1Clients } from "../../bridge/clients.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { bridgeAbi } from "../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../contracts/artifacts/DisputeGame.ts";
import { type DisputeSummary, type GameEvent, summarizeDispute } from "./summary.ts";

/** What the API asks of a dispute source (the L1 feed here; absent when the node has no L1). */
export interface DisputeSource {
  /** The DisputeGame address, or null while the Bridge names none. */
  game(): Promise<Address | null>;
  /** The newest `limit` disputes, newest first, and how many exist. */
  list(limit: number): Promise<{ game: Address | null; count: number; disputes: DisputeSummary[] }>;
  /** One dispute, or null when no dispute has that id. */
  get(id: bigint): Promise<DisputeSummary | null>;
}

export class L1DisputeFeed implements DisputeSource {
  private readonly clients: L1Clients;
  private readonly bridge: Address;
  private contract: DisputeGameContract | null = null;
  private scannedTo: bigint;
  private readonly maxRange: bigint;
  private scanning: Promise<void> | null = null;
  private readonly events = new Map<string, GameEvent[]>();
  private readonly nodeCounts = new Map<string, number>();

  /**
   * `startBlock`: the Bridge's deployment block (nothing before it is read); `maxRange`: most
   * blocks per eth_getLogs (nodes cap it; 2,000 is safe on most).
   */
  constructor(clients: L1Clients, bridge: Address, opts: { startBlock?: number; maxRange?: number } = {}) {
    this.clients = clients;
    this.bridge = bridge;
    this.scannedTo = BigInt(opts.startBlock ?? 0) - 1n;
    this.maxRange = BigInt(opts.maxRange ?? 2000);
  }

  async game(): Promise<Address | null> {
    if (this.contract) return this.contract.address;
    const addr = (await this.clients.publicClient.readContract({
      address: this.bridge,
      abi: bridgeAbi,
      functionName: "disputeGame",
    })) as Address;
    if (addr === zeroAddress) return null;
    // lower-case, as every address the sequencer serves
    this.contract = new DisputeGameContract(this.clients, addr.toLowerCase() as Address);
    return this.contract.address;
  }

  /** Reads the game's events from the blocks not yet scanned (one scan at a time). */
  private sync(): Promise<void> {
    if (!this.scanning)
      this.scanning = this.scan().finally(() => {
        this.scanning = null;
      });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const c = this.contract as DisputeGameContract;
    const pub = this.clients.publicClient;
    const tip = await pub.getBlockNumber({ cacheTime: 0 });
    while (this.scannedTo < tip) {
      const from = this.scannedTo + 1n;
      const to = from + this.maxRange - 1n < tip ? from + this.maxRange - 1n : tip;
      const logs = await pub.getLogs({ address: c.address, fromBlock: from, toBlock: to });
      this.keep(parseEventLogs({ abi: disputeGameAbi, logs }));
      // advanced only once a range is kept: a failed read is retried by the next request
      this.scannedTo = to;
    }
  }

  private keep(events: ReturnType<typeof parseEventLogs<typeof disputeGameAbi>>): void {
    for (const e of events) {
      const args = e.args as Record<string, unknown>;
      if (typeof args.disputeId !== "bigint") continue;
      const key = args.disputeId.toString();
      const list = this.events.get(key) ?? [];
      this.events.set(key, list);
      list.push({
        eventName: e.eventName,
        args,
        blockNumber: e.blockNumber,
        transactionHash: e.transactionHash,
      });
    }
  }

  private async count(): Promise<number> {
    const c = this.contract as DisputeGameContract;
    const n = await this.clients.publicClient.readContract({
      address: c.address,
      abi: disputeGameAbi,
      functionName: "disputeCount",
    });
    return Number(n);
  }

  private async nodeCount(modelId: Address | string): Promise<number | null> {
    const hit = this.nodeCounts.get(modelId);
    if (hit !== undefined) return hit;
    try {
      const m = (await this.clients.publicClient.readContract({
        address: this.bridge,
        abi: bridgeAbi,
        functionName: "getModel",
        args: [modelId as `0x${string}`],
      })) as { nodeCount: number | bigint };
      const n = Number(m.nodeCount);
      if (n > 0) this.nodeCounts.set(modelId, n);
      return n > 0 ? n : null;
    } catch {
      return null; // the summary then shows the range unclipped
    }
  }

  private async summary(id: bigint): Promise<DisputeSummary> {
    const c = this.contract as DisputeGameContract;
    const d = await c.getDispute(id);
    return summarizeDispute(id, d, this.events.get(id.toString()) ?? [], await this.nodeCount(d.modelId));
  }

  async list(limit: number): Promise<{ game: Address | null; count: number; disputes: DisputeSummary[] }> {
    const game = await this.game();
    if (!game) return { game, count: 0, disputes: [] };
    await this.sync();
    const count = await this.count();
    const ids: bigint[] = [];
    for (let i = count - 1; i >= 0 && ids.length < limit; i--) ids.push(BigInt(i));
    return { game, count, disputes: await Promise.all(ids.map((i) => this.summary(i))) };
  }

  async get(id: bigint): Promise<DisputeSummary | null> {
    if (!(await this.game())) return null;
    await this.sync();
    if (id >= BigInt(await this.count())) return null;
    return this.summary(id);
  }
}
