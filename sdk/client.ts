/**
 * The requester's client for Verdict (README "Client SDK"): bridge ETH to L2, post an inference
 * job, wait for its verified result, withdraw back to L1, and deliver an L1 request's result.
 *
 * Nothing the sequencer says is taken on trust where it can be checked here: content is checked
 * against its CID, a result against the claim's outputRoot, an input root is computed locally with
 * prover-trace/commit (the one definition). What cannot be checked here (that the claim stood its
 * challenge window) is what L1 and the watchers guarantee; the SDK only reports the L2 outcome.
 */
import { CID } from "multiformats/cid";
import { type Address, createWalletClient, type Hex, type LocalAccount } from "viem";
import { BridgeContract } from "../bridge/bridge.ts";
import { connectL1, type L1Clients, walletClientFor } from "../bridge/clients.ts";
import { decodeTensorFile, encodeTensorFile, TENSOR_CONTENT_TYPE } from "../content/tensor-file.ts";
import { verifyOutputBytes } from "../content/verify.ts";
import { bytesEqual, fromHex, toHex } from "../protocol/bytes.ts";
import { cidToBytesHex, decodeCid, fileCid } from "../protocol/cid.ts";
import { l2Domain } from "../protocol/eip712.ts";
import {
  checkGenerationParams,
  type DecodingRule,
  decodeGenerationParams,
  type GenerationParams,
} from "../protocol/generation-job.ts";
import { addressOf, recoverAddress, signDigest } from "../protocol/secp256k1.ts";
import { encodeTx, txDigest, type UnsignedUserTx, type UserTx } from "../protocol/tx.ts";
import {
  commitOnnxFile,
  inputRoot,
  type ModelCommitment,
  tensorListRoot,
} from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import type { GenerationVerdict } from "../prover-trace/generation/check.ts";
import type { ProfileModel } from "../prover-trace/profile/validate.ts";
import type { Tokenizer } from "../prover-trace/tokenizer/sentencepiece.ts";
import type { ResultProofReply, WithdrawalProofReply } from "../sequencer/batch.ts";
import type { ClaimInclusion } from "../sequencer/batch-claims.ts";
import { VerdictSdkError } from "./errors.ts";
import { generationProblem } from "./generation.ts";
import { type L2JobJson, nextStep } from "./outcome.ts";

export type { L2JobJson };

export interface L1Options {
  /** L1 JSON-RPC URL (or ready clients, e.g. embeddedL1Clients in a test). */
  rpcUrl?: string;
  clients?: L1Clients;
  /** The Bridge contract the sequencer is wired to. */
  bridge: Address;
}

export interface ClientOptions {
  /** Sequencer API, e.g. http://127.0.0.1:7545. */
  sequencerUrl: string;
  /** The requester's key (same account on L1 and L2)... */
  privateKey?: Hex;
  /** ...or a viem local account (privateKeyToAccount, mnemonicToAccount, ...): signs L1 and L2 txs. */
  account?: LocalAccount;
  /** L2 chain id (the sequencer genesis l2ChainId); default 424242. */
  l2ChainId?: bigint;
  /** Fee per L2 tx; default 0. */
  fee?: bigint;
  /** L1 access for deposit, proveWithdrawal and deliverResult. */
  l1?: L1Options;
  /** Poll interval while waiting (an SSE stream wakes the client sooner); default 500 ms. */
  pollMs?: number;
}

export interface PostJobOptions {
  /** The model: ONNX bytes or a commitment (commitOnnxFile). Checks input and output shapes. */
  model?: Uint8Array | ModelCommitment;
  /** Or only the registered model id (shapes then go unchecked). */
  modelId?: Hex;
  /** The graph inputs, in graph input order... */
  inputs?: TensorData[];
  /** ...or the one input of a single-input model... */
  tensor?: TensorData;
  /** ...or an encoded tensor file (content/tensor-file.ts), as it will be published. */
  inputFile?: Uint8Array;
  /** Wei moved from the requester's L2 balance into the job; the worker's pay. */
  escrow: bigint;
  /** Last L2 time (ms since the epoch) a worker may answer; default: 10 minutes from now. */
  deadline?: number;
}

export interface GenerateOptions {
  /** The model: ONNX bytes or a commitment (its int32 [T] input gives the window)... */
  model?: Uint8Array | ModelCommitment;
  /** ...or only the registered model id, with `window`. */
  modelId?: Hex;
  /** The length T of the model's token input (taken from `model` when given). */
  window?: number;
  /** Token ids, or text with `tokenizer` (BOS prepended). */
  prompt: number[] | string;
  /** Encodes a text prompt and decodes the result (prover-trace/tokenizer/sentencepiece.ts). */
  tokenizer?: Tokenizer;
  maxTokens: number;
  /** The token that ends the generation; default none. */
  stopToken?: number | null;
  /** Greedy (default) or seeded sampling (docs/generation.md section 3). */
  decoding?: DecodingRule;
  escrow: bigint;
  deadline?: number;
}

