/**
 * What tests need so that L2 takes their jobs: the model registered on L1 (derived into L2 as a
 * modelRegistered system tx) and inputs named by the real CID of their bytes.
 */
import { toHex } from "../../protocol/bytes.ts";
import { fileCid } from "../../protocol/cid.ts";
import type { Address } from "../../protocol/secp256k1.ts";
import type { Hex, ModelRegisteredTx } from "../../protocol/tx.ts";

/** The binary CID (as txs carry it) of `bytes`, as `ipfs add --cid-version=1` names them. */
export async function cidHexOf(bytes: Uint8Array): Promise<Hex> {
  return toHex((await fileCid(bytes)).bytes);
}

/** The system tx L2 derives from Bridge.ModelRegistered; the model's content CID defaults to that of its id's bytes. */
export async function modelRegistration(
  modelId: Hex,
  o: { cid?: Hex; registrant?: Address } = {},
): Promise<ModelRegisteredTx> {
  return {
    type: "modelRegistered",
    inboxIndex: 0n,
    modelId,
    registrant: o.registrant ?? `0x${"e0".repeat(20)}`,
    cid: o.cid ?? (await cidHexOf(Buffer.from(modelId.slice(2), "hex"))),
  };
}

/**
 * Resolves once the sequencer at `sequencerUrl` has derived `modelId`'s L1 registration (its
 * next block after L1 confirms it): before that, postJob on the model is refused.
 */
export async function awaitL2Model(sequencerUrl: string, modelId: Hex, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${sequencerUrl}/v1/models/${modelId}`);
    if (r.status === 200) return;
    if (r.status !== 404) throw new Error(`GET /v1/models/${modelId}: ${r.status} ${await r.text()}`);
    if (Date.now() > until) throw new Error(`model ${modelId} not derived into L2 within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
