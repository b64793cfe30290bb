/**
 * Whether a claim is already final on L1: its batch's claims root is recorded on the Bridge and the
 * latest L1 block is at or past Bridge.claimFinalAt. A dispute opened then is lost to anyone's
 * DisputeGame.proveClaimFinal (the claimer wins, our bond goes to it), so the scheduler does not
 * open one. Where the claim sits comes from the sequencer (untrusted): the Bridge checks the
 * proof itself, and a proof it refuses, or none, means "not known final" (we open as before).
 */
import type { Hex } from "viem";
import type { BridgeContract } from "../../bridge/bridge.ts";
import type { ClaimInclusion } from "../../sequencer/batch-claims.ts";

export interface FinalityDeps {
  /** The claim's place in a recorded batch's claims tree (null: in none yet). */
  inclusion(claimKey: Hex): Promise<ClaimInclusion | null>;
  bridge: Pick<BridgeContract, "claimFinalAt">;
  /** The latest L1 block's timestamp (s). */
  l1Now(): Promise<bigint>;
}

/** claimFinalAt when the claim is final on L1 now; undefined when it is not, or not known to be. */
export function claimFinalOnL1(d: FinalityDeps): (claimKey: Hex) => Promise<bigint | undefined> {
  return async (claimKey) => {
    const p = await d.inclusion(claimKey).catch(() => null);
    if (!p) return undefined;
    const finalAt = await d.bridge.claimFinalAt(BigInt(p.batchIndex), claimKey, p).catch(() => undefined);
    if (finalAt === undefined) return undefined;
    return (await d.l1Now()) >= BigInt(finalAt) ? BigInt(finalAt) : undefined;
  };
}
