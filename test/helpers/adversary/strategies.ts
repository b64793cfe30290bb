/**
 * Liar strategies for both sides of the dispute game (issue 18's adversarial harness). Each one
 * builds a game plan for the arena: what the claim commits to, the honest party's view, and a
 * liar that decides every one of its turns. Lying claimers face the honest watcher's real
 * decision code, lying challengers the honest worker's. Randomness comes only from `rng`.
 *
 * A strategy that needs a contract function names it in `needs`; `available()` checks it is in
 * the DisputeGame / Bridge ABI this build was compiled against. The L2 half of the puppet, many
 * lies and old-claim attacks (L2 refunds, refusals, the sequencer's batch claims) is covered by
 * attacks-4-5-settlement, attacks-1-3-collateral and attacks-6-window in test/integration/dispute;
 * here their L1 half is played against the honest agents' real decisions. A puppet key signing
 * the liar's claim and losing it first is refused before any game (the claim names its worker):
 * puppet-signer in test/integration/dispute covers it.
 */
import type { Hex } from "viem";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { dtypeByCode } from "../../../protocol/index.ts";
import { CHUNK, type TensorData } from "../../../prover-trace/commit/tensor.ts";
import { isFold } from "../../../prover-trace/reference/fold.ts";
import { openInputElement } from "../../../verifier/game/input-range.ts";
import {
  type Move,
  type Opening,
  Phase,
  planChallengerMove,
  planClaimerMove,
  planOneStep,
  planOutputAnswer,
  Winner,
} from "../../../verifier/game/planner.ts";
import { buildPartyView, type PartyView } from "../../../verifier/game/view.ts";
import { tracePaddingLiar } from "../padding-liar.ts";
import {
  type Arena,
  type GamePlan,
  InvariantError,
  LAST_SECONDS,
  type Liar,
  type LiarStep,
  type LiarTurn,
  PUPPET,
  type SignedClaim,
  UNBONDING_DELAY,
  WORKER,
} from "./arena.ts";
import type { Rng } from "./rng.ts";

export interface Strategy {
  name: string;
  /** Which side lies. */
  side: "claimer" | "challenger";
  what: string;
  /** Contract functions of issue-18a this strategy needs (absent: runs on any build). */
  needs?: string[];
  plan(a: Arena, rng: Rng): GamePlan;
}

const hasFn = (abi: readonly { type: string; name?: string }[], name: string) =>
  abi.some((x) => x.type === "function" && x.name === name);

/** Whether this build's contracts have what `s` needs. */
export function available(s: Strategy): boolean {
  return (s.needs ?? []).every(
    (n) =>
      hasFn(disputeGameAbi as readonly { type: string; name?: string }[], n) ||
      hasFn(bridgeAbi as readonly { type: string; name?: string }[], n),
  );
}

// ------------------------------------------------------------------------------ building lies

/** Node outputs with element `e` of node `node` changed (any integer dtype). */
function lieAt(outputs: TensorData[][], node: number, e: number, delta: number): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((t) => {
      if (i !== node) return t;
      const data = (t.data as Int32Array).slice();
      const before = data[e];
      data[e] = data[e] + delta;
      if (data[e] === before) data[e] = data[e] - delta; // saturated/wrapped to itself: other way
      return { ...t, data };
    }),
  );
}

/** A random (node, element) of the model, optionally only fold nodes. */
function randomSite(a: Arena, rng: Rng, foldOnly = false): { node: number; element: number } {
  const nodes = a.honest.ref.nodes
    .map((n, i) => ({ n, i }))
    .filter(({ n }) => !foldOnly || isFold(n))
    .map(({ i }) => i);
  const node = rng.pick(nodes);
  const size = (a.f.outputs[node][0].data as Int32Array).length;
  return { node, element: rng.int(size) };
}

function lyingView(a: Arena, rng: Rng, foldOnly = false): PartyView {
  const { node, element } = randomSite(a, rng, foldOnly);
  return buildPartyView(a.f.model, [a.f.input], lieAt(a.f.outputs, node, element, rng.int(5) + 1));
}

