/**
 * `npm run devnet`: the whole network on one machine, one child process per role, as a user would
 * run them by hand (README "Running the roles yourself"):
 *
 *   l1             `verdict l1 node --block-time 1 --deploy --data-dir <dir>/l1`: the embedded chain,
 *                  durable (replayed from its journal on restart), Bridge + DisputeGame deployed once
 *   sequencer      `verdict sequencer`: L2 blocks, deposits and disputes derived from L1, batches
 *                  posted to it, the dashboard at /, content (Helia on its libp2p host)
 *   worker-honest  `verdict worker` (dev account 2)
 *   worker-faulty  `verdict worker --test-fault wrong-element` (dev account 3): lies on every claim;
 *                  on by default, off with VERDICT_DEVNET_FAULTY=off or `npm run devnet -- --no-faulty`
 *   watcher        `verdict watch` (dev account 4): re-executes every claim, disputes the wrong ones
 *
 * This process deploys nothing itself: it registers the transformer on the Bridge (once), bridges
 * 1 ETH to the requester (dev account 1, once), then posts demo jobs in pairs (prompt bytes as the
 * token input, published through the sequencer's content API) and prints the story from the
 * chains (scripts/devnet/story.ts) between the roles' own prefixed logs.
 *
 * Everything lives under VERDICT_DEVNET_DIR (default data/devnet): a second `npm run devnet` on
 * the same directory resumes the same L1 (same blocks, same contracts), the same L2 chain and the
 * agents' state; `--fresh` starts over. Ctrl-C stops the roles in order (watcher, workers,
 * sequencer, L1) and exits 0.
 *
 * Environment: VERDICT_DEVNET_DIR, VERDICT_DEVNET_L1_PORT (8545), VERDICT_DEVNET_L2_PORT (7545),
 * VERDICT_DEVNET_FAULTY (wrong-element | off | another fault mode), VERDICT_DEVNET_JOB_INTERVAL_S
 * (45: seconds between demo job pairs), VERDICT_DEVNET_LOG_LEVEL (info: the roles' log level).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Address, createPublicClient, type Hex, http, parseEther } from "viem";
import { BridgeContract } from "../bridge/bridge.ts";
import { devAccounts } from "../bridge/chain/accounts.ts";
import { connectL1 } from "../bridge/clients.ts";
import { DEVNET_BRIDGE_PARAMS } from "../bridge/params.ts";
import { encodeTensorFile, TENSOR_CONTENT_TYPE } from "../content/tensor-file.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { cidToBytesHex } from "../protocol/cid.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "../prover-trace/builder/transformer.ts";
import { commitOnnxFile, inputRoot } from "../prover-trace/commit/model.ts";
import type { TensorData } from "../prover-trace/commit/tensor.ts";
import { encodeOnnx } from "../prover-trace/onnx/io.ts";
import { DEVNET_L2_GENESIS } from "../sequencer/fault-proof/genesis.ts";
import { SequencerClient } from "../verifier/l2.ts";
import { type Role, startRole } from "./devnet/roles.ts";
import { Story } from "./devnet/story.ts";

const argv = process.argv.slice(2);
const dataDir = resolve(process.env.VERDICT_DEVNET_DIR ?? "data/devnet");
const l1Port = Number(process.env.VERDICT_DEVNET_L1_PORT ?? 8545);
const l2Port = Number(process.env.VERDICT_DEVNET_L2_PORT ?? 7545);
const faultEnv = process.env.VERDICT_DEVNET_FAULTY ?? "wrong-element";
const faultMode =
  argv.includes("--no-faulty") || ["off", "0", "no", "none", ""].includes(faultEnv) ? null : faultEnv;
const jobIntervalS = Number(process.env.VERDICT_DEVNET_JOB_INTERVAL_S ?? 45);
const logLevel = process.env.VERDICT_DEVNET_LOG_LEVEL ?? "info";

/** L2 challenge window: long enough for the watcher to re-execute and open a dispute on L1 (1 s blocks, 2 confirmations). */
const CHALLENGE_WINDOW_MS = 30_000;
const L2_CHAIN_ID = DEVNET_L2_GENESIS.l2ChainId;
const ESCROW = parseEther("0.01");
const DEPOSIT = parseEther("1");
/** The faulty worker stakes for many slashes (the Bridge's minimum is slashed per lost dispute). */
const FAULTY_STAKE = parseEther("20");
/**
 * L1 stake each open claim holds on L2 (genesis.claimCollateral): the Bridge's minimum, what one
 * lost dispute slashes, so every claim has its own collateral (issue 18, attack 2).
 */
