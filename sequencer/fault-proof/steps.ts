/**
 * Per-tx replay of a batch for the batch challenge (docs/rollup.md 8c): the step commitment after
 * every tx (what the sequencer reveals in the bisection and a challenger compares), and the
 * witness of one step (the tx with its proof against the batch's txRoot, and the records it
 * touches, each proven against the state root as the on-chain one-step updates it). Pure: the
 * caller passes the state, the L1 inbox hash and the last block time at the batch start (for batch 0
 * the genesis state, 0 and 0; else the previous batch's inboxHash and lastTime as the Bridge
 * recorded them) and the blocks.
 */
import { concatBytes, fromHex, toHex } from "../../protocol/bytes.ts";
import { l2Domain, claimDomain as makeClaimDomain } from "../../protocol/eip712.ts";
import { merkleLevels, merkleProof, ZERO32 } from "../../protocol/merkle.ts";
import { sha256 } from "../../protocol/sha256.ts";
import { decodeTx, type Hex, isSystemTx, type Tx, txDigest, verifyTxSignature } from "../../protocol/tx.ts";
import { messageLeaf, txMessages } from "../../protocol/withdrawal.ts";
import { type BatchBlock, batchDataSteps } from "../batch-data.ts";
import type { GenesisConfig } from "../chain.ts";
import { applyTx, type ChainParams, type TxContext } from "../state/machine.ts";
import type { StateAccess } from "../state/overlay.ts";
import { type Job, keys, type StateRecord } from "../state/records.ts";
import { SparseMerkleTree } from "../state/smt.ts";
import {
  decodeForcedData,
  inboxMessageHash,
  lastTimeAfter,
  messageChainOf,
  nextInboxHash,
  nextMessageChain,
  recordBytes,
  recordValueHash,
  stepCommitment,
  txBytes,
  txLeaf,
  txRootOf,
} from "./encoding.ts";

/** Every tx of the batch, blocks flattened, with the timestamp of its block. */
export function batchTxs(blocks: readonly BatchBlock[]): { tx: Tx; timestamp: number }[] {
  const out: { tx: Tx; timestamp: number }[] = [];
  for (const b of blocks) for (const j of b.txs) out.push({ tx: decodeTx(j), timestamp: b.header.timestamp });
  return out;
}

export function batchTxRoot(blocks: readonly BatchBlock[]): { txRoot: Hex; txCount: number } {
  const leaves = batchTxs(blocks).map((t) => txLeaf(t.tx, t.timestamp));
  return { txRoot: toHex(txRootOf(leaves)), txCount: leaves.length };
}

/**
 * The state keys a tx's one-step reads and writes, in the order the contract takes their proofs
 * (BatchStepVerifier / JobStepRules / GenerationStepRules): distinct, first occurrence first; the same list whether the
 * rule accepts or refuses the tx. `txHash`: the tx's EIP-712 digest (a posted job's id). `get`:
 * the state before the tx (a finalize's keys depend on its job's requester and worker). Null: no
 * one-step yet.
 */
