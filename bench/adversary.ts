/**
 * `npm run bench -- adversary [--json]`: N adversarial dispute games (VERDICT_ADVERSARY_GAMES,
 * default 1000) over every liar strategy of test/helpers/adversary (the same tournament the
 * property test plays: real decision code against real contracts on the embedded chain, the
 * invariants checked after each game), with a printed seed (VERDICT_ADVERSARY_SEED replays).
 * A table per strategy: games, honest losses, liar wins, median / max L1 txs per side, and the
 * honest side's worst game: its gas, what it earned, and its net at 100 gwei. The result (and
 * with --json the last line) has games, strategies, honestLosses, liarWins, maxTxPerSide and
 * honestNetWeiWorst (the worst honest net over all games at 100 gwei; goal >= 0).
 */
import { adversarySeed } from "../test/helpers/adversary/rng.ts";
import { playTournament } from "../test/helpers/adversary/tournament.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const GWEI_100 = 100_000_000_000n;

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const eth = (wei: bigint) => (Number(wei) / 1e18).toFixed(4);

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const games = Number(process.env.VERDICT_ADVERSARY_GAMES ?? 1000);
  if (!Number.isInteger(games) || games < 1)
    throw new RangeError(
      `VERDICT_ADVERSARY_GAMES must be a positive integer, got ${process.env.VERDICT_ADVERSARY_GAMES}`,
    );
  const seed = adversarySeed();
  process.stdout.write(`adversary: ${games} games, VERDICT_ADVERSARY_SEED=${seed}\n`);
  const r = await playTournament(games, seed);
  const head = [
    "strategy".padEnd(24),
    "side".padEnd(10),
    "games".padStart(5),
    "honestLoss".padStart(10),
    "liarWins".padStart(8),
    "txClaimer med/max".padStart(18),
    "txChall med/max".padStart(16),
    "worstGas".padStart(9),
    "earnedETH".padStart(10),
    "net@100gwei".padStart(12),
  ].join(" ");
  const lines = [head];
  let worstNet: bigint | null = null;
  let maxTx = 0;
  for (const s of r.stats) {
    let sWorst: { net: bigint; gas: bigint; earned: bigint } | null = null;
    s.honestGas.forEach((gas, i) => {
      const net = s.honestEarned[i] - gas * GWEI_100;
      if (!sWorst || net < sWorst.net) sWorst = { net, gas, earned: s.honestEarned[i] };
    });
    const w = sWorst as { net: bigint; gas: bigint; earned: bigint } | null;
    if (w && (worstNet === null || w.net < worstNet)) worstNet = w.net;
    maxTx = Math.max(maxTx, ...s.txs.claimer, ...s.txs.challenger);
    lines.push(
      [
        s.name.padEnd(24),
        s.side.padEnd(10),
        String(s.games).padStart(5),
        String(s.honestLosses).padStart(10),
        String(s.liarWins).padStart(8),
        `${median(s.txs.claimer)}/${Math.max(0, ...s.txs.claimer)}`.padStart(18),
        `${median(s.txs.challenger)}/${Math.max(0, ...s.txs.challenger)}`.padStart(16),
        String(w?.gas ?? 0n).padStart(9),
        eth(w?.earned ?? 0n).padStart(10),
        eth(w?.net ?? 0n).padStart(12),
      ].join(" "),
    );
    for (const f of s.failures.slice(0, 5)) lines.push(`  ! ${f}`);
  }
  if (r.skipped.length)
    lines.push(
      `skipped (contract functions missing from this build): ${r.skipped.map((s) => s.name).join(", ")}`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
  const honestLosses = r.stats.reduce((n, s) => n + s.honestLosses, 0);
  return {
    games,
    strategies: r.stats.length,
    honestLosses,
    liarWins: r.stats.reduce((n, s) => n + s.liarWins, 0),
    maxTxPerSide: maxTx,
    honestNetWeiWorst: (worstNet ?? 0n).toString(),
    seed,
    seconds: Math.round(r.ms / 100) / 10,
  };
}
