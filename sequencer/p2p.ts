/**
 * libp2p host of a sequencer node: tcp + noise + yamux + identify + gossipsub.
 *   verdict/blocks/1   the leader publishes each durable block (JSON)
 *   verdict/txs/1      the leader publishes each acknowledged tx; it also admits txs gossiped to it
 *   verdict/workers/1  worker adverts (models, price, capacity, multiaddr), kept per worker
 *   /verdict/sync/2    a follower pulls blocks in windows of bounded bytes, asking for each
 *                      (sequencer/sync.ts), whatever the block sizes
 *   /verdict/tx/1      request/response: a follower forwards a user tx (wire JSON) to the leader,
 *                      which answers what POST /v1/txs would: {txHash, queued?, nextNonce?} or
 *                      {status, error}
 *   bitswap            content (content/helia.ts): the node's Helia store runs on this host, so
 *                      every peer that connects (workers, watchers, followers) can fetch what the
 *                      node holds and the node can fetch from them
 * A follower (--follow <multiaddr>) dials the leader, catches up over /verdict/sync/2,
 * then imports gossiped blocks, re-executing each and checking its roots; a gap (missed gossip,
 * a block too large for a gossip frame) triggers another sync, and a pull every 2 s closes any
 * gap gossip leaves and tells the follower's /health whether the leader is reachable. The peer
 * id comes from `<dataDir>/nodekey` (sequencer/node-key.ts), so it survives restarts.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { type GossipSub, gossipsub } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { lpStream } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p, type Libp2p } from "libp2p";
import type { Logger } from "pino";
import { type HeliaContent, openHeliaContent } from "../content/helia.ts";
import type { Block } from "./block.ts";
import { type FollowerLimits, FollowerStatus } from "./follower-status.ts";
import type { SequencerMetrics } from "./metrics.ts";
import { type SequencerNode, SubmitError, type SubmitReply } from "./node.ts";
import { loadOrCreateNodeKey } from "./node-key.ts";
import {
  DEFAULT_WINDOW,
  MAX_REQUEST_BYTES,
  PIECE_BYTES,
  pullSync,
  SYNC_PROTOCOL,
  serveSync,
} from "./sync.ts";

export { SYNC_PROTOCOL };

export const TOPIC_BLOCKS = "verdict/blocks/1";
export const TOPIC_TXS = "verdict/txs/1";
export const TOPIC_WORKERS = "verdict/workers/1";
export const TX_PROTOCOL = "/verdict/tx/1";
/** A forwarded tx is one signed tx: far below this. */
const MAX_TX_FRAME = 64 * 1024;
const FORWARD_TIMEOUT_MS = 10_000;

export interface WorkerAdvert {
  worker: string;
  models: string[];
  price: string;
  capacity: number;
  multiaddr: string;
  receivedAt: number;
}

