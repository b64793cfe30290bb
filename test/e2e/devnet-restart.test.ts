/**
 * `npm run devnet` twice on one data dir: the second run resumes. L1 is replayed from its journal
 * (the old head block has the same hash, the Bridge is where it was, nothing is deployed, staked,
 * registered or deposited again), L2 continues from its head (same state root at the old head),
 * and the demo jobs go on where they stopped. (Run with the faulty worker off, which this also
 * checks: the resume is about state, not the dispute story, which devnet.test.ts shows.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l1Call, spawnDevnet } from "./devnet-helpers.ts";

t.test(
  "devnet: SIGINT, start again on the same dir, everything continues",
  { timeout: 480_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-devnet-restart-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));

    const first = spawnDevnet(dir, { VERDICT_DEVNET_FAULTY: "off" });
    t.teardown(() => {
      if (first.proc.exitCode === null) first.proc.kill("SIGKILL");
    });
    const [, l1Url] = await first.waitFor(/L1 embedded chain (http:\/\/[^ ]+) .*new\)/, 240_000);
    const [, bridge] = await first.waitFor(/Bridge (0x[0-9a-f]{40})/, 10_000);
    const [, l2Url] = await first.waitFor(/L2 sequencer (http:\/\/[^ ]+) /, 120_000);
    await first.waitFor(/roles running: /, 240_000);
    t.match(first.out(), /\(faulty worker off\)/, "VERDICT_DEVNET_FAULTY=off: no faulty worker");
    t.notMatch(first.out(), /\[worker-faulty\]/);
    await first.waitFor(/result submitted by worker-honest/, 240_000);
    const l1Head = (await l1Call(l1Url, "eth_getBlockByNumber", ["latest", false])) as {
      number: string;
      hash: string;
    };
    const l2Head = (await (await fetch(`${l2Url}/v1/blocks/latest`)).json()) as {
      header: { number: number; stateRoot: string };
    };
    t.equal(await first.interrupt(), 0, "first run exits 0");
    const [, postedBefore] =
      first.out().match(/posting 2 demo jobs every \d+ s \(escrow 0\.01 ETH each; (\d+) posted before\)/) ??
      [];
    t.equal(postedBefore, "0");

    const second = spawnDevnet(dir, { VERDICT_DEVNET_FAULTY: "off" });
    t.teardown(() => {
      if (second.proc.exitCode === null) second.proc.kill("SIGKILL");
    });
    const [, l1Url2, resumedAt] = await second.waitFor(
      /L1 embedded chain (http:\/\/[^ ]+) .*resumed at block (\d+)\)/,
      240_000,
    );
    t.ok(BigInt(resumedAt) >= BigInt(l1Head.number), "L1 resumed at or after the head seen before the stop");
    const old = (await l1Call(l1Url2, "eth_getBlockByNumber", [l1Head.number, false])) as { hash: string };
    t.equal(old.hash, l1Head.hash, "the old L1 head has the same hash after the replay");
    t.match(second.out(), new RegExp(`Bridge ${bridge}`), "same Bridge");
    await second.waitFor(/\(registered before\)/, 120_000);
    t.pass("the model is not registered again");
    t.match(second.out(), /data dir .* \(resuming\)/);
    const [, l2Url2] = await second.waitFor(/L2 sequencer (http:\/\/[^ ]+) /, 120_000);
    const oldL2 = (await (await fetch(`${l2Url2}/v1/blocks/${l2Head.header.number}`)).json()) as {
      header: { stateRoot: string };
    };
    t.equal(
      oldL2.header.stateRoot,
      l2Head.header.stateRoot,
      "L2 keeps its chain: same state root at the old head",
    );
    const [, postedNow] = await second.waitFor(
      /posting 2 demo jobs every \d+ s \(escrow 0\.01 ETH each; (\d+) posted before\)/,
      240_000,
    );
    t.ok(Number(postedNow) >= 2, "the demo goes on counting from the jobs posted before");
    await second.waitFor(/posted by requester/, 60_000);
    const l2Now = (await (await fetch(`${l2Url2}/v1/blocks/latest`)).json()) as {
      header: { number: number };
    };
    t.ok(l2Now.header.number > l2Head.header.number, "L2 grows past the old head");
    t.notMatch(second.out(), /bridged 1 ETH to L2/, "no second deposit");
    t.notMatch(second.out(), /staked on L1/, "workers are still bonded: no second stake");
    t.equal(await second.interrupt(), 0, "second run exits 0");
  },
);
