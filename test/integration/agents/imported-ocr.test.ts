import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type Hex, parseEther } from "viem";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { DEFERRED_TRACE } from "../../../protocol/tx.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { quantizeInput } from "../../../prover-trace/import/importer.ts";
import type { LoweredInput } from "../../../prover-trace/import/lower.ts";
import { readSamplesDir } from "../../../prover-trace/import/samples-dir.ts";
import { ctcClasses, ctcDecode } from "../../../prover-trace/ocr/ctc.ts";
import { ocrModelFiles } from "../../../prover-trace/ocr/files.ts";
import { createRunner } from "../../../prover-trace/runner/runner.ts";
import { ACCOUNT, startNetwork } from "../../helpers/network.ts";
import { assertSlashedOnce, resolvedForChallenger, txsPerSide } from "./outcome-checks.ts";
import {
  commentLogOnFailure,
  logged,
  networkClients,
  verdictModel,
  watcherChecks,
} from "./real-model-network.ts";

const ESCROW = parseEther("0.01");
const TIMEOUT = 600_000;
const CLASSES = 6625;

const files = ocrModelFiles();
if (!files.ok) throw new Error(files.why);

/** ocr-samples once, then two imports: max and percentile. */
async function importTwice(dir: string) {
  if (!files.ok) throw new Error(files.why);
  const calib = join(dir, "calib");
  await verdictModel(["ocr-samples", "--out", calib, "--count", "12", "--seed", "5"]);
  const imported = async (name: string, calibration: string) => {
    const out = join(dir, `${name}.onnx`);
    const report = join(dir, `${name}.json`);
    await verdictModel([
      "import",
      files.rec,
      "--calib",
      calib,
      "--out",
      out,
      "--report",
      report,
      "--calibration",
      calibration,
    ]);
    return {
      bytes: new Uint8Array(readFileSync(out)),
      input: JSON.parse(readFileSync(report, "utf8")).inputs[0] as LoweredInput,
    };
  };
  const samples = readSamplesDir(calib);
  if (!samples.ok) throw new Error(samples.errors.join("\n"));
  const texts = JSON.parse(readFileSync(join(calib, "texts.json"), "utf8")) as { text: string }[];
  return {
    honest: await imported("honest", "max"),
    faulty: await imported("faulty", "percentile:99.99"),
    crop: samples.samples[3].inputs.x,
    text: texts[3].text,
  };
}

