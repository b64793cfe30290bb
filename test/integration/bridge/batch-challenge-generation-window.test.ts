/**
 * The generation txs' one-steps (contracts/src/GenerationStepRules.sol, docs/rollup.md 8c) at the
 * largest window L2 takes (8,192 positions), on the embedded chain with the real Bridge, blocks
 * sealed by the real L2 Chain and batch data as the batcher encodes it: a postGenerationJob, the
 * worker's claimJob and its submitGeneration, with (a) a 1-token prompt and 8,191 generated tokens
 * and (b) a 4,096-token prompt and 4,096 generated. Each tx steps on chain to the replay's
 * commitment; an honest batch of (a) survives lying challengers; batches whose submitGeneration
 * writes another token than the tx's are proven wrong at it and removed. Measures the one-step gas
 * of both txs (the verifier's `step`, as `npm run bench -- fault-proof`) beside what the calldata
 * alone costs (EIP-2028 and EIP-7623's floor).
 */
import t from "tap";
import { encodeFunctionData, type Hex, parseEther } from "viem";
import { walletClientFor } from "../../../bridge/clients.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { generationStepRulesAbi } from "../../../contracts/artifacts/GenerationStepRules.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { type ClaimMsg, encodeTx, signClaim, signTx, type Tx } from "../../../protocol/tx.ts";
import { generationPassInputRoot, generationSpec } from "../../../prover-trace/commit/generation.ts";
import type { Block } from "../../../sequencer/block.ts";
import { stepCommitment } from "../../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../../sequencer/fault-proof/steps.ts";
import { type Job, keys, type StateRecord } from "../../../sequencer/state/records.ts";
import {
  batchBlocks,
  blockSealer,
  postBlocks,
  stepArgs,
  stepReader,
  threeLyingChallengers,
  witnessAt,
} from "../../helpers/batch-challenge-batch.ts";
import { challengeRig, revertName, stateRootOf as rootOf } from "../../helpers/batch-challenge-rig.ts";
import { derivedSince, placeholderModel } from "../../helpers/l1.ts";

const WINDOW = 8192;
const COLLATERAL = 10n ** 18n / 3n;

/** What calldata `data` costs a tx: EIP-2028's 4/16 gas a zero/non-zero byte, and EIP-7623's floor. */
function calldataGas(data: Hex): { standard: number; floor: number } {
  const bytes = fromHex(data);
  const zeros = bytes.filter((x) => x === 0).length;
  const tokens = zeros + 4 * (bytes.length - zeros);
  return { standard: 21_000 + 4 * tokens, floor: 21_000 + 10 * tokens };
}

