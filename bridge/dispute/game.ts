/**
 * Typed calls to the DisputeGame contract: open a dispute on a signed claim, play any planned
 * move, time a side out, and read the game back (struct + the events the planners need). Every
 * write is simulated first so a revert surfaces as a DisputeGameRevert (a BridgeRevert) naming the
 * custom error.
 */
import {
  type Address,
  encodeAbiParameters,
  type Hex,
  type Log,
  numberToHex,
  pad,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";
import { bridgeAbi } from "../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../contracts/artifacts/DisputeGame.ts";
import { disputeOpeningsAbi } from "../../contracts/artifacts/DisputeOpenings.ts";
import { oneStepVerifierAbi } from "../../contracts/artifacts/OneStepVerifier.ts";
import { BridgeRevert, type ClaimMessage, type RevertFactory, simulateAndSend } from "../bridge.ts";
import { ContractClient } from "../clients.ts";
import type {
  DisputeState,
  GameView,
  InputBindingArg,
  InputOpeningArg,
  Move,
  Opening,
  RevealedChildren,
} from "./vocabulary.ts";
import { OpeningKind } from "./vocabulary.ts";

/**
 * The game ABI plus the errors of the contracts it calls (DisputeOpenings, the verifier, the
 * Bridge), so nested reverts are named too.
 */
const gameErrorNames = new Set<string>(disputeGameAbi.filter((x) => x.type === "error").map((x) => x.name));
const abi = [
  ...disputeGameAbi,
  ...[...disputeOpeningsAbi, ...oneStepVerifierAbi, ...bridgeAbi].filter(
    (x) => x.type === "error" && !gameErrorNames.has(x.name),
  ),
];

/** DisputeOpenings.InputOpening as its ABI gives it (checkInputOpening's last parameter): one definition. */
const inputOpeningParam = (() => {
  const f = disputeOpeningsAbi.find((x) => x.type === "function" && x.name === "checkInputOpening");
  const p = f && "inputs" in f ? f.inputs[3] : undefined;
  if (p?.type !== "tuple") throw new Error("DisputeOpenings.checkInputOpening has no InputOpening parameter");
  return p;
})();

/** challengeInput's `o`: abi.encode(InputOpening), which DisputeOpenings.inputOutsideRange reads. */
export function encodeInputOpening(o: InputOpeningArg): Hex {
  return encodeAbiParameters([inputOpeningParam], [o]);
}

export interface GameTx {
  txHash: Hex;
  receipt: TransactionReceipt;
  gasUsed: bigint;
}

/** A DisputeGame call reverted; `errorName` is the custom error (game, verifier or Bridge). */
export class DisputeGameRevert extends BridgeRevert {
  constructor(functionName: string, errorName: string, args: readonly unknown[], detail: string) {
    super(functionName, errorName, args, detail);
    this.name = "DisputeGameRevert";
    this.message = this.message.replace(/^Bridge\./, "DisputeGame.");
  }
}

const gameRevert: RevertFactory = (f, e, a, d) => new DisputeGameRevert(f, e, a, d);

export type FullDisputeState = DisputeState & {
  claimer: Address;
  /** When the dispute was opened (L1 seconds): after its claim's window, proveClaimFinal ends it. */
  openedAt: bigint;
  challenger: Address;
  claimKey: Hex;
  modelId: Hex;
  inputRoot: Hex;
  traceRoot: Hex;
  lastMoveAt: bigint;
  claimerTimeLeft: bigint;
  challengerTimeLeft: bigint;
  node: Hex;
  descriptorHash: Hex;
  outDtype: number;
  outBytes: bigint;
  chunkCount: bigint;
  statesHash: Hex;
};

/** A DisputeOpened event's arguments and the L1 block it is in. */
export interface OpenedDispute {
  disputeId: bigint;
  claimKey: Hex;
  claimer: Address;
  challenger: Address;
  jobId: Hex;
  modelId: Hex;
  traceRoot: Hex;
  blockNumber: bigint;
}

/** chooseOpening's (kind, outputIndex) for an opening planned against a committed trace. */
export function openingArgs(o: Opening): [number, bigint] {
  if (o.kind === "openDispute") return [OpeningKind.trace, 0n];
  if (o.kind === "challengeOutput") return [OpeningKind.output, BigInt(o.outputIndex)];
  if (o.kind === "challengeOutputs") return [OpeningKind.outputs, 0n];
  throw new RangeError(`${o.kind} is not a choice after commitTrace`);
}

export class DisputeGameContract extends ContractClient {
  private async write(functionName: string, args: readonly unknown[]): Promise<GameTx> {
    const r = await simulateAndSend(
      this.clients,
      this.wallet,
      { contract: "DisputeGame", address: this.address, abi, functionName, args },
      gameRevert,
    );
    return { ...r, gasUsed: r.receipt.gasUsed };
  }

  /** Opens a dispute on `claim` (the caller's challenger bond is locked); returns its id. */
  async open(claim: ClaimMessage, signature: Hex): Promise<GameTx & { disputeId: bigint }> {
    const r = await this.write("openDispute", [claim, signature]);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: r.receipt.logs, eventName: "DisputeOpened" });
    return { ...r, disputeId: ev.args.disputeId };
  }

  /**
   * Level 0: opens a dispute on the binding of graph output `outputIndex` of the claim's
   * outputRoot to its trace (the caller's challenger bond is locked); returns its id.
   */
  async challengeOutput(
    claim: ClaimMessage,
    signature: Hex,
    outputIndex: number | bigint,
  ): Promise<GameTx & { disputeId: bigint }> {
    const r = await this.write("challengeOutput", [claim, signature, BigInt(outputIndex)]);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: r.receipt.logs, eventName: "DisputeOpened" });
    return { ...r, disputeId: ev.args.disputeId };
  }

  /**
   * Level 0 without naming the output (issue 18, attack 11): the claimer must reveal every output
   * tensor root against the claim's outputRoot, then the challenger names one. Returns its id.
   */
  async challengeOutputs(claim: ClaimMessage, signature: Hex): Promise<GameTx & { disputeId: bigint }> {
    const r = await this.write("challengeOutputs", [claim, signature]);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: r.receipt.logs, eventName: "DisputeOpened" });
    return { ...r, disputeId: ev.args.disputeId };
  }

  /**
   * Opens a dispute on a deferred claim (traceRoot 0, docs/dispute-game.md "Deferred trace"): the
   * claimer must commit its full trace root, then the challenger chooses the opening.
   */
  async openDeferred(claim: ClaimMessage, signature: Hex): Promise<GameTx & { disputeId: bigint }> {
    const r = await this.write("openDeferred", [claim, signature]);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: r.receipt.logs, eventName: "DisputeOpened" });
    return { ...r, disputeId: ev.args.disputeId };
  }

  /**
   * An element of the claim's input outside its input's declared range: the dispute opens and
   * ends at once, won by the caller; any opening that does not show it reverts by name
   * (DisputeOpenings.inputOutsideRange). `opening` may come encoded already (raw bytes, as the
   * contract takes them). Returns its id.
   */
  async challengeInput(
    claim: ClaimMessage,
    signature: Hex,
    opening: InputOpeningArg | Hex,
  ): Promise<GameTx & { disputeId: bigint }> {
    const encoded = typeof opening === "string" ? opening : encodeInputOpening(opening);
    const r = await this.write("challengeInput", [claim, signature, encoded]);
    const [ev] = parseEventLogs({ abi: disputeGameAbi, logs: r.receipt.logs, eventName: "DisputeOpened" });
    return { ...r, disputeId: ev.args.disputeId };
  }

  /** Opens the dispute a challenger planned (verifier/game/planner.ts `planOpening`). */
  openPlanned(claim: ClaimMessage, signature: Hex, o: Opening): Promise<GameTx & { disputeId: bigint }> {
    if (o.kind === "openDispute") return this.open(claim, signature);
    if (o.kind === "openDeferred") return this.openDeferred(claim, signature);
    if (o.kind === "challengeInput") return this.challengeInput(claim, signature, o.opening);
    if (o.kind === "challengeOutputs") return this.challengeOutputs(claim, signature);
    return this.challengeOutput(claim, signature, o.outputIndex);
  }

  /** Sends a planned move. */
  play(id: bigint, m: Move): Promise<GameTx> {
    switch (m.kind) {
      case "commitTrace":
        return this.write("commitTrace", [id, m.traceRoot]);
      case "chooseOpening":
        return this.chooseOpening(id, ...openingArgs(m.opening));
      case "answerOutput":
        return this.write("answerOutput", [id, m.answer]);
      case "revealOutputs":
        return this.write("revealOutputs", [id, m.roots]);
      case "pickOutput":
        return this.write("pickOutput", [id, m.roots, BigInt(m.outputIndex)]);
      case "revealTraceChildren":
        return this.write("revealTraceChildren", [id, m.children]);
      case "pickTraceChild":
        return this.write("pickTraceChild", [id, m.children, BigInt(m.child)]);
      case "revealLeaf":
        return this.write("revealLeaf", [id, m.descriptor, m.proof, m.dataRoot]);
      case "revealChunkChildren":
        return this.write("revealChunkChildren", [id, m.children]);
      case "pickChunkChild":
        return this.write("pickChunkChild", [id, m.children, BigInt(m.child)]);
      case "revealChunk":
        return this.write("revealChunk", [id, m.chunk]);
      case "pickElement":
        return this.write("pickElement", [id, m.chunk, BigInt(m.elementInChunk)]);
      case "postFoldStates":
        return this.write("postFoldStates", [id, m.foldLength, m.finalState, m.states]);
      case "pickFoldSegment":
        return this.write("pickFoldSegment", [id, m.states, BigInt(m.segment)]);
      case "oneStep":
        return this.write("oneStep", [id, m.descriptor, m.inputs, m.openings]);
      case "directTraceLeaf":
        return this.write("directTraceLeaf", [id, m.nodeIndex, m.leaf, m.proof]);
      case "directChunk":
        return this.write("directChunk", [id, m.chunkIndex, m.chunk, m.proof]);
    }
  }

  /** Challenger of a deferred claim, after commitTrace: opening `kind` (OpeningKind) on output k. */
  chooseOpening(id: bigint, kind: number, outputIndex: bigint): Promise<GameTx> {
    return this.write("chooseOpening", [id, kind, outputIndex]);
  }

  /**
   * Challenger, once the claimer posted a fold length K: the disputed node's descriptor and its
   * inputs bound to their sources (a one step's `inputs`), which fix the op's true K; a K that
   * differs loses the claimer the game (`FoldLengthMatches` when it does not differ).
   */
  challengeFoldLength(id: bigint, descriptor: Hex, inputs: InputBindingArg[]): Promise<GameTx> {
    return this.write("challengeFoldLength", [id, descriptor, inputs]);
  }

  timeout(id: bigint): Promise<GameTx> {
    return this.write("timeout", [id]);
  }

  closeVoid(id: bigint): Promise<GameTx> {
    return this.write("closeVoid", [id]);
  }

  /**
   * Ends dispute `id`, won by the claimer, when it was opened after its claim's challenge window:
   * the claim is leaf `leafIndex` of batch `batchIndex`'s claims tree (protocol/claims.ts) on the
   * Bridge (issue 18, attack 6). Anyone may send it.
   */
  proveClaimFinal(
    id: bigint,
    batchIndex: bigint,
    p: { leafIndex: number; leafCount: number; proof: Hex[] },
  ): Promise<GameTx> {
    return this.write("proveClaimFinal", [id, batchIndex, BigInt(p.leafIndex), BigInt(p.leafCount), p.proof]);
  }

  async getDispute(id: bigint): Promise<FullDisputeState> {
    return (await this.clients.publicClient.readContract({
      address: this.address,
      abi: disputeGameAbi,
      functionName: "getDispute",
      args: [id],
    })) as FullDisputeState;
  }

  async claimInvalidated(claimKey: Hex): Promise<boolean> {
    return this.clients.publicClient.readContract({
      address: this.address,
      abi: disputeGameAbi,
      functionName: "claimInvalidated",
      args: [claimKey],
    });
  }

  /** L1 block each dispute was opened in: later reads start there, not at genesis. */
  private readonly openedAt = new Map<bigint, bigint>();

  /**
   * The L1 time a move or timeout sent now is judged at (seconds): the latest block's timestamp,
   * or the wall clock (`clock`, ms) when that is later, since an idle automining dev chain stamps
   * its next block with the wall clock. The one "now" both players read the clocks against.
   */
  async now(clock: () => number = Date.now): Promise<bigint> {
    const b = await this.clients.publicClient.getBlock({ blockTag: "latest" });
    const wall = BigInt(Math.floor(clock() / 1000));
    return b.timestamp > wall ? b.timestamp : wall;
  }

  /**
   * DisputeOpened logs from `fromBlock` to `toBlock`, filtered on the event's indexed arguments
   * (disputeId, claimKey, claimer): the one query the agents use to find their disputes.
   */
  async disputesOpened(
    filter: { disputeId?: bigint; claimKey?: Hex; claimer?: Address },
    fromBlock: bigint,
    toBlock: bigint | "latest" = "latest",
  ): Promise<OpenedDispute[]> {
    const logs = await this.clients.publicClient.getContractEvents({
      address: this.address,
      abi: disputeGameAbi,
      eventName: "DisputeOpened",
      args: filter,
      fromBlock,
      toBlock,
      strict: true,
    });
    return logs.map((l) => ({ ...l.args, blockNumber: l.blockNumber }));
  }

  /**
   * Every log of dispute `id`: every game event has `disputeId` as its first indexed argument,
   * so the node filters on that topic, and after the first read only blocks from the opening on
   * are scanned (a long-lived chain would otherwise be read from genesis at every turn).
   */
  private async disputeLogs(id: bigint): Promise<Log[]> {
    const idTopic = pad(numberToHex(id), { size: 32 });
    const getLogs = (fromBlock: bigint, topics: (Hex | null)[]) =>
      this.clients.publicClient.request({
        method: "eth_getLogs",
        params: [{ address: this.address, fromBlock: numberToHex(fromBlock), toBlock: "latest", topics }],
      }) as Promise<Log[]>;
    let from = this.openedAt.get(id);
    if (from === undefined) {
      const [opened] = await this.disputesOpened({ disputeId: id }, 0n);
      if (!opened) return [];
      from = opened.blockNumber;
      this.openedAt.set(id, from);
    }
    return getLogs(from, [null, idTopic]);
  }

  /** The dispute struct and what its events revealed: the planners' input. */
  async readGame(id: bigint): Promise<GameView & { dispute: FullDisputeState }> {
    const dispute = await this.getDispute(id);
    const logs = await this.disputeLogs(id);
    const events = parseEventLogs({ abi: disputeGameAbi, logs }).filter(
      (e) => "disputeId" in e.args && e.args.disputeId === id,
    );
    const traceReveals: RevealedChildren[] = [];
    const view: GameView & { dispute: FullDisputeState } = { dispute, traceReveals };
    for (const e of events) {
      if (e.eventName === "TraceChildrenRevealed")
        traceReveals.push({
          index: e.args.index,
          depthLeft: e.args.depthLeft,
          children: [...e.args.children],
        });
      else if (e.eventName === "ChunkChildrenRevealed")
        view.lastChunkReveal = {
          index: e.args.index,
          depthLeft: e.args.depthLeft,
          children: [...e.args.children],
        };
      else if (e.eventName === "ChunkRevealed") view.chunk = e.args.chunk;
      else if (e.eventName === "DirectMove" && e.args.kind === 1)
        view.traceDirect = { nodeIndex: Number(e.args.index), leaf: e.args.leaf, proof: [...e.args.proof] };
      else if (e.eventName === "FoldStatesPosted") view.foldStates = [...e.args.states];
      else if (e.eventName === "OutputsRevealed") view.outputReveal = [...e.args.outputTensorRoots];
    }
    return view;
  }
}
