/**
 * The dispute summary the dashboard shows: which level the game is at, what it has narrowed down
 * to (trace range, node, chunk, element, fold range) at every phase and after it is resolved,
 * level 0, and phases or winners this code does not know.
 */
import t from "tap";
import {
  type DisputeStruct,
  describeEvent,
  type GameEvent,
  subtreeRange,
  summarizeDispute,
} from "../../../sequencer/dashboard/summary.ts";

const base: DisputeStruct = {
  claimer: "0xAbC0000000000000000000000000000000000001",
  challenger: "0x00000000000000000000000000000000000000C2",
  claimKey: `0x${"11".repeat(32)}`,
  modelId: `0x${"22".repeat(32)}`,
  traceRoot: `0x${"33".repeat(32)}`,
  phase: 1,
  winner: 0,
  lastMoveAt: 1000n,
  claimerTimeLeft: 3600n,
  challengerTimeLeft: 3599n,
  index: 0n,
  depthLeft: 6,
  nodeIndex: 0,
  chunkCount: 0n,
  element: 0n,
  value: 0n,
  foldLength: 0n,
  kLo: 0n,
  kHi: 0n,
};
const ev = (eventName: string, args: Record<string, unknown>, block = 1n): GameEvent => ({
  eventName,
  args,
  blockNumber: block,
  transactionHash: `0x${"ee".repeat(32)}`,
});
const opened = ev("DisputeOpened", {
  disputeId: 4n,
  claimer: base.claimer,
  challenger: base.challenger,
  jobId: `0x${"44".repeat(32)}`,
});

t.test("subtreeRange: the leaves under a node, clipped to the tree's size", async (t) => {
  t.same(subtreeRange(0n, 6, 50n), { from: 0, to: 49, size: 50 });
  t.same(subtreeRange(3n, 4, 50n), { from: 48, to: 49, size: 2 }, "the last, partial subtree");
  t.same(subtreeRange(3n, 4, null), { from: 48, to: 63, size: 16 }, "unclipped when the size is unknown");
  t.same(subtreeRange(7n, 0, 50n), { from: 7, to: 7, size: 1 }, "a leaf");
});

t.test("trace descent: the range of trace nodes still in dispute narrows", async (t) => {
  const s0 = summarizeDispute(4n, base, [opened], 50);
  t.equal(s0.id, "4");
  t.equal(s0.jobId, opened.args.jobId);
  t.equal(s0.claimer, base.claimer.toLowerCase(), "addresses lower-case");
  t.equal(s0.level, "Level 1 · trace descent");
  t.equal(s0.toMove, "claimer");
  t.same(s0.narrowing.trace, { from: 0, to: 49, size: 50, nodeCount: 50, depthLeft: 6 });
  t.equal(s0.narrowing.node, null);
  t.equal(
    s0.headline,
    "Level 1 · trace descent: trace nodes 0–49 of 50 · waiting: claimer reveals trace children",
  );
  t.equal(s0.winner, "none");
  const picked = ev("TraceChildPicked", { disputeId: 4n, child: 2n, index: 2n, depthLeft: 2 });
  const s1 = summarizeDispute(4n, { ...base, phase: 1, index: 2n, depthLeft: 2 }, [opened, picked], 50);
  t.same(s1.narrowing.trace, { from: 8, to: 11, size: 4, nodeCount: 50, depthLeft: 2 });
  t.equal(s1.moves[1].text, "challenger picked trace child 2 → node 2, 2 levels left");
  t.same(s1.moves[1].block, "1");
  const s2 = summarizeDispute(4n, { ...base, phase: 2, index: 2n, depthLeft: 2 }, [opened], null);
  t.equal(s2.toMove, "challenger");
  t.match(
    s2.headline,
    /trace nodes 8–11 · waiting: challenger picks a trace child$/,
    "no 'of N' when unknown",
  );
});

