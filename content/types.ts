/**
 * The content layer: models, job inputs, outputs and traces are files named by CID.
 *
 * One interface, two backends (content/open.ts picks one):
 *   - helia (default): an embedded IPFS node on the process's libp2p host, blocks persisted on disk;
 *     nodes fetch each other's blocks over bitswap.
 *   - kubo: a Kubo daemon through its RPC API (`--ipfs-api URL`).
 * Both name bytes exactly as `ipfs add --cid-version=1` does (protocol/cid.ts `fileCid`: raw
 * leaves, 256 KiB chunks, balanced DAG), and both check every block against its CID before
 * returning a byte of it. Callers still check the content's own commitment (model id, input
 * root) with content/verify.ts: a CID only says "these are the bytes someone added".
 */

export interface GetOptions {
  /** Aborts the fetch (rejects with ContentError code "aborted"). */
  signal?: AbortSignal;
  /** Whole-fetch deadline; default DEFAULT_GET_TIMEOUT_MS. Rejects with code "timeout". */
  timeoutMs?: number;
  /** Refuse files larger than this (checked against the declared size before fetching the
   *  leaves, and against the bytes actually read); default DEFAULT_MAX_BYTES. Code "too-large". */
  maxBytes?: number;
  /** Multiaddrs to dial first: peers known to hold the file (a worker's advertised address). */
  providers?: string[];
}

export interface ContentStore {
  /** "helia" or "kubo". */
  readonly backend: string;
  /** Adds bytes as a UnixFS file exactly like `ipfs add --cid-version=1`; returns the CIDv1 string. */
  add(bytes: Uint8Array): Promise<string>;
  /** Fetches a file (locally or from peers), verifying every block against its CID; rejects with
   *  a ContentError on timeout, abort, tampered data, a file over maxBytes or a malformed CID. */
  get(cid: string, opts?: GetOptions): Promise<Uint8Array>;
  /** Whether the whole file is available without the network (every block present locally). */
  has(cid: string): Promise<boolean>;
  close(): Promise<void>;
}

export type ContentErrorCode =
  /** not a CID, or a CID this layer does not read (codec other than raw/dag-pb, hash other than sha2-256) */
  | "bad-cid"
  /** a block's bytes do not hash to its CID (a lying peer, or bytes edited on disk) */
  | "tampered"
  /** a block that hashes correctly but is not a UnixFS file node, or sizes that do not add up */
  | "malformed"
  | "too-large"
  | "timeout"
  | "aborted"
  /** bytes verified against their CID but not against the expected model id / input root (verify.ts) */
  | "commitment-mismatch"
  /** the backend failed (Kubo RPC error, store closed) */
  | "backend";

export class ContentError extends Error {
  readonly code: ContentErrorCode;
  readonly cid: string | undefined;
  constructor(code: ContentErrorCode, message: string, cid?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ContentError";
    this.code = code;
    this.cid = cid;
  }
}

export const DEFAULT_GET_TIMEOUT_MS = 60_000;
/** Larger than any model the profile admits today; callers that know better pass maxBytes. */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;
