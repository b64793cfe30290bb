/**
 * The real GameScheduler on one claim of a dispute-game rig (dispute-game.ts setupGame), playing as
 * CHALLENGER against the real contracts on the embedded chain, with its log lines, metrics and
 * store kept for the test to read.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Test } from "tap";
import type { Hex } from "viem";
import { toHex } from "../../protocol/bytes.ts";
import { claimDomain } from "../../protocol/eip712.ts";
import { claimDigest } from "../../protocol/tx.ts";
import type { PartyView } from "../../verifier/game/view.ts";
import { createWatcherMetrics } from "../../verifier/watcher/metrics.ts";
import { GameScheduler, type SchedulerDeps } from "../../verifier/watcher/scheduler.ts";
import { type GameRecord, WatcherStore } from "../../verifier/watcher/store.ts";
import { CHALLENGER, type Game, WORKER } from "./dispute-game.ts";
import type { L1Backend } from "./l1.ts";

export interface WatcherRig {
  scheduler: GameScheduler;
  metrics: ReturnType<typeof createWatcherMetrics>;
  store: WatcherStore;
  lines: Record<string, unknown>[];
  record: GameRecord;
  /** The scheduler's release calls: claim key and status at release. */
  released: string[];
}

export async function watcherRig(
  t: Test,
  b: L1Backend,
  g: Game,
  signature: Hex,
  view: PartyView,
  extra: Partial<SchedulerDeps> = {},
): Promise<WatcherRig> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-watcher-rig-"));
  const store = await WatcherStore.open(join(dir, "db"));
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const metrics = createWatcherMetrics();
  const released: string[] = [];
  const scheduler = new GameScheduler({
    game: g.as(CHALLENGER),
    bridge: g.d.bridge.as(b.wallet(CHALLENGER)),
    store,
    metrics,
    logger,
    me: b.accounts[CHALLENGER].address,
    pollMs: 20,
    viewFor: async () => view,
    release: (r) => void released.push(`${r.claimKey} ${r.status}`),
    ...extra,
  });
  const chainId = BigInt(await b.clients().publicClient.getChainId());
  const record: GameRecord = {
    claimKey: toHex(claimDigest(g.claim, claimDomain(chainId, g.d.address))),
    jobId: g.claim.jobId,
    claim: g.claim,
    signature,
    worker: b.accounts[WORKER].address.toLowerCase() as Hex,
    l2Block: 1,
    submittedAt: 0,
    inputCid: "0x",
    status: "opening",
    level: "trace",
    updatedAt: 0,
  };
  await store.put(record);
  t.teardown(async () => {
    await scheduler.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { scheduler, metrics, store, lines, record, released };
}
