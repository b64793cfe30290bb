import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type Hex, parseEther } from "viem";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { argmaxRow } from "../../../prover-trace/runner/generate.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { parseTokenizer } from "../../../prover-trace/tokenizer/sentencepiece.ts";
import { ACCOUNT, startNetwork } from "../../helpers/network.ts";
import { assertSlashedOnce, resolvedForChallenger, txsPerSide } from "./outcome-checks.ts";
import {
  commentLogOnFailure,
  importStories260k,
  networkClients,
  watcherChecks,
} from "./real-model-network.ts";

const WINDOW = 128;
const VOCAB = 512;
const ESCROW = parseEther("0.01");
const TIMEOUT = 300_000;

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);

function tokensOf(ids: readonly number[]): TensorData {
  const data = new Int32Array(WINDOW);
  data.set(ids);
  return { dtype: 6, shape: [WINDOW], data };
}

t.test("an imported stories260K served, checked, and its liar slashed", async (t) => {
  const t0 = Date.now();
  const buildDir = mkdtempSync(join(tmpdir(), "verdict-imported-llm-"));
  t.teardown(() => rmSync(buildDir, { recursive: true, force: true }));
  const models = await importStories260k(buildDir, { honest: "max", faulty: "percentile:99.99" });
  t.comment(
    `convert + 2 imports in ${((Date.now() - t0) / 1000).toFixed(1)} s (${models.honest.length} and ${models.faulty.length} bytes)`,
  );
  t.not(Buffer.compare(models.honest, models.faulty), 0, "the two imports are different models");

  const t1 = Date.now();
  const net = await startNetwork(t, {
    l1: "embedded",
    fault: "wrong-element",
    models: {
      honest: { name: "llm-honest", bytes: models.honest },
      faulty: [{ name: "llm-faulty", bytes: models.faulty }],
    },
    watcherFetchesModels: true,
    // the watcher re-runs a 1,775-node LLM with the trace on a 2-core machine while both workers
    // and another test file run: 30 s was too short on CI (the lie was paid unchecked). The L1
    // window too: a dispute on a claim recorded on L1 more than that window ago is proved final,
    // and with the helper's 3 s a 3 s traced check under load let the liar win that way
    challengeWindowMs: 90_000,
    l1ChallengeWindowS: 90n,
  });
  t.comment(`network of ${net.roles.length} processes up in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  commentLogOnFailure(t, net);

  const { sdk, pub, bridge, game, addr, liarAddr, watcherAddr } = await networkClients(net);
  const honestAddr = addr(ACCOUNT.honestWorker);

  // The model owner publishes the imported files; the watcher fetches them by the registered CID.
  for (const m of [net.honestModel, net.faultyModel]) {
    const cid = await sdk.putContent(m.bytes);
    t.equal(cid, m.commitment.cid.toString(), `${m.name}: uploaded under its registered CID`);
  }

  const tok = parseTokenizer(new Uint8Array(readFileSync(files.tokenizer)), VOCAB);
  const prompt = tok.encode("Once upon a time, there was a little");
  await sdk.deposit(parseEther("1"), { timeoutMs: 60_000 });
  const liarStakeBefore = (await bridge.stakeOf(liarAddr)).active;
  const honestStakeBefore = (await bridge.stakeOf(honestAddr)).active;

  const t2 = Date.now();
  const post = async (modelId: Hex) => {
    const posted = await sdk.postJob({ modelId, tensor: tokensOf(prompt), escrow: ESCROW });
    return { posted, outcome: await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT }) };
  };
  const honestJob = post(net.honestModel.modelId);
  const liarJob = post(net.faultyModel.modelId);
  honestJob.catch(() => {});
  liarJob.catch(() => {});

  await t.test("the honest worker's job is paid with the integer model's logits", async (t) => {
    const { outcome } = await honestJob;
    t.equal(outcome.outcome, "paid", "L2: paid after the window");
    if (outcome.outcome !== "paid") return;
    t.equal(outcome.job.worker, honestAddr, "by the honest worker");
    const [logits] = outcome.outputs;
    t.same(logits.shape, [WINDOW, VOCAB], "logits for every position");
    // the same model run here: the paid output is the integer model's, bit for bit
    const runner = await createRunner(net.honestModel.bytes);
    t.teardown(() => runner.dispose());
    const local = await runner.runTraced([tokensOf(prompt)]);
    t.same(
      Array.from(logits.data as Int32Array),
      Array.from(local.outputs.logits.data as Int32Array),
      "the paid logits equal a local run",
    );
    const next = argmaxRow(logits.data as Int32Array, prompt.length - 1, VOCAB);
    t.comment(`next token after the prompt: ${next} ${JSON.stringify(tok.decode([next]))}`);
    // the watcher (no model files) fetched the model by its CID, re-ran the job and agreed
    const checked = watcherChecks(net.log());
    t.equal(checked.filter((l) => / verdict=agree /.test(l)).length, 1, "the watcher agreed with one claim");
    t.comment(`watcher: ${checked.join("; ")}`);
    t.equal(await sdk.balance(honestAddr), ESCROW, "L2: the honest worker was paid the escrow");
    t.equal(
      (await game.disputesOpened({ claimer: honestAddr }, net.deployBlock)).length,
      0,
      "never disputed",
    );
    t.equal((await bridge.stakeOf(honestAddr)).active, honestStakeBefore, "L1: its stake untouched");
    // this worker commits its trace (--commit-trace): it kept the claim's view to answer a
    // dispute, and drops it once the job is paid
    const released = (l: string) => l.startsWith("[worker-honest] claim view released");
    for (let i = 0; i < 100 && !net.log().split("\n").some(released); i++)
      await new Promise((r) => setTimeout(r, 200));
    t.match(
      net.log().split("\n").find(released),
      / why=paid held=0$/,
      "the honest worker released its view when the job was paid",
    );
  });

  await t.test("wrong-element on the imported LLM: disputed to the one step, the liar slashed", async (t) => {
    const { posted, outcome } = await liarJob;
    t.equal(outcome.outcome, "refunded", "L2: the job was refunded");
    if (outcome.outcome !== "refunded") return;
    t.equal(outcome.reason, "dispute lost", "because the worker lost the dispute");
    t.equal(outcome.job.worker, liarAddr, "the liar had claimed it");
    const opened = await game.disputesOpened({ claimer: liarAddr }, net.deployBlock);
    t.equal(opened.length, 1, "one dispute on the liar's claims");
    const d = opened[0];
    t.equal(d.jobId.toLowerCase(), posted.jobId.toLowerCase(), "on the job it lied on");
    t.equal(d.challenger.toLowerCase(), watcherAddr, "opened by the watcher");
    const level0 = await pub.getContractEvents({
      address: net.disputeGame,
      abi: disputeGameAbi,
      eventName: "OutputChallenged",
      args: { disputeId: d.disputeId },
      fromBlock: net.deployBlock,
    });
    t.equal(level0.length, 0, "a trace dispute (the lie is deep in the graph)");
    t.equal(
      watcherChecks(net.log()).filter((l) => / verdict=trace /.test(l)).length,
      1,
      "the watcher's re-execution found the trace differs",
    );
    const resolved = await resolvedForChallenger(t, { net, pub }, d.disputeId);
    t.match(
      resolved.args.reason as string,
      /^one step: wrong (value|state)$/,
      `reason: ${resolved.args.reason}`,
    );
    t.ok(await game.claimInvalidated(resolved.args.claimKey as Hex), "the claim is invalidated");

    const oneStep = await pub.getTransactionReceipt({ hash: resolved.transactionHash });
    t.ok(oneStep.gasUsed <= 300_000n, `one-step gas ${oneStep.gasUsed} <= 300k`);
    const txs = await txsPerSide({ net, pub }, liarAddr, watcherAddr);
    t.ok(txs.claimer.game > 0 && txs.challenger.game > 0, "both sides moved");
    t.comment(
      `L1 txs to the DisputeGame: claimer ${txs.claimer.game} (${txs.claimer.gameGas} gas), challenger ${txs.challenger.game} (${txs.challenger.gameGas} gas); to the Bridge: claimer ${txs.claimer.bridge}, challenger ${txs.challenger.bridge}; one-step gas ${oneStep.gasUsed}`,
    );
    await assertSlashedOnce(t, { net, pub, bridge, sdk }, liarAddr, liarStakeBefore, watcherAddr);
  });
  t.comment(
    `jobs done in ${((Date.now() - t2) / 1000).toFixed(1)} s; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
});
