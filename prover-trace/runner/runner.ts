/**
 * Traced inference on ONNX Runtime (onnxruntime-node). The runner validates the model against the
 * integer profile, then opens two sessions with the same options:
 *
 * - the traced session runs a copy of the model in which EVERY node output is also a graph
 *   output, so ORT has to materialise each one (it cannot fuse a traced node away) and hands all
 *   of them back; `runTraced` hashes them in place (ORT's output buffers, no copy) into tensor
 *   roots, one trace leaf per node, and the trace, input and output roots (docs/commitments.md);
 * - the plain session runs the unmodified model for its final outputs only (benchmarks, or a
 *   caller that does not need a commitment).
 */
import * as ort from "onnxruntime-node";
import { dtypeByCode } from "../../protocol/dtype.ts";
import { outputRoot } from "../commit/model.ts";
import type { TensorData } from "../commit/tensor.ts";
import { encodeOnnx } from "../onnx/io.ts";
import type { IrModel } from "../onnx/ir.ts";
import { inputRangeViolation } from "../profile/input-range.ts";
import { loadProfileModel, type ProfileModel } from "../profile/validate.ts";
import { commitTensors, commitTensorsAsync, type OutputRef, type TraceCommitments } from "./commit-run.ts";
import { cudaProviderProblem, type ExecutionProviderName } from "./providers.ts";

export type GraphOptimizationLevel = "disabled" | "basic" | "extended" | "all";
export const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = [
  "disabled",
  "basic",
  "extended",
  "all",
];

export interface RunnerOptions {
  /** Execution provider; "cpu" (default) or "cuda" (fails clearly when it is not installed). */
  ep?: ExecutionProviderName;
  /** ORT intra-op threads; default 1 (deterministic either way, 1 keeps cores for hashing). */
  intraOpThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/** One tensor handed to or returned by the runner: ONNX dtype code, shape, little-endian data. */
export interface RunnerTensor extends TensorData {
  data: Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

export type { TraceCommitments };

export type RunnerInputs = Readonly<Record<string, TensorData>> | readonly TensorData[];

export interface TracedRun extends TraceCommitments {
  /** nodeOutputs[i][slot]: every node's outputs, in the model's (topological) node order. */
  nodeOutputs: RunnerTensor[][];
  /** Graph outputs by name. */
  outputs: Record<string, RunnerTensor>;
}

export class RunnerInputError extends Error {
  override name = "RunnerInputError";
}

const ORT_TYPE: Record<number, "uint8" | "int8" | "int32" | "int64"> = {
  2: "uint8",
  3: "int8",
  6: "int32",
  7: "int64",
};
const ARRAY_OF: Record<number, { name: string; ctor: abstract new (...args: never[]) => ArrayBufferView }> = {
  2: { name: "Uint8Array", ctor: Uint8Array },
  3: { name: "Int8Array", ctor: Int8Array },
  6: { name: "Int32Array", ctor: Int32Array },
  7: { name: "BigInt64Array", ctor: BigInt64Array },
};

/** The model with every node output also declared as a graph output (dtype and shape from the profile). */
export function exposeAllNodeOutputs(profile: ProfileModel): IrModel {
  const ir = profile.ir;
  const outputs = profile.nodes.flatMap((n) =>
    n.outputs.map((name) => {
      const v = profile.values.get(name)!;
      return { name, dtype: v.dtype as number, shape: [...v.shape] };
    }),
  );
  return { ...ir, graph: { ...ir.graph, outputs, valueInfo: [] } };
}

function sessionOptions(opts: RunnerOptions): ort.InferenceSession.SessionOptions {
  const threads = opts.intraOpThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    throw new RangeError(`intraOpThreads must be an integer in [1, 256], got ${threads}`);
  const level = opts.graphOptimizationLevel ?? "all";
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(level))
    throw new RangeError(
      `graphOptimizationLevel must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(", ")}, got ${level}`,
    );
  return {
    executionProviders: [opts.ep ?? "cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: level,
    logSeverityLevel: 3,
    // ORT's FuseReluClip rewrite (basic level and above) folds a Relu into the Clip that is its
    // only consumer and throws "Unexpected data type for Clip 'min' input" for integer Clips, so
    // session creation fails on a valid profile model (Relu -> Clip(min), also through Add 0).
    // Relu and Clip are exact integer ops; the fusion buys nothing here. ORT names the config
    // key `optimization.disable_specified_optimizers` (a ';'-separated list of rule names).
    extra: { optimization: { disable_specified_optimizers: DISABLED_OPTIMIZERS.join(";") } },
  };
}

/** ORT graph rewrites the runner turns off in both sessions (see sessionOptions). */
export const DISABLED_OPTIMIZERS: readonly string[] = ["FuseReluClip"];

async function createSession(bytes: Uint8Array, opts: RunnerOptions): Promise<ort.InferenceSession> {
  const ep = opts.ep ?? "cpu";
  if (ep !== "cpu" && ep !== "cuda")
    throw new RangeError(`execution provider must be cpu or cuda, got ${String(ep)}`);
  if (ep === "cuda") {
    const problem = cudaProviderProblem();
    if (problem) throw new Error(`CUDA execution provider is not available: ${problem}`);
  }
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(opts));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (ep === "cuda") throw new Error(`CUDA execution provider is not available: ${msg}`, { cause: err });
    throw err;
  }
}