const CLAIM_COLLATERAL = DEVNET_BRIDGE_PARAMS.minWorkerStake;
/** The honest worker's stake: collateral for this many open claims at once (a claim holds it until paid). */
const HONEST_STAKE = CLAIM_COLLATERAL * 8n;
const SEQ_LEN = TRANSFORMER_DEFAULTS.seqLen;

const PROMPTS = [
  "The quick brown fox jumps over the lazy dog.",
  "Verdict: optimistic verification of integer inference.",
  "To be, or not to be, that is the question.",
  "All happy families are alike.",
  "It was the best of times, it was the worst of times.",
  "Call me Ishmael.",
];

const accounts = devAccounts(5);
const DEPLOYER = accounts[0];
const REQUESTER = accounts[1];
const HONEST = accounts[2];
const FAULTY = accounts[3];
const WATCHER = accounts[4];

function say(line: string): void {
  process.stdout.write(`[devnet] ${line}\n`);
}

interface DevnetState {
  version: 1;
  modelId?: Hex;
  deposited?: boolean;
  jobsPosted: number;
}

const statePath = join(dataDir, "devnet.json");
function loadState(): DevnetState {
  if (!existsSync(statePath)) return { version: 1, jobsPosted: 0 };
  return JSON.parse(readFileSync(statePath, "utf8")) as DevnetState;
}
function saveState(s: DevnetState): void {
  writeFileSync(statePath, `${JSON.stringify(s, null, 2)}\n`);
}

const roles: Role[] = [];
let story: Story | undefined;
let jobTimer: NodeJS.Timeout | undefined;
let stopping = false;

async function stopAll(reason: string, code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  say(`${reason}: stopping`);
  if (jobTimer) clearTimeout(jobTimer);
  await story?.stop();
  // Agents first (they talk to both chains), then L2, then L1 last.
  const order = ["watcher", "worker-faulty", "worker-honest", "sequencer", "l1"];
  for (const name of order) {
    const r = roles.find((x) => x.name === name);
    if (!r) continue;
    const exit = await r.stop();
    if (exit !== 0) say(`${name} exited with code ${exit}`);
  }
  say("stopped");
  process.exit(code);
}
process.on("SIGINT", () => void stopAll("SIGINT", 0));
process.on("SIGTERM", () => void stopAll("SIGTERM", 0));

/** A role that dies on its own takes the devnet down with it: a half network shows nothing true. */
function watchRole(r: Role): Role {
  roles.push(r);
  void r.exited.then((code) => {
    if (!stopping) void stopAll(`${r.name} exited unexpectedly (code ${code})`, 1);
  });
  return r;
}

