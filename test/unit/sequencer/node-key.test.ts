/** sequencer/node-key.ts: the libp2p key is made once, kept (mode 0600) and read back the same. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { loadOrCreateNodeKey, NODE_KEY_FILE } from "../../../sequencer/node-key.ts";

t.test("made once, then the same key on every load", async (t) => {
  const d = mkdtempSync(join(tmpdir(), "verdict-nodekey-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const a = await loadOrCreateNodeKey(d);
  t.equal(statSync(join(d, NODE_KEY_FILE)).mode & 0o777, 0o600, "readable by its owner only");
  const b = await loadOrCreateNodeKey(d);
  t.ok(b.equals(a), "the same key (so the same peer id)");
  t.equal(a.type, "Ed25519");
  const other = mkdtempSync(join(tmpdir(), "verdict-nodekey-"));
  t.teardown(() => rmSync(other, { recursive: true, force: true }));
  t.notOk((await loadOrCreateNodeKey(other)).equals(a), "another data dir, another key");
});

t.test("a file that is not a key is refused, not replaced", async (t) => {
  const d = mkdtempSync(join(tmpdir(), "verdict-nodekey-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, NODE_KEY_FILE), "not a key");
  await t.rejects(
    loadOrCreateNodeKey(d),
    /nodekey is not a libp2p private key .*; move it away to make a new one$/,
  );
});
