/** Prometheus metrics of the watcher (its own registry; served with --metrics-port). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

export function createWatcherMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "verdict_watcher_process_" });
  return {
    registry,
    claimsSeen: new Counter({
      name: "verdict_watcher_claims_seen_total",
      help: "Claims read from L2",
      registers: [registry],
    }),
    claimsChecked: new Counter({
      name: "verdict_watcher_claims_checked_total",
      help: "Claims re-executed, by verdict (agree, trace, output, error, skipped)",
      labelNames: ["verdict"] as const,
      registers: [registry],
    }),
    gamesOpen: new Gauge({
      name: "verdict_watcher_games_open",
      help: "Disputes this watcher is playing now",
      registers: [registry],
    }),
    viewsHeld: new Gauge({
      name: "verdict_watcher_views_held",
      help: "Traced runs held in memory for the games being played (each holds every node output)",
      registers: [registry],
    }),
    gamesEnded: new Counter({
      name: "verdict_watcher_games_total",
      help: "Disputes ended, by outcome (won, lost, void; skipped: the claim was final on L1 before we opened)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    moves: new Counter({
      name: "verdict_watcher_moves_total",
      help: "L1 txs sent in disputes, by kind (openDispute, pickTraceChild, ..., timeout, closeVoid)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    moveGas: new Counter({
      name: "verdict_watcher_move_gas_total",
      help: "Gas used by dispute txs",
      registers: [registry],
    }),
    bondFree: new Gauge({
      name: "verdict_watcher_bond_free_wei",
      help: "Free challenger bond on the Bridge (wei)",
      registers: [registry],
    }),
    bondLocked: new Gauge({
      name: "verdict_watcher_bond_locked_wei",
      help: "Challenger bond locked in running disputes (wei)",
      registers: [registry],
    }),
    stuckGames: new Gauge({
      name: "verdict_watcher_stuck_games",
      help: "Games whose last moves the contract refused with the same revert, again and again (an alert: see the error log)",
      registers: [registry],
    }),
    l2Block: new Gauge({
      name: "verdict_watcher_l2_block",
      help: "Last L2 block read",
      registers: [registry],
    }),
  };
}

export type WatcherMetrics = ReturnType<typeof createWatcherMetrics>;