/** The planner's move for the liar's own view; a planner error means it has nothing to send. */
function plannerMove(side: "claimer" | "challenger", v: PartyView, t: LiarTurn): LiarStep {
  try {
    const m = side === "claimer" ? planClaimerMove(v, t.game) : planChallengerMove(v, t.game);
    return m ? { kind: "move", move: m } : { kind: "wait" };
  } catch {
    return { kind: "wait" };
  }
}

/** A liar that plays the planner on its (lying) view, with `tweak` deciding per turn. */
function liar(
  side: "claimer" | "challenger",
  view: PartyView,
  tweak: (t: LiarTurn, planned: LiarStep) => LiarStep = (_t, p) => p,
): Liar {
  return {
    side,
    step: (t) => (t.ourTurn ? tweak(t, plannerMove(side, view, t)) : { kind: "wait" }),
  };
}

/** Sends `planned` only in the last seconds of the liar's clock. */
function lastSecond(t: LiarTurn, planned: LiarStep, side: "claimer" | "challenger"): LiarStep {
  const d = t.game.dispute;
  const left = side === "claimer" ? d.claimerTimeLeft : d.challengerTimeLeft;
  return t.now >= d.lastMoveAt + left - LAST_SECONDS ? planned : { kind: "wait", lastSecond: true };
}

function flipHash(h: Hex): Hex {
  const last = Number.parseInt(h.slice(-2), 16) ^ 1;
  return `${h.slice(0, -2)}${last.toString(16).padStart(2, "0")}` as Hex;
}

/** secp256k1's group order: s and n - s are the two encodings of one signature. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The two non-canonical encodings of a canonical (v = 27/28, low s) signature, as attack 9 builds them. */
function otherEncodings(sig: Hex): { signature: Hex; error: string }[] {
  const raw = fromHex(sig);
  const rawV = Uint8Array.from(raw);
  rawV[64] = raw[64] - 27;
  const twin = Uint8Array.from(raw);
  const s = BigInt(toHex(raw.subarray(32, 64)));
  twin.set(fromHex(`0x${(SECP256K1_N - s).toString(16).padStart(64, "0")}`), 32);
  twin[64] = raw[64] === 27 ? 28 : 27;
  return [
    { signature: toHex(rawV) as Hex, error: "SignatureV" },
    { signature: toHex(twin) as Hex, error: "SignatureS" },
  ];
}

/**
 * A view of the three-output level-0 model with the honest trace and one graph output changed at
 * a random element: a wrong outputRoot that only level 0 shows.
 */
function wrongOutputLevel0(a: Arena, rng: Rng): PartyView {
  const f = a.level0.f;
  const k = rng.int(f.honestOutputs.length);
  const out = f.honestOutputs[k];
  const data = (out.data as Int32Array).slice();
  const e = rng.int(data.length);
  // ArgMax indices (int64): another index in range; others: off by a few
  if (typeof data[e] === "bigint") (data as unknown as BigInt64Array)[e] ^= 1n;
  else data[e] = data[e] + rng.int(5) + 1;
  const outputs = f.honestOutputs.map((o, i) => (i === k ? { ...out, data } : o));
  return buildPartyView(f.model, [f.input], f.nodeOutputs, { outputs });
}

/**
 * The puppet (PUPPET, the liar's second bonded challenger) opens a level-0 dispute on the liar's
 * claim and the liar answers it at once: the puppet loses on purpose (its bond paid to the liar).
 * The honest dispute on the same claim must still count (attack 4).
 */
async function puppetLoses(a: Arena, liarView: PartyView, c: SignedClaim) {
  const puppet = a.as(PUPPET);
  const opened = await puppet.challengeOutput(c.claim, c.signature, 0);
  const tx = await a.as(WORKER).play(opened.disputeId, {
    kind: "answerOutput",
    answer: planOutputAnswer(liarView, 0),
  });
  const d = await puppet.getDispute(opened.disputeId);
  if (d.winner !== Winner.claimer) throw new InvariantError(`the puppet's dispute ended ${d.winner}`);
  return tx;
}

/**
 * A deferred claim's lie must reach its outputs (it commits to nothing else): the node producing
 * the MLP's one graph output gets a wrong element, and half the time a random earlier node too,
 * so the first wrong node of the trace is anywhere. The trace is consistent with the wrong output.
 */