t.test("levels 2 and 3: node, chunks, element, fold range", async (t) => {
  const leaf = summarizeDispute(0n, { ...base, phase: 3, index: 9n, depthLeft: 0, nodeIndex: 9 }, [], 50);
  t.equal(leaf.level, "Level 1 · trace leaf found");
  t.equal(leaf.narrowing.node, 9);
  t.equal(leaf.narrowing.trace, null);
  const chunks = summarizeDispute(
    0n,
    { ...base, phase: 5, nodeIndex: 9, chunkCount: 40n, index: 1n, depthLeft: 4 },
    [],
    50,
  );
  t.equal(chunks.level, "Level 2 · tensor descent");
  t.same(chunks.narrowing.chunks, { from: 16, to: 31, size: 16, chunkCount: "40", depthLeft: 4 });
  t.equal(chunks.narrowing.chunk, null);
  const pick = summarizeDispute(0n, { ...base, phase: 7, nodeIndex: 9, chunkCount: 40n, index: 17n }, [], 50);
  t.equal(pick.level, "Level 2 · element");
  t.equal(pick.narrowing.chunk, "17");
  t.equal(pick.narrowing.element, null, "not picked yet");
  t.match(pick.headline, /node 9, chunk 17 · waiting: challenger picks an element/);
  const fold = {
    ...base,
    phase: 9,
    nodeIndex: 9,
    chunkCount: 40n,
    index: 17n,
    element: 4400n,
    value: -12n,
    foldLength: 300n,
    kLo: 281n,
    kHi: 300n,
  };
  const f = summarizeDispute(0n, fold, [], 50);
  t.equal(f.level, "Level 3 · fold bisection");
  t.same(f.narrowing.fold, { foldLength: "300", kLo: "281", kHi: "300" });
  t.equal(f.narrowing.element, "4400");
  t.equal(f.narrowing.value, "-12");
  t.equal(
    f.headline,
    "Level 3 · fold bisection: node 9, element 4400, fold [281, 300] of 300 · waiting: challenger picks a fold segment",
  );
  const one = summarizeDispute(0n, { ...fold, phase: 10, kLo: 299n }, [], 50);
  t.equal(one.level, "Level 3 · one step");

  // resolved: what the game reached stays on the card, read from the events it emitted
  const events = [
    opened,
    ev("LeafRevealed", { nodeIndex: 9, chunkCount: 40n }),
    ev("ChunkRevealed", { chunkIndex: 17n }),
    ev("ElementPicked", { element: 4400n, value: -12n }),
    ev("OneStepChecked", { computed: 5n, claimed: -12n }),
    ev("DisputeResolved", { winner: 2, reason: "one step: wrong state" }),
  ];
  const done = summarizeDispute(0n, { ...fold, phase: 11, winner: 2, kLo: 299n }, events, 50);
  t.equal(done.level, "Resolved");
  t.equal(done.winner, "challenger");
  t.equal(done.reason, "one step: wrong state");
  t.equal(done.toMove, null);
  t.equal(done.narrowing.node, 9);
  t.equal(done.narrowing.chunk, "17");
  t.equal(done.narrowing.element, "4400");
  t.equal(done.narrowing.trace, null);
  t.equal(
    done.headline,
    "Resolved, challenger wins (one step: wrong state): node 9, element 4400, fold [299, 300] of 300",
  );
  t.same(
    done.moves.map((m) => m.text),
    [
      `opened by ${base.challenger.toLowerCase()} against ${base.claimer.toLowerCase()} (job ${opened.args.jobId})`,
      "claimer opened trace leaf 9: 40 chunks",
      "claimer revealed chunk 17",
      "challenger picked element 4400 (claimed value -12)",
      "one step checked on L1: computed 5, claimed -12",
      "resolved: challenger wins (one step: wrong state)",
    ],
  );
});

t.test("a game lost on time during the trace descent keeps its trace range", async (t) => {
  const s = summarizeDispute(
    1n,
    { ...base, phase: 11, winner: 1, index: 2n, depthLeft: 2 },
    [opened, ev("DisputeResolved", { winner: 1, reason: "challenger out of time" })],
    50,
  );
  t.same(s.narrowing.trace, { from: 8, to: 11, size: 4, nodeCount: 50, depthLeft: 2 });
  t.equal(s.narrowing.node, null);
  t.equal(s.headline, "Resolved, claimer wins (challenger out of time): trace nodes 8–11 of 50");
});

t.test("level 0: the output binding", async (t) => {
  const s = summarizeDispute(2n, { ...base, phase: 12, index: 1n }, [opened], 50);
  t.equal(s.level, "Level 0 · output binding");
  t.equal(s.toMove, "claimer");
  t.equal(s.narrowing.output, "1");
  t.equal(s.narrowing.trace, null, "level 0 is not a trace descent");
  t.equal(
    s.headline,
    "Level 0 · output binding: output 1 · waiting: claimer binds the output to its trace leaf",
  );
  const answered = ev("OutputAnswered", {
    outputIndex: 1n,
    nodeIndex: 48,
    slot: 0,
    outputTensorRoot: `0x${"aa".repeat(32)}`,
    traceTensorRoot: `0x${"bb".repeat(32)}`,
  });
  const r = summarizeDispute(
    2n,
    { ...base, phase: 11, winner: 2, index: 1n, nodeIndex: 48 },
    [opened, ev("OutputChallenged", { outputIndex: 1n }), answered],
    50,
  );
  t.equal(r.narrowing.output, "1");
  t.equal(r.narrowing.node, 48);
  t.equal(r.narrowing.trace, null);
  t.equal(r.moves[2].text, "claimer bound output 1 to node 48 slot 0: different tensor roots");
});

t.test("phases and winners this code does not know are shown as such, not guessed", async (t) => {
  const s = summarizeDispute(0n, { ...base, phase: 42, winner: 9 }, [], 50);
  t.equal(s.stage, "unknown");
  t.equal(s.phaseName, "phase 42");
  t.equal(s.level, "Unknown phase");
  t.equal(s.toMove, null);
  t.equal(s.winner, "unknown");
  t.equal(s.narrowing.trace, null);
  t.equal(describeEvent(ev("SomethingNew", {})), "SomethingNew");
  t.equal(describeEvent(ev("DisputeResolved", { winner: 7, reason: "?" })), "resolved: winner 7 wins (?)");
});
