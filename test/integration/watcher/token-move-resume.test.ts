/**
 * The watcher's token move is crash-safe (store.ts write-ahead rule): the real GameScheduler
 * against the real contracts on the embedded chain, with the real imported stories260K, on a
 * claim whose pass is honest over a sequence with one wrong token. A watcher started afresh on a
 * record it left at any point finds the dispute on chain, rebuilds the move from its own pass and
 * wins; one that crashed after the move landed only records the win; none opens a second dispute
 * or sends a second move. A record whose claim keeps every rule (the move reverts RuleHolds) is
 * an alert, not a silent retry loop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { GenerationRuleContract } from "../../../bridge/dispute/generation-rule.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { fromHex, merkleRoot, toHex } from "../../../protocol/index.ts";
import { claimDigest } from "../../../protocol/tx.ts";
import { generationSequence, generationSpec } from "../../../prover-trace/commit/generation.ts";
import { commitModel } from "../../../prover-trace/commit/model.ts";
import { tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { generate } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { Phase, PlanError, Winner } from "../../../verifier/game/planner.ts";
import {
  buildTokenProof,
  decideGeneration,
  type GenerationStatement,
  type HonestPass,
  type TokenProofArg,
} from "../../../verifier/game/token-move.ts";
import { createWatcherMetrics } from "../../../verifier/watcher/metrics.ts";
import { GameScheduler } from "../../../verifier/watcher/scheduler.ts";
import { type GameRecord, WatcherStore } from "../../../verifier/watcher/store.ts";
import { signClaimAs } from "../../helpers/dispute.ts";
import { BOND, CHALLENGER, deployGame, h32, MIN_STAKE, STAKE, WORKER } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { importedStories260k, VOCAB, WINDOW } from "../../unit/generation/stories260k.ts";

const { intBytes, golden } = await importedStories260k();
const runner = await createRunner(intBytes);
t.teardown(() => runner.dispose());
const lm = runnerLanguageModel(runner);
const committed = await commitModel(runner.profile, intBytes);
const b = await embeddedBackend();
t.teardown(() => b.close());
const g = await deployGame(b, committed);
await g.d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND * 10n);
const rule = await GenerationRuleContract.of(b.clients(0), g.d.disputeGame);
const me = b.accounts[CHALLENGER].address;
const worker = b.accounts[WORKER].address;
const chainId = BigInt(await b.clients().publicClient.getChainId());

const PROMPT = golden.cases[1].promptTokens;
const GREEDY: GenerationParams = { maxTokens: 6, stopToken: null, rule: { kind: "greedy" } };
const honestTokens = (await generate(lm, { prompt: PROMPT, ...GREEDY })).tokens;
const st: GenerationStatement = { promptLength: PROMPT.length, generatedCount: 6, params: GREEDY };

let jobs = 500;
/** A claim signed by the worker over the honest pass over prompt ++ `tokens`. */
async function claimOver(tokens: number[]) {
  const seq = generationSequence(PROMPT, tokens, WINDOW);
  const logits = await lm.logits(seq);
  const pass: HonestPass = {
    sequence: seq,
    outputs: [{ dtype: 6, shape: [WINDOW, VOCAB], data: logits }],
    outputRoot: merkleRoot([tensorRoot(6, [WINDOW, VOCAB], logits)]),
    traceRoot: fromHex(h32(7)),
  };
  const claim: ClaimMessage = {
    jobId: h32(jobs++),
    worker: b.accounts[WORKER].address.toLowerCase() as Hex,
    modelId: g.modelId,
    inputRoot: toHex(merkleRoot([tensorRoot(6, [WINDOW], seq)])),
    outputRoot: toHex(pass.outputRoot),
    traceRoot: toHex(pass.traceRoot),
    generationSpec: toHex(
      generationSpec(st.promptLength, st.generatedCount, generationParamsHash(st.params)),
    ),
    outputCid: "0x",
    traceCid: "0x",
  };
  return { pass, claim, signature: await signClaimAs(b, WORKER, claim, g.d.address) };
}
const wrongAt = (k: number) => honestTokens.map((x, i) => (i === k ? (x + 1) % VOCAB : x));

interface Rig {
  scheduler: GameScheduler;
  store: WatcherStore;
  lines: Record<string, unknown>[];
  proofsBuilt: () => number;
}

