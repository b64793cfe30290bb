// The agents' generation paths on a real (small) causal model, without processes: the worker's
// executeGeneration (plain decoding, the one pass as an ordinary run, the claim's bindings) and the
// watcher's Checker.checkGeneration on its claim: agree on the honest one, "trace" on a wrong
// element inside the pass (the ordinary game), "token-rule" at the first wrong step on a claim
// whose pass is honest over a sequence with a wrong token. The e2e with real processes is
// test/integration/agents/generation.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { generationParamsToJson } from "../../../protocol/generation-job.ts";
import type { ClaimMsg, Hex } from "../../../protocol/tx.ts";
import { buildTransformerLm } from "../../../prover-trace/builder/transformer.ts";
import {
  generationPassInputRoot,
  generationSequence,
  generationSpec,
} from "../../../prover-trace/commit/generation.ts";
import { jobParamsHash } from "../../../prover-trace/generation/check.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { Checker } from "../../../verifier/watcher/checker.ts";
import { executeGeneration, generationJobFor } from "../../../verifier/worker/generation.ts";
import { executeJob, loadServedModel } from "../../../verifier/worker/job.ts";

const dir = mkdtempSync(join(tmpdir(), "verdict-gen-agents-"));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, tokenInput: "uint8" | "int32", seqLen = 16) => {
  const p = join(dir, name);
  writeFileSync(
    p,
    encodeOnnx(
      buildTransformerLm({ seed: 4, seqLen, dModel: 32, heads: 2, layers: 2, ffDim: 64, tokenInput }),
    ),
  );
  return p;
};
const lmPath = file("lm.onnx", "int32");
const served = await loadServedModel(lmPath, async () => true);
const checker = await Checker.create({ modelFiles: [lmPath] });
t.teardown(async () => {
  await served.runner.dispose();
  await checker.close();
});

const params = {
  maxTokens: 6,
  stopToken: null,
  rule: {
    kind: "sample" as const,
    topK: 20,
    halfLife: 6,
    seed: Uint8Array.from({ length: 32 }, (_, i) => i),
  },
};
const g = { prompt: [72, 105], window: 16, params: generationParamsToJson(params) };
const jobId = `0x${"ab".repeat(32)}` as Hex;

function claimOf(ex: Awaited<ReturnType<typeof executeGeneration>>): ClaimMsg {
  return {
    jobId,
    modelId: served.modelId,
    inputRoot: ex.passInputRoot,
    outputRoot: toHex(ex.ex.run.outputRoot) as Hex,
    traceRoot: toHex(ex.ex.run.traceRoot) as Hex,
    generationSpec: ex.generationSpec,
    outputCid: "0x",
    traceCid: "0x",
  };
}

t.test("the worker serves only jobs its model can carry", async (t) => {
  t.same(generationJobFor(served, g).prompt, g.prompt);
  t.throws(
    () => generationJobFor(served, { ...g, window: 32 }),
    /window 32 is not the model's input length 16/,
  );
  t.throws(() => generationJobFor(served, { ...g, prompt: [300] }), /prompt token 0 \(300\)/);
  t.throws(() => generationJobFor(served, { ...g, params: { ...g.params, maxTokens: 15 } }), /maxTokens/);
  const u8 = await loadServedModel(file("u8.onnx", "uint8"), async () => true);
  t.teardown(() => u8.runner.dispose());
  t.throws(() => generationJobFor(u8, g), /not int32/);
});

t.test("honest: the watcher's one pass agrees", async (t) => {
  const ex = await executeGeneration(served, jobId, generationJobFor(served, g), null);
  t.equal(ex.generated.length, 6);
  const c = await checker.checkGeneration(claimOf(ex), { ...g, generated: ex.generated });
  t.equal(c.verdict, "agree");
});

t.test("wrong-element inside the pass: a trace verdict (the ordinary game)", async (t) => {
  const ex = await executeGeneration(served, jobId, generationJobFor(served, g), "wrong-element");
  t.ok(ex.ex.run.fault, "the claimed run carries the fault");
  const c = await checker.checkGeneration(claimOf(ex), { ...g, generated: ex.generated });
  t.equal(c.verdict, "trace");
  // a restarted worker rebuilds the view it defends from the kept pass input (agent.ts rebuildView)
  const again = await executeJob(
    served,
    { id: jobId, modelId: served.modelId, inputRoot: ex.passInputRoot },
    ex.inputFile,
    "wrong-element",
  );
  t.equal(toHex(again.run.traceRoot), toHex(ex.ex.run.traceRoot), "the same claimed trace root");
});

t.test("a wrong token over an honest pass: token-rule at its step", async (t) => {
  const honest = await executeGeneration(served, jobId, generationJobFor(served, g), null);
  const lie = [...honest.generated];
  lie[2] = (lie[2] + 1) % 256;
  // the liar's pass: honest, over the lying sequence (executeJob on its tensor file)
  const passInputRoot = toHex(generationPassInputRoot(g.prompt, lie, 16)) as Hex;
  const ex = await executeJob(
    served,
    { id: jobId, modelId: served.modelId, inputRoot: passInputRoot },
    encodeTensorFile([{ dtype: 6, shape: [16], data: generationSequence(g.prompt, lie, 16) }]),
    null,
  );
  const spec = toHex(generationSpec(2, lie.length, jobParamsHash({ prompt: g.prompt, ...params }))) as Hex;
  const c = await checker.checkGeneration(
    claimOf({ generated: lie, inputFile: new Uint8Array(), passInputRoot, generationSpec: spec, ex }),
    {
      ...g,
      generated: lie,
    },
  );
  t.equal(c.verdict, "token-rule");
  t.match(c.token, { step: 2, position: 4, claimed: lie[2], expected: honest.generated[2] });
  await t.rejects(
    checker.checkGeneration(claimOf(honest), { ...g, generated: honest.generated.slice(0, 3) }),
    /without the stop token/,
    "tokens L2 would refuse: a check error, no verdict",
  );
});
