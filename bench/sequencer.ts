/**
 * Sequencer throughput and inclusion latency through the real HTTP API. The sequencer runs as
 * its own process (`verdict sequencer`, level data dir, durable WAL); this process is the load
 * generator: it pre-signs EIP-712 transfers, then
 *   1. throughput: S concurrent senders post batches (POST /v1/txs/batch) as fast as acks come
 *      back; tx/s = txs acknowledged AND included in durable blocks / wall time until the last
 *      one is included;
 *   2. latency: single-tx POST /v1/txs at a fixed offered load (open loop); inclusion latency =
 *      send -> the block holding it is announced on the event stream (after its durable commit).
 * seqCpuUsPerTx: CPU time (all threads) the sequencer process spent per tx in phase 1: the
 * cost that decides tx/s on a busy machine, and steadier than tx/s when the load moves;
 * latCpuUsPerTx: the same for phase 2 (one HTTP request per tx, block events included).
 *   3. follower catch-up: a fresh follower process syncs the whole chain from genesis over
 *      libp2p (/verdict/sync/2, re-executing every block); blocks/s and tx/s of its initial sync.
 * rss*: the sequencer's resident memory after the throughput phase (BENCH_SEQ_TXS, default
 * 100,000 txs) and after all txs.
 * `npm run bench -- sequencer [--json]`; env BENCH_SEQ_TXS, BENCH_SEQ_RATE, BENCH_SEQ_SECONDS,
 * BENCH_SEQ_BLOCK_MS, BENCH_SEQ_SENDERS, BENCH_SEQ_VERIFY_WORKERS tune it; BENCH_SEQ_NODE_ARGS adds node flags to the sequencer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../protocol/bytes.ts";
import { l2Domain } from "../protocol/eip712.ts";
import { encodeTx, signTx, txDigest, type UserTx } from "../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../sequencer/config.ts";
import { devGenesis, devKeys } from "../sequencer/devkit.ts";
import { type BenchOptions, type BenchResult, cpuModel } from "./lib/harness.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux); NaN
 * elsewhere. On a shared machine tx/s moves with everyone else's load; CPU per tx does not.
 */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/** POST with a keep-alive agent: far less client CPU per request than fetch. */
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          data += d;
        });
        res.on("end", () => resolve(data));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Resident set size of a process in bytes, from /proc (Linux); NaN elsewhere. */
function rssBytes(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Start `verdict sequencer`; resolves once it serves HTTP and p2p; `onLine` sees each log line. */
async function startChild(
  dir: string,
  cfg: object,
  extra: string[] = [],
  onLine?: (o: Record<string, unknown>) => void,
): Promise<{ proc: ChildProcess; url: string; p2p: string[] }> {
  const cfgPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  // BENCH_SEQ_NODE_ARGS: extra node flags for the sequencer process (e.g. --cpu-prof)
  const nodeArgs = process.env.BENCH_SEQ_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const proc = spawn(
    process.execPath,
    [...nodeArgs, join(ROOT, "bin/verdict.ts"), "sequencer", "--config", cfgPath, ...extra],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let buf = "";
    let url = "";
    proc.stdout?.on("data", (d) => {
      buf += String(d);
      for (const line of buf.split("\n")) {
        try {
          const o = JSON.parse(line);
          onLine?.(o);
          if (o.msg === "http listening") url = o.url;
          if (o.msg === "p2p listening") resolve({ proc, url, p2p: o.addrs });
        } catch {}
      }
      buf = buf.slice(buf.lastIndexOf("\n") + 1);
    });
    proc.once("exit", (c) => reject(new Error(`sequencer exited with ${c}`)));
  });
}

