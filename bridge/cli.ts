/**
 * `verdict l1 ...`: run the embedded L1 chain over HTTP, deploy the Bridge to any JSON-RPC node.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Address, Hex } from "viem";
import { DEFAULTS } from "../sequencer/config.ts";
import type { Deployment } from "./deploy.ts";
import { DEFAULT_BATCH_CLOCK, DEVNET_BRIDGE_PARAMS, DEVNET_SEQUENCER_BOND } from "./params.ts";

function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}]`);
    }
    return n;
  };
}

function bigintArg(name: string) {
  return (v: string): bigint => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return BigInt(v);
  };
}

/** A bigint option whose default shows in --help (commander would JSON.stringify it and throw). */
function bigintOption(flags: string, description: string, what: string, fallback: bigint): Option {
  return new Option(flags, description).argParser(bigintArg(what)).default(fallback, fallback.toString());
}

function keyArg(v: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(v))
    throw new InvalidArgumentError("key must be 32 bytes of 0x-prefixed hex");
  return v as Hex;
}

function addressArg(v: string): Address {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v))
    throw new InvalidArgumentError("address must be 20 bytes of 0x-prefixed hex");
  return v as Address;
}

function deploymentJson(d: Deployment): string {
  return JSON.stringify(
    {
      bridge: d.address,
      chainId: d.chainId,
      txHash: d.txHash,
      blockNumber: d.blockNumber.toString(),
      deployer: d.deployer,
      sequencer: d.params.sequencer,
      challengeWindow: d.params.challengeWindow.toString(),
      unbondingDelay: d.params.unbondingDelay.toString(),
      minWorkerStake: d.params.minWorkerStake.toString(),
      challengerBond: d.params.challengerBond.toString(),
      batchChallenge: d.batchChallenge?.address ?? null,
    },
    null,
    2,
  );
}

interface DeployOpts {
  rpc: string;
  key?: Hex;
  sequencer?: Address;
  challengeWindow: bigint;
  unbondingDelay: bigint;
  minStake: bigint;
  challengerBond: bigint;
  l2Config?: string;
  sequencerBond: bigint;
  batchClock: bigint;
}

interface NodeOpts {
  port: number;
  host: string;
  blockTime?: number;
  chainId: number;
  accounts: number;
  deploy?: boolean;
  dataDir?: string;
  l2ClaimCollateral: bigint;
  l2ChallengeWindowMs: bigint;
}

