/**
 * Typed calls to the Bridge contract for the parts the other subsystems use now: deposits, batch
 * posting, withdrawal proofs, worker stake, challenger bonds and the model registry. Every write is
 * simulated first, so a revert surfaces as a BridgeRevert naming the contract's custom error before
 * any gas is spent, then sent and awaited; a receipt with status "reverted" is an error too.
 */
import {
  type Abi,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  type Hex,
  parseEventLogs,
  type ReadContractReturnType,
  type TransactionReceipt,
} from "viem";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import { toHex } from "../protocol/bytes.ts";
import type { ClaimMsg } from "../protocol/tx.ts";
import type { ModelIdParts } from "../prover-trace/commit/model.ts";
import { ContractClient, type L1Clients, type L1WalletClient } from "./clients.ts";

/** A Bridge call reverted; `errorName` is the Solidity custom error (e.g. "NotSequencer"). */
export class BridgeRevert extends Error {
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor(functionName: string, errorName: string, args: readonly unknown[], detail: string) {
    super(
      `Bridge.${functionName} reverted: ${errorName}${args.length ? `(${args.map(String).join(", ")})` : ""}${detail ? ` ${detail}` : ""}`,
    );
    this.name = "BridgeRevert";
    this.errorName = errorName;
    this.args = args;
  }
}

export interface BatchInput {
  firstBlock: bigint;
  lastBlock: bigint;
  stateRoot: Hex;
  withdrawalRoot: Hex;
  txDataHash: Hex;
  cid: Hex;
  /** The batch data itself (sequencer/batch-data.ts), carried as calldata; its batchDataHash = txDataHash. */
  txData: Hex;
  /** Inbox messages consumed by this batch and all before it (default 0). */
  inboxCount?: bigint;
  /**
   * Block time (ms) of the batch's last timed tx (the previous batch's lastTime when it has none;
   * default 0): the Bridge refuses one above its block time (docs/rollup.md 8c).
   */
  lastTime?: bigint;
}

