/**
 * Test-only faults of the sequencer: deliberate lies in what a batch commits, so that a validator
 * (`verdict validator`, sequencer/rebuild.ts) can be shown to catch each one with real processes,
 * and censorship, so that the L1 inbox (Bridge.forceTransaction) can be shown to get around it. Off by default; `verdict sequencer --test-fault` refuses them unless L1 is a dev
 * chain (DEV_CHAIN_IDS) or the operator says `--i-know-this-is-a-test-fault`.
 *
 * `censor`: the sequencer refuses every user tx offered to it directly (API or p2p forwarding,
 * 503 "censored"); it still derives L1 (deposits, forced txs) and batches honestly.
 * Every other mode posts the honest batch data (the blocks as sealed) under lying roots:
 *
 * | mode             | what the batch commits                                               |
 * |------------------|----------------------------------------------------------------------|
 * | wrong-state-root | stateRoot = sha256(true root || "wrong-state-root")                  |
 * | forge-withdrawal | message root over the true messages plus a withdrawal of 1 ETH to    |
 * |                  | the sequencer's own address that no L2 tx made                       |
 * | forge-result     | message root over the true messages plus a result for L1 request 0   |
 * |                  | from a claim the sequencer signs with its own key (no stake behind   |
 * |                  | it) about request 0's model and input (made-up ones while L2 has not |
 * |                  | derived request 0), and that claim's key in the batch's claims tree; |
 * |                  | the sequencer's API serves it as request 0's result (the strongest   |
 * |                  | lie a sequencer alone can tell a relayer: Bridge.deliverResult must  |
 * |                  | refuse it, ClaimSignerUnbacked)                                      |
 *
 * With a batch challenge on L1 the lying batcher defends its lie (`lyingAnswers`) and lies until
 * one of its batches is removed; then it posts honest roots (sequencer/batch.ts), so a test sees
 * the removal followed by the honest chain.
 *
 * Pure: no I/O.
 */
import { concatBytes, toHex } from "../protocol/bytes.ts";
import type { Eip712Domain } from "../protocol/eip712.ts";
import { type Address, addressOf } from "../protocol/secp256k1.ts";
import { sha256 } from "../protocol/sha256.ts";
import { type ClaimMsg, claimDigest, type Hex, NO_GENERATION, signClaim } from "../protocol/tx.ts";
import { type L2Message, MessageTree, type ResultMessage, type Withdrawal } from "../protocol/withdrawal.ts";

export const SEQUENCER_FAULT_MODES = [
  "wrong-state-root",
  "forge-withdrawal",
  "forge-result",
  "censor",
] as const;
export type SequencerFaultMode = (typeof SEQUENCER_FAULT_MODES)[number];

/** L1 chains where a test fault needs no explicit override (anvil / the embedded devnet). */
export const DEV_CHAIN_IDS: readonly bigint[] = [31337n];

export function parseSequencerFault(s: string): SequencerFaultMode {
  if (!(SEQUENCER_FAULT_MODES as readonly string[]).includes(s))
    throw new Error(
      `unknown sequencer test fault '${s}': expected one of ${SEQUENCER_FAULT_MODES.join(", ")}`,
    );
  return s as SequencerFaultMode;
}

/** Throws unless a test fault may run against this L1. */
export function checkFaultAllowed(mode: SequencerFaultMode, l1ChainId: bigint, override: boolean): void {
  if (override || DEV_CHAIN_IDS.includes(l1ChainId)) return;
  throw new Error(
    `test fault '${mode}' refused: L1 chain ${l1ChainId} is not a dev chain (${DEV_CHAIN_IDS.join(", ")}); ` +
      "pass --i-know-this-is-a-test-fault to run it anyway",
  );
}

const tag = (s: string) => new TextEncoder().encode(s);

const fakeOf = (what: string, batchIndex: number) =>
  toHex(sha256(concatBytes(tag(what), tag(String(batchIndex)))));

