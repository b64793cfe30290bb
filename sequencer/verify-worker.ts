/** Worker thread: EIP-712 digest + signature recovery for batches of txs (see verify-pool.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { toHex } from "../protocol/bytes.ts";
import { l2Domain } from "../protocol/eip712.ts";
import { isSystemTx, type Tx, txDigest, verifyTxSignature } from "../protocol/tx.ts";

const domain = l2Domain(BigInt((workerData as { l2ChainId: string }).l2ChainId));

// The txs arrive in wire form (encodeTx of a decoded tx: bigints as decimal strings), which the
// EIP-712 encoder takes as it is: same digest as the decoded tx, without decoding it again.
parentPort?.on("message", (batch: { ids: number[]; txs: string }) => {
  const txs = JSON.parse(batch.txs) as Tx[];
  const out = batch.ids.map((id, i) => {
    const tx = txs[i];
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
