/**
 * Re-execution of a claim: get the model (a local file given with --model, or the registered CID
 * through the content layer) and the job input (by CID through the content layer), check both
 * against their commitments (model id, input root), run traced inference and compare the roots
 * with the claim. The party view built from the run is what the watcher plays the game with.
 */
import { readFileSync } from "node:fs";
import type { Hex } from "viem";
import { BridgeContract, type ClaimMessage } from "../../bridge/bridge.ts";
import type { L1Clients } from "../../bridge/clients.ts";
import { decodeTensorFile } from "../../content/tensor-file.ts";
import { verifyInputBytes, verifyModelBytes } from "../../content/verify.ts";
import { fromHex, toHex } from "../../protocol/bytes.ts";
import { cidToString } from "../../protocol/cid.ts";
import { decodeGenerationParams } from "../../protocol/generation-job.ts";
import { DEFERRED_TRACE, isDeferredTrace } from "../../protocol/tx.ts";
import {
  generationPassInputRoot,
  generationSequence,
  generationSpec,
} from "../../prover-trace/commit/generation.ts";
import {
  commitOnnxFile,
  inputRoot,
  type ModelCommitment,
  tensorListRoot,
} from "../../prover-trace/commit/model.ts";
import { type TensorData, tensorRoot } from "../../prover-trace/commit/tensor.ts";
import {
  checkGenerationJob,
  type GenerationJob,
  jobParamsHash,
} from "../../prover-trace/generation/check.ts";
import { createRunner, type Runner } from "../../prover-trace/runner/runner.ts";
import { type InputChallenge, planInputChallenge } from "../game/input-range.ts";
import { planDeferredOpening, planOpening } from "../game/planner.ts";
import { decideGeneration, type GenerationStatement, type HonestPass } from "../game/token-move.ts";
import { buildPartyView, type PartyView, viewOutputRoot } from "../game/view.ts";

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
  | "output"
  /** A deferred claim (traceRoot 0) with another outputRoot: openDeferred, the level chosen after commitTrace. */
  | "deferred"
  /**
   * A generation claim whose pass is right but whose tokens break the decoding rule (or the count
   * and stop rules): the one-shot L1 token move (`tokenMove`).
   */
  | "token-rule";

export interface Check {
  verdict: Verdict;
  /**
   * For "output": the graph output whose tensor root differs from ours (level 0 disputes it);
   * absent when no verified file names it (several outputs): the unnamed level 0 finds it.
   */
  outputIndex?: number;
  /**
   * Our traced run's view (what the game is played with). Absent on a deferred claim: no trace
   * was built (`traceView` builds it when the claim is wrong).
   */
  view?: PartyView;
  /**
   * For "deferred": our view, from one traced run, built when called. check does not run it:
   * openDeferred needs no view and the claimer must commit its trace before the view is used, so
   * the watcher opens at once and traces while the claimer does (an imported OCR model's traced
   * run takes 3-12 s and holds about 1.5 GB).
   */
  traceView?: () => Promise<PartyView>;
  ours: { outputRoot: Hex; traceRoot: Hex };
  /** For "token-rule": the token move planned from our honest pass (buildTokenProof makes its calldata). */
  tokenMove?: TokenMovePlan;
  /** Our run's graph outputs. */
  outputs?: TensorData[];
}

/** The token move on a generation claim: the statement, our honest pass and the generated index to open. */
export interface TokenMovePlan {
  statement: GenerationStatement;
  pass: HonestPass;
  position: number;
  why: string;
}

/** Why no pass can run over these claimed tokens (not ids of the vocabulary, or past the window), or null. */
function unrunnableTokens(
  generated: unknown,
  promptLength: number,
  window: number,
  vocab: number,
): string | null {
  if (!Array.isArray(generated) || generated.length < 1) return "a generation has at least one token";
  if (promptLength + generated.length > window)
    return `${promptLength} prompt + ${generated.length} generated tokens exceed the window ${window}`;
  for (let i = 0; i < generated.length; i++) {
    const t = generated[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocab)
      return `generated token ${i} (${t}) is not in [0, ${vocab - 1}]`;
  }
  return null;
}

