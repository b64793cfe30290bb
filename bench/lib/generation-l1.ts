/**
 * The L1 side of a generation fraud for `npm run bench -- generate`: a real token-move game on the
 * embedded chain mining one block per second (as the devnet's L1), on the bench's generation
 * (stories260K imported, window 128, BOS prompt, 127 greedy tokens).
 *
 * The liar is the worker's own code under `--test-fault wrong-token` (executeGeneration: one token
 * off the rule at the middle step, decoding on from it, an honest traced pass over that sequence).
 * The challenger is the watcher's own code: Checker.checkGeneration (one traced pass, the decision
 * of verifier/game/token-move.ts), buildTokenProof, openDispute and
 * GenerationRule.proveTokenRuleBroken. Measured:
 *   txPerSide / gasPerSide   the most txs / gas either side sends in the game (the claimer sends
 *                            none: the move needs no reveal), with each side's own numbers
 *   secondsToSlash           wall seconds from the signed claim in the watcher's hands to the
 *                            receipt of the move that slashed it: the one-pass check, the proof,
 *                            and two txs each waiting for a 1 s block. Not counted: L2 inclusion
 *                            and the watcher's L2 poll (100 ms L2 blocks, 200 ms to 1 s polls),
 *                            and the watcher's one-time bond deposit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, parseEther } from "viem";
import type { ClaimMessage } from "../../bridge/bridge.ts";
import { EmbeddedChain } from "../../bridge/chain/chain.ts";
import { embeddedL1Clients, walletClientFor } from "../../bridge/clients.ts";
import { deployBridge } from "../../bridge/deploy.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { GenerationRuleContract } from "../../bridge/dispute/generation-rule.ts";
import { toHex, u32be } from "../../protocol/bytes.ts";
import { claimDomain, typesFor } from "../../protocol/eip712.ts";
import { generationParamsToJson } from "../../protocol/generation-job.ts";
import { sha256 } from "../../protocol/sha256.ts";
import { Winner } from "../../verifier/game/planner.ts";
import { buildTokenProof } from "../../verifier/game/token-move.ts";
import { Checker } from "../../verifier/watcher/checker.ts";
import { executeGeneration } from "../../verifier/worker/generation.ts";
import { loadServedModel } from "../../verifier/worker/job.ts";
import { BENCH_JOB, WINDOW } from "./generation.ts";

export interface FraudOnL1 {
  txPerSide: number;
  gasPerSide: number;
  txBySide: { claimer: number; challenger: number };
  gasBySide: { claimer: number; challenger: number };
  openDisputeGas: number;
  proveTokenRuleBrokenGas: number;
  secondsToSlash: number;
  /** Of which: the watcher's one-pass check and the proof. */
  checkSeconds: number;
  l1BlockTimeS: number;
  /** The generated index the liar changed and the move opened. */
  position: number;
}

const L1_BLOCK_MS = 1000;

export async function tokenMoveFraud(intBytes: Uint8Array): Promise<FraudOnL1> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-bench-gen-l1-"));
  const path = join(dir, "stories260k-int.onnx");
  writeFileSync(path, intBytes);
  // set up with automine, then one block per second for the game itself
  const chain = await EmbeddedChain.create({ automine: true, blockTimeMs: L1_BLOCK_MS });
  const served = await loadServedModel(path, async () => true);
  const checker = await Checker.create({ modelFiles: [path] });
  try {
    const [deployer, worker, challenger] = chain.accounts;
    const clients = embeddedL1Clients(chain, { privateKey: deployer.privateKey, pollingIntervalMs: 50 });
    const d = await deployBridge(clients, {
      challengeWindow: 100n,
      unbondingDelay: 100_000n,
      minWorkerStake: parseEther("1"),
      challengerBond: parseEther("0.1"),
      disputeClock: 3600n,
    });
    const workerWallet = walletClientFor(clients, worker.privateKey);
    const challengerWallet = walletClientFor(clients, challenger.privateKey);
    const { modelId } = await d.bridge.registerCommittedModel(served.commitment);
    await d.bridge.as(workerWallet).stake(parseEther("2"));
    await d.bridge.as(challengerWallet).depositBond(parseEther("0.1"));
    const game = new DisputeGameContract(clients, d.disputeGame).as(challengerWallet);
    const rule = (await GenerationRuleContract.of(clients, d.disputeGame)).as(challengerWallet);

    // the liar's claim, exactly as `verdict worker --test-fault wrong-token` makes it
    const jobId = toHex(sha256(u32be(1)));
    const gen = await executeGeneration(served, jobId, BENCH_JOB, "wrong-token");
    const claim: ClaimMessage = {
      jobId,
      worker: workerWallet.account.address.toLowerCase() as Hex,
      modelId,
      inputRoot: gen.passInputRoot,
      outputRoot: toHex(gen.ex.run.outputRoot),
      traceRoot: toHex(gen.ex.run.traceRoot),
      generationSpec: gen.generationSpec,
      outputCid: "0x",
      traceCid: "0x",
    };
    const domain = claimDomain(BigInt(chain.chainId), d.address);
    const signature: Hex = await workerWallet.signTypedData({
      domain: { ...domain, chainId: Number(domain.chainId) },
      types: typesFor("Claim"),
      primaryType: "Claim",
      message: claim,
    } as unknown as Parameters<typeof workerWallet.signTypedData>[0]);

    chain.automine = false;
    chain.start();
    const t0 = performance.now();
    const c = await checker.checkGeneration(claim, {
      prompt: BENCH_JOB.prompt,
      window: WINDOW,
      params: generationParamsToJson(BENCH_JOB),
      generated: gen.generated,
    });
    if (c.verdict !== "token-rule" || !c.tokenMove)
      throw new Error(`the watcher's verdict on the wrong-token claim is ${c.verdict}, not token-rule`);
    const proof = buildTokenProof(c.tokenMove.statement, c.tokenMove.pass, c.tokenMove.position);
    const checkSeconds = (performance.now() - t0) / 1000;
    const opened = await game.open(claim, signature);
    const move = await rule.proveTokenRuleBroken(opened.disputeId, claim, proof);
    const secondsToSlash = (performance.now() - t0) / 1000;
    const dispute = await game.getDispute(opened.disputeId);
    if (dispute.winner !== Winner.challenger)
      throw new Error(`dispute won by ${dispute.winner}, not the challenger`);
    const challengerGas = Number(opened.gasUsed + move.gasUsed);
    return {
      txPerSide: 2,
      gasPerSide: challengerGas,
      txBySide: { claimer: 0, challenger: 2 },
      gasBySide: { claimer: 0, challenger: challengerGas },
      openDisputeGas: Number(opened.gasUsed),
      proveTokenRuleBrokenGas: Number(move.gasUsed),
      secondsToSlash: Math.round(secondsToSlash * 100) / 100,
      checkSeconds: Math.round(checkSeconds * 100) / 100,
      l1BlockTimeS: L1_BLOCK_MS / 1000,
      position: c.tokenMove.position,
    };
  } finally {
    await chain.stop();
    await checker.close();
    await served.runner.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
