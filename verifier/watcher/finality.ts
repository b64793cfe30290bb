/**
 * Whether a claim is already final on L1: its proven inclusion (claim-inclusion.ts) says
 * Bridge.claimFinalAt, and the latest L1 block is at or past it. A dispute opened then is lost to
 * anyone's DisputeGame.proveClaimFinal (the claimer wins, our bond goes to it), so the scheduler
 * does not open one. The proof comes from the sequencer (untrusted) and the Bridge checks it: a
 * proof it refuses, or none, means "not known final" (we open as before).
 */
import type { Hex } from "viem";
import type { ClaimInclusionProof } from "../game/claimer.ts";

export interface FinalityDeps {
  /** The claim's proven place in a recorded batch's claims tree, with its finalAt (null: in none yet). */
  inclusion(claimKey: Hex): Promise<ClaimInclusionProof | null>;
  /** The latest L1 block's timestamp (s). */
  l1Now(): Promise<bigint>;
}

/** claimFinalAt when the claim is final on L1 now; undefined when it is not, or not known to be. */
export function claimFinalOnL1(d: FinalityDeps): (claimKey: Hex) => Promise<bigint | undefined> {
  return async (claimKey) => {
    const p = await d.inclusion(claimKey).catch(() => null);
    if (!p) return undefined;
    return (await d.l1Now()) >= p.finalAt ? p.finalAt : undefined;
  };
}
