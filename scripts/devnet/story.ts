/**
 * The devnet's progress log: what happens to the demo jobs, read from the network itself (the
 * sequencer's L2 blocks and the L1 DisputeGame / Bridge events), told one line per step:
 * posted, claimed, submitted, disputed level by level, slashed, paid or refunded. It only reads,
 * so it can be pointed at any running network; counters let the caller (tests, the bench) see
 * where the story stands.
 */
import { type Address, formatEther, type PublicClient, parseEventLogs } from "viem";
import { bridgeAbi } from "../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../contracts/artifacts/DisputeGame.ts";
import { describeEvent } from "../../sequencer/dashboard/summary.ts";

export interface StoryOptions {
  l2Url: string;
  l1: PublicClient;
  bridge: Address;
  game: Address;
  /** Role names by lower-case address (L1 and L2 accounts are the same keys). */
  names: Map<string, string>;
  /** What the requester asked, by job id (lower case). */
  prompts: Map<string, string>;
  challengeWindowMs: number;
  /** First L2 block and first L1 block read. */
  fromL2Block: number;
  fromL1Block: bigint;
  say(line: string): void;
  pollMs?: number;
}

export interface StoryCounts {
  posted: number;
  claimed: number;
  submitted: number;
  paid: number;
  refunded: number;
  disputesOpened: number;
  disputesWonByChallenger: number;
  disputesWonByClaimer: number;
  deposits: number;
}

const LEVEL: Record<string, string> = {
  TraceCommitted: "deferred trace",
  OpeningChosen: "deferred trace",
  OutputChallenged: "level 0 (output)",
  OutputAnswered: "level 0 (output)",
  TraceChildrenRevealed: "level 1 (trace)",
  TraceChildPicked: "level 1 (trace)",
  LeafRevealed: "level 1 (trace)",
  ChunkChildrenRevealed: "level 2 (tensor)",
  ChunkChildPicked: "level 2 (tensor)",
  ChunkRevealed: "level 2 (tensor)",
  ElementPicked: "level 2 (tensor)",
  FoldStatesPosted: "level 3 (fold)",
  FoldSegmentPicked: "level 3 (fold)",
  OneStepChecked: "level 3 (one step)",
};

const shortId = (h: string) => `${h.slice(0, 10)}…`;
const eth = (wei: string | bigint) => `${formatEther(BigInt(wei))} ETH`;

export class Story {
  readonly counts: StoryCounts = {
    posted: 0,
    claimed: 0,
    submitted: 0,
    paid: 0,
    refunded: 0,
    disputesOpened: 0,
    disputesWonByChallenger: 0,
    disputesWonByClaimer: 0,
    deposits: 0,
  };
  /** L2 head and state root as last read. */
  l2Head = { number: -1, stateRoot: "" };
  private readonly o: StoryOptions;
  private nextL2: number;
  private nextL1: bigint;
  private readonly jobWorker = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(o: StoryOptions) {
    this.o = o;
    this.nextL2 = o.fromL2Block;
    this.nextL1 = o.fromL1Block;
  }

  private name(addr: unknown): string {
    const a = String(addr).toLowerCase();
    return this.o.names.get(a) ?? `${a.slice(0, 10)}…`;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.poll()
        .catch((e) => this.o.say(`(progress log: ${(e as Error).message})`))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 500);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async poll(): Promise<void> {
    await this.readL2();
    await this.readL1();
  }

  private async readL2(): Promise<void> {
    while (!this.stopped) {
      const r = await fetch(`${this.o.l2Url}/v1/blocks/${this.nextL2}`);
      if (r.status === 404) return;
      if (!r.ok) throw new Error(`L2 block ${this.nextL2}: HTTP ${r.status}`);
      const b = (await r.json()) as {
        header: { number: number; stateRoot: string };
        receipts: { events: { kind: string; [k: string]: unknown }[] }[];
      };
      for (const rc of b.receipts) for (const ev of rc.events) this.onL2Event(ev, b.header.number);
      this.l2Head = { number: b.header.number, stateRoot: b.header.stateRoot };
      this.nextL2++;
    }
  }

