/**
 * Pure move planners for the dispute game (docs/dispute-game.md, contracts/src/DisputeGame.sol):
 * given a party's view of the run (view.ts) and the game as the chain shows it, the next move.
 * No I/O: the caller reads the game (bridge/dispute/game.ts `readGame`) and sends the move (`play`).
 *
 * Claimer: reveals from its own trace (children, leaf, chunk, fold states) and binds a disputed
 * graph output to its trace leaf (level 0). Challenger: chooses the level to open at
 * (planOpening), names the leftmost child that differs from its own trace, the first differing
 * element, the first fold segment whose end differs, and builds the one-step openings.
 */
import type { Hex } from "viem";
import {
  ARITY_BITS,
  type DisputeState,
  type GameView,
  type InputBindingArg,
  type Move,
  type Opening,
  type OutputAnswerArg,
  Phase,
  type RevealedChildren,
} from "../../bridge/dispute/vocabulary.ts";
import {
  concatBytes,
  dtypeByCode,
  fromHex,
  merkleProof,
  merkleRoot,
  sha256,
  toHex,
  zeroHash,
} from "../../protocol/index.ts";
import { isDeferredTrace } from "../../protocol/tx.ts";
import { openNodeDescriptor, openOutputRef } from "../../prover-trace/commit/model.ts";
import { CHUNK, type TensorCommitment } from "../../prover-trace/commit/tensor.ts";
import type { TraceCommitment } from "../../prover-trace/commit/trace.ts";
import { OpCode } from "../../prover-trace/profile/opcodes.ts";
import {
  type ElementRead,
  elementDependencies,
  foldWitness,
} from "../../prover-trace/reference/eval-element.ts";
import { isFold } from "../../prover-trace/reference/fold.ts";
import type { RefNode } from "../../prover-trace/reference/types.ts";
import { openChunk } from "../../prover-trace/witness/chunk.ts";
import { elementOf, type PartyView, sourceTensor, viewOutputRoot } from "./view.ts";

/** The game's vocabulary (phases, winners, moves, whose turn), for callers of the planners. */
export * from "../../bridge/dispute/vocabulary.ts";

/** Thrown when a planner cannot move: the view and the game contradict each other. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

// ---------------------------------------------------------------------------------- helpers

/** Node `index` at `level` of a tree given by its levels (padding nodes are zero hashes). */
function nodeAt(levels: Uint8Array[], level: number, index: number): Uint8Array {
  const lvl = levels[level];
  return index * 32 < lvl.length ? lvl.slice(index * 32, index * 32 + 32) : zeroHash(level);
}

/** The 2^min(4, depthLeft) children, depthLeft levels above the leaves, below node `index`. */
function childrenOf(levels: Uint8Array[], index: number, depthLeft: number): Hex[] {
  const bits = Math.min(ARITY_BITS, depthLeft);
  const level = depthLeft - bits;
  const out: Hex[] = [];
  for (let c = 0; c < 1 << bits; c++) out.push(toHex(nodeAt(levels, level, index * (1 << bits) + c)));
  return out;
}

function leftmostDiffering(levels: Uint8Array[], g: RevealedChildren, what: string): number {
  const own = childrenOf(levels, Number(g.index), g.depthLeft);
  const c = own.findIndex((h, k) => h !== g.children[k]);
  if (c < 0) throw new PlanError(`${what}: every revealed child equals ours, nothing to dispute`);
  return c;
}

/** Fold points of the segment [kLo, kHi] the claimer posts states at (the contract's rule). */
export function foldPoints(kLo: bigint, kHi: bigint): bigint[] {
  const n = kHi - kLo;
  const out: bigint[] = [];
  if (n <= 16n) for (let t = 1n; t < n; t++) out.push(kLo + t);
  else for (let t = 1n; t < 16n; t++) out.push(kLo + (n * t) / 16n);
  return out;
}

function refNode(v: PartyView, i: number): RefNode {
  const n = v.ref.nodes[i];
  if (!n) throw new PlanError(`node ${i} is not in the model`);
  return n;
}

function disputedOutput(v: PartyView, d: DisputeState): TensorCommitment {
  return v.trace.outputs[d.nodeIndex][0];
}

/** readInput over this view's inputs of node `node`. */
function reader(v: PartyView, node: RefNode) {
  return (slot: number, flat: number) => elementOf(sourceTensor(v, node.inputs[slot]), flat);
}

