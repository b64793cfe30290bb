/**
 * Batch data (sequencer/batch-data.ts) and the L1-only replay (sequencer/rebuild.ts) on blocks
 * sealed by the real Chain: an honest batch replays to its exact roots; hostile data (not
 * deflate, wrong version, a tampered tx, a range that lies, an inflate bomb) gets a clear
 * verdict or error and changes nothing.
 */
import { deflateRawSync } from "node:zlib";
import t from "tap";
import { concatBytes, toHex, u32be } from "../../../protocol/bytes.ts";
import type { Address } from "../../../protocol/secp256k1.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { decodeTx, type Hex, signTx, type Tx, type UserTx } from "../../../protocol/tx.ts";
import { buildBatch, lastTimeThrough } from "../../../sequencer/batch.ts";
import {
  BatchDataError,
  batchDataHash,
  batchDataSteps,
  batchTxSection,
  decodeBatchData,
  encodeBatchData,
  MAX_BATCH_DATA_INFLATED,
} from "../../../sequencer/batch-data.ts";
import { checkFaultAllowed, parseSequencerFault } from "../../../sequencer/batch-faults.ts";
import type { Block } from "../../../sequencer/block.ts";
import { Chain } from "../../../sequencer/chain.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import {
  forcedData,
  inboxMessageHash,
  lastTimeAfter,
  TIMED_TX_KINDS,
  txBytes,
} from "../../../sequencer/fault-proof/encoding.ts";
import { BatchReplayer, type InboxMessage, type L1BatchWithData } from "../../../sequencer/rebuild.ts";

const users = devKeys(2, "rebuild-test");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });

/** Three sealed blocks, each with one transfer. */
function sealedBlocks(): Block[] {
  const chain = new Chain(genesis);
  chain.initGenesis();
  const blocks: Block[] = [];
  for (let n = 0; n < 3; n++) {
    const tx = signTx(
      { type: "transfer", from: users[0].address, nonce: n, fee: 0n, to: users[1].address, amount: 10n },
      users[0].key,
      chain.domain,
    ) as Tx;
    chain.admit(tx, chain.txHash(tx), 2_000 + n);
    blocks.push(chain.seal({ number: 0, hash: `0x${"00".repeat(32)}` }, key as Uint8Array).block);
  }
  return blocks;
}

function asL1(index: number, blocks: Block[], txData?: Uint8Array): L1BatchWithData {
  const d = buildBatch(blocks);
  const data = txData ?? d.txData;
  return {
    index,
    firstBlock: d.firstBlock,
    lastBlock: d.lastBlock,
    stateRoot: d.stateRoot,
    withdrawalRoot: d.withdrawalRoot,
    txDataHash: batchDataHash(data),
    txData: data,
  };
}

t.test("batch data round-trips and is the committed hash", async (t) => {
  const blocks = sealedBlocks();
  const data = encodeBatchData(blocks);
  t.equal(data[0], 3, "version byte");
  t.same(
    decodeBatchData(data),
    blocks.map((b) => ({ header: b.header, txs: b.txs })),
  );
  t.equal(buildBatch(blocks).txDataHash, toHex(sha256(data)), "txDataHash = sha256(txData)");
  const section = batchTxSection(data);
  t.same(
    section.txs.map(toHex),
    blocks.flatMap((b) => b.txs.map((j) => toHex(txBytes(decodeTx(j), b.header.timestamp)))),
    "the tx section holds each tx's bytes, in block order",
  );
  t.ok(
    data.length < Buffer.byteLength(JSON.stringify(blocks.map((b) => ({ header: b.header, txs: b.txs })))),
  );
});

