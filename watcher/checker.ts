/**
 * Re-execution of a claim: get the model (a local file given with --model, or the registered CID
 * through the content layer) and the job input (by CID through the content layer), check both
 * against their commitments (model id, input root), run traced inference and compare the roots
 * with the claim. The party view built from the run is what the watcher plays the game with.
 */
import { readFileSync } from "node:fs";
import { CID } from "multiformats/cid";
import { type Hex, parseEventLogs } from "viem";
import type { ClaimMessage } from "../bridge/bridge.ts";
import type { L1Clients } from "../bridge/clients.ts";
import { buildPartyView, type PartyView } from "../bridge/dispute/view.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { dtypeByCode } from "../protocol/dtype.ts";
import { commitOnnxFile, type ModelCommitment } from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import { allocTensorData } from "../prover-trace/onnx/io.ts";
import type { ProfileModel } from "../prover-trace/profile/validate.ts";
import { createRunner, type Runner } from "../prover-trace/runner/runner.ts";

/** What the checker needs of the content layer (content/types.ts ContentStore fits). */
export interface ContentGetter {
  get(cid: string, opts?: { timeoutMs?: number; maxBytes?: number }): Promise<Uint8Array>;
}

/** The job as far as re-execution needs it (sequencer GET /v1/jobs/:id). */
export interface JobInfo {
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
}

/** How the claim compares with our run. */
export type Verdict =
  /** Every root agrees. */
  | "agree"
  /** The trace differs: dispute from level 1. */
  | "trace"
  /** Same trace, different outputRoot: only level 0 can show it. */
  | "output";

export interface Check {
  verdict: Verdict;
  view: PartyView;
  ours: { outputRoot: Hex; traceRoot: Hex };
}

/** Re-execution cannot proceed (unknown model, content missing or not matching its commitment). */
export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
  }
}

/** A binary CID (as carried in txs) in its string form. */
export function cidString(bytes: Hex): string {
  try {
    return CID.decode(fromHex(bytes)).toString();
  } catch (e) {
    throw new CheckError(`not a binary CID: ${bytes} (${(e as Error).message})`);
  }
}

/**
 * A job input file: the graph inputs' little-endian element data, concatenated in input order,
 * each exactly as long as its declared shape needs.
 */
export function decodeJobInput(bytes: Uint8Array, model: ProfileModel): TensorData[] {
  let off = 0;
  const out = model.inputs.map((decl) => {
    const n = decl.shape.reduce((a, b) => a * b, 1);
    const len = n * dtypeByCode(decl.dtype).bytes;
    if (off + len > bytes.length)
      throw new CheckError(
        `input file is ${bytes.length} bytes; input '${decl.name}' [${decl.shape}] needs ${len} from offset ${off}`,
      );
    const data = allocTensorData(decl.dtype, n);
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes.subarray(off, off + len));
    off += len;
    return { dtype: decl.dtype, shape: [...decl.shape], data };
  });
  if (off !== bytes.length)
    throw new CheckError(`input file is ${bytes.length} bytes; the model's inputs take ${off}`);
  return out;
}

