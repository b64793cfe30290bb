/**
 * The batch challenge's encodings: test/vectors/fault-proof.json (npm run vectors, generated from
 * sequencer/fault-proof/encoding.ts and the state tree) reproduced on the embedded chain by
 * RollupState.sol (key paths, account records, state-tree updates) and BatchStepVerifier (the L1
 * inbox message hash of a deposit and of a forced tx, rolled into the inbox hash by their
 * one-steps; the message hash of a model, an L1 request and a queued stake change, read from their
 * tx bytes); a tampered proof, a wrong old value or a present key passed off as absent is refused
 * by name.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { type Address, BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { deployStepVerifier } from "../../../bridge/batch-challenge.ts";
import { batchChallengeAbi, batchChallengeBytecode } from "../../../contracts/artifacts/BatchChallenge.ts";
import { batchStepVerifierAbi } from "../../../contracts/artifacts/BatchStepVerifier.ts";
import { disputeEventStepRulesAbi } from "../../../contracts/artifacts/DisputeEventStepRules.ts";
import {
  rollupStateHarnessAbi,
  rollupStateHarnessBytecode,
} from "../../../contracts/artifacts/RollupStateHarness.ts";
import { TIMED_TX_KINDS } from "../../../sequencer/fault-proof/encoding.ts";
import { touchedKeys } from "../../../sequencer/fault-proof/steps.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface ProofJson {
  value: Hex;
  present: boolean;
  siblings: Hex[];
  hasOther: boolean;
  otherPath: Hex;
  otherValueHash: Hex;
}
interface Vectors {
  accountPaths: { address: Hex; path: Hex }[];
  depositPaths: { id: string; path: Hex }[];
  disputePaths: { id: string; path: Hex }[];
  accounts: { balance: string; nonce: number; bytes: Hex; valueHash: Hex }[];
  cids: { what: string; bytes: Hex; valid: boolean }[];
  records: { key: string; path: Hex; value: Record<string, unknown>; bytes: Hex }[];
  updates: { what: string; root: Hex; path: Hex; proof: ProofJson; newValueHash: Hex; newRoot: Hex }[];
  inbox: {
    preInbox: Hex;
    deposit: { txBytes: Hex; postInbox: Hex; preStateRoot: Hex; marker: ProofJson; postStateRoot: Hex };
    forced: { txBytes: Hex; postInbox: Hex };
  };
  l1Events: { txBytes: Hex; inboxIndex: number; messageHash: Hex }[];
  steps: { stateRoot: Hex; messageChain: Hex; inboxHash: Hex; lastTime: number; commitment: Hex };
  lastTimes: { txBytes: Hex; preLastTime: number; inOrder: boolean; postLastTime: number }[];
  /** L1EventStepRules' one-steps as the replay witnesses and computes them. */
  l1EventSteps: Record<"applied" | "refused", L1EventStep[]>;
  /** A slash's stake change (0x88) on states that take and refuse it, as the replay has it. */
  slashSteps: Record<"applied" | "refused", L1EventStep[]>;
  txLeaves: { tx: { type: string }; bytes: Hex }[];
  /** Forced data and the user tx kind it encodes (decodeForcedData), 0 for none. */
  forcedShapes: { what: string; data: Hex; kind: number }[];
}
type L1EventStep = { txBytes: Hex; pre: Hex[]; records: ProofJson[]; applied: boolean; post: Hex[] };

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/fault-proof.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const clients = backend.clients(0);
const pub = clients.publicClient;
const harness = (
  await pub.waitForTransactionReceipt({
    hash: await clients.walletClient!.deployContract({
      abi: rollupStateHarnessAbi,
      bytecode: rollupStateHarnessBytecode,
    }),
  })
).contractAddress as Address;
// biome-ignore lint/suspicious/noExplicitAny: thin wrapper; every call site is checked against the vectors
const call = (functionName: string, args: readonly unknown[]): Promise<any> =>
  pub.readContract({ address: harness, abi: rollupStateHarnessAbi, functionName, args } as never);

async function revertName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no revert";
  } catch (err) {
    const r = err instanceof BaseError && err.walk((e) => e instanceof ContractFunctionRevertedError);
    return r instanceof ContractFunctionRevertedError ? (r.data?.errorName ?? "unnamed") : String(err);
  }
}

