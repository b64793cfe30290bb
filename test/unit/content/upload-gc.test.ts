/**
 * The upload garbage collector on a real content store and a real node's state: uploads older
 * than the grace period that no job, claim or registered model names are deleted; referenced,
 * young and re-uploaded files stay, and so does a block a deleted file shared with a kept one.
 * The upload log survives a reopen.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { ContentSweeper, expiredUnreferenced, UploadLog } from "../../../content/upload-gc.ts";
import { cidToBytesHex } from "../../../protocol/cid.ts";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { StaticL1Source } from "../../../sequencer/l1.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { modelRegistration } from "../../helpers/registered-model.ts";

const CHUNK = 262_144;
const GRACE = 60_000;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const concat = (a: Uint8Array, b: Uint8Array) => new Uint8Array([...a, ...b]);

t.test("expiredUnreferenced: old and unnamed only; the grace period ends at exactly graceMs", async (t) => {
  const uploads = [
    { cid: "old", at: 0 },
    { cid: "named", at: 0 },
    { cid: "edge", at: 1 },
    { cid: "young", at: 2 },
  ];
  t.same(expiredUnreferenced(uploads, new Set(["named"]), 1 + GRACE, GRACE), ["old", "edge"]);
  t.same(expiredUnreferenced(uploads, new Set(), GRACE - 1, GRACE), [], "nothing before its grace ends");
});

t.test("a sweep deletes unreferenced old uploads, keeps what L2 names and shared blocks", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-gc-"));
  const store = await openHeliaContent();
  const users = devKeys(1, "content-gc");
  const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });
  const l1 = new StaticL1Source();
  const node = await SequencerNode.open({
    dataDir: join(dir, "node"),
    genesis,
    sequencerKey: key ?? undefined,
    verifyWorkers: 0,
    l1,
  });
  t.teardown(async () => {
    await node.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // a job's input and an unreferenced file share their first 256 KiB chunk (one block)
  const shared = bytes(CHUNK, 7);
  const input = await store.add(concat(shared, bytes(10, 1)));
  const orphanSharing = await store.add(concat(shared, bytes(10, 2)));
  const modelFile = await store.add(bytes(100, 3));
  const orphan = await store.add(bytes(100, 4));
  const young = await store.add(bytes(100, 5));
  const reuploaded = await store.add(bytes(100, 6));
  const logPath = join(dir, "uploads.jsonl");
  const log = new UploadLog(logPath);
  for (const c of [input, orphanSharing, modelFile, orphan, reuploaded]) log.record(c, 0);
  log.record(young, 30_000);
  log.record(reuploaded, 40_000); // uploaded again: its grace starts over

  // L2 names the input (a posted job) and the model's file (its L1 registration)
  const modelId = `0x${"42".repeat(32)}` as const;
  l1.mine([await modelRegistration(modelId, { cid: cidToBytesHex(modelFile) })]);
  await node.sealNow();
  const job = signTx(
    {
      type: "postJob",
      from: users[0].address,
      nonce: 0,
      fee: 0n,
      modelId,
      inputRoot: `0x${"01".repeat(32)}`,
      inputCid: cidToBytesHex(input),
      escrow: 5n,
      deadline: Date.now() + 60_000,
    } as UnsignedUserTx,
    users[0].key,
    l2Domain(genesis.l2ChainId),
  );
  await node.submit(encodeTx(job as UserTx));
  t.ok(node.contentReferences().has(input), "a pending job's input is referenced");
  t.ok(node.contentReferences().has(modelFile), "a registered model's file is referenced");

  const now = { ms: GRACE - 1 };
  const sweeper = new ContentSweeper({
    store,
    log,
    references: () => node.contentReferences(),
    graceMs: GRACE,
    clock: () => now.ms,
  });
  t.same(await sweeper.sweep(), { deleted: [], blocks: 0 }, "nothing is old enough yet");

  now.ms = GRACE;
  const r = await sweeper.sweep();
  t.same(new Set(r.deleted), new Set([orphanSharing, orphan]));
  t.equal(r.blocks, 3, "the sharing file's root and own leaf, the orphan's one block; not the shared leaf");
  for (const gone of [orphanSharing, orphan]) t.notOk(await store.has(gone), `${gone} deleted`);
  for (const kept of [input, modelFile, young, reuploaded]) t.ok(await store.has(kept), `${kept} kept`);
  t.same(await store.get(input), concat(shared, bytes(10, 1)), "the job's input reads back whole");

  t.same(
    new UploadLog(logPath)
      .list()
      .map((u) => u.cid)
      .sort(),
    [input, modelFile, young, reuploaded].sort(),
    "the log on disk lists what is left",
  );

  // later: the young and the re-uploaded files' grace ends too; what L2 names still stays
  now.ms = 40_000 + GRACE;
  t.same(new Set((await sweeper.sweep()).deleted), new Set([young, reuploaded]));
  t.ok(await store.has(input));
  t.ok(await store.has(modelFile));
});

t.test("the upload log skips a line cut by a crash and keeps the rest", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-gc-log-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "uploads.jsonl");
  writeFileSync(path, '{"cid":"a","at":1}\n{"cid":"b","at":2}\n{"cid":"c","a');
  const log = new UploadLog(path);
  t.same(log.list(), [
    { cid: "a", at: 1 },
    { cid: "b", at: 2 },
  ]);
  log.forget(["a"]);
  t.equal(
    readFileSync(path, "utf8"),
    '{"cid":"b","at":2}\n',
    "rewritten without the forgotten and the cut line",
  );
  t.throws(
    () =>
      new ContentSweeper({
        store: { localBlocks: async () => [], deleteBlocks: async () => {} },
        log,
        references: () => new Set(),
        graceMs: -1,
        clock: () => 0,
      }),
    /graceMs must be >= 0/,
  );
});
