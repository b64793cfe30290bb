/**
 * Verdict client SDK (README "Client SDK"): `import { createClient } from "verdict/sdk"`.
 */
export type {
  AwaitOptions,
  ClaimJson,
  ClientOptions,
  GenerateOptions,
  JobOutcome,
  L1Options,
  L2JobJson,
  PostedGeneration,
  PostedJob,
  PostJobOptions,
  ResultProof,
  VerdictClient,
  WithdrawalProof,
} from "./client.ts";
export { createClient } from "./client.ts";
export { type SdkErrorCode, VerdictSdkError } from "./errors.ts";
export { generationProblem } from "./generation.ts";
export { type NextStep, nextStep } from "./outcome.ts";