export class Runner {
  readonly profile: ProfileModel;
  readonly options: Readonly<RunnerOptions>;
  private readonly traced: ort.InferenceSession;
  private readonly plain: ort.InferenceSession;
  /** Names of all node outputs, node by node, as the traced session returns them. */
  private readonly nodeOutputNames: string[][];

  constructor(
    profile: ProfileModel,
    traced: ort.InferenceSession,
    plain: ort.InferenceSession,
    options: RunnerOptions,
  ) {
    this.profile = profile;
    this.traced = traced;
    this.plain = plain;
    this.options = options;
    this.nodeOutputNames = profile.nodes.map((n) => n.outputs);
  }

  get inputNames(): string[] {
    return this.profile.inputs.map((i) => i.name);
  }

  /** Checks inputs against the model's declared inputs and wraps them as ORT tensors (no copy). */
  feeds(inputs: RunnerInputs): { feeds: Record<string, ort.Tensor>; ordered: TensorData[] } {
    const decl = this.profile.inputs;
    let list: (TensorData | undefined)[];
    if (Array.isArray(inputs)) {
      if (inputs.length !== decl.length)
        throw new RunnerInputError(`model takes ${decl.length} input(s), got ${inputs.length}`);
      list = [...inputs];
    } else {
      const rec = inputs as Readonly<Record<string, TensorData>>;
      const extra = Object.keys(rec).filter((k) => !decl.some((d) => d.name === k));
      if (extra.length > 0) throw new RunnerInputError(`unknown input(s): ${extra.join(", ")}`);
      list = decl.map((d) => rec[d.name]);
    }
    const feeds: Record<string, ort.Tensor> = {};
    const ordered = decl.map((d, i) => {
      const t = list[i];
      const label = `input ${i} (${d.name})`;
      if (!t || typeof t !== "object") throw new RunnerInputError(`${label}: missing`);
      if (t.dtype !== d.dtype)
        throw new RunnerInputError(
          `${label}: dtype code ${t.dtype}, model declares ${dtypeByCode(d.dtype).name}`,
        );
      if (
        !Array.isArray(t.shape) ||
        t.shape.length !== d.shape.length ||
        t.shape.some((x, k) => x !== d.shape[k])
      )
        throw new RunnerInputError(`${label}: shape [${t.shape}], model declares [${d.shape}]`);
      // instanceof, so a Node Buffer (a Uint8Array) is fine; Uint8ClampedArray is not.
      if (!(t.data instanceof ARRAY_OF[d.dtype].ctor))
        throw new RunnerInputError(`${label}: data must be a ${ARRAY_OF[d.dtype].name}`);
      const n = d.shape.reduce((a, b) => a * b, 1);
      if ((t.data as Uint8Array).length !== n)
        throw new RunnerInputError(`${label}: ${(t.data as Uint8Array).length} elements, shape needs ${n}`);
      // A declared range binds every input the model is given (docs/profile.md, "Graph input ranges").
      const outside = inputRangeViolation(d, i, t.data as Uint8Array);
      if (outside) throw new RunnerInputError(outside);
      feeds[d.name] = new ort.Tensor(ORT_TYPE[d.dtype], t.data as Uint8Array, d.shape);
      return t;
    });
    return { feeds, ordered };
  }

  /** Runs the unmodified model: final outputs only, no commitments. */
  async runPlain(inputs: RunnerInputs): Promise<Record<string, RunnerTensor>> {
    const { feeds } = this.feeds(inputs);
    const res = await this.plain.run(feeds);
    const out: Record<string, RunnerTensor> = {};
    for (const o of this.profile.outputs) out[o.name] = fromOrt(res[o.name], o.dtype);
    return out;
  }

