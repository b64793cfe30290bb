/**
 * The Kubo content backend: a Kubo daemon's RPC API through kubo-rpc-client (`--ipfs-api URL`).
 *
 *   add: `/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-262144&pin=true`, then the CID
 *        Kubo returns must equal protocol/cid.ts `fileCid` of the same bytes (a Kubo configured
 *        with another importer layout, or an endpoint that lies, is refused, not trusted);
 *   get: the file's blocks one by one over `/api/v0/block/get`, each checked against its CID by
 *        the DAG reader (`cat` output could only be checked after the whole file arrived);
 *   has: the same walk with `offline=true`, so Kubo answers from its repo without searching.
 */
import { create, type KuboRPCClient } from "kubo-rpc-client";
import { fileCid } from "../protocol/cid.ts";
import { parseCid } from "./blocks.ts";
import { fileBlocksPresent, readFile } from "./dag.ts";
import { fetchError, fetchSignal } from "./helia.ts";
import { ContentError, type ContentStore, DEFAULT_MAX_BYTES, type GetOptions } from "./types.ts";

export interface KuboContentOptions {
  /** RPC API base, e.g. http://127.0.0.1:5001 (`/api/v0` is added when the path is empty). */
  url: string | URL;
}

export class KuboContent implements ContentStore {
  readonly backend = "kubo";
  readonly client: KuboRPCClient;
  readonly url: string;

  constructor(opts: KuboContentOptions) {
    this.url = String(opts.url);
    this.client = create({ url: opts.url });
  }

  async add(bytes: Uint8Array): Promise<string> {
    const expected = (await fileCid(bytes)).toString();
    let got: string;
    try {
      const r = await this.client.add(bytes, {
        cidVersion: 1,
        rawLeaves: true,
        chunker: "size-262144",
        hashAlg: "sha2-256",
        trickle: false,
        pin: true,
      });
      got = r.cid.toString();
    } catch (err) {
      throw new ContentError(
        "backend",
        `Kubo at ${this.url}: add failed: ${(err as Error).message}`,
        expected,
        {
          cause: err,
        },
      );
    }
    if (got !== expected)
      throw new ContentError(
        "backend",
        `Kubo at ${this.url} named ${bytes.length} bytes ${got}, but \`ipfs add --cid-version=1\` gives ${expected}: check its Import config (chunker, raw leaves, max links)`,
        expected,
      );
    return expected;
  }

  async get(cidIn: string, opts: GetOptions = {}): Promise<Uint8Array> {
    const cid = parseCid(cidIn);
    const f = fetchSignal(opts);
    const where = `Kubo at ${this.url}`;
    try {
      if (opts.providers?.length)
        await Promise.allSettled(
          opts.providers.map((p) => this.client.swarm.connect(p as never, { signal: f.signal })),
        );
      return await readFile(cid, (c, signal) => this.client.block.get(c, { signal }), {
        signal: f.signal,
        maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
        source: where,
        concurrency: 6, // the client keeps at most 6 sockets per host
      });
    } catch (err) {
      throw fetchError(err, cid.toString(), f, where);
    }
  }

  async has(cidIn: string): Promise<boolean> {
    const cid = parseCid(cidIn);
    return fileBlocksPresent(cid, async (c) => {
      try {
        return await this.client.block.get(c, { offline: true } as never);
      } catch {
        return null;
      }
    });
  }

  async close(): Promise<void> {}
}

export async function openKuboContent(opts: KuboContentOptions): Promise<KuboContent> {
  return new KuboContent(opts);
}