  private onL2Event(ev: { kind: string; [k: string]: unknown }, block: number): void {
    const say = (s: string) => this.o.say(`L2 #${block}: ${s}`);
    const jobId = typeof ev.jobId === "string" ? ev.jobId.toLowerCase() : "";
    const job = jobId ? `job ${shortId(jobId)}` : "";
    switch (ev.kind) {
      case "Deposit":
        this.counts.deposits++;
        say(`deposit #${ev.depositId} credited: ${eth(String(ev.amount))} to ${this.name(ev.recipient)}`);
        return;
      case "JobPosted": {
        this.counts.posted++;
        const prompt = this.o.prompts.get(jobId);
        say(`${job} posted by ${this.name(ev.requester)}${prompt ? `: prompt "${prompt}"` : ""}`);
        return;
      }
      case "JobClaimed":
        this.counts.claimed++;
        this.jobWorker.set(jobId, String(ev.worker).toLowerCase());
        say(`${job} claimed by ${this.name(ev.worker)}`);
        return;
      case "ResultSubmitted":
        this.counts.submitted++;
        say(
          `${job} result submitted by ${this.name(ev.worker)} (output root ${shortId(String(ev.outputRoot))}); ` +
            `open to disputes for ${this.o.challengeWindowMs / 1000} s`,
        );
        return;
      case "DisputeOpened":
        say(
          `${job} disputed: L1 dispute #${ev.disputeId} opened by ${this.name(ev.challenger)}; payment held`,
        );
        return;
      case "DisputeResolved":
        // A lost (or void) dispute refunds the escrow in the same tx; a won one puts the job back.
        if (ev.claimerWon === false) {
          this.counts.refunded++;
          say(`${job}: L1 dispute #${ev.disputeId} lost by the worker; escrow refunded to the requester`);
        } else say(`${job}: L1 dispute #${ev.disputeId} won by the worker; paid once its window ends`);
        return;
      case "JobPaid":
        this.counts.paid++;
        say(
          `${job} finalized: ${eth(String(ev.amount))} paid to ${this.name(ev.worker)} after the ${this.o.challengeWindowMs / 1000} s window`,
        );
        return;
      case "JobRefunded":
        this.counts.refunded++;
        say(`${job} refunded to the requester (${ev.reason})`);
        return;
      case "WorkerRegistered":
      case "WorkerUpdated":
        say(`${this.name(ev.worker)} registered as a worker`);
        return;
      default:
        return;
    }
  }

  private async readL1(): Promise<void> {
    const tip = await this.o.l1.getBlockNumber({ cacheTime: 0 });
    if (tip < this.nextL1) return;
    const logs = await this.o.l1.getLogs({
      address: [this.o.game, this.o.bridge],
      fromBlock: this.nextL1,
      toBlock: tip,
    });
    const game = this.o.game.toLowerCase();
    for (const log of logs) {
      const say = (s: string) => this.o.say(`L1 #${log.blockNumber}: ${s}`);
      if (log.address.toLowerCase() === game) {
        const [e] = parseEventLogs({ abi: disputeGameAbi, logs: [log] });
        if (!e) continue;
        const args = e.args as Record<string, unknown>;
        const id = String(args.disputeId);
        const text = describeEvent({
          eventName: e.eventName,
          args,
          blockNumber: log.blockNumber,
          transactionHash: log.transactionHash,
        })
          .replace(/0x[0-9a-f]{40}/g, (a) => this.name(a))
          .replace(/0x[0-9a-f]{64}/g, (h) => shortId(h));
        if (e.eventName === "DisputeOpened") this.counts.disputesOpened++;
        if (e.eventName === "DisputeResolved") {
          if (Number(args.winner) === 2) this.counts.disputesWonByChallenger++;
          if (Number(args.winner) === 1) this.counts.disputesWonByClaimer++;
        }
        say(`dispute #${id}${LEVEL[e.eventName] ? ` ${LEVEL[e.eventName]}` : ""}: ${text}`);
      } else {
        const [e] = parseEventLogs({ abi: bridgeAbi, logs: [log] });
        if (!e) continue;
        const a = e.args as Record<string, unknown>;
        if (e.eventName === "DisputeSettled") {
          const outcome = Number(a.outcome);
          if (outcome === 1)
            say(
              `${this.name(a.worker)} slashed ${eth(a.slashed as bigint)} (half to ${this.name(a.challenger)}, half burned)`,
            );
          else if (outcome === 0) say(`${this.name(a.challenger)} lost its bond to ${this.name(a.worker)}`);
          else if (outcome === 3)
            say(
              `${this.name(a.worker)} had no stake behind its claim: bond back to ${this.name(a.challenger)}`,
            );
          else say(`dispute void: bond back to ${this.name(a.challenger)}`);
        } else if (e.eventName === "Staked") {
          say(
            `${this.name(a.worker)} staked ${eth(a.amount as bigint)} (active ${eth(a.activeStake as bigint)})`,
          );
        } else if (e.eventName === "BondDeposited") {
          say(`${this.name(a.challenger)} deposited a challenger bond of ${eth(a.amount as bigint)}`);
        } else if (e.eventName === "Deposited") {
          say(`deposit #${a.depositId}: ${eth(a.amount as bigint)} to L2 ${this.name(a.l2Recipient)}`);
        } else if (e.eventName === "BatchPosted") {
          say(`sequencer posted L2 batch #${a.batchIndex}: L2 blocks ${a.firstBlock}..${a.lastBlock}`);
        }
      }
    }
    this.nextL1 = tip + 1n;
  }
}