  /**
   * The claim path of a deferred claim (docs/dispute-game.md "Deferred trace"): the unmodified
   * model, then only the graph outputs hashed into the claim's outputRoot. No node output leaves
   * ORT and no trace is committed: that is done only if the claim is disputed.
   */
  async runOutputs(inputs: RunnerInputs): Promise<{ outputs: RunnerTensor[]; outputRoot: Uint8Array }> {
    const named = await this.runPlain(inputs);
    const outputs = this.profile.outputs.map((o) => named[o.name]);
    return { outputs, outputRoot: outputRoot(this.profile, outputs) };
  }

  /** Runs the traced model and returns every node output (ORT's buffers), without hashing. */
  async runNodes(inputs: RunnerInputs): Promise<{ ordered: TensorData[]; nodeOutputs: RunnerTensor[][] }> {
    const { feeds, ordered } = this.feeds(inputs);
    const res = await this.traced.run(feeds);
    const values = this.profile.values;
    const nodeOutputs = this.nodeOutputNames.map((names) =>
      names.map((n) => fromOrt(res[n], values.get(n)!.dtype)),
    );
    return { ordered, nodeOutputs };
  }

  /** Runs the traced model and commits to every node output. */
  async runTraced(inputs: RunnerInputs): Promise<TracedRun> {
    const { ordered, nodeOutputs } = await this.runNodes(inputs);
    return {
      ...commitRun(this.profile, ordered, nodeOutputs),
      nodeOutputs,
      outputs: this.namedOutputs(nodeOutputs),
    };
  }

  /**
   * Pipelined traced run: ORT runs now (on this thread) and the chunk hashing, the bulk of the
   * commitment work, goes to a libuv thread-pool thread. Resolves as soon as ORT is done, with
   * copies of the graph outputs (so the caller can go on, e.g. pick the next token and start the
   * next run while this one is hashed) and `committed`, the full TracedRun once hashed.
   */
  async startTraced(
    inputs: RunnerInputs,
  ): Promise<{ outputs: Record<string, RunnerTensor>; committed: Promise<TracedRun> }> {
    const { ordered, nodeOutputs } = await this.runNodes(inputs);
    const outputs = Object.fromEntries(
      Object.entries(this.namedOutputs(nodeOutputs)).map(([k, t]) => [k, copyTensor(t)]),
    );
    // The inputs belong to the caller, who may reuse their buffers before the hashing is done.
    const copies = ordered.map((t) => ({
      dtype: t.dtype,
      shape: [...t.shape],
      data: (t.data as Uint8Array).slice(),
    }));
    const committed = commitTensorsAsync(copies, nodeOutputs, outputRefs(this.profile)).then((c) => ({
      ...c,
      nodeOutputs,
      outputs: this.namedOutputs(nodeOutputs),
    }));
    return { outputs, committed };
  }

  namedOutputs(nodeOutputs: RunnerTensor[][]): Record<string, RunnerTensor> {
    const out: Record<string, RunnerTensor> = {};
    for (const o of this.profile.outputs) out[o.name] = nodeOutputs[o.ref.index][o.ref.slot];
    return out;
  }

  async dispose(): Promise<void> {
    await this.traced.release();
    await this.plain.release();
  }
}

function fromOrt(t: ort.Tensor | undefined, dtype: number): RunnerTensor {
  if (!t) throw new Error("ONNX Runtime did not return an expected output");
  if (t.type !== ORT_TYPE[dtype])
    throw new Error(`ONNX Runtime returned ${t.type}, the profile says ${ORT_TYPE[dtype]}`);
  return { dtype, shape: t.dims as number[], data: t.data as RunnerTensor["data"] };
}

/** Commitments of one traced run of `profile` (see commit-run.ts). */
export function commitRun(
  profile: ProfileModel,
  inputs: readonly TensorData[],
  nodeOutputs: readonly (readonly TensorData[])[],
): TraceCommitments {
  return commitTensors(inputs, nodeOutputs, outputRefs(profile));
}

function outputRefs(profile: ProfileModel): OutputRef[] {
  return profile.outputs.map((o) => ({ index: o.ref.index, slot: o.ref.slot }));
}

function copyTensor(t: RunnerTensor): RunnerTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
}

/**
 * Validates the model against the profile (throws ProfileError naming every offending node) and
 * opens the traced and plain sessions with the same options.
 */
export async function createRunner(modelBytes: Uint8Array, opts: RunnerOptions = {}): Promise<Runner> {
  const profile = loadProfileModel(modelBytes);
  for (const o of profile.outputs)
    if (o.ref.kind !== 2)
      throw new Error(`graph output ${o.name} is not a node output; the runner traces node outputs`);
  const traced = await createSession(encodeOnnx(exposeAllNodeOutputs(profile)), opts);
  const plain = await createSession(modelBytes, opts);
  return new Runner(profile, traced, plain, opts);
}
