/**
 * The batch challenge on L1 (contracts/src/BatchChallenge.sol, docs/rollup.md 8c): deployment,
 * one typed client, and the honest moves of both sides computed from a replay of the batch
 * (sequencer/fault-proof/steps.ts). A player reads the challenge's phase and answers it; nothing
 * here trusts the other side's words: the challenger compares every revealed commitment with
 * its own replay, the sequencer answers from its own blocks.
 */
import type { Address, Hex } from "viem";
import { batchChallengeAbi, batchChallengeBytecode } from "../contracts/artifacts/BatchChallenge.ts";
import { batchStepVerifierAbi, batchStepVerifierBytecode } from "../contracts/artifacts/BatchStepVerifier.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import {
  disputeEventStepRulesAbi,
  disputeEventStepRulesBytecode,
} from "../contracts/artifacts/DisputeEventStepRules.ts";
import {
  generationStepRulesAbi,
  generationStepRulesBytecode,
} from "../contracts/artifacts/GenerationStepRules.ts";
import { jobStepRulesAbi } from "../contracts/artifacts/JobStepRules.ts";
import { l1EventStepRulesAbi } from "../contracts/artifacts/L1EventStepRules.ts";
import { toHex } from "../protocol/bytes.ts";
import { domainSeparator, l2Domain } from "../protocol/eip712.ts";
import type { BatchReplay, StepWitness } from "../sequencer/fault-proof/steps.ts";
import { BridgeRevert, simulateAndSend, type TxResult } from "./bridge.ts";
import { ContractClient, type L1Clients } from "./clients.ts";

export const PHASE = {
  awaitMessages: 1,
  awaitMid: 2,
  awaitVerdict: 3,
  awaitOneStep: 4,
  sequencerWon: 5,
  challengerWon: 6,
  void: 7,
} as const;

export interface BatchChallengeParams {
  bridge: Address;
  l2ChainId: bigint;
  minFee: bigint;
  feeRecipient: Address;
  /** ChainParams.claimCollateral of the genesis (the claimJob one-step checks the stake with it). */
  claimCollateral: bigint;
  /** ChainParams.challengeWindowMs of the genesis (the finalize one-step pays a submitted job after it). */
  challengeWindowMs: bigint;
  /** State root of the L2 genesis (the state before batch 0). */
  genesisStateRoot: Hex;
  sequencerBond: bigint;
  challengerBond: bigint;
  /** Seconds each side has for all its moves in one challenge. */
  clock: bigint;
}

/** The genesis parameters the one-steps check txs under (BatchStepVerifier's and its rules'). */
export type StepVerifierParams = Pick<
  BatchChallengeParams,
  "bridge" | "l2ChainId" | "minFee" | "feeRecipient" | "claimCollateral" | "challengeWindowMs"
>;

async function waitDeployed(clients: L1Clients, hash: Hex, what: string): Promise<Address> {
  const r = await clients.publicClient.waitForTransactionReceipt({
    hash,
    pollingInterval: clients.pollingIntervalMs,
  });
  if (r.status !== "success" || !r.contractAddress) throw new Error(`${what} failed (tx ${hash})`);
  return r.contractAddress;
}

/**
 * Deploys GenerationStepRules and DisputeEventStepRules, then BatchStepVerifier with them (the
 * verifier creates JobStepRules itself and refuses rules with other parameters; more rules inside
 * its init code would pass EIP-3860's 49,152 bytes). The dispute rules read the Bridge's
 * DisputeGame (their constructor refuses another); a Bridge address without code (the encoding
 * vectors' tests) gets none, and every dispute tx is then refused.
 */