export interface WithdrawalClaim {
  batchIndex: bigint;
  recipient: Address;
  amount: bigint;
  l2TxHash: Hex;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

/** A request for Bridge.requestInference; `deadline` is seconds since the epoch (L1 block time). */
export interface InferenceRequestInput {
  modelId: Hex;
  inputRoot: Hex;
  inputCid: Hex;
  deadline: bigint;
  escrow: bigint;
}

/** A leaf's place in one of a batch's trees (Bridge.BatchLeafProof). */
export interface BatchLeafProof {
  batchIndex: bigint;
  leafIndex: number;
  leafCount: number;
  proof: Hex[];
}

/**
 * What Bridge.deliverResult takes: the worker's signed claim, its result leaf in a final batch's
 * message tree (sequencer GET /v1/results/:id/proof) and its place in a batch's claims tree
 * (GET /v1/claims/:claimKey/proof), recorded on L1 at least the challenge window ago.
 */
export interface ResultDelivery {
  requestId: bigint;
  claim: ClaimMsg;
  claimSignature: Hex;
  result: BatchLeafProof;
  inclusion: BatchLeafProof;
}

/** What Bridge.refundInvalidatedRequest takes: the claim L2 paid and its result leaf. */
export interface InvalidatedRefund {
  requestId: bigint;
  claim: ClaimMsg;
  result: BatchLeafProof;
}

const leafProofArg = (p: BatchLeafProof) => ({
  batchIndex: p.batchIndex,
  leafIndex: BigInt(p.leafIndex),
  leafCount: BigInt(p.leafCount),
  proof: p.proof,
});

/** Bridge.deliverResult's arguments, in order (for raw calls: a chosen gas limit, calldata). */
export function deliverResultArgs(d: ResultDelivery) {
  return [d.requestId, d.claim, d.claimSignature, leafProofArg(d.result), leafProofArg(d.inclusion)] as const;
}

/** The Bridge's registerModel argument (its `ModelCommitment` struct): a model's roots and counts. */
export interface ModelRegistration {
  graphRoot: Hex;
  weightsRoot: Hex;
  /** Root over the (node, slot) producing each graph output (docs/commitments.md). */
  outputRefsRoot: Hex;
  /** Root over each graph input's admissible range (docs/commitments.md; challengeInput opens it). */
  inputRangesRoot: Hex;
  nodeCount: number;
  weightCount: number;
  inputCount: number;
  outputCount: number;
}

/** The Bridge's `ModelCommitment` argument for a model committed by prover-trace/commit/model.ts. */
export function modelRegistration(m: ModelIdParts): ModelRegistration {
  return {
    graphRoot: toHex(m.graphRoot),
    weightsRoot: toHex(m.weightsRoot),
    outputRefsRoot: toHex(m.outputRefsRoot),
    inputRangesRoot: toHex(m.inputRangesRoot),
    nodeCount: m.nodeCount,
    weightCount: m.weightCount,
    inputCount: m.inputCount,
    outputCount: m.outputCount,
  };
}

/** A worker's claim as signed (protocol/eip712.ts `Claim`): protocol/tx.ts ClaimMsg, the one definition. */
export type ClaimMessage = ClaimMsg;

export interface TxResult {
  txHash: Hex;
  receipt: TransactionReceipt;
}

type WriteName =
  | "deposit"
  | "postBatch"
  | "forceTransaction"
  | "proveWithdrawal"
  | "stake"
  | "unbond"
  | "withdrawUnbonded"
  | "depositBond"
  | "withdrawBond"
  | "registerModel"
  | "setDisputeGame"
  | "requestInference"
  | "deliverResult"
  | "refundInvalidatedRequest"
  | "recordBatchClaims";

/** A Bridge call that failed before reaching the contract (funds, nonce, node). */
export class BridgeCallError extends Error {
  constructor(functionName: string, cause: BaseError, contract = "Bridge") {
    // viem's first line is generic ("Missing or invalid parameters."); the node's words are in details.
    super(
      `${contract}.${functionName} failed: ${cause.shortMessage}${cause.details ? ` (${cause.details})` : ""}`,
      { cause },
    );
    this.name = "BridgeCallError";
  }
}

export type RevertFactory = (
  functionName: string,
  errorName: string,
  args: readonly unknown[],
  detail: string,
) => BridgeRevert;

export interface ContractCall {
  /** Name used in error messages ("Bridge", "DisputeGame"). */
  contract: string;
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  value?: bigint;
}

/**
 * The one write path for our contracts: simulate first (so a revert comes back as the contract's
 * custom error, named, via `revert`), send, wait for the receipt, and treat a receipt that
 * reverted anyway (state changed between simulation and inclusion) as a revert too.
 */
export async function simulateAndSend(
  clients: L1Clients,
  wallet: L1WalletClient | undefined,
  call: ContractCall,
  revert: RevertFactory,
): Promise<TxResult> {
  const { contract, functionName } = call;
  if (!wallet) throw new Error(`${contract}.${functionName}: no wallet (pass a private key)`);
  const pub = clients.publicClient;
  let txHash: Hex;
  try {
    const { request } = await pub.simulateContract({
      address: call.address,
      abi: call.abi,
      functionName,
      args: call.args,
      value: call.value,
      account: wallet.account,
    } as Parameters<typeof pub.simulateContract>[0]);
    // Headroom over the estimate: anvil's estimate is exact for the pending block's timestamp,
    // and the game's gas depends on the time since the last move (the chess clock's storage
    // writes), so a tx that lands one second later ran out of gas now and then.
    const estimate = await pub.estimateContractGas(request as Parameters<typeof pub.estimateContractGas>[0]);
    const gas = estimate + estimate / 10n + 10_000n;
    txHash = await wallet.writeContract({ ...request, gas } as Parameters<typeof wallet.writeContract>[0]);
  } catch (err) {
    if (!(err instanceof BaseError)) throw err;
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName ?? reverted.reason ?? "unknown revert";
      throw revert(functionName, name, reverted.data?.args ?? [], "");
    }
    throw new BridgeCallError(functionName, err, contract);
  }
  const receipt = await pub.waitForTransactionReceipt({
    hash: txHash,
    pollingInterval: clients.pollingIntervalMs,
  });
  if (receipt.status !== "success") {
    const why = await explainOnChainRevert(
      clients,
      wallet,
      call,
      txHash,
      receipt.blockNumber,
      receipt.gasUsed,
    );
    throw revert(functionName, why.errorName, why.args, `(tx ${txHash}, simulated fine: ${why.detail})`);
  }
  return { txHash, receipt };
}

