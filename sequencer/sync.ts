/**
 * /verdict/sync/2: a follower pulls blocks from the leader in windows of bounded bytes, whatever
 * the block sizes. Flow control is the follower's: the leader sends at most the bytes the follower
 * asked for and then waits for its next request, so the follower never holds more than one window
 * in its read buffer (libp2p's byte stream aborts a stream whose unread bytes pass its limit, which
 * is how the old "up to 256 blocks in one go" answer failed once they passed 4 MiB).
 *
 * Frames (length-prefixed, each at most PIECE_BYTES + 1):
 *   follower -> leader  JSON {"from": n, "offset": o, "maxBytes": m}: continue at byte o of the
 *                       text of block n, send at most m bytes of block text
 *   leader -> follower  0x01 + bytes   a piece of a block's JSON text; more of it follows
 *                       0x02 + bytes   the last piece of a block's text
 *                       0x00 + JSON    {"head": h}: the window is done; ask again or close
 * A block's text is cut across windows where the budget ends; the follower asks for the rest
 * with the offset it has. An empty stream close without a request ends the session.
 */

/** The protocol id (the wire format changed from /verdict/sync/1's one frame per block). */
export const SYNC_PROTOCOL = "/verdict/sync/2";
/** Largest piece of block text in one frame. */
export const PIECE_BYTES = 256 * 1024;
/** Bounds of a window the leader agrees to send. */
export const MIN_WINDOW = 64 * 1024;
export const MAX_WINDOW = 4 * 1024 * 1024;
/** What a follower asks for per window. */
export const DEFAULT_WINDOW = 1024 * 1024;
/** A follower refuses a block text longer than this (it buffers one block to parse it). */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;
/** Longest request frame the leader reads. */
export const MAX_REQUEST_BYTES = 256;

const TAG_END = 0;
const TAG_PIECE = 1;
const TAG_LAST = 2;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The part of a length-prefixed stream this module uses (lpStream of @libp2p/utils). */
export interface FrameStream {
  read(options?: { signal?: AbortSignal }): Promise<{ subarray(): Uint8Array } | Uint8Array | null>;
  write(data: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
}

/** What the leader serves from: its head and each block's stored JSON text. */
export interface BlockTextSource {
  head(): number;
  blockText(n: number): Promise<string | null>;
}

export interface SyncRequest {
  from: number;
  offset: number;
  maxBytes: number;
}

/** Thrown for a malformed request or reply; the stream is aborted with it. */
export class SyncProtocolError extends Error {
  override name = "SyncProtocolError";
}

const bytesOf = (f: { subarray(): Uint8Array } | Uint8Array): Uint8Array =>
  f instanceof Uint8Array ? f : f.subarray();

export function parseRequest(frame: Uint8Array): SyncRequest {
  if (frame.length > MAX_REQUEST_BYTES) throw new SyncProtocolError("sync request longer than 256 bytes");
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(dec.decode(frame));
  } catch {
    throw new SyncProtocolError("sync request is not JSON");
  }
  if (typeof o !== "object" || o === null) throw new SyncProtocolError("sync request is not an object");
  const { from, offset = 0, maxBytes = DEFAULT_WINDOW } = o;
  for (const [k, v] of Object.entries({ from, offset, maxBytes }))
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      throw new SyncProtocolError(`sync request: ${k} must be a non-negative integer`);
  return {
    from: from as number,
    offset: offset as number,
    maxBytes: Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, maxBytes as number)),
  };
}

const frame = (tag: number, body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(body.length + 1);
  out[0] = tag;
  out.set(body, 1);
  return out;
};

/**
 * Leader: answer windows on one stream until the follower closes it. The text of the block being
 * cut is kept between windows so a large block is encoded once, not once per window.
 */
