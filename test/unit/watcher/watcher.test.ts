/**
 * The watcher's pure parts and its store: configuration checks (every bad value named), the
 * challenger's decisions for each game situation, claims read from an L2 block, and game records that survive reopening the level store.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import type { FullDisputeState } from "../../../bridge/dispute/game.ts";
import { NO_GENERATION } from "../../../protocol/tx.ts";
import { decide } from "../../../verifier/game/challenger.ts";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import type { PartyView } from "../../../verifier/game/view.ts";
import { ConfigError, DEV_WATCHER_KEY, resolveWatcherConfig } from "../../../verifier/watcher/config.ts";
import { type BlockClaims, claimsIn } from "../../../verifier/watcher/follower.ts";
import { type GameRecord, WatcherStore } from "../../../verifier/watcher/store.ts";
import { fullDisputeState } from "../../helpers/dispute-state.ts";

const ME = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" as Address;
const OTHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Address;
const h = (b: string) => `0x${b.repeat(32)}` as Hex;
const base = {
  sequencerUrl: "http://127.0.0.1:1",
  l1Rpc: "http://127.0.0.1:2",
  bridge: `0x${"b1".repeat(20)}`,
};

t.test("config: defaults and hostile values", async (t) => {
  const c = resolveWatcherConfig(base);
  t.equal(c.key, DEV_WATCHER_KEY, "dev key by default");
  t.equal(c.sampleRate, 1);
  t.equal(c.pollMs, 1000);
  t.same(c.models, []);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...base, sequencerUrl: undefined }, /sequencer URL .* is required/],
    [{ ...base, l1Rpc: "ftp://x" }, /must be http/],
    [{ ...base, l1Rpc: "not a url" }, /not a URL/],
    [{ ...base, bridge: "0x1234" }, /bridge .* 20-byte/],
    [{ ...base, disputeGame: "nope" }, /dispute game/],
    [{ ...base, key: "0x12" }, /32 bytes/],
    [{ ...base, sampleRate: "1.5" }, /sample rate .* \[0, 1\]/],
    [{ ...base, sampleRate: "abc" }, /sample rate/],
    [{ ...base, assumeWatchers: "0" }, /assumed watcher count/],
    [{ ...base, assumeWatchers: "2.5" }, /assumed watcher count/],
    [{ ...base, pollMs: "5" }, /poll interval/],
    [{ ...base, bondDeposit: "-1" }, /bondDeposit/],
    [{ ...base, metricsPort: "70000" }, /metrics port/],
    [{ ...base, models: "a.onnx" }, /models must be a list/],
  ];
  for (const [o, re] of bad)
    t.throws(() => resolveWatcherConfig(o), { name: "ConfigError", message: re }, String(re));
  t.ok(new ConfigError("x") instanceof Error);
});

function dispute(p: Partial<FullDisputeState>): FullDisputeState {
  return fullDisputeState({
    phase: Phase.traceReveal,
    depthLeft: 4,
    claimer: OTHER,
    challenger: ME,
    claimKey: h("11"),
    modelId: h("22"),
    inputRoot: h("33"),
    traceRoot: h("44"),
    lastMoveAt: 1000n,
    claimerTimeLeft: 60n,
    challengerTimeLeft: 60n,
    node: h("44"),
    outDtype: 6,
    ...p,
  });
}

t.test("decide: the challenger's next action", async (t) => {
  const view = {} as PartyView; // not consulted unless it is our move
  const s = (p: Partial<FullDisputeState>, now = 1010n, invalidated = false) => ({
    game: { dispute: dispute(p), traceReveals: [] },
    invalidated,
    now,
    me: ME,
  });
  t.same(decide(s({ phase: Phase.resolved, winner: Winner.challenger }), view), {
    kind: "ended",
    outcome: "won",
  });
  t.same(decide(s({ phase: Phase.resolved, winner: Winner.claimer }), view), {
    kind: "ended",
    outcome: "lost",
  });
  t.same(decide(s({ phase: Phase.resolved, winner: Winner.void }), view), { kind: "ended", outcome: "void" });
  t.same(decide(s({}, 1010n, true), view), { kind: "closeVoid" }, "invalidated elsewhere: close void");
  t.same(decide(s({}), view), { kind: "wait", until: 1060n }, "claimer to move, its clock running");
  t.same(decide(s({}, 1060n), view), { kind: "wait", until: 1060n }, "exactly at the budget: not yet");
  t.same(decide(s({}, 1061n), view), { kind: "timeout" }, "past the claimer's budget: timeout");
  t.same(
    decide(s({ phase: Phase.tracePick, challengerTimeLeft: 5n }, 1010n), view),
    { kind: "wait", until: 1005n },
    "our own clock ran out: nothing left to send",
  );
  t.throws(() => decide(s({ challenger: OTHER }), view), /not this watcher/, "someone else's dispute");
  t.throws(() => decide(s({ phase: Phase.tracePick }), view), /no trace reveal/, "planner errors surface");
});

t.test("claimsIn: accepted submitResult and submitGeneration txs only", async (t) => {
  const claim = {
    jobId: h("01"),
    modelId: h("02"),
    inputRoot: h("03"),
    outputRoot: h("04"),
    traceRoot: h("05"),
    generationSpec: NO_GENERATION,
    outputCid: "0x",
    traceCid: "0x",
  };
  const gen = { ...claim, jobId: h("0a"), generationSpec: h("0b") };
  const block: BlockClaims = {
    header: { number: 7, timestamp: 1234 },
    txs: [
      { type: "transfer", from: OTHER },
      { type: "submitResult", from: OTHER, claim, claimSignature: h("aa") },
      { type: "submitResult", from: OTHER, claim: { ...claim, jobId: h("09") }, claimSignature: h("bb") },
      { type: "submitGeneration", from: OTHER, claim: gen, claimSignature: h("cc"), generated: [5, 6] },
      { type: "submitGeneration", from: OTHER, claim: gen, claimSignature: h("dd"), generated: [7] },
    ],
    receipts: [
      { txHash: h("e1"), events: [{ kind: "Transfer" }] },
      { txHash: h("e2"), events: [{ kind: "ResultSubmitted" }] },
      { txHash: h("e3"), events: [] },
      { txHash: h("e4"), events: [{ kind: "ResultSubmitted" }] },
      { txHash: h("e5"), events: [] },
    ],
  };
  const got = claimsIn(block);
  t.equal(got.length, 2);
  t.same(got[0], { jobId: h("01"), claim, signature: h("aa"), worker: OTHER, l2Block: 7, submittedAt: 1234 });
  t.same(
    got[1],
    {
      jobId: h("0a"),
      claim: gen,
      signature: h("cc"),
      worker: OTHER,
      l2Block: 7,
      submittedAt: 1234,
      generated: [5, 6],
    },
    "a generation claim carries its tokens",
  );
});

t.test("store: records and cursor survive reopening", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-watcher-store-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = (k: string, status: GameRecord["status"]): GameRecord => ({
    claimKey: h(k),
    jobId: h("01"),
    claim: {
      jobId: h("01"),
      modelId: h("02"),
      inputRoot: h("03"),
      outputRoot: h("04"),
      traceRoot: h("05"),
      generationSpec: NO_GENERATION,
      outputCid: "0x",
      traceCid: "0x",
    },
    signature: h("aa"),
    worker: OTHER,
    l2Block: 3,
    submittedAt: 1,
    inputCid: "0x0155",
    status,
    updatedAt: 1,
  });
  let s = await WatcherStore.open(dir);
  t.equal(await s.cursor(), -1, "fresh cursor");
  await s.put(r("a1", "playing"));
  await s.put({ ...r("a2", "opening"), pending: { kind: "openDispute", at: 5 } });
  await s.put(r("a3", "won"));
  await s.setCursor(42);
  await s.close();
  s = await WatcherStore.open(dir);
  t.teardown(() => s.close());
  t.equal(await s.cursor(), 42);
  t.equal((await s.get(h("a2")))?.pending?.kind, "openDispute", "the tx about to be sent is on record");
  t.same(
    (await s.unfinished()).map((x) => x.claimKey).sort(),
    [h("a1"), h("a2")],
    "finished games are not resumed",
  );
  t.equal(await s.get(h("ff")), undefined);
});
