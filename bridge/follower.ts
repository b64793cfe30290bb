/**
 * Follows the Bridge's and the DisputeGame's events on L1 and turns them into L2 system
 * transactions: the viem-backed L1Source the sequencer asks at every block it seals
 * (sequencer/l1.ts). Only blocks with `confirmations` blocks on top are read, so a reorg
 * shallower than that never reaches L2; the returned origin (number and hash of the newest block
 * read) goes into the L2 block header.
 *
 * Derived: the Bridge's Deposited, ModelRegistered, InferenceRequested, StakeChanged and
 * TransactionForced (a forcedTx, whatever its bytes hold), the game's DisputeOpened and
 * DisputeResolved; each gets one entry in `toSystemTx` below, and the txs come out in L1 log
 * order across both contracts. Whether a derived tx applies is the state machine's call (a
 * second dispute on a refunded job is rejected there and skipped by the node).
 */
import type { Address, Hex } from "viem";
import { encodeEventTopics, getAbiItem, parseEventLogs, zeroAddress } from "viem";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../contracts/artifacts/DisputeGame.ts";
import type { SystemTx, Tx } from "../protocol/tx.ts";
import { INBOX_MODEL, INBOX_REQUEST, INBOX_STAKE } from "../sequencer/fault-proof/encoding.ts";
import type { L1Clients } from "./clients.ts";

export interface L1Origin {
  number: number;
  hash: Hex;
}

export interface BridgeFollowerOptions {
  bridge: Address;
  /**
   * The DisputeGame whose disputes L2 follows. Left out: `bridge.disputeGame()`, asked at each
   * derive until the Bridge names one (it can only be set once).
   */
  disputeGame?: Address;
  /** Blocks that must sit on top of a block before its events are derived. */
  confirmations: number;
  /** The Bridge's deployment block: nothing before it is read. */
  startBlock?: number;
  /** Largest block range per eth_getLogs call (nodes cap it; 2,000 is safe on most). */
  maxRange?: number;
}

type BridgeLog = ReturnType<typeof parseEventLogs<typeof bridgeAbi>>[number];
type GameLog = ReturnType<
  typeof parseEventLogs<typeof disputeGameAbi, true, "DisputeOpened" | "DisputeResolved">
>[number];
type L1Log = BridgeLog | GameLog;

/** What a DisputeResolved needs from its DisputeOpened (the resolved event has no job id). */
interface OpenedDispute {
  jobId: Hex;
  claimKey: Hex;
  claimer: Address;
}

const WINNER_CLAIMER = 1;
const WINNER_CHALLENGER = 2;
const WINNER_VOID = 3;
const WINNER_UNBACKED = 4;

const DISPUTE_OPENED = getAbiItem({ abi: disputeGameAbi, name: "DisputeOpened" });
/** The game logs every move; only the two events L2 derives are fetched. */
const GAME_TOPICS = [
  [
    encodeEventTopics({ abi: disputeGameAbi, eventName: "DisputeOpened" })[0],
    encodeEventTopics({ abi: disputeGameAbi, eventName: "DisputeResolved" })[0],
  ],
];

function byLogOrder(a: L1Log, b: L1Log): number {
  return a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1;
}

export class BridgeFollower {
  readonly confirmations: number;
  private readonly clients: L1Clients;
  private readonly opts: Required<Omit<BridgeFollowerOptions, "disputeGame">>;
  private game: Address | null;
  /** Disputes seen opened and not yet resolved (filled in log order; refilled by a scan after a restart). */
  private readonly opened = new Map<bigint, OpenedDispute>();

  constructor(clients: L1Clients, opts: BridgeFollowerOptions) {
    if (!Number.isInteger(opts.confirmations) || opts.confirmations < 0) {
      throw new RangeError(`confirmations must be a non-negative integer, got ${opts.confirmations}`);
    }
    const maxRange = opts.maxRange ?? 2000;
    if (!Number.isInteger(maxRange) || maxRange < 1)
      throw new RangeError(`maxRange must be >= 1, got ${maxRange}`);
    this.clients = clients;
    this.confirmations = opts.confirmations;
    this.game = opts.disputeGame && opts.disputeGame !== zeroAddress ? opts.disputeGame : null;
    this.opts = {
      startBlock: opts.startBlock ?? 0,
      bridge: opts.bridge,
      confirmations: opts.confirmations,
      maxRange,
    };
  }