function foldStates(v: PartyView, d: DisputeState): bigint[] {
  const node = refNode(v, d.nodeIndex);
  return foldWitness(node, Number(d.element), reader(v, node)).states;
}

// ---------------------------------------------------------------------------------- claimer

const MASK64 = (1n << 64n) - 1n;

/**
 * s_K as posted: ArgMax's must carry the claimed index v (the contract checks s_K >> 64 == v).
 * A view whose own output disagrees with its own fold (a lying claimer's) keeps the running max
 * and swaps in the claimed index: the bisection then ends on a wrong last step.
 */
function finalStateFor(d: DisputeState, sK: bigint): bigint {
  if (d.opCode !== OpCode.ArgMax || sK >> 64n === d.value) return sK;
  return (d.value << 64n) | (sK & MASK64);
}

/** The claimer's next move, or null when it is not the claimer's turn. */
export function planClaimerMove(v: PartyView, g: GameView): Move | null {
  const d = g.dispute;
  switch (d.phase) {
    case Phase.traceCommit:
      return { kind: "commitTrace", traceRoot: toHex(v.trace.root) };
    case Phase.outputAnswer:
      return { kind: "answerOutput", answer: planOutputAnswer(v, Number(d.index)) };
    case Phase.outputsReveal:
      return { kind: "revealOutputs", roots: v.outputs.map((o) => toHex(o.root)) };
    case Phase.traceReveal:
      return {
        kind: "revealTraceChildren",
        children: childrenOf(v.trace.levels, Number(d.index), d.depthLeft),
      };
    case Phase.leafReveal: {
      const o = openNodeDescriptor(v.model, d.nodeIndex);
      return {
        kind: "revealLeaf",
        descriptor: toHex(o.descriptor),
        proof: o.proof.map(toHex),
        dataRoot: toHex(disputedOutput(v, d).dataRoot),
      };
    }
    case Phase.chunkReveal:
      return {
        kind: "revealChunkChildren",
        children: childrenOf(disputedOutput(v, d).levels, Number(d.index), d.depthLeft),
      };
    case Phase.chunkData:
      return { kind: "revealChunk", chunk: toHex(disputedOutput(v, d).chunk(Number(d.index))) };
    case Phase.foldPost: {
      const s = foldStates(v, d);
      const first = d.kHi === 0n;
      const K = BigInt(s.length - 1);
      const kHi = first ? K : d.kHi;
      return {
        kind: "postFoldStates",
        foldLength: first ? K : 0n,
        finalState: first ? finalStateFor(d, s[s.length - 1]) : 0n,
        states: foldPoints(d.kLo, kHi).map((k) => s[Number(k)]),
      };
    }
    default:
      return null;
  }
}

/**
 * Level 0 from the claimer's view: output k's tensor root under its outputRoot, the model's ref k
 * and trace leaf `node` with their proofs. From a view whose outputs are not its trace's, the
 * answer shows roots that differ, and the contract rules against it.
 */
export function planOutputAnswer(v: PartyView, k: number): OutputAnswerArg {
  const out = v.outputs[k];
  if (!out) throw new PlanError(`graph output ${k} is not in the model (${v.outputs.length} outputs)`);
  const ref = openOutputRef(v.model, k);
  const leaf = v.trace.outputs[ref.node];
  if (!leaf) throw new PlanError(`output ref ${k} names node ${ref.node}, not in the trace`);
  return {
    outputTensorRoot: toHex(out.root),
    outputProof: merkleProof(v.outputLevels, k).map(toHex),
    node: ref.node,
    slot: ref.slot,
    refProof: ref.proof.map(toHex),
    leafOutputs: leaf.map((t) => toHex(t.root)),
    traceProof: merkleProof(v.trace.levels, ref.node).map(toHex),
  };
}

// ---------------------------------------------------------------------------------- challenger