/** Follow /v1/events; calls onBlock(number, arrivalMs) for each block. */
async function followBlocks(
  url: string,
  onBlock: (n: number, at: number, txHashes: string[]) => void,
  signal: AbortSignal,
) {
  const res = await fetch(`${url}/v1/events`, { signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const at = performance.now();
        buf += dec.decode(value);
        let i = buf.indexOf("\n\n");
        while (i >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (ev.startsWith("event: block")) {
            const data = JSON.parse(ev.slice(ev.indexOf("data: ") + 6));
            onBlock(data.header.number, at, data.txHashes);
          }
          i = buf.indexOf("\n\n");
        }
      }
    } catch {}
  })();
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const totalTxs = env("BENCH_SEQ_TXS", 100_000);
  const rate = env("BENCH_SEQ_RATE", 1000);
  const seconds = env("BENCH_SEQ_SECONDS", 6);
  const blockTimeMs = env("BENCH_SEQ_BLOCK_MS", 100);
  const senders = env("BENCH_SEQ_SENDERS", 4);
  const batch = 250;
  const tpAccounts = 256;
  const latAccounts = rate; // each account sends once per second: nonces never race
  const keys = devKeys(tpAccounts + latAccounts, "bench-seq");
  const genesisCfg = devGenesis(keys);
  const { genesis } = resolveGenesis({ ...DEFAULTS, genesis: genesisCfg });
  const domain = l2Domain(genesis.l2ChainId);
  const sink = keys[0].address;

  process.stderr.write(`sequencer bench: signing ${totalTxs + rate * seconds} txs...\n`);
  const sign = (k: (typeof keys)[number], nonce: number) =>
    JSON.stringify(
      encodeTx(
        signTx(
          { type: "transfer", from: k.address, nonce, fee: 0n, to: sink, amount: 1n },
          k.key,
          domain,
        ) as UserTx,
      ),
    );
  // throughput set: sender s owns accounts s, s+senders, ...; its txs are in nonce order
  const perAccount = Math.ceil(totalTxs / tpAccounts);
  const senderTxs: string[][] = Array.from({ length: senders }, () => []);
  for (let n = 0; n < perAccount; n++)
    for (let a = 0; a < tpAccounts; a++) senderTxs[a % senders].push(sign(keys[a], n));
  const tpCount = senderTxs.reduce((s, x) => s + x.length, 0);
  const latTxs: string[] = [];
  const latHashes: string[] = [];
  for (let n = 0; n < seconds; n++)
    for (let a = 0; a < latAccounts; a++) {
      const k = keys[tpAccounts + a];
      const tx = signTx(
        { type: "transfer", from: k.address, nonce: n, fee: 0n, to: sink, amount: 1n },
        k.key,
        domain,
      );
      latTxs.push(JSON.stringify(encodeTx(tx as UserTx)));
      latHashes.push(toHex(txDigest(tx as UserTx, domain)));
    }

  const dir = mkdtempSync(join(tmpdir(), "verdict-bench-seq-"));
  const { proc, url, p2p } = await startChild(dir, {
    dataDir: join(dir, "data"),
    httpPort: 0,
    blockTimeMs,
    logLevel: "info", // startup lines only; the hot path does not log
    verifyWorkers: env("BENCH_SEQ_VERIFY_WORKERS", 2),
    genesis: genesisCfg,
  });
  const ctl = new AbortController();
  const loadAtStart = Number(loadavg()[0].toFixed(1));
  try {
    let onBlock: ((at: number, txHashes: string[]) => void) | null = null;
    await followBlocks(url, (_n, at, hashes) => onBlock?.(at, hashes), ctl.signal);

    process.stderr.write(
      `sequencer bench: ${tpCount} txs in batches of ${batch} from ${senders} senders...\n`,
    );
    // ---- 1. throughput ----
    const batchRtt: number[] = [];
    const cpu0 = cpuSeconds(proc.pid);
    const t0 = performance.now();
    let acked = 0;
    let lastHash = "";
    let rejected = 0;
    await Promise.all(
      senderTxs.map(async (txs) => {
        for (let i = 0; i < txs.length; i += batch) {
          const body = `[${txs.slice(i, i + batch).join(",")}]`;
          const tb = performance.now();
          const out = JSON.parse(await post(`${url}/v1/txs/batch`, body)) as {
            txHash?: string;
            error?: string;
          }[];
          batchRtt.push(performance.now() - tb);
          for (const r of out) {
            if (r.txHash) {
              acked++;
              lastHash = r.txHash;
            } else rejected++;
          }
        }
      }),
    );
    const tAck = performance.now();
    const rssAfterThroughput = rssBytes(proc.pid);
    // wait until the last acknowledged tx is in a durable block
    for (;;) {
      const r = (await (await fetch(`${url}/v1/receipts/${lastHash}`)).json()) as { status: string };
      if (r.status === "included") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const tIncl = performance.now();
    const seqCpuUsPerTx = ((cpuSeconds(proc.pid) - cpu0) * 1e6) / acked;
    // every tx must be included: the sink's balance counts them
    const ackPerSec = acked / ((tAck - t0) / 1000);
    batchRtt.sort((a, b) => a - b);
    const txPerSec = acked / ((tIncl - t0) / 1000);

    process.stderr.write(`sequencer bench: ${latTxs.length} single txs at ${rate} tx/s...\n`);
    // ---- 2. latency at a fixed offered load ----
    await new Promise((r) => setTimeout(r, 500));
    const sendAt = new Map<string, number>();
    const latencies: number[] = [];
    onBlock = (at, hashes) => {
      for (const h of hashes) {
        const s = sendAt.get(h);
        if (s !== undefined) {
          latencies.push(at - s);
          sendAt.delete(h);
        }
      }
    };
    const cpu1 = cpuSeconds(proc.pid);
    const start = performance.now();
    const interval = 1000 / rate;
    const inflight: Promise<void>[] = [];
    let latRejected = 0;
    const reasons = new Map<string, number>();
    for (let i = 0; i < latTxs.length; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const sentAt = performance.now();
      sendAt.set(latHashes[i], sentAt);
      inflight.push(
        post(`${url}/v1/txs`, latTxs[i]).then((text) => {
          const r = JSON.parse(text) as { txHash?: string; error?: string };
          if (!r.txHash) {
            sendAt.delete(latHashes[i]);
            latRejected++;
            reasons.set(r.error ?? "?", (reasons.get(r.error ?? "?") ?? 0) + 1);
          }
        }),
      );
    }
    const offeredSec = (performance.now() - start) / 1000;
    await Promise.all(inflight);
    const until = performance.now() + 10_000;
    while (sendAt.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    const latCpuUsPerTx = ((cpuSeconds(proc.pid) - cpu1) * 1e6) / latTxs.length;
    latencies.sort((a, b) => a - b);
    if (reasons.size) process.stderr.write(`sequencer bench: rejections ${JSON.stringify([...reasons])}\n`);
    const rssAfterAll = rssBytes(proc.pid);

    // ---- 3. a fresh follower catches up from genesis over libp2p (/verdict/sync/2) ----
    const leaderHead = ((await (await fetch(`${url}/health`)).json()) as { head: number }).head;
    process.stderr.write(`sequencer bench: a fresh follower syncs ${leaderHead} blocks...\n`);
    let synced: { blocks: number; ms: number } | null = null;
    const follower = await startChild(
      dir,
      { dataDir: join(dir, "follower"), httpPort: 0, logLevel: "info", genesis: genesisCfg },
      ["--follow", p2p[0]],
      (o) => {
        if (o.msg === "initial sync done") synced = { blocks: o.blocks as number, ms: o.ms as number };
      },
    );
    const followerRss = rssBytes(follower.proc.pid);
    follower.proc.kill("SIGTERM");
    await new Promise((r) => follower.proc.once("exit", r));
    const sync = synced as { blocks: number; ms: number } | null;
    const syncedTxs = acked + latTxs.length - latRejected;
    return {
      cpu: cpuModel(),
      loadAvg1mAtStart: loadAtStart,
      loadAvg1mAtEnd: Number(loadavg()[0].toFixed(1)),
      blockTimeMs,
      verifyWorkers: env("BENCH_SEQ_VERIFY_WORKERS", 2),
      senders,
      throughputTxs: tpCount,
      batchRttP50Ms: Math.round(percentile(batchRtt, 50)),
      batchRttP99Ms: Math.round(percentile(batchRtt, 99)),
      acked,
      rejected: rejected + latRejected,
      ackTxPerSec: Math.round(ackPerSec),
      txPerSec: Math.round(txPerSec),
      seqCpuUsPerTx: Math.round(seqCpuUsPerTx),
      offeredTxPerSec: Math.round(latTxs.length / offeredSec),
      latencySamples: latencies.length,
      notIncluded: sendAt.size,
      p50InclusionMs: Math.round(percentile(latencies, 50)),
      p99InclusionMs: Math.round(percentile(latencies, 99)),
      maxInclusionMs: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
      latCpuUsPerTx: Math.round(latCpuUsPerTx),
      // resident memory of the sequencer process after the throughput phase and after all txs
      rssAfterThroughputMiB: Math.round(rssAfterThroughput / 2 ** 20),
      rssAfterAllTxsMiB: Math.round(rssAfterAll / 2 ** 20),
      followerSyncBlocks: sync?.blocks ?? 0,
      followerSyncMs: sync?.ms ?? Number.NaN,
      followerBlocksPerSec: sync ? Math.round(sync.blocks / (sync.ms / 1000)) : Number.NaN,
      followerTxPerSec: sync ? Math.round(syncedTxs / (sync.ms / 1000)) : Number.NaN,
      followerRssMiB: Math.round(followerRss / 2 ** 20),
    };
  } finally {
    ctl.abort();
    agent.destroy();
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}
