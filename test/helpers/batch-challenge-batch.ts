/**
 * The sequences the batch-challenge one-step tests (test/integration/bridge/batch-challenge-*)
 * share, one definition each: sealing blocks, a batch's blocks as the replay takes them, posting
 * blocks as the next batch, a lying batch's state root, the step witness of one tx, a read-only
 * call of the verifier's one-step, and the lying challengers an honest batch meets.
 */
import type { Test } from "tap";
import type { Abi, Hex } from "viem";
import type { BatchChallengeContract } from "../../bridge/batch-challenge.ts";
import type { BridgeContract } from "../../bridge/bridge.ts";
import type { L1PublicClient } from "../../bridge/clients.ts";
import { fromHex, toHex } from "../../protocol/bytes.ts";
import { ZERO32 } from "../../protocol/merkle.ts";
import type { Tx } from "../../protocol/tx.ts";
import { buildBatch, lastTimeThrough } from "../../sequencer/batch.ts";
import type { Block } from "../../sequencer/block.ts";
import type { Chain, GenesisConfig } from "../../sequencer/chain.ts";
import { stepCommitment } from "../../sequencer/fault-proof/encoding.ts";
import {
  type BatchReplay,
  type BatchStart,
  type NotOnL1,
  replayBatch,
  type StepWitness,
} from "../../sequencer/fault-proof/steps.ts";
import type { StateRecord } from "../../sequencer/state/records.ts";
import { challengerLiars } from "./adversary/batch-liars.ts";
import { rejectsWith, stateRootOf } from "./batch-challenge-rig.ts";

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

/**
 * The lying challengers every honest batch of these tests meets (for `survivesLyingChallengers`):
 * one that disagrees with everything (its one-step lands on tx 0), one that disagrees from tx
 * `from` (`fromWhat`) on, and one that agrees with everything (its one-step lands on tx `last`).
 */
export const threeLyingChallengers = (fromWhat: string, from: number, last: number) =>
  [
    ["disagrees with everything", challengerLiars.disagreeAll, 0n],
    [`disagrees from ${fromWhat} on`, challengerLiars.disagreeFrom(from), BigInt(from)],
    ["agrees with everything", challengerLiars.agreeAll, BigInt(last)],
  ] as const;

/**
 * Seals L2 blocks for real on `chain` (`key`: the sequencer's), the first block's txs admitted at
 * 1,000,000 ms and each next block's 1 s later. `now()`: the time the next block's txs get;
 * `timeBefore(n)`: the last timed tx's block time before block `n` (a batch's C_0 carries it).
 */
export function blockSealer(chain: Chain, key: Uint8Array) {
  let ts = 1_000_000;
  const origin = { number: 0, hash: `0x${"00".repeat(32)}` as Hex };
  const sealed: Block[] = [];
  return {
    now: () => ts,
    seal: (txs: Tx[]): Block => {
      for (const tx of txs) chain.admit(tx, chain.txHash(tx), ts);
      ts += 1000;
      sealed.push(chain.seal(origin, key).block);
      return sealed[sealed.length - 1];
    },
    timeBefore: (n: number) =>
      lastTimeThrough(
        0,
        sealed.filter((x) => x.header.number < n),
      ),
  };
}

/**
 * The state root a lying batch posts: `truth`'s final state with `lie` applied. Asserts that the lie
 * changed the root (a lie that changes nothing would prove nothing).
 */
export function liedRoot(
  t: Test,
  what: string,
  truth: BatchReplay,
  lie: (state: Map<string, StateRecord>) => void,
): Hex {
  const lied = new Map(truth.finalState);
  lie(lied);
  const lieRoot = stateRootOf(lied);
  t.not(lieRoot, stateRootOf(truth.finalState), `${what}: the liar's root is not the truth`);
  return lieRoot;
}

/**
 * The commitment a lying batch ends on: its lied state root, no L2 message, `inboxHash` (default:
 * the truth's) and the truth's last time (the lie is in the state only).
 */
export const lieCommitmentOf = (lieRoot: Hex, truth: BatchReplay, inboxHash: Hex = truth.finalInboxHash) =>
  stepCommitment(fromHex(lieRoot), ZERO32, fromHex(inboxHash), truth.finalLastTime);

/**
 * Asserts the two hostile witnesses every proven-wrong tx must survive are refused by `game`'s
 * proveStep on challenge `id`: a record left out (RecordCount) and tx bytes with a made-up block
 * time (TxNotInBatch: the block time is part of the tx leaf, so another one is another tx).
 */
export async function rejectsRecordLeftOutAndOtherTime(
  t: Test,
  game: BatchChallengeContract,
  id: bigint,
  w: StepWitness,
): Promise<void> {
  await rejectsWith(
    t,
    game.proveStep(id, { ...w, records: w.records.slice(1) }),
    "RecordCount",
    "a record left out",
  );
  await rejectsOtherBlockTime(t, game, id, w);
}

/**
 * Asserts that `game`'s proveStep on challenge `id` refuses `w` with a made-up block time in its
 * tx bytes (TxNotInBatch: the block time is part of the tx leaf, so another one is another tx).
 */
export async function rejectsOtherBlockTime(
  t: Test,
  game: BatchChallengeContract,
  id: bigint,
  w: StepWitness,
): Promise<void> {
  const otherTime = `${w.txBytes.slice(0, 4)}${"ff".repeat(8)}${w.txBytes.slice(20)}` as Hex;
  await rejectsWith(
    t,
    game.proveStep(id, { ...w, txBytes: otherTime }),
    "TxNotInBatch",
    "a made-up block time",
  );
}