/** forge-result's lie in batch `batchIndex`: L1 request 0's result from a claim the sequencer signed. */
export interface ForgedResult {
  claim: ClaimMsg;
  claimSignature: Hex;
  message: { kind: "result" } & ResultMessage;
}

/**
 * The claim forge-result signs for batch `batchIndex` with the sequencer's key, about request 0's
 * job, model and input when L2 has derived it (`request0`), made-up ones before.
 */
export function forgedResult(
  batchIndex: number,
  sequencerKey: Uint8Array,
  claimDomain: Eip712Domain,
  request0: { jobId: Hex; modelId: Hex; inputRoot: Hex } | null,
): ForgedResult {
  const fake = (what: string) => fakeOf(what, batchIndex);
  const claim: ClaimMsg = {
    jobId: request0?.jobId ?? fake("forged job"),
    worker: addressOf(sequencerKey),
    modelId: request0?.modelId ?? fake("forged model"),
    inputRoot: request0?.inputRoot ?? fake("forged input"),
    outputRoot: fake("forged output"),
    traceRoot: fake("forged trace"),
    outputCid: `0x01551220${fake("forged output file").slice(2)}`,
    traceCid: "0x",
    generationSpec: NO_GENERATION,
  };
  const claimKey = toHex(claimDigest(claim, claimDomain));
  return {
    claim,
    claimSignature: signClaim(claim, sequencerKey, claimDomain),
    message: {
      kind: "result",
      requestId: 0n,
      claimKey,
      outputRoot: claim.outputRoot,
      outputCid: claim.outputCid,
    },
  };
}

/** forge-withdrawal's lie in batch `batchIndex`: 1 ETH to the sequencer that no L2 tx made. */
export function forgedWithdrawal(
  batchIndex: number,
  sequencer: Address,
): { kind: "withdrawal" } & Withdrawal {
  return {
    kind: "withdrawal",
    recipient: sequencer,
    amount: 10n ** 18n,
    l2TxHash: fakeOf("forged withdrawal", batchIndex),
  };
}

/**
 * The roots a faulty batcher commits instead of the true ones (`forged`: forge-result's lie), and
 * the messages under its withdrawal root (what it reveals in a batch challenge).
 */
export function faultyRoots(
  mode: SequencerFaultMode,
  honest: { stateRoot: Hex; messages: readonly L2Message[]; batchIndex: number },
  sequencer: Address,
  forged?: ForgedResult,
): { stateRoot: Hex; withdrawalRoot: Hex; messages: L2Message[] } {
  const messages = [...honest.messages];
  let stateRoot = honest.stateRoot;
  if (mode === "wrong-state-root")
    stateRoot = toHex(sha256(concatBytes(Buffer.from(honest.stateRoot.slice(2), "hex"), tag(mode))));
  if (mode === "forge-withdrawal") messages.push(forgedWithdrawal(honest.batchIndex, sequencer));
  if (mode === "forge-result") {
    if (!forged) throw new Error("forge-result needs the forged result (forgedResult)");
    messages.push(forged.message);
  }
  return { stateRoot, withdrawalRoot: new MessageTree(messages).rootHex, messages };
}

/**
 * How a faulty sequencer defends its lying batch in a batch challenge (docs/rollup.md 8c): it
 * must reveal the leaves under its lying withdrawal root (`claimedLeaves`), which fixes its final
 * commitment `claimedFinal`; at every k < n it tells the truth, so the lie surfaces only at the
 * last tx and the challenger has to play every bisection round (the strongest defence a liar has:
 * test/helpers/adversary/batch-liars.ts `truthUntilLast`, here as the process plays it).
 */
export function lyingAnswers(
  truth: { commitments: readonly Hex[]; txCount: number },
  claimedFinal: Hex,
  claimedLeaves: Hex[],
): { commitments: Hex[]; messageLeaves: Hex[] } {
  return {
    messageLeaves: claimedLeaves,
    commitments: truth.commitments.map((c, k) => (k === truth.txCount ? claimedFinal : c)),
  };
}
