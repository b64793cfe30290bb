/**
 * Prometheus metrics of a worker, on its own prom-client registry (several agents may share a
 * process in tests), served at GET /metrics when --metrics-port is given.
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface WorkerMetrics {
  registry: Registry;
  jobsSeen: Counter<"served">;
  jobs: Counter<"result">;
  activeJobs: Gauge;
  viewsHeld: Gauge;
  inferenceSeconds: Histogram;
  disputes: Counter<"outcome">;
  moves: Counter<"kind">;
  moveErrors: Counter<"kind">;
  l2TxErrors: Counter<"type">;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    jobsSeen: new Counter({
      name: "verdict_worker_jobs_seen_total",
      help: "JobPosted events seen, by whether this worker serves the model",
      labelNames: ["served"],
      registers,
    }),
    jobs: new Counter({
      name: "verdict_worker_jobs_total",
      help: "Jobs by result: claimed, submitted, paid, refunded, failed, lost_claim",
      labelNames: ["result"],
      registers,
    }),
    activeJobs: new Gauge({
      name: "verdict_worker_active_jobs",
      help: "Jobs claimed and not yet submitted",
      registers,
    }),
    viewsHeld: new Gauge({
      name: "verdict_worker_views_held",
      help: "Traced runs of claims held in memory to answer disputes (each holds every node output)",
      registers,
    }),
    inferenceSeconds: new Histogram({
      name: "verdict_worker_inference_seconds",
      help: "Traced inference and commitment per job",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    disputes: new Counter({
      name: "verdict_worker_disputes_total",
      help: "Disputes on this worker's claims by outcome: opened, won, lost, void",
      labelNames: ["outcome"],
      registers,
    }),
    moves: new Counter({
      name: "verdict_worker_dispute_moves_total",
      help: "Dispute moves sent, by kind (timeout included)",
      labelNames: ["kind"],
      registers,
    }),
    moveErrors: new Counter({
      name: "verdict_worker_dispute_move_errors_total",
      help: "Dispute moves that failed (reverted or not sent), by kind",
      labelNames: ["kind"],
      registers,
    }),
    l2TxErrors: new Counter({
      name: "verdict_worker_l2_tx_errors_total",
      help: "L2 txs the sequencer refused, by tx type",
      labelNames: ["type"],
      registers,
    }),
  };
}

/** Serves GET /metrics; resolves with the server once listening. */
export async function serveMetrics(m: WorkerMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"only /metrics here"}');
      return;
    }
    m.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": m.registry.contentType }).end(text),
      (e) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