function wrongOutputNodeView(a: Arena, rng: Rng): PartyView {
  const last = a.f.model.nodeCount - 1;
  const size = (a.f.outputs[last][0].data as Int32Array).length;
  let outputs = lieAt(a.f.outputs, last, rng.int(size), rng.int(5) + 1);
  if (rng.int(2)) {
    const { node, element } = randomSite(a, rng);
    outputs = lieAt(outputs, node, element, rng.int(5) + 1);
  }
  return buildPartyView(a.f.model, [a.f.input], outputs);
}

/** The honest MLP trace with a wrong graph output (the one output, a random element). */
function wrongOutputView(a: Arena, rng: Rng): PartyView {
  const out = a.f.outputs[a.f.outputs.length - 1][0];
  const data = (out.data as Int32Array).slice();
  data[rng.int(data.length)] += rng.int(5) + 1;
  return buildPartyView(a.f.model, [a.f.input], a.f.outputs, { outputs: [{ ...out, data }] });
}

const randomHash = (rng: Rng): Hex => toHex(Uint8Array.from({ length: 32 }, () => rng.int(256))) as Hex;

/** The three openings a challenger can choose after commitTrace (the MLP has one output). */
const CHOICES: Opening[] = [
  { kind: "openDispute" },
  { kind: "challengeOutput", outputIndex: 0 },
  { kind: "challengeOutputs" },
];

// ------------------------------------------------------------------------------ the strategies

/** Liars on deferred claims (traceRoot 0): the trace is committed in the dispute (commitTrace). */
const DEFERRED_STRATEGIES: Strategy[] = [
  {
    name: "deferred-never-commits",
    side: "claimer",
    what: "a deferred claim with a wrong output whose claimer never commits a trace: it loses on time",
    needs: ["openDeferred"],
    plan: (a, rng) => ({
      deferred: true,
      claimView: wrongOutputNodeView(a, rng),
      honestView: a.honest,
      liar: { side: "claimer", step: () => ({ kind: "wait" }) },
    }),
  },
  {
    name: "deferred-commits-garbage",
    side: "claimer",
    what: "a deferred wrong claim whose claimer commits a random root, then answers from its own view (refused: the root is no tree of it)",
    needs: ["openDeferred"],
    plan: (a, rng) => {
      const v = wrongOutputNodeView(a, rng);
      const garbage = randomHash(rng);
      return {
        deferred: true,
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (t, p) =>
          t.game.dispute.phase === Phase.traceCommit
            ? { kind: "move", move: { kind: "commitTrace", traceRoot: garbage } }
            : p,
        ),
      };
    },
  },
  {
    name: "deferred-honest-trace-wrong-output",
    side: "claimer",
    what: "a deferred claim with a wrong output whose claimer commits the honest trace: level 0 (named output 0, or unnamed on the three-output model)",
    needs: ["openDeferred"],
    plan: (a, rng) => {
      const level0 = rng.int(2) === 1;
      const v = level0 ? wrongOutputLevel0(a, rng) : wrongOutputView(a, rng);
      return {
        deferred: true,
        level0,
        claimView: v,
        honestView: level0 ? a.level0.f.honest : a.honest,
        liar: liar("claimer", v),
      };
    },
  },
  {
    name: "deferred-wrong-node",
    side: "claimer",
    what: "a deferred claim whose committed trace is consistent with its wrong output (a wrong node): level 1 finds the first wrong node, the one step proves it",
    needs: ["openDeferred"],
    plan: (a, rng) => {
      const v = wrongOutputNodeView(a, rng);
      return { deferred: true, claimView: v, honestView: a.honest, liar: liar("claimer", v) };
    },
  },
  {
    name: "deferred-lying-challenger",
    side: "challenger",
    what: "disputes an honest deferred claim, then chooses level 1 or level 0 (named or not) at random and plays on from a lying view",
    needs: ["openDeferred"],
    plan: (a, rng) => {
      const v = rng.int(2) ? wrongOutputNodeView(a, rng) : lyingView(a, rng);
      const choice = rng.pick(CHOICES);
      return {
        deferred: true,
        claimView: a.honest,
        honestView: a.honest,
        liarOpening: { kind: "openDeferred" },
        liar: liar("challenger", v, (t, p) =>
          t.game.dispute.phase === Phase.openingChoice
            ? { kind: "move", move: { kind: "chooseOpening", opening: choice } }
            : p,
        ),
      };
    },
  },
  {
    name: "deferred-challenger-never-chooses",
    side: "challenger",
    what: "disputes an honest deferred claim and, after the claimer's commit, never chooses: it loses on time",
    needs: ["openDeferred"],
    plan: (a) => ({
      deferred: true,
      claimView: a.honest,
      honestView: a.honest,
      liarOpening: { kind: "openDeferred" },
      liar: { side: "challenger", step: () => ({ kind: "wait" }) },
    }),
  },
];