t.test("hostile batch data is refused by name", async (t) => {
  const honest = encodeBatchData(sealedBlocks());
  const { txs, bodyStart } = batchTxSection(honest);
  const withSection = (section: Uint8Array[], body: Uint8Array = honest.subarray(bodyStart)) =>
    concatBytes(
      Uint8Array.of(3),
      u32be(section.length),
      ...section.flatMap((b) => [u32be(b.length), b]),
      body,
    );
  const withBody = (s: string) => withSection(txs, deflateRawSync(Buffer.from(s)));
  t.throws(() => decodeBatchData(new Uint8Array([3])), BatchDataError);
  t.throws(() => decodeBatchData(Uint8Array.from([2, ...honest.subarray(1)])), /version 2 is not 3/);
  t.throws(() => decodeBatchData(Uint8Array.of(3, 0, 0, 0, 2, 0, 0, 0, 1, 9)), /ends before tx 1 of 2/);
  t.throws(() => decodeBatchData(Uint8Array.of(3, 0, 0, 0, 1, 0, 0, 0, 9, 1)), /runs past the end/);
  t.throws(() => decodeBatchData(withSection(txs, Uint8Array.of(0xff, 0xff, 0xff))), /does not inflate/);
  t.throws(() => decodeBatchData(withBody("not json")), /not JSON/);
  t.throws(() => decodeBatchData(withBody('{"blocks":[],"forcedInboxIndexes":[]}')), /at least one block/);
  t.throws(
    () => decodeBatchData(withBody('{"blocks":[{"header":{},"txCount":0}],"forcedInboxIndexes":[]}')),
    /header.number/,
  );
  t.throws(
    () => decodeBatchData(withSection([...txs, Uint8Array.of(1, 2, 3)])),
    /blocks hold 3 txs; its tx section has 4/,
    "a tx the body does not place is refused",
  );
  t.throws(
    () => decodeBatchData(withSection([Uint8Array.of(1, 2, 3), ...txs.slice(1)])),
    /batch tx 0 does not decode/,
    "bytes that encode no tx are refused",
  );
  const cut = Uint8Array.from(txs[0]);
  t.throws(
    () => decodeBatchData(withSection([concatBytes(cut, Uint8Array.of(0)), ...txs.slice(1)])),
    /batch tx 0 does not decode/,
    "a tx with a byte too many is refused",
  );
  const bomb = withSection(txs, deflateRawSync(Buffer.alloc(MAX_BATCH_DATA_INFLATED + 1024)));
  t.throws(() => decodeBatchData(bomb), /does not inflate/, "inflating past the cap is refused");
  // the state follows from the section alone: a broken body leaves every step readable
  const steps = batchDataSteps(withSection(txs, Uint8Array.of(0xff)));
  t.same(
    steps.map((s) => s.decoded?.tx.type),
    sealedBlocks().flatMap((b) => b.txs.map((j) => j.type)),
    "batchDataSteps reads the txs whatever the body",
  );
});

t.test("an honest batch replays to its exact roots; a second batch follows it", async (t) => {
  const blocks = sealedBlocks();
  const r = new BatchReplayer(genesis);
  const v0 = r.apply(asL1(0, blocks.slice(0, 2)));
  t.match(v0, { ok: true, stateRoot: blocks[1].header.stateRoot, blocks: 2, txs: 2 });
  const v1 = r.apply(asL1(1, blocks.slice(2)));
  t.match(v1, { ok: true, stateRoot: blocks[2].header.stateRoot });
  t.equal(r.firstBad, null);
});

t.test("batches whose data does not re-execute to their commitments are named", async (t) => {
  const blocks = sealedBlocks();
  const bad = (b: L1BatchWithData) => new BatchReplayer(genesis).apply(b);

  const honest = asL1(0, blocks);
  t.match(bad({ ...honest, txDataHash: toHex(sha256(new Uint8Array([1]))) }), {
    ok: false,
    reason: /data hashes to .* the batch commits/,
  });
  t.match(bad({ ...honest, stateRoot: blocks[0].header.stateRoot }), {
    ok: false,
    reason: /state root after block 3 is .* the batch commits/,
  });
  t.match(bad({ ...honest, withdrawalRoot: blocks[0].header.txRoot }), { ok: false, reason: /message root/ });
  t.match(bad({ ...honest, lastBlock: 4 }), { ok: false, reason: /commits blocks 1..4 but carries 3/ });
  t.match(bad({ ...honest, firstBlock: 2 }), { ok: false, reason: /starts at block 2/ });
  // transfers are untimed: the batch's last time stays the one before it (0), whatever it states
  t.match(bad({ ...honest, lastTime: 0 }), { ok: true });
  t.match(bad({ ...honest, lastTime: 2_002 }), {
    ok: false,
    reason: /states last time 2002, its timed txs end at 0/,
  });

  // a tx changed after signing: re-execution refuses its signature
  const tampered = blocks.map((b) => ({ ...b, txs: b.txs.map((x) => ({ ...x })) }));
  (tampered[1].txs[0] as UserTx & Record<string, unknown>).amount = "999";
  t.match(bad(asL1(0, tampered)), { ok: false, reason: /re-execution: block 2 tx 0/ });

  const r = new BatchReplayer(genesis);
  const root0 = r.stateRoot;
  t.match(r.apply({ ...honest, stateRoot: root0 }), { ok: false });
  t.throws(() => r.apply(asL1(1, blocks)), /replay stopped at bad batch 0/, "nothing runs after a bad batch");
  t.equal(r.verdicts.length, 1);
});

