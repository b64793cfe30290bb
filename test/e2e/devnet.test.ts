/**
 * `npm run devnet` as a person runs it: every role comes up as its own process, the demo jobs
 * play out (an honest result paid after the window; the faulty worker's result disputed level by
 * level on L1, the worker slashed, the requester refunded), and Ctrl-C (SIGINT) stops everything
 * with exit code 0, no stack trace and no process left behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { alive, rolePids, spawnDevnet } from "./devnet-helpers.ts";

t.test(
  "devnet: honest job paid, fraud slashed and refunded, SIGINT stops every role",
  { timeout: 420_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-devnet-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const dn = spawnDevnet(dir);
    t.teardown(() => {
      if (dn.proc.exitCode === null) dn.proc.kill("SIGKILL");
    });
    await dn.waitFor(/roles running: .*watcher \(pid \d+\)/, 240_000);
    const out = () => dn.out();
    t.match(out(), /Bridge 0x[0-9a-f]{40}, DisputeGame 0x[0-9a-f]{40}/);
    t.match(out(), /model transformer-lm seed 1: 150 nodes, model id 0x[0-9a-f]{64} \(registered now\)/);
    t.match(out(), /deposit #0 credited: 1 ETH to requester/, "the requester's deposit reached L2");

    await dn.waitFor(/finalized: 0\.01 ETH paid to worker-honest after the 30 s window/, 240_000);
    await dn.waitFor(/worker-faulty slashed 1 ETH \(half to watcher, half burned\)/, 240_000);
    await dn.waitFor(/lost by the worker; escrow refunded to the requester/, 120_000);
    const text = out();
    t.match(text, /job 0x[0-9a-f]{8}… posted by requester: prompt "/, "jobs posted with their prompts");
    t.match(text, /claimed by worker-faulty/);
    t.match(text, /result submitted by worker-honest/);
    t.match(text, /dispute #\d+: opened by watcher against worker-faulty/);
    t.match(text, /dispute #\d+ level 1 \(trace\): claimer revealed 16 trace children/, "level 1 shown");
    t.match(text, /dispute #\d+ level 2 \(tensor\): challenger picked element/, "level 2 shown");
    t.match(text, /dispute #\d+ level 3 \(one step\): one step checked on L1/, "level 3 shown");
    t.match(text, /resolved: challenger wins/);
    for (const role of ["l1", "sequencer", "worker-honest", "worker-faulty", "watcher"])
      t.match(text, new RegExp(`^\\[${role}\\] `, "m"), `${role} logs with its prefix`);

    const pids = rolePids(text);
    t.equal(pids.size, 5, "five role processes");
    t.equal(await dn.interrupt(), 0, "exits 0 on SIGINT");
    const after = dn.out();
    t.match(after, /SIGINT: stopping[\s\S]*\[devnet\] stopped/);
    t.notMatch(after, /^\s+at .*\(.*:\d+:\d+\)$/m, "no stack trace");
    t.notMatch(after, /exited with code [1-9]/, "every role exits 0");
    for (const [role, pid] of pids) t.notOk(alive(pid), `${role} (pid ${pid}) is gone`);
  },
);
