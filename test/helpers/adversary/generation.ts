/**
 * Liar strategies against the token move on generation claims (docs/dispute-game.md "Generation
 * claims"), and the arena that plays them on the real contracts with the real imported
 * stories260K: every claim commits to the honest pass over its own claimed sequence (the liar's
 * pass is right, its tokens or numbers are not), so only the token move can catch it.
 *
 * - Lying claimers (the worker): a wrong token at a random step (greedy, and seeded top-k with
 *   random topK / halfLife / seed), a stop token mid-sequence, non-zero padding, more tokens than
 *   maxTokens, an early end without the stop token. The honest challenger's real decision code
 *   (verifier/game/token-move.ts decideGeneration + buildTokenProof) must find the move and win.
 * - Lying challengers against an honest generation: the move at a random position with a true
 *   proof, and with a forged row, forged candidates, a forged spec preimage or a forged sequence.
 *   Each must be refused and change nothing; the dispute it opened is then an ordinary one
 *   (test/adversary/property.test.ts plays those).
 *
 * Invariants after each game: ETH on the Bridge and the game unchanged, pools conserved, the
 * lying claimer slashed by exactly the minimum stake and the honest challenger paid half, or the
 * lying challenger's move refused with the honest claimer's stake and the phase untouched.
 */
import { type Address, type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { BridgeRevert } from "../../../bridge/bridge.ts";
import type { EmbeddedChain } from "../../../bridge/chain/chain.ts";
import { type Deployment, deployBridge } from "../../../bridge/deploy.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { GenerationRuleContract } from "../../../bridge/dispute/generation-rule.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { fromHex, merkleRoot, sha256, toHex, u32be } from "../../../protocol/index.ts";
import { generationSequence, generationSpec } from "../../../prover-trace/commit/generation.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import { tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { generate, type LanguageModel } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { createRunner, type Runner } from "../../../prover-trace/runner/runner.ts";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import {
  buildTokenProof,
  decideGeneration,
  type GenerationStatement,
  type HonestPass,
  type TokenProofArg,
} from "../../../verifier/game/token-move.ts";
import { importedStories260k, VOCAB, WINDOW } from "../../unit/generation/stories260k.ts";
import { signClaimAs } from "../dispute.ts";
import { embeddedBackend, type L1Backend } from "../l1.ts";
import { InvariantError } from "./arena.ts";
import type { Rng } from "./rng.ts";

const WORKER = 1;
const CHALLENGER = 2;
const MIN_STAKE = parseEther("1");
const BOND = parseEther("0.1");

/** What a game is about: the statement the claim makes and the sequence it claims. */
export interface GenerationPlan {
  statement: GenerationStatement;
  sequence: Int32Array;
  /** A lying challenger's move: the proof it sends (from the true one) and the error it must get. */
  forge?: { proof: (truth: TokenProofArg) => TokenProofArg; position: number; error: string };
}

export interface GenerationStrategy {
  name: string;
  side: "claimer" | "challenger";
  what: string;
  plan(a: GenerationArena, rng: Rng): Promise<GenerationPlan>;
}

export interface GenerationOutcome {
  /** The dispute's winner (Winner.*), or Winner.none when the liar's move was refused. */
  winner: number;
  refused: number;
  moveGas: bigint;
}

export interface GenerationArena {
  b: L1Backend & { chain: EmbeddedChain };
  d: Deployment;
  lm: LanguageModel;
  prompts: readonly (readonly number[])[];
  play(s: GenerationStrategy, plan: GenerationPlan): Promise<GenerationOutcome>;
  close(): Promise<void>;
}

