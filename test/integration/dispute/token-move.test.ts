/**
 * The token move on generation claims (docs/dispute-game.md "Generation claims"), on the real
 * contracts on the embedded chain with the real imported stories260K: every pass below is the
 * integer model run by ONNX Runtime over the claimed sequence, so the claim's outputRoot is the
 * honest pass's and the move opens real logits rows.
 *
 * - GenerationRule's decoding (argmax, sample weights, draws, seeded top-k sample, params) equals
 *   prover-trace/generation/decoding.ts on test/vectors/generation.json;
 * - a wrong token at step k (greedy and sampled), a stop token mid-sequence, non-zero padding,
 *   n > maxTokens and an early end without the stop token: the challenger's decision is the token
 *   move, and the claimer is slashed by it;
 * - an honest generation cannot be beaten by the move: every position tried, greedy and sampled;
 * - every hostile proof or caller reverts with a named error and changes nothing.
 */
import { readFileSync } from "node:fs";
import t from "tap";
import type { Hex } from "viem";
import { simulateAndSend } from "../../../bridge/bridge.ts";
import { DisputeGameRevert } from "../../../bridge/dispute/game.ts";
import { GenerationRuleContract } from "../../../bridge/dispute/generation-rule.ts";
import { disputeGameAbi as gameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { fromHex, merkleRoot, toHex } from "../../../protocol/index.ts";
import { DEFERRED_TRACE, NO_GENERATION } from "../../../protocol/tx.ts";
import { generationSequence, generationSpec } from "../../../prover-trace/commit/generation.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import { type TensorData, tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { topKIndices } from "../../../prover-trace/generation/decoding.ts";
import { generate } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import {
  buildTokenProof,
  decideGeneration,
  type GenerationStatement,
  type HonestPass,
  type TokenProofArg,
} from "../../../verifier/game/token-move.ts";
import { signClaimAs } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CHALLENGER2,
  deployGame,
  h32,
  MIN_STAKE,
  rejectsWith,
  STAKE,
  STRANGER,
  testClaim,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { importedStories260k, VOCAB, WINDOW } from "../../unit/generation/stories260k.ts";

const vectors = JSON.parse(readFileSync(new URL("../../vectors/generation.json", import.meta.url), "utf8"));

const { intBytes, golden } = await importedStories260k();
const runner = await createRunner(intBytes);
t.teardown(() => runner.dispose());
const lm = runnerLanguageModel(runner);
const committed = await commitModel(runner.profile, intBytes);

const b = await embeddedBackend();
t.teardown(() => b.close());
const g = await deployGame(b, committed);
// every test opens its own disputes: bond enough for all of them
await g.d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND * 30n);
await g.d.bridge.as(b.wallet(CHALLENGER2)).depositBond(BOND * 30n);
const rule = await GenerationRuleContract.of(b.clients(0), g.d.disputeGame);
const ruleAs = (i: number) => rule.as(b.wallet(i));
const addr = (i: number) => b.accounts[i].address;

const PROMPT = golden.cases[1].promptTokens;
const P = PROMPT.length;
const seed = Uint8Array.from({ length: 32 }, (_, i) => 11 * i + 5);
const GREEDY: GenerationParams = { maxTokens: 6, stopToken: null, rule: { kind: "greedy" } };
const SAMPLED_TOPK = 40;
const SAMPLED: GenerationParams = {
  maxTokens: 6,
  stopToken: null,
  rule: { kind: "sample", topK: SAMPLED_TOPK, halfLife: 2500, seed },
};

/** The honest pass over `seq` (int32 [T]): the model's one output, the logits [T, vocab]. */
async function passOver(seq: Int32Array): Promise<HonestPass> {
  const logits = await lm.logits(seq);
  const out: TensorData = { dtype: 6, shape: [WINDOW, VOCAB], data: logits };
  return {
    sequence: seq,
    outputs: [out],
    outputRoot: merkleRoot([tensorRoot(6, [WINDOW, VOCAB], logits)]),
    traceRoot: fromHex(h32(7)),
  };
}