export interface P2p {
  libp2p: Libp2p<{ pubsub: GossipSub }>;
  addrs(): string[];
  adverts: Map<string, WorkerAdvert>;
  /** The node's content store (Helia on this host). */
  content: HeliaContent;
  /** Follower: whether it is in step with the leader; null on the leader. */
  follower: FollowerStatus | null;
  /** Follower: pull blocks from the leader until caught up. */
  sync(): Promise<number>;
  /** Publish a worker advert (workers call this on their own host; the node relays them). */
  advertise(a: Omit<WorkerAdvert, "receivedAt">): Promise<void>;
  stop(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function parseAdvert(data: Uint8Array): WorkerAdvert | null {
  try {
    const o = JSON.parse(dec.decode(data));
    if (typeof o.worker !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(o.worker)) return null;
    if (
      !Array.isArray(o.models) ||
      o.models.length > 32 ||
      !o.models.every((m: unknown) => typeof m === "string")
    )
      return null;
    if (typeof o.multiaddr !== "string" || o.multiaddr.length > 256) return null;
    if (!Number.isInteger(o.capacity) || typeof o.price !== "string") return null;
    return {
      worker: o.worker.toLowerCase(),
      models: o.models,
      price: o.price,
      capacity: o.capacity,
      multiaddr: o.multiaddr,
      receivedAt: Date.now(),
    };
  } catch {
    return null;
  }
}

export async function startP2p(
  node: SequencerNode,
  opts: {
    listen: string[];
    follow: string | null;
    logger?: Logger;
    metrics?: SequencerMetrics;
    /** Where received worker adverts go (shared with the API). */
    adverts?: Map<string, WorkerAdvert>;
    /** Where content blocks are kept; omitted: in memory. */
    contentDir?: string;
    /** Where the node's libp2p key is kept (`nodekey`); omitted: a new peer id each start. */
    keyDir?: string;
    /** Follower: when it counts as stale or lagging (sequencer/follower-status.ts). */
    followerLimits?: Partial<FollowerLimits>;
    clock?: () => number;
  },
): Promise<P2p> {
  const log = opts.logger;
  const privateKey = opts.keyDir ? await loadOrCreateNodeKey(opts.keyDir) : undefined;
  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        maxInboundDataLength: 8 * 1024 * 1024,
      }),
    },
  });
  const content = await openHeliaContent({ libp2p, dataDir: opts.contentDir }).catch(async (err) => {
    await libp2p.stop();
    throw err;
  });
  const pubsub = libp2p.services.pubsub;
  const adverts = opts.adverts ?? new Map<string, WorkerAdvert>();
  let leaderPeer: ReturnType<typeof multiaddr> | null = null;
  const followerStatus = opts.follow ? new FollowerStatus(opts.clock ?? Date.now, opts.followerLimits) : null;

  // Serve blocks to anyone catching up, a window of bounded bytes per request (sequencer/sync.ts).
  await libp2p.handle(
    SYNC_PROTOCOL,
    async (stream) => {
      const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
      try {
        await serveSync(lp, { head: () => node.durableHead, blockText: (n) => node.blockText(n) });
        await stream.close();
      } catch (err) {
        log?.debug({ err: (err as Error).message }, "sync request failed");
        stream.abort(err as Error);
      }
    },
    { maxInboundStreams: 16 },
  );

  // Leader: txs forwarded by followers, answered like POST /v1/txs.
  if (node.isLeader)
    await libp2p.handle(
      TX_PROTOCOL,
      async (stream) => {
        const lp = lpStream(stream, { maxDataLength: MAX_TX_FRAME });
        try {
          let reply: unknown;
          try {
            const json = JSON.parse(dec.decode((await lp.read()).subarray()));
            reply = await node.submit(json);
          } catch (e) {
            reply =
              e instanceof SubmitError
                ? { status: e.status, error: e.message }
                : { status: 400, error: `bad forwarded tx: ${(e as Error).message}` };
          }
          await lp.write(enc.encode(JSON.stringify(reply)));
          await stream.close();
        } catch (err) {
          log?.debug({ err: (err as Error).message }, "forwarded tx failed");
          stream.abort(err as Error);
        }
      },
      { maxInboundStreams: 256 },
    );

  let importing: Promise<unknown> = Promise.resolve();
  const importOne = async (b: Block) => {
    if (b.header.number <= node.chain.head.number) return;
    if (b.header.number > node.chain.head.number + 1) {
      await syncFromLeader();
      if (b.header.number !== node.chain.head.number + 1) return;
    }
    await node.importBlock(b);
    followerStatus?.heard(b.header.number);
    log?.debug({ number: b.header.number, via: "gossip" }, "block imported");
  };

  async function syncFromLeader(): Promise<number> {
    if (!leaderPeer) return 0;
    try {
      const stream = await libp2p.dialProtocol(leaderPeer, SYNC_PROTOCOL, {
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      // the leader sends at most one window before it waits: the read buffer holds no more
      const lp = lpStream(stream, { maxDataLength: PIECE_BYTES + 1, maxBufferSize: 2 * DEFAULT_WINDOW });
      try {
        const got = await pullSync(lp, {
          next: () => node.chain.head.number + 1,
          importBlock: async (text) => {
            const b = JSON.parse(text) as Block;
            await node.importBlock(b);
            log?.debug({ number: b.header.number, via: "sync" }, "block imported");
          },
          onWindow: (p) => followerStatus?.pulled(p.leaderHead),
        });
        await stream.close().catch(() => {});
        return got.blocks;
      } catch (err) {
        stream.abort(err as Error);
        throw err;
      }
    } catch (err) {
      followerStatus?.failed((err as Error).message);
      opts.metrics?.syncFailures.inc();
      throw err;
    }
  }

  pubsub.addEventListener("message", (evt) => {
    const { topic, data } = evt.detail;
    if (topic === TOPIC_BLOCKS && !node.isLeader) {
      let b: Block;
      try {
        b = JSON.parse(dec.decode(data));
      } catch {
        return;
      }
      importing = importing
        .then(() => importOne(b))
        .catch((err) => log?.error({ err: (err as Error).message }, "block import failed"));
    } else if (topic === TOPIC_TXS && node.isLeader) {
      let tx: unknown;
      try {
        tx = JSON.parse(dec.decode(data));
      } catch {
        return;
      }
      node.submit(tx).catch(() => {});
    } else if (topic === TOPIC_WORKERS) {
      const a = parseAdvert(data);
      if (a) {
        if (adverts.size > 10_000 && !adverts.has(a.worker)) return;
        adverts.set(a.worker, a);
      }
    }
  });
  pubsub.subscribe(TOPIC_BLOCKS);
  pubsub.subscribe(TOPIC_TXS);
  pubsub.subscribe(TOPIC_WORKERS);

  const publish = (topic: string, v: unknown) => {
    pubsub.publish(topic, enc.encode(JSON.stringify(v))).catch((err) => {
      log?.debug({ err: (err as Error).message, topic }, "publish failed");
    });
  };
  const onBlock = (b: Block) => {
    // serializing a big block costs milliseconds: skip it when nobody listens
    if (node.isLeader && pubsub.getSubscribers(TOPIC_BLOCKS).length > 0) publish(TOPIC_BLOCKS, b);
  };
  node.on("block", onBlock);

  libp2p.addEventListener("connection:open", () => opts.metrics?.peers.set(libp2p.getPeers().length));
  libp2p.addEventListener("connection:close", () => opts.metrics?.peers.set(libp2p.getPeers().length));

  /** Follower: hand a tx to the leader over /verdict/tx/1 and return its answer. */
  const forward = async (json: Record<string, unknown>): Promise<SubmitReply> => {
    let reply: SubmitReply & { status?: number; error?: string };
    try {
      const signal = AbortSignal.timeout(FORWARD_TIMEOUT_MS);
      const stream = await libp2p.dialProtocol(leaderPeer as ReturnType<typeof multiaddr>, TX_PROTOCOL, {
        signal,
      });
      const lp = lpStream(stream, { maxDataLength: MAX_TX_FRAME });
      await lp.write(enc.encode(JSON.stringify(json)), { signal });
      reply = JSON.parse(dec.decode((await lp.read({ signal })).subarray()));
      await stream.close().catch(() => {});
    } catch (err) {
      throw new SubmitError(
        503,
        `this node is a follower and could not forward the tx to the sequencer: ${(err as Error).message}`,
      );
    }
    if (typeof reply.error === "string")
      throw new SubmitError(
        Number.isInteger(reply.status) ? (reply.status as number) : 502,
        `the sequencer refused the forwarded tx: ${reply.error}`,
      );
    if (typeof reply.txHash !== "string")
      throw new SubmitError(502, "the sequencer answered the forwarded tx without a hash");
    return { ...reply, forwarded: true };
  };

  let resync: NodeJS.Timeout | null = null;
  if (opts.follow) {
    leaderPeer = multiaddr(opts.follow);
    node.forwarder = forward;
    // a leader that is down now is retried by the periodic pull; /health says so meanwhile
    const t0 = Date.now();
    importing = importing
      .then(syncFromLeader)
      .then((blocks) =>
        log?.info({ blocks, head: node.chain.head.number, ms: Date.now() - t0 }, "initial sync done"),
      )
      .catch((err) => log?.warn({ err: (err as Error).message }, "initial sync failed; retrying"));
    await importing;
    // Gossip is best effort; a periodic pull closes any gap it leaves.
    // one pull at a time: with the leader unreachable a pull may wait out its dial timeout
    let pulling = false;
    resync = setInterval(() => {
      if (pulling) return;
      pulling = true;
      importing = importing
        .then(syncFromLeader)
        .catch((err) => log?.warn({ err: (err as Error).message }, "resync failed"))
        .finally(() => {
          pulling = false;
        });
    }, 2000);
  }

  return {
    libp2p,
    adverts,
    content,
    follower: followerStatus,
    addrs: () => libp2p.getMultiaddrs().map((a) => a.toString()),
    async advertise(a) {
      await pubsub.publish(TOPIC_WORKERS, enc.encode(JSON.stringify(a)));
    },
    sync: () => {
      const p = importing.then(syncFromLeader);
      importing = p.catch(() => {});
      return p;
    },
    async stop() {
      if (resync) clearInterval(resync);
      node.off("block", onBlock);
      if (node.forwarder === forward) node.forwarder = null;
      await importing.catch(() => {});
      await content.close();
      await libp2p.stop();
    },
  };
}
