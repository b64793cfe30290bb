/**
 * Typed calls to GenerationRule (contracts/src/GenerationRule.sol), the token move on generation
 * claims: the challenger of an open dispute proves the claim breaks a rule and the game ends it
 * against the claimer. The DisputeGame deploys it and names it (`generationRule()`). Writes are
 * simulated first: a revert is a DisputeGameRevert naming the error.
 */
import { type Address, type Hex, parseEventLogs } from "viem";
import { bridgeAbi } from "../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../contracts/artifacts/DisputeGame.ts";
import { generationRuleAbi } from "../../contracts/artifacts/GenerationRule.ts";
import { type ClaimMessage, simulateAndSend } from "../bridge.ts";
import type { L1Clients } from "../clients.ts";
import { ContractClient } from "../clients.ts";
import { DisputeGameRevert, type GameTx } from "./game.ts";

/** GenerationRule.TokenProof as viem encodes it. */
export interface TokenProofArg {
  promptLength: number;
  generatedCount: number;
  params: Hex;
  sequence: Hex;
  position: number;
  logitsDType: number;
  logitsShape: number[];
  logitsDataRoot: Hex;
  outputProof: Hex[];
  firstChunk: bigint;
  chunks: Hex;
  chunkProofs: Hex[];
  candidates: number[];
}

const ruleErrors = new Set<string>(generationRuleAbi.filter((x) => x.type === "error").map((x) => x.name));
const abi = [
  ...generationRuleAbi,
  ...[...disputeGameAbi, ...bridgeAbi].filter((x) => x.type === "error" && !ruleErrors.has(x.name)),
];

export class GenerationRuleContract extends ContractClient {
  /** The GenerationRule the DisputeGame at `disputeGame` deployed and calls. */
  static async of(clients: L1Clients, disputeGame: Address): Promise<GenerationRuleContract> {
    const address = (await clients.publicClient.readContract({
      address: disputeGame,
      abi: disputeGameAbi,
      functionName: "generationRule",
    })) as Address;
    return new GenerationRuleContract(clients, address);
  }

  /**
   * The token move in dispute `id` (opened by this sender on `claim`): ends it against the
   * claimer when `proof` shows a broken rule; returns the rule named by TokenRuleBroken.
   */
  async proveTokenRuleBroken(
    id: bigint,
    claim: ClaimMessage,
    proof: TokenProofArg,
  ): Promise<GameTx & { reason: string }> {
    const r = await simulateAndSend(
      this.clients,
      this.wallet,
      {
        contract: "GenerationRule",
        address: this.address,
        abi,
        functionName: "proveTokenRuleBroken",
        args: [id, claim, proof],
      },
      (f, e, a, d) => new DisputeGameRevert(f, e, a, d),
    );
    const [ev] = parseEventLogs({
      abi: generationRuleAbi,
      logs: r.receipt.logs,
      eventName: "TokenRuleBroken",
    });
    return { ...r, gasUsed: r.receipt.gasUsed, reason: ev.args.reason };
  }

  /** The rule `proof` shows `claim` breaks (eth_call); throws a DisputeGameRevert when none (RuleHolds). */
  async brokenRule(claim: ClaimMessage, outputCount: number, proof: TokenProofArg): Promise<string> {
    try {
      return (await this.clients.publicClient.readContract({
        address: this.address,
        abi,
        functionName: "brokenRuleOf",
        args: [claim.inputRoot, claim.outputRoot, claim.generationSpec, BigInt(outputCount), proof],
      } as never)) as string;
    } catch (err) {
      const e = err as { cause?: { data?: { errorName?: string; args?: readonly unknown[] } } };
      const data = e.cause?.data;
      if (data?.errorName)
        throw new DisputeGameRevert("brokenRuleOf", data.errorName, data.args ?? [], (err as Error).message);
      throw err;
    }
  }

  /** Reads one of the rule's pure decoding functions (tests pin them to test/vectors/generation.json). */
  read<T>(functionName: string, args: readonly unknown[]): Promise<T> {
    return this.clients.publicClient.readContract({
      address: this.address,
      abi,
      functionName,
      args,
    } as never) as Promise<T>;
  }
}
