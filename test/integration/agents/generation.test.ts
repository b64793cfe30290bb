/**
 * Issues 12 and 19 through the whole system: generation jobs on stories260K (converted and
 * imported by the `verdict model` commands, two imports so each worker has a model id of its own,
 * as in imported-llm.test.ts), real processes on the embedded L1 (test/helpers/network.ts):
 * - an honest `verdict worker` decodes, claims ONE traced pass over prompt ++ generated and is
 *   paid; the SDK's awaitResult checks the tokens against the claim's logits and returns the text,
 *   which equals a local generation; the watcher agreed with one pass;
 * - a `verdict worker --test-fault wrong-element` (one MatMulInteger element inside the pass +1,
 *   the tokens right) is caught by the watcher's one-pass check as a pass mismatch, disputed with
 *   the ordinary game to the one step and slashed; the SDK's verify names the wrong pass too.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { type Address, parseEther } from "viem";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { decode } from "../../../prover-trace/generation/loop.ts";
import { runnerLanguageModel } from "../../../prover-trace/generation/runner-model.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { EOS_ID, parseTokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";
import { createClient } from "../../../sdk/index.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { ACCOUNT, L2_CHAIN_ID, MIN_STAKE, startNetwork } from "../../helpers/network.ts";

const exec = promisify(execFile);
const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const VOCAB = 512;
const ESCROW = parseEther("0.01");
const TIMEOUT = 300_000;
const MAX_TOKENS = 24;
const OUTCOME_CHALLENGER_WON = 1;

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);

async function importTwice(dir: string): Promise<{ honest: Uint8Array; faulty: Uint8Array }> {
  if (!files.ok) throw new Error(files.why);
  const verdict = (args: string[]) => exec(process.execPath, [VERDICT, "model", ...args]);
  const float = join(dir, "float.onnx");
  const calib = join(dir, "calib");
  await verdict([
    "convert-llama2c",
    files.checkpoint,
    "--out",
    float,
    "--calib-out",
    calib,
    "--calib-samples",
    "8",
  ]);
  const imported = async (name: string, calibration: string) => {
    const out = join(dir, `${name}.onnx`);
    await verdict(["import", float, "--calib", calib, "--out", out, "--calibration", calibration]);
    return new Uint8Array(readFileSync(out));
  };
  return { honest: await imported("honest", "max"), faulty: await imported("faulty", "percentile:99.99") };
}

function watcherChecks(log: string): string[] {
  return log
    .split("\n")
    .filter((l) => l.startsWith("[watcher] claim checked"))
    .map((l) => l.replace(/ ours=.*$/, ""));
}

t.test(
  "generation jobs: the honest text paid and checked, a wrong element inside the pass slashed",
  async (t) => {
    const t0 = Date.now();
    const buildDir = mkdtempSync(join(tmpdir(), "verdict-generation-e2e-"));
    t.teardown(() => rmSync(buildDir, { recursive: true, force: true }));
    const models = await importTwice(buildDir);
    t.comment(`convert + 2 imports in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const net = await startNetwork(t, {
      l1: "embedded",
      fault: "wrong-element",
      models: {
        honest: { name: "llm-honest", bytes: models.honest },
        faulty: [{ name: "llm-faulty", bytes: models.faulty }],
      },
      watcherFetchesModels: true,
      // the watcher re-runs a 1,775-node pass with the trace while both workers decode on a shared
      // 2-core machine: the L2 and the L1 windows leave it time to open its dispute
      challengeWindowMs: 90_000,
      l1ChallengeWindowS: 90n,
    });
    t.teardown(() => {
      if (!t.passing()) t.comment(`last role output:\n${net.log().split("\n").slice(-80).join("\n")}`);
    });
    const sdk = await createClient({
      sequencerUrl: net.seqUrl,
      privateKey: net.accounts[ACCOUNT.requester].privateKey,
      l2ChainId: L2_CHAIN_ID,
      pollMs: 200,
      l1: { rpcUrl: net.l1Url, bridge: net.bridgeAddress },
    });
    const l1 = await net.l1Clients(ACCOUNT.deployer);
    const pub = l1.publicClient;
    const bridge = await net.bridge(ACCOUNT.deployer);
    const game = new DisputeGameContract(l1, net.disputeGame);
    const addr = (i: number) => net.accounts[i].address.toLowerCase() as Address;
    const honestAddr = addr(ACCOUNT.honestWorker);
    const liarAddr = addr(ACCOUNT.faultyWorker);
    const watcherAddr = addr(ACCOUNT.watcher);
    for (const m of [net.honestModel, net.faultyModel]) await sdk.putContent(m.bytes);

    const tokenizer = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB);
    const promptText = "Once upon a time, there was a little";
    await sdk.deposit(parseEther("1"), { timeoutMs: 60_000 });
    const liarStakeBefore = (await bridge.stakeOf(liarAddr)).active;

    const decoding = {
      kind: "sample" as const,
      topK: 40,
      halfLife: 2500,
      seed: Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3),
    };
    const post = async (model: Uint8Array) => {
      const posted = await sdk.generate({
        model,
        prompt: promptText,
        tokenizer,
        maxTokens: MAX_TOKENS,
        stopToken: EOS_ID,
        decoding,
        escrow: ESCROW,
      });
      return { posted, outcome: await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT }) };
    };
    const honestJob = post(net.honestModel.bytes);
    const liarJob = post(net.faultyModel.bytes);
    honestJob.catch(() => {});
    liarJob.catch(() => {});
    // The CLI posts a third (greedy) job from an account of its own (no nonce race with the SDK).
    const cliKey = net.accounts[ACCOUNT.consumerOwner].privateKey;
    await sdk.deposit(parseEther("0.1"), { to: addr(ACCOUNT.consumerOwner), timeoutMs: 60_000 });
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
      t.equal(outcome.job.worker, honestAddr);
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
      const checked = watcherChecks(net.log());
      t.ok(checked.filter((l) => / verdict=agree /.test(l)).length >= 1, "the watcher agreed with the claim");
      t.ok((await sdk.balance(honestAddr)) >= ESCROW, "L2: the honest worker was paid");
    });

    await t.test("verdict generate --sequencer: a generation job from the CLI, verified text", async (t) => {
      const r = await cliJob;
      const out = JSON.parse(r.stdout.trim().split("\n").pop() as string);
      t.equal(out.outcome, "paid");
      t.equal(out.worker, honestAddr);
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
          watcherChecks(net.log()).filter((l) => / verdict=trace /.test(l)).length,
          1,
          "the watcher's one pass found the trace differs",
        );
        const opened = await game.disputesOpened({ claimer: liarAddr }, net.deployBlock);
        t.equal(opened.length, 1, "one dispute");
        t.equal(opened[0].jobId.toLowerCase(), posted.jobId.toLowerCase());
        t.equal(opened[0].challenger.toLowerCase(), watcherAddr, "opened by the watcher");
        const resolved = (
          await pub.getContractEvents({
            address: net.disputeGame,
            abi: disputeGameAbi,
            eventName: "DisputeResolved",
            fromBlock: net.deployBlock,
          })
        ).filter((l) => l.args.disputeId === opened[0].disputeId);
        t.equal(resolved.length, 1);
        t.equal(Number(resolved[0].args.winner), Winner.challenger, "the challenger won");
        const settled = (
          await pub.getContractEvents({
            address: net.bridgeAddress,
            abi: bridgeAbi,
            eventName: "DisputeSettled",
            args: { worker: liarAddr },
            fromBlock: net.deployBlock,
          })
        ).map((l) => l.args as { outcome: number; slashed: bigint });
        t.equal(settled.length, 1);
        t.equal(Number(settled[0].outcome), OUTCOME_CHALLENGER_WON);
        t.equal((await bridge.stakeOf(liarAddr)).active, liarStakeBefore - MIN_STAKE, "L1: the liar slashed");
        t.equal(await sdk.balance(liarAddr), 0n, "L2: the liar was never paid");
      },
    );
    t.comment(`whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },
);