export function touchedKeys(
  tx: Tx,
  params: ChainParams,
  txHash: Hex,
  get: (key: string) => StateRecord | undefined = () => undefined,
): string[] | null {
  const list: string[] = [];
  const add = (k: string) => {
    if (!list.includes(k)) list.push(k);
  };
  switch (tx.type) {
    case "transfer":
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      if (tx.amount > 0n) add(keys.account(tx.to));
      return list;
    case "withdraw":
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      return list;
    case "registerWorker":
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      add(keys.worker(tx.from));
      return list;
    case "postJob":
    case "postGenerationJob":
      // the model must be registered and the job id (this tx's hash) fresh: both read, only the job written
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      add(keys.model(tx.modelId));
      add(keys.job(txHash));
      return list;
    case "claimJob":
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      add(keys.job(tx.jobId));
      add(keys.worker(tx.from));
      add(keys.stake(tx.from));
      return list;
    case "submitResult":
    case "submitGeneration":
      // the job's open disputes and the worker's stake are read; the worker's active count written
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      add(keys.job(tx.claim.jobId));
      add(keys.jobDisputes(tx.claim.jobId));
      add(keys.stake(tx.from));
      add(keys.worker(tx.from));
      return list;
    case "finalize": {
      // the job, then (JobStepRules._finalize) who its escrow goes to as an L2 credit: the worker
      // of a submitted job, the requester of an open or claimed L2 job; then the job's worker's
      // record (active count) and stake (collateral), whatever the rule decides
      add(keys.account(tx.from));
      if (tx.fee > 0n) add(keys.account(params.feeRecipient.toLowerCase()));
      add(keys.job(tx.jobId));
      const j = get(keys.job(tx.jobId)) as Job | undefined;
      if (!j) return list;
      if (j.status === "submitted" && j.worker) add(keys.account(j.worker));
      else if ((j.status === "open" || j.status === "claimed") && j.source === "l2")
        add(keys.account(j.requester));
      if (j.worker) {
        add(keys.worker(j.worker));
        add(keys.stake(j.worker));
      }
      return list;
    }
    case "deposit":
      add(keys.deposit(tx.depositId));
      if (tx.amount > 0n) add(keys.account(tx.recipient));
      return list;
    // The L1 events (L1EventStepRules): the record the replay check reads and the rule writes. A
    // slash's stake change (no inboxIndex, kind 0x88) reads and writes the same stake record.
    case "modelRegistered":
      add(keys.model(tx.modelId));
      return list;
    case "l1InferenceRequest":
      // the request's marker (read: a replay is refused; written), then the job (this tx's hash)
      add(keys.l1Request(tx.requestId));
      add(keys.job(txHash));
      return list;
    case "workerStake":
      add(keys.stake(tx.worker));
      return list;
    // The DisputeGame's events (DisputeEventStepRules): the job and its open disputes; an opening
    // then its l1/dispute/<id> marker (read: a replay is refused; written); a loss (claimerWon
    // false) of a job that can still be refunded also touches, read from the job before the tx,
    // the worker record of a claimed job (active count), the worker's stake (collateral) and an
    // L2 requester's account (the refund).
    case "disputeOpened":
      add(keys.job(tx.jobId));
      add(keys.jobDisputes(tx.jobId));
      add(keys.dispute(tx.disputeId));
      return list;
    case "disputeResolved": {
      add(keys.job(tx.jobId));
      add(keys.jobDisputes(tx.jobId));
      const j = get(keys.job(tx.jobId)) as Job | undefined;
      if (tx.claimerWon || !j || !["claimed", "submitted", "disputed"].includes(j.status)) return list;
      if (j.worker) {
        if (j.status === "claimed") add(keys.worker(j.worker));
        add(keys.stake(j.worker));
      }
      if (j.source === "l2") add(keys.account(j.requester));
      return list;
    }
    case "forcedTx": {
      // The records of the user tx it encodes (`txHash`: that tx's hash, a forced postJob's job id);
      // none when its bytes encode no user tx (the one-step finds that from the bytes alone).
      try {
        return touchedKeys(decodeForcedData(fromHex(tx.data)), params, txHash, get);
      } catch {
        return [];
      }
    }
    default:
      return null;
  }
}

/** The hash touchedKeys takes for `tx`: a forced tx's is the hash of the user tx it encodes. */
function keysHash(tx: Tx, txHash: Hex, domain: ReturnType<typeof l2Domain>): Hex {
  if (tx.type !== "forcedTx") return txHash;
  try {
    return toHex(txDigest(decodeForcedData(fromHex(tx.data)), domain));
  } catch {
    return txHash;
  }
}

