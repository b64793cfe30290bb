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
    modelId,
    registrant: o.registrant ?? `0x${"e0".repeat(20)}`,
    cid: o.cid ?? (await cidHexOf(Buffer.from(modelId.slice(2), "hex"))),
  };
}
