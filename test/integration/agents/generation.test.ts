/**
 * Issues 12 and 19 through the whole system: generation jobs on stories260K (converted and
 * imported by the `verdict model` commands, two imports so each worker has a model id of its own,
 * as in imported-llm.test.ts), real processes on the embedded L1 (test/helpers/network.ts):
 * - an honest `verdict worker` decodes, claims ONE traced pass over prompt ++ generated and is
 *   paid; the SDK's awaitResult checks the tokens against the claim's logits and returns the text,
 *   which equals a local generation; the watcher agreed with one pass;
 * - the same seeded-sampling job posted twice, each taken by one of two honest worker processes
 *   on the same model (each works on one job at a time): the same tokens, the same outputRoot and
 *   traceRoot, both paid;
 * - a `verdict worker --test-fault wrong-element` (one MatMulInteger element inside the pass +1,
 *   the tokens right) is caught by the watcher's one-pass check as a pass mismatch, disputed with
 *   the ordinary game to the one step and slashed; the SDK's verify names the wrong pass too;
 * - a `verdict worker --test-fault wrong-token` (one generated token off the decoding rule, decoding
 *   on from it, the traced pass honest over that sequence: no trace descent can catch it) is caught
 *   by the watcher's one pass as a broken rule; the watcher opens a dispute and wins it at once
 *   with GenerationRule.proveTokenRuleBroken on the real contracts; the liar is slashed on L1 and
 *   the requester is refunded on L2, never paid a wrong text;
 * - a `verdict worker --test-fault withhold` (the wrong element, and then it publishes neither
 *   output nor trace and reveals no chunk or fold states in the game) is disputed by the watcher,
 *   answers the trace descent, stalls, loses on time (L1 time is moved past its clock once it has
 *   sat on its turn, faults.ts `unstick`), is slashed, and the requester is refunded.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { type Address, type Hex, parseEther } from "viem";
import { GenerationRuleContract } from "../../../bridge/dispute/generation-rule.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { generationRuleAbi } from "../../../contracts/artifacts/GenerationRule.ts";
import { decode } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { EOS_ID, parseTokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";
import { Phase } from "../../../verifier/game/planner.ts";
import { wrongTokenSite } from "../../../verifier/worker/faults.ts";
import { ACCOUNT, FAULTY_ACCOUNTS, startNetwork } from "../../helpers/network.ts";
import { CASES, unstick } from "./faults.ts";
import { assertSlashedOnce, resolvedForChallenger } from "./outcome-checks.ts";
import {
  commentLogOnFailure,
  importStories260k,
  networkClients,
  watcherChecks,
} from "./real-model-network.ts";

const exec = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const VOCAB = 512;
const ESCROW = parseEther("0.01");
const TIMEOUT = 300_000;
const MAX_TOKENS = 24;
/** The dispute clock (s): the withholding liar's is moved past once it stalls (faults.ts unstick). */
const CLOCK_S = 120n;

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);