/** A generation claim's job as the watcher records it: prompt, window, params (JSON) and the claimed tokens. */
export interface GenerationInfo {
  prompt: number[];
  window: number;
  params: unknown;
  generated: number[];
}

/** Re-execution cannot proceed (unknown model, content missing or not matching its commitment). */
export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
  }
}

/**
 * The job's input is the one its inputRoot names, of the model's types, but an element leaves its
 * input's declared range: no honest worker claims it, so a claim on it is wrong whatever its
 * trace, and `challenge` (DisputeGame.challengeInput) shows it on L1.
 */
export class InputOutsideRange extends CheckError {
  readonly challenge: InputChallenge;
  constructor(challenge: InputChallenge) {
    super(`job input: ${challenge.why}`);
    this.name = "InputOutsideRange";
    this.challenge = challenge;
  }
}

/**
 * The challengeInput opening for input bytes that hash to `inputRoot` and fit the model's types
 * but not its declared ranges; null for anything else (not a tensor file, another root, another
 * type: refused as before).
 */
function rangeBreach(bytes: Uint8Array, c: ModelCommitment, inputRoot: Hex): InputChallenge | null {
  try {
    const tensors = decodeTensorFile(bytes);
    if (toHex(tensorListRoot(tensors)) !== inputRoot.toLowerCase()) return null;
    return planInputChallenge(c, tensors);
  } catch {
    return null;
  }
}

const rootOf = (t: TensorData) => tensorRoot(t.dtype, t.shape, t.data);

