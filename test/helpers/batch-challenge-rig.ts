/**
 * The setup the batch-challenge one-step tests share (test/integration/bridge/batch-challenge-jobs
 * and batch-challenge-l1-events): the embedded chain with the real Bridge, a real L2 Chain over a
 * dev genesis bound to that Bridge, the BatchChallenge deployed for that genesis with a funded
 * sequencer bond, and the helpers that play a challenge, name a revert and build witnesses.
 */
import type { Test } from "tap";
import { BaseError, ContractFunctionRevertedError, type Hex, parseEther } from "viem";
import {
  BatchChallengeContract,
  challengerMove,
  deployBatchChallenge,
  PHASE,
  sequencerMove,
} from "../../bridge/batch-challenge.ts";
import type { BridgeContract, BridgeRevert } from "../../bridge/bridge.ts";
import { deployBridge } from "../../bridge/deploy.ts";
import { toHex } from "../../protocol/bytes.ts";
import type { buildBatch } from "../../sequencer/batch.ts";
import { Chain } from "../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../sequencer/devkit.ts";
import { recordValueHash } from "../../sequencer/fault-proof/encoding.ts";
import type { BatchReplay, StepWitness } from "../../sequencer/fault-proof/steps.ts";
import { keys, type StateRecord } from "../../sequencer/state/records.ts";
import { SparseMerkleTree } from "../../sequencer/state/smt.ts";
import { sequencerLiars } from "./adversary/batch-liars.ts";
import { embeddedBackend } from "./l1.ts";

export const RIG = {
  /** Bridge.challengeWindow (s): how long a batch can be challenged. */
  window: 120n,
  /** Each side's chess clock (s) for a whole challenge. */
  clock: 60n,
  sequencerBond: parseEther("1"),
  challengerBond: parseEther("0.1"),
} as const;

/** The custom error a contract call reverted with, "no revert", or the error's text. */
export async function revertName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no revert";
  } catch (err) {
    const r = err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError);
    return r instanceof ContractFunctionRevertedError ? (r.data?.errorName ?? "unnamed") : String(err);
  }
}

/** Asserts that a Bridge/BatchChallenge client call is refused with `errorName`. */
export async function rejectsWith(
  t: Test,
  p: Promise<unknown>,
  errorName: string,
  what: string,
): Promise<void> {
  try {
    await p;
    t.fail(`${what}: expected ${errorName}, but it succeeded`);
  } catch (err) {
    t.equal((err as BridgeRevert).errorName, errorName, `${what}: ${errorName}`);
  }
}

/** The state root of a full state (what a liar's mutated state commits). */
export function stateRootOf(state: Iterable<[string, StateRecord]>): Hex {
  const tree = new SparseMerkleTree();
  for (const [k, v] of state) tree.set(k, recordValueHash(k, v));
  return toHex(tree.rootHash());
}

/**
 * The embedded chain, the Bridge, an L2 genesis funding the first `funded` of four dev keys
 * (`seed`) with 10,000 wei each (the fourth is the fee recipient), the real L2 Chain at its
 * genesis, and the batch challenge deployed for it with the sequencer's bond deposited. The
 * sequencer is dev account 0, the honest challenger account 1, a lying challenger account 2.
 */