export function registerL1Commands(program: Command): void {
  const l1 = program.command("l1").description("L1 side: embedded chain and Bridge contract");

  l1.command("deploy")
    .description("deploy the Bridge contract to a JSON-RPC node and print the deployment as JSON")
    .requiredOption("--rpc <url>", "JSON-RPC URL of the L1 node")
    .option("--key <hex>", "deployer private key (default: dev account 0 of the test mnemonic)", keyArg)
    .option("--sequencer <address>", "batch poster (default: the deployer)", addressArg)
    .addOption(
      bigintOption(
        "--challenge-window <s>",
        "seconds until a batch is final",
        "challenge window",
        DEVNET_BRIDGE_PARAMS.challengeWindow,
      ),
    )
    .addOption(
      bigintOption(
        "--unbonding-delay <s>",
        "seconds a worker waits to withdraw stake",
        "unbonding delay",
        DEVNET_BRIDGE_PARAMS.unbondingDelay,
      ),
    )
    .addOption(
      bigintOption(
        "--min-stake <wei>",
        "minimum bonded worker stake",
        "min stake",
        DEVNET_BRIDGE_PARAMS.minWorkerStake,
      ),
    )
    .addOption(
      bigintOption(
        "--challenger-bond <wei>",
        "bond per dispute",
        "challenger bond",
        DEVNET_BRIDGE_PARAMS.challengerBond,
      ),
    )
    .option(
      "--l2-config <file>",
      "the sequencer's config file: deploy the batch challenge for its genesis (default: DEVNET_L2_GENESIS, the config's default genesis)",
    )
    .addOption(
      bigintOption(
        "--sequencer-bond <wei>",
        "bond the sequencer keeps in the batch challenge",
        "sequencer bond",
        DEVNET_SEQUENCER_BOND,
      ),
    )
    .addOption(
      bigintOption(
        "--batch-clock <s>",
        "seconds each side has for all its moves in one batch challenge",
        "batch clock",
        DEFAULT_BATCH_CLOCK,
      ),
    )
    .action(async (o: DeployOpts) => {
      let key = o.key;
      if (!key) {
        key = (await import("./chain/accounts.ts")).devAccounts(1)[0].privateKey;
        process.stderr.write(
          "verdict l1 deploy: no --key, using dev account 0 of the public test mnemonic\n",
        );
      }
      const { connectL1 } = await import("./clients.ts");
      const { deployBridge } = await import("./deploy.ts");
      const clients = await connectL1({ rpcUrl: o.rpc, privateKey: key });
      const { challengeGenesisOfConfig, DEVNET_L2_GENESIS } = await import(
        "../sequencer/fault-proof/genesis.ts"
      );
      let l2Genesis: Parameters<typeof challengeGenesisOfConfig>[0] = DEVNET_L2_GENESIS;
      let l2Key: string | undefined;
      if (o.l2Config) {
        // the genesis exactly as the sequencer will resolve it (its config file over the defaults)
        const { loadConfig } = await import("../sequencer/config.ts");
        const cfg = loadConfig({ config: o.l2Config });
        l2Genesis = cfg.genesis;
        l2Key = cfg.sequencerKey ?? undefined;
      }
      const d = await deployBridge(clients, {
        // the batch challenge for that L2 genesis (its chain id, fee rules and state root)
        batchChallenge: {
          ...challengeGenesisOfConfig(l2Genesis, l2Key),
          sequencerBond: o.sequencerBond,
          clock: o.batchClock,
        },
        sequencer: o.sequencer,
        challengeWindow: o.challengeWindow,
        unbondingDelay: o.unbondingDelay,
        minWorkerStake: o.minStake,
        challengerBond: o.challengerBond,
      });
      process.stdout.write(`${deploymentJson(d)}\n`);
    });

  l1.command("register-model")
    .description(
      "register an ONNX model on the Bridge (its model id and CID), so workers may serve it and claims on it can be disputed",
    )
    .requiredOption("--rpc <url>", "JSON-RPC URL of the L1 node")
    .requiredOption("--bridge <address>", "the Bridge contract", addressArg)
    .requiredOption("--model <file.onnx>", "the model file (validated against the profile first)")
    .option("--key <hex>", "sender's private key (default: dev account 0 of the test mnemonic)", keyArg)
    .action(async (o: { rpc: string; bridge: Address; model: string; key?: Hex }) => {
      const { readFileSync } = await import("node:fs");
      const { commitOnnxFile } = await import("../prover-trace/commit/model.ts");
      const { toHex } = await import("../protocol/bytes.ts");
      const { connectL1 } = await import("./clients.ts");
      const { BridgeContract } = await import("./bridge.ts");
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(o.model);
      } catch (e) {
        throw new Error(`cannot read ${o.model}: ${(e as Error).message}`);
      }
      const m = await commitOnnxFile(bytes);
      const key = o.key ?? (await import("./chain/accounts.ts")).devAccounts(1)[0].privateKey;
      const bridge = new BridgeContract(await connectL1({ rpcUrl: o.rpc, privateKey: key }), o.bridge);
      const modelId = toHex(m.modelId);
      const out: Record<string, unknown> = {
        model: o.model,
        modelId,
        cid: m.cid.toString(),
        nodes: m.nodeCount,
      };
      if (await bridge.isModelRegistered(modelId)) out.registered = "before";
      else {
        const r = await bridge.registerCommittedModel(m);
        out.registered = "now";
        out.txHash = r.txHash;
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    });

  l1.command("node")
    .description("run the embedded L1 chain as an HTTP JSON-RPC endpoint until interrupted")
    .option("--port <n>", "port to listen on (0: any free port)", intArg("port", 0, 65535), 8545)
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option(
      "--block-time <s>",
      "mine a block every S seconds (default: one block per transaction; a sequencer's batches with timed txs wait for L1's clock, so run it with an interval)",
      intArg("block time", 0.01, 3600),
    )
    .option("--chain-id <n>", "chain id", intArg("chain id", 1, 2 ** 32), 31337)
    .option("--accounts <n>", "prefunded dev accounts", intArg("accounts", 1, 1000), 10)
    .option("--deploy", "deploy the Bridge with devnet parameters at start (once: kept in --data-dir)")
    .addOption(
      bigintOption(
        "--l2-claim-collateral <wei>",
        "the L2 genesis's claimCollateral the batch challenge is deployed for (--deploy; the devnet's L2 takes its minWorkerStake)",
        "claim collateral",
        0n,
      ),
    )
    .addOption(
      bigintOption(
        "--l2-challenge-window-ms <ms>",
        "the L2 genesis's challengeWindowMs the batch challenge is deployed for (--deploy; the finalize one-step pays a submitted job after it)",
        "challenge window",
        BigInt(DEFAULTS.genesis.challengeWindowMs),
      ),
    )
    .option(
      "--data-dir <dir>",
      "keep the chain in this directory (a journal replayed on start: same blocks, same hashes); default: in memory",
    )
    .action(async (o: NodeOpts) => {
      const { startDevnet } = await import("./devnet.ts");
      const { challengeGenesisOfConfig, DEVNET_L2_GENESIS } = await import(
        "../sequencer/fault-proof/genesis.ts"
      );
      const devnet = await startDevnet({
        // the batch challenge for the devnet's L2 genesis (scripts/devnet.ts): batches can be challenged
        bridgeParams: {
          batchChallenge: challengeGenesisOfConfig({
            ...DEVNET_L2_GENESIS,
            claimCollateral: o.l2ClaimCollateral.toString(),
            challengeWindowMs: Number(o.l2ChallengeWindowMs),
          }),
        },
        chainId: o.chainId,
        accounts: o.accounts,
        blockTimeMs: o.blockTime === undefined ? undefined : o.blockTime * 1000,
        port: o.port,
        host: o.host,
        deploy: o.deploy === true,
        dataDir: o.dataDir,
      });
      const out: Record<string, unknown> = {
        rpc: devnet.http!.url,
        chainId: devnet.chain.chainId,
        blockTime: o.blockTime ?? "automine",
        accounts: devnet.chain.accounts,
        dataDir: o.dataDir ?? null,
        resumed: devnet.resumed,
        blockNumber: devnet.chain.blockNumber().toString(),
      };
      if (devnet.deployment) {
        out.bridge = devnet.deployment.address;
        out.disputeGame = devnet.deployment.disputeGame;
        out.batchChallenge = devnet.deployment.batchChallenge?.address ?? null;
        out.deployBlock = devnet.deployment.blockNumber.toString();
      }
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await devnet.close();
    });
}