/** One touched record as the one-step takes it (BatchChallenge `RecordProof`). */
export interface RecordWitness {
  key: string;
  /** recordBytes of the record before the tx; "0x" when absent. */
  value: Hex;
  present: boolean;
  /** Siblings from the root down, against the root after the previous records' writes. */
  siblings: Hex[];
  /** Where an absent key's path ends at another key's leaf: that leaf. */
  hasOther: boolean;
  otherPath: Hex;
  otherValueHash: Hex;
}

export interface StepWitness {
  index: number;
  txBytes: Hex;
  txProof: Hex[];
  records: RecordWitness[];
  /** Commitments before and after the tx. */
  pre: Hex;
  post: Hex;
  /** The roots before the tx (the one-step takes them to open `pre`). */
  preStateRoot: Hex;
  preMessageChain: Hex;
  preInboxHash: Hex;
  /** The last timed tx's block time before the tx (ms). */
  preLastTime: number;
}

/** Where a batch starts: the full state, and the L1 inbox hash its first derived tx rolls on. */
export interface BatchStart {
  state: Iterable<[string, StateRecord]>;
  inboxHash: Hex;
  /** The previous batch's lastTime as the Bridge recorded it (0 before batch 0). */
  lastTime: number;
}

/** What a step commitment hashes. */
export interface StepRoots {
  stateRoot: Hex;
  messageChain: Hex;
  inboxHash: Hex;
  /** The block time (ms) of the last timed tx so far (docs/rollup.md 8c). */
  lastTime: number;
}

export interface BatchReplay {
  /** commitments[k] = C_k, the commitment after the first k txs; length txCount + 1. */
  commitments: Hex[];
  /** roots[k]: what C_k hashes. */
  roots: StepRoots[];
  txRoot: Hex;
  txCount: number;
  /** Every L2 -> L1 message leaf of the batch, in order (BatchChallenge.revealMessages). */
  messageLeaves: Hex[];
  /** Only when `witnessAt` was given. */
  witness?: StepWitness;
  /** The state after the batch (the start state of the next one). */
  finalState: Map<string, StateRecord>;
  /** The inbox hash after the batch's derived txs (what its Bridge record must hold). */
  finalInboxHash: Hex;
  /** The last timed tx's block time after the batch (what postBatch states as its lastTime). */
  finalLastTime: number;
  /**
   * The first step the rules refuse (bytes that encode no tx included), null when none: such a
   * step changes no state, yet a batch holding it is wrong (the one-step at it wins).
   */
  firstRefused: number | null;
}

/** The replay's state: a map, remembering the value each written key had before the tx. */
class MapState implements StateAccess {
  readonly before = new Map<string, StateRecord | undefined>();
  readonly map: Map<string, StateRecord>;
  constructor(map: Map<string, StateRecord>) {
    this.map = map;
  }
  get(key: string): StateRecord | undefined {
    return this.map.get(key);
  }
  set(key: string, value: StateRecord): void {
    if (!this.before.has(key)) this.before.set(key, this.map.get(key));
    this.map.set(key, value);
  }
}

/**
 * Replays the batch tx by tx from `start` (the full state at the batch start). A tx the state
 * machine refuses leaves the state as it was (a lying batch may hold one; the one-step proves it),
 * and so does a timed tx stamped below the last timed tx's time (lastTimeAfter: refused on chain).
 * `notOnL1(i, tx, state)`: the derived txs the caller's own reading of L1 finds no ground for (a
 * disputeOpened or disputeResolved that does not match the DisputeGame's dispute): the state
 * machine has no view of L1 and would apply them, the one-step refuses them
 * (DisputeEventStepRules), so a challenger's replay takes them as refused. `state` is the state
 * before the tx (whether the one-step can refuse a moved dispute depends on its job record).
 */
export function replayBatch(
  genesis: GenesisConfig,
  start: BatchStart,
  blocks: readonly BatchBlock[],
  witnessAt?: number,
  notOnL1?: NotOnL1,
): BatchReplay {
  return replaySteps(genesis, start, stepsOfBlocks(blocks), witnessAt, notOnL1);
}

