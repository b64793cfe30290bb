/**
 * Every test-vector file and the function that generates it. `npm run vectors` writes them all
 * to test/vectors/, and test/unit/vectors checks that the committed files match these functions,
 * so an encoding change cannot slip past the Solidity side. Add new generators here.
 */
import { batchDataVectors } from "./batch-data.ts";
import { claimVectors } from "./claims.ts";
import { commitmentVectors } from "./commitments.ts";
import { faultProofVectors } from "./fault-proof.ts";
import { generationVectors } from "./generation.ts";
import { messageVectors } from "./messages.ts";
import { modelVectors } from "./model.ts";
import { opVectors } from "./ops.ts";
import { signatureVectors } from "./signatures.ts";

export interface VectorGenerator {
  /** File name under test/vectors/. */
  file: string;
  generate: () => unknown;
}

export const GENERATORS: VectorGenerator[] = [
  { file: "commitments.json", generate: commitmentVectors },
  { file: "ops.json", generate: opVectors },
  { file: "model.json", generate: modelVectors },
  { file: "messages.json", generate: messageVectors },
  { file: "signatures.json", generate: signatureVectors },
  { file: "claims.json", generate: claimVectors },
  { file: "generation.json", generate: generationVectors },
  { file: "fault-proof.json", generate: faultProofVectors },
  { file: "batch-data.json", generate: batchDataVectors },
];

/** The exact file contents for a generator's output (stable key order, 2-space JSON, newline). */
export function renderVectors(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}