/**
 * Why a tx that simulated fine reverted in its block: out of gas (all its gas used), or the
 * contract's error when the same call is replayed on the state its block started from. A flaky
 * "reverted on chain" with no reason is undiagnosable; this names the cause in the error.
 */
async function explainOnChainRevert(
  clients: L1Clients,
  wallet: L1WalletClient,
  call: ContractCall,
  txHash: Hex,
  blockNumber: bigint,
  gasUsed: bigint,
): Promise<{ errorName: string; args: readonly unknown[]; detail: string }> {
  const pub = clients.publicClient;
  let gasLimit: bigint | undefined;
  try {
    gasLimit = (await pub.getTransaction({ hash: txHash })).gas;
  } catch {
    // the node may not serve the tx; the replay below still tells
  }
  if (gasLimit !== undefined && gasUsed >= gasLimit) {
    return { errorName: "out of gas", args: [], detail: `used all ${gasLimit} gas of its limit` };
  }
  try {
    await pub.simulateContract({
      address: call.address,
      abi: call.abi,
      functionName: call.functionName,
      args: call.args,
      value: call.value,
      account: wallet.account,
      blockNumber: blockNumber - 1n,
    } as Parameters<typeof pub.simulateContract>[0]);
  } catch (err) {
    const reverted = err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      return {
        errorName: reverted.data?.errorName ?? reverted.reason ?? "reverted on chain",
        args: reverted.data?.args ?? [],
        detail: `replayed on the state before block ${blockNumber} it reverts with this error`,
      };
    }
  }
  return {
    errorName: "reverted on chain",
    args: [],
    detail: `gas used ${gasUsed}${gasLimit === undefined ? "" : ` of ${gasLimit}`}; a replay on block ${blockNumber - 1n} succeeds, so an earlier tx in block ${blockNumber} or its timestamp changed the outcome`,
  };
}

const bridgeRevert: RevertFactory = (f, e, a, d) => new BridgeRevert(f, e, a, d);

export class BridgeContract extends ContractClient {
  private write(functionName: WriteName, args: readonly unknown[], value?: bigint): Promise<TxResult> {
    return simulateAndSend(
      this.clients,
      this.wallet,
      { contract: "Bridge", address: this.address, abi: bridgeAbi, functionName, args, value },
      bridgeRevert,
    );
  }

  // ------------------------------------------------------------------ deposits and withdrawals