export type NotOnL1 = (index: number, tx: Tx, state: ReadonlyMap<string, StateRecord>) => boolean;

/**
 * One step of a batch: the tx bytes the batch's txRoot holds, the tx they encode (null: none, so
 * the step is refused, on chain and here) and the block time its rule runs at.
 */
export interface ReplayStep {
  bytes: Uint8Array;
  tx: Tx | null;
  timestamp: number;
}

/** The steps of blocks (their txs, each encoded at its block's time). */
export function stepsOfBlocks(blocks: readonly BatchBlock[]): ReplayStep[] {
  return batchTxs(blocks).map(({ tx, timestamp }) => ({ bytes: txBytes(tx, timestamp), tx, timestamp }));
}

/**
 * The steps of posted batch data, from its tx section alone (what L1 hashed into the batch's
 * txRoot; batch-data.ts batchDataSteps): the replay a challenger plays whatever the body says. A
 * kind with no block time in its bytes runs at the last time seen (its rule reads none).
 */
export function stepsOfBatchData(data: Uint8Array, startTime: number): ReplayStep[] {
  let time = startTime;
  return batchDataSteps(data).map(({ bytes, decoded }) => {
    if (decoded?.blockTime != null) time = decoded.blockTime;
    return { bytes, tx: decoded?.tx ?? null, timestamp: time };
  });
}