let jobs = 100;
/** A claim (signed by the worker) over the honest pass over `seq`, stating P, n and params. */
async function claimOver(seq: Int32Array, st: GenerationStatement, deferred = false) {
  const pass = await passOver(seq);
  const claim = testClaim(b, {
    jobId: h32(jobs++),
    modelId: g.modelId,
    inputRoot: toHex(merkleRoot([tensorRoot(6, [WINDOW], seq)])),
    outputRoot: toHex(pass.outputRoot),
    traceRoot: deferred ? DEFERRED_TRACE : toHex(pass.traceRoot),
    generationSpec: toHex(
      generationSpec(st.promptLength, st.generatedCount, generationParamsHash(st.params)),
    ),
  });
  const signature = await signClaimAs(b, WORKER, claim, g.d.address);
  return { pass, claim, signature };
}

const honest = new Map<string, number[]>();
for (const [name, params] of [
  ["greedy", GREEDY],
  ["sampled", SAMPLED],
] as const)
  honest.set(name, (await generate(lm, { prompt: PROMPT, ...params })).tokens);

t.test("GenerationRule decodes as decoding.ts on test/vectors/generation.json", async (t) => {
  for (const v of vectors.argmax)
    t.equal(await rule.read<bigint>("argmax", [v.row.map(BigInt)]), BigInt(v.token));
  for (const v of vectors.sampleWeight)
    t.equal(
      await rule.read<bigint>("sampleWeight", [BigInt(v.d), BigInt(v.halfLife)]),
      BigInt(v.weight),
      `w(${v.d}, ${v.halfLife})`,
    );
  for (const v of vectors.sampleDraw)
    t.equal(await rule.read<bigint>("sampleDraw", [v.seed, v.step]), BigInt(v.draw));
  for (const v of vectors.sampleToken)
    t.equal(
      await rule.read<bigint>("sampleToken", [
        v.row.map(BigInt),
        BigInt(v.topK),
        BigInt(v.halfLife),
        v.seed,
        v.step,
        topKIndices(v.row, v.topK),
      ]),
      BigInt(v.token),
      `sample topK ${v.topK} step ${v.step}`,
    );
  for (const v of vectors.generationParams) {
    const [ok, r] = await rule.read<[boolean, { maxTokens: number; stopToken: number; kind: number }]>(
      "decodeParams",
      [v.encoding],
    );
    t.ok(ok, `${v.encoding.slice(0, 20)}.. decodes`);
    t.equal(r.maxTokens, v.params.maxTokens);
    t.equal(r.stopToken, v.params.stopToken ?? 0xffffffff);
    t.equal(r.kind, v.params.rule.kind === "greedy" ? 0 : 1);
  }
  const enc = vectors.generationParams[0].encoding as Hex;
  for (const [what, bad] of [
    ["short", enc.slice(0, -2)],
    ["other tag", `0x4b${enc.slice(4)}`],
    ["kind 2", `${enc.slice(0, 20)}02${enc.slice(22)}`],
    ["maxTokens 0", `0x4a00000000${enc.slice(12)}`],
  ] as const)
    t.notOk((await rule.read<[boolean]>("decodeParams", [bad]))[0], `malformed params refused: ${what}`);
});

t.test("an honest generation cannot be beaten by the move: every position tried", async (t) => {
  for (const [name, params] of [
    ["greedy", GREEDY],
    ["sampled", SAMPLED],
  ] as const) {
    const tokens = honest.get(name) as number[];
    const st = { promptLength: P, generatedCount: tokens.length, params };
    const { pass, claim, signature } = await claimOver(generationSequence(PROMPT, tokens, WINDOW), st);
    t.same(decideGeneration(claim, st, pass), { kind: "agree" }, `${name}: the challenger agrees`);
    for (let k = 0; k < tokens.length; k++)
      await rejectsWith(
        t,
        rule.brokenRule(claim, 1, buildTokenProof(st, pass, k)),
        "RuleHolds",
        `${name}: position ${k}`,
      );
    // and as a real move in a real dispute: it reverts, the dispute runs on
    const { disputeId } = await g.as(CHALLENGER).open(claim, signature);
    await rejectsWith(
      t,
      ruleAs(CHALLENGER).proveTokenRuleBroken(disputeId, claim, buildTokenProof(st, pass, tokens.length - 1)),
      "RuleHolds",
      `${name}: the move in a dispute`,
    );
    t.equal((await g.game.getDispute(disputeId)).phase, Phase.traceReveal, `${name}: the dispute runs on`);
    t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, STAKE, `${name}: the worker keeps its stake`);
  }
});

