/**
 * `verdict l1 node` and `verdict l1 deploy` as separate processes: the node serves the embedded
 * chain over HTTP (with the Bridge and its batch challenge for the default L2 genesis deployed),
 * deploy puts a second Bridge on it through the RPC URL (its batch challenge for the genesis of
 * `--l2-config`),
 * and bad arguments or an unreachable node end with a clear message and exit code 1.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import t from "tap";
import { createPublicClient, http } from "viem";
import { BatchChallengeContract } from "../../../bridge/batch-challenge.ts";
import { devAccounts } from "../../../bridge/chain/accounts.ts";
import { registerL1Commands } from "../../../bridge/cli.ts";
import { connectL1 } from "../../../bridge/clients.ts";
import { batchChallengeAbi } from "../../../contracts/artifacts/BatchChallenge.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { commitOnnxFile } from "../../../prover-trace/commit/model.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { DEFAULTS, resolveGenesis, type SequencerConfig } from "../../../sequencer/config.ts";
import { challengeGenesisMismatch } from "../../../sequencer/fault-proof/genesis.ts";
import { freePort } from "../../helpers/l1.ts";

const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
const run = promisify(execFile);

function verdict(args: string[]) {
  return run(process.execPath, [VERDICT, ...args], { timeout: 60_000 });
}

async function failure(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await verdict(args);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`verdict ${args.join(" ")} succeeded but should have failed`);
}

/** Starts `verdict l1 node` and resolves with its printed JSON once it is up. */
function startNode(args: string[]): Promise<{
  child: ChildProcess;
  info: { rpc: string; chainId: number; bridge?: string; batchChallenge?: string };
}> {
  const child = spawn(process.execPath, [VERDICT, "l1", "node", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        resolve({ child, info: JSON.parse(out) });
      } catch {
        // not complete yet
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("exit", (code) => reject(new Error(`l1 node exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`l1 node did not start in 60 s: ${err}`)), 60_000).unref();
  });
}

t.test("l1 node serves the chain with a Bridge; l1 deploy deploys over its RPC", async (t) => {
  const port = await freePort();
  const { child, info } = await startNode([
    "--port",
    String(port),
    "--block-time",
    "0.2",
    "--chain-id",
    "4242",
    "--deploy",
  ]);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  t.equal(info.rpc, `http://127.0.0.1:${port}`);
  t.equal(info.chainId, 4242);
  t.match(info.bridge, /^0x[0-9a-fA-F]{40}$/);
  const pub = createPublicClient({ transport: http(info.rpc), cacheTime: 0 });
  t.equal(await pub.getChainId(), 4242);
  t.equal(
    await pub.readContract({
      address: info.bridge as `0x${string}`,
      abi: bridgeAbi,
      functionName: "challengeWindow",
    }),
    120n,
  );

  // the batch challenge, for the config's default genesis (a sequencer given only the Bridge fits it)
  const l1 = await connectL1({ rpcUrl: info.rpc });
  const genesisFor = (bridge: string, g: Partial<SequencerConfig["genesis"]> = {}) =>
    resolveGenesis({
      ...DEFAULTS,
      genesis: { ...DEFAULTS.genesis, bridge, l1ChainId: "4242", ...g },
    }).genesis;
  t.match(info.batchChallenge, /^0x[0-9a-fA-F]{40}$/, "l1 node --deploy deploys the batch challenge");
  const nodeGame = new BatchChallengeContract(l1, info.batchChallenge as `0x${string}`);
  t.equal(
    challengeGenesisMismatch(await nodeGame.deployedGenesis(), genesisFor(info.bridge as string)),
    null,
    "for the default genesis",
  );

  const key = devAccounts(2)[1].privateKey;
  const sequencer = devAccounts(3)[2].address;
  const l2Alloc = { [devAccounts(5)[4].address]: "1000" };
  const l2ConfigPath = join(mkdtempSync(join(tmpdir(), "verdict-cli-l2-")), "seq.json");
  t.teardown(() => rmSync(dirname(l2ConfigPath), { recursive: true, force: true }));
  // an L2 window longer than the Bridge's (30 s below): refused before anything is deployed
  writeFileSync(l2ConfigPath, JSON.stringify({ genesis: { alloc: l2Alloc, minFee: "3" } }));
  await t.rejects(
    verdict([
      "l1",
      "deploy",
      "--rpc",
      info.rpc,
      "--key",
      key,
      "--challenge-window",
      "30",
      "--unbonding-delay",
      "90",
      "--l2-config",
      l2ConfigPath,
    ]),
    /challengeWindowMs 60000\) is longer than the Bridge's L1 challenge window \(30 s\)/,
    "l1 deploy refuses an L2 genesis whose window outlasts the Bridge's",
  );
  writeFileSync(
    l2ConfigPath,
    JSON.stringify({ genesis: { alloc: l2Alloc, minFee: "3", challengeWindowMs: 30_000 } }),
  );
  const { stdout } = await verdict([
    "l1",
    "deploy",
    "--rpc",
    info.rpc,
    "--key",
    key,
    "--sequencer",
    sequencer,
    "--challenge-window",
    "30",
    "--unbonding-delay",
    "90",
    "--l2-config",
    l2ConfigPath,
    "--sequencer-bond",
    "5",
    "--batch-clock",
    "77",
  ]);
  const d = JSON.parse(stdout);
  const game = new BatchChallengeContract(l1, d.batchChallenge);
  t.equal(
    (
      (await pub.readContract({
        address: d.bridge,
        abi: bridgeAbi,
        functionName: "batchChallenge",
      })) as string
    ).toLowerCase(),
    d.batchChallenge.toLowerCase(),
    "l1 deploy registers its batch challenge with the Bridge",
  );
  const deployed = await game.deployedGenesis();
  t.equal(
    challengeGenesisMismatch(
      deployed,
      genesisFor(d.bridge, { alloc: l2Alloc, minFee: "3", challengeWindowMs: 30_000 }),
    ),
    null,
    "for the genesis of --l2-config",
  );
  t.match(
    challengeGenesisMismatch(deployed, genesisFor(d.bridge)),
    /genesis state root .*minFee 3 there, 0 here/,
    "not the default one",
  );
  t.equal(await game.sequencerBond(), 5n, "--sequencer-bond");
  t.equal(
    await pub.readContract({ address: d.batchChallenge, abi: batchChallengeAbi, functionName: "clock" }),
    77n,
    "--batch-clock",
  );
  t.equal(d.chainId, 4242);
  t.equal(d.deployer, devAccounts(2)[1].address);
  const address = d.bridge as `0x${string}`;
  t.equal(await pub.readContract({ address, abi: bridgeAbi, functionName: "sequencer" }), sequencer);
  t.equal(await pub.readContract({ address, abi: bridgeAbi, functionName: "unbondingDelay" }), 90n);
  // register-model: validates the file, registers it once (a second run says it was registered before)
  const modelPath = join(mkdtempSync(join(tmpdir(), "verdict-cli-model-")), "mlp.onnx");
  t.teardown(() => rmSync(dirname(modelPath), { recursive: true, force: true }));
  const onnx = encodeOnnx(buildMlp({ inputDim: 8, hidden: 16, layers: 1, classes: 3 }));
  writeFileSync(modelPath, onnx);
  const expectedId = toHex((await commitOnnxFile(onnx)).modelId);
  const registerArgs = ["l1", "register-model", "--rpc", info.rpc, "--bridge", address, "--model", modelPath];
  const first = JSON.parse((await verdict([...registerArgs, "--key", key])).stdout);
  t.equal(first.modelId, expectedId, "the model id the CLI registered is the commitment's");
  t.equal(first.registered, "now");
  t.equal(
    await pub.readContract({
      address,
      abi: bridgeAbi,
      functionName: "isModelRegistered",
      args: [expectedId],
    }),
    true,
  );
  const second = JSON.parse((await verdict([...registerArgs, "--key", key])).stdout);
  t.equal(second.registered, "before", "registering again sends nothing");

  const b0 = await pub.getBlockNumber();
  await new Promise((r) => setTimeout(r, 700));
  t.ok((await pub.getBlockNumber()) > b0, "blocks keep coming every 0.2 s");

  child.kill("SIGTERM");
  t.equal(await exited, 0, "the node exits cleanly on SIGTERM");
});

t.test("an unreachable node fails with a clear message and exit code 1", async (t) => {
  const port = await freePort(); // nothing listens there
  const unreachable = await failure(["l1", "deploy", "--rpc", `http://127.0.0.1:${port}`]);
  t.equal(unreachable.code, 1);
  t.match(unreachable.stderr, /cannot reach L1 node/);
});

/** Runs the l1 commands in process (commander with exitOverride) and returns what they wrote to stderr. */
async function inProcessError(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  let err = "";
  program.configureOutput({ writeErr: (s) => (err += s), writeOut: () => {} });
  registerL1Commands(program);
  try {
    await program.parseAsync(["node", "verdict", ...args]);
  } catch (e) {
    return `${err}${(e as Error).message}`;
  }
  throw new Error(`verdict ${args.join(" ")} succeeded but should have failed`);
}

t.test("bad arguments are named", async (t) => {
  t.match(await inProcessError(["l1", "deploy", "--rpc", "ftp://example"]), /must be http/);
  t.match(await inProcessError(["l1", "deploy", "--rpc", "not a url"]), /not a valid RPC URL/);
  t.match(
    await inProcessError(["l1", "deploy", "--rpc", "http://127.0.0.1:1", "--key", "0x12"]),
    /key must be 32 bytes/,
  );
  t.match(await inProcessError(["l1", "deploy"]), /--rpc/);
  t.match(
    await inProcessError(["l1", "deploy", "--rpc", "http://127.0.0.1:1", "--sequencer", "0xabc"]),
    /address must be 20 bytes/,
  );
  t.match(
    await inProcessError(["l1", "deploy", "--rpc", "http://127.0.0.1:1", "--min-stake", "-1"]),
    /non-negative integer/,
  );
  t.match(await inProcessError(["l1", "node", "--port", "70000"]), /port must be a number/);
  t.match(await inProcessError(["l1", "node", "--block-time", "abc"]), /block time must be a number/);
});
