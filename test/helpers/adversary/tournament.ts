/**
 * Plays N adversarial games over every available strategy in turn on one arena, checking the
 * invariants after each (arena.ts), and collects per-strategy results: the property test
 * (test/adversary/property.test.ts) and the bench (bench/adversary.ts) both run this.
 */
import { type Arena, type GameOutcome, openArena } from "./arena.ts";
import { rng as makeRng } from "./rng.ts";
import { available, STRATEGIES, type Strategy } from "./strategies.ts";

export interface StrategyStats {
  name: string;
  side: "claimer" | "challenger";
  games: number;
  honestLosses: number;
  liarWins: number;
  refused: number;
  txs: { claimer: number[]; challenger: number[] };
  /** The honest side's gas per game. */
  honestGas: bigint[];
  /** What the honest side earned per game (wei). */
  honestEarned: bigint[];
  failures: string[];
}

export interface TournamentResult {
  seed: number;
  games: number;
  stats: StrategyStats[];
  skipped: { name: string; needs: string[] }[];
  ms: number;
}

export async function playTournament(
  games: number,
  seed: number,
  opts: { onGame?: (s: Strategy, i: number, o: GameOutcome | Error) => void; arena?: Arena } = {},
): Promise<TournamentResult> {
  const t0 = performance.now();
  const enabled = STRATEGIES.filter(available);
  const skipped = STRATEGIES.filter((s) => !available(s)).map((s) => ({
    name: s.name,
    needs: s.needs ?? [],
  }));
  const arena = opts.arena ?? (await openArena());
  const stats = new Map<string, StrategyStats>(
    enabled.map((s) => [
      s.name,
      {
        name: s.name,
        side: s.side,
        games: 0,
        honestLosses: 0,
        liarWins: 0,
        refused: 0,
        txs: { claimer: [], challenger: [] },
        honestGas: [],
        honestEarned: [],
        failures: [],
      },
    ]),
  );
  try {
    for (let i = 0; i < games; i++) {
      const s = enabled[i % enabled.length];
      // each game its own stream, from the seed and its number: one game replays alone
      const r = makeRng((seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const st = stats.get(s.name) as StrategyStats;
      st.games++;
      try {
        const o = await arena.play(s.plan(arena, r));
        if (!o.honestWon) st.honestLosses++;
        if (!o.honestWon) st.liarWins++;
        st.refused += o.refused;
        st.txs.claimer.push(o.txs.claimer);
        st.txs.challenger.push(o.txs.challenger);
        const honestSide = o.liarSide === "claimer" ? "challenger" : "claimer";
        st.honestGas.push(o.gas[honestSide]);
        st.honestEarned.push(o.honestEarnedWei);
        opts.onGame?.(s, i, o);
      } catch (e) {
        // an invariant broken or the honest code stuck: an honest loss, with its replay
        st.honestLosses++;
        st.failures.push(`game ${i} (${s.name}): ${(e as Error).message.split("\n")[0]}`);
        opts.onGame?.(s, i, e as Error);
      }
    }
  } finally {
    if (!opts.arena) await arena.close();
  }
  return { seed, games, stats: [...stats.values()], skipped, ms: performance.now() - t0 };
}