/** An honest generation with a random prompt, length and rule (greedy or a seeded top-k sample). */
async function honestGeneration(a: GenerationArena, rng: Rng, kind?: "greedy" | "sample") {
  const prompt = [...rng.pick(a.prompts)];
  const maxTokens = 3 + rng.int(5);
  const k = kind ?? (rng.int(2) === 0 ? "greedy" : "sample");
  const params: GenerationParams =
    k === "greedy"
      ? { maxTokens, stopToken: null, rule: { kind: "greedy" } }
      : {
          maxTokens,
          stopToken: null,
          rule: {
            kind: "sample",
            topK: 2 + rng.int(63),
            halfLife: 200 + rng.int(5000),
            seed: Uint8Array.from({ length: 32 }, () => rng.int(256)),
          },
        };
  const tokens = (await generate(a.lm, { prompt, ...params })).tokens;
  return { prompt, params, tokens };
}

const statementOf = (P: number, n: number, params: GenerationParams): GenerationStatement => ({
  promptLength: P,
  generatedCount: n,
  params,
});

const otherToken = (rng: Rng, t: number) => (t + 1 + rng.int(VOCAB - 1)) % VOCAB;

function wrongToken(sampled: boolean): GenerationStrategy {
  return {
    name: sampled ? "gen-wrong-token-sampled" : "gen-wrong-token-greedy",
    side: "claimer",
    what: `one wrong token at a random step, ${sampled ? "seeded top-k sample" : "greedy"}, over a consistent pass`,
    async plan(a, rng) {
      const g = await honestGeneration(a, rng, sampled ? "sample" : "greedy");
      const k = rng.int(g.tokens.length);
      const lie = g.tokens.map((t, i) => (i === k ? otherToken(rng, t) : t));
      return {
        statement: statementOf(g.prompt.length, lie.length, g.params),
        sequence: generationSequence(g.prompt, lie, WINDOW),
      };
    },
  };
}

const flip = (h: Hex, at: number): Hex => {
  const x = fromHex(h);
  x[at] ^= 1 << (at % 8);
  return toHex(x);
};

/** A lying challenger's move on an honest generation claim. */
function falseMove(
  name: string,
  what: string,
  error: string,
  forge: (p: TokenProofArg, rng: Rng) => TokenProofArg,
  kind?: "greedy" | "sample",
): GenerationStrategy {
  return {
    name,
    side: "challenger",
    what,
    async plan(a, rng) {
      const g = await honestGeneration(a, rng, kind);
      return {
        statement: statementOf(g.prompt.length, g.tokens.length, g.params),
        sequence: generationSequence(g.prompt, g.tokens, WINDOW),
        forge: { position: rng.int(g.tokens.length), error, proof: (p) => forge(p, rng) },
      };
    },
  };
}

export const GENERATION_STRATEGIES: GenerationStrategy[] = [
  wrongToken(false),
  wrongToken(true),
  {
    name: "gen-stop-mid",
    side: "claimer",
    what: "the params' stop token at a generated position before the last",
    async plan(a, rng) {
      const g = await honestGeneration(a, rng);
      const j = rng.int(g.tokens.length - 1);
      const params = { ...g.params, stopToken: g.tokens[j] };
      return {
        statement: statementOf(g.prompt.length, g.tokens.length, params),
        sequence: generationSequence(g.prompt, g.tokens, WINDOW),
      };
    },
  },
  {
    name: "gen-padding-garbage",
    side: "claimer",
    what: "a non-zero token in the padding after the generation",
    async plan(a, rng) {
      const g = await honestGeneration(a, rng);
      const seq = generationSequence(g.prompt, g.tokens, WINDOW);
      const from = g.prompt.length + g.tokens.length;
      seq[from + rng.int(WINDOW - from)] = 1 + rng.int(VOCAB - 1);
      return { statement: statementOf(g.prompt.length, g.tokens.length, g.params), sequence: seq };
    },
  },
  {
    name: "gen-over-max",
    side: "claimer",
    what: "more generated tokens than maxTokens",
    async plan(a, rng) {
      const g = await honestGeneration(a, rng);
      const params = { ...g.params, maxTokens: 1 + rng.int(g.tokens.length - 1) };
      return {
        statement: statementOf(g.prompt.length, g.tokens.length, params),
        sequence: generationSequence(g.prompt, g.tokens, WINDOW),
      };
    },
  },
  {
    name: "gen-early-end",
    side: "claimer",
    what: "fewer tokens than maxTokens and no stop token at the end",
    async plan(a, rng) {
      const g = await honestGeneration(a, rng);
      const n = 1 + rng.int(g.tokens.length - 1);
      const cut = g.tokens.slice(0, n);
      return {
        statement: statementOf(g.prompt.length, n, g.params),
        sequence: generationSequence(g.prompt, cut, WINDOW),
      };
    },
  },
  falseMove(
    "gen-false-move",
    "the move at a random position of an honest claim, with a true proof",
    "RuleHolds",
    (p) => p,
  ),
  falseMove("gen-forged-row", "a logits row with one byte changed", "BadRowOpening", (p, rng) => ({
    ...p,
    chunks: flip(p.chunks, rng.int((p.chunks.length - 2) / 2)),
  })),
  falseMove(
    "gen-forged-candidates",
    "top-k candidates out of rule order",
    "BadCandidates",
    (p) => ({ ...p, candidates: [p.candidates[1], p.candidates[0], ...p.candidates.slice(2)] }),
    "sample",
  ),
  falseMove("gen-forged-spec", "another prompt length than the claim's spec", "SpecMismatch", (p) => ({
    ...p,
    promptLength: p.promptLength + 1,
  })),
  falseMove("gen-forged-sequence", "a pass input with one token changed", "SequenceNotInput", (p, rng) => ({
    ...p,
    sequence: flip(p.sequence, rng.int((p.sequence.length - 2) / 2)),
  })),
];

