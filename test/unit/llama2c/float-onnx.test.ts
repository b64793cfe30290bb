import { readFileSync } from "node:fs";
import t from "tap";
import { CheckpointFormatError, parseCheckpoint } from "../../../prover-trace/llama2c/checkpoint.ts";
import { stories260kFiles } from "../../../prover-trace/llama2c/files.ts";
import { firstDivergence, greedyGenerate } from "../../../prover-trace/llama2c/generate.ts";
import { goldenSequence, parseGolden } from "../../../prover-trace/llama2c/golden.ts";
import { ortLogits } from "../../../prover-trace/llama2c/ort-logits.ts";
import { llama2cToOnnx, ropeSwap, ropeTables } from "../../../prover-trace/llama2c/to-onnx.ts";
import { decodeOnnx, encodeOnnx } from "../../../prover-trace/onnx/io.ts";

const files = stories260kFiles();
if (!files.ok) throw new Error(files.why);
const ckptBytes = new Uint8Array(readFileSync(files.checkpoint));
const golden = parseGolden(readFileSync(files.golden, "utf8"), 512);

t.test("the checkpoint header and layout of stories260K", async (t) => {
  const { config, weights } = parseCheckpoint(ckptBytes);
  t.same(
    [
      config.dim,
      config.hiddenDim,
      config.nLayers,
      config.nHeads,
      config.nKvHeads,
      config.vocabSize,
      config.seqLen,
    ],
    [64, 172, 5, 8, 4, 512, 512],
  );
  t.equal(config.headSize, 8);
  t.equal(config.kvDim, 32);
  t.equal(config.separateClassifier, false);
  t.equal(weights.classifier, weights.tokenEmbedding, "tied classifier");
  t.equal(weights.w2[4].length, 64 * 172);
});

t.test("hostile checkpoints are refused with a clear error", async (t) => {
  t.throws(() => parseCheckpoint(ckptBytes.subarray(0, 20)), CheckpointFormatError);
  t.throws(() => parseCheckpoint(ckptBytes.subarray(0, ckptBytes.length - 4)), /needs exactly/);
  t.throws(() => parseCheckpoint(new Uint8Array([...ckptBytes, 0, 0, 0, 0])), /needs exactly/);
  const setHeader = (i: number, v: number) => {
    const b = ckptBytes.slice();
    new DataView(b.buffer).setInt32(i * 4, v, true);
    return b;
  };
  t.throws(() => parseCheckpoint(setHeader(0, 0)), /dim 0/);
  t.throws(() => parseCheckpoint(setHeader(3, 7)), /multiple of n_heads/);
  t.throws(() => parseCheckpoint(setHeader(4, 3)), /multiple of n_kv_heads/);
  t.throws(
    () => parseCheckpoint(setHeader(5, -512)),
    /needs exactly/,
    "a separate classifier needs its bytes",
  );
  const nan = ckptBytes.slice();
  new DataView(nan.buffer).setFloat32(28 + 40, Number.NaN, true);
  t.throws(() => parseCheckpoint(nan), /non-finite/);
});

t.test("RoPE tables and swap matrix rotate each (even, odd) pair", async (t) => {
  const { cos, sin } = ropeTables(3, 16, 8);
  // position 2, pair (10, 11): j = 2, angle 2 / 10000^(2/8)
  const angle = 2 / 10000 ** (2 / 8);
  t.ok(Math.abs(cos[2 * 16 + 10] - Math.cos(angle)) < 1e-6);
  t.ok(Math.abs(sin[2 * 16 + 11] - Math.sin(angle)) < 1e-6);
  t.equal(cos[0], 1, "position 0 does not rotate");
  const s = ropeSwap(4);
  // q = [1, 2, 3, 4] -> q S = [-2, 1, -4, 3]
  const q = [1, 2, 3, 4];
  const qs = [0, 1, 2, 3].map((o) => q.reduce((acc, qi, i) => acc + qi * s[i * 4 + o], 0));
  t.same(qs, [-2, 1, -4, 3]);
});

t.test("float ONNX (ORT CPU) reproduces golden.json greedily, token for token", async (t) => {
  const ir = llama2cToOnnx(parseCheckpoint(ckptBytes), 128);
  const bytes = encodeOnnx(ir);
  // The project's reader gets the float weights back (what the importer starts from).
  const back = decodeOnnx(bytes);
  t.same(
    back.graph.initializers.find((i) => i.name === "token_embedding")?.floatData?.subarray(0, 4),
    parseCheckpoint(ckptBytes).weights.tokenEmbedding.subarray(0, 4),
  );
  const ort = await ortLogits(bytes);
  t.teardown(() => ort.release());
  let exact = 0;
  for (const c of golden.cases) {
    const want = goldenSequence(c);
    const got = await greedyGenerate(ort.logitsOf, c.promptTokens, want.length, 128, 512);
    t.equal(firstDivergence(got, want), -1, `${JSON.stringify(c.prompt)}: all ${want.length} positions`);
    if (firstDivergence(got, want) === -1) exact++;
  }
  t.equal(exact, 5, "5 of 5 cases");
  t.throws(() => llama2cToOnnx(parseCheckpoint(ckptBytes), 513), /window 513/);
});