t.test("state-key paths: sha256 of acct/<addr>, l1/deposit/<id> and l1/dispute/<id>", async (t) => {
  for (const v of vectors.accountPaths) t.equal(await call("accountPath", [v.address]), v.path, v.address);
  for (const v of vectors.depositPaths)
    t.equal(await call("depositPath", [BigInt(v.id)]), v.path, `deposit ${v.id}`);
  for (const v of vectors.disputePaths)
    t.equal(await call("disputePath", [BigInt(v.id)]), v.path, `dispute ${v.id}`);
});

const proofOf = (value: Hex) => ({
  value,
  present: true,
  siblings: [],
  hasOther: false,
  otherPath: `0x${"00".repeat(32)}`,
  otherValueHash: `0x${"00".repeat(32)}`,
});

t.test("worker, stake, job and model records: paths and the layouts the job one-steps read", async (t) => {
  const sha = async (b: Hex) =>
    (await import("../../../protocol/sha256.ts")).sha256(Buffer.from(b.slice(2), "hex"));
  for (const r of vectors.records) {
    const [kind, id] = r.key.split("/");
    const fn = {
      worker: "workerPath",
      stake: "stakePath",
      job: "jobPath",
      model: "modelPath",
      disputes: "disputesPath",
    }[kind];
    t.equal(await call(fn as string, [id]), r.path, `path of ${r.key}`);
    if (kind === "stake")
      t.equal(
        await call("stakeRoundTrip", [proofOf(r.bytes)]),
        `0x${Buffer.from(await sha(r.bytes)).toString("hex")}`,
        "a stake record decodes and hashes back to its bytes",
      );
    if (kind === "worker") {
      t.same(await call("workerFields", [r.bytes]), [r.value.capacity, r.value.active], "worker fields");
      t.equal(
        await revertName(call("workerFields", [`${r.bytes}00`])),
        "BadWorkerRecord",
        "a worker record with a byte too many",
      );
      t.equal(
        await revertName(call("workerFields", [r.bytes.slice(0, -2)])),
        "BadWorkerRecord",
        "a worker record a byte short",
      );
    }
  }
  const stake = vectors.records.find((r) => r.key.startsWith("stake/"))!;
  t.equal(
    await revertName(call("stakeRoundTrip", [proofOf(`${stake.bytes}00`)])),
    "BadStakeRecord",
    "a stake record of the wrong length",
  );
});

t.test("inputCid check: BinaryCid.sol gives L2's verdict (decodeBinaryCid) on every edge case", async (t) => {
  t.ok(vectors.cids.some((c) => c.valid) && vectors.cids.some((c) => !c.valid), "both verdicts occur");
  for (const c of vectors.cids)
    t.equal(await call("isBinaryCid", [c.bytes]), c.valid, `${c.what}: ${c.valid ? "a CID" : "not a CID"}`);
});

t.test("account records: 40 bytes, decoded and hashed alike", async (t) => {
  for (const v of vectors.accounts) {
    t.equal(await call("accountValueHash", [BigInt(v.balance), BigInt(v.nonce)]), v.valueHash);
    const proof = {
      value: v.bytes,
      present: true,
      siblings: [],
      hasOther: false,
      otherPath: `0x${"00".repeat(32)}`,
      otherValueHash: `0x${"00".repeat(32)}`,
    };
    t.same(await call("decodeAccount", [proof]), [BigInt(v.balance), BigInt(v.nonce)]);
  }
  const short = {
    value: "0x01",
    present: true,
    siblings: [],
    hasOther: false,
    otherPath: `0x${"00".repeat(32)}`,
    otherValueHash: `0x${"00".repeat(32)}`,
  };
  t.equal(await revertName(call("decodeAccount", [short])), "BadAccountRecord");
});