t.test("generation one-steps at the full 8,192 window", async (t) => {
  const rig = await challengeRig(t, {
    seed: "batch-challenge-generation-window",
    claimCollateral: COLLATERAL,
  });
  const { b, seqClients, d, bridge, genesis, key, chain, start, challenge, proveLastTxWrong } = rig;
  const [requester, worker] = rig.devs;

  // the model and the worker's stake: L1 events (inbox messages 0 and 1) derived by the real follower
  const eventsFrom = (await seqClients.publicClient.getBlockNumber()) + 1n;
  const { modelId: model } = await bridge.registerModel(placeholderModel(), "0x01551220c0ffee");
  await b.wallet(0).sendTransaction({ to: worker.address, value: parseEther("2") } as never);
  await bridge.as(walletClientFor(seqClients, toHex(worker.key))).stake(parseEther("1"));
  const l1Events = await derivedSince(seqClients, d.address, eventsFrom);
  const inboxAfterSetup = (await bridge.inboxMessage(BigInt(l1Events.length - 1))).rollingHash as Hex;
  const INBOX = fromHex(inboxAfterSetup);

  const user = (from: typeof requester, body: Record<string, unknown>, nonce: number) =>
    signTx({ ...body, from: from.address, nonce, fee: 1n } as never, from.key, chain.domain) as Tx;
  const { seal, timeBefore, now } = blockSealer(chain, key as Uint8Array);
  // batch 0: the L1 events and the worker's registration
  const block1 = seal([
    ...l1Events,
    user(
      worker,
      {
        type: "registerWorker",
        models: [model],
        price: 5n,
        capacity: 2,
        multiaddr: "/ip4/127.0.0.1/tcp/4001",
      },
      0,
    ),
  ]);
  const at = (state: Iterable<[string, StateRecord]>, blocks: Block[]) => ({
    state,
    inboxHash: inboxAfterSetup,
    lastTime: timeBefore(blocks[0].header.number),
  });
  const post = (blocks: Block[], stateRoot?: Hex) =>
    postBlocks(bridge, blocks, {
      inboxCount: BigInt(l1Events.length),
      stateRoot,
      timeBefore: timeBefore(blocks[0].header.number),
    });
  await post([block1]);
  const pre = [
    ...replayBatch(
      genesis,
      { state: start, inboxHash: toHex(new Uint8Array(32)), lastTime: 0 },
      batchBlocks([block1]),
    ).finalState,
  ];
  const witnessOf = (blocks: Block[], i: number) => witnessAt(genesis, at(pre, blocks), blocks, i);
  // the verifier forwards the generation txs to GenerationStepRules as they are: its errors are its own
  const stepAbi = [...batchStepVerifierAbi, ...generationStepRulesAbi.filter((e) => e.type === "error")];
  const step = stepReader(b.clients(1).publicClient, challenge.verifier, stepAbi);
  const stepGas = async (w: StepWitness) => {
    const gas = Number(
      await b.clients(1).publicClient.estimateContractGas({
        address: challenge.verifier,
        abi: batchStepVerifierAbi,
        functionName: "step",
        args: stepArgs(w),
        account: b.accounts[1].address,
      } as never),
    );
    const data = encodeFunctionData({
      abi: batchStepVerifierAbi,
      functionName: "step",
      args: stepArgs(w) as never,
    });
    return { gas, ...calldataGas(data), bytes: fromHex(data).length };
  };

  const claims = claimDomain(BigInt(d.chainId), d.address);
  /**
   * A generation job of `prompt` (greedy; by default in the full window, run to maxTokens =
   * `generated.length` without a stop token), claimed and submitted with `generated`.
   */
  const generationTxs = (
    prompt: number[],
    generated: number[],
    o: { window?: number; stopToken?: number; maxTokens?: number } = {},
  ) => {
    const window = o.window ?? WINDOW;
    const params: GenerationParams = {
      maxTokens: o.maxTokens ?? generated.length,
      stopToken: o.stopToken ?? null,
      rule: { kind: "greedy" },
    };
    const postTx = user(
      requester,
      {
        type: "postGenerationJob",
        modelId: model,
        prompt,
        window,
        params,
        escrow: 20n,
        deadline: now() + 600_000,
      },
      0,
    );
    const jobId = chain.txHash(postTx);
    const claim: ClaimMsg = {
      jobId,
      worker: worker.address,
      modelId: model,
      inputRoot: toHex(generationPassInputRoot(prompt, generated, window)),
      outputRoot: `0x${"d4".repeat(32)}`,
      traceRoot: `0x${"e5".repeat(32)}`,
      generationSpec: toHex(generationSpec(prompt.length, generated.length, generationParamsHash(params))),
      outputCid: `0x01551220${"0f".repeat(32)}`,
      traceCid: "0x",
    };
    const claimSignature = signClaim(claim, worker.key, claims);
    const submit = user(worker, { type: "submitGeneration", claim, claimSignature, generated }, 2);
    return { jobId, claim, generated, txs: [postTx, user(worker, { type: "claimJob", jobId }, 1), submit] };
  };
  const tokens = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ((from + i) * 7919) % 32000);
  const cases = [
    { what: "(a) a 1-token prompt, 8,191 generated", ...generationTxs([17], tokens(8191, 1)) },
    {
      what: "(b) a 4,096-token prompt, 4,096 generated",
      ...generationTxs(tokens(4096, 3), tokens(4096, 5000)),
    },
  ];
  // (a) sealed by the real L2 chain at block 2: the honest batch
  const block2 = seal(cases[0].txs);
  /** Unsealed blocks at block 2's place holding `txs`: another batch the sequencer could post. */
  const blocksAt = (txs: Tx[]): Block[] =>
    [
      { ...block2, header: { ...block2.header }, txs: txs.map((x) => encodeTx(x)), receipts: [] },
    ] as unknown as Block[];

  const measured: Record<string, Record<string, number>> = {};
  for (const c of cases) {
    await t.test(`${c.what}: each tx steps on chain to the replay's commitment`, async (t) => {
      const blocks = c === cases[0] ? [block2] : blocksAt(c.txs);
      const truth = replayBatch(genesis, at(pre, blocks), batchBlocks(blocks));
      t.equal(truth.txCount, 3);
      const job = truth.finalState.get(keys.job(c.jobId)) as Job;
      t.equal(job.status, "submitted", "the replay submitted the generation");
      t.same(job.generation?.generated, c.generated, "with every generated token");
      for (let i = 0; i < 3; i++) {
        const w = witnessOf(blocks, i);
        const [applied, post] = await step(w);
        t.ok(applied, `tx ${i} (${c.txs[i].type}) applied`);
        t.equal(
          stepCommitment(fromHex(post[0]), fromHex(post[1]), INBOX, truth.roots[i + 1].lastTime),
          truth.commitments[i + 1],
          `tx ${i} C_${i + 1}`,
        );
        if (i === 1) continue;
        const g = await stepGas(w);
        measured[`${c.what} ${c.txs[i].type}`] = g;
        t.comment(
          `${c.what}: ${c.txs[i].type} one-step ${g.gas} gas (${g.bytes} calldata bytes: ${g.standard} intrinsic, floor ${g.floor})`,
        );
      }
    });
  }

  // The stop-token rule reads eight tokens a word (GenerationStepRules._countRules): the stop
  // token at every position of whole words and of a last, partial word, the value 0 among them
  // (the lanes past the last token must not read as it), must be refused before the last token
  // and accepted as it, as the replay decides.
  await t.test("the stop token before the last token is refused at every position", async (t) => {
    for (const stopToken of [9, 0]) {
      const other = (i: number) => [stopToken + 1, 0x7fffffff, 100 + i, 2 ** 24][i % 4];
      for (const n of [1, 2, 9, 17, 20, 25, 26]) {
        const honest = [...Array.from({ length: n - 1 }, (_, i) => other(i)), stopToken];
        const variants: [string, number[]][] = [[`ended by it (${n} tokens)`, honest]];
        for (let k = 0; k < n - 1; k++)
          variants.push([`at ${k} of ${n}`, honest.map((x, i) => (i === k ? stopToken : x))]);
        for (const [what, generated] of variants) {
          const c = generationTxs([17], generated, { window: 64, stopToken, maxTokens: 32 });
          const blocks = blocksAt(c.txs);
          const truth = replayBatch(genesis, at(pre, blocks), batchBlocks(blocks));
          const accepted = (truth.finalState.get(keys.job(c.jobId)) as Job).status === "submitted";
          t.equal(accepted, generated === honest, `stop token ${stopToken} ${what}: the replay's verdict`);
          const [applied, post] = await step(witnessOf(blocks, 2));
          t.equal(applied, accepted, `stop token ${stopToken} ${what}: the one-step's is the same`);
          t.equal(
            stepCommitment(fromHex(post[0]), fromHex(post[1]), INBOX, truth.roots[3].lastTime),
            truth.commitments[3],
            `stop token ${stopToken} ${what}: C_3`,
          );
        }
      }
    }
  });

  // The token-id check ORs the words two at a time (UserTxRules.tokenIdsOk): a token past 2^31 - 1
  // in a pair of words, in a lone whole word or in the last, partial word is bytes no L2 tx has.
  await t.test("a token id past 2^31 - 1 anywhere in the tokens is refused as bytes of no tx", async (t) => {
    const [promptCase, generatedCase] = [cases[1], cases[0]];
    const spots: [string, StepWitness, number, number[]][] = [
      ["prompt", witnessOf(blocksAt(promptCase.txs), 0), 149, [0, 9, 4095]],
      [
        "generated tokens",
        witnessOf([block2], 2),
        -(65 + 4 * generatedCase.generated.length),
        [0, 15, 8183, 8190],
      ],
    ];
    for (const [what, w, from, at] of spots) {
      const bytes = fromHex(w.txBytes);
      const start = from < 0 ? bytes.length + from : from;
      for (const k of at) {
        const bad = bytes.slice();
        bad[start + 4 * k] |= 0x80;
        t.equal(
          await revertName(step({ ...w, txBytes: toHex(bad) })),
          "BadTxEncoding",
          `${what}: token ${k} with its top bit set`,
        );
      }
    }
  });

  for (const c of cases) {
    await t.test(
      `${c.what}: a batch writing another generated token is proven wrong at the submitGeneration`,
      async (t) => {
        const blocks = blocksAt(c.txs);
        const truth = replayBatch(genesis, at(pre, blocks), batchBlocks(blocks));
        const generated = [...c.generated];
        generated[generated.length - 1] += 1; // the last token another: the record is not the tx's
        const lied = new Map(truth.finalState);
        const j = lied.get(keys.job(c.jobId)) as Job;
        lied.set(keys.job(c.jobId), {
          ...j,
          generation: { ...(j.generation as NonNullable<Job["generation"]>), generated },
        });
        const lieRoot = rootOf(lied);
        t.not(lieRoot, rootOf(truth.finalState), "the liar's root is not the truth");
        const index = await bridge.batchCount();
        await post(blocks, lieRoot);
        await proveLastTxWrong(t, c.what, {
          index,
          blocks,
          truth,
          lieCommitment: stepCommitment(fromHex(lieRoot), new Uint8Array(32), INBOX, truth.finalLastTime),
          witness: (i) => witnessOf(blocks, i),
          reason: "tx executes to another state",
          lastTx: "the submitGeneration",
        });
      },
    );
  }

  await t.test(`${cases[0].what}: the honest batch survives lying challengers`, async (t) => {
    const truth = replayBatch(genesis, at(pre, [block2]), batchBlocks([block2]));
    const index = await bridge.batchCount();
    await post([block2]);
    await rig.survivesLyingChallengers(t, "the full-window generation", {
      index,
      blocks: [block2],
      truth,
      witness: (i) => witnessOf([block2], i),
      liars: threeLyingChallengers("the submitGeneration", 2, 2),
    });
  });

  t.comment(`full-window generation one-step gas ${JSON.stringify(measured)}`);
});