t.test("an imported PP-OCRv4 rec served, checked, and its liar slashed", async (t) => {
  const t0 = Date.now();
  const buildDir = mkdtempSync(join(tmpdir(), "verdict-imported-ocr-"));
  t.teardown(() => rmSync(buildDir, { recursive: true, force: true }));
  const models = await importTwice(buildDir);
  t.comment(
    `crops + 2 imports in ${((Date.now() - t0) / 1000).toFixed(1)} s (${models.honest.bytes.length} and ${models.faulty.bytes.length} bytes)`,
  );
  t.not(Buffer.compare(models.honest.bytes, models.faulty.bytes), 0, "the two imports are different models");
  const classes = ctcClasses(readFileSync(files.dict, "utf8"));

  const t1 = Date.now();
  const net = await startNetwork(t, {
    l1: "embedded",
    fault: "wrong-element",
    models: {
      honest: { name: "ocr-honest", bytes: models.honest.bytes },
      faulty: [{ name: "ocr-faulty", bytes: models.faulty.bytes }],
    },
    watcherFetchesModels: true,
    // deferred claims, as `verdict worker` makes by default (the helper's default is --commit-trace)
    deferred: true,
    // the watcher decides with a plain run (1-3 s here) and opens, then traces (3-12 s) while
    // the claimer commits, on a 2-core machine beside both workers: the L2 window and the L1 one
    // (a dispute on a claim recorded on L1 more than a window ago is proved final: with the
    // helper's 3 s the liar was paid) leave it time, as in generation.test.ts
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

  const input = (m: { input: LoweredInput }): TensorData => {
    const q = quantizeInput(models.crop, m.input);
    return { dtype: 6, shape: q.shape, data: q.data as Int32Array };
  };
  await sdk.deposit(parseEther("1"), { timeoutMs: 60_000 });
  const liarStakeBefore = (await bridge.stakeOf(liarAddr)).active;
  const honestStakeBefore = (await bridge.stakeOf(honestAddr)).active;

  const t2 = Date.now();
  const post = async (modelId: Hex, tensor: TensorData) => {
    const posted = await sdk.postJob({ modelId, tensor, escrow: ESCROW });
    return { posted, outcome: await sdk.awaitResult(posted.jobId, { timeoutMs: TIMEOUT }) };
  };
  const honestJob = post(net.honestModel.modelId, input(models.honest));
  const liarJob = post(net.faultyModel.modelId, input(models.faulty));
  honestJob.catch(() => {});
  liarJob.catch(() => {});

  await t.test(
    "the honest worker's job is paid with the integer model's scores, which read the crop",
    async (t) => {
      const { outcome } = await honestJob;
      t.equal(outcome.outcome, "paid", "L2: paid after the window");
      if (outcome.outcome !== "paid") return;
      t.equal(outcome.job.worker, honestAddr, "by the honest worker");
      t.equal(outcome.job.claim?.traceRoot, DEFERRED_TRACE, "a deferred claim: traceRoot 0");
      t.equal(outcome.job.claim?.traceCid, "0x", "no trace published");
      const [scores] = outcome.outputs;
      t.same(scores.shape, [1, 40, CLASSES], "CTC scores for 40 positions");
      // the same model run here: the paid output is the integer model's, bit for bit
      const runner = await createRunner(net.honestModel.bytes);
      t.teardown(() => runner.dispose());
      const local = await runner.runOutputs([input(models.honest)]);
      t.same(
        Array.from(scores.data as Int32Array),
        Array.from(local.outputs[0].data as Int32Array),
        "the paid scores equal a local run",
      );
      const text = ctcDecode(scores.data as Int32Array, 40, classes);
      t.equal(text, models.text, `the paid scores read the rendered text ${JSON.stringify(models.text)}`);
      // the watcher (no model files) fetched the model by its CID, re-ran the job and agreed
      const checked = watcherChecks(net.log());
      t.equal(
        checked.filter((l) => / verdict=agree /.test(l)).length,
        1,
        "the watcher agreed with one claim",
      );
      t.comment(`watcher: ${checked.join("; ")}`);
      t.equal(await sdk.balance(honestAddr), ESCROW, "L2: the honest worker was paid the escrow");
      t.equal(
        (await game.disputesOpened({ claimer: honestAddr }, net.deployBlock)).length,
        0,
        "never disputed",
      );
      t.equal((await bridge.stakeOf(honestAddr)).active, honestStakeBefore, "L1: its stake untouched");
    },
  );

  await t.test(
    "wrong-element on the imported OCR model: disputed to the one step, the liar slashed",
    async (t) => {
      const { posted, outcome } = await liarJob;
      t.equal(outcome.outcome, "refunded", "L2: the job was refunded");
      if (outcome.outcome !== "refunded") return;
      t.equal(outcome.reason, "dispute lost", "because the worker lost the dispute");
      t.equal(outcome.job.worker, liarAddr, "the liar had claimed it");
      t.equal(outcome.job.claim?.traceRoot, DEFERRED_TRACE, "a deferred claim: traceRoot 0");
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
      t.equal(level0.length, 0, "no level 0: the committed trace agrees with the wrong output");
      t.equal(
        watcherChecks(net.log()).filter((l) => / verdict=deferred /.test(l)).length,
        1,
        "the watcher's plain run found another outputRoot (openDeferred)",
      );
      const built = net
        .log()
        .split("\n")
        .filter((l) => l.startsWith("[watcher] view built (traced run)"));
      t.equal(built.length, 1, "then it traced once, for its view");
      t.comment(built[0]);
      const where = { address: net.disputeGame, abi: disputeGameAbi, fromBlock: net.deployBlock };
      const args = { disputeId: d.disputeId };
      const committed = await pub.getContractEvents({ ...where, eventName: "TraceCommitted", args });
      t.equal(committed.length, 1, "the liar committed its trace in the dispute");
      const committer = await pub.getTransaction({ hash: committed[0].transactionHash });
      t.equal(committer.from.toLowerCase(), liarAddr, "commitTrace sent by the claimer");
      const chosen = await pub.getContractEvents({ ...where, eventName: "OpeningChosen", args });
      t.same(
        chosen.map((l) => Number(l.args.kind)),
        [0],
        "the watcher chose level 1 on the committed trace",
      );
      // the deferred wrong-element site: the last element of the node producing graph output 0
      const outRef = net.faultyModel.commitment.model.outputs[0].ref;
      const lieNode = outRef.index;
      const lieOp = net.faultyModel.commitment.model.nodes[lieNode].op;
      const leaves = (await pub.getContractEvents({ ...where, eventName: "LeafRevealed", args })).map((l) =>
        Number(l.args.nodeIndex),
      );
      t.same(leaves, [lieNode], `the descent found the lie's node ${lieNode} (${lieOp})`);
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
        `L1 txs to the DisputeGame: claimer ${txs.claimer.game} (${txs.claimer.gameGas} gas), challenger ${txs.challenger.game} (${txs.challenger.gameGas} gas); to the Bridge: claimer ${txs.claimer.bridge}, challenger ${txs.challenger.bridge}; one-step gas ${oneStep.gasUsed} (${lieOp}, node ${lieNode})`,
      );
      await assertSlashedOnce(t, { net, pub, bridge, sdk }, liarAddr, liarStakeBefore, watcherAddr);

      // Each traced run of this model holds every node output (about 1.5 GB of memory): the
      // watcher and the liar drop theirs once the game is over, not at exit.
      const watcherReleased = await logged(net.log, "[watcher] claim view released");
      t.match(watcherReleased, / held=0$/, "the watcher released its view when the game ended");
      const liarReleased = await logged(net.log, "[worker-faulty] claim view released");
      t.match(liarReleased, / held=0$/, "the liar released its view when its claim was lost");
    },
  );
  t.comment(
    `jobs done in ${((Date.now() - t2) / 1000).toFixed(1)} s; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
});