t.test("state-tree updates: each proof opens the root before and gives the root after", async (t) => {
  t.ok(
    vectors.updates.some((u) => u.proof.hasOther),
    "some insert splits another key's leaf",
  );
  t.ok(
    vectors.updates.some((u) => !u.proof.present && !u.proof.hasOther && u.proof.siblings.length > 0),
    "some insert lands in an empty subtree",
  );
  for (const u of vectors.updates) {
    t.equal(await call("update", [u.root, u.path, u.proof, u.newValueHash]), u.newRoot, u.what);
  }
  const deep = vectors.updates.find((u) => u.proof.present && u.proof.siblings.length > 2)!;
  const tampered = {
    ...deep.proof,
    siblings: deep.proof.siblings.map((s, i) => (i === 1 ? (`0x${"11".repeat(32)}` as Hex) : s)),
  };
  t.equal(
    await revertName(call("update", [deep.root, deep.path, tampered, deep.newValueHash])),
    "RecordProofMismatch",
    "a tampered sibling",
  );
  const wrongOld = { ...deep.proof, value: `0x${"00".repeat(40)}` as Hex };
  t.equal(
    await revertName(call("update", [deep.root, deep.path, wrongOld, deep.newValueHash])),
    "RecordProofMismatch",
    "a wrong old value",
  );
  const hidden = { ...deep.proof, value: "0x" as Hex, present: false };
  t.equal(
    await revertName(call("update", [deep.root, deep.path, hidden, deep.newValueHash])),
    "RecordProofMismatch",
    "a present key passed off as absent",
  );
  const split = vectors.updates.find((u) => u.proof.hasOther)!;
  const self = { ...split.proof, otherPath: split.path };
  t.equal(
    await revertName(call("update", [split.root, split.path, self, split.newValueHash])),
    "RecordProofShape",
    "the key's own path as the other leaf",
  );
});

