/** Worker adverts travel over real gossipsub between two libp2p hosts; malformed ones are dropped. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { multiaddr } from "@multiformats/multiaddr";
import t from "tap";
import { buildApi } from "../../../sequencer/api.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { startP2p, TOPIC_WORKERS, type WorkerAdvert } from "../../../sequencer/p2p.ts";

const { genesis, key } = resolveGenesis(DEFAULTS);

t.test("adverts gossiped between hosts and served by the API", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-adverts-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = await SequencerNode.open({ dataDir: join(dir, "a"), genesis, sequencerKey: key ?? undefined });
  const b = await SequencerNode.open({ dataDir: join(dir, "b"), genesis, sequencerKey: key ?? undefined });
  const adverts = new Map<string, WorkerAdvert>();
  const pa = await startP2p(a, { listen: ["/ip4/127.0.0.1/tcp/0"], follow: null, adverts });
  const pb = await startP2p(b, { listen: ["/ip4/127.0.0.1/tcp/0"], follow: null });
  t.teardown(async () => {
    await pa.stop();
    await pb.stop();
    await a.close();
    await b.close();
  });
  await pb.libp2p.dial(multiaddr(pa.addrs()[0]));
  const worker = `0x${"ab".repeat(20)}`;
  const advert = {
    worker,
    models: [`0x${"11".repeat(32)}`],
    price: "5",
    capacity: 2,
    multiaddr: pb.addrs()[0],
  };
  const enc = new TextEncoder();
  const deadline = Date.now() + 15_000;
  // gossipsub needs a heartbeat or two to put the peers in each other's mesh
  while (!adverts.has(worker) && Date.now() < deadline) {
    await pb.libp2p.services.pubsub.publish(TOPIC_WORKERS, enc.encode("{not json")).catch(() => {});
    await pb.libp2p.services.pubsub
      .publish(TOPIC_WORKERS, enc.encode(JSON.stringify({ ...advert, worker: "nope" })))
      .catch(() => {});
    await pb.advertise(advert).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
  }
  t.match(adverts.get(worker), { ...advert, receivedAt: Number }, "advert received over gossipsub");
  t.equal(adverts.size, 1, "malformed adverts were dropped");
  const app = await buildApi(a, createMetrics(), { adverts });
  t.teardown(() => app.close());
  const res = (await app.inject("/v1/workers/adverts")).json();
  t.equal(res.length, 1);
  t.equal(res[0].worker, worker);
});