/**
 * The challenger's choice of level. A trace root that differs from ours: level 1 (openDispute),
 * whatever the outputs say, since the trace game needs no outputs. The same trace but another
 * outputRoot: the claimer's outputs are not its trace's, level 0 on an output whose tensor root
 * differs from ours. With one graph output that is output 0 (challengeOutput). With several, the
 * claimed outputs' tensor roots (from the published outputs, `claim.outputCid`) name it when they
 * hash to the claim's outputRoot; otherwise (none published, too few, or not the claim's: issue
 * 18, attacks 10-11) the opening names none (challengeOutputs): the claimer must reveal every
 * root against its outputRoot, and the challenger names one of those. A published file is never
 * trusted: a k it names while not hashing to outputRoot could be a correct leaf, and the
 * challenger would lose its bond.
 */
export function planOpening(
  v: PartyView,
  claim: { traceRoot: Hex; outputRoot: Hex },
  claimedOutputRoots?: readonly (Hex | Uint8Array)[],
): Exclude<Opening, { kind: "challengeInput" }> | null {
  if (isDeferredTrace(claim.traceRoot)) return planDeferredOpening(toHex(viewOutputRoot(v)), claim);
  if (claim.traceRoot.toLowerCase() !== toHex(v.trace.root)) return { kind: "openDispute" };
  if (claim.outputRoot.toLowerCase() === toHex(viewOutputRoot(v))) return null;
  if (v.outputs.length === 1) return { kind: "challengeOutput", outputIndex: 0 };
  const claimed = claimedOutputRoots?.map((r) => (typeof r === "string" ? fromHex(r) : r));
  if (
    !claimed ||
    claimed.length !== v.outputs.length ||
    claimed.some((r) => r.length !== 32) ||
    toHex(merkleRoot(claimed)) !== claim.outputRoot.toLowerCase()
  )
    return { kind: "challengeOutputs" };
  const k = claimed.findIndex((r, i) => toHex(r) !== toHex(v.outputs[i].root));
  return { kind: "challengeOutput", outputIndex: k };
}

/**
 * A deferred claim (traceRoot DEFERRED_TRACE, docs/dispute-game.md "Deferred trace") needs only the
 * outputRoot of a plain run to decide: the same root, nothing to dispute; another, openDeferred
 * (the choice of level comes after the claimer's commitTrace, planChallengerMove).
 */
export function planDeferredOpening(
  ourOutputRoot: Hex,
  claim: { traceRoot: Hex; outputRoot: Hex },
): Exclude<Opening, { kind: "challengeInput" }> | null {
  if (!isDeferredTrace(claim.traceRoot))
    throw new PlanError(`claim trace root ${claim.traceRoot} is not deferred`);
  return claim.outputRoot.toLowerCase() === ourOutputRoot.toLowerCase() ? null : { kind: "openDeferred" };
}

/**
 * The choice after a deferred claim's commitTrace: planOpening's rule applied to the COMMITTED
 * root (the dispute's traceRoot) and the claim's outputRoot (kept in the dispute's node until the
 * choice). Another trace than ours: level 1, its first wrong node is found by the descent. Our
 * trace: its outputs are ours, so the claim's differing outputRoot loses at level 0 (named k with
 * one output or verified published roots, else unnamed).
 */
export function planOpeningChoice(v: PartyView, g: GameView, claimedOutputRoots?: readonly Hex[]): Move {
  const d = g.dispute;
  if (!d.traceRoot || !d.node)
    throw new PlanError("the game view lacks the committed trace root or outputRoot");
  const opening = planOpening(v, { traceRoot: d.traceRoot, outputRoot: d.node }, claimedOutputRoots);
  if (!opening)
    throw new PlanError("the committed trace and the claim's outputs are ours: nothing to dispute");
  return { kind: "chooseOpening", opening };
}

/**
 * Level 0, unnamed: the first revealed output root that differs from ours. The reveal hashes to
 * the claim's outputRoot (the contract checked it) and that root is not ours, so one differs.
 */
export function planOutputPick(v: PartyView, revealed: readonly Hex[]): Move {
  if (revealed.length !== v.outputs.length)
    throw new PlanError(`${revealed.length} revealed output roots for ${v.outputs.length} graph outputs`);
  const k = revealed.findIndex((r, i) => r.toLowerCase() !== toHex(v.outputs[i].root));
  if (k < 0) throw new PlanError("every revealed output root equals ours, nothing to dispute");
  return { kind: "pickOutput", roots: [...revealed], outputIndex: k };
}

