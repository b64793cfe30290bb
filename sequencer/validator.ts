/**
 * `verdict validator`: rebuild L2 from L1 alone and report every batch whose commitments its data
 * does not re-execute to (sequencer/rebuild.ts). It needs only an L1 RPC and the genesis: no
 * sequencer, no p2p, no store. One-shot (`--check`): read every batch confirmed now, replay,
 * print one JSON summary line, exit 0 when all are right and EXIT_BAD_BATCH when one is wrong.
 * Watching (default): the same every `intervalMs`, logging each verdict; a bad batch is logged
 * at error level and the replay stops there (later batches build on state in question). Metrics
 * (Prometheus text, `serveMetrics`): batches checked, the L2 head reached, the first bad batch's
 * index (-1 while none), failed steps.
 *
 * With a challenge key it also challenges the first bad batch (validator-challenge.ts). When L1
 * removes batches it had already read (its own challenge won, or anyone's), it starts over from
 * L1: the batches posted again under those indexes are checked like any other.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import type { Address } from "viem";
import { BatchChallengeContract } from "../bridge/batch-challenge.ts";
import { connectL1, type L1Clients } from "../bridge/clients.ts";
import { batchChallengeAbi } from "../contracts/artifacts/BatchChallenge.ts";
import { bridgeAbi } from "../contracts/artifacts/Bridge.ts";
import type { Hex } from "../protocol/tx.ts";
import { resolveGenesis, type SequencerConfig } from "./config.ts";
import { L1BatchReader } from "./l1-batches.ts";
import { BatchReplayer, type BatchVerdict } from "./rebuild.ts";
import { ValidatorChallenger } from "./validator-challenge.ts";

/** Exit status of `verdict validator --check` when a batch is wrong. */
export const EXIT_BAD_BATCH = 2;

export interface ValidatorSummary {
  batches: number;
  /** L2 block the replay reached. */
  head: number;
  stateRoot: Hex;
  /** State root after each good batch, by index. */
  roots: Hex[];
  bad: { index: number; reason: string } | null;
}

function createValidatorMetrics() {
  const registry = new Registry();
  const badBatch = new Gauge({
    name: "verdict_validator_bad_batch",
    help: "Index of the first batch whose commitments its L1 data does not re-execute to; -1 while none",
    registers: [registry],
  });
  badBatch.set(-1);
  return {
    registry,
    badBatch,
    batches: new Gauge({
      name: "verdict_validator_batches_checked",
      help: "Batches replayed from L1 data",
      registers: [registry],
    }),
    head: new Gauge({
      name: "verdict_validator_l2_head",
      help: "L2 block the replay reached",
      registers: [registry],
    }),
    stepFailures: new Counter({
      name: "verdict_validator_step_failures_total",
      help: "Steps that failed to read L1 (retried)",
      registers: [registry],
    }),
  };
}

export class Validator {
  private reader: L1BatchReader;
  replayer: BatchReplayer;
  readonly logger?: Logger;
  readonly metrics = createValidatorMetrics();
  private readonly newReader: () => L1BatchReader;
  private readonly newReplayer: () => BatchReplayer;
  /** Times L1 removed batches this validator had read and it started over. */
  restarts = 0;

  constructor(clients: L1Clients, cfg: SequencerConfig, logger?: Logger) {
    // a validator holds no key: resolve the genesis as a follower does
    const { genesis } = resolveGenesis({ ...cfg, follow: cfg.follow ?? "validator" });
    this.newReader = () =>
      new L1BatchReader(clients, {
        bridge: genesis.bridge,
        confirmations: cfg.l1Confirmations,
        startBlock: cfg.l1StartBlock,
      });
    this.newReplayer = () => new BatchReplayer(genesis);
    this.reader = this.newReader();
    this.replayer = this.newReplayer();
    this.logger = logger;
  }

  /** L1 removed batches this validator had read: rebuild from L1 again, from genesis. */
  private restart(why: string): void {
    this.reader = this.newReader();
    this.replayer = this.newReplayer();
    this.challenger = this.challenger?.fresh() ?? null;
    this.metrics.badBatch.set(-1);
    this.restarts++;
    this.logger?.warn({ why }, "batches removed on L1: replaying from genesis again");
  }

  /** With one, a bad batch is challenged on L1 (`verdict validator --challenge-key`). */
  challenger: ValidatorChallenger | null = null;