/** Lies, each over the honest pass over its own (claimed) sequence. */
function lies(): {
  name: string;
  seq: Int32Array;
  st: GenerationStatement;
  position: number;
  reason: RegExp;
}[] {
  const greedy = honest.get("greedy") as number[];
  const sampled = honest.get("sampled") as number[];
  const swap = (tokens: number[], k: number) => tokens.map((x, i) => (i === k ? (x + 1) % VOCAB : x));
  const st = (n: number, params: GenerationParams) => ({ promptLength: P, generatedCount: n, params });
  const padded = generationSequence(PROMPT, greedy, WINDOW);
  padded[P + greedy.length + 3] = 9;
  const stopAt = greedy[1];
  return [
    {
      name: "greedy, wrong token at step 3",
      seq: generationSequence(PROMPT, swap(greedy, 3), WINDOW),
      st: st(6, GREEDY),
      position: 3,
      reason: /breaks the decoding rule/,
    },
    {
      name: "greedy, wrong token at step 0",
      seq: generationSequence(PROMPT, swap(greedy, 0), WINDOW),
      st: st(6, GREEDY),
      position: 0,
      reason: /breaks the decoding rule/,
    },
    {
      name: "sampled, wrong token at step 4",
      seq: generationSequence(PROMPT, swap(sampled, 4), WINDOW),
      st: st(6, SAMPLED),
      position: 4,
      reason: /breaks the decoding rule/,
    },
    {
      name: "stop token mid-sequence",
      seq: generationSequence(PROMPT, greedy, WINDOW),
      st: st(6, { ...GREEDY, stopToken: stopAt }),
      position: 0,
      reason: /stop token before the last/,
    },
    {
      name: "non-zero padding",
      seq: padded,
      st: st(6, GREEDY),
      position: 0,
      reason: /padding after the generation is not zero/,
    },
    {
      name: "n > maxTokens",
      seq: generationSequence(PROMPT, greedy, WINDOW),
      st: st(6, { ...GREEDY, maxTokens: 5 }),
      position: 0,
      reason: /more generated tokens than maxTokens/,
    },
    {
      name: "ends early without the stop token",
      seq: generationSequence(PROMPT, greedy.slice(0, 4), WINDOW),
      st: st(4, GREEDY),
      position: 0,
      reason: /ends before maxTokens without the stop token/,
    },
  ];
}

t.test("each lie is found by the challenger's decision and slashed by the move", async (t) => {
  const gas: string[] = [];
  for (const lie of lies()) {
    const { pass, claim, signature } = await claimOver(lie.seq, lie.st);
    const decision = decideGeneration(claim, lie.st, pass);
    t.equal(decision.kind, "tokenMove", `${lie.name}: the decision is the token move`);
    if (decision.kind !== "tokenMove") continue;
    t.equal(decision.position, lie.position, `${lie.name}: at position ${lie.position}`);
    const proof = buildTokenProof(lie.st, pass, decision.position);
    t.match(await rule.brokenRule(claim, 1, proof), lie.reason, `${lie.name}: the rule named`);
    if ((await g.d.bridge.stakeOf(addr(WORKER))).active < MIN_STAKE)
      await g.d.bridge.as(b.wallet(WORKER)).stake(STAKE);
    const stakeBefore = (await g.d.bridge.stakeOf(addr(WORKER))).active;
    const bondBefore = await g.d.bridge.bondOf(addr(CHALLENGER));
    const opened = await g.as(CHALLENGER).open(claim, signature);
    const move = await ruleAs(CHALLENGER).proveTokenRuleBroken(opened.disputeId, claim, proof);
    t.match(move.reason, lie.reason, `${lie.name}: TokenRuleBroken names it`);
    const d = await g.game.getDispute(opened.disputeId);
    t.same(
      [d.phase, d.winner],
      [Phase.resolved, Winner.challenger],
      `${lie.name}: the challenger wins at once`,
    );
    t.ok(await g.game.claimInvalidated(d.claimKey), `${lie.name}: the claim is invalidated`);
    t.equal(
      stakeBefore - (await g.d.bridge.stakeOf(addr(WORKER))).active,
      MIN_STAKE,
      `${lie.name}: the worker is slashed`,
    );
    t.same(
      await g.d.bridge.bondOf(addr(CHALLENGER)),
      { free: bondBefore.free + MIN_STAKE / 2n, locked: bondBefore.locked },
      `${lie.name}: the bond is back with half the slash`,
    );
    gas.push(`${lie.name}: openDispute ${opened.gasUsed}, proveTokenRuleBroken ${move.gasUsed}`);
    // a second dispute on the invalidated claim is void at once
    const again = await g.as(CHALLENGER2).open(claim, signature);
    t.equal(
      (await g.game.getDispute(again.disputeId)).winner,
      Winner.void,
      `${lie.name}: a second dispute is void`,
    );
  }
  t.comment(`gas per token move (stories260K, T ${WINDOW}, vocab ${VOCAB}):\n${gas.join("\n")}`);
});

