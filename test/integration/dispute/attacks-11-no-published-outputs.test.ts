/**
 * Attack 11 of issue 18, no published outputs: a worker posts the honest trace but a wrong graph
 * output 1 of three, and publishes no output file (outputCid 0x). Naming the wrong output used to
 * need the liar's file; a guessed index risks the bond on a correct leaf. Now the challenger opens
 * level 0 without naming one (`challengeOutputs`): the claimer must reveal every output tensor
 * root against its outputRoot (`revealOutputs`) or lose on time, the challenger names the first
 * that differs from its own (`pickOutput`), and the claimer's level-0 answer then shows that
 * output is not its trace's. On the real contracts (embedded chain): the liar is slashed, an
 * honest claimer wins whatever output a lying challenger names, and hostile reveals and picks are
 * refused by name and change nothing.
 */
import t from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { NO_GENERATION } from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import {
  type Move,
  Phase,
  PlanError,
  planChallengerMove,
  planClaimerMove,
  planOpening,
  planOutputPick,
  Winner,
} from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { type PartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { signClaimAs } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CLOCK,
  deployGame,
  h32,
  MIN_STAKE,
  rejectsWith,
  STAKE,
  STRANGER,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { level0Fixture } from "../../helpers/level0.ts";

const f = await level0Fixture();
const b = await embeddedBackend();
t.teardown(() => b.close());
const addr = (i: number) => b.accounts[i].address;

async function setup() {
  const { d, modelId, game, as } = await deployGame(b, f.model);
  const claimOf = async (v: PartyView) => {
    const claim: ClaimMessage = {
      jobId: h32(11),
      worker: addr(WORKER).toLowerCase() as Hex,
      modelId,
      inputRoot: toHex(tensorListRoot([f.input])),
      outputRoot: toHex(viewOutputRoot(v)),
      traceRoot: toHex(v.trace.root),
      outputCid: "0x", // nothing published
      traceCid: "0x",
      generationSpec: NO_GENERATION,
    };
    return { claim, signature: await signClaimAs(b, WORKER, claim, d.address) };
  };
  return { d, game, as, claimOf };
}

t.test("a wrong output with no published outputs is disputed without them and loses", async (t) => {
  const s = await setup();
  const { claim, signature } = await s.claimOf(f.liar);
  const opening = planOpening(f.honest, claim);
  t.same(opening, { kind: "challengeOutputs" }, "the planner opens level 0 without naming an output");
  const { disputeId: id, gasUsed } = await s.as(CHALLENGER).openPlanned(claim, signature, opening!);
  const opened = await s.game.getDispute(id);
  t.equal(opened.phase, Phase.outputsReveal, "the claimer must reveal its output roots");
  t.equal(opened.node, claim.outputRoot, "against the claim's outputRoot");
  const played = await playToEnd(
    id,
    { game: s.as(WORKER), view: f.liar },
    { game: s.as(CHALLENGER), view: f.honest },
  );
  t.same(
    played.moves.map((m) => `${m.side}:${m.kind}`),
    ["claimer:revealOutputs", "challenger:pickOutput", "claimer:answerOutput"],
    "reveal, pick, answer",
  );
  t.equal(played.winner, Winner.challenger, "the honest challenger wins");
  const d = await s.game.getDispute(id);
  t.equal(d.index, 1n, "the challenger named output 1, the wrong one");
  t.ok(await s.game.claimInvalidated(d.claimKey), "the claim is invalidated");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "the liar is slashed");
  t.same(
    await s.d.bridge.bondOf(addr(CHALLENGER)),
    { free: BOND + MIN_STAKE / 2n, locked: 0n },
    "the challenger: bond back + half the slash",
  );
  t.comment(`gas: challengeOutputs ${gasUsed}, ${played.moves.map((m) => `${m.kind} ${m.gas}`).join(", ")}`);
});

t.test("a claimer that does not reveal its outputs loses on time", async (t) => {
  const s = await setup();
  const { claim, signature } = await s.claimOf(f.liar);
  const { disputeId: id } = await s.as(CHALLENGER).challengeOutputs(claim, signature);
  await rejectsWith(t, s.as(STRANGER).timeout(id), "ClockNotExpired", "timeout too early");
  await b.increaseTime(Number(CLOCK) + 1);
  await s.as(STRANGER).timeout(id);
  const d = await s.game.getDispute(id);
  t.equal(d.winner, Winner.challenger, "the challenger wins on time");
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE - MIN_STAKE, "slashed");
});

