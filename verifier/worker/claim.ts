/**
 * The worker's Claim (protocol/eip712.ts `Claim`, docs/dispute-game.md): built from the job and
 * the run the worker claims, signed under the L1 claim domain (chain id + Bridge), which is the
 * signature both the sequencer (submitResult) and the Bridge's dispute game verify. Pure.
 */

import { toHex } from "../../protocol/bytes.ts";
import { claimDomain } from "../../protocol/eip712.ts";
import { type ClaimMsg, type Hex, NO_GENERATION, recoverClaimSigner, signClaim } from "../../protocol/tx.ts";
import type { ClaimedRun } from "./run.ts";

export interface JobForClaim {
  id: Hex;
  modelId: Hex;
  inputRoot: Hex;
}

/**
 * The claim for `job` from `run`. The claim's modelId and inputRoot are the job's (the sequencer
 * refuses anything else); `inputRoot` is what the worker computed from the fetched input and
 * must equal the job's, or the worker would be signing a run of some other input.
 */
export function buildClaim(
  job: JobForClaim,
  modelId: Hex,
  inputRoot: Uint8Array,
  run: Pick<ClaimedRun, "traceRoot" | "outputRoot">,
  cids: { outputCid: Hex; traceCid: Hex },
  /** A generation claim's generationSpec (verifier/worker/generation.ts); single-pass: zero. */
  generationSpec: Hex = NO_GENERATION,
): ClaimMsg {
  if (modelId.toLowerCase() !== job.modelId.toLowerCase())
    throw new Error(`job ${job.id} is for model ${job.modelId}, the run is of model ${modelId}`);
  const ir = toHex(inputRoot);
  if (ir !== job.inputRoot.toLowerCase())
    throw new Error(`job ${job.id}: the fetched input has root ${ir}, the job says ${job.inputRoot}`);
  return {
    jobId: job.id.toLowerCase() as Hex,
    modelId: job.modelId.toLowerCase() as Hex,
    inputRoot: ir,
    outputRoot: toHex(run.outputRoot),
    traceRoot: toHex(run.traceRoot),
    generationSpec: generationSpec.toLowerCase() as Hex,
    outputCid: cids.outputCid.toLowerCase() as Hex,
    traceCid: cids.traceCid.toLowerCase() as Hex,
  };
}

/** Signs `claim` for the Bridge at `bridge` on L1 chain `l1ChainId`; checks the signature recovers. */
export function signWorkerClaim(
  claim: ClaimMsg,
  privateKey: Uint8Array,
  l1ChainId: bigint,
  bridge: Hex,
  expectedSigner: Hex,
): Hex {
  const domain = claimDomain(l1ChainId, bridge);
  const sig = signClaim(claim, privateKey, domain);
  const signer = recoverClaimSigner(claim, sig, domain);
  if (signer.toLowerCase() !== expectedSigner.toLowerCase())
    throw new Error(`claim signature recovers to ${signer}, expected ${expectedSigner}`);
  return sig;
}