interface Pools {
  stake: bigint;
  bond: bigint;
  burned: bigint;
  eth: bigint;
}

export async function openGenerationArena(games: number): Promise<GenerationArena & { runner: Runner }> {
  const { intBytes, golden } = await importedStories260k();
  const runner = await createRunner(intBytes);
  const lm = runnerLanguageModel(runner);
  const committed = await commitModel(runner.profile, intBytes);
  const b = await embeddedBackend();
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: MIN_STAKE,
    challengerBond: BOND,
    disputeClock: 600n,
  });
  const { modelId } = await d.bridge.registerCommittedModel(committed);
  await d.bridge.as(b.wallet(WORKER)).stake(MIN_STAKE * BigInt(games + 2));
  await d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND * BigInt(games + 2));
  const gameBase = new DisputeGameContract(b.clients(0), d.disputeGame);
  const ruleBase = await GenerationRuleContract.of(b.clients(0), d.disputeGame);
  const worker: Address = b.accounts[WORKER].address;
  const challenger: Address = b.accounts[CHALLENGER].address;
  let snapshot = await b.chain.snapshot();
  let jobs = 0;

  const pools = async (): Promise<Pools> => {
    const pub = b.clients().publicClient;
    const [stake, bond, burned, e1, e2] = await Promise.all([
      d.bridge.stakeOf(worker) as Promise<{ active: bigint; unbonding: bigint }>,
      d.bridge.bondOf(challenger) as Promise<{ free: bigint; locked: bigint }>,
      pub.readContract({ address: d.address, abi: bridgeAbi, functionName: "burned" }) as Promise<bigint>,
      pub.getBalance({ address: d.address }),
      pub.getBalance({ address: d.disputeGame }),
    ]);
    return { stake: stake.active + stake.unbonding, bond: bond.free + bond.locked, burned, eth: e1 + e2 };
  };
  const fail = (m: string): never => {
    throw new InvariantError(m);
  };

  async function playOnce(s: GenerationStrategy, plan: GenerationPlan): Promise<GenerationOutcome> {
    // fresh wallets each game (as arena.ts): the chain goes back to the snapshot after every game
    const game = gameBase.as(b.wallet(CHALLENGER));
    const rule = ruleBase.as(b.wallet(CHALLENGER));
    const logits = await lm.logits(plan.sequence);
    const pass: HonestPass = {
      sequence: plan.sequence,
      outputs: [{ dtype: 6, shape: [WINDOW, VOCAB], data: logits }],
      outputRoot: merkleRoot([tensorRoot(6, [WINDOW, VOCAB], logits)]),
      traceRoot: sha256(u32be(7)),
    };
    const st = plan.statement;
    const claim: ClaimMessage = {
      jobId: toHex(sha256(u32be(++jobs))),
      worker: worker.toLowerCase() as Hex,
      modelId,
      inputRoot: toHex(merkleRoot([tensorRoot(6, [WINDOW], plan.sequence)])),
      outputRoot: toHex(pass.outputRoot),
      traceRoot: toHex(pass.traceRoot),
      generationSpec: toHex(
        generationSpec(st.promptLength, st.generatedCount, generationParamsHash(st.params)),
      ),
      outputCid: "0x",
      traceCid: "0x",
    };
    const signature = await signClaimAs(b, WORKER, claim, d.address);
    const before = await pools();
    const decision = decideGeneration(claim, st, pass);
    if (s.side === "claimer") {
      // the honest watcher's real decision code against a lying worker
      if (decision.kind !== "tokenMove")
        fail(`${s.name}: the honest challenger found no token move (${decision.kind})`);
      const { disputeId } = await game.open(claim, signature);
      const move = await rule.proveTokenRuleBroken(
        disputeId,
        claim,
        buildTokenProof(st, pass, decision.kind === "tokenMove" ? decision.position : 0),
      );
      const winner = (await game.getDispute(disputeId)).winner;
      const after = await pools();
      if (after.eth !== before.eth) fail("ETH on the Bridge + game changed");
      if (after.stake + after.bond + after.burned !== before.stake + before.bond + before.burned)
        fail("pools not conserved");
      if (winner !== Winner.challenger) fail(`a lying claimer won (winner ${winner})`);
      if (before.stake - after.stake !== MIN_STAKE)
        fail("the lying claimer was not slashed by the minimum stake");
      if (after.bond - before.bond !== MIN_STAKE / 2n)
        fail("the honest challenger was not paid half the slash");
      return { winner, refused: 0, moveGas: move.gasUsed };
    }
    // a lying challenger against an honest claim: the honest side agrees, the liar's move is refused
    if (decision.kind !== "agree")
      fail(`${s.name}: the honest decision on an honest claim is ${decision.kind}`);
    const forge = plan.forge ?? fail(`${s.name}: a challenger strategy without a move`);
    const { disputeId } = await game.open(claim, signature);
    const opened = await pools();
    try {
      await rule.proveTokenRuleBroken(
        disputeId,
        claim,
        forge.proof(buildTokenProof(st, pass, forge.position)),
      );
      fail(`${s.name}: the lying challenger's move was accepted`);
    } catch (e) {
      if (e instanceof InvariantError) throw e;
      if (!(e instanceof BridgeRevert)) throw e;
      if (e.errorName !== forge.error)
        fail(`${s.name}: refused with ${e.errorName}, expected ${forge.error}`);
    }
    const d1 = await game.getDispute(disputeId);
    const after = await pools();
    if (d1.phase !== Phase.traceReveal)
      fail(`${s.name}: the refused move changed the dispute's phase to ${d1.phase}`);
    if (after.stake !== before.stake) fail(`${s.name}: the honest claimer lost stake`);
    if (after.stake !== opened.stake || after.bond !== opened.bond || after.burned !== opened.burned)
      fail(`${s.name}: the refused move moved value`);
    if (after.eth !== before.eth) fail("ETH on the Bridge + game changed");
    return { winner: Winner.none, refused: 1, moveGas: 0n };
  }

  return {
    b,
    d,
    lm,
    runner,
    prompts: golden.cases.map((c) => c.promptTokens),
    async play(s, plan) {
      try {
        return await playOnce(s, plan);
      } finally {
        await b.chain.revertTo(snapshot);
        snapshot = await b.chain.snapshot();
      }
    },
    async close() {
      await b.close();
      await runner.dispose();
    },
  };
}