t.test(
  "generation jobs: the honest text paid, checked and reproduced; a wrong element, a wrong token and a withheld trace slashed",
  async (t) => {
    const t0 = Date.now();
    const buildDir = mkdtempSync(join(tmpdir(), "verdict-generation-e2e-"));
    t.teardown(() => rmSync(buildDir, { recursive: true, force: true }));
    // four calibrations, four model ids: each liar serves a model of its own (the two honest
    // workers share the first)
    const models = await importStories260k(buildDir, {
      honest: "max",
      faulty: "percentile:99.99",
      tokenLiar: "percentile:99.9",
      withholder: "percentile:99.95",
    });
    t.comment(`convert + 4 imports in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const net = await startNetwork(t, {
      l1: "embedded",
      faults: ["wrong-element", "wrong-token", "withhold"],
      models: {
        honest: { name: "llm-honest", bytes: models.honest },
        faulty: [
          { name: "llm-faulty", bytes: models.faulty },
          { name: "llm-token-liar", bytes: models.tokenLiar },
          { name: "llm-withholder", bytes: models.withholder },
        ],
      },
      // two honest workers on the same model, each working on one job at a time: the twin
      // sampled jobs below go one to each
      honestWorkers: 2,
      workerCapacity: 1,
      disputeClockS: CLOCK_S,
      watcherFetchesModels: true,
      // the watcher re-runs a 1,775-node pass with the trace while both workers decode on a shared
      // 2-core machine: the L2 and the L1 windows leave it time to open its dispute
      challengeWindowMs: 90_000,
      l1ChallengeWindowS: 90n,
    });
    commentLogOnFailure(t, net);
    const { sdk, l1, pub, bridge, game, addr, liarAddr, watcherAddr } = await networkClients(net);
    const honestAddrs = net.honestAccounts.map(addr);
    const tokenLiarModel = net.faultyWorkers[1].model;
    const tokenLiarAddr = addr(FAULTY_ACCOUNTS[1]);
    const withholderModel = net.faultyWorkers[2].model;
    const withholderAddr = addr(FAULTY_ACCOUNTS[2]);
    for (const m of [net.honestModel, net.faultyModel, tokenLiarModel, withholderModel])
      await sdk.putContent(m.bytes);

    const tokenizer = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB);
    const promptText = "Once upon a time, there was a little";
    await sdk.deposit(parseEther("1"), { timeoutMs: 60_000 });
    const liarStakeBefore = (await bridge.stakeOf(liarAddr)).active;
    const tokenLiarStakeBefore = (await bridge.stakeOf(tokenLiarAddr)).active;
    const withholderStakeBefore = (await bridge.stakeOf(withholderAddr)).active;

    const decoding = {
      kind: "sample" as const,
      topK: 40,
      halfLife: 2500,
      seed: Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3),
    };
    const post = (model: Uint8Array) => {
      const posted = sdk.generate({
        model,
        prompt: promptText,
        tokenizer,
        maxTokens: MAX_TOKENS,
        stopToken: EOS_ID,
        decoding,
        escrow: ESCROW,
      });
      posted.catch(() => {});
      const done = posted.then(async (p) => ({
        posted: p,
        outcome: await sdk.awaitResult(p.jobId, { timeoutMs: TIMEOUT }),
      }));
      return Object.assign(done, { posted });
    };
    /** Resolves once L2 says a worker took the job. */
    const taken = async (posted: Promise<{ jobId: Hex }>) => {
      const { jobId } = await posted;
      for (const until = Date.now() + 60_000; Date.now() < until; ) {
        const j = await sdk.job(jobId);
        if (j && j.status !== "open") return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`job ${jobId} was not taken within 60 s`);
    };
    // the same job twice (same model, prompt, params, seed), one for each honest worker
    const honestJob = post(net.honestModel.bytes);
    const twinJob = post(net.honestModel.bytes);
    const liarJob = post(net.faultyModel.bytes);
    const postedAt = Date.now();
    const tokenLiarJob = post(tokenLiarModel.bytes);
    const withholderJob = post(withholderModel.bytes);
    const jobs = [honestJob, twinJob, liarJob, tokenLiarJob, withholderJob];
    for (const j of jobs) j.catch(() => {});
    // the withholding liar stalls in its game: L1 time is moved past its clock once it has sat on
    // its turn (and only then, so no honest party's clock is ever pushed), and only once the three
    // liars' disputes (wrong pass, wrong token, withheld) are all open
    const mover = unstick(net, game, Promise.allSettled(jobs), t, 3, CLOCK_S);
    mover.catch(() => {});
    // The CLI posts a third (greedy) job from an account of its own (no nonce race with the SDK),
    // once both twin jobs are taken (so each honest worker has one of them).
    const cliKey = net.accounts[ACCOUNT.consumerOwner].privateKey;
    await sdk.deposit(parseEther("0.1"), { to: addr(ACCOUNT.consumerOwner), timeoutMs: 60_000 });
    await Promise.all([taken(honestJob.posted), taken(twinJob.posted)]);
    const cliJob = exec(
      process.execPath,
      [
        VERDICT,
        "generate",
        "--sequencer",
        net.seqUrl,
        "--model",
        join(buildDir, "honest.onnx"),
        "--prompt",
        promptText,
        "--tokens",
        "8",
        "--stop",
        "none",
        "--key",
        cliKey,
        "--json",
      ],
      { timeout: TIMEOUT },
    );
    cliJob.catch(() => {});

    await t.test("the honest generation is paid; its tokens and text are checked", async (t) => {
      const { posted, outcome } = await honestJob;
      t.equal(outcome.outcome, "paid", "L2: paid after the window");
      if (outcome.outcome !== "paid" || !outcome.generation)
        return t.fail("no generation on the paid outcome");
      t.ok(honestAddrs.includes(outcome.job.worker as Address), "served by an honest worker");
      t.same(outcome.generation.prompt, tokenizer.encode(promptText));
      // the same model and job run here: the verified tokens are the integer model's own
      const runner = await createRunner(net.honestModel.bytes);
      t.teardown(() => runner.dispose());
      const local = await decode(runnerLanguageModel(runner), {
        prompt: posted.prompt,
        maxTokens: MAX_TOKENS,
        stopToken: EOS_ID,
        rule: decoding,
      });
      t.same(outcome.generation.tokens, local.tokens, "the paid tokens equal a local generation");
      t.equal(
        outcome.generation.text,
        tokenizer.decode([...posted.prompt, ...local.tokens]),
        "and so does the text",
      );
      t.ok(
        outcome.generation.text?.startsWith(promptText),
        `text: ${JSON.stringify(outcome.generation.text)}`,
      );
      const v = await sdk.verify(posted.jobId, { model: net.honestModel.bytes });
      t.same(v.verdict, { kind: "agree" }, "sdk.verify agrees in one pass");
      const checked = watcherChecks(net.log(), posted.jobId);
      t.ok(checked.filter((l) => / verdict=agree /.test(l)).length >= 1, "the watcher agreed with the claim");
    });

    await t.test(
      "the same sampled job on two honest workers: the same tokens, outputRoot and traceRoot, both paid",
      async (t) => {
        const [a, b] = await Promise.all([honestJob, twinJob]);
        t.not(a.posted.jobId, b.posted.jobId, "two jobs");
        t.same(a.posted.prompt, b.posted.prompt, "the same prompt");
        if (a.outcome.outcome !== "paid" || b.outcome.outcome !== "paid" || !a.outcome.generation)
          return t.fail(`both paid: ${a.outcome.outcome}, ${b.outcome.outcome}`);
        t.same(
          [a.outcome.job.worker, b.outcome.job.worker].sort(),
          [...honestAddrs].sort(),
          "each honest worker process took one",
        );
        t.same(b.outcome.generation?.tokens, a.outcome.generation.tokens, "the same tokens");
        t.equal(b.outcome.generation?.text, a.outcome.generation.text, "the same text");
        t.equal(b.outcome.claim.inputRoot, a.outcome.claim.inputRoot, "the same pass input");
        t.equal(b.outcome.claim.outputRoot, a.outcome.claim.outputRoot, "the same outputRoot");
        t.equal(b.outcome.claim.traceRoot, a.outcome.claim.traceRoot, "the same traceRoot");
        t.equal(b.outcome.claim.generationSpec, a.outcome.claim.generationSpec, "the same generationSpec");
        t.comment(
          `twin claims: ${a.outcome.generation.tokens.length} tokens, outputRoot ${a.outcome.claim.outputRoot}, traceRoot ${a.outcome.claim.traceRoot}`,
        );
        for (const w of honestAddrs) {
          t.ok((await sdk.balance(w)) >= ESCROW, `L2: honest worker ${w} was paid`);
          t.equal(
            (await game.disputesOpened({ claimer: w }, net.deployBlock)).length,
            0,
            `no dispute on ${w}'s claims`,
          );
        }
      },
    );

    await t.test("verdict generate --sequencer: a generation job from the CLI, verified text", async (t) => {
      const r = await cliJob;
      const out = JSON.parse(r.stdout.trim().split("\n").pop() as string);
      t.equal(out.outcome, "paid");
      t.ok(honestAddrs.includes(out.worker), `served by an honest worker (${out.worker})`);
      const runner = await createRunner(net.honestModel.bytes);
      t.teardown(() => runner.dispose());
      const local = await decode(runnerLanguageModel(runner), {
        prompt: out.promptTokens,
        maxTokens: 8,
        stopToken: null,
        rule: { kind: "greedy" },
      });
      t.same(out.tokens, local.tokens, "greedy tokens equal a local generation");
      t.equal(
        out.text,
        tokenizer.decode([...out.promptTokens, ...local.tokens]),
        `text: ${JSON.stringify(out.text)}`,
      );
    });

    await t.test(
      "a wrong element inside the pass: a pass mismatch, the ordinary game, slashed",
      async (t) => {
        const { posted, outcome } = await liarJob;
        t.equal(outcome.outcome, "refunded", "L2: refunded");
        if (outcome.outcome !== "refunded") return;
        t.equal(outcome.reason, "dispute lost");
        t.equal(outcome.job.worker, liarAddr);
        const v = await sdk.verify(posted.jobId, { model: net.faultyModel.bytes });
        t.match(v.verdict, { kind: "pass-differs", traceRootDiffers: true }, `sdk.verify: ${v.why}`);
        t.equal(
          watcherChecks(net.log(), posted.jobId).filter((l) => / verdict=trace /.test(l)).length,
          1,
          "the watcher's one pass found the trace differs",
        );
        const opened = await game.disputesOpened({ claimer: liarAddr }, net.deployBlock);
        t.equal(opened.length, 1, "one dispute");
        t.equal(opened[0].jobId.toLowerCase(), posted.jobId.toLowerCase());
        t.equal(opened[0].challenger.toLowerCase(), watcherAddr, "opened by the watcher");
        await resolvedForChallenger(t, { net, pub }, opened[0].disputeId);
        await assertSlashedOnce(t, { net, pub, bridge, sdk }, liarAddr, liarStakeBefore);
      },
    );

    await t.test(
      "a wrong token over an honest pass: the watcher's token move on L1, the liar slashed",
      async (t) => {
        const { posted, outcome } = await tokenLiarJob;
        t.comment(`wrong-token job: posted to refunded in ${((Date.now() - postedAt) / 1000).toFixed(1)} s`);
        t.equal(outcome.outcome, "refunded", "L2: refunded, the wrong text never paid");
        if (outcome.outcome !== "refunded") return;
        t.equal(outcome.reason, "dispute lost");
        t.equal(outcome.job.worker, tokenLiarAddr);
        // where the liar lied: the honest generation of its own model, and the fault's site
        const runner = await createRunner(tokenLiarModel.bytes);
        t.teardown(() => runner.dispose());
        const local = await decode(runnerLanguageModel(runner), {
          prompt: posted.prompt,
          maxTokens: MAX_TOKENS,
          stopToken: EOS_ID,
          rule: decoding,
        });
        const site = wrongTokenSite(local.tokens, EOS_ID, VOCAB);
        const v = await sdk.verify(posted.jobId, { model: tokenLiarModel.bytes });
        t.match(
          v.verdict,
          { kind: "token-rule", step: site.step, claimed: site.token, expected: local.tokens[site.step] },
          `sdk.verify names the wrong token: ${v.why}`,
        );
        const log = net.log();
        t.equal(
          watcherChecks(log, posted.jobId).filter((l) => / verdict=token-rule /.test(l)).length,
          1,
          "the watcher's one pass found a broken rule (the pass itself agrees)",
        );
        t.match(
          log,
          /\[watcher\] token move sent .*kind=proveTokenRuleBroken/,
          "the watcher sent the token move",
        );
        const opened = await game.disputesOpened({ claimer: tokenLiarAddr }, net.deployBlock);
        t.equal(opened.length, 1, "one dispute");
        t.equal(opened[0].jobId.toLowerCase(), posted.jobId.toLowerCase());
        t.equal(opened[0].challenger.toLowerCase(), watcherAddr, "opened by the watcher");
        const broken = await pub.getContractEvents({
          address: (await GenerationRuleContract.of(l1, net.disputeGame)).address,
          abi: generationRuleAbi,
          eventName: "TokenRuleBroken",
          fromBlock: net.deployBlock,
        });
        const ours = broken.filter((l) => l.args.disputeId === opened[0].disputeId);
        t.equal(ours.length, 1, "GenerationRule: TokenRuleBroken in our dispute");
        t.equal(ours[0]?.args.reason, "generated token breaks the decoding rule");
        const moveTx = await pub.getTransactionReceipt({ hash: ours[0].transactionHash });
        const openTx = await pub.getTransactionReceipt({
          hash: (
            await pub.getContractEvents({
              address: net.disputeGame,
              abi: disputeGameAbi,
              eventName: "DisputeOpened",
              args: { disputeId: opened[0].disputeId },
              fromBlock: net.deployBlock,
            })
          )[0].transactionHash,
        });
        const [openBlock, moveBlock] = await Promise.all([
          pub.getBlock({ blockNumber: openTx.blockNumber }),
          pub.getBlock({ blockNumber: moveTx.blockNumber }),
        ]);
        t.comment(
          `token move on L1: openDispute ${openTx.gasUsed} gas, proveTokenRuleBroken ${moveTx.gasUsed} gas ` +
            `(stories260K, T ${runner.profile.inputs[0].shape[0]}, vocab ${VOCAB}), ${moveBlock.timestamp - openBlock.timestamp} s from open to slash`,
        );
        t.equal(moveTx.from.toLowerCase(), watcherAddr, "sent by the watcher");
        const resolved = await resolvedForChallenger(t, { net, pub }, opened[0].disputeId);
        t.equal(resolved.transactionHash, ours[0].transactionHash, "in the token move's tx: no game played");
        await assertSlashedOnce(t, { net, pub, bridge, sdk }, tokenLiarAddr, tokenLiarStakeBefore);
      },
    );
    await t.test(
      "a withheld trace: the wrong element, then no content and no chunk reveals; lost on time, slashed",
      async (t) => {
        const { posted, outcome } = await withholderJob;
        t.comment(`withhold job: posted to refunded in ${((Date.now() - postedAt) / 1000).toFixed(1)} s`);
        t.equal(outcome.outcome, "refunded", "L2: refunded, the withheld text never paid");
        if (outcome.outcome !== "refunded") return;
        t.equal(outcome.reason, "dispute lost");
        t.equal(outcome.job.worker, withholderAddr);
        const claim = (await sdk.job(posted.jobId))?.claim as { outputCid?: Hex } | undefined;
        t.ok(claim?.outputCid, "the claim names an output CID");
        if (claim?.outputCid)
          await t.rejects(sdk.getContent(claim.outputCid), "nobody serves the output the claim names");
        t.equal(
          watcherChecks(net.log(), posted.jobId).filter((l) => / verdict=trace /.test(l)).length,
          1,
          "the watcher's one pass found the trace differs",
        );
        const opened = await game.disputesOpened({ claimer: withholderAddr }, net.deployBlock);
        t.equal(opened.length, 1, "one dispute");
        t.equal(opened[0].jobId.toLowerCase(), posted.jobId.toLowerCase());
        t.equal(opened[0].challenger.toLowerCase(), watcherAddr, "opened by the watcher");
        const reveals = await pub.getContractEvents({
          address: net.disputeGame,
          abi: disputeGameAbi,
          eventName: "TraceChildrenRevealed",
          args: { disputeId: opened[0].disputeId },
          fromBlock: net.deployBlock,
        });
        t.ok(reveals.length > 0, `the liar answered the trace descent (${reveals.length} reveals)`);
        await Promise.allSettled(jobs);
        const stalledIn = (await mover).get(opened[0].disputeId);
        t.ok(
          stalledIn !== undefined && (CASES.withhold.stallPhases as number[]).includes(stalledIn),
          `then withheld: stalled in phase ${stalledIn} (chunk ${Phase.chunkReveal}, data ${Phase.chunkData}, folds ${Phase.foldPost})`,
        );
        const resolved = await resolvedForChallenger(t, { net, pub }, opened[0].disputeId);
        t.equal(resolved.args.reason, "timeout", "on time");
        await assertSlashedOnce(t, { net, pub, bridge, sdk }, withholderAddr, withholderStakeBefore);
      },
    );
    t.comment(`whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },
);
