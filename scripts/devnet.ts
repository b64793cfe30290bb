/**
 * `npm run devnet`: what runs end to end today, on embedded defaults, in one process.
 *  - L1: the embedded chain over HTTP (1 s blocks) with the Bridge deployed from dev account 0;
 *  - the reference transformer LM built from seed 1, validated, and registered on the Bridge;
 *  - the L2 sequencer deriving deposits from the Bridge and posting batches to it;
 *  - a demo deposit from dev account 1, shown arriving on L2 once L1 has confirmed it.
 * Workers, watchers and disputes join this command when those agents land (issues 5 and 6).
 *
 * The embedded L1 lives in memory, so every start is a new L1 and the L2 data dir, whose blocks
 * name L1 origins, is started afresh with it. Ctrl-C stops everything cleanly.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { type Address, parseEther } from "viem";
import { BridgeContract } from "../bridge/bridge.ts";
import { embeddedL1Clients } from "../bridge/clients.ts";
import { startDevnet } from "../bridge/devnet.ts";
import { toHex } from "../protocol/bytes.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "../prover-trace/builder/transformer.ts";
import { commitOnnxFile } from "../prover-trace/commit/model.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { DEFAULTS, type SequencerConfig } from "../sequencer/config.ts";
import { startSequencer } from "../sequencer/run.ts";

const dataDir = process.env.VERDICT_DEVNET_DIR ?? "data/devnet";
const l1Port = Number(process.env.VERDICT_DEVNET_L1_PORT ?? 8545);
const l2Port = Number(process.env.VERDICT_DEVNET_L2_PORT ?? 7545);

function say(line: string): void {
  process.stdout.write(`[devnet] ${line}\n`);
}

const l1 = await startDevnet({ port: l1Port, blockTimeMs: 1000 });
const bridgeAddress = l1.deployment!.address;
say(`L1 embedded chain ${l1.http!.url} (chain id ${l1.chain.chainId}, 1 s blocks)`);
say(`Bridge ${bridgeAddress}`);

const onnx = encodeOnnx(buildTransformerLm({ ...TRANSFORMER_DEFAULTS, seed: 1 }));
const model = await commitOnnxFile(onnx);
const bridge = new BridgeContract(l1.clients, bridgeAddress);
const registered = await bridge.registerModel(
  {
    graphRoot: toHex(model.graphRoot),
    weightsRoot: toHex(model.weightsRoot),
    outputRefsRoot: toHex(model.outputRefsRoot),
    nodeCount: model.nodeCount,
    weightCount: model.weightCount,
    inputCount: model.inputCount,
    outputCount: model.outputCount,
  },
  model.cid.bytes,
);
say(`model transformer-lm seed 1: ${model.model.nodes.length} nodes, model id ${registered.modelId}`);

const l2Dir = join(dataDir, "sequencer");
rmSync(l2Dir, { recursive: true, force: true });
const cfg: SequencerConfig = {
  ...DEFAULTS,
  dataDir: l2Dir,
  httpPort: l2Port,
  logLevel: process.env.VERDICT_DEVNET_LOG_LEVEL ?? "warn",
  l1Rpc: l1.http!.url,
  l1Confirmations: 2,
  l1Key: l1.chain.accounts[0].privateKey,
  batchIntervalMs: 5000,
  genesis: { ...DEFAULTS.genesis, bridge: bridgeAddress, l1ChainId: String(l1.chain.chainId) },
};
const logger = pino({ level: cfg.logLevel, base: { svc: "sequencer" } });
const sequencer = await startSequencer(cfg, logger);
say(
  `L2 sequencer ${sequencer.url} (OpenAPI ${sequencer.url}/openapi.json, events ${sequencer.url}/v1/events)`,
);
say(`L2 p2p ${sequencer.p2p.addrs().join(" ")}`);

// Demo deposit: dev account 1 bridges 1 ETH to its own address on L2.
const depositor = l1.chain.accounts[1];
const depositorBridge = new BridgeContract(
  embeddedL1Clients(l1.chain, { privateKey: depositor.privateKey }),
  bridgeAddress,
);
const dep = await depositorBridge.deposit(depositor.address as Address, parseEther("1"));
say(
  `deposit #${dep.depositId}: 1 ETH from L1 ${depositor.address} to L2 (credited after 2 L1 confirmations)`,
);

async function l2Balance(addr: string): Promise<string> {
  const r = await fetch(`${sequencer.url}/v1/accounts/${addr}`);
  if (!r.ok) return "?";
  const body = (await r.json()) as { balance?: string };
  return body.balance ?? "0";
}

const timer = setInterval(async () => {
  try {
    const head = sequencer.node.chain.head;
    const l1Block = await l1.clients.publicClient.getBlockNumber();
    say(
      `L1 block ${l1Block} | L2 block ${head.number} state ${head.stateRoot.slice(0, 18)}… ` +
        `| L2 balance of ${depositor.address.slice(0, 10)}…: ${await l2Balance(depositor.address)} wei`,
    );
  } catch (e) {
    say(`status: ${(e as Error).message}`);
  }
}, 5000);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  clearInterval(timer);
  await sequencer.close();
  await l1.close();
  say("stopped");
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