/** replayBatch over steps (see there). */
export function replaySteps(
  genesis: GenesisConfig,
  start: BatchStart,
  steps: readonly ReplayStep[],
  witnessAt?: number,
  notOnL1?: NotOnL1,
): BatchReplay {
  const state = new Map<string, StateRecord>(start.state);
  const tree = new SparseMerkleTree();
  for (const [k, v] of state) tree.set(k, recordValueHash(k, v));
  const domain = l2Domain(genesis.l2ChainId);
  const claimDomain = makeClaimDomain(genesis.l1ChainId, genesis.bridge);
  const leaves = steps.map((t) => sha256(t.bytes));
  const levels = leaves.length ? merkleLevels(concatBytes(...leaves)) : [];
  let chain: Uint8Array = ZERO32;
  let inbox: Uint8Array = fromHex(start.inboxHash);
  let lastTime = start.lastTime;
  const messageLeaves: Uint8Array[] = [];
  const roots: StepRoots[] = [];
  const commitments: Hex[] = [];
  const commit = () => {
    const r = {
      stateRoot: toHex(tree.rootHash()),
      messageChain: toHex(chain),
      inboxHash: toHex(inbox),
      lastTime,
    };
    roots.push(r);
    commitments.push(stepCommitment(fromHex(r.stateRoot), chain, inbox, lastTime));
  };
  commit();
  let witness: StepWitness | undefined;
  let firstRefused: number | null = null;
  steps.forEach(({ bytes, tx, timestamp }, i) => {
    if (tx === null) {
      // bytes that encode no tx: refused, changing nothing; the one-step needs no record
      if (witnessAt === i) witness = stepWitness(i, bytes, levels, commitments[i], roots[i], []);
      firstRefused ??= i;
      commit();
      if (witness && witnessAt === i) witness.post = commitments[i + 1];
      return;
    }
    const txHash = toHex(txDigest(tx, domain));
    const ctx: TxContext = { timestamp, txHash, params: genesis.params, claimDomain, l2Domain: domain };
    const s = new MapState(state);
    let outcome: ReturnType<typeof applyTx> | null = null;
    const nextLastTime = lastTimeAfter(lastTime, bytes);
    try {
      // A user tx whose signature does not recover to its sender is refused, as Chain.verify does;
      // a timed tx stamped before the last timed one is refused before its rule runs.
      if (!isSystemTx(tx)) verifyTxSignature(tx, fromHex(txHash));
      if (notOnL1?.(i, tx, state)) throw new Error(`tx ${i} (${tx.type}) has no ground on L1`);
      if (nextLastTime !== null) outcome = applyTx(s, tx, ctx);
    } catch {
      outcome = null;
    }
    if (witnessAt === i) {
      // touchedKeys reads the state before the tx (a finalize's payee and worker): it was applied above
      const touched = touchedKeys(tx, genesis.params, keysHash(tx, txHash, domain), (k) =>
        s.before.has(k) ? s.before.get(k) : state.get(k),
      );
      if (touched === null) throw new Error(`tx ${i} is a ${tx.type}: it has no one-step yet`);
      for (const k of s.before.keys())
        if (!touched.includes(k))
          throw new Error(`tx ${i} (${tx.type}) wrote ${k}, which its one-step does not touch`);
      const records: RecordWitness[] = [];
      for (const k of touched) {
        const old = s.before.has(k) ? s.before.get(k) : state.get(k);
        const p = tree.proof(k);
        const hasOther = p.leaf !== null && !old;
        records.push({
          key: k,
          value: old ? toHex(recordBytes(k, old)) : "0x",
          present: !!old,
          siblings: p.siblings,
          hasOther,
          otherPath: hasOther && p.leaf ? p.leaf.path : toHex(ZERO32),
          otherValueHash: hasOther && p.leaf ? p.leaf.valueHash : toHex(ZERO32),
        });
        // The next record is proven against the root with this one written (as on chain).
        const now = state.get(k);
        if (now) tree.set(k, recordValueHash(k, now));
      }
      // the roots before the tx are C_i's (commit() ran after the previous tx; nothing moved since)
      witness = stepWitness(i, bytes, levels, commitments[i], roots[i], records);
    }
    if (!outcome) firstRefused ??= i;
    if (outcome) {
      for (const k of s.before.keys()) tree.set(k, recordValueHash(k, state.get(k) as StateRecord));
      for (const m of txMessages(outcome)) {
        const leaf = messageLeaf(m);
        messageLeaves.push(leaf);
        chain = nextMessageChain(chain, leaf);
      }
      // A derived tx consumes its inbox message (a deposit refused as a replay does not: the
      // one-step then finds the tx refused, so the batch is wrong whatever the inbox says).
      const m = inboxMessageHash(tx);
      if (m) inbox = nextInboxHash(inbox, m);
      lastTime = nextLastTime as number;
    }
    commit();
    if (witness && witnessAt === i) witness.post = commitments[i + 1];
  });
  return {
    commitments,
    roots,
    txRoot: toHex(txRootOf(leaves)),
    txCount: leaves.length,
    messageLeaves: messageLeaves.map(toHex),
    witness,
    finalState: state,
    finalInboxHash: toHex(inbox),
    finalLastTime: lastTime,
    firstRefused,
  };
}

/** Step `index`'s witness: its bytes proven against the tx tree, C_index and the roots it hashes, the records (post filled in after the step). */
function stepWitness(
  index: number,
  bytes: Uint8Array,
  levels: Uint8Array[],
  pre: Hex,
  roots: StepRoots,
  records: RecordWitness[],
): StepWitness {
  return {
    index,
    txBytes: toHex(bytes),
    txProof: merkleProof(levels, index).map(toHex),
    records,
    pre,
    post: "0x",
    preStateRoot: roots.stateRoot,
    preMessageChain: roots.messageChain,
    preInboxHash: roots.inboxHash,
    preLastTime: roots.lastTime,
  };
}

/**
 * C_n as the batch claims it: its state root, the chain of the message leaves it reveals, and the
 * inbox hash and last time the Bridge recorded for it.
 */
export function claimedFinalCommitment(
  stateRoot: Uint8Array,
  messageLeaves: readonly Uint8Array[],
  inboxHash: Uint8Array,
  lastTime: number,
): Hex {
  return stepCommitment(stateRoot, messageChainOf(messageLeaves), inboxHash, lastTime);
}