async function main(): Promise<void> {
  if (argv.includes("--fresh")) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const state = loadState();
  const resuming = existsSync(join(dataDir, "l1", "chain.ndjson"));
  say(`data dir ${dataDir}${resuming ? " (resuming)" : ""}`);

  // ------------------------------------------------------------------ L1
  const l1 = watchRole(
    startRole({
      role: "l1",
      args: [
        "l1",
        "node",
        "--block-time",
        "1",
        "--deploy",
        // the L2 below holds CLAIM_COLLATERAL per claim: the claimJob one-step checks the same
        "--l2-claim-collateral",
        CLAIM_COLLATERAL.toString(),
        // and its finalize one-step the L2's challenge window
        "--l2-challenge-window-ms",
        String(CHALLENGE_WINDOW_MS),
        "--data-dir",
        join(dataDir, "l1"),
        "--port",
        String(l1Port),
      ],
    }),
  );
  const l1Info = await l1.waitFor((l) => typeof l.rpc === "string", 300_000, "RPC URL");
  const l1Rpc = l1Info.rpc as string;
  const bridgeAddress = (l1Info.bridge as string).toLowerCase() as Address;
  const deployBlock = Number(l1Info.deployBlock);
  say(
    `L1 embedded chain ${l1Rpc} (chain id ${l1Info.chainId}, 1 s blocks, ${l1Info.resumed ? `resumed at block ${l1Info.blockNumber}` : "new"})`,
  );
  say(`Bridge ${bridgeAddress}, DisputeGame ${l1Info.disputeGame} (deployed in L1 block ${deployBlock})`);

  const clients = await connectL1({ rpcUrl: l1Rpc, privateKey: DEPLOYER.privateKey });
  const bridge = new BridgeContract(clients, bridgeAddress);

  // ------------------------------------------------------------------ the model, registered once
  const modelPath = join(dataDir, "transformer-lm.onnx");
  const onnx = encodeOnnx(buildTransformerLm({ ...TRANSFORMER_DEFAULTS, seed: 1 }));
  writeFileSync(modelPath, onnx);
  const model = await commitOnnxFile(onnx);
  const modelId = toHex(model.modelId);
  if (!(await bridge.isModelRegistered(modelId))) {
    await bridge.registerCommittedModel(model);
    say(
      `model transformer-lm seed 1: ${model.model.nodes.length} nodes, model id ${modelId} (registered now)`,
    );
  } else
    say(
      `model transformer-lm seed 1: ${model.model.nodes.length} nodes, model id ${modelId} (registered before)`,
    );
  state.modelId = modelId;
  saveState(state);

  // ------------------------------------------------------------------ sequencer
  const seqDir = join(dataDir, "sequencer");
  const seqConfig = join(dataDir, "sequencer.json");
  writeFileSync(
    seqConfig,
    `${JSON.stringify(
      {
        dataDir: seqDir,
        httpPort: l2Port,
        l1Rpc,
        l1Confirmations: 2,
        l1StartBlock: deployBlock,
        l1Key: DEPLOYER.privateKey,
        batchIntervalMs: 10_000,
        verifyWorkers: 0,
        // the genesis `verdict l1 node --deploy` deployed the batch challenge for (DEVNET_L2_GENESIS)
        genesis: {
          ...DEVNET_L2_GENESIS,
          l1ChainId: String(l1Info.chainId),
          bridge: bridgeAddress,
          timestamp: 0,
          challengeWindowMs: CHALLENGE_WINDOW_MS,
          claimCollateral: CLAIM_COLLATERAL.toString(),
        },
      },
      null,
      2,
    )}\n`,
  );
  const seq = watchRole(
    startRole({ role: "sequencer", args: ["sequencer", "--config", seqConfig, "--log-level", logLevel] }),
  );
  const seqUrl = (await seq.waitFor((l) => l.msg === "http listening", 120_000, "HTTP address"))
    .url as string;
  const seqP2p = (
    (await seq.waitFor((l) => l.msg === "p2p listening", 60_000, "p2p address")).addrs as string[]
  )[0];
  const head = ((await (await fetch(`${seqUrl}/health`)).json()) as { head: number }).head;
  say(`L2 sequencer ${seqUrl} (dashboard ${seqUrl}/, OpenAPI ${seqUrl}/openapi.json), L2 head ${head}`);
  say(`L2 p2p ${seqP2p}`);

  // ------------------------------------------------------------------ the progress log
  const names = new Map<string, string>([
    [DEPLOYER.address.toLowerCase(), "sequencer"],
    [REQUESTER.address.toLowerCase(), "requester"],
    [HONEST.address.toLowerCase(), "worker-honest"],
    [FAULTY.address.toLowerCase(), "worker-faulty"],
    [WATCHER.address.toLowerCase(), "watcher"],
  ]);
  const prompts = new Map<string, string>();
  story = new Story({
    l2Url: seqUrl,
    l1: createPublicClient({ transport: http(l1Rpc) }) as never,
    bridge: bridgeAddress,
    game: l1Info.disputeGame as Address,
    names,
    prompts,
    challengeWindowMs: CHALLENGE_WINDOW_MS,
    fromL2Block: head + 1,
    fromL1Block: BigInt(l1Info.blockNumber as string) + 1n,
    say,
  });
  story.start();

  // ------------------------------------------------------------------ the requester's L2 funds, once
  if (!state.deposited) {
    const requesterBridge = bridge.as(
      (await connectL1({ rpcUrl: l1Rpc, privateKey: REQUESTER.privateKey })).walletClient!,
    );
    const dep = await requesterBridge.deposit(REQUESTER.address as Address, DEPOSIT);
    state.deposited = true;
    saveState(state);
    say(
      `requester ${REQUESTER.address} bridged 1 ETH to L2 (deposit #${dep.depositId}; credited after 2 L1 confirmations)`,
    );
  }

  // ------------------------------------------------------------------ agents
  const common = [
    "--l1-rpc",
    l1Rpc,
    "--bridge",
    bridgeAddress,
    "--sequencer",
    seqUrl,
    "--model",
    modelPath,
    "--l1-start-block",
    String(deployBlock),
    "--challenge-window-ms",
    String(CHALLENGE_WINDOW_MS),
    "--capacity",
    "1",
    "--poll-ms",
    "500",
    "--log-level",
    logLevel,
    "--content-peer",
    seqP2p,
  ];
  const workerArgs = (who: typeof HONEST, dir: string, extra: string[]) => [
    "worker",
    ...common,
    "--key",
    who.privateKey,
    "--data-dir",
    join(dataDir, dir),
    ...extra,
  ];
  const honest = watchRole(
    startRole({
      role: "worker-honest",
      args: workerArgs(HONEST, "worker-honest", ["--stake", HONEST_STAKE.toString()]),
    }),
  );
  const faulty = faultMode
    ? watchRole(
        startRole({
          role: "worker-faulty",
          args: workerArgs(FAULTY, "worker-faulty", [
            "--test-fault",
            faultMode,
            "--stake",
            FAULTY_STAKE.toString(),
          ]),
        }),
      )
    : undefined;
  const watcher = watchRole(
    startRole({
      role: "watcher",
      args: [
        "watch",
        "--sequencer",
        seqUrl,
        "--l1-rpc",
        l1Rpc,
        "--bridge",
        bridgeAddress,
        "--key",
        WATCHER.privateKey,
        "--data-dir",
        join(dataDir, "watcher"),
        "--model",
        modelPath,
        "--poll-ms",
        "500",
        "--l2-challenge-window-ms",
        String(CHALLENGE_WINDOW_MS),
        "--log-level",
        logLevel,
        "--content-peer",
        seqP2p,
      ],
    }),
  );
  await Promise.all([
    honest.waitFor((l) => l.msg === "worker ready", 300_000, "worker ready"),
    faulty?.waitFor((l) => l.msg === "worker ready", 300_000, "worker ready"),
    watcher.waitFor((l) => l.msg === "watcher started", 300_000, "watcher started"),
  ]);
  say(
    `roles running: ${roles.map((r) => `${r.name} (pid ${r.pid})`).join(", ")}${faultMode ? "" : " (faulty worker off)"}`,
  );

  // ------------------------------------------------------------------ demo jobs
  const requester = new SequencerClient({
    url: seqUrl,
    key: fromHex(REQUESTER.privateKey),
    address: REQUESTER.address.toLowerCase() as Address,
    l2ChainId: BigInt(L2_CHAIN_ID),
    fee: 0n,
  });
  const balance = async () =>
    BigInt(
      (
        (await (await fetch(`${seqUrl}/v1/accounts/${REQUESTER.address.toLowerCase()}`)).json()) as {
          balance: string;
        }
      ).balance,
    );
  while ((await balance()) < ESCROW * 2n) {
    if (stopping) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  say(`requester has ${Number((await balance()) / 10n ** 15n) / 1000} ETH on L2`);

  const postOne = async (): Promise<void> => {
    const prompt = PROMPTS[state.jobsPosted % PROMPTS.length];
    const tokens = new Uint8Array(SEQ_LEN).fill(0x20);
    tokens.set(new TextEncoder().encode(prompt).subarray(0, SEQ_LEN));
    const inputs: TensorData[] = [{ dtype: 2, shape: [SEQ_LEN], data: tokens }];
    const res = await fetch(`${seqUrl}/v1/content`, {
      method: "POST",
      headers: { "content-type": TENSOR_CONTENT_TYPE },
      body: encodeTensorFile(inputs),
    });
    if (!res.ok) throw new Error(`POST /v1/content: HTTP ${res.status} ${await res.text()}`);
    const { cid } = (await res.json()) as { cid: string };
    const root = toHex(inputRoot(model.model, inputs));
    // The job id is the postJob tx's hash: known only once sent, so the prompt is filed after.
    const jobId = await requester.send({
      type: "postJob",
      modelId,
      inputRoot: root,
      inputCid: cidToBytesHex(cid),
      escrow: ESCROW,
      deadline: Date.now() + 600_000,
    });
    prompts.set(jobId.toLowerCase(), prompt);
    state.jobsPosted++;
    saveState(state);
  };
  const postPair = async () => {
    try {
      await postOne();
      await postOne();
    } catch (e) {
      if (!stopping) say(`posting a demo job failed: ${(e as Error).message}`);
    }
    if (!stopping) jobTimer = setTimeout(() => void postPair(), jobIntervalS * 1000);
  };
  say(
    `posting 2 demo jobs every ${jobIntervalS} s (escrow 0.01 ETH each; ${state.jobsPosted} posted before)`,
  );
  await postPair();

  // ------------------------------------------------------------------ status line
  const status = setInterval(async () => {
    if (stopping || !story) return;
    try {
      const l1Block = await clients.publicClient.getBlockNumber({ cacheTime: 0 });
      const c = story.counts;
      say(
        `status: L1 block ${l1Block} | L2 block ${story.l2Head.number} state ${story.l2Head.stateRoot.slice(0, 18)}… | ` +
          `jobs posted ${c.posted}, paid ${c.paid}, refunded ${c.refunded} | disputes opened ${c.disputesOpened}, ` +
          `won by the challenger ${c.disputesWonByChallenger}`,
      );
    } catch {}
  }, 15_000);
  status.unref();
}

main().catch((e: unknown) => {
  if (stopping) return;
  process.stderr.write(`[devnet] ${(e as Error).message}\n`);
  void stopAll("failed", 1);
});
