/**
 * End to end on the devnet (`npm run devnet`, 1 s L1 blocks, a fresh data dir): from the faulty
 * worker's fraudulent claim to its slash. Starts the devnet as a user would (one process per
 * role), waits for the first dispute the challenger wins, and measures on the chains themselves:
 *
 *  - secondsToSlash: L1 timestamp of the block with DisputeResolved (challenger won) minus the
 *    L2 submittedAt of the claim's job (the sequencer's clock, ms). Target <= 60 s.
 *  - l1Txs: L1 transactions of that game, both sides: every tx that emitted an event of this
 *    dispute id (the opening, each move, the one step), split by side. The watcher's challenger
 *    bond deposit (once, before its first dispute) is not a game move and is not counted.
 *
 * `npm run bench -- e2e [--json]` (about 3 minutes; the machine's load shows in the seconds).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createPublicClient, type Hex, http, parseEventLogs } from "viem";
import { disputeGameAbi } from "../contracts/artifacts/DisputeGame.ts";
import { spawnDevnet } from "../test/e2e/devnet-helpers.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const TARGET_S = 60;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-bench-e2e-"));
  const dn = spawnDevnet(dir);
  try {
    const [, l1Url] = await dn.waitFor(/L1 embedded chain (http:\/\/[^ ]+) /, 300_000);
    const [, game] = await dn.waitFor(/DisputeGame (0x[0-9a-f]{40})/, 10_000);
    const [, l2Url] = await dn.waitFor(/L2 sequencer (http:\/\/[^ ]+) /, 300_000);
    await dn.waitFor(/worker-faulty slashed/, 400_000);
    const l1 = createPublicClient({ transport: http(l1Url) });
    const logs = parseEventLogs({
      abi: disputeGameAbi,
      logs: await l1.getLogs({ address: game as Address, fromBlock: 0n, toBlock: "latest" }),
    });
    const resolved = logs.find(
      (e) => e.eventName === "DisputeResolved" && Number((e.args as { winner: number }).winner) === 2,
    );
    if (!resolved) throw new Error("the devnet printed a slash, but L1 has no dispute won by the challenger");
    const id = (resolved.args as { disputeId: bigint }).disputeId;
    const ofGame = logs.filter((e) => (e.args as { disputeId?: bigint }).disputeId === id);
    const opened = ofGame.find((e) => e.eventName === "DisputeOpened");
    if (!opened) throw new Error(`no DisputeOpened for dispute ${id}`);
    const { jobId, claimer, challenger } = opened.args as {
      jobId: Hex;
      claimer: Address;
      challenger: Address;
    };
    const job = (await (await fetch(`${l2Url}/v1/jobs/${jobId}`)).json()) as { submittedAt: number | null };
    if (job.submittedAt === null) throw new Error(`job ${jobId} has no submittedAt on L2`);
    const resolveBlock = await l1.getBlock({ blockNumber: resolved.blockNumber });
    const openBlock = await l1.getBlock({ blockNumber: opened.blockNumber });

    const txHashes = [...new Set(ofGame.map((e) => e.transactionHash))];
    const bySide = { claimer: 0, challenger: 0, other: 0 };
    let gas = 0n;
    for (const h of txHashes) {
      const [tx, rc] = await Promise.all([
        l1.getTransaction({ hash: h }),
        l1.getTransactionReceipt({ hash: h }),
      ]);
      gas += rc.gasUsed;
      const from = tx.from.toLowerCase();
      if (from === claimer.toLowerCase()) bySide.claimer++;
      else if (from === challenger.toLowerCase()) bySide.challenger++;
      else bySide.other++;
    }
    const secondsToSlash = Number(resolveBlock.timestamp) - job.submittedAt / 1000;
    const secondsToOpen = Number(openBlock.timestamp) - job.submittedAt / 1000;
    return {
      secondsToSlash: Math.round(secondsToSlash * 10) / 10,
      targetSeconds: TARGET_S,
      withinTarget: secondsToSlash <= TARGET_S,
      secondsToOpen: Math.round(secondsToOpen * 10) / 10,
      l1Txs: txHashes.length,
      l1TxsBySide: bySide,
      l1BlocksOpenToResolve: Number(resolved.blockNumber - opened.blockNumber),
      gameGas: Number(gas),
      disputeId: id.toString(),
      jobId,
      l1BlockTimeS: 1,
    };
  } finally {
    await dn.interrupt();
    rmSync(dir, { recursive: true, force: true });
  }
}
