/**
 * Verdict client SDK (README "Client SDK"): `import { createClient } from "verdict/sdk"`.
 */
export type {
  AwaitOptions,
  ClaimJson,
  ClientOptions,
  JobOutcome,
  L1Options,
  L2JobJson,
  PostedJob,
  PostJobOptions,
  ResultProof,
  VerdictClient,
  WithdrawalProof,
} from "./client.ts";
export { createClient } from "./client.ts";
export { type SdkErrorCode, VerdictSdkError } from "./errors.ts";
export { type NextStep, nextStep } from "./outcome.ts";