t.test("derived txs roll their L1 inbox message into the inbox hash, as Bridge._queue does", async (t) => {
  const verifier = await deployStepVerifier(clients, {
    l2ChainId: 424242n,
    minFee: 1n,
    feeRecipient: `0x${"fe".repeat(20)}`,
    claimCollateral: 1n,
    challengeWindowMs: 1000n,
    bridge: `0x${"b1".repeat(20)}`,
  });
  const step = (pre: readonly [Hex, Hex, Hex], txBytes: Hex, records: ProofJson[]) =>
    pub.readContract({
      address: verifier,
      abi: batchStepVerifierAbi,
      functionName: "step",
      args: [pre, txBytes, records],
    });
  const { preInbox, deposit, forced } = vectors.inbox;
  const chain = `0x${"33".repeat(32)}` as Hex;
  t.same(
    await step([deposit.preStateRoot, chain, preInbox], deposit.txBytes, [deposit.marker]),
    [true, [deposit.postStateRoot, chain, deposit.postInbox]],
    "a deposit: marker written, its message rolled in",
  );
  const root = `0x${"44".repeat(32)}` as Hex;
  t.same(
    await step([root, chain, preInbox], forced.txBytes, []),
    [true, [root, chain, forced.postInbox]],
    "a forced tx that encodes no user tx: consumed, nothing else changes",
  );
  t.not(forced.postInbox, deposit.postInbox);

  // Forced data: the verifier decides "encodes a user tx" from the bytes as decodeForcedData does.
  // No user tx: consumed with no record (a record given is refused by name). A user tx: its records
  // are asked for (RecordCount), never a revert on the user's bytes.
  const sender = `0x${"5e".repeat(20)}`;
  const wrong: string[] = [];
  for (const v of vectors.forcedShapes) {
    const bytes = `0x82${(7000).toString(16).padStart(16, "0")}${sender.slice(2)}${v.data.slice(2)}` as Hex;
    const got = await step([root, chain, preInbox], bytes, []).then(
      ([applied, post]) => (applied && post[0] === root && post[1] === chain ? "no change" : "changed"),
      async (e) => revertName(Promise.reject(e)),
    );
    const want = v.kind === 0 ? "no change" : "RecordCount";
    if (got !== want) wrong.push(`${v.what}: ${got}, expected ${want}`);
  }
  t.same(wrong, [], "BatchStepVerifier agrees with decodeForcedData on every forced shape");
  t.ok(
    vectors.forcedShapes.filter((v) => v.kind !== 0).length >= 8 &&
      vectors.forcedShapes.filter((v) => v.kind === 0).length >= 8,
    "the vectors hold both answers",
  );
  // the replay's witness asks for as many records as the verifier: none exactly when no user tx
  const params = {
    challengeWindowMs: 1000,
    minFee: 1n,
    feeRecipient: `0x${"fe".repeat(20)}` as Address,
    claimCollateral: 1n,
  };
  const keysOf = (data: Hex) =>
    touchedKeys(
      { type: "forcedTx", inboxIndex: 0n, sender: sender as Address, data },
      params,
      `0x${"77".repeat(32)}`,
    );
  t.same(
    vectors.forcedShapes.filter((v) => (keysOf(v.data)?.length === 0) !== (v.kind === 0)).map((v) => v.what),
    [],
    "touchedKeys of a forced tx: no record exactly when its bytes encode no user tx",
  );
  t.same(keysOf("0x00c0ffee"), [], "a first byte 0: no user tx, no record");
  // registerWorker and the generation txs: the same rule in a batch. Their rules contracts revert
  // BadTxEncoding on the bytes (the block time put back after the kind of a timed one) exactly
  // where decodeForcedData finds no tx; on a tx they ask for its records.
  const inBatch: string[] = [];
  const ruled = vectors.forcedShapes.filter((v) => ["0x03", "0x05", "0x09"].includes(v.data.slice(0, 4)));
  for (const v of ruled) {
    const bytes = (
      v.data.startsWith("0x03")
        ? v.data
        : `${v.data.slice(0, 4)}${(7000).toString(16).padStart(16, "0")}${v.data.slice(4)}`
    ) as Hex;
    const got = await revertName(step([root, chain, preInbox], bytes, []));
    const want = v.kind === 0 ? "BadTxEncoding" : "RecordCount";
    if (got !== want) inBatch.push(`${v.what}: ${got}, expected ${want}`);
  }
  t.same(inBatch, [], "in a batch, the rules contracts refuse the same bytes by BadTxEncoding");
  for (const kind of [3, 5, 9])
    t.ok(
      ruled.filter((v) => v.kind === kind).length >= 6 &&
        ruled.filter((v) => v.kind === 0 && Number.parseInt(v.data.slice(2, 4), 16) === kind).length >= 9,
      `kind ${kind}: the vectors hold both answers`,
    );
  t.equal(
    await revertName(
      step([root, chain, preInbox], `0x82${"00".repeat(8)}${sender.slice(2)}00`, [deposit.marker]),
    ),
    "RecordCount",
    "a record given with a forced tx that encodes no user tx",
  );

  // L1 events (model, L1 request, queued stake change): the verifier reads the inbox index and
  // recomputes the message hash from the tx bytes (BatchChallenge's inbox check); their state rules
  // are L1EventStepRules', which the verifier forwards them to.
  const l1EventMessage = (txBytes: Hex) =>
    pub.readContract({
      address: verifier,
      abi: batchStepVerifierAbi,
      functionName: "l1EventMessage",
      args: [txBytes],
    });
  t.equal(vectors.l1Events.length, 3);
  for (const e of vectors.l1Events) {
    t.same(
      await l1EventMessage(e.txBytes),
      [true, true, BigInt(e.inboxIndex), e.messageHash],
      `kind ${e.txBytes.slice(0, 4)}`,
    );
    t.equal(
      await revertName(step([root, chain, preInbox], e.txBytes, [])),
      "RecordCount",
      "its state rule wants its records",
    );
  }
  // each rule on a state that takes the event and on one that refuses it, as the replay has it
  const { applied, refused } = vectors.l1EventSteps;
  for (const [i, v] of [...applied, ...refused].entries()) {
    const what = `${i < applied.length ? "applied" : "refused"} ${v.txBytes.slice(0, 4)}`;
    t.same(
      await step(v.pre as [Hex, Hex, Hex], v.txBytes, v.records),
      [v.applied, v.post],
      `${what}: the replay's roots`,
    );
    t.equal(v.applied, i < applied.length, `${what}: the replay ${v.applied ? "applies" : "refuses"} it`);
    if (v.applied) {
      t.not(v.post[2], v.pre[2], `${what}: its message rolled into the inbox hash`);
      // the first record's proof with a sibling changed: it no longer opens the pre root
      const tampered = v.records.map((r, k) =>
        k === 0 ? { ...r, siblings: [`0x${"77".repeat(32)}` as Hex, ...r.siblings.slice(1)] } : r,
      );
      t.ok(v.records[0].siblings.length > 0, `${what}: the record has siblings to tamper with`);
      t.equal(
        await revertName(step(v.pre as [Hex, Hex, Hex], v.txBytes, tampered)),
        "RecordProofMismatch",
        `${what}: made-up record`,
      );
    }
  }
  t.equal(
    await revertName(step([root, chain, preInbox], `${vectors.l1Events[2].txBytes}00` as Hex, [])),
    "BadTxEncoding",
    "a stake change of 102 bytes is no tx",
  );
  const stake = vectors.l1Events[2].txBytes;
  t.same(
    await l1EventMessage(`${stake}00`),
    [true, false, 0n, `0x${"00".repeat(32)}`],
    "a stake change of 102 bytes",
  );
  t.same(
    await l1EventMessage(vectors.l1Events[0].txBytes.slice(0, 2 + 2 * 60) as Hex),
    [true, false, 0n, `0x${"00".repeat(32)}`],
    "a model shorter than its fixed fields",
  );
  t.same(
    await l1EventMessage(forced.txBytes),
    [false, false, 0n, `0x${"00".repeat(32)}`],
    "a forced tx is no L1 event",
  );

  // A slash's stake change (0x88): no inbox message (BatchChallenge takes it for none), its
  // lower-only rule in L1EventStepRules, the inbox hash never moved.
  const slashes = vectors.txLeaves.filter((v) => v.bytes.startsWith("0x88"));
  t.same(
    slashes.map((v) => [v.tx.type, (v.bytes.length - 2) / 2]),
    [["workerStake", 93]],
    "a slash's bytes: 0x88, 93 bytes",
  );
  t.same(
    await l1EventMessage(slashes[0].bytes),
    [false, false, 0n, `0x${"00".repeat(32)}`],
    "a slash is no inbox message",
  );
  for (const [i, v] of [...vectors.slashSteps.applied, ...vectors.slashSteps.refused].entries()) {
    const what = `slash ${i < vectors.slashSteps.applied.length ? "applied" : "refused"} (case ${i})`;
    t.equal(v.applied, i < vectors.slashSteps.applied.length, `${what}: the replay agrees`);
    t.same(
      await step(v.pre as [Hex, Hex, Hex], v.txBytes, v.records),
      [v.applied, v.post],
      `${what}: the replay's roots`,
    );
    t.equal(v.post[2], v.pre[2], `${what}: no inbox message consumed`);
    const tampered = v.records.map((r) => ({
      ...r,
      siblings: [`0x${"77".repeat(32)}` as Hex, ...r.siblings.slice(1)],
    }));
    t.equal(
      await revertName(step(v.pre as [Hex, Hex, Hex], v.txBytes, tampered)),
      "RecordProofMismatch",
      `${what}: made-up record`,
    );
  }
  const slash = vectors.slashSteps.applied[0];
  t.equal(
    await revertName(step(slash.pre as [Hex, Hex, Hex], slash.txBytes, [])),
    "RecordCount",
    "slash: its record wanted",
  );
  for (const bytes of [`${slash.txBytes}00`, slash.txBytes.slice(0, -2)] as Hex[])
    t.equal(
      await revertName(step(slash.pre as [Hex, Hex, Hex], bytes, slash.records)),
      "BadTxEncoding",
      `a slash of ${(bytes.length - 2) / 2} bytes is no tx`,
    );

  // Bytes of a kind no tx encodes to (txBytes has a case for every Tx type): refused, nothing
  // moves, never a revert (a revert would leave an honest challenger no winning move).
  const pre = [root, chain, preInbox] as const;
  for (const bytes of [
    "0x",
    "0x00",
    "0x10c0ffee",
    "0x89",
    `0xff${"7b7d"}`,
    `0xff${"00".repeat(92)}`,
  ] as Hex[])
    t.same(
      await step(pre, bytes, []),
      [false, [...pre]],
      `${bytes === "0x" ? "no kind byte" : `kind ${bytes.slice(0, 4)}`}: refused`,
    );
});

