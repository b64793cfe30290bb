/**
 * /verdict/sync/2 framing (sequencer/sync.ts): serveSync and pullSync talk over an in-memory pair
 * of frame queues; the leader never sends more than a window, a block larger than a window
 * arrives whole across windows, and malformed requests are refused.
 */
import t from "tap";
import {
  type BlockTextSource,
  type FrameStream,
  MAX_WINDOW,
  MIN_WINDOW,
  PIECE_BYTES,
  parseRequest,
  pullSync,
  SyncProtocolError,
  serveSync,
} from "../../../sequencer/sync.ts";

const enc = new TextEncoder();

/** Two ends of a frame pipe; `sent` records every frame each end wrote, `unread` the most queued. */
function pipe() {
  const mk = () => {
    const q: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    return {
      q,
      maxQueued: 0,
      push(f: Uint8Array) {
        q.push(f);
        this.maxQueued = Math.max(
          this.maxQueued,
          q.reduce((s, x) => s + x.length, 0),
        );
        wake?.();
      },
      close() {
        closed = true;
        wake?.();
      },
      async pop(): Promise<Uint8Array | null> {
        while (q.length === 0) {
          if (closed) return null;
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = null;
        }
        return q.shift() as Uint8Array;
      },
    };
  };
  const toLeader = mk();
  const toFollower = mk();
  const leader: FrameStream = {
    read: () => toLeader.pop(),
    write: async (d) => toFollower.push(d),
  };
  const follower: FrameStream = {
    read: () => toFollower.pop(),
    write: async (d) => toLeader.push(d),
  };
  return { leader, follower, toLeader, toFollower };
}

/** A chain of blocks whose texts have the given sizes; block n's text is JSON with filler. */
function chain(sizes: number[]): { src: BlockTextSource; texts: string[] } {
  const texts = sizes.map((size, n) => {
    const head = `{"n":${n},"pad":"`;
    return `${head}${"x".repeat(Math.max(0, size - head.length - 2))}"}`;
  });
  return {
    texts,
    src: { head: () => texts.length - 1, blockText: async (n) => texts[n] ?? null },
  };
}

t.test("blocks larger than a window arrive whole; no window exceeds what was asked", async (t) => {
  const sizes = [100, 5 * 1024 * 1024 + 17, 300, 2 * PIECE_BYTES, 1, 4 * 1024 * 1024];
  const { src, texts } = chain(sizes);
  const p = pipe();
  const served = serveSync(p.leader, src);
  const got: string[] = [texts[0]];
  const window = 1024 * 1024;
  const progress = await pullSync(p.follower, {
    next: () => got.length,
    importBlock: async (text) => {
      t.equal(JSON.parse(text).n, got.length, "blocks in order");
      got.push(text);
    },
    window,
  });
  p.toLeader.close();
  await served;
  t.equal(got.length, texts.length);
  t.ok(
    got.every((g, i) => g === texts[i]),
    "every block text identical",
  );
  t.equal(progress.blocks, texts.length - 1);
  t.equal(progress.leaderHead, texts.length - 1);
  // a window of block text plus one end frame and the tag bytes, never the whole 9 MiB
  t.ok(p.toFollower.maxQueued <= window + 64 + 1024, `at most ${p.toFollower.maxQueued} bytes unread`);
  for (const f of p.toFollower.q) t.fail(`frame left unread: ${f.length}`);
});

t.test("a follower already at the head gets an empty window and stops", async (t) => {
  const { src, texts } = chain([10, 20]);
  const p = pipe();
  const served = serveSync(p.leader, src);
  const progress = await pullSync(p.follower, {
    next: () => texts.length,
    importBlock: async () => {
      t.fail("nothing to import");
    },
  });
  p.toLeader.close();
  await served;
  t.same(progress, { blocks: 0, bytes: 0, leaderHead: 1 });
});

t.test("a block the follower cannot import stops the pull", async (t) => {
  const { src } = chain([10, 20, 30]);
  const p = pipe();
  const served = serveSync(p.leader, src);
  await t.rejects(
    pullSync(p.follower, { next: () => 1, importBlock: async () => {} }),
    /did not advance the chain/,
  );
  p.toLeader.close();
  await served;
});

t.test("requests: bounds and refusals", async (t) => {
  const req = (o: unknown) => parseRequest(enc.encode(JSON.stringify(o)));
  t.same(req({ from: 3 }), { from: 3, offset: 0, maxBytes: 1024 * 1024 });
  t.equal(req({ from: 0, maxBytes: 1 }).maxBytes, MIN_WINDOW, "a tiny window is raised");
  t.equal(req({ from: 0, maxBytes: 2 ** 40 }).maxBytes, MAX_WINDOW, "a huge window is capped");
  for (const bad of [{}, { from: -1 }, { from: 1.5 }, { from: "1" }, { from: 0, offset: -2 }, [1], null])
    t.throws(() => req(bad), SyncProtocolError, JSON.stringify(bad));
  t.throws(() => parseRequest(enc.encode("{")), /not JSON/);
  t.throws(() => parseRequest(new Uint8Array(300)), /longer than 256 bytes/);

  const { src } = chain([10, 20]);
  const p = pipe();
  p.toLeader.push(enc.encode(JSON.stringify({ from: 1, offset: 1000 })));
  await t.rejects(serveSync(p.leader, src), /offset 1000 is past block 1/);
});
