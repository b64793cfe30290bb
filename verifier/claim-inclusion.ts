/**
 * Where a claim was committed on L1, proven: the sequencer's inclusion proof (untrusted) with
 * Bridge.claimFinalAt for it, which checks the proof against the batch's recorded claims root and
 * reverts on a bad one. The worker's defender ends a late dispute with it (proveClaimFinal); the
 * watcher's scheduler opens no dispute on a claim already final by it (watcher/finality.ts).
 */
import type { Hex } from "viem";
import type { BridgeContract } from "../bridge/bridge.ts";
import type { ClaimInclusionProof } from "./game/claimer.ts";
import type { SequencerReader } from "./l2.ts";

/** The claim's proven place and finalAt; null when the sequencer knows it in no recorded batch yet. */
export async function provenClaimInclusion(
  l2: Pick<SequencerReader, "claimInclusion">,
  bridge: Pick<BridgeContract, "claimFinalAt">,
  claimKey: Hex,
): Promise<ClaimInclusionProof | null> {
  const p = await l2.claimInclusion(claimKey);
  return p && { ...p, finalAt: await bridge.claimFinalAt(BigInt(p.batchIndex), claimKey, p) };
}
