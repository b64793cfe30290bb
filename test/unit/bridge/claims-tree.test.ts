/**
 * A batch's claims tree (issue 18, attack 6): test/vectors/claims.json (npm run vectors, generated
 * from protocol/claims.ts) reproduced on the embedded chain by the real Bridge (claimLeaf) and
 * the Commitments library (verifyProof, as Bridge.claimFinalAt checks it, through its harness);
 * hostile inputs to the TypeScript side throw named errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import {
  commitmentsHarnessAbi,
  commitmentsHarnessBytecode,
} from "../../../contracts/artifacts/CommitmentsHarness.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { ClaimsTree, claimLeaf } from "../../../protocol/claims.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  leaves: { claimKey: Hex; leaf: Hex }[];
  trees: {
    root: Hex;
    claims: { claimKey: Hex; leaf: Hex; leafIndex: number; leafCount: number; proof: Hex[] }[];
  }[];
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/claims.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const clients = backend.clients(0);
const dep = await deployBridge(clients);
const pub = clients.publicClient;
const harness = (
  await pub.waitForTransactionReceipt({
    hash: await clients.walletClient!.deployContract({
      abi: commitmentsHarnessAbi,
      bytecode: commitmentsHarnessBytecode,
    }),
  })
).contractAddress as Address;
const verify = (root: Hex, leaf: Hex, index: number, count: number, proof: Hex[]) =>
  pub.readContract({
    address: harness,
    abi: commitmentsHarnessAbi,
    functionName: "verifyProof",
    args: [root, leaf, BigInt(index), BigInt(count), proof],
  } as never) as Promise<boolean>;

t.test("claim leaves: Bridge.claimLeaf agrees with protocol/claims.ts", async (t) => {
  t.ok(vectors.leaves.length >= 5);
  for (const v of vectors.leaves) {
    t.equal(toHex(claimLeaf(v.claimKey)), v.leaf, "TS");
    t.equal(await dep.bridge.claimLeaf(v.claimKey), v.leaf, "Solidity");
  }
});

t.test("trees: every proof verifies on chain against the root, and only at its index", async (t) => {
  t.same(
    vectors.trees.map((x) => x.claims.length),
    [1, 2, 3, 5],
  );
  for (const tree of vectors.trees) {
    t.equal(new ClaimsTree(tree.claims.map((c) => c.claimKey)).rootHex, tree.root, "TS root");
    for (const c of tree.claims) {
      t.ok(await verify(tree.root, c.leaf, c.leafIndex, c.leafCount, c.proof));
      if (c.leafCount > 1)
        t.notOk(await verify(tree.root, c.leaf, (c.leafIndex + 1) % c.leafCount, c.leafCount, c.proof));
    }
  }
});

t.test("hostile inputs: named errors", async (t) => {
  t.throws(() => claimLeaf("0x1234"), /claimKey must be 32 bytes, got 2/);
  t.throws(() => new ClaimsTree([]), /a batch without claims has no claims tree/);
  const tree = new ClaimsTree([vectors.leaves[0].claimKey]);
  t.throws(() => tree.proof(1), /claim index 1 out of range \[0, 1\)/);
  t.equal(tree.proofOf(vectors.leaves[1].claimKey), null, "a key the tree does not hold has no proof");
  t.same(tree.proofOf(vectors.leaves[0].claimKey.toUpperCase().replace("0X", "0x") as Hex), tree.proof(0));
});