  async deposit(l2Recipient: Address, amount: bigint): Promise<TxResult & { depositId: bigint }> {
    const r = await this.write("deposit", [l2Recipient], amount);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "Deposited" });
    return { ...r, depositId: ev.args.depositId };
  }

  async postBatch(b: BatchInput): Promise<TxResult & { batchIndex: bigint }> {
    const r = await this.write("postBatch", [
      b.firstBlock,
      b.lastBlock,
      b.stateRoot,
      b.withdrawalRoot,
      b.txDataHash,
      b.cid,
      b.txData,
      b.inboxCount ?? 0n,
      b.lastTime ?? 0n,
    ]);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "BatchPosted" });
    return { ...r, batchIndex: ev.args.batchIndex };
  }

  async proveWithdrawal(w: WithdrawalClaim): Promise<TxResult> {
    return this.write("proveWithdrawal", [
      w.batchIndex,
      w.recipient,
      w.amount,
      w.l2TxHash,
      BigInt(w.leafIndex),
      BigInt(w.leafCount),
      w.proof,
    ]);
  }

  // ------------------------------------------------------------------ L1 inference requests

  /** Asks L2 for inference, paying `escrow`; the request id comes from InferenceRequested. */
  async requestInference(r: InferenceRequestInput): Promise<TxResult & { requestId: bigint }> {
    const res = await this.write(
      "requestInference",
      [r.modelId, r.inputRoot, r.inputCid, r.deadline],
      r.escrow,
    );
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: res.receipt.logs, eventName: "InferenceRequested" });
    return { ...res, requestId: ev.args.requestId };
  }

  /** Hands a finalized result to its requester; `callbackSucceeded` says whether its callback ran. */
  async deliverResult(d: ResultDelivery): Promise<TxResult & { callbackSucceeded: boolean }> {
    const res = await this.write("deliverResult", [...deliverResultArgs(d)]);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: res.receipt.logs, eventName: "ResultDelivered" });
    return { ...res, callbackSucceeded: ev.args.callbackSucceeded };
  }

  /** Refunds a request whose L2-paid claim lost a dispute since, from that claim's slash. */
  async refundInvalidatedRequest(d: InvalidatedRefund): Promise<TxResult & { amount: bigint }> {
    const res = await this.write("refundInvalidatedRequest", [d.requestId, d.claim, leafProofArg(d.result)]);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: res.receipt.logs, eventName: "RequestRefunded" });
    return { ...res, amount: ev.args.amount };
  }
  /** The largest escrow requestInference takes (minWorkerStake / 2). */
  maxRequestEscrow() {
    return this.read("maxRequestEscrow", []);
  }
  /** The burned slash kept for refunding the L1 request `claimKey` answered. */
  refundReserve(claimKey: Hex) {
    return this.read("refundReserve", [claimKey]);
  }
  /** Disputes on the claim `claimKey` still running (delivery waits for them). */
  openDisputesOn(claimKey: Hex) {
    return this.read("openDisputesOn", [claimKey]);
  }

  // ------------------------------------------------------------------ stake and bonds

  stake(amount: bigint): Promise<TxResult> {
    return this.write("stake", [], amount);
  }

  unbond(amount: bigint): Promise<TxResult> {
    return this.write("unbond", [amount]);
  }

  withdrawUnbonded(): Promise<TxResult> {
    return this.write("withdrawUnbonded", []);
  }

  depositBond(amount: bigint): Promise<TxResult> {
    return this.write("depositBond", [], amount);
  }

  withdrawBond(amount: bigint): Promise<TxResult> {
    return this.write("withdrawBond", [amount]);
  }

  // ------------------------------------------------------------------ models

  async registerModel(m: ModelRegistration, cid: Uint8Array | Hex): Promise<TxResult & { modelId: Hex }> {
    const cidHex = typeof cid === "string" ? cid : toHex(cid);
    const r = await this.write("registerModel", [m, cidHex]);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "ModelRegistered" });
    return { ...r, modelId: ev.args.modelId };
  }

  /** Registers a model from its commitment: the roots, counts and file CID its id is made of. */
  registerCommittedModel(m: ModelIdParts): Promise<TxResult & { modelId: Hex }> {
    return this.registerModel(modelRegistration(m), m.cidBytes);
  }

  // ------------------------------------------------------------------ dispute game

  /** Names the dispute game (deployer only, once; deployBridge does it). */
  setDisputeGame(game: Address): Promise<TxResult> {
    return this.write("setDisputeGame", [game]);
  }

  // ------------------------------------------------------------------ reads

  private read<const F extends ReadName>(functionName: F, args: readonly unknown[] = []) {
    return this.clients.publicClient.readContract({
      address: this.address,
      abi: bridgeAbi,
      functionName,
      args,
    } as Parameters<L1Clients["publicClient"]["readContract"]>[0]) as Promise<ReadResult<F>>;
  }

  async config(): Promise<{
    sequencer: Address;
    challengeWindow: bigint;
    unbondingDelay: bigint;
    minWorkerStake: bigint;
    challengerBond: bigint;
  }> {
    const [sequencer, challengeWindow, unbondingDelay, minWorkerStake, challengerBond] = await Promise.all([
      this.read("sequencer"),
      this.read("challengeWindow"),
      this.read("unbondingDelay"),
      this.read("minWorkerStake"),
      this.read("challengerBond"),
    ]);
    return { sequencer, challengeWindow, unbondingDelay, minWorkerStake, challengerBond };
  }

  /** Send a signed L2 tx (its wire JSON bytes) through the L1 inbox; returns its inbox index. */
  async forceTransaction(signedL2Tx: Hex): Promise<TxResult & { inboxIndex: bigint }> {
    const r = await this.write("forceTransaction", [signedL2Tx]);
    const [ev] = parseEventLogs({ abi: bridgeAbi, logs: r.receipt.logs, eventName: "TransactionForced" });
    return { ...r, inboxIndex: ev.args.inboxIndex };
  }

  inboxLength() {
    return this.read("inboxLength");
  }

  /** Inbox message `index`: its rolling hash (after it) and when it was queued. */
  inboxMessage(index: bigint) {
    return this.read("getInboxMessage", [index]);
  }

  /** Seconds an inbox message may wait before every batch must consume it. */
  forcedInclusionDelay() {
    return this.read("forcedInclusionDelay");
  }

  batchCount() {
    return this.read("batchCount");
  }
  getBatch(index: bigint) {
    return this.read("getBatch", [index]);
  }
  isBatchFinalized(index: bigint) {
    return this.read("isBatchFinalized", [index]);
  }
  batchFinalizesAt(index: bigint) {
    return this.read("batchFinalizesAt", [index]);
  }
  /** Sequencer only: records the root of batch `batchIndex`'s claims tree (protocol/claims.ts). */
  recordBatchClaims(batchIndex: bigint, claimsRoot: Hex): Promise<TxResult> {
    return this.write("recordBatchClaims", [batchIndex, claimsRoot]);
  }
  /** Batch `index`'s recorded claims root and when L1 recorded it (recordedAt 0: not recorded). */
  async batchClaims(index: bigint): Promise<{ root: Hex; recordedAt: bigint }> {
    const [root, recordedAt] = await this.read("batchClaims", [index]);
    return { root, recordedAt };
  }
  /** When `claimKey`, proven in batch `batchIndex`'s claims tree, stopped being disputable. */
  claimFinalAt(batchIndex: bigint, claimKey: Hex, p: { leafIndex: number; leafCount: number; proof: Hex[] }) {
    return this.read("claimFinalAt", [
      batchIndex,
      claimKey,
      BigInt(p.leafIndex),
      BigInt(p.leafCount),
      p.proof,
    ]);
  }
  claimLeaf(claimKey: Hex) {
    return this.read("claimLeaf", [claimKey]);
  }
  stakeOf(worker: Address) {
    return this.read("stakeOf", [worker]);
  }
  isBondedWorker(worker: Address) {
    return this.read("isBondedWorker", [worker]);
  }
  bondOf(challenger: Address) {
    return this.read("bondOf", [challenger]);
  }
  getModel(modelId: Hex) {
    return this.read("getModel", [modelId]);
  }
  isModelRegistered(modelId: Hex) {
    return this.read("isModelRegistered", [modelId]);
  }
  /** The CID (binary, as registered) of model `modelId` from its ModelRegistered log; null when unregistered. */
  async registeredModelCid(modelId: Hex): Promise<Hex | null> {
    const [ev] = await this.clients.publicClient.getContractEvents({
      address: this.address,
      abi: bridgeAbi,
      eventName: "ModelRegistered",
      args: { modelId },
      fromBlock: 0n,
      toBlock: "latest",
      strict: true,
    });
    return ev ? ev.args.cid : null;
  }
  withdrawalClaimed(leaf: Hex) {
    return this.read("withdrawalClaimed", [leaf]);
  }
  /** The EIP-712 digest of `claim` in this bridge's domain, computed by the contract. */
  claimDigest(claim: ClaimMessage) {
    return this.read("claimDigest", [claim]);
  }
  /** Who signed `claim` as the contract recovers it. */
  claimSigner(claim: ClaimMessage, signature: Hex) {
    return this.read("claimSigner", [claim, signature]);
  }
  /** Who signed `digest` under the one canonical signature encoding (reverts naming the broken rule). */
  signerOf(digest: Hex, signature: Hex) {
    return this.read("signerOf", [digest, signature]);
  }
  depositCount() {
    return this.read("depositCount");
  }
  /** The DisputeGame allowed to lock bonds and settle disputes (zero until set). */
  disputeGame() {
    return this.read("disputeGame");
  }
  /** ETH burned by dispute settlements (the loser's half). */
  burned() {
    return this.read("burned");
  }
  bridgedBalance() {
    return this.read("bridgedBalance");
  }
  requestCount() {
    return this.read("requestCount");
  }
  /** A request's requester, deadline and, once delivered, its result status, claim and output root. */
  getRequest(requestId: bigint) {
    return this.read("getRequest", [requestId]);
  }
  /** The result leaf as the contract computes it (protocol/withdrawal.ts `resultLeaf`). */
  resultLeaf(requestId: bigint, claimKey: Hex, outputRoot: Hex, outputCid: Hex) {
    return this.read("resultLeaf", [requestId, claimKey, outputRoot, outputCid]);
  }
}

type ReadName = Extract<
  (typeof bridgeAbi)[number],
  { type: "function"; stateMutability: "view" | "pure" }
>["name"];
type ReadResult<F extends ReadName> = ReadContractReturnType<typeof bridgeAbi, F>;