function graphOutputsOf(runner: Runner, nodeOutputs: readonly (readonly TensorData[])[]): TensorData[] {
  return runner.profile.outputs.map((o) => nodeOutputs[o.ref.index][o.ref.slot]);
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

  private async load(bytes: Uint8Array, what: string, expectedId?: Hex): Promise<LoadedModel> {
    try {
      const commitment = expectedId ? await verifyModelBytes(bytes, expectedId) : await commitOnnxFile(bytes);
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
    const cid = await new BridgeContract(l1.clients, l1.bridge).registeredModelCid(modelId);
    if (!cid) throw new CheckError(`model ${modelId} is not registered on the Bridge`);
    const bytes = new Uint8Array(await this.fetch(cid, `model ${modelId}`));
    return this.load(bytes, `model ${modelId} (${cidToString(cid)})`, modelId);
  }

  private async fetch(cid: Hex, what: string): Promise<Uint8Array> {
    const content = this.opts.content;
    if (!content) throw new CheckError(`${what}: no content layer configured`);
    let s: string;
    try {
      s = cidToString(cid);
    } catch (e) {
      throw new CheckError(`${what}: ${(e as Error).message}`);
    }
    try {
      return await content.get(s, {
        timeoutMs: this.opts.contentTimeoutMs ?? 30_000,
        maxBytes: this.opts.maxContentBytes ?? 512 * 1024 * 1024,
      });
    } catch (e) {
      throw new CheckError(`${what}: cannot fetch ${s}: ${(e as Error).message}`);
    }
  }

  /** The job's input tensors: fetched, decoded (a tensor file) and checked against the job's input root. */
  async inputs(job: JobInfo, m: LoadedModel): Promise<TensorData[]> {
    // A plain Uint8Array copy: a Node Buffer's slice() shares its pool, which typed-array
    // decoding of Buffer views gets wrong.
    const bytes = new Uint8Array(await this.fetch(job.inputCid, "job input"));
    try {
      return verifyInputBytes(bytes, m.commitment.model, job.inputRoot);
    } catch (e) {
      const breach = rangeBreach(bytes, m.commitment, job.inputRoot);
      if (breach) throw new InputOutsideRange(breach);
      throw new CheckError(`job input ${cidToString(job.inputCid)}: ${(e as Error).message}`);
    }
  }

  /**
   * challengeInput's opening on `job`, whose input lies outside its model's declared ranges
   * (rebuilt from the input alone: no inference runs). A CheckError when the input is not one.
   */
  async inputChallenge(claim: ClaimMessage, job: JobInfo): Promise<InputChallenge> {
    if (claim.modelId.toLowerCase() !== job.modelId.toLowerCase())
      throw new CheckError(`claim model ${claim.modelId} is not the job's ${job.modelId}`);
    const m = await this.model(job.modelId);
    try {
      await this.inputs(job, m);
    } catch (e) {
      if (e instanceof InputOutsideRange) return e.challenge;
      throw e;
    }
    throw new CheckError("the job's input lies inside its model's declared ranges");
  }

  /** Re-executes `claim` on `job` and compares. */
  async check(claim: ClaimMessage, job: JobInfo): Promise<Check> {
    if (claim.modelId.toLowerCase() !== job.modelId.toLowerCase())
      throw new CheckError(`claim model ${claim.modelId} is not the job's ${job.modelId}`);
    const m = await this.model(job.modelId);
    const inputs = await this.inputs(job, m);
    return this.checkWith(claim, job, m, inputs);
  }

  /** Re-executes on given input tensors (still checked against the job's input root). */
  async checkWith(claim: ClaimMessage, job: JobInfo, m: LoadedModel, inputs: TensorData[]): Promise<Check> {
    if (isDeferredTrace(claim.traceRoot)) return this.checkDeferred(claim, job, m, inputs);
    const run = await m.runner.runTraced(inputs);
    if (toHex(run.inputRoot) !== job.inputRoot.toLowerCase())
      throw new CheckError(`job input has root ${toHex(run.inputRoot)}, the job says ${job.inputRoot}`);
    const view = buildPartyView(m.commitment, inputs, run.nodeOutputs);
    const ours = { outputRoot: toHex(run.outputRoot), traceRoot: toHex(run.traceRoot) };
    const opening = planOpening(view, claim, await this.claimedOutputRoots(claim, view));
    const outputs = graphOutputsOf(m.runner, run.nodeOutputs);
    if (!opening) return { verdict: "agree", view, ours, outputs };
    if (opening.kind === "openDispute") return { verdict: "trace", view, ours, outputs };
    if (opening.kind === "challengeOutputs") return { verdict: "output", view, ours, outputs };
    if (opening.kind === "openDeferred") return { verdict: "deferred", view, ours, outputs };
    return { verdict: "output", outputIndex: opening.outputIndex, view, ours, outputs };
  }

  /**
   * A deferred claim (traceRoot DEFERRED_TRACE, docs/dispute-game.md "Deferred trace"): a PLAIN run
   * decides, only its graph outputs hashed. The same outputRoot: agree, no trace ever built.
   * Another: verdict "deferred" (openDeferred), with `traceView` to run traced once for the view
   * the game needs (the claimer's committed trace is compared with it after commitTrace,
   * planOpeningChoice).
   */
  private async checkDeferred(
    claim: ClaimMessage,
    job: JobInfo,
    m: LoadedModel,
    inputs: TensorData[],
  ): Promise<Check> {
    const ir = toHex(inputRoot(m.commitment.model, inputs));
    if (ir !== job.inputRoot.toLowerCase())
      throw new CheckError(`job input has root ${ir}, the job says ${job.inputRoot}`);
    const plain = await m.runner.runOutputs(inputs);
    const ours = { outputRoot: toHex(plain.outputRoot), traceRoot: DEFERRED_TRACE };
    if (!planDeferredOpening(ours.outputRoot, claim))
      return { verdict: "agree", ours, outputs: plain.outputs };
    const traceView = async () => {
      const run = await m.runner.runTraced(inputs);
      return buildPartyView(m.commitment, inputs, run.nodeOutputs);
    };
    return { verdict: "deferred", ours, outputs: plain.outputs, traceView };
  }

  /**
   * The watcher's fast path on a generation claim (docs/generation.md section 2): no input to
   * fetch, the pass input is prompt ++ generated ++ padding; ONE traced pass over it, then the
   * pure decision of verifier/game/token-move.ts. A wrong pass is an ordinary "trace"/"output"
   * verdict (the existing game); a right pass whose tokens break the decoding rule (or the count
   * and stop rules) is "token-rule", with the one-shot L1 move planned (`tokenMove`). A claim not
   * bound to its tokens (inputRoot, generationSpec), or tokens no pass can run over, cannot have
   * been accepted by L2 and cannot be shown wrong on L1 by us: refused as a CheckError.
   */
  async checkGeneration(claim: ClaimMessage, gen: GenerationInfo): Promise<Check> {
    const m = await this.model(claim.modelId);
    const input = m.runner.profile.inputs[0];
    if (m.runner.profile.inputs.length !== 1 || input.dtype !== 6 || input.shape[0] !== gen.window)
      throw new CheckError(
        `model ${claim.modelId} has no int32 [${gen.window}] token input: not a generation model`,
      );
    const vocab = m.runner.profile.outputs[0].shape[1];
    let job: GenerationJob;
    try {
      job = checkGenerationJob(
        { prompt: gen.prompt, ...decodeGenerationParams(gen.params) },
        gen.window,
        vocab,
      );
    } catch (e) {
      throw new CheckError(`generation job: ${(e as Error).message}`);
    }
    const why = unrunnableTokens(gen.generated, gen.prompt.length, gen.window, vocab);
    if (why) throw new CheckError(`claimed tokens: ${why}`);
    const sequence = generationSequence(gen.prompt, gen.generated, gen.window);
    const passRoot = toHex(generationPassInputRoot(gen.prompt, gen.generated, gen.window));
    if (claim.inputRoot.toLowerCase() !== passRoot)
      throw new CheckError(`claim inputRoot ${claim.inputRoot} is not the pass input root ${passRoot}`);
    const spec = toHex(generationSpec(gen.prompt.length, gen.generated.length, jobParamsHash(job)));
    if (claim.generationSpec.toLowerCase() !== spec)
      throw new CheckError(
        `claim generationSpec ${claim.generationSpec} does not name this prompt, count and params (${spec})`,
      );
    const c = await this.checkWith(
      claim,
      { modelId: claim.modelId, inputRoot: passRoot, inputCid: "0x" },
      m,
      [{ dtype: 6, shape: [gen.window], data: sequence }],
    );
    const statement: GenerationStatement = {
      promptLength: gen.prompt.length,
      generatedCount: gen.generated.length,
      params: { maxTokens: job.maxTokens, stopToken: job.stopToken, rule: job.rule },
    };
    const pass: HonestPass = {
      sequence,
      outputs: c.outputs ?? [],
      outputRoot: fromHex(c.ours.outputRoot),
      traceRoot: fromHex(c.ours.traceRoot),
    };
    const decision = decideGeneration(claim, statement, pass);
    if (decision.kind !== "tokenMove") return c;
    return {
      ...c,
      verdict: "token-rule",
      tokenMove: { statement, pass, position: decision.position, why: decision.why },
    };
  }

  /**
   * The claim's graph-output roots from its published outputs (`claim.outputCid`), fetched only
   * where the opening needs them: our trace, another outputRoot, several outputs. planOpening
   * checks them against the claim's outputRoot before any of them names an output; none, or a
   * file that is not a tensor file, names none (the game's unnamed level 0 then finds it).
   */
  private async claimedOutputRoots(claim: ClaimMessage, view: PartyView): Promise<Uint8Array[] | undefined> {
    const sameTrace = claim.traceRoot.toLowerCase() === toHex(view.trace.root);
    const sameOutputs = claim.outputRoot.toLowerCase() === toHex(viewOutputRoot(view));
    if (!sameTrace || sameOutputs || view.outputs.length === 1) return undefined;
    if (claim.outputCid === "0x") return undefined;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await this.fetch(claim.outputCid, "claimed outputs"));
    } catch {
      return undefined; // withheld or unreachable: the unnamed level 0 needs none of it
    }
    try {
      return decodeTensorFile(bytes).map(rootOf);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) {
      try {
        await (await m).runner.dispose();
      } catch {}
    }
  }
}