  /** System txs from L1 blocks (after, origin], in L1 log order, and the new origin. */
  async derive(after: number): Promise<{ origin: L1Origin; txs: Tx[] }> {
    if (!Number.isInteger(after) || after < 0)
      throw new RangeError(`after must be a block number, got ${after}`);
    const pub = this.clients.publicClient;
    const tip = Number(await pub.getBlockNumber({ cacheTime: 0 }));
    const safe = tip - this.confirmations;
    if (safe <= after) return { origin: await this.origin(after), txs: [] };
    const game = await this.disputeGame();
    const txs: Tx[] = [];
    for (let from = Math.max(after + 1, this.opts.startBlock); from <= safe; from += this.opts.maxRange) {
      const range = {
        fromBlock: BigInt(from),
        toBlock: BigInt(Math.min(safe, from + this.opts.maxRange - 1)),
      };
      const [bridgeLogs, gameLogs] = await Promise.all([
        pub.getLogs({ address: this.opts.bridge, ...range }),
        game ? pub.getLogs({ address: game, topics: GAME_TOPICS, ...range } as never) : [],
      ]);
      const parsed: L1Log[] = [
        ...parseEventLogs({ abi: bridgeAbi, logs: bridgeLogs }),
        ...parseEventLogs({ abi: disputeGameAbi, logs: gameLogs as typeof bridgeLogs }).filter(
          (l): l is GameLog => l.eventName === "DisputeOpened" || l.eventName === "DisputeResolved",
        ),
      ];
      parsed.sort(byLogOrder);
      for (const log of parsed) {
        if (log.eventName === "InboxQueued") {
          // A model, an L1 request and a queued stake change queue their inbox message just before
          // their event, in the same call: the event's tx names it (docs/rollup.md 8).
          const kind = Number(log.args.kind);
          if (kind === INBOX_MODEL || kind === INBOX_REQUEST || kind === INBOX_STAKE)
            this.pendingInbox = { kind, index: log.args.inboxIndex, txHash: log.transactionHash };
          continue;
        }
        const tx = await this.toSystemTx(log);
        if (tx) txs.push(tx);
      }
    }
    return { origin: await this.origin(safe), txs };
  }

  /** The inbox message an L1 event's InboxQueued announced for the event after it. */
  private pendingInbox: { kind: number; index: bigint; txHash: Hex | null } | null = null;

  /** The inbox index queued for `log` (kind `kind`) just before it; null when none was. */
  private takeInbox(log: L1Log, kind: number): bigint | null {
    const p = this.pendingInbox;
    this.pendingInbox = null;
    if (!p || p.kind !== kind || p.txHash !== log.transactionHash) return null;
    return p.index;
  }

  /** Like takeInbox, for an event that always has its message (a model, an L1 request). */
  private requireInbox(log: L1Log, kind: number): bigint {
    const i = this.takeInbox(log, kind);
    if (i === null)
      throw new Error(
        `${log.eventName} in L1 tx ${log.transactionHash} has no inbox message before it (a Bridge older than L1 events in the inbox?)`,
      );
    return i;
  }

