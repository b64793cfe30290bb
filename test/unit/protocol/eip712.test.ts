import t from "tap";
import { hashTypedData as viemHash, recoverTypedDataAddress as viemRecover } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { NO_GENERATION } from "../../../protocol/tx.ts";

// viem's generics want literal types; these definitions are data, so call it untyped.
const hashTypedData = viemHash as unknown as (a: object) => string;
const recoverTypedDataAddress = viemRecover as unknown as (a: object) => Promise<string>;

import { claimDomain, l2Domain, type TypeName, typesFor } from "../../../protocol/eip712.ts";
import { addressOf, nativeSecp256k1Available, recoverAddress } from "../../../protocol/secp256k1.ts";
import {
  type ClaimMsg,
  decodeTx,
  encodeTx,
  hexToBytes,
  PRIMARY,
  recoverClaimSigner,
  signClaim,
  signTx,
  type Tx,
  TxDecodeError,
  txDigest,
  typedMessage,
  verifyTxSignature,
} from "../../../protocol/tx.ts";

const PK = hexToBytes("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const FROM = addressOf(PK);
const domain = l2Domain(31337n);
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as const;
const a20 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(20)}` as const;
const claim: ClaimMsg = {
  jobId: h32(1),
  worker: a20(8),
  modelId: h32(2),
  inputRoot: h32(3),
  outputRoot: h32(4),
  traceRoot: h32(5),
  generationSpec: NO_GENERATION,
  outputCid: "0x0155",
  traceCid: "0x01551220ab",
};
const base = { from: FROM, nonce: 7, fee: 3n, signature: `0x${"22".repeat(65)}` as const };
export const samples: Tx[] = [
  { type: "transfer", ...base, to: a20(9), amount: 10n ** 18n },
  { type: "withdraw", ...base, l1Recipient: a20(8), amount: 5n },
  {
    type: "registerWorker",
    ...base,
    models: [h32(2), h32(6)],
    price: 100n,
    capacity: 4,
    multiaddr: "/ip4/1.2.3.4/tcp/9",
  },
  { type: "registerWorker", ...base, models: [], price: 0n, capacity: 0, multiaddr: "" },
  {
    type: "postJob",
    ...base,
    modelId: h32(2),
    inputRoot: h32(3),
    inputCid: "0x01",
    escrow: 77n,
    deadline: 1_700_000_000_000,
  },
  { type: "claimJob", ...base, jobId: h32(1) },
  { type: "submitResult", ...base, claim, claimSignature: `0x${"11".repeat(65)}` },
  { type: "finalize", ...base, jobId: h32(1) },
  { type: "deposit", depositId: 4n, recipient: a20(7), amount: 99n },
  {
    type: "disputeOpened",
    disputeId: 1n,
    jobId: h32(1),
    claimKey: h32(2),
    claimer: a20(4),
    challenger: a20(3),
  },
  {
    type: "disputeResolved",
    disputeId: 1n,
    jobId: h32(1),
    claimKey: h32(2),
    claimer: a20(4),
    claimerWon: true,
  },
  {
    type: "l1InferenceRequest",
    inboxIndex: 3n,
    requestId: 2n,
    requester: a20(5),
    modelId: h32(2),
    inputRoot: h32(3),
    inputCid: "0x",
    escrow: 1n,
    deadline: 5,
  },
  {
    type: "postGenerationJob",
    ...base,
    modelId: h32(2),
    prompt: [1, 0, 2 ** 31 - 1],
    window: 512,
    params: {
      maxTokens: 64,
      stopToken: 3,
      rule: { kind: "sample", topK: 40, halfLife: 256, seed: new Uint8Array(32).fill(7) },
    },
    escrow: 77n,
    deadline: 1_700_000_000_000,
  },
  {
    type: "submitGeneration",
    ...base,
    claim: { ...claim, generationSpec: h32(9) },
    claimSignature: `0x${"11".repeat(65)}`,
    generated: [5, 6, 3],
  },
];

t.test("digests equal viem's hashTypedData for every tx type", async (t) => {
  for (const tx of samples) {
    const primaryType = PRIMARY[tx.type] as TypeName;
    const viemHash = hashTypedData({
      domain,
      types: typesFor(primaryType) as never,
      primaryType,
      message: typedMessage(tx) as never,
    });
    t.equal(Buffer.from(txDigest(tx, domain)).toString("hex"), viemHash.slice(2), tx.type);
  }
  const cd = claimDomain(1n, a20(0xbb));
  const viemClaim = hashTypedData({
    domain: cd,
    types: typesFor("Claim") as never,
    primaryType: "Claim",
    message: { ...claim, generationSpec: h32(9) } as never,
  });
  const { claimDigest } = await import("../../../protocol/tx.ts");
  t.equal(
    Buffer.from(claimDigest({ ...claim, generationSpec: h32(9) }, cd)).toString("hex"),
    viemClaim.slice(2),
    "claim under the L1 domain",
  );
});

t.test("a wallet signature (viem signTypedData) verifies, and ours verifies in viem", async (t) => {
  t.ok(nativeSecp256k1Available, "native libsecp256k1 loaded");
  const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  t.equal(account.address.toLowerCase(), FROM);
  const unsigned = { type: "transfer" as const, from: FROM, nonce: 1, fee: 0n, to: a20(2), amount: 5n };
  const signTyped = account.signTypedData as unknown as (a: object) => Promise<`0x${string}`>;
  const signature = await signTyped({
    domain,
    types: typesFor("Transfer") as never,
    primaryType: "Transfer",
    message: typedMessage({ ...unsigned, signature: "0x" }) as never,
  });
  const tx = { ...unsigned, signature };
  t.doesNotThrow(() => verifyTxSignature(tx, txDigest(tx, domain)));
  const ours = signTx(unsigned, PK, domain);
  const recovered = await recoverTypedDataAddress({
    domain,
    types: typesFor("Transfer") as never,
    primaryType: "Transfer",
    message: typedMessage(ours) as never,
    signature: ours.signature,
  });
  t.equal(recovered.toLowerCase(), FROM);
  const cd = claimDomain(1n, a20(0xbb));
  t.equal(recoverClaimSigner(claim, signClaim(claim, PK, cd), cd), FROM);
  t.not(
    recoverClaimSigner(claim, signClaim(claim, PK, cd), claimDomain(2n, a20(0xbb))),
    FROM,
    "other chain id",
  );
});

t.test("bad signatures are rejected with a reason", async (t) => {
  const tx = signTx({ type: "transfer", from: FROM, nonce: 1, fee: 0n, to: a20(2), amount: 5n }, PK, domain);
  const d = txDigest(tx, domain);
  const tampered = { ...tx, amount: 6n };
  t.throws(
    () => verifyTxSignature(tampered, txDigest(tampered, domain)),
    /bad signature: signed by 0x[0-9a-f]{40}, but from is/,
  );
  t.throws(() => verifyTxSignature(tx, txDigest(tx, l2Domain(1n))), /bad signature/, "other L2 chain id");
  const sig = hexToBytes(tx.signature);
  t.throws(() => recoverAddress(d, sig.subarray(0, 64)), /expected 65 bytes/);
  const badV = Uint8Array.from(sig);
  badV[64] = 5;
  t.throws(() => recoverAddress(d, badV), /v must be/);
  // the malleable twin (n - s, flipped v) recovers the same key: it must be refused
  const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(`0x${Buffer.from(sig.subarray(32, 64)).toString("hex")}`);
  const twin = Uint8Array.from(sig);
  twin.set(Buffer.from((N - s).toString(16).padStart(64, "0"), "hex"), 32);
  twin[64] = sig[64] === 27 ? 28 : 27;
  t.throws(() => recoverAddress(d, twin), /upper half/);
  const zero = new Uint8Array(65);
  zero[64] = 27;
  t.throws(() => recoverAddress(d, zero), /bad signature/);
});

t.test("JSON codec round-trips and names every malformed field", async (t) => {
  for (const tx of samples) {
    const json = JSON.parse(JSON.stringify(encodeTx(tx)));
    t.same(decodeTx(json), tx, `${tx.type} round-trips`);
  }
  const good = encodeTx(samples[0]);
  const cases: [unknown, RegExp][] = [
    [null, /tx: expected an object/],
    [[], /tx: expected an object/],
    [{ ...good, type: "mint" }, /field type: expected one of/],
    [{ ...good, amount: 5 }, /field amount: expected a decimal string/],
    [{ ...good, amount: "-1" }, /field amount/],
    [{ ...good, amount: "01" }, /no leading zeros/],
    [{ ...good, amount: (2n ** 256n).toString() }, /exceeds uint256/],
    [{ ...good, nonce: 1.5 }, /field nonce: expected an integer/],
    [{ ...good, nonce: -1 }, /field nonce/],
    [{ ...good, to: "0x1234" }, /field to: expected 0x-prefixed hex of 20 bytes/],
    [{ ...good, to: `0x${"zz".repeat(20)}` }, /field to/],
    [{ ...good, signature: "0x00" }, /field signature/],
    [{ ...good, extra: 1 }, /unknown field extra/],
    [{ ...encodeTx(samples[2]), models: "x" }, /field models: expected an array/],
    [{ ...encodeTx(samples[2]), models: ["0x12"] }, /field models\[0\]/],
    [
      { ...encodeTx(samples[2]), models: Array(33).fill(samples[5].type === "claimJob" ? h32(1) : "") },
      /more than 32/,
    ],
    [{ ...encodeTx(samples[2]), multiaddr: "x".repeat(300) }, /longer than 256/],
    [{ ...encodeTx(samples[4]), inputCid: `0x${"00".repeat(129)}` }, /longer than 128 bytes/],
    [{ ...encodeTx(samples[6]), claim: { ...claim, bogus: 1 } }, /claim: unknown field bogus/],
    [{ ...encodeTx(samples[6]), claim: 3 }, /field claim: expected an object/],
    // a claim names its worker: without it (or with a malformed one) there is no claim
    [
      { ...encodeTx(samples[6]), claim: { ...claim, worker: undefined } },
      /field worker: expected 0x-prefixed hex of 20 bytes/,
    ],
    [
      { ...encodeTx(samples[6]), claim: { ...claim, worker: h32(1) } },
      /field worker: expected 0x-prefixed hex of 20 bytes/,
    ],
    [{ ...encodeTx(samples[10]), claimerWon: "yes" }, /field claimerWon: expected true or false/],
  ];
  for (const [input, re] of cases) t.throws(() => decodeTx(input), re);
  try {
    decodeTx({ ...good, amount: 5 });
    t.fail("should throw");
  } catch (e) {
    t.ok(e instanceof TxDecodeError, "a TxDecodeError");
  }
});