t.test("sequencer test faults are refused off dev chains unless overridden", async (t) => {
  t.throws(() => checkFaultAllowed("forge-withdrawal", 1n, false), /refused: L1 chain 1 is not a dev chain/);
  t.doesNotThrow(() => checkFaultAllowed("forge-withdrawal", 1n, true));
  t.doesNotThrow(() => checkFaultAllowed("wrong-state-root", 31337n, false));
  t.throws(() => parseSequencerFault("nope"), /unknown sequencer test fault 'nope'/);
});

t.test("derived txs are checked against the inbox messages the batch consumed", async (t) => {
  const ORIGIN = { number: 5, hash: `0x${"05".repeat(32)}` as Hex };
  const SENDER = `0x${"5e".repeat(20)}` as Address;
  /** A transfer of users[1] as forced bytes (forcedData, the one forced encoding). */
  const forcedBytes = (nonce: number, amount = 1n) =>
    toHex(
      forcedData(
        signTx(
          { type: "transfer", from: users[1].address, nonce, fee: 0n, to: users[0].address, amount },
          users[1].key,
          new Chain(genesis).domain,
        ) as UserTx,
      ),
    );
  /** One block at L1 origin 5 holding a deposit and, when `data` is given, the forced tx (inbox 1). */
  function block(data: Hex | null): Block[] {
    const chain = new Chain(genesis);
    chain.initGenesis();
    const dep = { type: "deposit", depositId: 0n, recipient: users[1].address, amount: 7n } as Tx;
    chain.admit(dep, chain.txHash(dep), 2_000);
    if (data) {
      const f: Tx = { type: "forcedTx", inboxIndex: 1n, sender: SENDER, data };
      chain.admit(f, chain.txHash(f), 2_000);
    }
    return [chain.seal(ORIGIN, key as Uint8Array).block];
  }
  const deposit = (amount: bigint, index = 0): InboxMessage => ({
    index,
    l1Block: 4,
    kind: "deposit",
    depositId: BigInt(index),
    recipient: users[1].address,
    amount,
  });
  const forced = (data: Hex, index = 1): InboxMessage => ({
    index,
    l1Block: 5,
    kind: "forced",
    sender: SENDER,
    signedL2Tx: data,
  });
  const replay = (blocks: Block[], inbox: InboxMessage[]) =>
    new BatchReplayer(genesis).apply({ ...asL1(0, blocks), inbox });

  t.match(
    replay(block(forcedBytes(0)), [deposit(7n), forced(forcedBytes(0))]),
    { ok: true },
    "deposit and forced tx applied",
  );
  const garbage = toHex(new TextEncoder().encode("not a tx"));
  t.match(
    replay(block(garbage), [deposit(7n), forced(garbage)]),
    { ok: true },
    "garbage is consumed, changes nothing",
  );
  t.match(
    replay(block(forcedBytes(3)), [deposit(7n), forced(forcedBytes(3))]),
    { ok: true },
    "a forced tx refused where it runs (nonce gap) is consumed and changes nothing",
  );
  t.match(replay(block(null), [deposit(7n), forced(forcedBytes(0))]), {
    ok: false,
    reason:
      /forced tx at inbox 1 is in L1 block 5, which block 1 derived \(origin 5\), but no tx of it consumes the message/,
  });
  t.match(replay(block(forcedBytes(0, 2n)), [deposit(7n), forced(forcedBytes(0))]), {
    ok: false,
    reason:
      /block 1 derives forced tx 1 from 0x5e.* where the next inbox message is forced tx at inbox 1 from 0x5e/,
  });
  t.match(replay(block(null), [deposit(8n)]), {
    ok: false,
    reason: /derives deposit 0 to .*\(7\) where the next inbox message is deposit 0 \(inbox 0\) to .*\(8\)/,
  });
  t.match(replay(block(null), []), {
    ok: false,
    reason: /derives deposit 0 to .*, which no inbox message counted/,
  });
  t.match(replay(block(null), [deposit(7n), deposit(1n, 1)]), {
    ok: false,
    reason: /deposit 1 \(inbox 1\) is in L1 block 4, which block 1 derived/,
  });
  t.match(replay(block(null), [deposit(7n), { ...forced(garbage), l1Block: 9 } as InboxMessage]), {
    ok: false,
    reason: /forced tx at inbox 1 is counted but no block of the batch derived it/,
  });
});