export async function deployStepVerifier(clients: L1Clients, p: StepVerifierParams): Promise<Address> {
  const wallet = clients.walletClient;
  if (!wallet) throw new Error("deployStepVerifier: no wallet (pass a private key)");
  const common = [p.minFee, p.feeRecipient, p.claimCollateral, p.challengeWindowMs, p.bridge] as const;
  const generationRules = await waitDeployed(
    clients,
    await wallet.deployContract({
      abi: generationStepRulesAbi,
      bytecode: generationStepRulesBytecode,
      args: [toHex(domainSeparator(l2Domain(p.l2ChainId))), ...common],
    } as Parameters<typeof wallet.deployContract>[0]),
    "GenerationStepRules deployment",
  );
  const hasCode = !!(await clients.publicClient.getCode({ address: p.bridge }));
  const game = hasCode
    ? ((await clients.publicClient.readContract({
        address: p.bridge,
        abi: bridgeAbi,
        functionName: "disputeGame",
      })) as Address)
    : (`0x${"00".repeat(20)}` as Address);
  const disputeRules = await waitDeployed(
    clients,
    await wallet.deployContract({
      abi: disputeEventStepRulesAbi,
      bytecode: disputeEventStepRulesBytecode,
      args: [toHex(domainSeparator(l2Domain(p.l2ChainId))), ...common, game],
    } as Parameters<typeof wallet.deployContract>[0]),
    "DisputeEventStepRules deployment",
  );
  return waitDeployed(
    clients,
    await wallet.deployContract({
      abi: batchStepVerifierAbi,
      bytecode: batchStepVerifierBytecode,
      args: [p.l2ChainId, ...common, generationRules, disputeRules],
    } as Parameters<typeof wallet.deployContract>[0]),
    "BatchStepVerifier deployment",
  );
}

/** Deploys the one-step verifier (deployStepVerifier) and BatchChallenge and registers the challenge with the Bridge. */
export async function deployBatchChallenge(
  clients: L1Clients,
  p: BatchChallengeParams,
): Promise<{ address: Address; verifier: Address }> {
  const wallet = clients.walletClient;
  if (!wallet) throw new Error("deployBatchChallenge: no wallet (pass a private key)");
  const wait = async (hash: Hex, what: string) => {
    const r = await clients.publicClient.waitForTransactionReceipt({
      hash,
      pollingInterval: clients.pollingIntervalMs,
    });
    if (r.status !== "success") throw new Error(`${what} failed (tx ${hash})`);
    return r;
  };
  const verifier = await deployStepVerifier(clients, p);
  const address = (
    await wait(
      await wallet.deployContract({
        abi: batchChallengeAbi,
        bytecode: batchChallengeBytecode,
        args: [p.bridge, verifier, p.genesisStateRoot, p.sequencerBond, p.challengerBond, p.clock],
      }),
      "BatchChallenge deployment",
    )
  ).contractAddress as Address;
  await wait(
    await wallet.writeContract({
      address: p.bridge,
      abi: bridgeAbi,
      functionName: "setBatchChallenge",
      args: [address],
    } as Parameters<typeof wallet.writeContract>[0]),
    "Bridge.setBatchChallenge",
  );
  return { address, verifier };
}

export class BatchChallengeRevert extends BridgeRevert {}

export interface ChallengeView {
  batchIndex: bigint;
  /** Removals when the batch was posted (a reposted index is another batch). */
  epoch: bigint;
  challenger: Address;
  phase: number;
  /** L1 time of the last move, and each side's seconds left. */
  lastMoveAt: bigint;
  sequencerClock: bigint;
  challengerClock: bigint;
  lo: bigint;
  hi: bigint;
  txCount: bigint;
  cLo: Hex;
  cHi: Hex;
  cMid: Hex;
  txRoot: Hex;
}

/**
 * BatchChallenge's ABI with the custom errors of the one-step it calls (BatchStepVerifier,
 * JobStepRules, L1EventStepRules, GenerationStepRules and DisputeEventStepRules: a tampered record proof, a malformed record), so a refused
 * proveStep is named.
 */
const challengeAbiWithStepErrors = (() => {
  const names = new Set<string>(batchChallengeAbi.filter((e) => e.type === "error").map((e) => e.name));
  const extra = [
    ...batchStepVerifierAbi,
    ...jobStepRulesAbi,
    ...l1EventStepRulesAbi,
    ...generationStepRulesAbi,
    ...disputeEventStepRulesAbi,
  ].filter((e) => {
    if (e.type !== "error" || names.has(e.name)) return false;
    names.add(e.name);
    return true;
  });
  return [...batchChallengeAbi, ...extra];
})();