t.test("an honest claimer wins whatever output a lying challenger names", async (t) => {
  const s = await setup();
  const { claim, signature } = await s.claimOf(f.honest);
  t.equal(planOpening(f.honest, claim), null, "an honest challenger sees nothing to dispute");
  const roots = f.honest.outputs.map((o) => toHex(o.root));
  t.throws(() => planOutputPick(f.honest, roots), PlanError, "and names no output of an honest reveal");
  for (const k of [0, 1, 2]) {
    if (k > 0) await s.d.bridge.as(b.wallet(CHALLENGER)).depositBond(BOND);
    const { disputeId: id } = await s.as(CHALLENGER).challengeOutputs(claim, signature);
    const reveal = planClaimerMove(f.honest, await s.game.readGame(id)) as Move;
    t.equal(reveal.kind, "revealOutputs");
    await s.as(WORKER).play(id, reveal);
    const view = await s.game.readGame(id);
    t.same(view.outputReveal, roots, "the revealed roots are in the event");
    await s.as(CHALLENGER).play(id, { kind: "pickOutput", roots, outputIndex: k });
    const answer = planClaimerMove(f.honest, await s.game.readGame(id)) as Move;
    await s.as(WORKER).play(id, answer);
    t.equal((await s.game.getDispute(id)).winner, Winner.claimer, `output ${k}: the claimer wins`);
  }
  t.equal((await s.d.bridge.stakeOf(addr(WORKER))).active, STAKE, "stake untouched");
  t.same(await s.d.bridge.bondOf(addr(WORKER)), { free: 3n * BOND, locked: 0n }, "three bonds earned");
});

t.test("hostile reveals and picks are refused by name and change nothing", async (t) => {
  const s = await setup();
  const { claim, signature } = await s.claimOf(f.liar);
  const { disputeId: id } = await s.as(CHALLENGER).challengeOutputs(claim, signature);
  const liarRoots = f.liar.outputs.map((o) => toHex(o.root));
  const honestRoots = f.honest.outputs.map((o) => toHex(o.root));
  const reveal = (roots: Hex[]): Move => ({ kind: "revealOutputs", roots });
  await rejectsWith(t, s.as(WORKER).play(id, reveal(liarRoots.slice(0, 2))), "ChildCountMismatch", "too few");
  await rejectsWith(
    t,
    s.as(WORKER).play(id, reveal([...liarRoots, h32(0)])),
    "ChildCountMismatch",
    "one more (a padding leaf)",
  );
  await rejectsWith(
    t,
    s.as(WORKER).play(id, reveal(honestRoots)),
    "ChildrenDoNotHashToNode",
    "roots that are not the claim's outputRoot",
  );
  await rejectsWith(t, s.as(CHALLENGER).play(id, reveal(liarRoots)), "NotYourMove", "the challenger reveals");
  await rejectsWith(
    t,
    s.as(CHALLENGER).play(id, { kind: "pickOutput", roots: liarRoots, outputIndex: 1 }),
    "WrongPhase",
    "a pick before the reveal",
  );
  t.equal((await s.game.getDispute(id)).phase, Phase.outputsReveal, "still the claimer's reveal");
  await s.as(WORKER).play(id, reveal(liarRoots));
  const pick = (roots: Hex[], outputIndex: number): Move => ({ kind: "pickOutput", roots, outputIndex });
  await rejectsWith(
    t,
    s.as(CHALLENGER).play(id, pick(liarRoots, 3)),
    "OutputIndexOutOfRange",
    "output 3 of 3",
  );
  await rejectsWith(t, s.as(CHALLENGER).play(id, pick(honestRoots, 1)), "StatesMismatch", "other roots");
  await rejectsWith(t, s.as(WORKER).play(id, pick(liarRoots, 0)), "NotYourMove", "the claimer picks");
  await rejectsWith(t, s.as(WORKER).play(id, reveal(liarRoots)), "WrongPhase", "a second reveal");
  const d = await s.game.getDispute(id);
  t.same([d.phase, d.winner], [Phase.outputPick, Winner.none], "still the challenger's pick");
  const move = planChallengerMove(f.honest, await s.game.readGame(id));
  t.same(move, pick(liarRoots, 1), "the honest pick: output 1");
  await s.as(CHALLENGER).play(id, move!);
  t.equal((await s.game.getDispute(id)).phase, Phase.outputAnswer, "then the level-0 answer");
});