  private async toSystemTx(log: L1Log): Promise<SystemTx | undefined> {
    switch (log.eventName) {
      case "Deposited":
        return {
          type: "deposit",
          depositId: log.args.depositId,
          recipient: log.args.l2Recipient,
          amount: log.args.amount,
        };
      case "ModelRegistered":
        return {
          type: "modelRegistered",
          inboxIndex: this.requireInbox(log, INBOX_MODEL),
          modelId: log.args.modelId,
          registrant: log.args.registrant,
          cid: log.args.cid,
        };
      case "InferenceRequested":
        // L1 deadlines are seconds (block time); L2 deadlines are ms. The Bridge caps the deadline
        // so the product stays an exact JS number.
        return {
          type: "l1InferenceRequest",
          inboxIndex: this.requireInbox(log, INBOX_REQUEST),
          requestId: log.args.requestId,
          requester: log.args.requester,
          modelId: log.args.modelId,
          inputRoot: log.args.inputRoot,
          inputCid: log.args.inputCid,
          escrow: log.args.escrow,
          deadline: Number(log.args.deadline) * 1000,
        };
      case "DisputeOpened": {
        const d = {
          jobId: log.args.jobId,
          claimKey: log.args.claimKey,
          claimer: log.args.claimer.toLowerCase() as Address,
        };
        this.opened.set(log.args.disputeId, d);
        return {
          type: "disputeOpened",
          disputeId: log.args.disputeId,
          ...d,
          challenger: log.args.challenger,
        };
      }
      case "DisputeResolved": {
        const id = log.args.disputeId;
        const d = this.opened.get(id) ?? (await this.findOpened(id, Number(log.blockNumber)));
        this.opened.delete(id);
        // Not found: opened before startBlock, so L2 never followed it; nothing to derive.
        if (!d) return undefined;
        const w = log.args.winner;
        // Unbacked: the signer had no stake, the dispute ended at once and L1 did not invalidate
        // the claim (anyone can sign a worker's claim content with an empty key): for L2 the
        // claim stands, as after a claimer's win.
        if (w === WINNER_UNBACKED) return { type: "disputeResolved", disputeId: id, ...d, claimerWon: true };
        if (w !== WINNER_CLAIMER && w !== WINNER_CHALLENGER && w !== WINNER_VOID) return undefined;
        // Void: another dispute invalidated this claim first. For L2 that is a lost claim: the
        // state machine refunds the job if that earlier loss did not already.
        return { type: "disputeResolved", disputeId: id, ...d, claimerWon: w === WINNER_CLAIMER };
      }
      case "TransactionForced":
        // in the block whatever its bytes hold: it consumes its inbox message either way
        return {
          type: "forcedTx",
          inboxIndex: log.args.inboxIndex,
          sender: log.args.sender.toLowerCase() as Address,
          data: log.args.signedL2Tx.toLowerCase() as Hex,
        };
      case "StakeChanged": {
        // Absolute values, numbered per worker: the state machine applies each change once, in order.
        // Without an inbox message before it, it is a slash's (Bridge.settleDispute does not queue).
        const inboxIndex = this.takeInbox(log, INBOX_STAKE);
        return {
          type: "workerStake",
          ...(inboxIndex === null ? {} : { inboxIndex }),
          worker: log.args.worker.toLowerCase() as Address,
          seq: log.args.seq,
          active: log.args.active,
          unbonding: log.args.unbonding,
        };
      }
      default:
        return undefined; // events L2 does not derive (bonds, batches, withdrawals)
    }
  }

  /** The DisputeOpened of dispute `id`, scanning back from `before` (after a restart the cache is empty). */
  private async findOpened(id: bigint, before: number): Promise<OpenedDispute | undefined> {
    const game = this.game;
    if (!game) return undefined;
    const step = this.opts.maxRange;
    for (let to = before; to >= this.opts.startBlock; to -= step) {
      const from = Math.max(this.opts.startBlock, to - step + 1);
      const logs = await this.clients.publicClient.getLogs({
        address: game,
        event: DISPUTE_OPENED,
        args: { disputeId: id },
        fromBlock: BigInt(from),
        toBlock: BigInt(to),
      });
      const l = logs[0];
      if (l)
        return {
          jobId: l.args.jobId as Hex,
          claimKey: l.args.claimKey as Hex,
          claimer: (l.args.claimer as Address).toLowerCase() as Address,
        };
    }
    return undefined;
  }

  /** The game whose events are derived; null while the Bridge has none. */
  private async disputeGame(): Promise<Address | null> {
    if (this.game) return this.game;
    const g = await this.clients.publicClient.readContract({
      address: this.opts.bridge,
      abi: bridgeAbi,
      functionName: "disputeGame",
    });
    if (g !== zeroAddress) this.game = g;
    return this.game;
  }

  private async origin(n: number): Promise<L1Origin> {
    const block = await this.clients.publicClient.getBlock({ blockNumber: BigInt(n) });
    return { number: n, hash: block.hash };
  }
}