export const STRATEGIES: Strategy[] = [
  {
    name: "wrong-node",
    side: "claimer",
    what: "a wrong value at a random node and element, defended move by move",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return { claimView: v, honestView: a.honest, liar: liar("claimer", v) };
    },
  },
  {
    name: "wrong-fold-step",
    side: "claimer",
    what: "a wrong fold state from a random step on, every later state consistent with it",
    plan: (a, rng) => {
      const v = lyingView(a, rng, true);
      let from: bigint | undefined;
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (t, p) => {
          if (p.kind !== "move" || p.move.kind !== "postFoldStates") return p;
          const m = p.move;
          const d = t.game.dispute;
          const K = d.kHi === 0n ? m.foldLength : d.foldLength;
          from ??= BigInt(rng.int(Number(K)) + 1);
          const pts = m.states.length;
          const kLo = d.kLo;
          const kHi = d.kHi === 0n ? K : d.kHi;
          const at = (i: number) =>
            pts + 1 > Number(kHi - kLo) ? kLo + BigInt(i + 1) : kLo + ((kHi - kLo) * BigInt(i + 1)) / 16n;
          const states = m.states.map((s, i) => (at(i) >= (from as bigint) ? s + 1n : s));
          return { kind: "move", move: { ...m, states } };
        }),
      };
    },
  },
  {
    name: "bad-reveal",
    side: "claimer",
    what: "reveals children that do not hash to their parent (refused), then defends the lie",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      let tried = false;
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (_t, p) => {
          if (tried || p.kind !== "move") return p;
          const m = p.move;
          if (m.kind !== "revealTraceChildren" && m.kind !== "revealChunkChildren") return p;
          tried = true;
          const children = [...m.children];
          const k = rng.int(children.length);
          children[k] = flipHash(children[k]);
          return { kind: "move", move: { ...m, children } };
        }),
      };
    },
  },
  {
    name: "withheld-reveal",
    side: "claimer",
    what: "answers a random number of moves, then withholds its next reveal",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      const stopAt = rng.int(6);
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (t, p) => (t.moves >= stopAt ? { kind: "wait" } : p)),
      };
    },
  },
  {
    name: "silent-claimer",
    side: "claimer",
    what: "never answers the dispute",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: v,
        honestView: a.honest,
        liar: { side: "claimer", step: () => ({ kind: "wait" }) },
      };
    },
  },
  {
    name: "last-second-claimer",
    side: "claimer",
    what: "defends its lie with every move in the last seconds of its clock",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (t, p) => lastSecond(t, p, "claimer")),
      };
    },
  },
  {
    name: "wrong-output",
    side: "claimer",
    what: "an honest trace with a wrong graph output (level 0), answered from its own view",
    plan: (a, rng) => {
      const out = a.f.outputs[a.f.outputs.length - 1][0];
      const data = (out.data as Int32Array).slice();
      data[rng.int(data.length)] += rng.int(5) + 1;
      const v = buildPartyView(a.f.model, [a.f.input], a.f.outputs, { outputs: [{ ...out, data }] });
      return { claimView: v, honestView: a.honest, liar: liar("claimer", v) };
    },
  },
  {
    name: "fold-length-plus-one",
    side: "claimer",
    what: "posts a fold length K + 1 (attack 8) with the true states up to K",
    needs: ["challengeFoldLength"],
    plan: (a, rng) => {
      const v = lyingView(a, rng, true);
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v, (t, p) => {
          if (p.kind !== "move" || p.move.kind !== "postFoldStates") return p;
          const m = p.move;
          const d = t.game.dispute;
          // first round: one state more than the op has; later rounds: the true states, and
          // any point past K (which has none) a made-up one
          const K = d.kHi === 0n ? m.foldLength + 1n : d.kHi;
          const n = K - d.kLo;
          const count = n <= 16n ? Number(n) - 1 : 15;
          const states = Array.from({ length: count }, (_, i) => m.states[i] ?? 0n);
          return { kind: "move", move: { ...m, foldLength: d.kHi === 0n ? K : 0n, states } };
        }),
      };
    },
  },
  {
    name: "lying-challenger",
    side: "challenger",
    what: "disputes an honest claim from a view with a wrong value at a random node",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return { claimView: a.honest, honestView: a.honest, liar: liar("challenger", v) };
    },
  },
  {
    name: "random-picks",
    side: "challenger",
    what: "disputes an honest claim picking random children, elements and fold segments",
    plan: (a, rng) => {
      const pickRandom = (t: LiarTurn, p: LiarStep): LiarStep => {
        const g = t.game;
        const d = g.dispute;
        switch (d.phase) {
          case Phase.tracePick: {
            const last = g.traceReveals[g.traceReveals.length - 1];
            // only children with real leaves under them: a padding pick is refused anyway
            const below = last.depthLeft - Math.log2(last.children.length);
            const valid = last.children
              .map((_, c) => c)
              .filter(
                (c) => (Number(last.index) * last.children.length + c) * 2 ** below < a.f.model.nodeCount,
              );
            return {
              kind: "move",
              move: { kind: "pickTraceChild", children: last.children, child: rng.pick(valid) },
            };
          }
          case Phase.elementPick: {
            if (!g.chunk) return p;
            const out = a.f.outputs[d.nodeIndex][0];
            const per = CHUNK / dtypeByCode(out.dtype).bytes;
            const inChunk = Math.min(per, (out.data as Int32Array).length - Number(d.index) * per);
            return {
              kind: "move",
              move: { kind: "pickElement", chunk: g.chunk, elementInChunk: rng.int(Math.max(1, inChunk)) },
            };
          }
          case Phase.foldPick: {
            if (!g.foldStates) return p;
            return {
              kind: "move",
              move: {
                kind: "pickFoldSegment",
                states: g.foldStates,
                segment: rng.int(g.foldStates.length + 1),
              },
            };
          }
          case Phase.oneStep:
            // the only one step it can build opens the honest inputs: the contract upholds the claim
            try {
              return { kind: "move", move: planOneStep(a.honest, g) as Move };
            } catch {
              return { kind: "wait" };
            }
          default:
            return p;
        }
      };
      return {
        claimView: a.honest,
        honestView: a.honest,
        liar: {
          side: "challenger",
          step: (t) => (t.ourTurn ? pickRandom(t, plannerMove("challenger", a.honest, t)) : { kind: "wait" }),
        },
      };
    },
  },
  {
    name: "withholding-challenger",
    side: "challenger",
    what: "opens a dispute on an honest claim, then never moves",
    plan: (a) => {
      return {
        claimView: a.honest,
        honestView: a.honest,
        liar: { side: "challenger", step: () => ({ kind: "wait" }) },
      };
    },
  },
  {
    name: "last-second-challenger",
    side: "challenger",
    what: "a lying challenger moving in the last seconds of its clock",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: a.honest,
        honestView: a.honest,
        liar: liar("challenger", v, (t, p) => lastSecond(t, p, "challenger")),
      };
    },
  },
  {
    name: "out-of-range-input",
    side: "claimer",
    what: "claims an output for an input with a token id past the model's declared range (no output exists): the watcher's challengeInput slashes it at open, whatever trace it posted",
    plan: (a) => ({
      claimView: a.inputRange.f.honest,
      honestView: a.inputRange.f.honest,
      inputRange: "outside",
      liar: { side: "claimer", step: () => ({ kind: "wait" }) },
    }),
  },
  {
    name: "input-range-challenger",
    side: "challenger",
    what: "opens challengeInput against an honest claim on an in-range input (an in-range element, a narrower range than the model's, the zero padding): each refused by name, changing nothing; then challenges level 0 and loses",
    needs: ["challengeInput"],
    plan: (a, rng) => {
      const f = a.inputRange.f;
      const e = rng.int(f.inputs[0].shape[0]);
      const real = openInputElement(f.model, f.inputs, 0, e);
      const v = Number((f.inputs[0].data as Int32Array)[e]);
      const open = (o: typeof real): Opening => ({ kind: "challengeInput", opening: o });
      return {
        claimView: f.honest,
        honestView: f.honest,
        inputRange: "inside",
        refusedOpenings: [
          { opening: open(real), error: "InputElementInRange", what: `element ${e} (${v}) in range` },
          {
            opening: open({ ...real, max: BigInt(Math.max(0, v - 1)), min: 0n }),
            error: "RangeLeafNotInModel",
            what: `a narrower range that excludes element ${e}`,
          },
          {
            opening: open({ ...real, element: BigInt(f.inputs[0].shape[0]) }),
            error: "ElementNotInInput",
            what: "an element in the zero padding",
          },
        ],
        liarOpening: { kind: "challengeOutput", outputIndex: 0 },
        liar: { side: "challenger", step: () => ({ kind: "wait" }) },
      };
    },
  },
  {
    name: "level0-challenger",
    side: "challenger",
    what: "challenges the honest claim's output binding at level 0",
    plan: (a) => ({
      claimView: a.honest,
      honestView: a.honest,
      liarOpening: { kind: "challengeOutput", outputIndex: 0 },
      liar: { side: "challenger", step: () => ({ kind: "wait" }) },
    }),
  },
  {
    name: "padding-garbage",
    side: "claimer",
    what: "every real value honest, a non-zero hash in a padding leaf of the trace tree (attack 7), defended by the planner on that view",
    plan: (a) => {
      const v = tracePaddingLiar(a.honest);
      return { claimView: v, honestView: a.honest, liar: liar("claimer", v) };
    },
  },
  {
    name: "non-canonical-signature",
    side: "claimer",
    what: "a lie put forward signed with v = 0/1 or the high-s twin (attack 9): every opening with them is refused by name and changes nothing; the canonical signature is disputed and the lie loses. L2's refusal of the same encodings is covered by attacks-9-signature-encoding.test.ts",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v),
        refusedSignatures: (sig) => {
          const encodings = otherEncodings(sig);
          // one of them or both: each must be refused on its own
          return rng.int(2) ? encodings : [encodings[rng.int(2)]];
        },
      };
    },
  },
  {
    name: "unbond-then-lie",
    side: "claimer",
    what: "puts all its stake into unbonding right after signing a lie, waits out the delay, and tries to withdraw on every other turn of the game (attack 3): each try is refused (StakeFrozenByDispute) and the lie is slashed from the unbonding stake. L2's refusal of claims on unbonding stake is covered by attacks-1-3-collateral.test.ts",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      const bridge = a.d.bridge.as(a.b.wallet(WORKER));
      let withdrawNext = true;
      const withdraw: LiarStep = {
        kind: "raw",
        send: async () => {
          // the delay is over: only the open dispute may keep the stake on the Bridge
          try {
            const r = await bridge.withdrawUnbonded();
            return { ...r, gasUsed: r.receipt.gasUsed };
          } catch (e) {
            const name = (e as { errorName?: string }).errorName;
            if (name !== "StakeFrozenByDispute")
              throw new InvariantError(`withdrawUnbonded refused by ${name ?? e}, not StakeFrozenByDispute`);
            throw e;
          }
        },
      };
      return {
        claimView: v,
        honestView: a.honest,
        beforeOpen: async () => {
          await bridge.unbond((await a.d.bridge.stakeOf(a.worker)).active);
          // the watcher opens the game some time after the unlock (still inside the claim's window:
          // the arena's claims are in no recorded batch, so they stay disputable)
          await a.b.increaseTime(Number(UNBONDING_DELAY) + 1 + rng.int(600));
        },
        liar: liar("claimer", v, (_t, p) => {
          withdrawNext = !withdrawNext;
          return withdrawNext ? p : withdraw;
        }),
      };
    },
  },
  {
    name: "missing-published-outputs",
    side: "claimer",
    what: "an honest trace and one wrong output of three, no output file published (attack 11): the watcher opens level 0 without naming an output, the liar must reveal every output root, sometimes trying a reveal that does not hash to outputRoot first (refused)",
    needs: ["challengeOutputs"],
    plan: (a, rng) => {
      const v = wrongOutputLevel0(a, rng);
      let badRevealFirst = rng.int(2) === 1;
      return {
        level0: true,
        claimView: v,
        honestView: a.level0.f.honest,
        liar: liar("claimer", v, (_t, p) => {
          if (!badRevealFirst || p.kind !== "move" || p.move.kind !== "revealOutputs") return p;
          badRevealFirst = false;
          const roots = [...p.move.roots];
          const k = rng.int(roots.length);
          roots[k] = flipHash(roots[k]);
          return { kind: "move", move: { kind: "revealOutputs", roots } };
        }),
      };
    },
  },
  {
    name: "misleading-published-outputs",
    side: "claimer",
    what: "one wrong output of three, and a published output file that does not hash to outputRoot (too few outputs, or a decoy pointing at a correct output; attack 10): the watcher names nothing from it and opens level 0 unnamed",
    needs: ["challengeOutputs"],
    plan: (a, rng) => {
      const v = wrongOutputLevel0(a, rng);
      const roots = v.outputs.map((o) => toHex(o.root));
      const published = rng.int(2)
        ? roots.slice(0, roots.length - 1)
        : roots.map((r, i) => (i === 0 ? flipHash(r) : toHex(a.level0.f.honest.outputs[i].root)));
      return {
        level0: true,
        claimView: v,
        honestView: a.level0.f.honest,
        publishedOutputs: published,
        liar: liar("claimer", v),
      };
    },
  },
  {
    name: "unnamed-output-challenger",
    side: "challenger",
    what: "opens level 0 without naming an output on an honest three-output claim, then names a random revealed output",
    needs: ["challengeOutputs"],
    plan: (a, rng) => ({
      level0: true,
      claimView: a.level0.f.honest,
      honestView: a.level0.f.honest,
      liarOpening: { kind: "challengeOutputs" },
      liar: {
        side: "challenger",
        step: (t) => {
          if (!t.ourTurn || t.game.dispute.phase !== Phase.outputPick || !t.game.outputReveal)
            return { kind: "wait" };
          const roots = t.game.outputReveal;
          return { kind: "move", move: { kind: "pickOutput", roots, outputIndex: rng.int(roots.length) } };
        },
      },
    }),
  },
  {
    name: "puppet-before-open",
    side: "claimer",
    what: "the liar's puppet disputes the lie at level 0 and loses on purpose before the honest watcher opens (attack 4/5's L1 half): the honest dispute still opens, counts and wins",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: v,
        honestView: a.honest,
        liar: liar("claimer", v),
        beforeOpen: async (c) => {
          await puppetLoses(a, v, c);
        },
      };
    },
  },
  {
    name: "puppet-during-game",
    side: "claimer",
    what: "the liar's puppet opens a second dispute while the honest game runs and loses it on purpose (attack 4): the honest game goes on and wins",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      let signed: SignedClaim | undefined;
      let puppetAt = rng.int(3);
      return {
        claimView: v,
        honestView: a.honest,
        beforeOpen: async (c) => {
          signed = c;
        },
        liar: liar("claimer", v, (_t, p) => {
          if (puppetAt-- !== 0 || !signed) return p;
          const c = signed;
          return { kind: "raw", send: async () => puppetLoses(a, v, c) };
        }),
      };
    },
  },
  {
    name: "many-lies-one-stake",
    side: "claimer",
    what: "two or three lies by one worker, all disputed at once (attack 2's L1 half): each game is played to the end and each lie slashed by the minimum stake, every winning challenger paid",
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return { claimView: v, honestView: a.honest, lies: 2 + rng.int(2), liar: liar("claimer", v) };
    },
  },
  {
    name: "dispute-old-claim",
    side: "challenger",
    what: "disputes an honest claim after its window (attack 6): the claim is in a batch recorded on L1, and the worker ends the dispute with its inclusion proof (proveClaimFinal), without its model",
    needs: ["proveClaimFinal"],
    plan: (a, rng) => {
      const v = lyingView(a, rng);
      return {
        claimView: a.honest,
        honestView: a.honest,
        finalBeforeOpen: true,
        liarOpening: rng.int(2) ? { kind: "openDispute" } : { kind: "challengeOutput", outputIndex: 0 },
        liar: liar("challenger", v),
      };
    },
  },
  ...DEFERRED_STRATEGIES,
];
