/**
 * What a person reads about a dispute: the on-chain Dispute struct and the game's events turned
 * into plain JSON (decimal strings for big integers) with the narrowing spelled out level by level
 * (docs/dispute-game.md): trace leaves still in dispute, the node, the chunk, the element, the
 * fold range [kLo, kHi], the winner. Pure: the L1 reads live in feed.ts.
 *
 * The struct's `index`/`depthLeft` mean the trace node during the trace descent and the chunk-tree
 * node during the tensor descent, so which fields are meaningful follows from the phase and, once
 * the game is resolved, from the events it emitted on the way.
 */
import { Phase, sideToMove, WINNER_NAMES } from "../../bridge/dispute/vocabulary.ts";

/** The struct fields this module reads (a subset of bridge/dispute/game.ts FullDisputeState). */
export interface DisputeStruct {
  claimer: string;
  challenger: string;
  claimKey: string;
  modelId: string;
  traceRoot: string;
  phase: number;
  winner: number;
  lastMoveAt: bigint;
  claimerTimeLeft: bigint;
  challengerTimeLeft: bigint;
  index: bigint;
  depthLeft: number;
  nodeIndex: number;
  chunkCount: bigint;
  element: bigint;
  value: bigint;
  foldLength: bigint;
  kLo: bigint;
  kHi: bigint;
}

/** A parsed DisputeGame event of one dispute (viem's parseEventLogs shape, plus its block). */
export interface GameEvent {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint | null;
  transactionHash: string | null;
}

export type Stage =
  | "output"
  | "trace"
  | "leaf"
  | "chunk"
  | "element"
  | "fold"
  | "one-step"
  | "resolved"
  | "unknown";

interface PhaseInfo {
  name: string;
  stage: Stage;
  /** Who the game waits for. */
  toMove: "claimer" | "challenger" | null;
  /** What that side must do, in a few words. */
  waitsFor: string;
}

/** What each phase of contracts/src/DisputeGame.sol (bridge/dispute/vocabulary.ts Phase) waits for. */
const PHASE_TEXT: Record<Exclude<keyof typeof Phase, "none">, Pick<PhaseInfo, "stage" | "waitsFor">> = {
  traceReveal: { stage: "trace", waitsFor: "claimer reveals trace children" },
  tracePick: { stage: "trace", waitsFor: "challenger picks a trace child" },
  leafReveal: { stage: "leaf", waitsFor: "claimer opens the trace leaf" },
  chunkReveal: { stage: "chunk", waitsFor: "claimer reveals chunk children" },
  chunkPick: { stage: "chunk", waitsFor: "challenger picks a chunk child" },
  chunkData: { stage: "element", waitsFor: "claimer reveals the 1 KiB chunk" },
  elementPick: { stage: "element", waitsFor: "challenger picks an element" },
  foldPost: { stage: "fold", waitsFor: "claimer posts fold states" },
  foldPick: { stage: "fold", waitsFor: "challenger picks a fold segment" },
  oneStep: { stage: "one-step", waitsFor: "the one step is checked on L1" },
  resolved: { stage: "resolved", waitsFor: "nothing: resolved" },
  outputAnswer: { stage: "output", waitsFor: "claimer binds the output to its trace leaf" },
  outputsReveal: { stage: "output", waitsFor: "claimer reveals every output root" },
  outputPick: { stage: "output", waitsFor: "challenger names the output it disputes" },
  traceCommit: { stage: "trace", waitsFor: "claimer commits its deferred trace root" },
  openingChoice: { stage: "trace", waitsFor: "challenger chooses level 0 or level 1" },
};

/** Phases by number; who the game waits for is the contract's rule (`sideToMove`). */
export const PHASES: Record<number, PhaseInfo> = Object.fromEntries(
  Object.entries(PHASE_TEXT).map(([name, text]) => {
    const phase = Phase[name as keyof typeof PHASE_TEXT];
    return [phase, { name, ...text, toMove: sideToMove(phase) }];
  }),
);

const LEVEL_LABEL: Record<Stage, string> = {
  output: "Level 0 · output binding",
  trace: "Level 1 · trace descent",
  leaf: "Level 1 · trace leaf found",
  chunk: "Level 2 · tensor descent",
  element: "Level 2 · element",
  fold: "Level 3 · fold bisection",
  "one-step": "Level 3 · one step",
  resolved: "Resolved",
  unknown: "Unknown phase",
};

export interface Range {
  /** First index still in dispute. */
  from: number;
  /** Last index still in dispute (inclusive). */
  to: number;
  /** How many indexes that is. */
  size: number;
}

