/**
 * Whether the dispute L1 stores backs a dispute event's derived tx (disputeOpened,
 * disputeResolved): the check `contracts/src/DisputeEventStepRules.sol` `_onL1` makes before the
 * state rule, one definition for a challenger's replay (docs/rollup.md 8c). Pure: the caller reads
 * the dispute (`DisputeGame.getDispute`, null when the game has none with that id).
 */
import type { Address } from "../../protocol/secp256k1.ts";
import type { ClaimMsg, DisputeOpenedTx, DisputeResolvedTx, Hex } from "../../protocol/tx.ts";
import type { Job, JobDisputes } from "../state/records.ts";

/** DisputeGame's winners (WINNER_*). */
export const WINNER = { none: 0, claimer: 1, challenger: 2, void: 3, unbacked: 4 } as const;

/** What the one-step reads of an L1 dispute: all set when it opens, the winner once when it ends. */
export interface L1Dispute {
  claimer: Address | Hex;
  challenger: Address | Hex;
  claimKey: Hex;
  winner: number;
  /**
   * The job L1 opened the dispute on: its `DisputeOpened` log's claim.jobId (getDispute stores
   * none). Absent: not read (the job is then not checked).
   */
  jobId?: Hex;
  /**
   * The disputed claim, decoded from the calldata of the tx that emitted the DisputeOpened log
   * (every DisputeGame opening takes it) and checked against the claim key; null when that tx
   * called another contract (a multisig, a proxy: the claim is inside its calldata). Absent: not
   * read.
   */
  claim?: ClaimMsg | null;
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

/**
 * Why a dispute tx that L1's dispute `d` otherwise backs is on another job than the one L1 opened
 * it on, or null (docs/rollup.md 8c): the machine follows a dispute on any claim the worker
 * signed for a job still only claimed, so the one-step needs the disputed claim as witness to see
 * it (`otherJobRefutation`). When the opening came through another contract the validator has no
 * claim, and says so.
 */
export function disputeTxOnOtherJob(
  tx: DisputeOpenedTx | DisputeResolvedTx,
  d: L1Dispute | null,
): string | null {
  if (!d?.jobId || d.jobId.toLowerCase() === tx.jobId.toLowerCase()) return null;
  const why = `derives ${tx.type} of dispute ${tx.disputeId} on job ${tx.jobId}, which L1 opened on job ${d.jobId}`;
  return d.claim === null
    ? `${why} (opened through another contract: no claim witness from its calldata, so no batch challenge can prove it where the job is only claimed)`
    : why;
}

/**
 * Whether the one-step refuses a tx `disputeTxOnOtherJob` names, given the tx's job and disputes
 * records before it, and with which claim witness (DisputeEventStepRules `_concernsJob`):
 *  - the job absent, or holding a claim (its digest is not the dispute's claim key: the claim
 *    binds its jobId): refused by the rule, no witness;
 *  - a resolution with the claimer's win of a dispute L2 does not follow on the job: refused;
 *  - an opening of a dispute L2 already opened (`opened`: its l1/dispute/<id> marker present, on
 *    whichever job) or already open on the job (an earlier moved opening stood): refused, no
 *    witness; a resolution of a dispute open on the job (same claim key) applied: not provable;
 *  - the job only claimed: refused only with the disputed claim as witness (null: none read).
 */
export function otherJobRefutation(
  tx: DisputeOpenedTx | DisputeResolvedTx,
  d: L1Dispute,
  job: Job | undefined,
  disputes: JobDisputes | undefined,
  opened = false,
): { refuted: boolean; witness: ClaimMsg | null } {
  const none = { refuted: true, witness: null };
  if (!job || job.claim) return none;
  const open = disputes?.open ?? [];
  if (tx.type === "disputeOpened") {
    if (opened || open.some((o) => o.id === tx.disputeId)) return none;
  } else if (
    open.some((o) => o.id === tx.disputeId && o.claimKey.toLowerCase() === tx.claimKey.toLowerCase())
  ) {
    return { refuted: false, witness: null };
  } else if (tx.claimerWon) {
    return none;
  }
  return d.claim ? { refuted: true, witness: d.claim } : { refuted: false, witness: null };
}
