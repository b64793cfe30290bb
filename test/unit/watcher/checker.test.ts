/**
 * The watcher's re-execution (verifier/watcher/checker.ts) on the three-output level-0 model, with
 * a real in-memory content store: the opening is the shared planner's (`planOpening`). With our
 * trace but another outputRoot, the output to challenge is named from the claim's published
 * outputs only when they hash to the claim's outputRoot: a published file that does not (issue
 * 18, attack 10: it would point at a correct leaf and the challenger would lose its bond), too
 * few outputs, or none published (attack 11) name nothing, and the watcher opens level 0 without
 * naming the output (challengeOutputs: the claimer reveals every root, the challenger names one).
 * A deferred claim (traceRoot 0) is checked with a plain run, traced only when its outputRoot
 * differs (verdict "deferred": openDeferred).
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import t from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { openContent } from "../../../content/open.ts";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { DEFERRED_TRACE, NO_GENERATION } from "../../../protocol/tx.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { type PartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { Checker } from "../../../verifier/watcher/checker.ts";
import { level0Fixture } from "../../helpers/level0.ts";

const cidBytes = (s: string) => toHex(CID.parse(s).bytes);

t.test("the checker opens through the shared planner", async (t) => {
  const f = await level0Fixture();
  const dir = mkdtempSync(join(tmpdir(), "verdict-checker-"));
  const modelFile = join(dir, "level0.onnx");
  writeFileSync(modelFile, f.bytes);
  const content = await openContent();
  const checker = await Checker.create({ modelFiles: [modelFile], content });
  t.teardown(async () => {
    await checker.close();
    await content.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const modelId = toHex(f.model.modelId);
  const inputCid = cidBytes(await content.add(encodeTensorFile([f.input])));
  const job = {
    modelId,
    inputRoot: toHex(f.honest.inputLevels[f.honest.inputLevels.length - 1].slice(0, 32)),
    inputCid,
  };
  const publish = async (outputs: TensorData[]) => cidBytes(await content.add(encodeTensorFile(outputs)));
  const claimOf = (v: PartyView, outputCid: Hex): ClaimMessage => ({
    jobId: `0x${"01".repeat(32)}`,
    worker: `0x${"77".repeat(20)}`,
    modelId,
    inputRoot: job.inputRoot,
    outputRoot: toHex(viewOutputRoot(v)),
    traceRoot: toHex(v.trace.root),
    generationSpec: NO_GENERATION,
    outputCid,
    traceCid: "0x",
  });
  const { honestOutputs, liarOutputs } = f;

  const honest = await checker.check(claimOf(f.honest, await publish(honestOutputs)), job);
  t.equal(honest.verdict, "agree", "an honest claim: nothing to dispute");

  const consistent = await checker.check(claimOf(f.liar, await publish(liarOutputs)), job);
  t.equal(consistent.verdict, "output", "our trace, another outputRoot: level 0");
  t.equal(consistent.outputIndex, 1, "the published outputs (hashing to outputRoot) name output 1");

  // Published outputs that are not the claim's: output 0 changed instead. Used, they would name
  // output 0, whose leaf the claimer answers correctly.
  const decoyData = (liarOutputs[0].data as Int32Array).slice();
  decoyData[0] += 1;
  const decoy = liarOutputs.map((o, k) =>
    k === 0 ? { ...o, data: decoyData } : k === 1 ? honestOutputs[1] : o,
  );
  const unnamed = async (outputCid: Hex, what: string) => {
    const c = await checker.check(claimOf(f.liar, outputCid), job);
    t.equal(c.verdict, "output", `${what}: still level 0`);
    t.equal(c.outputIndex, undefined, `${what}: no output named (challengeOutputs)`);
  };
  await unnamed(await publish(decoy), "a published output file inconsistent with outputRoot");
  await unnamed(await publish(liarOutputs.slice(0, 2)), "too few published outputs");
  await unnamed("0x", "several outputs and none published");
  await unnamed(
    cidBytes(await content.add(new Uint8Array([1, 2, 3]))),
    "a published file that is no tensor file",
  );

  const otherTrace = { ...claimOf(f.liar, "0x"), traceRoot: `0x${"ee".repeat(32)}` as Hex };
  t.equal(
    (await checker.check(otherTrace, job)).verdict,
    "trace",
    "another trace: level 1, outputs not needed",
  );

  // A deferred claim (traceRoot 0): a plain run decides; only a mismatch builds the trace.
  const deferred = (v: PartyView) => ({ ...claimOf(v, "0x"), traceRoot: DEFERRED_TRACE });
  const ok = await checker.check(deferred(f.honest), job);
  t.equal(ok.verdict, "agree", "a deferred honest claim: agree");
  t.equal(ok.view, undefined, "from the plain run alone: no trace built");
  t.equal(ok.ours.outputRoot, toHex(viewOutputRoot(f.honest)), "our outputRoot from the plain run");
  const lie = await checker.check(deferred(f.liar), job);
  t.equal(lie.verdict, "deferred", "a deferred wrong claim: openDeferred");
  t.equal(lie.ours.outputRoot, toHex(viewOutputRoot(f.honest)), "decided by the plain run's outputRoot");
  t.equal(lie.view, undefined, "no trace built to decide (openDeferred needs none)");
  const traced = await lie.traceView?.();
  t.equal(
    toHex(traced?.trace.root ?? new Uint8Array()),
    toHex(f.honest.trace.root),
    "traceView: one traced run, the view to play with (our true trace root)",
  );
  await t.rejects(
    checker.check(deferred(f.honest), { ...job, inputRoot: `0x${"ab".repeat(32)}` }),
    "an input that is not the job's is refused",
  );
});