t.test(
  "L1 events (stake changes, models, L1 requests) are checked against the inbox by message hash",
  async (t) => {
    const ORIGIN = { number: 5, hash: `0x${"05".repeat(32)}` as Hex };
    const WORKER = `0x${"3a".repeat(20)}` as Address;
    const stake = (inboxIndex: bigint | undefined, active: bigint, seq = 1n): Tx => ({
      type: "workerStake",
      ...(inboxIndex === undefined ? {} : { inboxIndex }),
      worker: WORKER,
      seq,
      active,
      unbonding: 0n,
    });
    const request = (inboxIndex: bigint, escrow: bigint): Tx => ({
      type: "l1InferenceRequest",
      inboxIndex,
      requestId: 0n,
      requester: users[0].address,
      modelId: `0x${"4d".repeat(32)}`,
      inputRoot: `0x${"11".repeat(32)}`,
      inputCid: "0x01551220aa",
      escrow,
      deadline: 9_000_000_000,
    });
    const model = (inboxIndex: bigint): Tx => ({
      type: "modelRegistered",
      inboxIndex,
      modelId: `0x${"4d".repeat(32)}`,
      registrant: users[0].address,
      cid: "0x01551220bb",
    });
    /** One block at L1 origin 5 deriving `txs`. */
    function block(txs: Tx[]): Block[] {
      const chain = new Chain(genesis);
      chain.initGenesis();
      for (const tx of txs) chain.admit(tx, chain.txHash(tx), 2_000);
      return [chain.seal(ORIGIN, key as Uint8Array).block];
    }
    /** The InboxQueued message L1 holds for `tx` (its hash computed by the one definition). */
    const onL1 = (tx: Tx, index: number): InboxMessage => ({
      index,
      l1Block: 5,
      kind: "l1Event",
      inboxKind: tx.type === "modelRegistered" ? 3 : tx.type === "l1InferenceRequest" ? 4 : 5,
      messageHash: toHex(inboxMessageHash(tx) as Uint8Array),
    });
    const replay = (blocks: Block[], inbox: InboxMessage[]) =>
      new BatchReplayer(genesis).apply({ ...asL1(0, blocks), inbox });

    const honest = [model(0n), request(1n, 5n), stake(2n, 100n)];
    t.match(replay(block(honest), honest.map(onL1)), { ok: true }, "each kind, in inbox order");
    t.match(
      replay(block([...honest, stake(undefined, 40n, 2n)]), honest.map(onL1)),
      { ok: true },
      "a slash's stake change (no inbox message) lowering the stake is no inbox message",
    );
    t.match(replay(block([stake(0n, 100n)]), []), {
      ok: false,
      reason:
        /block 1 derives workerStake naming inbox 0 .*, which no inbox message counted by the batch holds/,
    });
    t.match(replay(block([model(0n), request(1n, 6n)]), [onL1(model(0n), 0), onL1(request(1n, 5n), 1)]), {
      ok: false,
      reason:
        /derives l1InferenceRequest naming inbox 1 .* where the next inbox message is L1 request at inbox 1/,
    });
    t.match(replay(block([request(1n, 5n), model(0n)]), [onL1(model(0n), 0), onL1(request(1n, 5n), 1)]), {
      ok: false,
      reason: /derives l1InferenceRequest .* where the next inbox message is model at inbox 0/,
    });
    t.match(replay(block([model(0n)]), [onL1(model(0n), 0), onL1(request(1n, 5n), 1)]), {
      ok: false,
      reason: /L1 request at inbox 1 .* is in L1 block 5, which block 1 derived .* but no tx of it consumes/,
    });
  },
);

t.test("block time bounds: lastTimeAfter and lastTimeThrough on the tx bytes", async (t) => {
  const timed = (kind: number, time: bigint) => {
    const b = new Uint8Array(20);
    b[0] = kind;
    new DataView(b.buffer).setBigUint64(1, time);
    return b;
  };
  t.equal(lastTimeAfter(5, timed(0x08, 7n)), 7, "a finalize sets its block time");
  t.equal(lastTimeAfter(7, timed(0x84, 7n)), 7, "an L1 request at the same time is in order");
  t.equal(lastTimeAfter(8, timed(0x07, 7n)), null, "a submitResult before the last time is refused");
  t.equal(lastTimeAfter(8, timed(0x01, 7n)), 8, "a transfer keeps the last time, whatever its bytes");
  t.equal(lastTimeAfter(8, timed(0x04, 9n).subarray(0, 5)), null, "a timed kind too short for a time");
  t.equal(
    lastTimeAfter(8, timed(0x82, 7n)),
    null,
    "a forced tx carries its block time too (its job tx reads it)",
  );
  t.same(
    [...TIMED_TX_KINDS].sort((a, b) => a - b),
    [0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x82, 0x84],
  );
  // blocks of transfers: no timed tx, the last time passes through
  t.equal(lastTimeThrough(1234, sealedBlocks()), 1234);
});
