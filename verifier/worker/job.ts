/**
 * The job runner: the models a worker serves (validated against the profile, committed, checked
 * registered on L1) and one job's execution: input bytes -> checked against the job's inputRoot
 * -> traced inference -> the run the worker claims (honest, or a test fault) -> content files.
 * Deterministic: the same model, input and fault always give the same claimed run, which is how
 * a restarted worker rebuilds the PartyView it must defend.
 */
import { readFileSync } from "node:fs";
import { encodeTensorFile } from "../../content/tensor-file.ts";
import { verifyInputBytes } from "../../content/verify.ts";
import { toHex } from "../../protocol/bytes.ts";
import type { Hex } from "../../protocol/tx.ts";
import { commitOnnxFile, inputRoot, type ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { createRunner, type Runner, type RunnerOptions } from "../../prover-trace/runner/runner.ts";
import { claimedRun, type FaultMode } from "./faults.ts";
import { type ClaimedRun, deferredRun, deferTrace } from "./run.ts";

export interface ServedModel {
  path: string;
  modelId: Hex;
  commitment: ModelCommitment;
  runner: Runner;
}

/**
 * Loads a model file: profile validation (createRunner throws ProfileError naming each offending
 * node), the model commitment and id. `isRegistered` asks L1; an unregistered model is refused
 * (a claim on it could not be disputed, so nobody should trust it).
 */
export async function loadServedModel(
  path: string,
  isRegistered: (modelId: Hex) => Promise<boolean>,
  opts: RunnerOptions = {},
): Promise<ServedModel> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`model ${path}: cannot read (${(e as Error).message})`);
  }
  let runner: Runner;
  try {
    runner = await createRunner(bytes, opts);
  } catch (e) {
    throw new Error(`model ${path}: ${(e as Error).message}`, { cause: e });
  }
  const commitment = await commitOnnxFile(bytes);
  const modelId = toHex(commitment.modelId);
  if (!(await isRegistered(modelId))) {
    await runner.dispose();
    throw new Error(`model ${path}: model id ${modelId} is not registered on the Bridge`);
  }
  return { path, modelId, commitment, runner };
}

/** The job fields the runner checks against. */
export interface JobSpec {
  id: Hex;
  modelId: Hex;
  inputRoot: Hex;
}

export interface ExecutedJob {
  inputRoot: Uint8Array;
  run: ClaimedRun;
  /** The content files as claimed. */
  outputFile: Uint8Array;
  /** Null for a deferred claim: no trace is published (it is committed only in a dispute). */
  traceFile: Uint8Array | null;
}

export interface ExecuteOptions {
  /** Claim with a deferred trace (traceRoot DEFERRED_TRACE; docs/dispute-game.md "Deferred trace"). */
  deferred?: boolean;
  /** Build the traced view even for a deferred claim (to defend a dispute on it). */
  view?: boolean;
}

export class JobInputError extends Error {
  override name = "JobInputError";
}

/**
 * Runs `job` on `input` (the fetched file) under `fault` (null: honest). A deferred honest claim
 * is a plain run with its outputs hashed (the claim path, Runner.runOutputs); everything else,
 * and a deferred claim's view for a dispute (`opts.view`), is a traced run.
 */
export async function executeJob(
  model: ServedModel,
  job: JobSpec,
  input: Uint8Array,
  fault: FaultMode | null,
  opts: ExecuteOptions = {},
): Promise<ExecutedJob> {
  if (job.modelId.toLowerCase() !== model.modelId)
    throw new JobInputError(`job ${job.id} is for model ${job.modelId}, not ${model.modelId}`);
  let inputs: TensorData[];
  try {
    // a tensor file of the graph inputs whose input root is the job's
    inputs = verifyInputBytes(input, model.commitment.model, job.inputRoot);
  } catch (e) {
    throw new JobInputError(`job ${job.id}: ${(e as Error).message}`);
  }
  const root = inputRoot(model.commitment.model, inputs);
  const deferred = opts.deferred === true;
  if (deferred && fault === null && !opts.view) {
    const { outputs, outputRoot } = await model.runner.runOutputs(inputs);
    const run = deferredRun(outputs, outputRoot);
    return { inputRoot: root, run, outputFile: encodeTensorFile(outputs), traceFile: null };
  }
  const { nodeOutputs } = await model.runner.runNodes(inputs);
  const traced = claimedRun(fault, model.commitment, inputs, nodeOutputs, { deferred });
  const run = deferred ? deferTrace(traced) : traced;
  return {
    inputRoot: root,
    run,
    outputFile: encodeTensorFile(run.outputs),
    traceFile: deferred ? null : encodeTensorFile(run.nodeOutputs.flat()),
  };
}