export class BatchChallengeContract extends ContractClient {
  private write(functionName: string, args: readonly unknown[], value?: bigint): Promise<TxResult> {
    return simulateAndSend(
      this.clients,
      this.wallet,
      {
        contract: "BatchChallenge",
        address: this.address,
        abi: challengeAbiWithStepErrors,
        functionName,
        args,
        value,
      },
      (f, e, a, d) => new BatchChallengeRevert(f, e, a, d),
    );
  }

  private read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.clients.publicClient.readContract({
      address: this.address,
      abi: batchChallengeAbi,
      functionName,
      args,
    } as Parameters<L1Clients["publicClient"]["readContract"]>[0]) as Promise<T>;
  }

  depositSequencerBond(amount: bigint): Promise<TxResult> {
    return this.write("depositSequencerBond", [], amount);
  }
  withdrawSequencerBond(amount: bigint): Promise<TxResult> {
    return this.write("withdrawSequencerBond", [amount]);
  }
  /**
   * Challenges batch `batchIndex` over the txRoot the Bridge computed from its data at postBatch
   * (sequencer/batch-data.ts): nothing to open.
   */
  async challengeBatch(batchIndex: bigint, bond: bigint): Promise<TxResult & { id: bigint }> {
    const before = await this.challengeCount();
    const r = await this.write("challengeBatch", [batchIndex], bond);
    return { ...r, id: before };
  }
  revealMessages(id: bigint, leaves: readonly Hex[]): Promise<TxResult> {
    return this.write("revealMessages", [id, leaves]);
  }
  revealMid(id: bigint, commitment: Hex): Promise<TxResult> {
    return this.write("revealMid", [id, commitment]);
  }
  judgeMid(id: bigint, agree: boolean): Promise<TxResult> {
    return this.write("judgeMid", [id, agree]);
  }
  proveStep(id: bigint, w: StepWitness): Promise<TxResult> {
    return this.write("proveStep", [
      id,
      [w.preStateRoot, w.preMessageChain, w.preInboxHash],
      BigInt(w.preLastTime),
      w.txBytes,
      w.txProof,
      w.records.map((r) => ({
        value: r.value,
        present: r.present,
        siblings: r.siblings,
        hasOther: r.hasOther,
        otherPath: r.otherPath,
        otherValueHash: r.otherValueHash,
      })),
    ]);
  }
  timeout(id: bigint): Promise<TxResult> {
    return this.write("timeout", [id]);
  }
  closeVoid(id: bigint): Promise<TxResult> {
    return this.write("closeVoid", [id]);
  }
  /** The genesis the challenge was deployed for (sequencer/fault-proof/genesis.ts compares it). */
  async deployedGenesis(): Promise<{
    genesisStateRoot: Hex;
    minFee: bigint;
    feeRecipient: Address;
    claimCollateral: bigint;
    challengeWindowMs: bigint;
    claimDomainSeparator: Hex;
    l2DomainSeparator: Hex;
    disputeRulesGame: Address;
    bridgeDisputeGame: Address;
  }> {
    const verifier = await this.read<Address>("verifier");
    const v = <T>(functionName: string) =>
      this.clients.publicClient.readContract({
        address: verifier,
        abi: batchStepVerifierAbi,
        functionName,
      } as Parameters<L1Clients["publicClient"]["readContract"]>[0]) as Promise<T>;
    const jobRules = await v<Address>("jobRules");
    const rules = <T>(functionName: string) =>
      this.clients.publicClient.readContract({
        address: jobRules,
        abi: jobStepRulesAbi,
        functionName,
      } as Parameters<L1Clients["publicClient"]["readContract"]>[0]) as Promise<T>;
    return {
      genesisStateRoot: await this.read<Hex>("genesisStateRoot"),
      minFee: await v<bigint>("minFee"),
      feeRecipient: await v<Address>("feeRecipient"),
      claimCollateral: await rules<bigint>("claimCollateral"),
      challengeWindowMs: await rules<bigint>("challengeWindowMs"),
      claimDomainSeparator: await rules<Hex>("claimDomainSeparator"),
      l2DomainSeparator: await v<Hex>("l2DomainSeparator"),
      disputeRulesGame: (await this.clients.publicClient.readContract({
        address: await v<Address>("disputeRules"),
        abi: disputeEventStepRulesAbi,
        functionName: "game",
      })) as Address,
      bridgeDisputeGame: (await this.clients.publicClient.readContract({
        address: await this.read<Address>("bridge"),
        abi: bridgeAbi,
        functionName: "disputeGame",
      })) as Address,
    };
  }
  sequencerBond(): Promise<bigint> {
    return this.read<bigint>("sequencerBond");
  }
  challengeCount(): Promise<bigint> {
    return this.read<bigint>("challengeCount");
  }
  sequencerBondBalance(): Promise<bigint> {
    return this.read<bigint>("sequencerBondBalance");
  }
  isBatchUnchallenged(batchIndex: bigint): Promise<boolean> {
    return this.read<boolean>("isBatchUnchallenged", [batchIndex]);
  }
  /** How challenge `id` ended (its ChallengeResolved log), or null while it runs. */
  async resolution(id: bigint): Promise<{ challengerWon: boolean; reason: string } | null> {
    const logs = await this.clients.publicClient.getContractEvents({
      address: this.address,
      abi: batchChallengeAbi,
      eventName: "ChallengeResolved",
      args: { challengeId: id },
      fromBlock: 0n,
    });
    const last = logs.at(-1) as { args: { challengerWon: boolean; reason: string } } | undefined;
    return last ? { challengerWon: last.args.challengerWon, reason: last.args.reason } : null;
  }
  async getChallenge(id: bigint): Promise<ChallengeView> {
    return this.read<ChallengeView>("getChallenge", [id]);
  }
}