/** The inverse of decodeJobInput (tests and tools that post jobs). */
export function encodeJobInput(inputs: readonly TensorData[]): Uint8Array {
  const parts = inputs.map((t) => {
    const d = t.data as ArrayBufferView;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  });
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

interface LoadedModel {
  commitment: ModelCommitment;
  runner: Runner;
}

export interface CheckerOptions {
  /** Local ONNX files (--model); each is committed and known by its model id. */
  modelFiles?: string[];
  content?: ContentGetter;
  /** To find a model's CID (ModelRegistered) when no local file has its id. */
  l1?: { clients: L1Clients; bridge: Hex };
  contentTimeoutMs?: number;
  /** Largest file fetched (models included). */
  maxContentBytes?: number;
}

export class Checker {
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly opts: CheckerOptions;

  private constructor(opts: CheckerOptions) {
    this.opts = opts;
  }

  /** Loads and commits the local model files up front, so a bad --model fails at start. */
  static async create(opts: CheckerOptions): Promise<Checker> {
    const c = new Checker(opts);
    for (const path of opts.modelFiles ?? []) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path);
      } catch (e) {
        throw new CheckError(`--model ${path}: ${(e as Error).message}`);
      }
      const loaded = c.load(bytes, path);
      const m = await loaded;
      c.models.set(toHex(m.commitment.modelId), loaded);
    }
    return c;
  }

  /** Model ids of the local files. */
  get localModels(): string[] {
    return [...this.models.keys()];
  }

  private async load(bytes: Uint8Array, what: string): Promise<LoadedModel> {
    try {
      const commitment = await commitOnnxFile(bytes);
      const runner = await createRunner(bytes);
      return { commitment, runner };
    } catch (e) {
      throw new CheckError(`${what}: ${(e as Error).message}`);
    }
  }

  /** The model with id `modelId`: a local file, or fetched by its registered CID and verified. */
  async model(modelId: Hex): Promise<LoadedModel> {
    const id = modelId.toLowerCase();
    let m = this.models.get(id);
    if (!m) {
      m = this.fetchModel(id as Hex);
      this.models.set(id, m);
      m.catch(() => this.models.delete(id));
    }
    return m;
  }

  private async fetchModel(modelId: Hex): Promise<LoadedModel> {
    const { content, l1 } = this.opts;
    if (!content || !l1)
      throw new CheckError(`model ${modelId}: no local file and no content layer to fetch it`);
    const logs = await l1.clients.publicClient.getLogs({
      address: l1.bridge,
      event: bridgeAbi.find((x) => x.type === "event" && x.name === "ModelRegistered") as never,
      args: { modelId } as never,
      fromBlock: 0n,
      toBlock: "latest",
    });
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs, eventName: "ModelRegistered" });
    if (!ev) throw new CheckError(`model ${modelId} is not registered on the Bridge`);
    const bytes = await this.fetch(ev.args.cid, `model ${modelId}`);
    const m = await this.load(bytes, `model ${modelId} (${cidString(ev.args.cid)})`);
    if (toHex(m.commitment.modelId) !== modelId)
      throw new CheckError(
        `model file ${cidString(ev.args.cid)} commits to ${toHex(m.commitment.modelId)}, not ${modelId}`,
      );
    return m;
  }

  private async fetch(cid: Hex, what: string): Promise<Uint8Array> {
    const content = this.opts.content;
    if (!content) throw new CheckError(`${what}: no content layer configured`);
    const s = cidString(cid);
    try {
      return await content.get(s, {
        timeoutMs: this.opts.contentTimeoutMs ?? 30_000,
        maxBytes: this.opts.maxContentBytes ?? 512 * 1024 * 1024,
      });
    } catch (e) {
      throw new CheckError(`${what}: cannot fetch ${s}: ${(e as Error).message}`);
    }
  }

  /** The job's input tensors, fetched and checked against the job's input root. */
  async inputs(job: JobInfo, model: ProfileModel): Promise<TensorData[]> {
    const bytes = await this.fetch(job.inputCid, `job input`);
    const tensors = decodeJobInput(bytes, model);
    return tensors;
  }

  /** Re-executes `claim` on `job` and compares. */
  async check(claim: ClaimMessage, job: JobInfo): Promise<Check> {
    if (claim.modelId.toLowerCase() !== job.modelId.toLowerCase())
      throw new CheckError(`claim model ${claim.modelId} is not the job's ${job.modelId}`);
    const m = await this.model(job.modelId);
    const inputs = await this.inputs(job, m.commitment.model);
    return this.checkWith(claim, job, m, inputs);
  }

  /** Re-executes on given input tensors (still checked against the job's input root). */
  async checkWith(claim: ClaimMessage, job: JobInfo, m: LoadedModel, inputs: TensorData[]): Promise<Check> {
    const run = await m.runner.runTraced(inputs);
    if (toHex(run.inputRoot) !== job.inputRoot.toLowerCase())
      throw new CheckError(`job input has root ${toHex(run.inputRoot)}, the job says ${job.inputRoot}`);
    const view = buildPartyView(m.commitment, inputs, run.nodeOutputs);
    const ours = { outputRoot: toHex(run.outputRoot), traceRoot: toHex(run.traceRoot) };
    let verdict: Verdict = "agree";
    if (ours.traceRoot !== claim.traceRoot.toLowerCase()) verdict = "trace";
    else if (ours.outputRoot !== claim.outputRoot.toLowerCase()) verdict = "output";
    return { verdict, view, ours };
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) {
      try {
        await (await m).runner.dispose();
      } catch {}
    }
  }
}
