/**
 * Content layer throughput (MB/s, 10^6 bytes per second, best of several runs), per file size.
 * Each figure twice: wallMBps, and cpuMBps (MB per CPU second of the process: steady under load).
 *   cid          protocol/cid.ts fileCid alone (chunking, sha256, dag-pb encoding)
 *   addMem       Helia add into a memory blockstore (fileCid + the verifying store)
 *   addDisk      Helia add into blockstore-fs (one file per block)
 *   getDisk      Helia get of a file held on disk (every block read and verified)
 *   getPeer      Helia get of a file only a peer holds, over libp2p on loopback (tcp + noise +
 *                yamux + bitswap), a fresh file each run
 *   kuboAdd / kuboGet  the Kubo backend (kubo-rpc-client) against this project's Kubo-RPC
 *                subset over a Helia store on loopback HTTP (no Kubo daemon here)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { openHeliaContent } from "../content/helia.ts";
import { openKuboContent } from "../content/kubo.ts";
import { registerContentRoutes } from "../content/routes.ts";
import { fileCid } from "../protocol/cid.ts";
import { type BenchOptions, type BenchResult, cpuModel } from "./lib/harness.ts";

function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  const v = new Uint32Array(b.buffer, 0, n >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = x >>> 0;
  }
  return b;
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Best wall and best CPU time of `fn` (after a warm-up), `setup` untimed before each run. CPU
 * is the whole process's (both nodes of a peer fetch live in it): MB per CPU second is the
 * figure the machine's load does not distort.
 */
async function best(
  fn: (x: string) => Promise<unknown>,
  setup: () => Promise<string> = async () => "",
  reps = 4,
): Promise<{ wallMs: number; cpuMs: number }> {
  await fn(await setup());
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const x = await setup();
    const c0 = cpuMs();
    const t0 = performance.now();
    await fn(x);
    wall = Math.min(wall, performance.now() - t0);
    cpu = Math.min(cpu, cpuMs() - c0);
  }
  return { wallMs: wall, cpuMs: cpu };
}

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const sizes = [1 << 20, 16 << 20];
  const dir = mkdtempSync(join(tmpdir(), "verdict-bench-content-"));
  const mem = await openHeliaContent();
  const disk = await openHeliaContent({ dataDir: join(dir, "disk") });
  const peer = await openHeliaContent({ peers: disk.addrs() });
  const app = Fastify({ logger: false });
  await registerContentRoutes(app, mem);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const kubo = await openKuboContent({ url });
  const result: BenchResult = { cpu: cpuModel() };
  let seed = 1;
  try {
    for (const n of sizes) {
      const data = randomBytes(n, 7);
      const label = `${n >> 20}MiB`;
      const cid = await disk.add(data);
      const kcid = await kubo.add(data);
      const fresh = async () => disk.add(randomBytes(n, seed++));
      const runs = {
        cid: await best(() => fileCid(data)),
        addMem: await best(() => mem.add(data)),
        addDisk: await best((_x) => disk.add(randomBytes(n, seed++))),
        getDisk: await best(() => disk.get(cid)),
        // a fresh file each run so the peer never has it locally; the add is not timed
        getPeer: await best((c) => peer.get(c, { timeoutMs: 120_000 }), fresh),
        kuboAdd: await best(() => kubo.add(data)),
        kuboGet: await best(() => kubo.get(kcid)),
      };
      const r: Record<string, { wallMBps: number; cpuMBps: number }> = {};
      for (const [k, v] of Object.entries(runs))
        r[k] = { wallMBps: mbps(n, v.wallMs), cpuMBps: mbps(n, v.cpuMs) };
      result[label] = r;
    }
  } finally {
    await app.close();
    await peer.close();
    await disk.close();
    await mem.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
