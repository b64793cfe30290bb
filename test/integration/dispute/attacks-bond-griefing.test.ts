/**
 * Issue 18, bonds that keep the honest side whole ("griefing an honest claimer costs it gas"): a
 * lying challenger disputes an honest claim and the real planners play the game to the end on
 * the real contracts on the embedded chain. The honest claimer wins and is credited the lying
 * challenger's whole bond, which pays for every move it made at the reference gas price with
 * room to spare, and the devnet bond is at least minChallengerBond (the documented worst case).
 */
import t from "tap";
import { Winner } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import {
  CLAIMER_GAME_GAS_BOUND,
  DEVNET_BRIDGE_PARAMS,
  minChallengerBond,
  REFERENCE_GAS_PRICE,
} from "../../../bridge/params.ts";
import { mlpFixture, tamper } from "../../helpers/dispute.ts";
import { BOND, CHALLENGER, playOut, STAKE, setupGame, WORKER } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());

t.test("a lying challenger pays the honest claimer's game gas, and more", async (t) => {
  const f = await mlpFixture();
  const honest = buildPartyView(f.model, [f.input], f.outputs);
  const lyingChallenger = buildPartyView(f.model, [f.input], tamper(f.outputs, 10, 1));
  const g = await setupGame(b, f, honest);
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, g.signature);
  const played = await playOut(g, disputeId, honest, lyingChallenger);
  t.equal(played.winner, Winner.claimer, "the honest claimer wins");
  const claimerGas = played.moves.filter((m) => m.side === "claimer").reduce((a, m) => a + m.gas, 0n);
  t.ok(claimerGas > 0n, `the claimer made ${played.moves.filter((m) => m.side === "claimer").length} moves`);
  t.ok(claimerGas <= CLAIMER_GAME_GAS_BOUND, `its gas ${claimerGas} is within the documented bound`);
  const worker = b.accounts[WORKER].address;
  t.same(await g.d.bridge.bondOf(worker), { free: BOND, locked: 0n }, "it is credited the whole bond");
  t.equal((await g.d.bridge.stakeOf(worker)).active, STAKE, "its stake is untouched");
  const earned = BOND - claimerGas * REFERENCE_GAS_PRICE;
  t.ok(earned >= 0n, `net ${earned} wei at ${REFERENCE_GAS_PRICE / 10n ** 9n} gwei: never pays to be right`);
  t.ok(DEVNET_BRIDGE_PARAMS.challengerBond >= minChallengerBond(), "the devnet bond covers the worst case");
  t.ok(BOND >= minChallengerBond(), "and so does the tests' bond");
});