t.test(
  "block time bounds: the step commitment and lastTimeAfter of every kind byte, as BatchChallenge decides them",
  async (t) => {
    // its pure functions read no immutable: any constructor arguments do
    const zero = `0x${"00".repeat(20)}` as Address;
    const challenge = (
      await pub.waitForTransactionReceipt({
        hash: await clients.walletClient!.deployContract({
          abi: batchChallengeAbi,
          bytecode: batchChallengeBytecode,
          args: [zero, zero, `0x${"00".repeat(32)}`, 1n, 1n, 60n],
        }),
      })
    ).contractAddress as Address;
    const read = (functionName: "stepCommitment" | "lastTimeAfter", args: readonly unknown[]) =>
      pub.readContract({ address: challenge, abi: batchChallengeAbi, functionName, args } as never);
    const s = vectors.steps;
    t.equal(
      await read("stepCommitment", [[s.stateRoot, s.messageChain, s.inboxHash], BigInt(s.lastTime)]),
      s.commitment,
      "C = sha256(stateRoot || messageChain || inboxHash || lastTime u64)",
    );
    t.equal(
      vectors.lastTimes.length,
      256 * 3 + TIMED_TX_KINDS.length * 3,
      "every kind byte, three cases each; every timed kind at 2^53 - 1, 2^53 and 2^64 - 1",
    );
    const got = (await Promise.all(
      vectors.lastTimes.map((v) => read("lastTimeAfter", [BigInt(v.preLastTime), v.txBytes])),
    )) as [boolean, bigint][];
    const wrong = vectors.lastTimes.filter(
      (v, i) => got[i][0] !== v.inOrder || (v.inOrder && got[i][1] !== BigInt(v.postLastTime)),
    );
    t.same(wrong, [], "Solidity agrees with encoding.ts lastTimeAfter on every vector");
    const timed = new Set(vectors.lastTimes.filter((v) => !v.inOrder).map((v) => v.txBytes.slice(0, 4)));
    t.same(
      [...timed].sort(),
      ["0x04", "0x05", "0x06", "0x07", "0x08", "0x09", "0x82", "0x84"],
      "exactly the timed kinds can be refused",
    );
  },
);

