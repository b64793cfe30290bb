/** Prometheus metrics of the sequencer (one registry per node, served at /metrics). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "verdict_sequencer_process_" });
  return {
    registry,
    txAccepted: new Counter({
      name: "verdict_sequencer_txs_accepted_total",
      help: "Txs acknowledged (durable in the WAL)",
      labelNames: ["type"] as const,
      registers: [registry],
    }),
    txRejected: new Counter({
      name: "verdict_sequencer_txs_rejected_total",
      help: "Txs refused, by HTTP status",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    blocks: new Counter({
      name: "verdict_sequencer_blocks_total",
      help: "Blocks sealed or imported",
      registers: [registry],
    }),
    head: new Gauge({ name: "verdict_sequencer_head", help: "Head block number", registers: [registry] }),
    blockTxs: new Histogram({
      name: "verdict_sequencer_block_txs",
      help: "Txs per block",
      buckets: [0, 1, 10, 100, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: "verdict_sequencer_submit_seconds",
      help: "Time from request to durable ack",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    followerLag: new Gauge({
      name: "verdict_sequencer_follower_lag_blocks",
      help: "Follower: blocks behind the leader's head as last reported (-1: never heard from it)",
      registers: [registry],
    }),
    followerSinceLeader: new Gauge({
      name: "verdict_sequencer_follower_since_leader_seconds",
      help: "Follower: seconds since the leader last answered (-1: never)",
      registers: [registry],
    }),
    followerHealthy: new Gauge({
      name: "verdict_sequencer_follower_healthy",
      help: "Follower: 1 when in step with the leader, 0 when stale or lagging",
      registers: [registry],
    }),
    syncFailures: new Counter({
      name: "verdict_sequencer_sync_failures_total",
      help: "Follower: pulls from the leader that failed",
      registers: [registry],
    }),
    eventClients: new Gauge({
      name: "verdict_sequencer_event_clients",
      help: "Connected /v1/events clients",
      registers: [registry],
    }),
    eventUnsentBytes: new Gauge({
      name: "verdict_sequencer_event_unsent_bytes",
      help: "Bytes of /v1/events held in this process for clients that have not taken them yet",
      registers: [registry],
    }),
    eventClientsDropped: new Counter({
      name: "verdict_sequencer_event_clients_dropped_total",
      help: "/v1/events clients disconnected for leaving more than the buffer unread",
      registers: [registry],
    }),
    peers: new Gauge({
      name: "verdict_sequencer_p2p_peers",
      help: "Connected libp2p peers",
      registers: [registry],
    }),
  };
}
export type SequencerMetrics = ReturnType<typeof createMetrics>;
