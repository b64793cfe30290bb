/**
 * Liar strategies for both sides of the dispute game (issue 18's adversarial harness). Each one
 * builds a game plan for the arena: what the claim commits to, the honest party's view, and a
 * liar that decides every one of its turns. Lying claimers face the honest watcher's real
 * decision code, lying challengers the honest worker's. Randomness comes only from `rng`.
 *
 * A strategy that needs a contract function names it in `needs`; `available()` checks it is in
 * the DisputeGame / Bridge ABI this build was compiled against. Attacks whose part beyond one L1
 * game (a puppet's dispute beside the honest one, several lies on one stake, an old claim's
 * finality proof, a puppet key signing the liar's claim and losing it first) has no strategy
 * here: attacks-4-5-settlement, attacks-1-3-collateral, attacks-6-window and puppet-signer in
 * test/integration/dispute cover them.
 */
import type { Hex } from "viem";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { dtypeByCode } from "../../../protocol/index.ts";
import { CHUNK, type TensorData } from "../../../prover-trace/commit/tensor.ts";
import { isFold } from "../../../prover-trace/reference/fold.ts";
import {
  type Move,
  Phase,
  planChallengerMove,
  planClaimerMove,
  planOneStep,
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

// ------------------------------------------------------------------------------ the strategies

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
];
