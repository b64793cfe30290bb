/**
 * What a stranger can do to a real sequencer process with cheap requests, and what it may not:
 * refused txs leave no block behind; a 4 MB body of nested `[` is refused before it is parsed
 * while valid txs keep being acknowledged; an unfunded flood of future nonces holds no queue room,
 * so an honest nonce gap is still served; /v1/events clients that never read are dropped and
 * their buffers freed, while a client that reads keeps its stream.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { type DevKey, devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { spawnSequencer } from "./harness.ts";

const users = devKeys(4, "abuse-test");
const base = { genesis: devGenesis(users), httpPort: 0, blockTimeMs: 100, logLevel: "info" };
const { genesis } = resolveGenesis({ ...DEFAULTS, ...base });
const domain = l2Domain(genesis.l2ChainId);

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
const getJson = async (url: string): Promise<any> => (await fetch(url)).json();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const transfer = (u: DevKey, nonce: number, amount = 1n) =>
  encodeTx(
    signTx(
      { type: "transfer", from: u.address, nonce, fee: 0n, to: users[0].address, amount },
      u.key,
      domain,
    ) as UserTx,
  );
const post = async (url: string, body: string) => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test
  return { status: r.status, body: (await r.json()) as any };
};
const metric = (text: string, name: string): number => {
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
};

t.test("a stranger's cheap requests against a real sequencer", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-abuse-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // a small event buffer: the kernel's socket buffers take the first MB of a client that never reads
  const leader = await spawnSequencer(dir, {
    ...base,
    dataDir: join(dir, "leader"),
    eventBufferBytes: 64 * 1024,
    uploadBytesPerHour: 1024 * 1024,
  });
  t.teardown(() => leader.proc.kill("SIGKILL"));
  const url = leader.url;
  const nonces = new Map<string, number>();
  const next = (u: DevKey) => {
    const n = nonces.get(u.address) ?? 0;
    nonces.set(u.address, n + 1);
    return n;
  };

  await t.test("refused txs leave no trace: no empty blocks", async (t) => {
    const stranger = devKeys(1, "abuse-stranger")[0];
    const before = (await getJson(`${url}/health`)).head;
    for (let i = 0; i < 20; i++) {
      const r = await post(`${url}/v1/txs`, JSON.stringify(transfer(stranger, 0)));
      t.equal(r.status, 422);
      t.match(r.body.error, /^insufficient balance/);
    }
    await sleep(500); // five block times
    const after = await getJson(`${url}/health`);
    t.equal(after.head, before, "no block was made");
    t.equal(after.pendingTxs, 0);
    t.equal((await post(`${url}/v1/txs`, JSON.stringify(transfer(users[0], next(users[0]))))).status, 202);
    await sleep(500);
    t.equal((await getJson(`${url}/health`)).head, before + 1, "one accepted tx: one block");
  });

  await t.test("a deeply nested body is refused before parsing; valid txs keep flowing", async (t) => {
    let stop = false;
    const latencies: number[] = [];
    const steady = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const r = await post(`${url}/v1/txs`, JSON.stringify(transfer(users[1], next(users[1]))));
        latencies.push(performance.now() - t0);
        if (r.status !== 202) throw new Error(`valid tx refused: ${JSON.stringify(r.body)}`);
        await sleep(10);
      }
    })();
    await sleep(300);
    const nested = "[".repeat(2_000_000) + "]".repeat(2_000_000);
    const answered: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await post(`${url}/v1/txs/batch`, nested);
      answered.push(performance.now() - t0);
      t.equal(r.status, 400);
      t.match(r.body.error, /^JSON nested deeper than 16 levels \(at byte 16\)$/);
    }
    await sleep(300);
    stop = true;
    await steady;
    latencies.sort((a, b) => a - b);
    t.ok(latencies.length > 10, `${latencies.length} valid txs acknowledged meanwhile`);
    t.comment(
      `nested 4 MB bodies answered in ${answered.map((x) => x.toFixed(0)).join(", ")} ms; valid tx ack p50 ${latencies[latencies.length >> 1].toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`,
    );
    const coerced = await post(
      `${url}/v1/txs`,
      JSON.stringify({ ...transfer(users[0], 99), type: ["transfer"] }),
    );
    t.equal(coerced.status, 400, '"type": ["transfer"] is not coerced to "transfer"');
    t.match(coerced.body.error, /^body\/type must be equal to one of the allowed values/);
  });

  await t.test("an unfunded flood of future nonces leaves an honest nonce gap served", async (t) => {
    const strangers = devKeys(100, "abuse-flood");
    const flood = strangers.flatMap((s) => Array.from({ length: 16 }, (_, i) => transfer(s, i + 1, 0n)));
    for (let i = 0; i < flood.length; i += 800) {
      const r = await post(`${url}/v1/txs/batch`, JSON.stringify(flood.slice(i, i + 800)));
      t.equal(r.status, 200);
      t.ok(
        r.body.every(
          (x: { status?: number; error?: string }) => x.status === 422 && /without funds/.test(x.error ?? ""),
        ),
        `flood txs ${i}..${i + 799} refused: no funds, no queue room`,
      );
    }
    t.equal((await getJson(`${url}/health`)).queuedTxs, 0, "nothing of the flood waits");
    const honest = users[2];
    const gap = await post(`${url}/v1/txs`, JSON.stringify(transfer(honest, 2)));
    t.equal(gap.status, 202, JSON.stringify(gap.body));
    t.match(gap.body, { queued: true, nextNonce: 0 });
    for (const n of [0, 1])
      t.equal((await post(`${url}/v1/txs`, JSON.stringify(transfer(honest, n)))).status, 202);
    nonces.set(honest.address, 3);
    const until = Date.now() + 10_000;
    let rc = await getJson(`${url}/v1/receipts/${gap.body.txHash}`);
    while (rc.status !== "included" && Date.now() < until) {
      await sleep(100);
      rc = await getJson(`${url}/v1/receipts/${gap.body.txHash}`);
    }
    t.equal(rc.status, "included", "the honest gap tx ran");
  });

  await t.test("content uploads: a quota per client, tensor files checked", async (t) => {
    const up = (body: Uint8Array, type = "application/octet-stream") =>
      fetch(`${url}/v1/content`, { method: "POST", headers: { "content-type": type }, body });
    const first = await up(new Uint8Array(600 * 1024).fill(1));
    t.equal(first.status, 200);
    const second = await up(new Uint8Array(600 * 1024).fill(2));
    t.equal(second.status, 429, "past 1 MiB per hour for this client");
    t.match(await second.json(), {
      code: "quota",
      error: /^upload quota: \d+ of 1048576 bytes per 3600 s left/,
    });
    const fake = await up(new TextEncoder().encode("not a tensor"), "application/vnd.verdict.tensors");
    t.equal(fake.status, 415);
    t.match(await fake.json(), { code: "not-tensors" });
  });

  await t.test("event-stream clients that never read are dropped and their memory freed", async (t) => {
    const m0 = await (await fetch(`${url}/metrics`)).text();
    const { hostname: host, port } = new URL(url);
    const slow: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      const s = connect(Number(port), host);
      await new Promise((r) => s.once("connect", r));
      s.write(`GET /v1/events HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
      s.pause(); // never read: the server's writes back up
      s.on("error", () => {});
      closed.push(new Promise((r) => s.once("close", () => r())));
      slow.push(s);
    }
    t.teardown(() => {
      for (const s of slow) s.destroy();
    });
    // one client that reads keeps its stream
    const ctl = new AbortController();
    const reader = await fetch(`${url}/v1/events`, { signal: ctl.signal });
    let readBytes = 0;
    const reading = (async () => {
      try {
        for await (const chunk of reader.body as AsyncIterable<Uint8Array>) readBytes += chunk.length;
      } catch {}
    })();
    await sleep(200);
    t.equal(metric(await (await fetch(`${url}/metrics`)).text(), "verdict_sequencer_event_clients"), 51);

    // what the process holds for the streams, sampled while the events flow
    const unsent = (m: string) => metric(m, "verdict_sequencer_event_unsent_bytes");
    let peakUnsent = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakUnsent = Math.max(peakUnsent, unsent(await (await fetch(`${url}/metrics`)).text()));
        await sleep(50);
      }
    })();
    // 20,000 tx events and their blocks: ~6.5 MB to each client, more than the kernel's socket
    // buffers (up to 4 MB sending, 128 kB receiving) take before the process holds any
    for (const u of [users[2], users[3]])
      for (let b = 0; b < 10; b++) {
        const txs = Array.from({ length: 1000 }, () => transfer(u, next(u)));
        const r = await post(`${url}/v1/txs/batch`, JSON.stringify(txs));
        t.ok(
          r.body.every((x: { txHash?: string }) => x.txHash),
          `batch ${b} of ${u.address.slice(0, 8)} accepted`,
        );
      }
    // the server judges a client a second after it fell behind; events have stopped by now
    const until = Date.now() + 20_000;
    let m1 = await (await fetch(`${url}/metrics`)).text();
    while (metric(m1, "verdict_sequencer_event_clients") > 1 && Date.now() < until) {
      await sleep(200);
      m1 = await (await fetch(`${url}/metrics`)).text();
    }
    sampling = false;
    await sampler;
    t.equal(
      metric(m1, "verdict_sequencer_event_clients_dropped_total"),
      50,
      "every client that never read was dropped",
    );
    t.equal(metric(m1, "verdict_sequencer_event_clients"), 1, "the reading client is still there");
    t.ok(readBytes > 4 * 1024 * 1024, `the reading client got ${readBytes} bytes`);
    // what the kernel had taken still reaches a client that reads at last, then the stream ends
    for (const s of slow) s.resume();
    const ended = await Promise.race([Promise.all(closed).then(() => true), sleep(20_000).then(() => false)]);
    t.ok(ended, "the dropped streams ended");
    const heap = (m: string) => metric(m, "verdict_sequencer_process_nodejs_heap_size_used_bytes");
    const rss = (m: string) => metric(m, "verdict_sequencer_process_process_resident_memory_bytes");
    t.comment(
      `RSS ${(rss(m0) / 2 ** 20).toFixed(0)} MiB before, ${(rss(m1) / 2 ** 20).toFixed(0)} MiB after; heap used ${(heap(m0) / 2 ** 20).toFixed(0)} -> ${(heap(m1) / 2 ** 20).toFixed(0)} MiB`,
    );
    // The bound itself, read from the process: no stream ever held more than 8 buffers, and
    // once the 50 are dropped only the reader's share is left. (Heap used is only a comment: it
    // also holds the 20,000 txs' chain data and whatever the collector has not reached yet.)
    // Per stream between two events: at most 8 buffers in its socket's queue (past that the
    // write that crossed it drops the stream), plus that write (joined tx events or a 1,000-tx
    // block: ~1.1 buffers here) and tx events not yet joined into one (<= a buffer and an event):
    // about 10.2 buffers, 12 with room.
    const bound = 8 * 64 * 1024;
    const perStream = 12 * 64 * 1024;
    t.comment(`unsent bytes held: at most ${peakUnsent} while the events flowed, ${unsent(m1)} after`);
    t.ok(peakUnsent <= 51 * perStream, `the streams never held more than 51 x 12 buffers (${peakUnsent})`);
    t.ok(peakUnsent > 0, "the slow streams did back up into the process");
    t.ok(unsent(m1) <= bound, `after the drop, only the reader's share is held (${unsent(m1)})`);
    ctl.abort();
    await reading;
  });
});
