/**
 * The claims a batch commits (sequencer/batch-claims.ts): batchClaimKeys reads the claim keys of
 * a batch's submitResult txs in block then tx order and nothing else; the ClaimsRecorder records
 * each confirmed batch's root on the real Bridge (embedded chain) once, skips batches without
 * claims, refuses to go on when L1 holds another root for a batch, and proves only what it
 * recorded.
 */

import t from "tap";
import type { Hex } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { toHex, u32be } from "../../../protocol/bytes.ts";
import { ClaimsTree } from "../../../protocol/claims.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import {
  type ClaimMsg,
  claimDigest,
  encodeTx,
  NO_GENERATION,
  type SubmitResultTx,
} from "../../../protocol/tx.ts";
import type { PostedBatch } from "../../../sequencer/batch.ts";
import { batchClaimKeys, ClaimsRecorder } from "../../../sequencer/batch-claims.ts";
import { batchDataHash, batchDataWithoutTxs } from "../../../sequencer/batch-data.ts";
import type { Block } from "../../../sequencer/block.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const WORKER = `0x${"77".repeat(20)}` as Hex;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const dep = await deployBridge(backend.clients(0));
const domain = claimDomain(BigInt(dep.chainId), dep.address);

const claim = (n: number): ClaimMsg => ({
  jobId: h32(n),
  worker: WORKER,
  modelId: h32(0x10),
  inputRoot: h32(0x11),
  outputRoot: h32(0x12),
  traceRoot: h32(0x13),
  generationSpec: NO_GENERATION,
  outputCid: "0x",
  traceCid: "0x",
});
const submit = (n: number): Record<string, unknown> =>
  encodeTx({
    type: "submitResult",
    from: WORKER,
    nonce: n,
    fee: 0n,
    signature: `0x${"00".repeat(65)}`,
    claim: claim(n),
    claimSignature: `0x${"00".repeat(65)}`,
  } satisfies SubmitResultTx);
const other = (n: number): Record<string, unknown> =>
  encodeTx({
    type: "transfer",
    from: WORKER,
    nonce: n,
    fee: 0n,
    signature: `0x${"00".repeat(65)}`,
    to: WORKER,
    amount: 1n,
  });
/** A stored block as far as the recorder reads it: its number and txs. */
const block = (number: number, txs: Record<string, unknown>[]) =>
  ({ header: { number }, txs, receipts: [] }) as unknown as Block;
const keyOf = (n: number) => toHex(claimDigest(claim(n), domain));

t.test("batchClaimKeys: submitResult txs only, in block then tx order", async (t) => {
  const blocks = [block(1, [other(0), submit(1)]), block(2, []), block(3, [submit(2), other(3), submit(3)])];
  t.same(batchClaimKeys(blocks, domain), [keyOf(1), keyOf(2), keyOf(3)]);
  t.same(batchClaimKeys([block(1, [other(0)])], domain), [], "no claims, no keys");
  t.throws(
    () => batchClaimKeys([block(1, [{ type: "submitResult", claim: {} }])], domain),
    "a malformed tx is an error",
  );
});

t.test(
  "ClaimsRecorder: records each confirmed batch with claims once, proves what it recorded",
  async (t) => {
    const blocks = new Map<number, Block>([
      [1, block(1, [submit(1), submit(2)])],
      [2, block(2, [other(0)])],
      [3, block(3, [submit(3)])],
    ]);
    const posted: PostedBatch[] = [];
    for (const [i, n] of [1, 2, 3].entries()) {
      await dep.bridge.postBatch({
        firstBlock: BigInt(n),
        lastBlock: BigInt(n),
        stateRoot: h32(1),
        withdrawalRoot: h32(0),
        // batch data standing in for the blocks (the Bridge checks only its hash)
        txData: toHex(batchDataWithoutTxs(u32be(n))),
        txDataHash: batchDataHash(batchDataWithoutTxs(u32be(n))),
        cid: "0x0155",
      });
      posted.push({
        index: i,
        firstBlock: n,
        lastBlock: n,
        stateRoot: h32(1),
        withdrawalRoot: h32(0),
        txDataHash: batchDataHash(batchDataWithoutTxs(u32be(n))),
        cid: "0x0155",
        l1TxHash: null,
      });
    }
    let confirmed = posted.slice(0, 2);
    const recorder = new ClaimsRecorder({
      block: async (n) => blocks.get(n),
      confirmed: async () => confirmed,
      l1: dep.bridge,
      claimDomain: domain,
    });
    t.match(
      await recorder.inclusion(keyOf(1)),
      { error: /in no recorded batch/ },
      "nothing before recording",
    );
    t.same(await recorder.recordOnce(), [0], "batch 0 recorded, batch 1 (no claims) skipped");
    t.equal((await dep.bridge.batchClaims(1n)).recordedAt, 0n, "batch 1 not recorded on L1");
    t.equal((await dep.bridge.batchClaims(0n)).root, new ClaimsTree([keyOf(1), keyOf(2)]).rootHex);
    t.match(await recorder.inclusion(keyOf(2)), {
      batchIndex: 0,
      claimKey: keyOf(2),
      leafIndex: 1,
      leafCount: 2,
    });
    t.match(
      await recorder.inclusion(keyOf(3)),
      { error: /in no recorded batch/ },
      "batch 2 not confirmed yet",
    );

    // L1 already holds another root for batch 2 (another recorder, or a bug): stop, say so.
    await dep.bridge.recordBatchClaims(2n, h32(0x99));
    confirmed = posted;
    await t.rejects(recorder.recordOnce(), /L1 holds claims root 0x9999.* for batch 2, this node 0x/);
    t.same(await recorder.recordOnce().catch(() => "again"), "again", "and keeps refusing");

    // A fresh recorder (after a restart) finds batch 0 recorded with its root and does not resend.
    const restarted = new ClaimsRecorder({
      block: async (n) => blocks.get(n),
      confirmed: async () => posted.slice(0, 2),
      l1: dep.bridge,
      claimDomain: domain,
    });
    t.same(await restarted.recordOnce(), [], "nothing to send");
    t.match(
      await restarted.inclusion(keyOf(1)),
      { batchIndex: 0, leafIndex: 0 },
      "its proofs are served again",
    );
    await t.rejects(
      new ClaimsRecorder({
        block: async () => undefined,
        confirmed: async () => posted,
        l1: dep.bridge,
        claimDomain: domain,
      }).recordOnce(),
      /block 1 missing from the store/,
    );
  },
);