/**
 * The honest challenger's move for the challenge's current phase, from its own replay of the
 * batch: agree with C_mid exactly when it is the replay's and no refused step lies before it; at
 * one tx, prove it. Returns the move's tx, or null when it is not the challenger's turn (or the
 * challenge is over).
 *
 * A refused step (bytes that encode no tx, a tx the rules refuse) changes no state, so a sequencer
 * can claim commitments that pass over it unchanged; the batch is still wrong (the one-step at it
 * wins) and the challenger steers the bisection onto the first one: the interval always holds
 * either it or the first commitment that differs from the replay's.
 */
export async function challengerMove(
  c: BatchChallengeContract,
  id: bigint,
  replay: Pick<BatchReplay, "commitments"> & { firstRefused?: number | null },
  witness: (index: number) => StepWitness,
): Promise<TxResult | null> {
  const v = await c.getChallenge(id);
  if (v.phase === PHASE.awaitVerdict) {
    const mid = Number((v.lo + v.hi) / 2n);
    const refused = replay.firstRefused ?? null;
    return c.judgeMid(id, v.cMid === replay.commitments[mid] && (refused === null || mid <= refused));
  }
  if (v.phase === PHASE.awaitOneStep) return c.proveStep(id, witness(Number(v.lo)));
  return null;
}

/** The honest sequencer's move: reveal the batch's messages, then each C_mid from its replay. */
export async function sequencerMove(
  c: BatchChallengeContract,
  id: bigint,
  replay: Pick<BatchReplay, "commitments" | "messageLeaves">,
): Promise<TxResult | null> {
  const v = await c.getChallenge(id);
  if (v.phase === PHASE.awaitMessages) return c.revealMessages(id, replay.messageLeaves);
  if (v.phase === PHASE.awaitMid) return c.revealMid(id, replay.commitments[Number((v.lo + v.hi) / 2n)]);
  return null;
}
