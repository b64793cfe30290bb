/**
 * What `startWorker` refuses before it touches L2, each with a clear error, on the embedded L1
 * over HTTP: a test fault on a chain that is not a dev chain (unless the guard is given), a
 * Bridge address with no contract, a model file that is not a profile model, and a model the
 * Bridge has not registered. And the store keeps job records and cursors across a reopen.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import t from "tap";
import { privateKeyToAddress } from "viem/accounts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitOnnxFile } from "../../../prover-trace/commit/model.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { DEV_WORKER_KEY } from "../../../verifier/worker/config.ts";
import { startWorker } from "../../../verifier/worker/index.ts";
import { WorkerStore } from "../../../verifier/worker/store.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-worker-start-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const devnet = await startDevnet({ port: 0, chainId: 1337 });
t.teardown(() => devnet.close());
const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
const mlpPath = join(dir, "mlp.onnx");
writeFileSync(mlpPath, encodeOnnx(buildMlp({ inputDim: 8, hidden: 16, layers: 1, classes: 3 })));
const junkPath = join(dir, "junk.onnx");
writeFileSync(junkPath, new TextEncoder().encode("not an onnx file"));

const base = {
  l1Rpc: devnet.http?.url,
  bridge: dep.address,
  models: [mlpPath],
  dataDir: join(dir, "w"),
  sequencer: "http://127.0.0.1:9",
};
const logger = pino({ level: "silent" });

t.test("a test fault is refused off a dev chain without the guard", async (t) => {
  await t.rejects(
    startWorker({ ...base, testFault: "wrong-element" }, { logger }),
    /test fault 'wrong-element' refused on L1 chain 1337.*--i-know-this-is-a-test-fault/,
  );
});

t.test("a Bridge address without a contract", async (t) => {
  await t.rejects(
    startWorker({ ...base, bridge: `0x${"12".repeat(20)}` }, { logger }),
    /no contract at bridge address 0x1212/,
  );
});

t.test("a model file outside the profile", async (t) => {
  await t.rejects(startWorker({ ...base, models: [junkPath] }, { logger }), /model .*junk\.onnx: /);
  await t.rejects(
    startWorker({ ...base, models: [join(dir, "missing.onnx")] }, { logger }),
    /model .*missing\.onnx: cannot read/,
  );
});

t.test("a model the Bridge has not registered (guard given: the fault check passes first)", async (t) => {
  await t.rejects(
    startWorker({ ...base, testFault: "silent", iKnowThisIsATestFault: true }, { logger }),
    /model .*mlp\.onnx: model id 0x[0-9a-f]{64} is not registered on the Bridge/,
  );
});

t.test("the store keeps records and cursors across a reopen", async (t) => {
  const path = join(dir, "store");
  const s1 = new WorkerStore(path);
  await s1.open();
  const jobId = `0x${"01".repeat(32)}` as const;
  await s1.putJob({
    jobId,
    modelId: `0x${"02".repeat(32)}`,
    inputCid: "0x01551220aa",
    inputRoot: `0x${"03".repeat(32)}`,
    inputBase64: Buffer.from([1, 2, 3]).toString("base64"),
    claim: null,
    claimSignature: null,
    fault: "withhold",
    stage: "claimed",
    submittedAt: null,
    finalizeAfter: null,
    error: null,
    updatedAt: 1,
  });
  await s1.updateJob(jobId, { stage: "submitted", submittedAt: 5 });
  await s1.putDispute({
    disputeId: "7",
    jobId,
    claimKey: `0x${"04".repeat(32)}`,
    challenger: `0x${"05".repeat(20)}`,
    winner: 0,
    moves: 2,
    openedAtBlock: "9",
  });
  await s1.setCursor("l2Next", 42);
  await s1.close();
  const s2 = new WorkerStore(path);
  await s2.open();
  t.teardown(() => s2.close());
  const j = await s2.job(jobId.toUpperCase().replace("0X", "0x"));
  t.equal(j?.stage, "submitted", "the update survived");
  t.equal(j?.fault, "withhold", "with the fault the claim was made under");
  t.same(Buffer.from(j?.inputBase64 ?? "", "base64"), Buffer.from([1, 2, 3]), "and the input bytes");
  t.equal((await s2.jobs()).length, 1);
  t.equal((await s2.dispute(7n))?.moves, 2, "disputes by id");
  t.equal(await s2.cursor("l2Next"), 42);
  t.equal(await s2.cursor("nothing"), null);
  await t.rejects(s2.updateJob(`0x${"ff".repeat(32)}`, { stage: "paid" }), /no job record/);
});

t.test("a model with claims still disputable cannot be dropped (attack 6)", async (t) => {
  // Served and registered: the worker gets past its model checks to the retention check.
  const served = await commitOnnxFile(readFileSync(mlpPath));
  await dep.bridge.registerCommittedModel(served);
  const dropped = `0x${"0d".repeat(32)}` as const;
  const dataDir = join(dir, "w-retain");
  const s = new WorkerStore(join(dataDir, "db"));
  await s.open();
  await s.putJob({
    jobId: `0x${"0e".repeat(32)}`,
    modelId: dropped,
    inputCid: "0x01551220aa",
    inputRoot: `0x${"03".repeat(32)}`,
    inputBase64: null,
    claim: null,
    claimSignature: `0x${"55".repeat(65)}`,
    fault: null,
    stage: "paid",
    submittedAt: Date.now(),
    finalizeAfter: null,
    error: null,
    updatedAt: 1,
  });
  await s.close();
  const me = privateKeyToAddress(DEV_WORKER_KEY);
  const stakeBefore = await dep.bridge.stakeOf(me);
  await t.rejects(
    startWorker({ ...base, dataDir, disputeWindowMs: 3_600_000 }, { logger }),
    {
      name: "RetentionError",
      message: new RegExp(`${dropped} \\(1 claim disputable until .*keep them in --model`),
    },
    "restarted without the model of a claim still in its window: refused, naming it",
  );
  t.same(await dep.bridge.stakeOf(me), stakeBefore, "refused before anything is sent to L1");
  await t.rejects(
    startWorker({ ...base, dataDir, disputeWindowMs: 1 }, { logger }),
    /cannot reach the sequencer/,
    "once the claim is final the model may go: the start goes on (to the missing sequencer)",
  );
});
