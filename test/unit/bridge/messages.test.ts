/**
 * A batch's L2 -> L1 message tree: test/vectors/messages.json (npm run vectors, generated from
 * protocol/withdrawal.ts) reproduced on the embedded chain by the real Bridge (resultLeaf) and the
 * Commitments library (withdrawalLeaf, verifyProof through its harness); hostile inputs to the
 * TypeScript encoders throw named errors.
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
import { MessageTree, resultLeaf, WithdrawalTree, withdrawalLeaf } from "../../../protocol/withdrawal.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  resultLeaves: { requestId: string; claimKey: Hex; outputRoot: Hex; outputCid: Hex; leaf: Hex }[];
  withdrawalLeaves: { recipient: Hex; amount: string; l2TxHash: Hex; leaf: Hex }[];
  trees: {
    root: Hex;
    messages: { kind: string; leaf: Hex; leafIndex: number; leafCount: number; proof: Hex[] }[];
  }[];
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/messages.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const clients = backend.clients(0);
const dep = await deployBridge(clients);
const pub = clients.publicClient;
const harnessReceipt = await pub.waitForTransactionReceipt({
  hash: await clients.walletClient!.deployContract({
    abi: commitmentsHarnessAbi,
    bytecode: commitmentsHarnessBytecode,
  }),
});
const harness = harnessReceipt.contractAddress as Address;
// biome-ignore lint/suspicious/noExplicitAny: thin wrapper; every call site is checked against the vectors
const call = (functionName: string, args: readonly unknown[]): Promise<any> =>
  pub.readContract({ address: harness, abi: commitmentsHarnessAbi, functionName, args } as never);

t.test("result leaves: Bridge.resultLeaf agrees with protocol/withdrawal.ts", async (t) => {
  t.ok(vectors.resultLeaves.length >= 3);
  for (const v of vectors.resultLeaves) {
    const r = { ...v, requestId: BigInt(v.requestId) };
    t.equal(toHex(resultLeaf(r)), v.leaf, `TS request ${v.requestId}`);
    t.equal(await dep.bridge.resultLeaf(r.requestId, r.claimKey, r.outputRoot, r.outputCid), v.leaf);
  }
});

t.test("withdrawal leaves: Commitments.withdrawalLeaf agrees", async (t) => {
  for (const v of vectors.withdrawalLeaves) {
    const w = { ...v, amount: BigInt(v.amount) };
    t.equal(toHex(withdrawalLeaf(w)), v.leaf);
    t.equal(await call("withdrawalLeaf", [w.recipient, w.amount, w.l2TxHash]), v.leaf);
  }
});

t.test("mixed trees: every proof verifies on chain against the root, and only at its index", async (t) => {
  for (const tree of vectors.trees) {
    for (const m of tree.messages) {
      t.ok(await call("verifyProof", [tree.root, m.leaf, BigInt(m.leafIndex), BigInt(m.leafCount), m.proof]));
      if (m.leafCount > 1) {
        const other = BigInt((m.leafIndex + 1) % m.leafCount);
        t.notOk(await call("verifyProof", [tree.root, m.leaf, other, BigInt(m.leafCount), m.proof]));
      }
    }
  }
  const kinds = vectors.trees.flatMap((x) => x.messages.map((m) => m.kind));
  t.ok(kinds.includes("result") && kinds.includes("withdrawal"), "both kinds in the trees");
});

t.test("a withdrawal-only tree is the message tree of its withdrawals", async (t) => {
  const ws = vectors.withdrawalLeaves.map((v) => ({ ...v, amount: BigInt(v.amount) }));
  const a = new WithdrawalTree(ws);
  const b = new MessageTree(ws.map((w) => ({ kind: "withdrawal" as const, ...w })));
  t.equal(a.rootHex, b.rootHex);
  t.same(a.proof(1), b.proof(1));
  t.equal(new MessageTree([]).rootHex, `0x${"00".repeat(32)}`, "empty: zero root");
});

t.test("hostile inputs to the encoders", async (t) => {
  const good = {
    requestId: 1n,
    claimKey: `0x${"11".repeat(32)}` as Hex,
    outputRoot: `0x${"22".repeat(32)}` as Hex,
    outputCid: "0x01551220" as Hex,
  };
  t.throws(() => resultLeaf({ ...good, requestId: -1n }), /requestId out of u256 range/);
  t.throws(() => resultLeaf({ ...good, requestId: 1n << 256n }), /requestId out of u256 range/);
  t.throws(() => resultLeaf({ ...good, claimKey: "0x11" }), /claimKey must be 32 bytes/);
  t.throws(() => resultLeaf({ ...good, outputRoot: `0x${"22".repeat(33)}` }), /outputRoot must be 32 bytes/);
  t.throws(() => resultLeaf({ ...good, outputCid: `0x${"01".repeat(129)}` }), /outputCid longer than 128/);
  const tree = new MessageTree([{ kind: "result", ...good }]);
  t.throws(() => tree.proof(1), /message index 1 out of range/);
  t.throws(() => tree.proof(-1), /out of range/);
  t.throws(() => new MessageTree([]).proof(0), /no proofs/);
});