export async function challengeRig(t: Test, opts: { seed: string; claimCollateral: bigint }) {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const seqClients = b.clients(0);
  const d = await deployBridge(seqClients, {
    challengeWindow: RIG.window,
    unbondingDelay: 1200n,
    minWorkerStake: parseEther("1"),
    challengerBond: RIG.challengerBond,
  });
  const bridge: BridgeContract = d.bridge;
  const devs = devKeys(4, opts.seed);
  const { genesis, key } = resolveGenesis({
    ...DEFAULTS,
    genesis: {
      ...devGenesis(devs.slice(0, 3), 10_000n),
      l1ChainId: String(d.chainId),
      bridge: d.address,
      minFee: "1",
      feeRecipient: devs[3].address,
      claimCollateral: opts.claimCollateral.toString(),
    },
  });
  const chain = new Chain(genesis);
  const genesisRoot = chain.initGenesis().block.header.stateRoot;
  /** The genesis state as the replay takes it. */
  const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
    keys.account(a.toLowerCase()),
    { balance: bal, nonce: 0 },
  ]);
  const challenge = await deployBatchChallenge(seqClients, {
    bridge: d.address,
    l2ChainId: genesis.l2ChainId,
    minFee: genesis.params.minFee,
    feeRecipient: genesis.params.feeRecipient,
    claimCollateral: genesis.params.claimCollateral,
    challengeWindowMs: BigInt(genesis.params.challengeWindowMs),
    genesisStateRoot: genesisRoot,
    sequencerBond: RIG.sequencerBond,
    challengerBond: RIG.challengerBond,
    clock: RIG.clock,
  });
  const seqGame = new BatchChallengeContract(seqClients, challenge.address);
  await seqGame.depositSequencerBond(RIG.sequencerBond);

  /**
   * Plays challenge `id` (the sequencer answering with `seq`, the challenger `ch`) until the
   * one-step is due (its phase, when `untilOneStep`) or the challenge ended (its phase); -1 when
   * the challenger's one-step was refused as right (StepIsRight: its clock will run out).
   */
  async function playTo(
    id: bigint,
    seq: { commitments: Hex[]; messageLeaves: Hex[] },
    ch: { game: BatchChallengeContract; replay: BatchReplay; witness: (i: number) => StepWitness },
    untilOneStep: boolean,
  ): Promise<number> {
    for (let round = 0; round < 64; round++) {
      const v = await seqGame.getChallenge(id);
      if (v.phase >= PHASE.sequencerWon) return v.phase;
      if (untilOneStep && v.phase === PHASE.awaitOneStep) return v.phase;
      if (v.phase === PHASE.awaitMessages || v.phase === PHASE.awaitMid) {
        await sequencerMove(seqGame, id, seq);
        continue;
      }
      try {
        await challengerMove(ch.game, id, ch.replay, ch.witness);
      } catch (err) {
        if ((err as BridgeRevert).errorName !== "StepIsRight") throw err;
        return -1;
      }
    }
    throw new Error("challenge did not end in 64 moves");
  }

  /**
   * Batch `index` (its `blocks`, replayed as `truth`) is challenged by the honest challenger
   * against a sequencer that tells the truth until its last tx and ends on `lieCommitment`: with
   * `hostile`, the challenger first sends hostile witnesses at the one-step, which must move
   * nothing; then the last tx is proven wrong (`reason`) and the batch removed. The sequencer's
   * bond is topped up again for the next lie.
   */
  async function proveLastTxWrong(
    t: Test,
    what: string,
    o: {
      index: bigint;
      blocks: Parameters<typeof buildBatch>[0];
      truth: BatchReplay;
      lieCommitment: Hex;
      witness: (i: number) => StepWitness;
      reason: string;
      hostile?: (id: bigint, w: StepWitness) => Promise<void>;
      /** How the assertion names the last tx. */
      lastTx: string;
    },
  ): Promise<void> {
    const last = o.truth.txCount - 1;
    const liar = sequencerLiars.truthUntil(last)(o.truth, o.lieCommitment, []);
    const c = await chGame.challengeBatch(o.index, RIG.challengerBond);
    const ch = { game: chGame, replay: o.truth, witness: o.witness };
    if (o.hostile) {
      t.equal(await playTo(c.id, liar, ch, true), PHASE.awaitOneStep);
      await o.hostile(c.id, o.witness(last));
      t.equal(
        (await seqGame.getChallenge(c.id)).phase,
        PHASE.awaitOneStep,
        `${what}: hostile witnesses moved nothing`,
      );
    }
    t.equal(await playTo(c.id, liar, ch, false), PHASE.challengerWon, `${what}: the honest challenger wins`);
    t.same(await seqGame.resolution(c.id), { challengerWon: true, reason: o.reason }, `${what}: ${o.reason}`);
    t.equal((await seqGame.getChallenge(c.id)).lo, BigInt(last), `${what}: proven at ${o.lastTx}`);
    t.equal(await bridge.batchCount(), o.index, `${what}: the batch is removed`);
    await seqGame.depositSequencerBond(RIG.sequencerBond);
  }
  const chGame = seqGame.as(b.wallet(1));
  const liarChGame = seqGame.as(b.wallet(2));

  /**
   * The honest batch `index` (its `blocks`, replayed as `truth`, answered by the honest sequencer)
   * is challenged by each lying challenger of `liars` (a name, the strategy, the tx its one-step
   * must land on); none can prove a tx wrong (StepIsRight), each loses on time, and the batch
   * stays. `what` names the txs in the assertions.
   */
  async function survivesLyingChallengers(
    t: Test,
    what: string,
    o: {
      index: bigint;
      blocks: Parameters<typeof buildBatch>[0];
      truth: BatchReplay;
      witness: (i: number) => StepWitness;
      liars: readonly (readonly [string, (truth: BatchReplay) => BatchReplay, bigint])[];
    },
  ): Promise<void> {
    const ids: bigint[] = [];
    for (const [name, liar, at] of o.liars) {
      const c = await liarChGame.challengeBatch(o.index, RIG.challengerBond);
      ids.push(c.id);
      t.equal(
        await playTo(c.id, o.truth, { game: liarChGame, replay: liar(o.truth), witness: o.witness }, false),
        -1,
        `a challenger that ${name} cannot prove ${what} wrong (StepIsRight)`,
      );
      t.equal((await seqGame.getChallenge(c.id)).lo, at, `its one-step is at tx ${at}`);
    }
    await b.increaseTime(Number(RIG.clock) + 1);
    for (const id of ids) {
      await seqGame.timeout(id);
      t.equal((await seqGame.getChallenge(id)).phase, PHASE.sequencerWon);
    }
    t.equal(await bridge.batchCount(), o.index + 1n, "the honest batch stays");
  }

  return {
    b,
    seqClients,
    d,
    bridge,
    /** The three funded dev keys and the fee recipient's. */
    devs,
    genesis,
    key,
    chain,
    start,
    challenge,
    seqGame,
    chGame,
    liarChGame,
    playTo,
    proveLastTxWrong,
    survivesLyingChallengers,
  };
}
