/**
 * The batch challenge (docs/rollup.md 8c) on the embedded chain, worst case: a batch of TX_COUNT
 * transfers (plus a deposit, a transfer forced through the L1 inbox and withdrawals, and at the end
 * the L1 events (a model, a stake, an L1 request), a worker registering, a job posted, claimed, its
 * result submitted and paid, a generation job posted, claimed and its tokens submitted: their
 * one-steps on the deepest state) among ACCOUNTS accounts with a wrong state root, and
 * a lying sequencer that reveals the true commitments until the last tx, so the bisection runs the
 * full ceil(log2 n) rounds. Measures L1 txs and gas per side, the one-step gas by tx type (the
 * largest against the 300k goal), the seconds from the bad batch's postBatch to its removal with
 * both sides answering at once (automine), and what a forged withdrawal is paid (must be 0).
 * Apart from the batch: the one-step of a submitGeneration over a full 8,192 window on its final
 * state (`fullWindowSubmitGenerationGas`, over the goal by its calldata alone, docs/rollup.md 8c).
 */
import { parseEther } from "viem";
import {
  BatchChallengeContract,
  challengerMove,
  deployBatchChallenge,
  PHASE,
  sequencerMove,
} from "../bridge/batch-challenge.ts";
import type { BridgeRevert, TxResult } from "../bridge/bridge.ts";
import { EmbeddedChain } from "../bridge/chain/chain.ts";
import { embeddedL1Clients } from "../bridge/clients.ts";
import { deployBridge } from "../bridge/deploy.ts";
import { fromHex, toHex } from "../protocol/bytes.ts";
import { claimDomain } from "../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../protocol/generation-job.ts";
import { ZERO32 } from "../protocol/merkle.ts";
import { type ClaimMsg, NO_GENERATION, signClaim, signTx, type Tx, type UserTx } from "../protocol/tx.ts";
import { MessageTree, messageLeaf } from "../protocol/withdrawal.ts";
import { generationPassInputRoot, generationSpec } from "../prover-trace/commit/generation.ts";
import { buildBatch } from "../sequencer/batch.ts";
import { faultyRoots } from "../sequencer/batch-faults.ts";
import type { Block } from "../sequencer/block.ts";
import { Chain } from "../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../sequencer/config.ts";
import { devGenesis, devKeys } from "../sequencer/devkit.ts";
import {
  forcedData as encodeForcedData,
  messageChainOf,
  stepCommitment,
} from "../sequencer/fault-proof/encoding.ts";
import { replayBatch } from "../sequencer/fault-proof/steps.ts";
import { type Job, keys, type StateRecord } from "../sequencer/state/records.ts";
import { derivedSince, placeholderModel } from "../test/helpers/l1.ts";
import type { BenchOptions, BenchResult } from "./lib/harness.ts";

const TX_COUNT = 1024;
const ACCOUNTS = 256;
const WINDOW = 600n;
/** Collateral per claim: the claimJob one-step checks the worker's stake covers it. */
const CLAIM_COLLATERAL = 1000n;

