/**
 * Test vectors for the batch challenge's encodings (sequencer/fault-proof/encoding.ts,
 * sequencer/state/smt.ts): state-key paths, account, worker, stake, model and job record bytes,
 * tx leaves (with the block time the job txs carry) and a batch txRoot, step commitments (state
 * root, message chain, L1 inbox hash), the inbox message hashes of a deposit and a forced tx with
 * the one-steps that roll them, and state-tree updates (a changed leaf, an insert into an empty subtree, an
 * insert that splits another key's leaf) with the proofs the one-step takes, and the one-steps of
 * the L1 events' state rules (applied and refused). RollupState.sol and
 * BatchStepVerifier reproduce them (test/unit/bridge/fault-proof-vectors.test.ts).
 */
import { toHex } from "../../protocol/bytes.ts";
import { decodeBinaryCid } from "../../protocol/cid.ts";
import { l2Domain } from "../../protocol/eip712.ts";
import { addressOf } from "../../protocol/secp256k1.ts";
import {
  encodeTx,
  type L1InferenceRequestTx,
  type ModelRegisteredTx,
  signTx,
  type Tx,
  type UserTx,
  type WorkerStakeTx,
} from "../../protocol/tx.ts";
import type { BatchBlock } from "../../sequencer/batch-data.ts";
import type { GenesisConfig } from "../../sequencer/chain.ts";
import {
  accountBytes,
  decodeForcedData,
  disputesBytes,
  forcedData,
  inboxMessageHash,
  jobBytes,
  lastTimeAfter,
  messageChainOf,
  modelBytes,
  nextInboxHash,
  RECORD_SEEN,
  recordValueHash,
  stakeBytes,
  stepCommitment,
  TIMED_TX_KINDS,
  txBytes,
  txLeaf,
  txRootOf,
  workerBytes,
} from "../../sequencer/fault-proof/encoding.ts";
import { replayBatch, type StepWitness } from "../../sequencer/fault-proof/steps.ts";
import { type Job, keys, type StateRecord } from "../../sequencer/state/records.ts";
import { keyPath, SparseMerkleTree } from "../../sequencer/state/smt.ts";
import { forcedRuleCases } from "./forced-rules.ts";
import { pseudoRandomBytes } from "./prng.ts";

type Hex = `0x${string}`;
const bytes = (n: number, seed: number): Hex => toHex(pseudoRandomBytes(n, seed));
const addr = (seed: number) => bytes(20, seed);

