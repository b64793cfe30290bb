/**
 * A batch's data commitment (sequencer/batch-data.ts, Commitments.batchDataHash): every vector of
 * test/vectors/batch-data.json (npm run vectors) through CommitmentsHarness on the embedded chain,
 * from the whole data (what Bridge.postBatch checks) and from the opening (header, bodyHash) the
 * batch challenge takes; the old commitment sha256(txData) and an opening with a wrong body hash
 * or a header cut short are not the commitment.
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
import { batchDataCommitment, batchDataHash, batchDataOpening } from "../../../sequencer/batch-data.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  headerBytes: number;
  batches: { what: string; txData: Hex; header: Hex; bodyHash: Hex; txDataHash: Hex; wholeDataSha256: Hex }[];
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
const read = <T>(functionName: "batchDataHash" | "batchDataHashOf", args: readonly unknown[]) =>
  publicClient.readContract({
    address: harness,
    abi: commitmentsHarnessAbi,
    functionName,
    args,
  } as never) as Promise<T>;

t.ok(vectors.batches.length >= 6, "the vectors cover header-only, bodies and short data");
for (const v of vectors.batches) {
  t.test(v.what, async (t) => {
    const data = fromHex(v.txData);
    t.equal(batchDataHash(data), v.txDataHash, "TS: batchDataHash(txData)");
    t.same(batchDataOpening(data), { header: fromHex(v.header), bodyHash: v.bodyHash }, "TS: the opening");
    t.equal(await read<Hex>("batchDataHashOf", [v.txData]), v.txDataHash, "Solidity: from the whole data");
    t.equal(
      await read<Hex>("batchDataHash", [v.header, v.bodyHash]),
      v.txDataHash,
      "Solidity: from the opening",
    );
    t.not(v.wholeDataSha256, v.txDataHash, "sha256(txData) is not the commitment");
    const flipped = `0x${v.bodyHash.slice(2, 4) === "00" ? "01" : "00"}${v.bodyHash.slice(4)}` as Hex;
    t.not(
      await read<Hex>("batchDataHash", [v.header, flipped]),
      v.txDataHash,
      "a wrong body hash opens nothing",
    );
    if (data.length > 1) {
      const short = batchDataOpening(data);
      const cut = { header: short.header.subarray(0, short.header.length - 1), bodyHash: short.bodyHash };
      t.not(batchDataCommitment(cut), v.txDataHash, "a header cut short opens nothing");
    }
  });
}