/** The challenger's next move, or null when it is not the challenger's turn. */
export function planChallengerMove(v: PartyView, g: GameView): Move | null {
  const d = g.dispute;
  switch (d.phase) {
    case Phase.openingChoice:
      return planOpeningChoice(v, g, g.claimedOutputRoots);
    case Phase.outputPick: {
      if (!g.outputReveal) throw new PlanError("no output reveal to pick from");
      return planOutputPick(v, g.outputReveal);
    }
    case Phase.tracePick: {
      const last = g.traceReveals[g.traceReveals.length - 1];
      if (!last) throw new PlanError("no trace reveal to pick from");
      return {
        kind: "pickTraceChild",
        children: last.children,
        child: leftmostDiffering(v.trace.levels, last, "trace"),
      };
    }
    case Phase.chunkPick: {
      const last = g.lastChunkReveal;
      if (!last) throw new PlanError("no chunk reveal to pick from");
      const child = leftmostDiffering(disputedOutput(v, d).levels, last, "chunk tree");
      return { kind: "pickChunkChild", children: last.children, child };
    }
    case Phase.elementPick: {
      if (!g.chunk) throw new PlanError("no revealed chunk");
      const theirs = fromHex(g.chunk);
      const out = disputedOutput(v, d);
      const own = out.chunk(Number(d.index));
      const size = dtypeByCode(out.dtype).bytes;
      for (let e = 0; e < CHUNK / size; e++) {
        for (let b = 0; b < size; b++) {
          if (theirs[e * size + b] !== own[e * size + b])
            return { kind: "pickElement", chunk: g.chunk, elementInChunk: e };
        }
      }
      throw new PlanError("the revealed chunk equals ours, nothing to dispute");
    }
    case Phase.foldPick: {
      const posted = g.foldStates;
      if (!posted) throw new PlanError("no posted fold states");
      const s = foldStates(v, d);
      const points = foldPoints(d.kLo, d.kHi);
      let segment = points.findIndex((k, t) => s[Number(k)] !== posted[t]);
      if (segment < 0) segment = points.length; // all agreed: the last segment, ending at the disputed sHi
      return { kind: "pickFoldSegment", states: posted, segment };
    }
    case Phase.oneStep:
      return planOneStep(v, g);
    default:
      return null;
  }
}

/**
 * Nodes of the claimer's trace tree known from the reveals, keyed "level:index": the siblings a
 * proof of leaf j < i against the claimer's root needs that are not honest subtrees of our own.
 */
function claimerTraceNodes(
  reveals: readonly RevealedChildren[],
  direct?: { nodeIndex: number; leaf: Hex; proof: Hex[] },
): Map<string, Uint8Array> {
  const known = new Map<string, Uint8Array>();
  // A direct move's path: leaf i, its ancestors and their siblings in the claimer's tree.
  if (direct) {
    let node = fromHex(direct.leaf);
    let i = direct.nodeIndex;
    direct.proof.forEach((h, l) => {
      const sib = fromHex(h);
      known.set(`${l}:${i}`, node);
      known.set(`${l}:${i ^ 1}`, sib);
      node = sha256(i & 1 ? concatBytes(sib, node) : concatBytes(node, sib));
      i >>= 1;
    });
  }
  for (const r of reveals) {
    const bits = Math.log2(r.children.length);
    let level = r.depthLeft - bits;
    let layer = r.children.map((h) => fromHex(h));
    let base = Number(r.index) * r.children.length;
    while (true) {
      for (let k = 0; k < layer.length; k++) known.set(`${level}:${base + k}`, layer[k]);
      if (layer.length === 1) break;
      const next: Uint8Array[] = [];
      for (let k = 0; k < layer.length; k += 2) next.push(sha256(concatBytes(layer[k], layer[k + 1])));
      layer = next;
      base >>= 1;
      level++;
    }
  }
  return known;
}

function traceProofAgainstClaimer(v: PartyView, g: GameView, j: number): Hex[] {
  const known = claimerTraceNodes(g.traceReveals, g.traceDirect);
  const depth = v.trace.levels.length - 1;
  const proof: Hex[] = [];
  for (let l = 0; l < depth; l++) {
    const sib = (j >> l) ^ 1;
    proof.push(toHex(known.get(`${l}:${sib}`) ?? nodeAt(v.trace.levels, l, sib)));
  }
  return proof;
}

