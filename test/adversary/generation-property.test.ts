/**
 * The property for the token move (docs/dispute-game.md "Generation claims"), tested as an
 * attacker would: randomized games over every generation liar strategy
 * (test/helpers/adversary/generation.ts) on the real contracts and the real imported stories260K.
 * Lying workers face the honest watcher's real decision code and must be slashed by the move;
 * lying challengers' moves on honest claims must be refused and change nothing. 0 honest losses.
 *
 * The seed is printed; VERDICT_ADVERSARY_SEED=<seed> replays the same games,
 * VERDICT_ADVERSARY_GEN_GAMES=<n> plays n instead of 33 (3 per strategy).
 */
import t from "tap";
import { Winner } from "../../verifier/game/planner.ts";
import { GENERATION_STRATEGIES, openGenerationArena } from "../helpers/adversary/generation.ts";
import { adversarySeed, rng as seeded } from "../helpers/adversary/rng.ts";

const games = Number(process.env.VERDICT_ADVERSARY_GEN_GAMES ?? 3 * GENERATION_STRATEGIES.length);
const seed = adversarySeed();
t.setTimeout(30 * 60_000);

t.test(`${games} generation games, seed ${seed}: every lie slashed or refused`, async (t) => {
  t.comment(`VERDICT_ADVERSARY_SEED=${seed} replays these games`);
  const rng = seeded(seed);
  const arena = await openGenerationArena(games);
  t.teardown(() => arena.close());
  const stats = new Map(
    GENERATION_STRATEGIES.map((s) => [s.name, { games: 0, failures: [] as string[], gas: [] as bigint[] }]),
  );
  const t0 = Date.now();
  for (let i = 0; i < games; i++) {
    const s = GENERATION_STRATEGIES[i % GENERATION_STRATEGIES.length];
    const st = stats.get(s.name) as { games: number; failures: string[]; gas: bigint[] };
    st.games++;
    try {
      const out = await arena.play(s, await s.plan(arena, rng));
      if (s.side === "claimer") {
        if (out.winner !== Winner.challenger) st.failures.push(`game ${i}: winner ${out.winner}`);
        st.gas.push(out.moveGas);
      } else if (out.refused !== 1) st.failures.push(`game ${i}: the liar's move was not refused`);
    } catch (e) {
      st.failures.push(`game ${i}: ${(e as Error).message}`);
    }
  }
  for (const s of GENERATION_STRATEGIES) {
    const st = stats.get(s.name) as { games: number; failures: string[]; gas: bigint[] };
    t.same(st.failures, [], `${s.name} (${s.side}: ${s.what}): 0 honest losses in ${st.games} games`);
    t.ok(st.games >= Math.floor(games / GENERATION_STRATEGIES.length), `${s.name}: played`);
    if (st.gas.length > 0) t.comment(`${s.name}: move gas ${st.gas.map(String).join(", ")}`);
  }
  t.comment(`${games} games in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
