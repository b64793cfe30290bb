/** `verdict content cid|add|get` as a user runs them: a real process, a real sequencer. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import t from "tap";
import { fileCid } from "../../../protocol/cid.ts";
import { DEFAULTS } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { startSequencer } from "../../../sequencer/run.ts";

const run = promisify(execFile);
const BIN = new URL("../../../bin/verdict.ts", import.meta.url).pathname;
const verdict = (...args: string[]) => run(process.execPath, [BIN, ...args], { maxBuffer: 64 << 20 });

t.test("content cid / add / get through the embedded store, a sequencer and the Kubo option", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-content-cli-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "in.bin");
  const data = new Uint8Array(600_000).map((_, i) => (i * 13) & 0xff);
  writeFileSync(file, data);
  const want = (await fileCid(data)).toString();

  // independent invocations run side by side: each is a process start (~1 s CPU)
  const store = join(dir, "store");
  const fresh = join(dir, "fresh");
  const [cidOut, added, badApi, slow] = await Promise.all([
    verdict("content", "cid", file),
    verdict("content", "add", "--content-dir", store, file),
    verdict("content", "add", "--ipfs-api", "localhost:5001", file).catch((e) => e),
    verdict(
      "content",
      "get",
      (await fileCid(new Uint8Array([7]))).toString(),
      "--timeout-ms",
      "300",
      "--content-dir",
      fresh,
    ).catch((e) => e),
  ]);
  t.equal(cidOut.stdout.trim(), want);
  t.equal(added.stdout.trim(), want);
  t.match(badApi.stderr, /--ipfs-api: expected an http\(s\) URL/);
  t.match(slow.stderr, /timed out after 300 ms/);
  await verdict("content", "get", want, "--content-dir", store, "--out", join(dir, "out1"));
  t.same(readFileSync(join(dir, "out1")), Buffer.from(data), "read back from the persisted store");

  const seq = await startSequencer(
    {
      ...DEFAULTS,
      genesis: devGenesis(devKeys(1, "cli")),
      dataDir: join(dir, "seq"),
      httpPort: 0,
      verifyWorkers: 0,
    },
    pino({ level: "warn" }),
  );
  t.teardown(() => seq.close());
  t.equal(
    (await verdict("content", "add", "--sequencer", seq.url, file)).stdout.trim(),
    want,
    "via POST /v1/content",
  );
  const [viaKubo, , viaHttp, bad] = await Promise.all([
    verdict("content", "get", want, "--ipfs-api", seq.url, "--out", join(dir, "out2")),
    verdict(
      "content",
      "get",
      want,
      "--content-dir",
      fresh,
      "--content-peer",
      seq.p2p.addrs()[0],
      "--out",
      join(dir, "out3"),
    ),
    verdict("content", "get", want, "--sequencer", seq.url),
    verdict("content", "get", "nope", "--sequencer", seq.url).catch((e) => e),
  ]);
  t.equal(viaKubo.stderr, "");
  t.same(readFileSync(join(dir, "out2")), Buffer.from(data), "via --ipfs-api (Kubo RPC)");
  t.same(readFileSync(join(dir, "out3")), Buffer.from(data), "via bitswap from the sequencer");
  t.equal(viaHttp.stdout.length, data.length, "to stdout via GET /v1/content");
  t.equal(bad.code, 1);
  t.match(bad.stderr, /400 from .*not a CID/);
});
