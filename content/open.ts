/**
 * Picks the content backend: Helia (embedded, default) or Kubo (`{ ipfsApi: URL }` /
 * `--ipfs-api URL`). Backends are imported lazily: libp2p/helia and the Kubo client each cost
 * hundreds of milliseconds to load, which a process using only the other one should not pay.
 */
import type { Command } from "commander";
import type { Libp2p } from "libp2p";
import type { ContentStore } from "./types.ts";

export interface OpenContentOptions {
  /** Kubo RPC API base URL (e.g. http://127.0.0.1:5001): selects the Kubo backend. */
  ipfsApi?: string | URL;
  /** Helia: directory holding the blocks (one file per block) and the node's datastore, so
   *  nothing is lost on restart. Omitted: in memory (tests, throwaway nodes). */
  dataDir?: string;
  /** Helia: run on this libp2p host (the sequencer's, a worker's) instead of starting one.
   *  The host stays the caller's: close() leaves it running. */
  libp2p?: Libp2p;
  /** Helia without an injected host: listen addresses of its own (default /ip4/127.0.0.1/tcp/0). */
  listen?: string[];
  /** Peers to dial at start (e.g. the sequencer's multiaddr): bitswap asks connected peers. */
  peers?: string[];
}

export async function openContent(opts: OpenContentOptions = {}): Promise<ContentStore> {
  if (opts.ipfsApi !== undefined && opts.ipfsApi !== "") {
    const { openKuboContent } = await import("./kubo.ts");
    return openKuboContent({ url: opts.ipfsApi });
  }
  const { openHeliaContent } = await import("./helia.ts");
  return openHeliaContent(opts);
}

/** Adds `--ipfs-api`, `--content-dir` and `--content-peer` to a command (worker, watcher, ...). */
export function addContentOptions(cmd: Command): Command {
  return cmd
    .option(
      "--ipfs-api <url>",
      "use a Kubo daemon's RPC API for content instead of the embedded Helia node (env VERDICT_IPFS_API)",
    )
    .option("--content-dir <dir>", "embedded Helia node: where blocks are kept (env VERDICT_CONTENT_DIR)")
    .option(
      "--content-peer <multiaddr...>",
      "embedded Helia node: peers to fetch content from, e.g. the sequencer (env VERDICT_CONTENT_PEERS, comma-separated)",
    );
}

/** OpenContentOptions from parsed commander options (camelCase keys) and the environment. */
export function contentOptionsFromCli(
  o: Record<string, unknown>,
  env: Record<string, string | undefined> = process.env,
): OpenContentOptions {
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const ipfsApi = str(o.ipfsApi) ?? str(env.VERDICT_IPFS_API);
  if (ipfsApi !== undefined) {
    let u: URL;
    try {
      u = new URL(ipfsApi);
    } catch {
      throw new Error(`--ipfs-api: not a URL: ${ipfsApi}`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new Error(`--ipfs-api: expected an http(s) URL, got ${ipfsApi}`);
  }
  const peersOpt = Array.isArray(o.contentPeer) ? (o.contentPeer as string[]) : undefined;
  const peers =
    peersOpt ??
    str(env.VERDICT_CONTENT_PEERS)
      ?.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  return {
    ipfsApi,
    dataDir: str(o.contentDir) ?? str(env.VERDICT_CONTENT_DIR),
    peers,
  };
}
