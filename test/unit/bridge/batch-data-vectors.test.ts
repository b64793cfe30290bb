/**
 * Batch data's tx section (sequencer/batch-data.ts, Commitments.batchTxRootOf): every vector of
 * test/vectors/batch-data.json (npm run vectors) through CommitmentsHarness on the embedded chain.
 * The txRoot and txCount the Bridge computes at postBatch are the ones TS computes, and data
 * whose section does not frame is refused by both.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import {
  commitmentsHarnessAbi,
  commitmentsHarnessBytecode,
} from "../../../contracts/artifacts/CommitmentsHarness.ts";
import { fromHex } from "../../../protocol/bytes.ts";
import { BatchDataError, batchDataHash, batchDataTxRoot } from "../../../sequencer/batch-data.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  batches: { what: string; txData: Hex; txRoot: Hex; txCount: number; txDataHash: Hex }[];
  refused: { what: string; txData: Hex }[];
}
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/batch-data.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const clients = backend.clients(0);
const wallet = clients.walletClient!;
const publicClient = clients.publicClient;
const deployHash = await wallet.deployContract({
  abi: commitmentsHarnessAbi,
  bytecode: commitmentsHarnessBytecode,
});
const harness = (await publicClient.waitForTransactionReceipt({ hash: deployHash }))
  .contractAddress as Address;
const txRootOnChain = (txData: Hex) =>
  publicClient.readContract({
    address: harness,
    abi: commitmentsHarnessAbi,
    functionName: "batchTxRootOf",
    args: [txData],
  }) as Promise<readonly [Hex, number]>;

t.ok(
  vectors.batches.length >= 9 && vectors.refused.length >= 7,
  "the vectors cover 0 to 9 txs and bad framing",
);
for (const v of vectors.batches) {
  t.test(v.what, async (t) => {
    const data = fromHex(v.txData);
    t.same(batchDataTxRoot(data), { txRoot: v.txRoot, txCount: v.txCount }, "TS: txRoot and txCount");
    t.equal(batchDataHash(data), v.txDataHash, "TS: txDataHash");
    t.same(await txRootOnChain(v.txData), [v.txRoot, v.txCount], "Solidity: the same txRoot and txCount");
  });
}
for (const v of vectors.refused) {
  t.test(`refused: ${v.what}`, async (t) => {
    t.throws(() => batchDataTxRoot(fromHex(v.txData)), BatchDataError, "TS refuses it");
    await t.rejects(txRootOnChain(v.txData), /BadBatchData/, "Solidity refuses it (BadBatchData)");
  });
}
