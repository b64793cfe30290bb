/**
 * GET /v1/claims/:claimKey/proof: where a submitted claim was committed on L1 (the batch whose
 * claims root Bridge.recordBatchClaims holds) with its proof, what a worker disputed after the
 * claim's window sends to DisputeGame.proveClaimFinal (issue 18, attack 6). Registered by the
 * node that posts batches (sequencer/run.ts), next to the proof routes of sequencer/api.ts.
 */
import type { FastifyInstance } from "fastify";
import type { ClaimsRecorder } from "./batch-claims.ts";

export function registerClaimRoutes(app: FastifyInstance, claims: ClaimsRecorder): void {
  app.get(
    "/v1/claims/:claimKey/proof",
    {
      schema: {
        summary: "Proof for DisputeGame.proveClaimFinal: claim :claimKey in its batch's claims tree on L1",
        params: {
          type: "object",
          required: ["claimKey"],
          properties: { claimKey: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" } },
        },
      },
    },
    async (req, reply) => {
      const r = await claims.inclusion((req.params as { claimKey: `0x${string}` }).claimKey);
      return "error" in r ? reply.status(404).send(r) : r;
    },
  );
}
