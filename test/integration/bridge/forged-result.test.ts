/**
 * Issue 13 part 1 with real processes: a `verdict sequencer --test-fault forge-result` process on
 * the embedded L1 (over HTTP) tells the strongest lie a sequencer alone can tell about an L1
 * request: its batches' message roots hold a result for request 0 from a claim it signed itself
 * about the request's real model and input, its claims roots on L1 hold that claim, and its API
 * serves the forged result as request 0's. A relayer using the SDK (`deliverResult`) waits out the
 * batch's and the claim's windows and sends it: the Bridge gets past every check that rests on the
 * sequencer's word (the result leaf in a final batch, the claim recorded a full window ago, no
 * dispute) and refuses the claim because its signer has no stake (ClaimSignerUnbacked). The
 * consumer never receives a result.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { type Address, type Hex, parseEther, parseEventLogs } from "viem";
import { BridgeRevert, simulateAndSend } from "../../../bridge/bridge.ts";
import { walletClientFor } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import {
  inferenceConsumerAbi,
  inferenceConsumerBytecode,
} from "../../../contracts/artifacts/InferenceConsumer.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { recoverClaimSigner } from "../../../protocol/tx.ts";
import { createClient } from "../../../sdk/index.ts";
import type { ResultProofReply } from "../../../sequencer/batch.ts";
import { agentSequencerConfig, spawnSequencer } from "../sequencer/harness.ts";
import { until } from "../sequencer/validator-harness.ts";

const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const cidOf = (b: number) => `0x01551220${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;

t.test("a forged result from a lying sequencer never reaches the consumer", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-forged-result-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // mining on an interval: a batch with a timed tx waits until L1's clock reaches its last block
  // time (docs/rollup.md 8c "Block time bounds"), which an idle automine chain never does
  const devnet = await startDevnet({ port: 0, blockTimeMs: 500 });
  t.teardown(() => devnet.close());
  const dep = devnet.deployment as NonNullable<typeof devnet.deployment>;
  const pub = devnet.clients.publicClient;
  const owner = walletClientFor(devnet.clients, devnet.chain.accounts[1].privateKey);

  // L1: a model, the example consumer, and request 0 from it.
  const { modelId } = await dep.bridge.registerModel(
    {
      graphRoot: h32(0x11),
      weightsRoot: h32(0),
      outputRefsRoot: h32(0x12),
      inputRangesRoot: h32(0x13),
      nodeCount: 1,
      weightCount: 0,
      inputCount: 1,
      outputCount: 1,
    },
    cidOf(0x13),
  );
  const hash = await owner.deployContract({
    abi: inferenceConsumerAbi,
    bytecode: inferenceConsumerBytecode,
    args: [dep.address],
  });
  const consumer = (await pub.waitForTransactionReceipt({ hash })).contractAddress as Address;
  const now = (await pub.getBlock()).timestamp;
  const asked = await simulateAndSend(
    devnet.clients,
    owner,
    {
      contract: "InferenceConsumer",
      address: consumer,
      abi: inferenceConsumerAbi,
      functionName: "ask",
      args: [modelId, h32(0x30), cidOf(0x30), now + 7200n],
      value: parseEther("0.01"),
    },
    (f, e, a, d) => new BridgeRevert(f, e, a, d),
  );
  const [ev] = parseEventLogs({ abi: inferenceConsumerAbi, logs: asked.receipt.logs, eventName: "Asked" });
  t.equal(ev.args.requestId, 0n, "request 0");

  // The lying sequencer, as its own process.
  const seqDir = join(dir, "seq");
  mkdirSync(seqDir);
  const cfg = {
    ...agentSequencerConfig({
      dataDir: seqDir,
      l1Rpc: devnet.http?.url as string,
      deployment: dep,
      l1Key: devnet.chain.accounts[0].privateKey,
      challengeWindowMs: 60_000,
      alloc: {},
    }),
    batchIntervalMs: 300,
  };
  const seq = await spawnSequencer(seqDir, cfg, ["--test-fault", "forge-result"]);
  t.teardown(async () => {
    seq.proc.kill("SIGKILL");
    await seq.exited;
  });

  // Its API serves the forged result once a batch posted after it derived request 0 carries it,
  // and the forged claim's place in that batch's claims root once it is recorded on L1.
  const lie = await until(
    "the forged result about request 0's job",
    async () => {
      const r = await fetch(`${seq.url}/v1/results/0/proof`);
      if (r.status !== 200) return null;
      const p = (await r.json()) as ResultProofReply;
      return p.claim.modelId === modelId && p.claim.inputRoot === h32(0x30) && p;
    },
    90_000,
  );
  await until("the forged claim recorded on L1", async () => {
    const r = await fetch(`${seq.url}/v1/claims/${lie.claimKey}/proof`);
    if (r.status !== 200) return false;
    const { batchIndex } = (await r.json()) as { batchIndex: number };
    return (await dep.bridge.batchClaims(BigInt(batchIndex))).recordedAt !== 0n;
  });
  const cdom = claimDomain(BigInt(dep.chainId), dep.address);
  const signer = recoverClaimSigner(lie.claim, lie.claimSignature, cdom);
  t.equal(await dep.bridge.claimDigest(lie.claim), lie.claimKey, "the leaf names the signed claim");
  t.match(await dep.bridge.stakeOf(signer), { active: 0n, unbonding: 0n }, "signed by a key without stake");

  // Past both windows (the batch's and the claim's own) on L1.
  await devnet.chain.increaseTime(Number(dep.params.challengeWindow) + 1);
  await devnet.chain.mine(1);

  const relayer = await createClient({
    sequencerUrl: seq.url,
    privateKey: devnet.chain.accounts[5].privateKey,
    l1: { rpcUrl: devnet.http?.url as string, bridge: dep.address },
    pollMs: 200,
  });
  const err = await relayer.deliverResult(0n, { timeoutMs: 60_000 }).then(
    () => null,
    (e: Error) => e,
  );
  // Every check resting on the sequencer's word passed (the result leaf in a final batch, the
  // claim recorded a full window ago, no dispute): the signer's stake is what refuses it.
  t.match(err?.message, /ClaimSignerUnbacked/, "the Bridge refuses a claim nobody could be slashed for");
  t.equal((await dep.bridge.getRequest(0n)).result, 0, "nothing delivered");
  const got = (await pub.readContract({
    address: consumer,
    abi: inferenceConsumerAbi,
    functionName: "resultOf",
    args: [0n],
  })) as { received: boolean };
  t.equal(got.received, false, "the consumer holds no result");
});