export async function serveSync(
  lp: FrameStream,
  src: BlockTextSource,
  opts: { idleMs?: number } = {},
): Promise<void> {
  let cachedN = -1;
  let bytes = new Uint8Array(0);
  for (;;) {
    // a follower asks again at once; a stream left idle is closed (it holds one of few slots)
    const f = await lp.read({ signal: AbortSignal.timeout(opts.idleMs ?? 30_000) });
    if (f === null) return;
    const req = parseRequest(bytesOf(f));
    let budget = req.maxBytes;
    let n = req.from;
    let offset = req.offset;
    while (budget > 0 && n <= src.head()) {
      if (cachedN !== n) {
        const text = await src.blockText(n);
        if (text === null) break;
        bytes = enc.encode(text);
        cachedN = n;
      }
      if (offset >= bytes.length && bytes.length > 0)
        throw new SyncProtocolError(
          `sync request: offset ${offset} is past block ${n} (${bytes.length} bytes)`,
        );
      const size = Math.min(PIECE_BYTES, budget, bytes.length - offset);
      const last = offset + size === bytes.length;
      await lp.write(frame(last ? TAG_LAST : TAG_PIECE, bytes.subarray(offset, offset + size)));
      budget -= size;
      if (last) {
        n++;
        offset = 0;
      } else offset += size;
    }
    await lp.write(frame(TAG_END, enc.encode(JSON.stringify({ head: src.head() }))));
  }
}

/** Where a follower stands in the leader's chain: next block and how much of its text it has. */
export interface PullProgress {
  /** Blocks imported in this pull. */
  blocks: number;
  /** Block text bytes received. */
  bytes: number;
  /** The leader's head as last reported. */
  leaderHead: number;
}

/**
 * Follower: pull blocks after `next() - 1` until the leader reports no more, handing each parsed
 * block to `importBlock` (which must advance next()). At most `window` bytes of block text are in
 * flight at a time; `signal` bounds the wait for each frame.
 */
export async function pullSync(
  lp: FrameStream,
  opts: {
    next: () => number;
    importBlock: (text: string) => Promise<void>;
    window?: number;
    frameTimeoutMs?: number;
    onWindow?: (p: PullProgress) => void;
  },
): Promise<PullProgress> {
  const window = opts.window ?? DEFAULT_WINDOW;
  const progress: PullProgress = { blocks: 0, bytes: 0, leaderHead: -1 };
  let pieces: Uint8Array[] = [];
  let held = 0;
  for (;;) {
    const from = opts.next();
    await lp.write(enc.encode(JSON.stringify({ from, offset: held, maxBytes: window })));
    let got = 0;
    for (;;) {
      const signal = AbortSignal.timeout(opts.frameTimeoutMs ?? 30_000);
      const raw = await lp.read({ signal });
      if (raw === null) throw new SyncProtocolError("the leader closed the sync stream mid-window");
      const f = bytesOf(raw);
      if (f.length === 0) throw new SyncProtocolError("empty sync frame");
      const tag = f[0];
      const body = f.subarray(1);
      if (tag === TAG_END) {
        let head: unknown;
        try {
          head = JSON.parse(dec.decode(body)).head;
        } catch {
          throw new SyncProtocolError("sync end frame is not JSON");
        }
        if (!Number.isSafeInteger(head)) throw new SyncProtocolError("sync end frame without a head");
        progress.leaderHead = head as number;
        break;
      }
      if (tag !== TAG_PIECE && tag !== TAG_LAST) throw new SyncProtocolError(`unknown sync frame tag ${tag}`);
      got += body.length;
      if (got > window)
        throw new SyncProtocolError(`the leader sent more than the ${window} bytes asked for`);
      held += body.length;
      if (held > MAX_BLOCK_BYTES)
        throw new SyncProtocolError(`block ${opts.next()} is longer than ${MAX_BLOCK_BYTES} bytes`);
      pieces.push(body.slice());
      if (tag === TAG_LAST) {
        const text = joinText(pieces, held);
        pieces = [];
        progress.bytes += held;
        held = 0;
        const before = opts.next();
        await opts.importBlock(text);
        if (opts.next() !== before + 1)
          throw new SyncProtocolError(`block ${before} from the leader did not advance the chain`);
        progress.blocks++;
      }
    }
    opts.onWindow?.(progress);
    // caught up: nothing was sent and nothing is half received
    if (got === 0 || (opts.next() > progress.leaderHead && held === 0)) return progress;
  }
}

function joinText(pieces: Uint8Array[], total: number): string {
  if (pieces.length === 1) return dec.decode(pieces[0]);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    all.set(p, at);
    at += p.length;
  }
  return dec.decode(all);
}