t.test("a deferred generation claim (no trace): the token move needs none", async (t) => {
  const greedy = honest.get("greedy") as number[];
  const st = { promptLength: P, generatedCount: 6, params: GREEDY };
  const ok = await claimOver(generationSequence(PROMPT, greedy, WINDOW), st, true);
  t.same(decideGeneration(ok.claim, st, ok.pass), { kind: "agree" }, "an honest deferred claim: agree");
  const lie = generationSequence(
    PROMPT,
    greedy.map((x, i) => (i === 2 ? (x + 1) % VOCAB : x)),
    WINDOW,
  );
  const { pass, claim, signature } = await claimOver(lie, st, true);
  const decision = decideGeneration(claim, st, pass);
  t.same(decision.kind, "tokenMove", "a wrong token on a deferred claim: the token move");
  if (decision.kind !== "tokenMove") return;
  if ((await g.d.bridge.stakeOf(addr(WORKER))).active < MIN_STAKE)
    await g.d.bridge.as(b.wallet(WORKER)).stake(STAKE);
  const stakeBefore = (await g.d.bridge.stakeOf(addr(WORKER))).active;
  await rejectsWith(t, g.as(CHALLENGER).open(claim, signature), "TraceDeferred", "openDispute refuses it");
  const opened = await g.as(CHALLENGER).openDeferred(claim, signature);
  t.equal((await g.game.getDispute(opened.disputeId)).phase, Phase.traceCommit, "waiting for the trace");
  const move = await ruleAs(CHALLENGER).proveTokenRuleBroken(
    opened.disputeId,
    claim,
    buildTokenProof(st, pass, decision.position),
  );
  t.match(move.reason, /breaks the decoding rule/, "TokenRuleBroken names it");
  const d = await g.game.getDispute(opened.disputeId);
  t.same([d.phase, d.winner], [Phase.resolved, Winner.challenger], "won before any trace was committed");
  t.ok(await g.game.claimInvalidated(d.claimKey), "the claim is invalidated");
  t.equal((await g.d.bridge.stakeOf(addr(WORKER))).active, stakeBefore - MIN_STAKE, "the worker is slashed");
  // the next test's disputes need a staked worker
  if ((await g.d.bridge.stakeOf(addr(WORKER))).active < MIN_STAKE)
    await g.d.bridge.as(b.wallet(WORKER)).stake(STAKE);
});