  /**
   * Read the batches confirmed since the last step and replay them (none after a bad one); with a
   * challenger, a bad batch is challenged and the challenge played one move per step.
   */
  async step(): Promise<BatchVerdict[]> {
    const out: BatchVerdict[] = [];
    let batches: Awaited<ReturnType<L1BatchReader["next"]>>;
    if (this.replayer.firstBad) {
      // a challenge seen ended on the previous step: the bad batch is gone, follow L1 again
      const ended = this.challenger?.outcome;
      if (ended === "won" || ended === "void") this.restart(`batch challenge ${ended}`);
      else if (ended === "none" || ended === "playing") await this.challenger?.step();
      else {
        // still read L1: someone else's challenge may remove the bad batch
        await this.reader.next();
        if (this.reader.removedReturned !== null) this.restart("a removal on L1");
      }
      return [];
    }
    try {
      batches = await this.reader.next();
    } catch (err) {
      this.metrics.stepFailures.inc();
      throw err;
    }
    if (this.reader.removedReturned !== null) {
      this.restart("a removal on L1");
      return [];
    }
    for (const b of batches) {
      // the state the batch starts from, for the challenge's replay (copied only when challenging)
      const start = this.challenger
        ? {
            state: new Map(this.replayer.chain.state.map),
            inboxHash: this.replayer.inboxHash,
            lastTime: this.replayer.lastTime,
          }
        : null;
      const v = this.replayer.apply(b);
      out.push(v);
      this.metrics.batches.set(this.replayer.verdicts.length);
      this.metrics.head.set(this.replayer.headNumber);
      if (v.ok) this.logger?.info({ ...v }, "batch re-executed: commitments match");
      else {
        this.metrics.badBatch.set(v.index);
        this.logger?.error({ ...v }, "BAD BATCH: its commitments differ from its re-executed data");
        if (this.challenger && start) this.challenger.onBadBatch(b, start);
        break;
      }
    }
    return out;
  }

  /** Serve GET /metrics (Prometheus text) on host:port (0: any free port); resolves its URL. */
  async serveMetrics(host: string, port: number): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("not found\n");
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    const a = server.address() as AddressInfo;
    return { url: `http://${host}:${a.port}/metrics`, server };
  }

  summary(): ValidatorSummary {
    const bad = this.replayer.firstBad;
    return {
      batches: this.replayer.verdicts.length,
      head: this.replayer.headNumber,
      stateRoot: this.replayer.stateRoot,
      roots: this.replayer.verdicts.flatMap((v) => (v.ok ? [v.stateRoot] : [])),
      bad: bad && { index: bad.index, reason: bad.reason },
    };
  }
}

/**
 * Arms `v` to challenge the first bad batch through the Bridge's BatchChallenge, sending from the
 * wallet in `clients` (its bond: the contract's challengerBond).
 */
export async function armChallenger(v: Validator, clients: L1Clients, cfg: SequencerConfig): Promise<void> {
  const { genesis } = resolveGenesis({ ...cfg, follow: cfg.follow ?? "validator" });
  const address = (await clients.publicClient.readContract({
    address: genesis.bridge,
    abi: bridgeAbi,
    functionName: "batchChallenge",
  })) as Address;
  if (/^0x0{40}$/.test(address))
    throw new Error(`the Bridge at ${genesis.bridge} has no batch challenge to play`);
  const game = new BatchChallengeContract(clients, address);
  const bond = (await clients.publicClient.readContract({
    address,
    abi: batchChallengeAbi,
    functionName: "challengerBond",
  })) as bigint;
  v.challenger = new ValidatorChallenger(game, genesis, bond, v.logger);
}

export async function connectValidator(
  cfg: SequencerConfig,
  logger?: Logger,
  challengeKey?: Hex,
): Promise<Validator> {
  if (!cfg.l1Rpc) throw new Error("a validator needs --l1-rpc (or l1Rpc in the config)");
  const clients = await connectL1({
    rpcUrl: cfg.l1Rpc,
    ...(challengeKey ? { privateKey: challengeKey } : {}),
  });
  const chainId = BigInt(clients.publicClient.chain.id);
  if (chainId !== BigInt(cfg.genesis.l1ChainId))
    throw new Error(
      `L1 at ${cfg.l1Rpc} has chain id ${chainId}, genesis.l1ChainId is ${cfg.genesis.l1ChainId}`,
    );
  const v = new Validator(clients, cfg, logger);
  if (challengeKey) await armChallenger(v, clients, cfg);
  return v;
}