export async function run(_opts: BenchOptions): Promise<BenchResult> {
  const l1 = await EmbeddedChain.create();
  try {
    const seqClients = embeddedL1Clients(l1, { privateKey: l1.accounts[0].privateKey });
    const chClients = embeddedL1Clients(l1, { privateKey: l1.accounts[1].privateKey });
    const d = await deployBridge(seqClients, {
      challengeWindow: WINDOW,
      unbondingDelay: WINDOW * 2n,
      minWorkerStake: parseEther("1"),
      challengerBond: parseEther("0.1"),
    });
    const users = devKeys(ACCOUNTS, "bench-fault-proof");
    const { genesis, key } = resolveGenesis({
      ...DEFAULTS,
      genesis: {
        ...devGenesis(users, 10n ** 18n),
        l1ChainId: String(d.chainId),
        bridge: d.address,
        minFee: "1",
        feeRecipient: users[0].address,
        claimCollateral: CLAIM_COLLATERAL.toString(),
      },
    });
    const chain = new Chain(genesis);
    const genesisRoot = chain.initGenesis().block.header.stateRoot;
    const start: [string, StateRecord][] = Object.entries(genesis.alloc).map(([a, bal]) => [
      `acct/${a.toLowerCase()}`,
      { balance: bal, nonce: 0 },
    ]);
    const sequencerBond = parseEther("1");
    const challengerBond = parseEther("0.1");
    const game = await deployBatchChallenge(seqClients, {
      bridge: d.address,
      l2ChainId: genesis.l2ChainId,
      minFee: genesis.params.minFee,
      feeRecipient: users[0].address,
      claimCollateral: genesis.params.claimCollateral,
      challengeWindowMs: BigInt(genesis.params.challengeWindowMs),
      genesisStateRoot: genesisRoot,
      sequencerBond,
      challengerBond,
      clock: 3600n,
    });
    const seqGame = new BatchChallengeContract(seqClients, game.address);
    const chGame = new BatchChallengeContract(chClients, game.address);
    await seqGame.depositSequencerBond(sequencerBond);
    const depositAmount = parseEther("2");
    await d.bridge.deposit(users[1].address, depositAmount);

    // The batch: a deposit, TX_COUNT transfers (some to fresh accounts), a few withdrawals.
    const nonces = new Map<string, number>();
    const signed = (i: number, body: Record<string, unknown>) => {
      const u = users[i % ACCOUNTS];
      const nonce = nonces.get(u.address) ?? 0;
      nonces.set(u.address, nonce + 1);
      return signTx({ ...body, from: u.address, nonce, fee: 1n } as never, u.key, chain.domain) as Tx;
    };
    const fresh = devKeys(64, "bench-fault-proof-fresh");
    // inbox message 1: a transfer to a fresh account forced through L1 (its one-step rolls the
    // inbox hash and runs the transfer)
    const forcedData = toHex(
      encodeForcedData(signed(2, { type: "transfer", to: fresh[63].address, amount: 5n }) as UserTx),
    );
    const forced = await d.bridge.forceTransaction(forcedData);
    // inbox messages 2 and 3: the job's model registered and the worker's stake, on L1, derived by
    // the real follower (their txs must be L1's next messages, or the batch is provably wrong)
    const [requester, worker] = [3, 2];
    const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
    const { modelId: model } = await d.bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
    const workerL1 = embeddedL1Clients(l1, { privateKey: toHex(users[worker].key) });
    await seqClients.walletClient?.sendTransaction({
      to: users[worker].address,
      value: parseEther("2"),
    } as never);
    await d.bridge.as(workerL1.walletClient as never).stake(parseEther("1"));
    // inbox message 4: an L1 contract's inference request (its one-step writes the L1 job)
    const l1Now = (await seqClients.publicClient.getBlock()).timestamp;
    await d.bridge.requestInference({
      modelId: model,
      inputRoot: `0x${"c3".repeat(32)}`,
      inputCid: "0x0155122011",
      deadline: l1Now + 100_000n,
      escrow: 70n,
    });
    const l1Events = await derivedSince(seqClients, d.address, eventsFrom);
    const [modelTx, stakeTx, requestTx] = l1Events.filter(
      (x) => x.type === "modelRegistered" || x.type === "workerStake" || x.type === "l1InferenceRequest",
    );
    const txs: Tx[] = [
      { type: "deposit", depositId: 0n, recipient: users[1].address, amount: depositAmount } as Tx,
      {
        type: "forcedTx",
        inboxIndex: forced.inboxIndex,
        sender: l1.accounts[0].address.toLowerCase(),
        data: forcedData,
      } as Tx,
    ];
    for (let i = 0; i < TX_COUNT; i++) {
      const to = i % 16 === 0 ? fresh[(i / 16) % 64].address : users[(i * 7 + 3) % ACCOUNTS].address;
      txs.push(
        i % 100 === 50
          ? signed(i, { type: "withdraw", l1Recipient: l1.accounts[4].address.toLowerCase(), amount: 1000n })
          : signed(i, { type: "transfer", to, amount: 1000n + BigInt(i) }),
      );
    }
    // The worker and job txs: their one-steps run on the state after every transfer.
    const lastTransfer = txs.length - 1;
    txs.push(
      modelTx,
      stakeTx,
      requestTx,
      signed(worker, {
        type: "registerWorker",
        models: [`0x${"a0".repeat(32)}`, model],
        price: 5n,
        capacity: 4,
        multiaddr: "/dns4/worker.example/tcp/4001/p2p/12D3KooWbench",
      }),
    );
    const postJob = signed(requester, {
      type: "postJob",
      modelId: model,
      inputRoot: `0x${"c3".repeat(32)}`,
      inputCid: `0x01551220${"ab".repeat(32)}`,
      escrow: 10_000n,
      deadline: 10_000_000,
    });
    const jobId = chain.txHash(postJob);
    const claim: ClaimMsg = {
      jobId,
      worker: users[worker].address,
      modelId: model,
      inputRoot: `0x${"c3".repeat(32)}`,
      outputRoot: `0x${"d4".repeat(32)}`,
      traceRoot: `0x${"e5".repeat(32)}`,
      generationSpec: NO_GENERATION,
      outputCid: `0x01551220${"0f".repeat(32)}`,
      traceCid: `0x01551220${"1e".repeat(32)}`,
    };
    txs.push(
      postJob,
      signed(worker, { type: "claimJob", jobId }),
      signed(worker, {
        type: "submitResult",
        claim,
        claimSignature: signClaim(claim, users[worker].key, claimDomain(BigInt(d.chainId), d.address)),
      }),
    );
    // A generation job: a 32-token prompt in a window of 256 (the pass input one 1 KiB chunk), 16
    // tokens generated, the last the stop token; posted, claimed and submitted.
    const genParams: GenerationParams = { maxTokens: 16, stopToken: 2, rule: { kind: "greedy" } };
    const prompt = Array.from({ length: 32 }, (_, i) => 100 + i);
    const generated = [...Array.from({ length: 15 }, (_, i) => 200 + i), 2];
    const postGeneration = signed(requester, {
      type: "postGenerationJob",
      modelId: model,
      prompt,
      window: 256,
      params: genParams,
      escrow: 10_000n,
      deadline: 10_000_000,
    });
    const genClaim: ClaimMsg = {
      ...claim,
      jobId: chain.txHash(postGeneration),
      inputRoot: toHex(generationPassInputRoot(prompt, generated, 256)),
      generationSpec: toHex(generationSpec(prompt.length, generated.length, generationParamsHash(genParams))),
    };
    txs.push(
      postGeneration,
      signed(worker, { type: "claimJob", jobId: genClaim.jobId }),
      signed(worker, {
        type: "submitGeneration",
        claim: genClaim,
        claimSignature: signClaim(genClaim, users[worker].key, claimDomain(BigInt(d.chainId), d.address)),
        generated,
      }),
    );
    const blocks: Block[] = [];
    const origin = { number: 0, hash: `0x${"00".repeat(32)}` as const };
    for (let b = 0; b < 8; b++) {
      for (const tx of txs.slice((b * txs.length) / 8, ((b + 1) * txs.length) / 8))
        chain.admit(tx, chain.txHash(tx), 1000 + b);
      blocks.push(chain.seal(origin, key as Uint8Array).block);
    }
    // a last block once the challenge window after the submitResult has passed: the worker's
    // finalize pays it (its one-step reads the job, the worker's stake and record)
    const finalize = signed(worker, { type: "finalize", jobId });
    chain.admit(finalize, chain.txHash(finalize), 1007 + genesis.params.challengeWindowMs);
    blocks.push(chain.seal(origin, key as Uint8Array).block);
    txs.push(finalize);
    const batchBlocks = blocks.map((x) => ({ header: x.header, txs: x.txs }));
    const honest = buildBatch(blocks);
    const begin = { state: start, inboxHash: toHex(ZERO32), lastTime: 0 };
    const truth = replayBatch(genesis, begin, batchBlocks);
    const witness = (i: number) => {
      const w = replayBatch(genesis, begin, batchBlocks, i).witness;
      if (!w) throw new Error(`no witness for tx ${i}`);
      return w;
    };

    // One-step gas by tx type: the first deposit, the forced transfer, withdraw, transfer to a
    // fresh account, the last transfer, and the job txs after it (the deepest state of the batch).
    const oneStepGas: Record<string, number> = {};
    const pick: Record<string, number> = {
      deposit: 0,
      forcedTransfer: 1,
      withdraw: 52,
      transferToFresh: 2,
      transfer: lastTransfer,
      modelRegistered: lastTransfer + 1,
      workerStake: lastTransfer + 2,
      l1InferenceRequest: lastTransfer + 3,
      registerWorker: txs.length - 8,
      postJob: txs.length - 7,
      claimJob: txs.length - 6,
      submitResult: txs.length - 5,
      postGenerationJob: txs.length - 4,
      submitGeneration: txs.length - 2,
      finalize: txs.length - 1,
    };
    for (const [name, i] of Object.entries(pick)) {
      const w = witness(i);
      const gas = await chClients.publicClient.estimateContractGas({
        address: game.verifier,
        abi: (await import("../contracts/artifacts/BatchStepVerifier.ts")).batchStepVerifierAbi,
        functionName: "step",
        args: [[w.preStateRoot, w.preMessageChain, w.preInboxHash], w.txBytes, w.records],
        account: l1.accounts[1].address,
      });
      oneStepGas[name] = Number(gas);
    }

    // The bad batch: wrong state root and a forged 1 ETH withdrawal to the sequencer.
    const faulty = faultyRoots(
      "forge-withdrawal",
      { stateRoot: honest.stateRoot, messages: honest.messages, batchIndex: 0 },
      genesis.sequencer,
    );
    const wrongRoot = faultyRoots(
      "wrong-state-root",
      { stateRoot: honest.stateRoot, messages: honest.messages, batchIndex: 0 },
      genesis.sequencer,
    ).stateRoot;
    const t0 = performance.now();
    const posted = await d.bridge.postBatch({
      firstBlock: 1n,
      lastBlock: BigInt(blocks.length),
      stateRoot: wrongRoot,
      withdrawalRoot: faulty.withdrawalRoot,
      txDataHash: honest.txDataHash,
      cid: "0x01",
      txData: toHex(honest.txData),
      inboxCount: 5n,
      lastTime: BigInt(truth.finalLastTime),
    });
    const liarLeaves = faulty.messages.map((m) => toHex(messageLeaf(m)));
    const liarFinal = stepCommitment(
      fromHex(wrongRoot),
      messageChainOf(liarLeaves.map(fromHex)),
      fromHex(truth.finalInboxHash),
      truth.finalLastTime,
    );
    // the liar reveals the truth until the last tx: the longest bisection
    const liar = {
      messageLeaves: liarLeaves,
      commitments: truth.commitments.map((c, k) => (k === truth.txCount ? liarFinal : c)),
    };
    const side = { sequencer: { txs: 0, gas: 0n }, challenger: { txs: 0, gas: 0n } };
    const count = (who: "sequencer" | "challenger", r: TxResult) => {
      side[who].txs++;
      side[who].gas += r.receipt.gasUsed;
    };
    const opened = await chGame.challengeBatch(0n, challengerBond);
    count("challenger", opened);
    for (;;) {
      const v = await seqGame.getChallenge(opened.id);
      if (v.phase >= PHASE.sequencerWon) break;
      const s = await sequencerMove(seqGame, opened.id, liar);
      if (s) {
        count("sequencer", s);
        continue;
      }
      const c = await challengerMove(chGame, opened.id, truth, witness);
      if (c) count("challenger", c);
    }
    const secondsToRemoveBadBatch = (performance.now() - t0) / 1000;
    const resolution = await seqGame.resolution(opened.id);
    const removed = (await d.bridge.batchCount()) === 0n;

    // The forged withdrawal, after the window: never paid.
    let forgedPaid = 0n;
    l1.increaseTime(Number(WINDOW) + 1);
    await l1.mine(1);
    const forgedIndex = faulty.messages.length - 1;
    const forged = faulty.messages[forgedIndex];
    if (forged.kind === "withdrawal") {
      try {
        await d.bridge.proveWithdrawal({
          batchIndex: posted.batchIndex,
          recipient: forged.recipient,
          amount: forged.amount,
          l2TxHash: forged.l2TxHash,
          ...new MessageTree(faulty.messages).proof(forgedIndex),
        });
        forgedPaid += forged.amount;
      } catch (err) {
        if (!(err as BridgeRevert).errorName) throw err;
      }
    }
    // The full window (docs/rollup.md 8c), apart from the batch, whose every other figure its
    // 32 KB of tokens would change: on the state after the batch, a generation job with a 1-token
    // prompt in a window of 8,192, claimed, and its 8,191 tokens submitted. That one-step is over
    // the 300k goal by its calldata alone (EIP-7623's floor): reported beside maxOneStepGas.
    const T = 8192;
    const fullParams: GenerationParams = { maxTokens: T - 1, stopToken: null, rule: { kind: "greedy" } };
    const fullGenerated = Array.from({ length: T - 1 }, (_, i) => ((i + 1) * 7919) % 32000);
    const fullPost = signed(requester, {
      type: "postGenerationJob",
      modelId: model,
      prompt: [17],
      window: T,
      params: fullParams,
      escrow: 10_000n,
      deadline: 10_000_000,
    });
    const fullClaim: ClaimMsg = {
      ...claim,
      jobId: chain.txHash(fullPost),
      inputRoot: toHex(generationPassInputRoot([17], fullGenerated, T)),
      generationSpec: toHex(generationSpec(1, T - 1, generationParamsHash(fullParams))),
    };
    const fullTxs = [
      fullPost,
      signed(worker, { type: "claimJob", jobId: fullClaim.jobId }),
      signed(worker, {
        type: "submitGeneration",
        claim: fullClaim,
        claimSignature: signClaim(fullClaim, users[worker].key, claimDomain(BigInt(d.chainId), d.address)),
        generated: fullGenerated,
      }),
    ];
    for (const tx of fullTxs) chain.admit(tx, chain.txHash(tx), 1008 + genesis.params.challengeWindowMs);
    const fullBlock = chain.seal(origin, key as Uint8Array).block;
    const afterBatch = {
      state: truth.finalState,
      inboxHash: truth.finalInboxHash,
      lastTime: truth.finalLastTime,
    };
    const full = replayBatch(genesis, afterBatch, [{ header: fullBlock.header, txs: fullBlock.txs }], 2);
    const fullJob = full.finalState.get(keys.job(fullClaim.jobId)) as Job | undefined;
    if (fullJob?.status !== "submitted" || !full.witness)
      throw new Error("the full-window generation was not submitted");
    const fw = full.witness;
    const fullWindowSubmitGenerationGas = Number(
      await chClients.publicClient.estimateContractGas({
        address: game.verifier,
        abi: (await import("../contracts/artifacts/BatchStepVerifier.ts")).batchStepVerifierAbi,
        functionName: "step",
        args: [[fw.preStateRoot, fw.preMessageChain, fw.preInboxHash], fw.txBytes, fw.records],
        account: l1.accounts[1].address,
      }),
    );

    return {
      txCount: truth.txCount,
      accounts: ACCOUNTS,
      removed,
      reason: resolution?.reason ?? "unresolved",
      txPerSide: Math.max(side.sequencer.txs, side.challenger.txs),
      sequencerTxs: side.sequencer.txs,
      challengerTxs: side.challenger.txs,
      challengeBatchGas: Number(opened.receipt.gasUsed),
      batchDataBytes: honest.txData.length,
      postBatchGas: Number(posted.receipt.gasUsed),
      sequencerGas: Number(side.sequencer.gas),
      challengerGas: Number(side.challenger.gas),
      oneStepGas,
      maxOneStepGas: Math.max(...Object.values(oneStepGas)),
      fullWindowSubmitGenerationGas,
      secondsToRemoveBadBatch: Number(secondsToRemoveBadBatch.toFixed(2)),
      forgedPaid: Number(forgedPaid),
    };
  } finally {
    await l1.stop();
  }
}
