/**
 * The claim path vs plain inference (issue 15), on the default transformer LM (seed 1: 64 byte
 * tokens, d_model 128, 4 heads, 2 layers, FFN 512), a wider one of the same depth, and the imported
 * stories260K (test/fixtures/stories260K through the converter and importer, as bench/import.ts;
 * skipped with a note when the checkpoint is absent), same ORT session options (CPU, 1 intra-op
 * thread, all graph optimizations), warmed up, in interleaved blocks so that load from neighbours
 * hits every mode alike. Modes:
 *   plain       the unmodified model, final output only
 *   claim       a deferred claim's path (Runner.runOutputs): plain + the graph outputs hashed into
 *               outputRoot; the trace is built only if the claim is disputed (docs/dispute-game.md
 *               "Deferred trace")
 *   exposed     every node output returned by ORT, nothing hashed (the cost of tracing in ORT)
 *   serial      runTraced: exposed + every commitment hashed on the main thread
 *   pipelined   startTraced back to back: ORT on the main thread, chunk hashing on a libuv
 *               thread-pool thread (at most 2 runs in flight), i.e. `verdict infer --pipeline`
 * `ratio` is claim / plain wall time per inference (goal <= 1.1) on the default model;
 * `outputHashMs` is the output hashing alone and `ratioFromHashCost` (plain + it) / plain: what the
 * claim path adds, free of the noise a shared machine puts on the wall ratios;
 * `fullTraceRatio` the better of serial / plain and pipelined / plain (the old claim path, a full
 * trace at claim time; `fullTraceMode` names it). `cpuRatio*` is process CPU time (all threads)
 * per inference over plain's. `hashMBps` is the tensor-commitment throughput over the real trace
 * tensors on ONE core (CPU time), batched as the runner does it; `hashMBpsOneTensorRootEach`
 * without batching.
 */
import { cpus } from "node:os";
import { SplitMix64 } from "../prover-trace/builder/prng.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "../prover-trace/builder/transformer.ts";
import { outputRoot } from "../prover-trace/commit/model.ts";
import { chunkHashBackend } from "../prover-trace/native/index.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { createRunner, type Runner, type TracedRun } from "../prover-trace/runner/runner.ts";
import { importedStories260k, WINDOW } from "../test/unit/generation/stories260k.ts";
import { hashMBps } from "./hash.ts";
import { type BenchOptions, type BenchResult, bestMs, cpuModel } from "./lib/harness.ts";

const BLOCK = 12;
const BLOCKS = 10;
const WARMUP = 8;

type Mode = "plain" | "claim" | "exposed" | "serial" | "pipelined";
const MODES: Mode[] = ["plain", "claim", "exposed", "serial", "pipelined"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function block(runner: Runner, mode: Mode, inputs: Record<string, unknown>[]): Promise<void> {
  const feeds = inputs as never[];
  if (mode === "pipelined") {
    const inFlight: Promise<TracedRun>[] = [];
    for (const input of feeds) {
      if (inFlight.length >= 2) await inFlight.shift();
      inFlight.push((await runner.startTraced(input)).committed);
    }
    await Promise.all(inFlight);
    return;
  }
  for (const input of feeds) {
    if (mode === "plain") await runner.runPlain(input);
    else if (mode === "claim") await runner.runOutputs(input);
    else if (mode === "exposed") await runner.runNodes(input);
    else await runner.runTraced(input);
  }
}

/**
 * The ratio is a property of the model's arithmetic intensity: tracing costs per byte of
 * activations (ORT copying every node output out, then hashing), inference per multiply. So the
 * bench measures the default model (the headline `ratio`) and a wider one of the same depth
 * (`wide`), in the same run, to show where the overhead goes as matrices grow.
 */
const WIDE = { dModel: 512, heads: 8, ffDim: 2048 } as const;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const base = await measure(
    encodeOnnx(buildTransformerLm({ ...TRANSFORMER_DEFAULTS, seed: 1 })),
    transformerName(TRANSFORMER_DEFAULTS),
    tokenInputs(2, TRANSFORMER_DEFAULTS.seqLen, 255),
  );
  const wideCfg = { ...TRANSFORMER_DEFAULTS, ...WIDE, seed: 1 };
  const wide = await measure(
    encodeOnnx(buildTransformerLm(wideCfg)),
    transformerName(wideCfg),
    tokenInputs(2, wideCfg.seqLen, 255),
  );
  let stories: Record<string, unknown>;
  try {
    const { intBytes } = await importedStories260k();
    stories = summary(
      await measure(intBytes, `imported stories260K T=${WINDOW}`, tokenInputs(6, WINDOW, 511)),
    );
  } catch (e) {
    stories = { skipped: (e as Error).message };
  }
  return { ...base, wide: summary(wide), stories260K: stories };
}

function summary(m: Awaited<ReturnType<typeof measure>>) {
  return {
    model: m.model,
    traceMB: m.traceMB,
    msPerInference: m.msPerInference,
    ratio: m.ratio,
    fullTraceRatio: m.fullTraceRatio,
    cpuRatioClaim: m.cpuRatioClaim,
    ratioBestBlocks: m.ratioBestBlocks,
    outputHashMs: m.outputHashMs,
    ratioFromHashCost: m.ratioFromHashCost,
    ratioExposedOnly: m.ratioExposedOnly,
    hashMBps: m.hashMBps,
  };
}