t.test(
  "the DisputeGame's event txs reach DisputeEventStepRules; with no game every one is refused",
  async (t) => {
    const verifier = await deployStepVerifier(clients, {
      l2ChainId: 424242n,
      minFee: 1n,
      feeRecipient: `0x${"fe".repeat(20)}`,
      claimCollateral: 1n,
      challengeWindowMs: 1000n,
      bridge: `0x${"b1".repeat(20)}`,
    });
    const abi = [...batchStepVerifierAbi, ...disputeEventStepRulesAbi.filter((e) => e.type === "error")];
    const step = (pre: readonly [Hex, Hex, Hex], txBytes: Hex, records: ProofJson[]) =>
      pub.readContract({
        address: verifier,
        abi,
        functionName: "step",
        args: [pre, txBytes, records],
      } as never);
    const absent: ProofJson = {
      value: "0x",
      present: false,
      siblings: [],
      hasOther: false,
      otherPath: `0x${"00".repeat(32)}`,
      otherValueHash: `0x${"00".repeat(32)}`,
    };
    const pre = [`0x${"00".repeat(32)}`, `0x${"33".repeat(32)}`, `0x${"55".repeat(32)}`] as const;
    const disputes = vectors.txLeaves.filter((v) => v.tx.type.startsWith("dispute"));
    t.same(
      disputes.map((v) => [v.tx.type, (v.bytes.length - 2) / 2, v.bytes.slice(0, 4)]),
      [
        ["disputeOpened", 137, "0x86"],
        ["disputeResolved", 118, "0x87"],
        ["disputeResolved", 118, "0x87"],
      ],
      "their bytes: 0x86 (137 bytes) and 0x87 (118 bytes)",
    );
    for (const v of disputes) {
      // job, disputes; an opening then its l1/dispute/<id> marker (steps.ts touchedKeys)
      const records = v.tx.type === "disputeOpened" ? [absent, absent, absent] : [absent, absent];
      t.same(await step(pre, v.bytes, records), [false, [...pre]], `${v.tx.type}: no such dispute, refused`);
      t.equal(
        await revertName(step(pre, v.bytes, records.slice(1))),
        "RecordCount",
        `${v.tx.type}: its records wanted`,
      );
      t.equal(
        await revertName(step(pre, `${v.bytes}00` as Hex, [absent, absent])),
        "BadTxEncoding",
        `${v.tx.type}: one byte too long is no tx`,
      );
    }
    const resolved = disputes[1].bytes;
    t.equal(
      await revertName(step(pre, `${resolved.slice(0, -2)}02` as Hex, [absent, absent])),
      "BadTxEncoding",
      "claimerWon 2 is no tx",
    );
  },
);