export interface DisputeSummary {
  id: string;
  jobId: string | null;
  claimer: string;
  challenger: string;
  claimKey: string;
  modelId: string;
  traceRoot: string;
  phase: number;
  phaseName: string;
  stage: Stage;
  level: string;
  /** One line: where the game stands. */
  headline: string;
  toMove: "claimer" | "challenger" | null;
  waitsFor: string;
  winner: (typeof WINNER_NAMES)[number] | "unknown";
  reason: string | null;
  clocks: { claimer: string; challenger: string; lastMoveAt: string };
  narrowing: {
    /** Level 0: the graph output whose binding to the trace is disputed. */
    output: string | null;
    /** Trace leaves (graph nodes) still in dispute during the trace descent. */
    trace: (Range & { nodeCount: number | null; depthLeft: number }) | null;
    node: number | null;
    chunks: (Range & { chunkCount: string; depthLeft: number }) | null;
    chunk: string | null;
    element: string | null;
    value: string | null;
    fold: { foldLength: string; kLo: string; kHi: string } | null;
  };
  moves: { block: string | null; tx: string | null; event: string; text: string }[];
}

/** Leaves [index * 2^depthLeft, (index + 1) * 2^depthLeft) clipped to `count` when it is known. */
export function subtreeRange(index: bigint, depthLeft: number, count: bigint | null): Range {
  const from = index << BigInt(depthLeft);
  let to = ((index + 1n) << BigInt(depthLeft)) - 1n;
  if (count !== null && to > count - 1n) to = count - 1n;
  if (to < from) to = from;
  return { from: Number(from), to: Number(to), size: Number(to - from + 1n) };
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
const str = (v: unknown): string => (typeof v === "bigint" ? v.toString() : String(v));

/** One line per game event, as a person reads it. */
export function describeEvent(e: GameEvent): string {
  const a = e.args;
  switch (e.eventName) {
    case "DisputeOpened":
      return `opened by ${str(a.challenger).toLowerCase()} against ${str(a.claimer).toLowerCase()} (job ${str(a.jobId)})`;
    case "TraceChildrenRevealed":
      return `claimer revealed ${(a.children as unknown[]).length} trace children of node ${str(a.index)} (${plural(Number(a.depthLeft), "level")} above the leaves)`;
    case "TraceChildPicked":
      return `challenger picked trace child ${str(a.child)} → node ${str(a.index)}, ${plural(Number(a.depthLeft), "level")} left`;
    case "LeafRevealed":
      return `claimer opened trace leaf ${str(a.nodeIndex)}: ${plural(Number(a.chunkCount), "chunk")}`;
    case "ChunkChildrenRevealed":
      return `claimer revealed ${(a.children as unknown[]).length} chunk-tree children of ${str(a.index)} (${plural(Number(a.depthLeft), "level")} left)`;
    case "ChunkChildPicked":
      return `challenger picked chunk child ${str(a.child)} → ${str(a.index)}, ${plural(Number(a.depthLeft), "level")} left`;
    case "ChunkRevealed":
      return `claimer revealed chunk ${str(a.chunkIndex)}`;
    case "ElementPicked":
      return `challenger picked element ${str(a.element)} (claimed value ${str(a.value)})`;
    case "FoldStatesPosted":
      return `claimer posted ${plural((a.states as unknown[]).length, "fold state")} for [${str(a.kLo)}, ${str(a.kHi)}]`;
    case "FoldSegmentPicked":
      return `challenger picked fold segment ${str(a.segment)} → [${str(a.kLo)}, ${str(a.kHi)}]`;
    case "OneStepChecked":
      return `one step checked on L1: computed ${str(a.computed)}, claimed ${str(a.claimed)}`;
    case "OutputChallenged":
      return `level 0: output ${str(a.outputIndex)} challenged against the claim's output root`;
    case "OutputAnswered":
      return `claimer bound output ${str(a.outputIndex)} to node ${str(a.nodeIndex)} slot ${str(a.slot)}: ${a.outputTensorRoot === a.traceTensorRoot ? "same tensor root" : "different tensor roots"}`;
    case "TraceCommitted":
      return `claimer committed its deferred trace root ${str(a.traceRoot).slice(0, 10)}..`;
    case "OpeningChosen":
      return Number(a.kind) === 0
        ? "challenger chose level 1 (the trace descent) against the committed trace"
        : Number(a.kind) === 1
          ? `challenger chose level 0 on output ${str(a.outputIndex)}`
          : "challenger chose level 0 without naming the output";
    case "DirectMove":
      return Number(a.kind) === 1
        ? `direct move: trace leaf ${str(a.index)} with its proof`
        : `direct move: chunk ${str(a.index)} with its proof`;
    case "DisputeResolved":
      return `resolved: ${WINNER_NAMES[Number(a.winner)] ?? `winner ${str(a.winner)}`} wins (${str(a.reason)})`;
    default:
      return e.eventName;
  }
}

/**
 * The summary of dispute `id`. `nodeCount` is the model's node count (the trace tree's leaf
 * count) when known; `events` are this dispute's events in chain order.
 */
export function summarizeDispute(
  id: bigint,
  d: DisputeStruct,
  events: GameEvent[],
  nodeCount: number | null,
): DisputeSummary {
  const info: PhaseInfo = PHASES[d.phase] ?? {
    name: `phase ${d.phase}`,
    stage: "unknown",
    toMove: null,
    waitsFor: `phase ${d.phase} (not known to this dashboard)`,
  };
  const seen = (name: string) => events.some((e) => e.eventName === name);
  const p = d.phase;
  const resolved = info.stage === "resolved";
  // Level 0 decides the game by itself: it never descends the trace.
  const level0 = info.stage === "output" || seen("OutputChallenged");
  const answered = events.find((e) => e.eventName === "OutputAnswered");
  // What the game has pinned down so far (a resolved game keeps what it reached).
  const nodeKnown =
    (p >= 3 && p <= 10) ||
    answered !== undefined ||
    (resolved && (seen("LeafRevealed") || seen("DirectMove") || d.chunkCount > 0n));
  const chunkKnown = (p >= 6 && p <= 10) || (resolved && seen("ChunkRevealed"));
  const elementKnown = (p >= 8 && p <= 10) || (resolved && seen("ElementPicked"));
  const foldKnown = d.kHi > 0n;
  const inTrace = p === 1 || p === 2 || (resolved && !nodeKnown && !level0);
  const inChunks = p === 4 || p === 5 || (resolved && nodeKnown && !chunkKnown && d.chunkCount > 0n);

  const n = nodeCount === null ? null : BigInt(nodeCount);
  const trace = inTrace
    ? { ...subtreeRange(d.index, d.depthLeft, n), nodeCount, depthLeft: d.depthLeft }
    : null;
  const chunks = inChunks
    ? {
        ...subtreeRange(d.index, d.depthLeft, d.chunkCount > 0n ? d.chunkCount : null),
        chunkCount: d.chunkCount.toString(),
        depthLeft: d.depthLeft,
      }
    : null;
  const narrowing: DisputeSummary["narrowing"] = {
    output: level0 ? (answered ? str(answered.args.outputIndex) : d.index.toString()) : null,
    trace,
    node: nodeKnown ? d.nodeIndex : null,
    chunks,
    chunk: chunkKnown ? d.index.toString() : null,
    element: elementKnown ? d.element.toString() : null,
    value: elementKnown ? d.value.toString() : null,
    fold: foldKnown
      ? { foldLength: d.foldLength.toString(), kLo: d.kLo.toString(), kHi: d.kHi.toString() }
      : null,
  };

  const opened = events.find((e) => e.eventName === "DisputeOpened");
  const resolvedEv = events.find((e) => e.eventName === "DisputeResolved");
  const winner = WINNER_NAMES[d.winner] ?? "unknown";
  return {
    id: id.toString(),
    jobId: opened ? str(opened.args.jobId) : null,
    claimer: d.claimer.toLowerCase(),
    challenger: d.challenger.toLowerCase(),
    claimKey: d.claimKey,
    modelId: d.modelId,
    traceRoot: d.traceRoot,
    phase: d.phase,
    phaseName: info.name,
    stage: info.stage,
    level: LEVEL_LABEL[info.stage],
    headline: headline(info, narrowing, winner, resolvedEv ? str(resolvedEv.args.reason) : null),
    toMove: info.toMove,
    waitsFor: info.waitsFor,
    winner,
    reason: resolvedEv ? str(resolvedEv.args.reason) : null,
    clocks: {
      claimer: d.claimerTimeLeft.toString(),
      challenger: d.challengerTimeLeft.toString(),
      lastMoveAt: d.lastMoveAt.toString(),
    },
    narrowing,
    moves: events.map((e) => ({
      block: e.blockNumber === null ? null : e.blockNumber.toString(),
      tx: e.transactionHash,
      event: e.eventName,
      text: describeEvent(e),
    })),
  };
}

function headline(
  info: PhaseInfo,
  n: DisputeSummary["narrowing"],
  winner: string,
  reason: string | null,
): string {
  const where: string[] = [];
  if (n.output !== null) where.push(`output ${n.output}`);
  if (n.trace)
    where.push(
      n.trace.size === 1
        ? `trace node ${n.trace.from}`
        : `trace nodes ${n.trace.from}–${n.trace.to}${n.trace.nodeCount === null ? "" : ` of ${n.trace.nodeCount}`}`,
    );
  if (n.node !== null) where.push(`node ${n.node}`);
  if (n.chunks)
    where.push(
      n.chunks.size === 1
        ? `chunk ${n.chunks.from}`
        : `chunks ${n.chunks.from}–${n.chunks.to} of ${n.chunks.chunkCount}`,
    );
  if (n.chunk !== null && n.element === null) where.push(`chunk ${n.chunk}`);
  if (n.element !== null) where.push(`element ${n.element}`);
  if (n.fold) where.push(`fold [${n.fold.kLo}, ${n.fold.kHi}] of ${n.fold.foldLength}`);
  const at = where.length ? `: ${where.join(", ")}` : "";
  if (info.stage === "resolved") return `Resolved, ${winner} wins${reason ? ` (${reason})` : ""}${at}`;
  return `${LEVEL_LABEL[info.stage]}${at} · waiting: ${info.waitsFor}`;
}