export interface PostedGeneration {
  jobId: Hex;
  modelId: Hex;
  prompt: number[];
  window: number;
  params: GenerationParams;
}

export interface PostedJob {
  jobId: Hex;
  modelId: Hex;
  inputRoot: Hex;
  /** The input tensor file's CID (string form; txs carry its bytes). */
  inputCid: string;
}

export interface AwaitOptions {
  /** Give up after this long (VerdictSdkError "timeout"); default 10 minutes. */
  timeoutMs?: number;
  /** Send `finalize` once the window closed (or the deadline passed) if nobody else did; default true. */
  finalize?: boolean;
  /** Return { outcome: "disputed" } as soon as a dispute opens instead of waiting for its end. */
  returnOnDispute?: boolean;
  signal?: AbortSignal;
}

/** The claim as the job carries it (EIP-712 Claim fields). */
export type ClaimJson = NonNullable<L2JobJson["claim"]>;

export type JobOutcome =
  | {
      outcome: "paid";
      job: L2JobJson;
      claim: ClaimJson;
      /** The graph outputs, checked against claim.outputRoot. */
      outputs: TensorData[];
      outputFile: Uint8Array;
      outputCid: string;
      /**
       * A generation job's result: the generated token ids, checked against the claim and the
       * claim's logits (sdk/generation.ts), and their text when a tokenizer is known.
       */
      generation?: { prompt: number[]; tokens: number[]; text: string | null };
    }
  | {
      outcome: "refunded";
      job: L2JobJson;
      /** "dispute lost" (the worker's claim was beaten on L1) or "deadline missed". */
      reason: string;
    }
  | { outcome: "disputed"; job: L2JobJson; disputeId: bigint | null };

/** The sequencer's replies (GET /v1/withdrawals/:hash/proof, GET /v1/results/:id/proof): one definition. */
export type WithdrawalProof = WithdrawalProofReply;
export type ResultProof = ResultProofReply;
/** GET /v1/claims/:claimKey/proof: a claim's place in its batch's claims tree on L1. */
export type ClaimInclusionProof = ClaimInclusion;

export interface VerdictClient {
  /** The requester's address (lower case), on L1 and L2. */
  readonly address: Address;
  readonly sequencerUrl: string;
  /** L2 balance in wei (pending block included). */
  balance(who?: Address): Promise<bigint>;
  /** L1 -> L2: Bridge.deposit, then (unless wait is false) until L2 credited it. */
  deposit(
    amount: bigint,
    opts?: { to?: Address; wait?: boolean; timeoutMs?: number },
  ): Promise<{ depositId: bigint; l1TxHash: Hex }>;
  /**
   * Stores bytes through the sequencer's content node; returns the CID (checked locally).
   * `tensorFile`: the bytes are a tensor file (a job's input), sent typed as one so the node
   * refuses them unless they decode.
   */
  putContent(bytes: Uint8Array, opts?: { tensorFile?: boolean }): Promise<string>;
  /** Fetches content by CID (string or the binary form txs carry) and checks the bytes against it. */
  getContent(cid: string | Hex): Promise<Uint8Array>;
  /** Uploads the input, computes its input root, signs and submits postJob. */
  postJob(opts: PostJobOptions): Promise<PostedJob>;
  /** Posts a generation job (postGenerationJob): the prompt inline, the window and the decoding rule. */
  generate(opts: GenerateOptions): Promise<PostedGeneration>;
  /**
   * Re-verifies a submitted generation locally with the watcher's fast path (ONE traced pass of
   * `model` over the claimed sequence): the verdict names a wrong pass or the first wrong step.
   */
  verify(jobId: Hex, opts: { model: Uint8Array }): Promise<{ verdict: GenerationVerdict; why: string }>;
  /** The job as L2 reports it, or null. */
  job(jobId: Hex): Promise<L2JobJson | null>;
  /** Waits until the job is paid (output fetched and checked) or refunded (or disputed, if asked). */
  awaitResult(jobId: Hex, opts?: AwaitOptions): Promise<JobOutcome>;
  /** L2 -> L1, step 1: the withdraw tx on L2; returns its hash (the withdrawal's name). */
  withdraw(amount: bigint, opts?: { l1Recipient?: Address }): Promise<{ l2TxHash: Hex }>;
  /** L2 -> L1, step 2: waits for the batch holding the withdrawal to be posted and final, proves it. */
  proveWithdrawal(
    l2TxHash: Hex,
    opts?: { timeoutMs?: number },
  ): Promise<{ l1TxHash: Hex; batchIndex: number; recipient: Address; amount: bigint }>;
  /** For an L1 request: waits for its result to be final on L1, then Bridge.deliverResult (anyone may). */
  deliverResult(
    requestId: bigint,
    opts?: { timeoutMs?: number },
  ): Promise<{ l1TxHash: Hex; callbackSucceeded: boolean; outputRoot: Hex; outputCid: Hex }>;
  /**
   * For an L1 request whose claim lost a dispute after L2 paid it (deliverResult refuses it,
   * ClaimInvalidated): Bridge.refundInvalidatedRequest pays the escrow back to the requester from
   * that claim's slash (anyone may). A request L2 refunded itself is an L1 withdrawal instead.
   */
  refundInvalidatedRequest(
    requestId: bigint,
    opts?: { timeoutMs?: number },
  ): Promise<{ l1TxHash: Hex; amount: bigint }>;
  /** The sequencer's challenge window (GET /v1/jobs), ms. */
  challengeWindowMs(): Promise<number>;
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** A proof route's 404 that means "wait": not in a block, not in a posted batch, not confirmed... yet. */
const NOT_YET = /\byet\b/;

function bad(message: string): never {
  throw new VerdictSdkError("bad-argument", message);
}

function checkWei(v: unknown, what: string): bigint {
  if (typeof v !== "bigint") bad(`${what} must be a bigint (wei), got ${typeof v}`);
  if (v < 0n || v >= 2n ** 256n) bad(`${what} must be in [0, 2^256), got ${v}`);
  return v;
}

function checkAddress(v: unknown, what: string): Address {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(v)) bad(`${what} must be a 20-byte 0x address`);
  return v.toLowerCase() as Address;
}

