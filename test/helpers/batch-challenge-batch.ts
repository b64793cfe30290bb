/**
 * The batch sequences the batch-challenge one-step tests (test/integration/bridge/batch-challenge-*)
 * share, one definition each: a batch's blocks as the replay takes them, posting blocks as the next
 * batch, the step witness of one tx, and a read-only call of the verifier's one-step.
 */
import type { Abi, Hex } from "viem";
import type { BridgeContract } from "../../bridge/bridge.ts";
import type { L1PublicClient } from "../../bridge/clients.ts";
import { toHex } from "../../protocol/bytes.ts";
import { ZERO32 } from "../../protocol/merkle.ts";
import { buildBatch, lastTimeThrough } from "../../sequencer/batch.ts";
import type { Block } from "../../sequencer/block.ts";
import type { GenesisConfig } from "../../sequencer/chain.ts";
import {
  type BatchStart,
  type NotOnL1,
  replayBatch,
  type StepWitness,
} from "../../sequencer/fault-proof/steps.ts";

/** A batch's blocks as the replay and the batch data take them (no receipts). */
export const batchBlocks = (blocks: Block[]) => blocks.map((x) => ({ header: x.header, txs: x.txs }));

/**
 * Posts `blocks` as the Bridge's next batch, counting `inboxCount` inbox messages. Its state root is
 * the blocks' own unless `stateRoot` (a lie) is given; its lastTime the last timed tx's after
 * `timeBefore` (the previous batch's lastTime, 0 for none) unless `lastTime` is given.
 */
export function postBlocks(
  bridge: BridgeContract,
  blocks: Block[],
  o: { inboxCount: bigint; stateRoot?: Hex; timeBefore?: number; lastTime?: number },
) {
  const batch = buildBatch(blocks);
  return bridge.postBatch({
    firstBlock: BigInt(batch.firstBlock),
    lastBlock: BigInt(batch.lastBlock),
    stateRoot: o.stateRoot ?? batch.stateRoot,
    withdrawalRoot: batch.withdrawalRoot,
    txDataHash: batch.txDataHash,
    cid: "0x01",
    txData: toHex(batch.txData),
    inboxCount: o.inboxCount,
    lastTime: BigInt(o.lastTime ?? lastTimeThrough(o.timeBefore ?? 0, blocks)),
  });
}

/** The step witness of tx `i` of `blocks` replayed from `start`; throws where there is none. */
export function witnessAt(
  genesis: GenesisConfig,
  start: BatchStart,
  blocks: Block[],
  i: number,
  notOnL1?: NotOnL1,
): StepWitness {
  const w = replayBatch(genesis, start, batchBlocks(blocks), i, notOnL1).witness;
  if (!w) throw new Error(`no witness for tx ${i}`);
  return w;
}

/** BatchStepVerifier.step's arguments for a witness. */
export const stepArgs = (w: StepWitness) =>
  [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records] as const;

/**
 * The verifier's one-step on a witness, read (not sent) from `verifier`: [applied, post]. `abi`
 * holds the verifier's and the rules' errors (the verifier forwards a tx to its rules as it is).
 */
export const stepReader =
  (publicClient: L1PublicClient, verifier: Hex, abi: Abi) =>
  (w: StepWitness): Promise<[boolean, Hex[]]> =>
    publicClient
      .readContract({ address: verifier, abi, functionName: "step", args: stepArgs(w) } as never)
      .then((r) => r as [boolean, Hex[]]);

/** The inbox hash the Bridge records for a batch that counts `count` messages. */
export const recordedInbox = async (bridge: BridgeContract, count: bigint): Promise<Hex> =>
  count === 0n ? toHex(ZERO32) : ((await bridge.inboxMessage(count - 1n)).rollingHash as Hex);