export function faultProofVectors() {
  const max = (1n << 256n) - 1n;
  const accountPaths = [addr(1), addr(2), "0x0000000000000000000000000000000000000000" as Hex].map((a) => ({
    address: a,
    key: keys.account(a),
    path: toHex(keyPath(keys.account(a))),
  }));
  const depositPaths = [0n, 7n, 10n, 1234567890n, max].map((id) => ({
    id: id.toString(),
    path: toHex(keyPath(keys.deposit(id))),
  }));
  const disputePaths = [0n, 3n, 10n, 2n ** 200n + 3n, max].map((id) => ({
    id: id.toString(),
    path: toHex(keyPath(keys.dispute(id))),
  }));
  const accounts = [
    { balance: 0n, nonce: 0 },
    { balance: 1n, nonce: 1 },
    { balance: max, nonce: Number.MAX_SAFE_INTEGER },
  ].map((a) => ({
    balance: a.balance.toString(),
    nonce: a.nonce,
    bytes: toHex(accountBytes(a)),
    valueHash: toHex(recordValueHash("acct/x", a)),
  }));

  const signer = pseudoRandomBytes(32, 77);
  const from = addressOf(signer);
  const domain = l2Domain(424242n);
  const txs: Tx[] = [
    signTx({ type: "transfer", from, nonce: 0, fee: 1n, to: addr(3), amount: 5n }, signer, domain) as Tx,
    signTx(
      { type: "withdraw", from, nonce: 1, fee: 2n, l1Recipient: addr(4), amount: max - 1n },
      signer,
      domain,
    ) as Tx,
    { type: "deposit", depositId: 3n, recipient: addr(5), amount: 10n ** 18n },
    signTx({ type: "finalize", from, nonce: 2, fee: 0n, jobId: bytes(32, 6) }, signer, domain) as Tx,
    signTx(
      {
        type: "registerWorker",
        from,
        nonce: 3,
        fee: 1n,
        models: [bytes(32, 11), bytes(32, 12)],
        price: 7n,
        capacity: 4,
        multiaddr: "/ip4/127.0.0.1/tcp/4001/p2p/wörker",
      },
      signer,
      domain,
    ) as Tx,
    signTx(
      {
        type: "postJob",
        from,
        nonce: 4,
        fee: 1n,
        modelId: bytes(32, 11),
        inputRoot: bytes(32, 13),
        inputCid: `0x01551220${"ab".repeat(32)}`,
        escrow: 10n ** 18n,
        deadline: 1_700_000_060_000,
      },
      signer,
      domain,
    ) as Tx,
    signTx({ type: "claimJob", from, nonce: 5, fee: 1n, jobId: bytes(32, 14) }, signer, domain) as Tx,
    signTx(
      {
        type: "submitResult",
        from,
        nonce: 6,
        fee: 1n,
        claim: {
          jobId: bytes(32, 14),
          worker: from,
          modelId: bytes(32, 11),
          inputRoot: bytes(32, 13),
          outputRoot: bytes(32, 23),
          traceRoot: bytes(32, 24),
          generationSpec: `0x${"00".repeat(32)}`,
          outputCid: `0x01551220${"ef".repeat(32)}`,
          traceCid: "0x",
        },
        claimSignature: bytes(65, 25),
      },
      signer,
      domain,
    ) as Tx,
    signTx(
      {
        type: "postGenerationJob",
        from,
        nonce: 7,
        fee: 1n,
        modelId: bytes(32, 11),
        prompt: [1, 2, 0x7fffffff],
        window: 16,
        params: { maxTokens: 5, stopToken: 2, rule: { kind: "greedy" } },
        escrow: 12n,
        deadline: 1_700_000_060_000,
      },
      signer,
      domain,
    ) as Tx,
    signTx(
      {
        type: "submitGeneration",
        from,
        nonce: 8,
        fee: 1n,
        claim: {
          jobId: bytes(32, 14),
          worker: from,
          modelId: bytes(32, 11),
          inputRoot: bytes(32, 27),
          outputRoot: bytes(32, 23),
          traceRoot: bytes(32, 24),
          generationSpec: bytes(32, 28),
          outputCid: `0x01551220${"ef".repeat(32)}`,
          traceCid: "0x0155",
        },
        claimSignature: bytes(65, 25),
        generated: [7, 8, 2],
      },
      signer,
      domain,
    ) as Tx,
    // the DisputeGame's events (DisputeEventStepRules): no signature, no block time
    {
      type: "disputeOpened",
      disputeId: 2n ** 200n + 3n,
      jobId: bytes(32, 14),
      claimKey: bytes(32, 26),
      claimer: from,
      challenger: addr(17),
    },
    {
      type: "disputeResolved",
      disputeId: 3n,
      jobId: bytes(32, 14),
      claimKey: bytes(32, 26),
      claimer: from,
      claimerWon: true,
    },
    {
      type: "disputeResolved",
      disputeId: 3n,
      jobId: bytes(32, 14),
      claimKey: bytes(32, 26),
      claimer: from,
      claimerWon: false,
    },
    // a slash's stake change (no inboxIndex: kind 0x88, L1EventStepRules)
    { type: "workerStake", worker: from, seq: 4n, active: 10n ** 18n, unbonding: 2n ** 255n + 1n },
  ];
  const blockTime = 1_700_000_000_000;
  const leaves = txs.map((tx) => txLeaf(tx, blockTime));
  const txLeaves = txs.map((tx, i) => ({
    l2ChainId: "424242",
    blockTime,
    tx: encodeTx(tx),
    bytes: toHex(txBytes(tx, blockTime)),
    leaf: toHex(leaves[i]),
  }));

  // The records the worker and job one-steps read and write (JobStepRules).
  const worker = {
    address: addr(15),
    models: [bytes(32, 11), bytes(32, 12)],
    price: 7n,
    capacity: 4,
    multiaddr: "/ip4/127.0.0.1/tcp/4001",
    active: 1,
  };
  const stake = { seq: 3n, active: 2n * 10n ** 18n, unbonding: 5n, backing: 1 };
  const model = { modelId: bytes(32, 11), registrant: addr(16), cid: `0x01551220${"cd".repeat(32)}` as Hex };
  const openJob: Job = {
    id: bytes(32, 14),
    source: "l2",
    requester: addr(17),
    l1RequestId: null,
    modelId: bytes(32, 11),
    inputRoot: bytes(32, 13),
    inputCid: `0x01551220${"ab".repeat(32)}`,
    escrow: 10n ** 18n,
    deadline: 1_700_000_060_000,
    postedAt: blockTime,
    status: "open",
    worker: null,
    claim: null,
    claimSignature: null,
    submittedAt: null,
    disputeId: null,
    refundReason: null,
  };
  const record = (key: string, bytesOf: Uint8Array, value: unknown) => ({
    key,
    path: toHex(keyPath(key)),
    value,
    bytes: toHex(bytesOf),
  });
  const records = [
    record(keys.worker(worker.address), workerBytes(worker), { ...worker, price: "7" }),
    record(keys.stake(worker.address), stakeBytes(stake), {
      seq: "3",
      active: stake.active.toString(),
      unbonding: "5",
      backing: 1,
    }),
    record(keys.model(model.modelId), modelBytes(model), model),
    record(keys.jobDisputes(bytes(32, 14)), disputesBytes({ open: [{ id: 4n, claimKey: bytes(32, 26) }] }), {
      open: [{ id: "4", claimKey: bytes(32, 26) }],
    }),
    record(keys.job(openJob.id), jobBytes(openJob), { ...openJob, escrow: openJob.escrow.toString() }),
    record(
      keys.job(bytes(32, 18)),
      jobBytes({
        ...openJob,
        id: bytes(32, 18),
        source: "l1",
        l1RequestId: 9n,
        status: "refunded",
        worker: worker.address,
        claimSignature: bytes(65, 19),
        claim: {
          jobId: bytes(32, 18),
          worker: worker.address,
          modelId: bytes(32, 11),
          inputRoot: bytes(32, 13),
          outputRoot: bytes(32, 20),
          traceRoot: bytes(32, 21),
          generationSpec: bytes(32, 22),
          outputCid: "0x0155",
          traceCid: "0x",
        },
        submittedAt: blockTime + 5,
        disputeId: 4n,
        refundReason: "dispute lost",
        generation: {
          prompt: [1, 2, 3],
          window: 8,
          params: { maxTokens: 4, stopToken: 2, rule: { kind: "greedy" } },
          generated: [5, 2],
        },
      }),
      "an l1 generation job refunded after a lost dispute (every optional field present)",
    ),
  ];

  const messageLeaves = [bytes(32, 8), bytes(32, 9)];
  const steps = {
    stateRoot: bytes(32, 10),
    messageLeaves,
    messageChain: toHex(
      messageChainOf(messageLeaves.map((h) => Uint8Array.from(Buffer.from(h.slice(2), "hex")))),
    ),
    inboxHash: bytes(32, 11),
    lastTime: 1_765_000_123_456,
    commitment: "" as Hex,
  };
  const raw = (h: Hex) => Uint8Array.from(Buffer.from(h.slice(2), "hex"));
  steps.commitment = stepCommitment(
    raw(steps.stateRoot),
    raw(steps.messageChain),
    raw(steps.inboxHash),
    steps.lastTime,
  );

  // Block time bounds (BatchChallenge.lastTimeAfter): every kind byte with a block time of 7000
  // after it, from a last time equal to it and one above it; a timed kind too short to carry one.
  const lastTimes: { txBytes: Hex; preLastTime: number; inOrder: boolean; postLastTime: number }[] = [];
  const timeCase = (b: Uint8Array, pre: number) => {
    const post = lastTimeAfter(pre, b);
    lastTimes.push({
      txBytes: toHex(b),
      preLastTime: pre,
      inOrder: post !== null,
      postLastTime: post ?? pre,
    });
  };
  for (let kind = 0; kind < 256; kind++) {
    const b = new Uint8Array(10);
    b[0] = kind;
    new DataView(b.buffer).setBigUint64(1, 7000n);
    timeCase(b, 7000);
    timeCase(b, 7001);
    timeCase(b.subarray(0, 5), 0);
  }
  // a block time past 2^53 - 1 is refused (no JS number holds it), 2^53 - 1 itself is not
  for (const kind of TIMED_TX_KINDS)
    for (const t of [2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]) {
      const b = new Uint8Array(10);
      b[0] = kind;
      new DataView(b.buffer).setBigUint64(1, t);
      timeCase(b, 7000);
    }

  // Derived txs against the L1 inbox: each one-step rolls Bridge._queue's message hash into the
  // inbox hash. A deposit on the empty state (its marker inserted), and a forced tx whose bytes
  // encode no user tx (consumed, no record touched).
  const preInbox = bytes(32, 12);
  const depositTx: Tx = { type: "deposit", depositId: 9n, recipient: addr(13), amount: 0n };
  const depositTree = new SparseMerkleTree();
  const markerKey = keys.deposit(9n);
  const markerProof = depositTree.proof(markerKey);
  depositTree.set(markerKey, recordValueHash(markerKey, { l1: true }));
  const forcedTx: Tx = { type: "forcedTx", inboxIndex: 4n, sender: addr(14), data: "0x00c0ffee" };
  const inbox = {
    preInbox,
    deposit: {
      tx: encodeTx(depositTx),
      txBytes: toHex(txBytes(depositTx, 0)),
      messageHash: toHex(inboxMessageHash(depositTx) as Uint8Array),
      postInbox: toHex(nextInboxHash(raw(preInbox), inboxMessageHash(depositTx) as Uint8Array)),
      preStateRoot: toHex(new SparseMerkleTree().rootHash()),
      marker: {
        value: "0x",
        present: false,
        siblings: markerProof.siblings,
        hasOther: false,
        otherPath: toHex(new Uint8Array(32)),
        otherValueHash: toHex(new Uint8Array(32)),
      },
      markerBytes: toHex(Uint8Array.of(RECORD_SEEN)),
      postStateRoot: toHex(depositTree.rootHash()),
    },
    forced: {
      tx: encodeTx(forcedTx),
      txBytes: toHex(txBytes(forcedTx, 0)),
      messageHash: toHex(inboxMessageHash(forcedTx) as Uint8Array),
      postInbox: toHex(nextInboxHash(raw(preInbox), inboxMessageHash(forcedTx) as Uint8Array)),
    },
  };

  // L1 events through the inbox: a model, an L1 request and a queued stake change. Their tx bytes
  // and the message hash Bridge._queue is given (BatchStepVerifier.l1EventMessage recomputes it
  // from the bytes; test/integration/bridge/inbox.test.ts checks the Bridge's own).
  const l1EventTxs: Tx[] = [
    {
      type: "modelRegistered",
      inboxIndex: 5n,
      modelId: bytes(32, 15),
      registrant: addr(16),
      cid: "0x01551220c0ffee",
    },
    {
      type: "l1InferenceRequest",
      inboxIndex: 6n,
      requestId: 3n,
      requester: addr(17),
      modelId: bytes(32, 15),
      inputRoot: bytes(32, 18),
      inputCid: "0x0155122011",
      escrow: 10n ** 15n,
      deadline: 1_900_000_000_000,
    },
    {
      type: "workerStake",
      inboxIndex: 7n,
      worker: addr(19),
      seq: 2n,
      active: 10n ** 18n,
      unbonding: 5n,
    },
  ];
  const l1EventTime = 1_700_000_000_000;
  const l1Events = l1EventTxs.map((tx) => ({
    tx: encodeTx(tx),
    txBytes: toHex(txBytes(tx, l1EventTime)),
    inboxIndex: Number((tx as { inboxIndex: bigint }).inboxIndex),
    messageHash: toHex(inboxMessageHash(tx) as Uint8Array),
  }));

  // The L1 events' state rules (L1EventStepRules): each event's one-step on a state that takes it
  // (the stake change after an earlier one, its backed claims kept) and on one that refuses it (the
  // model already registered, the request already derived, a stake change not after the record's),
  // as the replay (sequencer/fault-proof/steps.ts) witnesses and computes it.
  const stepGenesis = {
    l2ChainId: 424242n,
    l1ChainId: 31337n,
    bridge: addr(50),
    sequencer: addr(51),
    timestamp: 0,
    params: { challengeWindowMs: 1000, minFee: 1n, feeRecipient: addr(52), claimCollateral: 0n },
    alloc: {},
  } as unknown as GenesisConfig;
  const preInboxHash = bytes(32, 53);
  // a few unrelated records so the proofs have depth
  const filler: [string, StateRecord][] = [20, 21, 22, 23].map((i) => [
    keys.account(addr(i)),
    { balance: BigInt(i), nonce: 0 },
  ]);
  const l1EventStep = (tx: Tx, state: [string, StateRecord][]) => {
    const block = { header: { timestamp: l1EventTime }, txs: [encodeTx(tx)] } as unknown as BatchBlock;
    const r = replayBatch(
      stepGenesis,
      { state: [...filler, ...state], inboxHash: preInboxHash, lastTime: 0 },
      [block],
      0,
    );
    const w = r.witness as StepWitness;
    return {
      txBytes: w.txBytes,
      pre: [w.preStateRoot, w.preMessageChain, w.preInboxHash],
      records: w.records,
      applied: r.roots[1].stateRoot !== r.roots[0].stateRoot,
      post: [r.roots[1].stateRoot, r.roots[1].messageChain, r.roots[1].inboxHash],
    };
  };
  const [modelEvent, requestEvent, stakeEvent] = l1EventTxs as [
    ModelRegisteredTx,
    L1InferenceRequestTx,
    WorkerStakeTx,
  ];
  const stakeBefore = (seq: bigint) => ({ seq, active: 3n, unbonding: 0n, backing: 2 });
  const l1EventSteps = {
    applied: [
      l1EventStep(modelEvent, []),
      l1EventStep(requestEvent, []),
      l1EventStep(stakeEvent, [[keys.stake(stakeEvent.worker), stakeBefore(1n)]]),
      // a worker's first stake change: its record absent before
      l1EventStep({ ...stakeEvent, seq: 1n }, []),
    ],
    refused: [
      l1EventStep(modelEvent, [
        [keys.model(modelEvent.modelId), { modelId: modelEvent.modelId, registrant: addr(54), cid: "0x01" }],
      ]),
      l1EventStep(requestEvent, [[keys.l1Request(requestEvent.requestId), { l1: true }]]),
      l1EventStep(stakeEvent, [[keys.stake(stakeEvent.worker), stakeBefore(stakeEvent.seq)]]),
    ],
  };

  // A slash's stake change (0x88, no inbox message): applied when its seq is after the record's
  // and it lowers (or keeps) active and unbonding, refused when its seq is not after the record's
  // or it raises either; the inbox hash never moves.
  const slashTx: WorkerStakeTx = {
    type: "workerStake",
    worker: stakeEvent.worker,
    seq: 5n,
    active: 2n,
    unbonding: 0n,
  };
  const slashed = (seq: bigint, active: bigint, unbonding: bigint): [string, StateRecord][] => [
    [keys.stake(slashTx.worker), { seq, active, unbonding, backing: 3 }],
  ];
  const slashSteps = {
    applied: [
      l1EventStep(slashTx, slashed(4n, 3n, 0n)),
      // the same amounts (a slash of 0), a seq far after the record's
      l1EventStep(slashTx, slashed(1n, 2n, 0n)),
      // a worker L2 holds no stake record for: lowering from nothing to nothing
      l1EventStep({ ...slashTx, active: 0n }, []),
    ],
    refused: [
      l1EventStep(slashTx, slashed(5n, 3n, 0n)), // seq repeated
      l1EventStep(slashTx, slashed(6n, 3n, 0n)), // seq before the record's
      l1EventStep(slashTx, slashed(4n, 1n, 0n)), // raises active
      l1EventStep({ ...slashTx, unbonding: 1n }, slashed(4n, 3n, 0n)), // raises unbonding
      l1EventStep(slashTx, []), // raises active from no record
    ],
  };

  // State-tree updates, each proven against the root before it (what the one-step checks).
  const tree = new SparseMerkleTree();
  const present = new Map<string, { balance: bigint; nonce: number }>();
  const updates: unknown[] = [];
  const write = (address: Hex, balance: bigint, nonce: number, what: string) => {
    const key = keys.account(address);
    const before = toHex(tree.rootHash());
    const p = tree.proof(key);
    const old = present.get(key);
    const hasOther = !old && p.leaf !== null;
    const next = { balance, nonce };
    tree.set(key, recordValueHash(key, next));
    present.set(key, next);
    updates.push({
      what,
      address,
      root: before,
      path: toHex(keyPath(key)),
      proof: {
        value: old ? toHex(accountBytes(old)) : "0x",
        present: !!old,
        siblings: p.siblings,
        hasOther,
        otherPath: hasOther && p.leaf ? p.leaf.path : toHex(new Uint8Array(32)),
        otherValueHash: hasOther && p.leaf ? p.leaf.valueHash : toHex(new Uint8Array(32)),
      },
      newValueHash: toHex(recordValueHash(key, next)),
      newRoot: toHex(tree.rootHash()),
    });
  };
  write(addr(20), 100n, 0, "insert into the empty tree");
  write(addr(21), 5n, 0, "insert beside one leaf (split at the root)");
  for (let i = 22; i < 40; i++) write(addr(i), BigInt(i), 0, "insert");
  write(addr(20), 99n, 1, "change a present leaf");
  write(addr(41), 1n, 0, "insert");
  write(addr(30), 0n, 3, "change a present leaf deep in the tree");

  // The postJob rule's inputCid check (protocol/cid.ts decodeBinaryCid) on its edge cases, with
  // the verdict L2 gives: BinaryCid.sol must give the same.
  const d32 = "ab".repeat(32);
  const cidCases: [string, string][] = [
    ["CIDv1 raw sha2-256", `0x01551220${d32}`],
    ["CIDv1 dag-pb sha2-256", `0x01701220${d32}`],
    ["CIDv0 (bare sha2-256 multihash)", `0x1220${d32}`],
    ["CIDv0 of another digest size", `0x1203${"ab".repeat(3)}`],
    ["CIDv0 with an empty digest and 2 trailing bytes", "0x12001220"],
    ["CIDv1 identity multihash, empty digest", "0x01550000"],
    ["CIDv1 with a 2-byte codec varint", `0x01a0011220${d32}`],
    ["explicit version 0 with a codec", `0x00551220${d32}`],
    ["version 2", `0x02551220${d32}`],
    ["version 18 spelled long (0x92 0x00): not minimal", `0x9200551220${d32}`],
    ["a codec varint of 9 bytes", `0x01${"ff".repeat(8)}011220${d32}`],
    ["a codec varint of 10 bytes", `0x01${"ff".repeat(9)}011220${d32}`],
    ["a codec varint ending in 0x00 (not minimal)", `0x0180001220${d32}`],
    ["digest one byte short", `0x01551220${d32.slice(2)}`],
    ["digest one byte long (trailing byte)", `0x01551220${d32}00`],
    ["truncated inside a varint", "0x0155ff"],
    ["only a version", "0x01"],
    ["empty", "0x"],
  ];
  const cids = cidCases.map(([what, bytes]) => {
    let valid = true;
    try {
      decodeBinaryCid(bytes as Hex);
    } catch {
      valid = false;
    }
    return { what, bytes, valid };
  });

  // Forced data (Bridge.forceTransaction's bytes): does it encode a user tx with a one-step
  // (decodeForcedData), as BatchStepVerifier._forced decides from the bytes alone. Each job kind
  // signed above, forced, then cut, lengthened, with a length field off, a nonce past 2^53 - 1.
  const forcedOf = (tx: Tx) => forcedData(tx as UserTx);
  const setU64 = (b: Uint8Array, at: number, v: bigint) => {
    const c = b.slice();
    new DataView(c.buffer).setBigUint64(at, v);
    return c;
  };
  const forcedCases: { what: string; data: Uint8Array }[] = [];
  for (const tx of txs.filter((x) =>
    ["postJob", "claimJob", "submitResult", "finalize", "transfer"].includes(x.type),
  )) {
    const d = forcedOf(tx);
    forcedCases.push(
      { what: `${tx.type}`, data: d },
      { what: `${tx.type} cut by a byte`, data: d.subarray(0, d.length - 1) },
      { what: `${tx.type} with a byte more`, data: Uint8Array.of(...d, 0) },
      { what: `${tx.type} nonce 2^53`, data: setU64(d, 21, 1n << 53n) },
      { what: `${tx.type} nonce 2^53 - 1`, data: setU64(d, 21, (1n << 53n) - 1n) },
    );
    if (tx.type === "postJob") {
      forcedCases.push(
        { what: "postJob deadline 2^53", data: setU64(d, 157, 1n << 53n) },
        {
          what: "postJob cidLen + 1",
          data: Uint8Array.of(...d.subarray(0, 165), d[165] + 1, ...d.subarray(166)),
        },
      );
    }
    if (tx.type === "submitResult") {
      const bad = d.slice();
      bad[273] ^= 0x01; // the outputCid length's high byte
      forcedCases.push({ what: "submitResult outputCid length off", data: bad });
    }
  }
  // registerWorker and the generation txs: decodeTx's field checks, at their edges
  forcedCases.push(...forcedRuleCases(from, bytes(65, 25)));
  forcedCases.push(
    { what: "empty", data: new Uint8Array(0) },
    { what: "0xff || JSON (no form any more)", data: Uint8Array.of(0xff, 0x7b, 0x7d) },
    { what: "a deposit's kind", data: Uint8Array.of(0x81, ...new Uint8Array(84)) },
  );
  const forcedShapes = forcedCases.map(({ what, data }) => {
    let kind = 0;
    try {
      kind = data[0];
      decodeForcedData(data);
    } catch {
      kind = 0;
    }
    return { what, data: toHex(data), kind };
  });

  return {
    forcedShapes,
    cids,
    accountPaths,
    depositPaths,
    disputePaths,
    accounts,
    txLeaves,
    records,
    txRoot: toHex(txRootOf(leaves)),
    emptyTxRoot: toHex(txRootOf([])),
    steps,
    lastTimes,
    inbox,
    l1Events,
    l1EventSteps,
    slashSteps,
    updates,
  };
}
