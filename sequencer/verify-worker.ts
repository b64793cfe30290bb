/** Worker thread: EIP-712 digest + signature recovery for batches of txs (see verify-pool.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { toHex } from "../protocol/bytes.ts";
import { l2Domain } from "../protocol/eip712.ts";
import { isSystemTx, type Tx, txDigest, verifyTxSignature } from "../protocol/tx.ts";

const domain = l2Domain(BigInt((workerData as { l2ChainId: string }).l2ChainId));

parentPort?.on("message", (batch: { id: number; tx: Tx }[]) => {
  const out = batch.map(({ id, tx }) => {
    try {
      const d = txDigest(tx, domain);
      if (!isSystemTx(tx)) verifyTxSignature(tx, d);
      return { id, hash: toHex(d) };
    } catch (e) {
      return { id, error: (e as Error).message };
    }
  });
  parentPort?.postMessage(out);
});
