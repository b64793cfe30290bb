/** Every failure the client SDK reports itself, with a code a program can branch on. */

export type SdkErrorCode =
  /** An argument the SDK refuses before anything is sent (key, URL, amount, tensors, ...). */
  | "bad-argument"
  /** The sequencer refused a tx or a request (`status` is its HTTP status). */
  | "rejected"
  /** No job with this id on L2. */
  | "unknown-job"
  /** Content could not be stored or fetched, or came back as other bytes than its CID names. */
  | "content"
  /** The published output does not hash to the claim's outputRoot (or does not fit the model). */
  | "output-mismatch"
  /** The account's signer returned a signature outside the canonical encoding, or for another key. */
  | "bad-signature"
  /** The call needs L1 and the client was made without `l1`. */
  | "no-l1"
  /** Waited longer than `timeoutMs`. */
  | "timeout";

export class VerdictSdkError extends Error {
  readonly code: SdkErrorCode;
  /** HTTP status of a refusal, when there was one. */
  readonly status: number | undefined;
  constructor(code: SdkErrorCode, message: string, status?: number) {
    super(message);
    this.name = "VerdictSdkError";
    this.code = code;
    this.status = status;
  }
}
