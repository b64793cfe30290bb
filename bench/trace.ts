/**
 * Traced vs plain inference on the default transformer LM (seed 1: 64 byte tokens, d_model 128,
 * 4 heads, 2 layers, FFN 512), same ORT session options (CPU, 1 intra-op thread, all graph
 * optimizations), warmed up, in interleaved blocks so that load from neighbours hits every mode
 * alike. Modes:
 *   plain       the unmodified model, final output only
 *   exposed     every node output returned by ORT, nothing hashed (the cost of tracing in ORT)
 *   serial      runTraced: exposed + every commitment hashed on the main thread
 *   pipelined   startTraced back to back: ORT on the main thread, chunk hashing on a libuv
 *               thread-pool thread (at most 2 runs in flight), i.e. `verdict infer --pipeline`
 * `ratio` is the better of serial / plain and pipelined / plain wall time per inference
 * (`ratioMode` names it; both are printed): pipelining only pays when a core is free for the
 * hashing thread, which on a shared 2-core machine it often is not. Commitments are computed with
 * commit/tensor.ts's batched `tensorRoots` (all node outputs of a run in one hashing call). Both burn more CPU than plain:
 * `cpuRatio*` is process CPU time (all threads) per inference over plain's.
 * `hashMBps` is the tensor-commitment throughput over the real trace tensors on ONE core (CPU
 * time), batched as the runner does it; `hashMBpsOneTensorRootEach` without batching.
 */
import { cpus } from "node:os";
import { SplitMix64 } from "../prover-trace/builder/prng.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "../prover-trace/builder/transformer.ts";
import { chunkHashBackend } from "../prover-trace/native/index.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { createRunner, type Runner, type TracedRun } from "../prover-trace/runner/runner.ts";
import { hashMBps } from "./hash.ts";
import { type BenchOptions, type BenchResult, cpuModel } from "./lib/harness.ts";

const BLOCK = 12;
const BLOCKS = 6;
const WARMUP = 8;

type Mode = "plain" | "exposed" | "serial" | "pipelined";

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
  const base = await measure({ ...TRANSFORMER_DEFAULTS, seed: 1 });
  const wide = await measure({ ...TRANSFORMER_DEFAULTS, ...WIDE, seed: 1 });
  return {
    ...base,
    wide: {
      model: wide.model,
      traceMB: wide.traceMB,
      msPerInference: wide.msPerInference,
      ratio: wide.ratio,
      ratioExposedOnly: wide.ratioExposedOnly,
      hashMBps: wide.hashMBps,
    },
  };
}

async function measure(cfg: typeof TRANSFORMER_DEFAULTS) {
  const runner = await createRunner(encodeOnnx(buildTransformerLm(cfg)), {
    intraOpThreads: 1,
    graphOptimizationLevel: "all",
  });
  try {
    const rng = new SplitMix64(99);
    const inputs = Array.from({ length: BLOCK }, () => ({
      tokens: { dtype: 2, shape: [cfg.seqLen], data: Uint8Array.from(rng.ints(cfg.seqLen, 0, 255)) },
    }));
    const modes: Mode[] = ["plain", "exposed", "serial", "pipelined"];
    for (const m of modes) await block(runner, m, inputs.slice(0, WARMUP));

    const wall: Record<Mode, number[]> = { plain: [], exposed: [], serial: [], pipelined: [] };
    const cpu: Record<Mode, number[]> = { plain: [], exposed: [], serial: [], pipelined: [] };
    for (let b = 0; b < BLOCKS; b++)
      for (const m of modes) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await block(runner, m, inputs);
        wall[m].push((performance.now() - t0) / BLOCK);
        const c = process.cpuUsage(c0);
        cpu[m].push((c.user + c.system) / 1000 / BLOCK);
      }

    // Hash throughput over one real trace (all node outputs), single thread.
    const sample = await runner.runTraced(inputs[0]);
    const tensors = sample.nodeOutputs.flat();
    const traceBytes = tensors.reduce((s, t) => s + t.data.byteLength, 0);
    // The runner's own commitment path: all node outputs of a run in one batched tensorRoots call.
    const mbps = hashMBps(tensors, { minMs: 600, batched: true });
    const mbpsPerTensor = hashMBps(tensors, { minMs: 300 });

    const ms = Object.fromEntries(modes.map((m) => [m, median(wall[m])])) as Record<Mode, number>;
    const cpuMs = Object.fromEntries(modes.map((m) => [m, median(cpu[m])])) as Record<Mode, number>;
    const round = (x: number, d = 3) => Number(x.toFixed(d));
    return {
      model: `transformer T=${cfg.seqLen} d=${cfg.dModel} heads=${cfg.heads} layers=${cfg.layers} ff=${cfg.ffDim}`,
      nodes: runner.profile.nodes.length,
      traceMB: round(traceBytes / 1e6),
      cpu: `${cpuModel()} x${cpus().length}`,
      hashBackend: chunkHashBackend(),
      msPerInference: {
        plain: round(ms.plain),
        exposed: round(ms.exposed),
        serial: round(ms.serial),
        pipelined: round(ms.pipelined),
      },
      cpuMsPerInference: {
        plain: round(cpuMs.plain),
        exposed: round(cpuMs.exposed),
        serial: round(cpuMs.serial),
        pipelined: round(cpuMs.pipelined),
      },
      ratio: round(Math.min(ms.pipelined, ms.serial) / ms.plain),
      ratioMode: ms.pipelined < ms.serial ? "pipelined" : "serial",
      ratioSerial: round(ms.serial / ms.plain),
      ratioPipelined: round(ms.pipelined / ms.plain),
      ratioExposedOnly: round(ms.exposed / ms.plain),
      cpuRatioSerial: round(cpuMs.serial / cpuMs.plain),
      cpuRatioPipelined: round(cpuMs.pipelined / cpuMs.plain),
      hashMBps: round(mbps, 1),
      hashMBpsOneTensorRootEach: round(mbpsPerTensor, 1),
      hashMsPerTrace: round(traceBytes / 1e3 / mbps),
      targets: "ratio <= 1.2, hashMBps >= 1000 (per core)",
    };
  } finally {
    await runner.dispose();
  }
}