/** A watcher's scheduler started afresh on a store holding `record` (as after a restart). */
async function restartOn(
  t: Test,
  record: GameRecord,
  pass: HonestPass,
  proofFor?: () => Promise<TokenProofArg>,
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-token-resume-"));
  const store = await WatcherStore.open(join(dir, "db"));
  await store.put(record);
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  let built = 0;
  const scheduler = new GameScheduler({
    game: g.as(CHALLENGER),
    bridge: g.d.bridge.as(b.wallet(CHALLENGER)),
    store,
    metrics: createWatcherMetrics(),
    logger,
    me,
    pollMs: 20,
    viewFor: async () => {
      throw new Error("a token-move dispute needs no game view");
    },
    // as the watcher does after a restart: the decision and the proof from its own pass
    tokenProofFor: async () => {
      built++;
      if (proofFor) return proofFor();
      const d = decideGeneration(record.claim, st, pass);
      if (d.kind !== "tokenMove") throw new PlanError(`our pass shows no broken rule (${d.kind})`);
      return buildTokenProof(st, pass, d.position);
    },
    generationRule: rule.as(b.wallet(CHALLENGER)),
  });
  t.teardown(async () => {
    await scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const r of await store.unfinished()) scheduler.start(r);
  return { scheduler, store, lines, proofsBuilt: () => built };
}

function recordOf(claim: ClaimMessage, signature: Hex, over: Partial<GameRecord>): GameRecord {
  return {
    claimKey: toHex(claimDigest(claim, claimDomain(chainId, g.d.address))),
    jobId: claim.jobId,
    claim,
    signature,
    worker,
    l2Block: 1,
    submittedAt: 0,
    inputCid: "0x",
    status: "opening",
    level: "token",
    updatedAt: 0,
    ...over,
  };
}

async function restake(): Promise<bigint> {
  if ((await g.d.bridge.stakeOf(worker)).active < MIN_STAKE)
    await g.d.bridge.as(b.wallet(WORKER)).stake(STAKE);
  return (await g.d.bridge.stakeOf(worker)).active;
}

const ourDisputes = async (claimKey: Hex) =>
  (await g.game.disputesOpened({ claimKey }, 0n)).filter(
    (e) => e.challenger.toLowerCase() === me.toLowerCase(),
  );

t.test("from 'opening': the dispute opened and won by the move, once", async (t) => {
  const stake = await restake();
  const { pass, claim, signature } = await claimOver(wrongAt(2));
  const rec = recordOf(claim, signature, {});
  const r = await restartOn(t, rec, pass);
  await r.scheduler.idle();
  const after = await r.store.get(rec.claimKey);
  t.equal(after?.status, "won");
  t.same(after?.moves, { openDispute: 1, proveTokenRuleBroken: 1 }, "one open, one move, no game");
  const opened = await ourDisputes(rec.claimKey);
  t.equal(opened.length, 1);
  const d = await g.game.getDispute(opened[0].disputeId);
  t.same([d.phase, d.winner], [Phase.resolved, Winner.challenger]);
  t.equal(stake - (await g.d.bridge.stakeOf(worker)).active, MIN_STAKE, "the worker slashed");
});

t.test(
  "crashed after openDispute landed, before the record knew: found on chain, not reopened",
  async (t) => {
    await restake();
    const { pass, claim, signature } = await claimOver(wrongAt(4));
    const { disputeId } = await g.as(CHALLENGER).open(claim, signature);
    const rec = recordOf(claim, signature, { pending: { kind: "openDispute", at: 0 } });
    const r = await restartOn(t, rec, pass);
    await r.scheduler.idle();
    const after = await r.store.get(rec.claimKey);
    t.equal(after?.status, "won");
    t.equal(after?.disputeId, disputeId.toString(), "the dispute it had opened");
    t.same(after?.moves, { proveTokenRuleBroken: 1 });
    t.equal((await ourDisputes(rec.claimKey)).length, 1, "no second dispute");
    t.equal(r.proofsBuilt(), 1, "the proof rebuilt from its own pass");
    t.notOk(after?.pending, "nothing pending");
  },
);

t.test("crashed after the move landed: the win recorded, no second move", async (t) => {
  await restake();
  const { pass, claim, signature } = await claimOver(wrongAt(0));
  const { disputeId } = await g.as(CHALLENGER).open(claim, signature);
  await rule.as(b.wallet(CHALLENGER)).proveTokenRuleBroken(disputeId, claim, buildTokenProof(st, pass, 0));
  const rec = recordOf(claim, signature, {
    status: "playing",
    disputeId: disputeId.toString(),
    pending: { kind: "proveTokenRuleBroken", at: 0 },
  });
  const r = await restartOn(t, rec, pass);
  await r.scheduler.idle();
  const after = await r.store.get(rec.claimKey);
  t.equal(after?.status, "won");
  t.equal(after?.moves, undefined, "no tx sent");
  t.equal(r.proofsBuilt(), 0, "no proof needed");
});

t.test("a claim that keeps every rule: an alert or a failed record, never a slash", async (t) => {
  const stake = await restake();
  const { pass, claim, signature } = await claimOver(honestTokens);
  t.equal(decideGeneration(claim, st, pass).kind, "agree", "the honest claim: no move decided");
  const { disputeId } = await g.as(CHALLENGER).open(claim, signature);
  const rec = recordOf(claim, signature, { status: "playing", disputeId: disputeId.toString() });
  // (1) a watcher whose re-check no longer finds a broken rule gives the record up as failed
  const r1 = await restartOn(t, rec, pass);
  await r1.scheduler.idle();
  t.equal((await r1.store.get(rec.claimKey))?.status, "failed");
  t.ok(
    r1.lines.some((l) => l.level === 50 && /cannot rebuild the token move; giving up/.test(String(l.msg))),
    "an error log says why",
  );
  // (2) a watcher that sends a move the contract refuses (RuleHolds) raises one stuck alert
  const r2 = await restartOn(t, rec, pass, async () => buildTokenProof(st, pass, 1));
  const end = Date.now() + 60_000;
  while (!r2.lines.some((l) => l.level === 50) && Date.now() < end)
    await new Promise((res) => setTimeout(res, 50));
  const alert = r2.lines.find((l) => l.level === 50);
  t.match(
    alert,
    { move: "proveTokenRuleBroken", revert: "RuleHolds" },
    "the alert names the move and revert",
  );
  await r2.scheduler.stop();
  t.equal((await g.d.bridge.stakeOf(worker)).active, stake, "the honest worker keeps its stake");
  t.equal(
    (await g.game.getDispute(disputeId)).phase,
    Phase.traceReveal,
    "the dispute runs on (the game decides it)",
  );
});