function checkHash(v: unknown, what: string): Hex {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) bad(`${what} must be 32 bytes of 0x hex`);
  return v.toLowerCase() as Hex;
}

function parseCid(cid: string | Hex): CID {
  try {
    return decodeCid(cid);
  } catch (e) {
    return bad(`not a CID: ${String(cid).slice(0, 80)} (${(e as Error).message})`);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Polls `f` until it returns something, or throws VerdictSdkError "timeout" naming `what`. */
async function until<T>(
  f: () => Promise<T | undefined>,
  what: string,
  timeoutMs: number,
  pollMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() >= end)
      throw new VerdictSdkError("timeout", `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

export async function createClient(opts: ClientOptions): Promise<VerdictClient> {
  if (typeof opts?.sequencerUrl !== "string") bad("sequencerUrl is required");
  let url: URL;
  try {
    url = new URL(opts.sequencerUrl);
  } catch {
    return bad(`sequencerUrl is not a URL: ${opts.sequencerUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    bad(`sequencerUrl must be http(s): ${opts.sequencerUrl}`);
  const base = opts.sequencerUrl.replace(/\/+$/, "");
  if ((opts.privateKey === undefined) === (opts.account === undefined))
    bad("pass exactly one of privateKey and account");
  let key: Uint8Array | undefined;
  const account: LocalAccount | undefined = opts.account;
  let address: Address;
  if (opts.privateKey !== undefined) {
    if (typeof opts.privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(opts.privateKey))
      bad("privateKey must be 32 bytes of 0x-prefixed hex");
    key = fromHex(opts.privateKey);
    try {
      address = addressOf(key) as Address;
    } catch (e) {
      return bad(`privateKey is not a valid secp256k1 key: ${(e as Error).message}`);
    }
  } else {
    if (typeof account?.sign !== "function" || typeof account.address !== "string")
      bad("account must be a viem local account (with address and sign)");
    address = account.address.toLowerCase() as Address;
  }
  const l2ChainId = opts.l2ChainId ?? 424242n;
  const fee = checkWei(opts.fee ?? 0n, "fee");
  const pollMs = opts.pollMs ?? 500;
  if (!Number.isFinite(pollMs) || pollMs < 10) bad("pollMs must be at least 10");
  const domain = l2Domain(l2ChainId);

  // ------------------------------------------------------------------ L1, when given
  let bridge: BridgeContract | undefined;
  if (opts.l1) {
    const bridgeAddress = checkAddress(opts.l1.bridge, "l1.bridge");
    let clients = opts.l1.clients;
    if (!clients) {
      if (!opts.l1.rpcUrl) bad("l1 needs rpcUrl or clients");
      clients = await connectL1({ rpcUrl: opts.l1.rpcUrl });
    }
    const wallet = opts.privateKey
      ? walletClientFor(clients, opts.privateKey)
      : createWalletClient({
          chain: clients.chain,
          transport: clients.transport,
          account: account as LocalAccount,
          pollingInterval: clients.pollingIntervalMs,
        });
    bridge = new BridgeContract(clients, bridgeAddress, wallet);
  }
  const needL1 = (what: string): BridgeContract => {
    if (!bridge)
      throw new VerdictSdkError("no-l1", `${what} needs L1: create the client with l1 { rpcUrl, bridge }`);
    return bridge;
  };

  // ------------------------------------------------------------------ HTTP
  const getJson = async <T>(path: string): Promise<{ status: number; body: T & { error?: string } }> => {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    return { status: res.status, body };
  };

  const sign = async (digest: Uint8Array): Promise<Hex> => {
    const signature = key
      ? (toHex(signDigest(digest, key)) as Hex)
      : await (account as LocalAccount & { sign: NonNullable<LocalAccount["sign"]> }).sign({
          hash: toHex(digest) as Hex,
        });
    checkOwnSignature(digest, signature, address);
    return signature;
  };

  // L2 txs go out one after another: each takes the nonce the previous one left
  let queue: Promise<unknown> = Promise.resolve();
  const send = (body: Record<string, unknown>): Promise<Hex> => {
    const run = async (): Promise<Hex> => {
      const acct = await getJson<{ nonce: number }>(`/v1/accounts/${address}`);
      if (acct.status !== 200)
        throw new VerdictSdkError(
          "rejected",
          `GET account: HTTP ${acct.status} ${acct.body.error ?? ""}`,
          acct.status,
        );
      const unsigned = { ...body, from: address, nonce: acct.body.nonce, fee } as unknown as UnsignedUserTx;
      const signature = await sign(txDigest({ ...unsigned, signature: "0x" } as UserTx, domain));
      const res = await fetch(`${base}/v1/txs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeTx({ ...unsigned, signature } as UserTx)),
      });
      const r = (await res.json().catch(() => ({}))) as { txHash?: Hex; error?: string };
      if (res.status !== 202 || !r.txHash)
        throw new VerdictSdkError(
          "rejected",
          `sequencer refused ${String(body.type)}: ${r.error ?? `HTTP ${res.status}`}`,
          res.status,
        );
      return r.txHash;
    };
    const p = queue.then(run, run);
    queue = p.catch(() => {});
    return p;
  };

  const balance = async (who: Address = address): Promise<bigint> => {
    const a = await getJson<{ balance: string }>(`/v1/accounts/${checkAddress(who, "address")}`);
    if (a.status !== 200) throw new VerdictSdkError("rejected", `GET account: HTTP ${a.status}`, a.status);
    return BigInt(a.body.balance);
  };

  let windowMs: number | undefined;
  const challengeWindowMs = async (): Promise<number> => {
    if (windowMs === undefined) {
      const r = await getJson<{ challengeWindowMs: number }>("/v1/jobs?limit=1");
      if (r.status !== 200 || typeof r.body.challengeWindowMs !== "number")
        throw new VerdictSdkError("rejected", `GET /v1/jobs: HTTP ${r.status}`, r.status);
      windowMs = r.body.challengeWindowMs;
    }
    return windowMs;
  };

  // ------------------------------------------------------------------ content
  const putContent = async (bytes: Uint8Array, po: { tensorFile?: boolean } = {}): Promise<string> => {
    if (!(bytes instanceof Uint8Array)) bad("content must be a Uint8Array");
    const expected = await fileCid(bytes);
    const res = await fetch(`${base}/v1/content`, {
      method: "POST",
      headers: { "content-type": po.tensorFile ? TENSOR_CONTENT_TYPE : "application/octet-stream" },
      body: bytes,
    });
    const r = (await res.json().catch(() => ({}))) as { cid?: string; error?: string };
    if (!res.ok || !r.cid)
      throw new VerdictSdkError(
        "content",
        `POST /v1/content: ${r.error ?? `HTTP ${res.status}`}`,
        res.status,
      );
    // the node must name the bytes as we do (CIDv1, raw leaves, Kubo's chunker): else nobody finds them
    if (!CID.parse(r.cid).equals(expected))
      throw new VerdictSdkError(
        "content",
        `the content node stored the input as ${r.cid}, expected ${expected}`,
      );
    return expected.toString();
  };

  const getContent = async (cidIn: string | Hex): Promise<Uint8Array> => {
    const cid = parseCid(cidIn);
    const res = await fetch(`${base}/v1/content/${cid.toString()}`);
    if (!res.ok) {
      const r = (await res.json().catch(() => ({}))) as { error?: string };
      throw new VerdictSdkError(
        "content",
        `GET content ${cid}: ${r.error ?? `HTTP ${res.status}`}`,
        res.status,
      );
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const got = await fileCid(bytes);
    if (!got.equals(cid))
      throw new VerdictSdkError("content", `content ${cid} came back as other bytes (they hash to ${got})`);
    return bytes;
  };

  // ------------------------------------------------------------------ jobs
  /** Models the client saw, by model id, so awaitResult can check the output's shapes too. */
  const models = new Map<string, ProfileModel>();
  const jobModel = new Map<string, ProfileModel>();

  const postJob = async (o: PostJobOptions): Promise<PostedJob> => {
    if (!o || typeof o !== "object") bad("postJob takes an options object");
    const escrow = checkWei(o.escrow, "escrow");
    let modelId: Hex;
    let model: ProfileModel | undefined;
    if (o.model !== undefined) {
      let c: ModelCommitment;
      if (o.model instanceof Uint8Array) {
        try {
          c = await commitOnnxFile(o.model);
        } catch (e) {
          return bad(`model is not a profile ONNX model: ${(e as Error).message}`);
        }
      } else c = o.model;
      modelId = toHex(c.modelId) as Hex;
      model = c.model;
      if (o.modelId !== undefined && checkHash(o.modelId, "modelId") !== modelId)
        bad(`modelId ${o.modelId} is not the given model's id ${modelId}`);
      models.set(modelId, model);
    } else if (o.modelId !== undefined) {
      modelId = checkHash(o.modelId, "modelId");
      model = models.get(modelId);
    } else return bad("pass model (ONNX bytes or commitment) or modelId");

    const given = [o.inputs, o.tensor, o.inputFile].filter((x) => x !== undefined).length;
    if (given !== 1) bad("pass exactly one of inputs, tensor and inputFile");
    let inputs: TensorData[];
    let file: Uint8Array;
    try {
      if (o.inputFile !== undefined) {
        if (!(o.inputFile instanceof Uint8Array)) bad("inputFile must be a Uint8Array");
        file = o.inputFile;
        inputs = decodeTensorFile(file);
      } else {
        inputs = o.inputs ?? [o.tensor as TensorData];
        if (!Array.isArray(inputs) || inputs.length === 0) bad("inputs must be a non-empty array of tensors");
        file = encodeTensorFile(inputs);
      }
    } catch (e) {
      if (e instanceof VerdictSdkError) throw e;
      return bad(`inputs: ${(e as Error).message}`);
    }
    let root: Uint8Array;
    try {
      root = model ? inputRoot(model, inputs) : tensorListRoot(inputs);
    } catch (e) {
      return bad(`inputs do not fit the model: ${(e as Error).message}`);
    }
    const deadline = o.deadline ?? Date.now() + 600_000;
    if (!Number.isSafeInteger(deadline) || deadline <= Date.now())
      bad(`deadline must be a future time in ms since the epoch, got ${deadline}`);
    const inputCid = await putContent(file, { tensorFile: true });
    const jobId = await send({
      type: "postJob",
      modelId,
      inputRoot: toHex(root),
      inputCid: cidToBytesHex(inputCid),
      escrow,
      deadline,
    });
    if (model) jobModel.set(jobId.toLowerCase(), model);
    return { jobId, modelId, inputRoot: toHex(root) as Hex, inputCid };
  };

  const jobTokenizer = new Map<string, Tokenizer>();

  const generate = async (o: GenerateOptions): Promise<PostedGeneration> => {
    if (!o || typeof o !== "object") bad("generate takes an options object");
    const escrow = checkWei(o.escrow, "escrow");
    let modelId: Hex;
    let window = o.window;
    if (o.model !== undefined) {
      let c: ModelCommitment;
      try {
        c = o.model instanceof Uint8Array ? await commitOnnxFile(o.model) : o.model;
      } catch (e) {
        return bad(`model is not a profile ONNX model: ${(e as Error).message}`);
      }
      modelId = toHex(c.modelId) as Hex;
      const ins = c.model.inputs;
      if (ins.length !== 1 || ins[0].dtype !== 6 || ins[0].shape.length !== 1)
        bad("a generation model has one int32 [T] token input");
      if (window !== undefined && window !== ins[0].shape[0])
        bad(`window ${window} is not the model's input length ${ins[0].shape[0]}`);
      window = ins[0].shape[0];
      models.set(modelId, c.model);
    } else if (o.modelId !== undefined) modelId = checkHash(o.modelId, "modelId");
    else return bad("pass model (ONNX bytes or commitment) or modelId");
    if (!Number.isInteger(window) || (window as number) < 2)
      bad("window must be an integer >= 2 (or pass model)");
    let prompt: number[];
    if (typeof o.prompt === "string") {
      if (!o.tokenizer) bad("a text prompt needs a tokenizer");
      prompt = o.tokenizer.encode(o.prompt);
    } else prompt = o.prompt;
    if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((t) => Number.isInteger(t) && t >= 0))
      bad("prompt must be text or a non-empty array of token ids");
    let params: GenerationParams;
    try {
      params = checkGenerationParams({
        maxTokens: o.maxTokens,
        stopToken: o.stopToken ?? null,
        rule: o.decoding ?? { kind: "greedy" },
      });
    } catch (e) {
      return bad((e as Error).message);
    }
    if (prompt.length + params.maxTokens > (window as number))
      bad(`prompt ${prompt.length} + maxTokens ${params.maxTokens} exceed the window of ${window}`);
    const deadline = o.deadline ?? Date.now() + 600_000;
    if (!Number.isSafeInteger(deadline) || deadline <= Date.now())
      bad(`deadline must be a future time in ms since the epoch, got ${deadline}`);
    const jobId = await send({
      type: "postGenerationJob",
      modelId,
      prompt,
      window,
      params,
      escrow,
      deadline,
    });
    if (o.tokenizer) jobTokenizer.set(jobId.toLowerCase(), o.tokenizer);
    return { jobId, modelId, prompt, window: window as number, params };
  };

  const verify = async (
    jobIdIn: Hex,
    o: { model: Uint8Array },
  ): Promise<{ verdict: GenerationVerdict; why: string }> => {
    const jobId = checkHash(jobIdIn, "jobId");
    if (!(o?.model instanceof Uint8Array)) bad("verify needs the model's ONNX bytes");
    const j = await job(jobId);
    if (!j) throw new VerdictSdkError("unknown-job", `no job ${jobId} on L2`);
    if (!j.generation || !j.claim || !j.generation.generated)
      bad(`job ${jobId} is not a generation job with a submitted claim`);
    const c = await commitOnnxFile(o.model);
    if (toHex(c.modelId) !== j.modelId.toLowerCase()) bad(`the model is not job ${jobId}'s ${j.modelId}`);
    // the runner (ONNX Runtime) only when a generation is verified
    const { createRunner } = await import("../prover-trace/runner/runner.ts");
    const { runnerLanguageModel } = await import("../prover-trace/generation/runner-model.ts");
    const { checkGeneration } = await import("../prover-trace/generation/loop.ts");
    const { describeVerdict } = await import("../prover-trace/generation/cli.ts");
    const runner = await createRunner(o.model);
    try {
      const lm = runnerLanguageModel(runner);
      if (lm.window !== j.generation.window)
        bad(`the job's window ${j.generation.window} is not the model's ${lm.window}`);
      const { verdict } = await checkGeneration(
        lm,
        { prompt: j.generation.prompt, ...decodeGenerationParams(j.generation.params) },
        j.generation.generated,
        {
          inputRoot: fromHex(j.claim.inputRoot),
          outputRoot: fromHex(j.claim.outputRoot),
          traceRoot: fromHex(j.claim.traceRoot),
          generationSpec: fromHex(j.claim.generationSpec),
        },
      );
      return { verdict, why: describeVerdict(verdict) };
    } finally {
      await runner.dispose();
    }
  };

  const job = async (jobId: Hex): Promise<L2JobJson | null> => {
    const r = await getJson<L2JobJson>(`/v1/jobs/${checkHash(jobId, "jobId")}`);
    if (r.status === 404) return null;
    if (r.status !== 200)
      throw new VerdictSdkError("rejected", `GET job: HTTP ${r.status} ${r.body.error ?? ""}`, r.status);
    return r.body;
  };

  /** The paid job's output: fetched by the claim's CID, checked against its outputRoot. */
  const verifiedOutput = async (j: L2JobJson): Promise<JobOutcome> => {
    const claim = j.claim as ClaimJson;
    const outputFile = await getContent(claim.outputCid);
    const model = jobModel.get(j.id.toLowerCase()) ?? models.get(j.modelId);
    let outputs: TensorData[];
    try {
      if (model) outputs = verifyOutputBytes(outputFile, model, claim.outputRoot);
      else {
        outputs = decodeTensorFile(outputFile);
        if (!bytesEqual(tensorListRoot(outputs), fromHex(claim.outputRoot)))
          throw new Error(`outputs hash to ${toHex(tensorListRoot(outputs))}`);
      }
    } catch (e) {
      throw new VerdictSdkError(
        "output-mismatch",
        `job ${j.id}: the published output does not match the claim's outputRoot ${claim.outputRoot}: ${(e as Error).message}`,
      );
    }
    let generation: { prompt: number[]; tokens: number[]; text: string | null } | undefined;
    if (j.generation) {
      const problem = generationProblem(j, outputs[0]?.data as Int32Array);
      if (problem)
        throw new VerdictSdkError(
          "output-mismatch",
          `job ${j.id}: the generation does not check: ${problem}`,
        );
      const tokens = j.generation.generated as number[];
      const tok = jobTokenizer.get(j.id.toLowerCase());
      generation = {
        prompt: j.generation.prompt,
        tokens,
        text: tok ? tok.decode([...j.generation.prompt, ...tokens]) : null,
      };
    }
    return {
      outcome: "paid",
      job: j,
      claim,
      outputs,
      outputFile,
      outputCid: parseCid(claim.outputCid).toString(),
      ...(generation ? { generation } : {}),
    };
  };

  const awaitResult = async (jobIdIn: Hex, o: AwaitOptions = {}): Promise<JobOutcome> => {
    const jobId = checkHash(jobIdIn, "jobId");
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const end = Date.now() + timeoutMs;
    const window = await challengeWindowMs();
    // the block stream wakes us when something may have changed; the poll covers a dropped stream
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    let wake: (() => void) | undefined;
    const stream = watchBlocks(base, () => wake?.(), stop.signal);
    let lastFinalize = 0;
    try {
      for (;;) {
        if (o.signal?.aborted) throw new VerdictSdkError("timeout", `awaitResult(${jobId}) aborted`);
        const j = await job(jobId);
        if (!j) throw new VerdictSdkError("unknown-job", `no job ${jobId} on L2`);
        const step = nextStep(j, Date.now(), window);
        if (step.kind === "paid") return await verifiedOutput(j);
        if (step.kind === "refunded") return { outcome: "refunded", job: j, reason: step.reason };
        if (step.kind === "disputed" && o.returnOnDispute)
          return { outcome: "disputed", job: j, disputeId: step.disputeId };
        if (step.kind === "finalize" && o.finalize !== false && Date.now() - lastFinalize > 2000) {
          lastFinalize = Date.now();
          // the worker usually finalizes first; a refusal ("is paid, nothing to finalize") is fine
          await send({ type: "finalize", jobId }).catch((e: unknown) => {
            if (!(e instanceof VerdictSdkError)) throw e;
          });
          continue;
        }
        if (Date.now() >= end)
          throw new VerdictSdkError("timeout", `job ${jobId} is still ${j.status} after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(pollMs, Math.max(0, end - Date.now())));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
      stop.abort();
      await stream;
    }
  };

  // ------------------------------------------------------------------ L1 <-> L2
  const deposit = async (
    amount: bigint,
    o: { to?: Address; wait?: boolean; timeoutMs?: number } = {},
  ): Promise<{ depositId: bigint; l1TxHash: Hex }> => {
    const b = needL1("deposit");
    checkWei(amount, "amount");
    if (amount === 0n) bad("amount must be positive");
    const to = o.to === undefined ? address : checkAddress(o.to, "to");
    const r = await b.deposit(to, amount);
    if (o.wait !== false)
      await until(
        async () => {
          const p = await getJson<{ value: unknown }>(
            `/v1/proofs?key=${encodeURIComponent(`l1/deposit/${r.depositId}`)}`,
          );
          return p.status === 200 && p.body.value !== null ? true : undefined;
        },
        `deposit ${r.depositId} to be credited on L2`,
        o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        pollMs,
      );
    return { depositId: r.depositId, l1TxHash: r.txHash };
  };

  const withdraw = async (amount: bigint, o: { l1Recipient?: Address } = {}): Promise<{ l2TxHash: Hex }> => {
    checkWei(amount, "amount");
    if (amount === 0n) bad("amount must be positive");
    const l1Recipient = o.l1Recipient === undefined ? address : checkAddress(o.l1Recipient, "l1Recipient");
    return { l2TxHash: await send({ type: "withdraw", l1Recipient, amount }) };
  };

  /** GET a proof route until it answers; "not yet" replies keep waiting, others are errors. */
  const proofFrom = <T>(path: string, what: string, notYet: RegExp, timeoutMs: number) =>
    until<T>(
      async () => {
        const r = await getJson<T>(path);
        if (r.status === 200) return r.body;
        if (r.status === 404 && notYet.test(r.body.error ?? "")) return undefined;
        throw new VerdictSdkError("rejected", `${what}: ${r.body.error ?? `HTTP ${r.status}`}`, r.status);
      },
      what,
      timeoutMs,
      pollMs,
    );

  const waitFinal = (b: BridgeContract, batchIndex: number, end: number) =>
    until(
      async () => ((await b.isBatchFinalized(BigInt(batchIndex))) ? true : undefined),
      `L1 batch ${batchIndex} to be final`,
      Math.max(0, end - Date.now()),
      pollMs,
    );

  const proveWithdrawal = async (l2TxHashIn: Hex, o: { timeoutMs?: number } = {}) => {
    const b = needL1("proveWithdrawal");
    const l2TxHash = checkHash(l2TxHashIn, "l2TxHash");
    const end = Date.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const p = await proofFrom<WithdrawalProof>(
      `/v1/withdrawals/${l2TxHash}/proof`,
      `withdrawal ${l2TxHash}`,
      NOT_YET,
      end - Date.now(),
    );
    await waitFinal(b, p.batchIndex, end);
    const r = await b.proveWithdrawal({
      batchIndex: BigInt(p.batchIndex),
      recipient: p.recipient as Address,
      amount: BigInt(p.amount),
      l2TxHash: p.l2TxHash,
      leafIndex: p.leafIndex,
      leafCount: p.leafCount,
      proof: p.proof,
    });
    return {
      l1TxHash: r.txHash,
      batchIndex: p.batchIndex,
      recipient: p.recipient.toLowerCase() as Address,
      amount: BigInt(p.amount),
    };
  };

  const deliverResult = async (requestId: bigint, o: { timeoutMs?: number } = {}) => {
    const b = needL1("deliverResult");
    if (typeof requestId !== "bigint" || requestId < 0n) bad("requestId must be a non-negative bigint");
    const end = Date.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const p = await proofFrom<ResultProof>(
      `/v1/results/${requestId}/proof`,
      `result of L1 request ${requestId}`,
      NOT_YET,
      end - Date.now(),
    );
    // The Bridge delivers only a signed claim that has been on L1 (its batch's claims root) for
    // the whole challenge window: where the claim was recorded, then wait out its window.
    const inc = await proofFrom<ClaimInclusionProof>(
      `/v1/claims/${p.claimKey}/proof`,
      `claim ${p.claimKey} of L1 request ${requestId} to be recorded on L1`,
      NOT_YET,
      end - Date.now(),
    );
    await waitFinal(b, p.batchIndex, end);
    const inclusion = {
      batchIndex: BigInt(inc.batchIndex),
      leafIndex: inc.leafIndex,
      leafCount: inc.leafCount,
      proof: inc.proof,
    };
    const finalAt = await b.claimFinalAt(inclusion.batchIndex, p.claimKey, inclusion);
    await until(
      async () => ((await b.clients.publicClient.getBlock()).timestamp >= finalAt ? true : undefined),
      `claim ${p.claimKey} to be final on L1 (at ${finalAt})`,
      Math.max(0, end - Date.now()),
      pollMs,
    );
    const r = await b.deliverResult({
      requestId,
      claim: p.claim,
      claimSignature: p.claimSignature,
      result: {
        batchIndex: BigInt(p.batchIndex),
        leafIndex: p.leafIndex,
        leafCount: p.leafCount,
        proof: p.proof,
      },
      inclusion,
    });
    return {
      l1TxHash: r.txHash,
      callbackSucceeded: r.callbackSucceeded,
      outputRoot: p.outputRoot,
      outputCid: p.outputCid,
    };
  };

  const refundInvalidatedRequest = async (requestId: bigint, o: { timeoutMs?: number } = {}) => {
    const b = needL1("refundInvalidatedRequest");
    if (typeof requestId !== "bigint" || requestId < 0n) bad("requestId must be a non-negative bigint");
    const end = Date.now() + (o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const p = await proofFrom<ResultProof>(
      `/v1/results/${requestId}/proof`,
      `result of L1 request ${requestId}`,
      NOT_YET,
      end - Date.now(),
    );
    await waitFinal(b, p.batchIndex, end);
    const r = await b.refundInvalidatedRequest({
      requestId,
      claim: p.claim,
      result: {
        batchIndex: BigInt(p.batchIndex),
        leafIndex: p.leafIndex,
        leafCount: p.leafCount,
        proof: p.proof,
      },
    });
    return { l1TxHash: r.txHash, amount: r.amount };
  };

  return {
    address,
    sequencerUrl: base,
    balance,
    deposit,
    putContent,
    getContent,
    postJob,
    generate,
    verify,
    job,
    awaitResult,
    withdraw,
    proveWithdrawal,
    deliverResult,
    refundInvalidatedRequest,
    challengeWindowMs,
  };
}

/** Calls `onBlock` on every block the sequencer announces (SSE), reconnecting, until aborted. */
async function watchBlocks(base: string, onBlock: () => void, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch(`${base}/v1/events`, { signal });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          if (buf.startsWith("event: block")) onBlock();
          buf = buf.slice(i + 2);
        }
      }
    } catch {
      // stream down or aborted: the poll keeps going; retry below
    }
    if (!signal.aborted) await sleep(1000, signal);
  }
}

/**
 * The SDK sends only signatures in the one canonical encoding (v 27/28, low s: the rule L2 and
 * the Bridge apply, protocol/secp256k1.ts) that recover the client's own address: an account
 * whose signer returns another encoding (v 0/1, say) is refused here, with the reason, instead
 * of by the sequencer.
 */
export function checkOwnSignature(digest: Uint8Array, signature: Hex, address: Address): void {
  let signer: string;
  try {
    signer = recoverAddress(digest, fromHex(signature));
  } catch (e) {
    throw new VerdictSdkError("bad-signature", `the account's signer returned ${(e as Error).message}`);
  }
  if (signer !== address.toLowerCase())
    throw new VerdictSdkError("bad-signature", `the account's signer signed as ${signer}, not ${address}`);
}
