/**
 * Whether the dispute L1 stores backs a dispute event's derived tx (disputeOpened,
 * disputeResolved): the check `contracts/src/DisputeEventStepRules.sol` `_onL1` makes before the
 * state rule, one definition for a challenger's replay (docs/rollup.md 8c). Pure: the caller reads
 * the dispute (`DisputeGame.getDispute`, null when the game has none with that id).
 */
import type { Address } from "../../protocol/secp256k1.ts";
import type { DisputeOpenedTx, DisputeResolvedTx, Hex } from "../../protocol/tx.ts";

/** DisputeGame's winners (WINNER_*). */
export const WINNER = { none: 0, claimer: 1, challenger: 2, void: 3, unbacked: 4 } as const;

/** What the one-step reads of an L1 dispute: all set when it opens, the winner once when it ends. */
export interface L1Dispute {
  claimer: Address | Hex;
  challenger: Address | Hex;
  claimKey: Hex;
  winner: number;
}

/**
 * Why L1's dispute `d` does not back `tx` (the one-step then refuses it), or null when it does.
 * Everything compared is final on L1, so the answer does not depend on when it is asked.
 */
export function disputeTxUnbacked(
  tx: DisputeOpenedTx | DisputeResolvedTx,
  d: L1Dispute | null,
): string | null {
  if (!d) return `L1's DisputeGame has no dispute ${tx.disputeId}`;
  if (d.claimer.toLowerCase() !== tx.claimer.toLowerCase())
    return `dispute ${tx.disputeId} is against ${d.claimer} on L1, not ${tx.claimer}`;
  if (d.claimKey.toLowerCase() !== tx.claimKey.toLowerCase())
    return `dispute ${tx.disputeId} is on claim ${d.claimKey} on L1, not ${tx.claimKey}`;
  if (tx.type === "disputeOpened") {
    if (d.challenger.toLowerCase() !== tx.challenger.toLowerCase())
      return `dispute ${tx.disputeId} was opened by ${d.challenger} on L1, not ${tx.challenger}`;
    return null;
  }
  if (d.winner === WINNER.none) return `dispute ${tx.disputeId} is still running on L1`;
  // as bridge/follower.ts derives it: the claim stands after the claimer's win or an unbacked signer
  const claimerWon = d.winner === WINNER.claimer || d.winner === WINNER.unbacked;
  if (claimerWon !== tx.claimerWon)
    return `dispute ${tx.disputeId} ended with winner ${d.winner} on L1: claimerWon is ${claimerWon}, not ${tx.claimerWon}`;
  return null;
}