t.test("hostile proofs and callers revert with a named error and change nothing", async (t) => {
  const greedy = honest.get("greedy") as number[];
  const seq = generationSequence(
    PROMPT,
    greedy.map((x, i) => (i === 2 ? (x + 1) % VOCAB : x)),
    WINDOW,
  );
  const st = { promptLength: P, generatedCount: 6, params: GREEDY };
  const { pass, claim, signature } = await claimOver(seq, st);
  const good = buildTokenProof(st, pass, 2);
  const { disputeId } = await g.as(CHALLENGER).open(claim, signature);
  const tamper = (over: Partial<TokenProofArg>) => ({ ...good, ...over });
  const flip = (h: Hex, at: number) => {
    const x = fromHex(h);
    x[at] ^= 1;
    return toHex(x);
  };
  const cases: [string, TokenProofArg, string][] = [
    ["another prompt length", tamper({ promptLength: P + 1 }), "SpecMismatch"],
    ["another count", tamper({ generatedCount: 5 }), "SpecMismatch"],
    ["other params", tamper({ params: toHex(new Uint8Array(50)) }), "SpecMismatch"],
    [
      "a sequence that is not the input",
      tamper({ sequence: flip(good.sequence, 4 * (P + 2)) }),
      "SequenceNotInput",
    ],
    ["a position past the generation", tamper({ position: 6 }), "PositionOutOfRange"],
    ["another output tensor", tamper({ logitsDataRoot: h32(3) }), "LogitsNotInOutput"],
    ["a tampered chunk", tamper({ chunks: flip(good.chunks, 100) }), "BadRowOpening"],
    ["another first chunk", tamper({ firstChunk: good.firstChunk + 1n }), "BadRowOpening"],
    ["a missing chunk proof", tamper({ chunkProofs: good.chunkProofs.slice(1) }), "BadRowOpening"],
  ];
  for (const [what, proof, error] of cases)
    await rejectsWith(t, ruleAs(CHALLENGER).proveTokenRuleBroken(disputeId, claim, proof), error, what);
  // a sampled claim with candidates that are not the top k
  const sampled = honest.get("sampled") as number[];
  const sst = { promptLength: P, generatedCount: 6, params: SAMPLED };
  const sseq = generationSequence(
    PROMPT,
    sampled.map((x, i) => (i === 1 ? (x + 1) % VOCAB : x)),
    WINDOW,
  );
  const s = await claimOver(sseq, sst);
  const sgood = buildTokenProof(sst, s.pass, 1);
  const row = (s.pass.outputs[0].data as Int32Array).subarray((P + 1 - 1) * VOCAB, (P + 1) * VOCAB);
  const ranked = topKIndices(row, VOCAB);
  for (const [what, candidates] of [
    ["reordered", [sgood.candidates[1], sgood.candidates[0], ...sgood.candidates.slice(2)]],
    ["one short", sgood.candidates.slice(1)],
    [
      "the last one replaced by the next lower logit",
      [...sgood.candidates.slice(0, -1), ranked[SAMPLED_TOPK]],
    ],
  ] as const)
    await rejectsWith(
      t,
      rule.brokenRule(s.claim, 1, { ...sgood, candidates: [...candidates] }),
      "BadCandidates",
      `candidates ${what}`,
    );
  // callers: not the dispute's challenger, another claim, a single-pass claim, the game directly
  await rejectsWith(
    t,
    ruleAs(CHALLENGER2).proveTokenRuleBroken(disputeId, claim, good),
    "NotTheChallenger",
    "another challenger",
  );
  await rejectsWith(
    t,
    ruleAs(CHALLENGER).proveTokenRuleBroken(disputeId, s.claim, sgood),
    "NotTheDisputedClaim",
    "another claim",
  );
  await rejectsWith(
    t,
    rule.brokenRule({ ...claim, generationSpec: NO_GENERATION }, 1, good),
    "NotAGeneration",
    "a single-pass claim",
  );
  await rejectsWith(
    t,
    directTokenMoveWon(disputeId),
    "NotAParty",
    "DisputeGame.tokenMoveWon from anyone but the rule",
  );
  const d = await g.game.getDispute(disputeId);
  t.equal(d.phase, Phase.traceReveal, "the dispute runs on");
  t.equal((await g.d.bridge.stakeOf(addr(WORKER))).openDisputes > 0, true, "still open against the worker");
  // then the real move ends it
  const move = await ruleAs(CHALLENGER).proveTokenRuleBroken(disputeId, claim, good);
  t.match(move.reason, /breaks the decoding rule/);
});

/** DisputeGame.tokenMoveWon sent by a stranger. */
async function directTokenMoveWon(id: bigint): Promise<unknown> {
  return simulateAndSend(
    b.clients(STRANGER),
    b.wallet(STRANGER),
    {
      contract: "DisputeGame",
      address: g.d.disputeGame,
      abi: gameAbi,
      functionName: "tokenMoveWon",
      args: [id],
    },
    (f, e, a, d) => new DisputeGameRevert(f, e, a, d),
  );
}