const transformerName = (cfg: typeof TRANSFORMER_DEFAULTS) =>
  `transformer T=${cfg.seqLen} d=${cfg.dModel} heads=${cfg.heads} layers=${cfg.layers} ff=${cfg.ffDim}`;

/** BLOCK token inputs for the model's one input (uint8 byte tokens or int32 ids in [0, max]). */
function tokenInputs(dtype: 2 | 6, T: number, max: number): Record<string, unknown>[] {
  const rng = new SplitMix64(99);
  return Array.from({ length: BLOCK }, () => {
    const ids = rng.ints(T, 0, max);
    return { tokens: { dtype, shape: [T], data: dtype === 2 ? Uint8Array.from(ids) : Int32Array.from(ids) } };
  });
}

async function measure(bytes: Uint8Array, model: string, named: Record<string, unknown>[]) {
  const runner = await createRunner(bytes, {
    intraOpThreads: 1,
    graphOptimizationLevel: "all",
  });
  try {
    // the model's one input, whatever its name
    const inputName = runner.profile.inputs[0].name;
    const inputs = named.map((x) => ({ [inputName]: x.tokens }));
    const modes = MODES;
    for (const m of modes) await block(runner, m, inputs.slice(0, WARMUP));

    const wall = Object.fromEntries(modes.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
    const cpu = Object.fromEntries(modes.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
    // the order rotates every block: no mode always runs first (after the others' cache misses)
    for (let b = 0; b < BLOCKS; b++)
      for (const m of modes.map((_, i) => modes[(i + b) % modes.length])) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await block(runner, m, inputs);
        wall[m].push((performance.now() - t0) / BLOCK);
        const c = process.cpuUsage(c0);
        cpu[m].push((c.user + c.system) / 1000 / BLOCK);
      }

    // Hash throughput over one real trace (all node outputs), single thread.
    // What the claim path adds to plain inference, measured alone (the wall ratios above move
    // with the neighbours' load): hashing the graph outputs into outputRoot, best of many.
    const { outputs } = await runner.runOutputs(inputs[0] as never);
    const outputHashMs = bestMs(() => outputRoot(runner.profile, outputs), 200);
    const sample = await runner.runTraced(inputs[0] as never);
    const tensors = sample.nodeOutputs.flat();
    const traceBytes = tensors.reduce((s, t) => s + t.data.byteLength, 0);
    // The runner's own commitment path: all node outputs of a run in one batched tensorRoots call.
    const mbps = hashMBps(tensors, { minMs: 600, batched: true });
    const mbpsPerTensor = hashMBps(tensors, { minMs: 300 });

    const ms = Object.fromEntries(modes.map((m) => [m, median(wall[m])])) as Record<Mode, number>;
    const cpuMs = Object.fromEntries(modes.map((m) => [m, median(cpu[m])])) as Record<Mode, number>;
    const round = (x: number, d = 3) => Number(x.toFixed(d));
    const full = Math.min(ms.pipelined, ms.serial);
    return {
      model,
      nodes: runner.profile.nodes.length,
      traceMB: round(traceBytes / 1e6),
      cpu: `${cpuModel()} x${cpus().length}`,
      hashBackend: chunkHashBackend(),
      msPerInference: {
        plain: round(ms.plain),
        claim: round(ms.claim),
        exposed: round(ms.exposed),
        serial: round(ms.serial),
        pipelined: round(ms.pipelined),
      },
      cpuMsPerInference: {
        plain: round(cpuMs.plain),
        claim: round(cpuMs.claim),
        exposed: round(cpuMs.exposed),
        serial: round(cpuMs.serial),
        pipelined: round(cpuMs.pipelined),
      },
      ratio: round(ms.claim / ms.plain),
      // the fastest block of each mode: the least disturbed by neighbours on a shared machine
      ratioBestBlocks: round(Math.min(...wall.claim) / Math.min(...wall.plain)),
      outputHashMs: round(outputHashMs, 4),
      // plain + the output hashing over plain: the claim path's overhead without the noise
      ratioFromHashCost: round((ms.plain + outputHashMs) / ms.plain, 4),
      fullTraceRatio: round(full / ms.plain),
      fullTraceMode: ms.pipelined < ms.serial ? "pipelined" : "serial",
      ratioSerial: round(ms.serial / ms.plain),
      ratioPipelined: round(ms.pipelined / ms.plain),
      ratioExposedOnly: round(ms.exposed / ms.plain),
      cpuRatioClaim: round(cpuMs.claim / cpuMs.plain),
      cpuRatioSerial: round(cpuMs.serial / cpuMs.plain),
      cpuRatioPipelined: round(cpuMs.pipelined / cpuMs.plain),
      hashMBps: round(mbps, 1),
      hashMBpsOneTensorRootEach: round(mbpsPerTensor, 1),
      hashMsPerTrace: round(traceBytes / 1e3 / mbps),
      targets: "ratio (claim path / plain) <= 1.1, hashMBps >= 1000 (per core)",
    };
  } finally {
    await runner.dispose();
  }
}
