/**
 * The embedded content backend: a Helia node (bitswap only, no public routing or gateways) on a
 * libp2p host, blocks on disk under `dataDir/blocks` (one file per block, blockstore-fs) and its
 * small datastore in level under `dataDir/datastore`.
 *
 * The host is either injected (the sequencer's, so it serves content to every peer that
 * connects; a worker's own) or started here. Peers find content by asking the peers they are
 * connected to (bitswap want-lists): workers, watchers and the SDK dial the sequencer, and
 * `get(cid, { providers })` dials the peers named as holding a file (a worker's advert).
 *
 * Verification happens three times on the way in, once on the way out:
 *   - Helia checks each block bitswap delivers against the CID it asked for (a block that does
 *     not hash to a wanted CID is discarded: to bitswap it is some other block);
 *   - VerifyingBlockstore refuses to store a block that does not hash to its key, and checks
 *     every block it reads back (bytes edited on disk: deleted, ContentError "tampered");
 *   - the DAG reader (dag.ts) checks the sizes each parent declares (and, for Kubo, the hashes).
 */
import { join } from "node:path";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { withBitswap } from "@helia/bitswap";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { MemoryBlockstore } from "blockstore-core";
import { FsBlockstore } from "blockstore-fs";
import { MemoryDatastore } from "datastore-core";
import { LevelDatastore } from "datastore-level";
import type { Helia, HeliaInit } from "helia";
import { createLibp2p, type Libp2p } from "libp2p";
import type { CID } from "multiformats/cid";
import { fileCid } from "../protocol/cid.ts";
import { collect, parseCid, VerifyingBlockstore } from "./blocks.ts";
import { fileBlocksPresent, localFileBlocks, readFile } from "./dag.ts";
import { Inflight } from "./inflight.ts";
import {
  ContentError,
  type ContentStore,
  DEFAULT_GET_TIMEOUT_MS,
  DEFAULT_MAX_BYTES,
  type GetOptions,
} from "./types.ts";

export interface HeliaContentOptions {
  /** Blocks and datastore live here; omitted: in memory. */
  dataDir?: string;
  /** Run on this host (left running by close()); omitted: start one on `listen`. */
  libp2p?: Libp2p;
  listen?: string[];
  /** Dial these at start (the sequencer). */
  peers?: string[];
}

/** Combines the caller's signal with a deadline; says which of the two fired. */
export function fetchSignal(opts: GetOptions): {
  signal: AbortSignal;
  timedOut: () => boolean;
  timeoutMs: number;
} {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GET_TIMEOUT_MS;
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timer]) : timer;
  return { signal, timedOut: () => timer.aborted && !opts.signal?.aborted, timeoutMs };
}

/** Maps whatever a fetch threw to a ContentError. */
export function fetchError(
  err: unknown,
  cid: string,
  f: { signal: AbortSignal; timedOut: () => boolean; timeoutMs: number },
  where: string,
): ContentError {
  if (f.timedOut())
    return new ContentError(
      "timeout",
      `timed out after ${f.timeoutMs} ms fetching ${cid} from ${where} (blocks that do not hash to their CID are discarded, so a peer serving tampered data also ends here)`,
      cid,
      { cause: err },
    );
  if (f.signal.aborted)
    return new ContentError("aborted", `fetching ${cid} was aborted`, cid, { cause: err });
  if (err instanceof ContentError) return err;
  return new ContentError(
    "backend",
    `fetching ${cid} from ${where} failed: ${(err as Error)?.message ?? err}`,
    cid,
    {
      cause: err,
    },
  );
}

export class HeliaContent implements ContentStore {
  readonly backend = "helia";
  readonly helia: Helia;
  readonly libp2p: Libp2p;
  readonly blockstore: VerifyingBlockstore;
  readonly #ownsHost: boolean;
  readonly #closers: (() => Promise<void>)[];
  readonly #inflight = new Inflight<Uint8Array>();
  #closed = false;

  constructor(
    helia: Helia,
    libp2p: Libp2p,
    blockstore: VerifyingBlockstore,
    ownsHost: boolean,
    closers: (() => Promise<void>)[],
  ) {
    this.helia = helia;
    this.libp2p = libp2p;
    this.blockstore = blockstore;
    this.#ownsHost = ownsHost;
    this.#closers = closers;
  }

  /** This node's listen addresses with its peer id (what other nodes pass as `peers`). */
  addrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  async connect(addr: string, signal?: AbortSignal): Promise<void> {
    await this.libp2p.dial(multiaddr(addr), { signal });
  }

  #open(): void {
    if (this.#closed) throw new ContentError("backend", "content store is closed");
  }

  async add(bytes: Uint8Array): Promise<string> {
    this.#open();
    // protocol/cid.ts is the one importer configuration; its blocks go through Helia so that
    // bitswap tells peers already waiting for them.
    const cid = await fileCid(bytes, { put: (c, b) => this.helia.blockstore.put(c, b) });
    return cid.toString();
  }