/** The one-step openings: every input bound to its source, every read element opened. */
export function planOneStep(v: PartyView, g: GameView): Move {
  const d = g.dispute;
  const node = refNode(v, d.nodeIndex);
  const desc = openNodeDescriptor(v.model, d.nodeIndex);
  const inputs: InputBindingArg[] = node.inputs.map((ref) => {
    const t = sourceTensor(v, ref);
    let proof: Hex[];
    if (ref.kind === 0) proof = merkleProof(v.inputLevels, ref.index).map(toHex);
    else if (ref.kind === 1) proof = merkleProof(v.weightLevels, ref.index).map(toHex);
    else proof = traceProofAgainstClaimer(v, g, ref.index);
    return { dtype: t.dtype, shape: [...t.shape], dataRoot: toHex(t.dataRoot), proof };
  });
  let reads: ElementRead[];
  if (isFold(node)) {
    const deps = elementDependencies(node, Number(d.element));
    if (deps.kind !== "fold") throw new PlanError("fold op without fold dependencies");
    const k = Number(d.kHi);
    if (k < 1) throw new PlanError(`fold step ${k} out of range`);
    // A claimer that posted a fold longer than the op's K (issue 18, attack 8) is bisected into
    // a step past K, which does not exist: the one step then needs only the node's bindings (the
    // contract checks K before it reads any element), so the honest move is one without openings.
    reads = k > deps.steps.length ? [] : deps.steps[k - 1];
  } else {
    const deps = elementDependencies(node, Number(d.element), reader(v, node));
    if (deps.kind !== "map") throw new PlanError("map op without map dependencies");
    reads = deps.reads;
  }
  const openings = reads.map((r) => {
    const t = sourceTensor(v, node.inputs[r.input]);
    const size = dtypeByCode(t.dtype).bytes;
    const o = openChunk(t, Math.floor((r.index * size) / CHUNK));
    return { chunkIndex: BigInt(o.chunkIndex), chunk: toHex(o.chunk), proof: o.proof.map(toHex) };
  });
  return { kind: "oneStep", descriptor: toHex(desc.descriptor), inputs, openings };
}

// ---------------------------------------------------------------------------------- direct mode

/** The first leaf under the current node where two trees differ, and `published`'s path to it. */
function firstDifferingLeaf(
  own: Uint8Array[],
  published: Uint8Array[],
  index: bigint,
  depthLeft: number,
  leafCount: number,
): { leaf: number; hash: Hex; proof: Hex[] } {
  const first = Number(index) * 2 ** depthLeft;
  const end = Math.min(leafCount, first + 2 ** depthLeft);
  for (let j = first; j < end; j++) {
    const theirs = nodeAt(published, 0, j);
    if (toHex(theirs) === toHex(nodeAt(own, 0, j))) continue;
    const proof: Hex[] = [];
    for (let l = 0; l < depthLeft; l++) proof.push(toHex(nodeAt(published, l, (j >> l) ^ 1)));
    return { leaf: j, hash: toHex(theirs), proof };
  }
  throw new PlanError("the published tree agrees with ours under the current node");
}

/**
 * Direct mode, trace level: with the claimer's published trace, name its first wrong leaf under
 * the current node in one move (null outside the trace descent).
 */
export function planDirectTraceLeaf(v: PartyView, g: GameView, published: TraceCommitment): Move | null {
  const d = g.dispute;
  if (d.phase !== Phase.traceReveal && d.phase !== Phase.tracePick) return null;
  const f = firstDifferingLeaf(v.trace.levels, published.levels, d.index, d.depthLeft, v.trace.nodeCount);
  return { kind: "directTraceLeaf", nodeIndex: f.leaf, leaf: f.hash, proof: f.proof };
}

/**
 * Direct mode, tensor level: with the claimer's published output tensor, supply its first
 * differing chunk under the current node in one move (null outside the chunk descent).
 */
export function planDirectChunk(v: PartyView, g: GameView, published: TensorCommitment): Move | null {
  const d = g.dispute;
  if (d.phase !== Phase.chunkReveal && d.phase !== Phase.chunkPick) return null;
  const own = disputedOutput(v, d);
  const f = firstDifferingLeaf(own.levels, published.levels, d.index, d.depthLeft, own.chunkCount);
  return {
    kind: "directChunk",
    chunkIndex: BigInt(f.leaf),
    chunk: toHex(published.chunk(f.leaf)),
    proof: f.proof,
  };
}
