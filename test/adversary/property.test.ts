/**
 * Issue 18's property, tested as an attacker would: at least 200 randomized adversarial games
 * over every liar strategy (test/helpers/adversary/strategies.ts), lying claimers against the
 * honest watcher's real decision code and lying challengers against the honest worker's, on the
 * real contracts on one embedded chain, with the invariants checked after every game (arena.ts):
 * no ETH leaves the Bridge, its pools are conserved, no honest bond or stake is lost, every lie
 * is slashed or refused, every honest claim stands. 0 honest losses.
 *
 * The seed is printed; VERDICT_ADVERSARY_SEED=<seed> replays the same games,
 * VERDICT_ADVERSARY_GAMES=<n> plays n instead of 200 (a replay of a few).
 */
import t from "tap";
import { checkInvariants, InvariantError, MIN_STAKE } from "../helpers/adversary/arena.ts";
import { adversarySeed } from "../helpers/adversary/rng.ts";
import { available, STRATEGIES } from "../helpers/adversary/strategies.ts";
import { playTournament } from "../helpers/adversary/tournament.ts";

const games = Number(process.env.VERDICT_ADVERSARY_GAMES ?? 200);
const seed = adversarySeed();
// Measured (issue 18b report): about 0.55 s of CPU per game outside tap (the JS EVM: ~7 txs,
// each simulated then mined, plus reads), so 200 games are ~2 min of CPU; on a loaded 2-core
// machine under tap the wall time was far longer, so this file may take more than tap's 600 s.
t.setTimeout(40 * 60_000);

t.test("the invariant check fails on a liar's win, lost value or a locked bond", async (t) => {
  const p = { stake: 10n * MIN_STAKE, bond: 10n ** 18n, locked: 0n, burned: 0n, eth: 100n };
  const won = { ...p, stake: p.stake - MIN_STAKE, bond: p.bond + MIN_STAKE / 2n, burned: MIN_STAKE / 2n };
  t.doesNotThrow(() => checkInvariants(p, won, "claimer", 2), "a slashed liar: fine");
  t.throws(() => checkInvariants(p, p, "claimer", 1), InvariantError, "a lying claimer that won");
  t.throws(() => checkInvariants(p, { ...won, burned: 0n }, "claimer", 2), /not conserved/);
  t.throws(() => checkInvariants(p, { ...won, eth: 99n }, "claimer", 2), /ETH/);
  t.throws(() => checkInvariants(p, { ...won, locked: 1n }, "claimer", 2), /locked/);
  t.throws(() => checkInvariants(p, p, "challenger", 1), /did not lose its bond/, "a free lying challenger");
});

t.test(`${games} adversarial games, seed ${seed}: 0 honest losses`, async (t) => {
  t.comment(`VERDICT_ADVERSARY_SEED=${seed} replays these games`);
  const r = await playTournament(games, seed);
  const enabled = STRATEGIES.filter(available);
  t.ok(enabled.length >= 16, `${enabled.length} strategies on this build`);
  t.same(r.skipped, [], "every strategy is played on this build");
  for (const s of r.stats) {
    t.equal(
      s.honestLosses,
      0,
      `${s.name}: 0 honest losses in ${s.games} games${s.failures.length ? `: ${s.failures.join("; ")}` : ""}`,
    );
    t.equal(s.liarWins, 0, `${s.name}: the liar never wins`);
    t.ok(s.games >= Math.floor(games / enabled.length), `${s.name}: played`);
  }
  t.equal(
    r.stats.reduce((n, s) => n + s.games, 0),
    games,
    "every game counted",
  );
  t.comment(`${games} games in ${(r.ms / 1000).toFixed(1)} s`);
});
