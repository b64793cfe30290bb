/**
 * `npm run devnet` as a person runs it: starts, shows the demo deposit credited on L2 after its
 * L1 confirmations, and stops cleanly on Ctrl-C (SIGINT) with exit code 0.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";

const script = new URL("../../scripts/devnet.ts", import.meta.url).pathname;

t.test("devnet: deposit reaches L2, SIGINT stops cleanly", { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-devnet-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      VERDICT_DEVNET_DIR: dir,
      VERDICT_DEVNET_L1_PORT: "0",
      VERDICT_DEVNET_L2_PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const credited = /L2 balance of 0x70997970…: 1000000000000000000 wei/;
  const deadline = Date.now() + 150_000;
  while (!credited.test(out) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 250));
  }
  t.match(out, /Bridge 0x[0-9a-f]{40}/);
  t.match(out, /model transformer-lm seed 1: 150 nodes, model id 0x[0-9a-f]{64}/);
  t.match(out, credited, "the deposit is credited on L2");
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGINT");
  t.equal(await exit, 0, "exits 0 on SIGINT");
  t.match(out, /SIGINT: stopping[\s\S]*stopped/);
});
