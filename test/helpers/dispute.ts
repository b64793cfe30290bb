/**
 * What dispute tests share: a small MLP run by the reference interpreter (honest node outputs),
 * lies in one element, the model registered on a deployed Bridge, a claim signed by a dev
 * account under the claim domain, as a worker's wallet signs it.
 */
import type { Hex } from "viem";
import type { BridgeContract, ClaimMessage } from "../../bridge/bridge.ts";
import { claimDomain, typesFor } from "../../protocol/eip712.ts";
import { buildMlp } from "../../prover-trace/builder/mlp.ts";
import { commitModel, type ModelCommitment } from "../../prover-trace/commit/model.ts";
import type { TensorData } from "../../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../../prover-trace/onnx/io.ts";
import { loadProfileModel } from "../../prover-trace/profile/validate.ts";
import { runModel } from "../../prover-trace/reference/run.ts";
import type { L1Backend } from "./l1.ts";

export interface MlpFixture {
  model: ModelCommitment;
  input: TensorData;
  /** Honest node outputs, node by node. */
  outputs: TensorData[][];
}

/**
 * 11 nodes: MatMulInteger (K = inputDim), Div, Clip, Cast, Relu, MatMulInteger (K = hidden), Div,
 * Clip, Add, Gather (the GELU table), MatMulInteger (K = hidden).
 */
export async function mlpFixture(inputDim = 40, hidden = 300): Promise<MlpFixture> {
  const bytes = encodeOnnx(buildMlp({ inputDim, hidden, layers: 2, classes: 4 }));
  const pm = loadProfileModel(bytes);
  const model = await commitModel(pm, bytes);
  const data = new Int8Array(inputDim);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 255) - 127;
  const input: TensorData = { dtype: 3, shape: [1, inputDim], data };
  const run = runModel(pm, [{ dtype: 3, shape: [1, inputDim], data }]);
  return { model, input, outputs: run.nodeOutputs };
}

/** The node outputs with element `e` of node `node` changed by `delta` (a lie in one place). */
export function tamper(outputs: TensorData[][], node: number, e: number, delta = 1): TensorData[][] {
  return outputs.map((outs, i) =>
    outs.map((t) => {
      if (i !== node) return t;
      const data = (t.data as Int32Array).slice();
      data[e] = data[e] + delta;
      return { ...t, data };
    }),
  );
}

/** Registers `m` on the Bridge; returns its model id. */
export async function registerModel(bridge: BridgeContract, m: ModelCommitment): Promise<Hex> {
  const { modelId } = await bridge.registerCommittedModel(m);
  return modelId;
}

/** Dev account `signer` signs `claim` with its wallet under the claim domain of `bridge`. */
export async function signClaimAs(
  b: L1Backend,
  signer: number,
  claim: ClaimMessage,
  bridge: Hex,
  chainDelta = 0,
): Promise<Hex> {
  const chainId = BigInt(await b.clients().publicClient.getChainId()) + BigInt(chainDelta);
  const domain = claimDomain(chainId, bridge);
  const w = b.wallet(signer);
  return w.signTypedData({
    domain: { ...domain, chainId: Number(domain.chainId) },
    types: typesFor("Claim"),
    primaryType: "Claim",
    message: claim,
  } as unknown as Parameters<typeof w.signTypedData>[0]);
}
