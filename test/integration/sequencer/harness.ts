/** Spawn `verdict sequencer` as a real child process and wait until it serves HTTP. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SequencerConfig } from "../../../sequencer/config.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

export interface Child {
  proc: ChildProcess;
  url: string;
  p2p: string[];
  log: string[];
  exited: Promise<number | null>;
}

/**
 * The sequencer an agent test runs against: HTTP on any port, 100 ms blocks, no verify threads,
 * L1 events at once (no confirmations) from the deployment's block, batches practically never,
 * genesis bound to the deployed Bridge with `alloc` as the only balances.
 */
export function agentSequencerConfig(o: {
  dataDir: string;
  l1Rpc: string;
  deployment: { address: string; chainId: number | bigint; blockNumber: number | bigint };
  l1Key: string;
  challengeWindowMs: number;
  alloc: Record<string, string>;
  /** Wei of L1 stake each open claim holds (genesis.claimCollateral; default 0: none). */
  claimCollateral?: bigint;
}): Partial<SequencerConfig> {
  return {
    dataDir: o.dataDir,
    httpPort: 0,
    blockTimeMs: 100,
    verifyWorkers: 0,
    l1Rpc: o.l1Rpc,
    l1Confirmations: 0,
    l1StartBlock: Number(o.deployment.blockNumber),
    l1Key: o.l1Key,
    batchIntervalMs: 3_600_000,
    logLevel: "info",
    genesis: {
      l2ChainId: "424242",
      l1ChainId: String(o.deployment.chainId),
      bridge: o.deployment.address,
      sequencer: null,
      timestamp: 0,
      challengeWindowMs: o.challengeWindowMs,
      minFee: "0",
      claimCollateral: String(o.claimCollateral ?? 0n),
      feeRecipient: null,
      alloc: o.alloc,
    },
  };
}

export async function spawnSequencer(
  dir: string,
  cfg: Partial<SequencerConfig>,
  extra: string[] = [],
): Promise<Child> {
  const cfgPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const proc = spawn(
    process.execPath,
    [join(ROOT, "bin/verdict.ts"), "sequencer", "--config", cfgPath, ...extra],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const log: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let buf = "";
  return new Promise((resolve, reject) => {
    let url = "";
    const timer = setTimeout(() => reject(new Error(`sequencer did not start:\n${log.join("\n")}`)), 60_000);
    proc.stderr?.on("data", (d) => log.push(String(d)));
    proc.stdout?.on("data", (d) => {
      buf += String(d);
      let i = buf.indexOf("\n");
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        log.push(line);
        try {
          const o = JSON.parse(line);
          if (o.msg === "http listening") url = o.url;
          if (o.msg === "p2p listening") {
            clearTimeout(timer);
            resolve({ proc, url, p2p: o.addrs, log, exited });
          }
        } catch {}
        i = buf.indexOf("\n");
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`sequencer exited with ${code}:\n${log.join("\n")}`));
    });
  });
}