  async get(cidIn: string, opts: GetOptions = {}): Promise<Uint8Array> {
    this.#open();
    const cid = parseCid(cidIn);
    const f = fetchSignal(opts);
    try {
      if (opts.providers?.length)
        await Promise.allSettled(opts.providers.map((p) => this.connect(p, f.signal)));
      return await readFile(cid, (c, signal) => this.getBlock(c, signal), {
        signal: f.signal,
        maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
        source: "peers",
        // getBlock's blocks went through VerifyingBlockstore (local reads) or Helia's check
        // and VerifyingBlockstore.put (network): hashed against their CID already
        sourceVerifies: true,
      });
    } catch (err) {
      throw fetchError(err, cid.toString(), f, "peers");
    }
  }

  /**
   * One block: from the local store (verified on read) or from peers over bitswap (verified by
   * Helia, stored, verified again on the way in). Concurrent and retried network fetches of one
   * CID share a single want (inflight.ts says why).
   */
  async getBlock(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
    if (await this.blockstore.has(cid)) return collect(this.blockstore.get(cid, { signal }));
    return this.#inflight.run(
      cid.toString(),
      (s) => collect(this.helia.blockstore.get(cid, { signal: s })),
      signal,
    );
  }

  async has(cidIn: string): Promise<boolean> {
    this.#open();
    const cid = parseCid(cidIn);
    return fileBlocksPresent(cid, async (c) => {
      if (!(await this.blockstore.has(c))) return null;
      try {
        return await collect(this.blockstore.get(c));
      } catch {
        return null; // tampered on disk: deleted by the read, so not present
      }
    });
  }

  /** The file's blocks present in the local store (root first); [] when its root is not here. */
  async localBlocks(cidIn: string): Promise<CID[]> {
    this.#open();
    return localFileBlocks(parseCid(cidIn), async (c) => {
      if (!(await this.blockstore.has(c))) return null;
      try {
        return await collect(this.blockstore.get(c));
      } catch {
        return null;
      }
    });
  }

  /** Deletes blocks from the local store (the garbage collector's one write). */
  async deleteBlocks(cids: Iterable<CID>): Promise<void> {
    this.#open();
    for (const c of cids) await this.blockstore.delete(c);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inflight.clear();
    await this.helia.stop();
    if (this.#ownsHost) await this.libp2p.stop();
    for (const c of this.#closers) await c();
  }
}

/**
 * helia's package entry also loads @helia/http and @helia/libp2p (auto-TLS, delegated routing,
 * DHT defaults): about 1 s of CPU at every process start for code this layer never runs. The
 * Helia class itself is dist/src/helia.js, which the package does not export, so it is loaded by
 * file URL next to the resolved entry; if a future layout moves it, the entry is the fallback.
 */
let heliaClass: Promise<(init: HeliaInit) => Helia> | null = null;
function createHeliaLight(init: HeliaInit): Promise<Helia> {
  heliaClass ??= (async () => {
    try {
      const entry = import.meta.resolve("helia");
      const [{ Helia: HeliaClass }, { name, version }] = await Promise.all([
        import(new URL("./helia.js", entry).href),
        import(new URL("./version.js", entry).href),
      ]);
      return (i: HeliaInit) => new HeliaClass({ name, version, ...i }) as Helia;
    } catch {
      const { createHeliaLight: full } = await import("helia");
      return full;
    }
  })();
  return heliaClass.then((make) => make(init));
}

export async function openHeliaContent(opts: HeliaContentOptions = {}): Promise<HeliaContent> {
  const closers: (() => Promise<void>)[] = [];
  let inner: MemoryBlockstore | FsBlockstore = new MemoryBlockstore();
  let datastore: MemoryDatastore | LevelDatastore = new MemoryDatastore();
  if (opts.dataDir) {
    const fsStore = new FsBlockstore(join(opts.dataDir, "blocks"));
    await fsStore.open();
    closers.push(() => fsStore.close());
    const ds = new LevelDatastore(join(opts.dataDir, "datastore"));
    await ds.open();
    closers.push(() => ds.close());
    inner = fsStore;
    datastore = ds;
  }
  const blockstore = new VerifyingBlockstore(
    inner,
    opts.dataDir ? `the local store in ${opts.dataDir}` : "memory",
  );
  const ownsHost = !opts.libp2p;
  const libp2p =
    opts.libp2p ??
    (await createLibp2p({
      addresses: { listen: opts.listen ?? ["/ip4/127.0.0.1/tcp/0"] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    }));
  try {
    const helia = await createHeliaLight({ blockstore, datastore });
    // The host is ours or the caller's, not Helia's: expose it for bitswap without the
    // @helia/libp2p mixin, which would create (and on stop, stop) a host of its own.
    Object.defineProperty(helia, "libp2p", { value: libp2p, enumerable: true });
    withBitswap(helia as Parameters<typeof withBitswap>[0]);
    await helia.start();
    const store = new HeliaContent(helia, libp2p, blockstore, ownsHost, closers);
    for (const p of opts.peers ?? []) await store.connect(p);
    return store;
  } catch (err) {
    if (ownsHost) await libp2p.stop();
    for (const c of closers) await c();
    throw err;
  }
}
