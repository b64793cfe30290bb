/**
 * The rollup against the real Bridge contract on the embedded L1 chain (bridge/): an L1 deposit
 * is derived into L2 after its confirmation depth, an L2 withdrawal goes out in a batch posted
 * with Bridge.postBatch, and Bridge.proveWithdrawal pays it on L1 with the proof the sequencer
 * serves, once the batch is final.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { startDevnet } from "../../../bridge/devnet.ts";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import {
  claimDigest,
  encodeTx,
  NO_GENERATION,
  recoverClaimSigner,
  signClaim,
  signTx,
  type UserTx,
} from "../../../protocol/tx.ts";
import { fileCid } from "../../../prover-trace/commit/model.ts";
import { buildApi } from "../../../sequencer/api.ts";
import { Batcher } from "../../../sequencer/batch.ts";
import { bridgeBatchView } from "../../../sequencer/batch-l1.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devKeys } from "../../../sequencer/devkit.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { keys as K } from "../../../sequencer/state/records.ts";

t.test("a worker claim accepted by the sequencer is the one the Bridge verifies", async (t) => {
  const devnet = await startDevnet({});
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const [worker] = devKeys(1, "claim-worker");
  const h = (b: string) => `0x${b.repeat(32)}` as const;
  const claim = {
    jobId: h("01"),
    modelId: h("02"),
    inputRoot: h("03"),
    outputRoot: h("04"),
    traceRoot: h("05"),
    generationSpec: NO_GENERATION,
    outputCid: "0x01551220aa" as const,
    traceCid: "0x01551220bb" as const,
  };
  const domain = claimDomain(BigInt(dep.chainId), dep.address);
  const sig = signClaim(claim, worker.key, domain);
  t.equal(
    await dep.bridge.claimDigest(claim),
    toHex(claimDigest(claim, domain)),
    "same EIP-712 digest on L1",
  );
  t.equal(
    ((await dep.bridge.claimSigner(claim, sig)) as string).toLowerCase(),
    worker.address,
    "L1 recovers the worker",
  );
  t.equal(recoverClaimSigner(claim, sig, domain), worker.address, "and so does the sequencer");
});

t.test("deposit -> L2 -> withdraw -> batch -> proveWithdrawal on the real Bridge", async (t) => {
  const devnet = await startDevnet({});
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const bridge = dep.bridge;
  const [user] = devKeys(1, "l1-e2e");
  const l1Recipient = devKeys(1, "l1-recipient")[0].address;
  const base = { ...DEFAULTS };
  const { genesis, key } = resolveGenesis({
    ...base,
    genesis: { ...base.genesis, l1ChainId: String(dep.chainId), bridge: dep.address },
  });
  const dir = mkdtempSync(join(tmpdir(), "verdict-l1e2e-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const follower = new BridgeFollower(devnet.clients, {
    bridge: dep.address,
    confirmations: 2,
    startBlock: Number(dep.blockNumber),
  });
  const node = await SequencerNode.open({
    dataDir: dir,
    genesis,
    sequencerKey: key ?? undefined,
    l1: follower,
  });
  t.teardown(() => node.close());

  const oneEth = 10n ** 18n;
  const d = await bridge.deposit(user.address, oneEth);
  t.equal(d.depositId, 0n);
  t.equal(await node.sealNow(), null, "not derived before its confirmation depth");
  await devnet.chain.mine(2);
  const b1 = await node.sealNow();
  t.ok(b1, "the deposit block");
  t.same(node.record(K.account(user.address)), { balance: oneEth.toString(), nonce: 0 }, "credited on L2");
  await devnet.chain.mine(3);
  await node.sealNow();
  t.same(node.record(K.account(user.address)), { balance: oneEth.toString(), nonce: 0 }, "and only once");

  const amount = 4n * 10n ** 17n;
  const w = signTx(
    { type: "withdraw", from: user.address, nonce: 0, fee: 0n, l1Recipient, amount },
    user.key,
    l2Domain(genesis.l2ChainId),
  );
  const { txHash } = await node.submit(encodeTx(w as UserTx));
  await node.sealNow();

  const batcher = new Batcher(node, bridge, {
    cidOf: async (data) => toHex((await fileCid(data)).bytes),
    l1: bridgeBatchView(bridge),
    confirmations: 2,
  });
  const posted = await batcher.postOnce();
  t.equal(posted?.index, 0);
  t.equal(posted?.firstBlock, 1);
  t.equal(posted?.lastBlock, node.chain.head.number);
  t.equal(posted?.status, "sent");
  t.equal(await batcher.postOnce(), null, "waiting for confirmations");
  // served over the API as well, once the batch is confirmed
  const app = await buildApi(node, createMetrics(), { batcher });
  t.teardown(() => app.close());
  const early = await app.inject(`/v1/withdrawals/${txHash}/proof`);
  t.equal(early.statusCode, 404);
  t.match(early.json().error, /is in batch 0, posted to L1 but not confirmed yet \(2 confirmations\)/);
  await devnet.chain.mine(2);
  t.equal(await batcher.postOnce(), null, "confirmed, nothing new to post");
  t.match(await batcher.posted(), [{ index: 0, status: "confirmed" }]);
  const res = await app.inject(`/v1/withdrawals/${txHash}/proof`);
  t.equal(res.statusCode, 200, res.body);
  const proof = res.json() as Awaited<ReturnType<typeof batcher.withdrawalProof>>;
  if ("error" in proof) throw new Error(proof.error);
  t.same(proof, await batcher.withdrawalProof(txHash));
  t.equal(proof.leafCount, 1);

  const claim = {
    batchIndex: BigInt(proof.batchIndex),
    recipient: proof.recipient,
    amount: BigInt(proof.amount),
    l2TxHash: proof.l2TxHash,
    leafIndex: proof.leafIndex,
    leafCount: proof.leafCount,
    proof: proof.proof,
  };
  await t.rejects(bridge.proveWithdrawal(claim), /BatchNotFinalized/, "not before the challenge window");
  devnet.chain.increaseTime(Number(dep.params.challengeWindow) + 1);
  await devnet.chain.mine(1);
  const before = await devnet.clients.publicClient.getBalance({ address: l1Recipient });
  await bridge.proveWithdrawal(claim);
  const after = await devnet.clients.publicClient.getBalance({ address: l1Recipient });
  t.equal(after - before, amount, "paid on L1");
  await t.rejects(bridge.proveWithdrawal(claim), /WithdrawalAlreadyClaimed/);
  t.match(await batcher.withdrawalProof(`0x${"00".repeat(32)}`), { error: "unknown tx" });
  const notW = await app.inject(`/v1/withdrawals/${(b1 as NonNullable<typeof b1>).receipts[0].txHash}/proof`);
  t.equal(notW.statusCode, 404);
  t.match(notW.json().error, /not a withdrawal/);
});
