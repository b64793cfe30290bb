/**
 * Generation jobs on L2 (docs/rollup.md "Generation jobs"): postGenerationJob and
 * submitGeneration through the real state machine, every refusal named and leaving the state
 * untouched, and the single-pass path refusing what belongs to the other kind.
 */
import t, { type Test } from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { type GenerationParams, generationParamsHash } from "../../../protocol/generation-job.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import {
  type ClaimMsg,
  decodeTx,
  encodeTx,
  type Hex,
  NO_GENERATION,
  type PostGenerationJobTx,
  signClaim,
  type Tx,
  TxDecodeError,
  txDigest,
} from "../../../protocol/tx.ts";
import {
  generationInputRoot,
  generationPassInputRoot,
  generationSpec,
} from "../../../prover-trace/commit/generation.ts";
import { batchClaimKeys } from "../../../sequencer/batch-claims.ts";
import type { Block } from "../../../sequencer/block.ts";
import { applyTx, type ChainParams, type TxContext } from "../../../sequencer/state/machine.ts";
import { MemoryState } from "../../../sequencer/state/overlay.ts";
import { decodeRecord, encodeRecord, type Job, keys } from "../../../sequencer/state/records.ts";
import { modelRegistration } from "../../helpers/registered-model.ts";

const key = (n: number) => {
  const k = new Uint8Array(32);
  k[31] = n;
  return k;
};
const ALICE_K = key(1);
const WORKER_K = key(2);
const ALICE = addressOf(ALICE_K);
const WORKER = addressOf(WORKER_K);
const FEES = `0x${"fe".repeat(20)}` as const;
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as Hex;
const MODEL = h32(0xaa);
const MODEL_REGISTERED = await modelRegistration(MODEL);
const chain: ChainParams = { challengeWindowMs: 1000, minFee: 1n, feeRecipient: FEES, claimCollateral: 0n };
const cdomain = claimDomain(1n, `0x${"b0".repeat(20)}`);
let txn = 0;
const ctx = (timestamp: number, txHash: Hex = h32(0x10 + (txn++ % 200))): TxContext => ({
  timestamp,
  txHash,
  params: chain,
  claimDomain: cdomain,
  l2Domain: l2Domain(424242n),
});
const SIG = `0x${"00".repeat(65)}` as Hex;

const WINDOW = 16;
const PROMPT = [1, 5, 9];
const STOP = 2;
const GREEDY: GenerationParams = { maxTokens: 6, stopToken: STOP, rule: { kind: "greedy" } };
const SAMPLED: GenerationParams = {
  maxTokens: 4,
  stopToken: null,
  rule: { kind: "sample", topK: 3, halfLife: 7, seed: new Uint8Array(32).fill(9) },
};

function fresh(): MemoryState {
  const s = new MemoryState();
  applyTx(s, { type: "deposit", depositId: 1n, recipient: ALICE, amount: 1000n }, ctx(0));
  applyTx(s, { type: "deposit", depositId: 2n, recipient: WORKER, amount: 100n }, ctx(0));
  applyTx(s, MODEL_REGISTERED, ctx(0));
  return s;
}
const nonceOf = (s: MemoryState, a: string) =>
  ((s.get(keys.account(a)) as { nonce: number } | undefined) ?? { nonce: 0 }).nonce;
const user = (s: MemoryState, from: string) => ({
  from: from as Hex,
  nonce: nonceOf(s, from),
  fee: 1n,
  signature: SIG,
});
const jobOf = (s: MemoryState, id: Hex) => s.get(keys.job(id)) as Job;

function rejects(t: Test, s: MemoryState, tx: Tx, c: TxContext, re: RegExp, msg?: string) {
  const before = new Map(s.map);
  t.throws(() => applyTx(s, tx, c), re, msg ?? re.source);
  t.same(s.map, before, "state untouched by a rejected tx");
}

function postTx(s: MemoryState, over: Partial<PostGenerationJobTx> = {}): PostGenerationJobTx {
  return {
    type: "postGenerationJob",
    ...user(s, ALICE),
    modelId: MODEL,
    prompt: PROMPT,
    window: WINDOW,
    params: GREEDY,
    escrow: 300n,
    deadline: 10_000,
    ...over,
  };
}

/** A registered worker, a generation job with `p`, claimed; returns the job id. */
function claimed(s: MemoryState, p: GenerationParams = GREEDY, now = 10): Hex {
  applyTx(
    s,
    {
      type: "registerWorker",
      ...user(s, WORKER),
      models: [MODEL],
      price: 5n,
      capacity: 1,
      multiaddr: "/ip4/127.0.0.1/tcp/1",
    },
    ctx(now),
  );
  const id = h32(0x77);
  applyTx(s, postTx(s, { params: p }), ctx(now, id));
  applyTx(s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(now));
  return id;
}

/** The honest claim for `generated` on job `id` (with `over` changed). */
function claimFor(id: Hex, generated: number[], p = GREEDY, over: Partial<ClaimMsg> = {}): ClaimMsg {
  return {
    jobId: id,
    worker: WORKER,
    modelId: MODEL,
    inputRoot: toHex(generationPassInputRoot(PROMPT, generated, WINDOW)),
    outputRoot: h32(1),
    traceRoot: h32(2),
    generationSpec: toHex(generationSpec(PROMPT.length, generated.length, generationParamsHash(p))),
    outputCid: "0x0155",
    traceCid: "0x0156",
    ...over,
  };
}
function submitTx(
  s: MemoryState,
  id: Hex,
  generated: number[],
  p = GREEDY,
  over: Partial<ClaimMsg> = {},
): Tx {
  const claim = claimFor(id, generated, p, over);
  return {
    type: "submitGeneration",
    ...user(s, WORKER),
    claim,
    claimSignature: signClaim(claim, WORKER_K, cdomain),
    generated,
  };
}

t.test("a generation job is posted with its prompt, window and params; the escrow is held", async (t) => {
  const s = fresh();
  const id = h32(0x55);
  const out = applyTx(s, postTx(s), ctx(5, id));
  const j = jobOf(s, id);
  t.equal(j.status, "open");
  t.equal(j.inputCid, "0x", "no input file: the prompt is inline");
  t.equal(j.inputRoot, toHex(generationInputRoot(PROMPT)), "the job's inputRoot is the prompt's root");
  t.same(j.generation, { prompt: PROMPT, window: WINDOW, params: GREEDY, generated: null });
  t.equal(out.events[0].kind, "JobPosted");
  t.equal((s.get(keys.account(ALICE)) as { balance: bigint }).balance, 1000n - 300n - 1n);
  // the record's canonical form round-trips (the state root commits to it)
  const text = encodeRecord(keys.job(id), j);
  t.same(decodeRecord(keys.job(id), text), j, "record round-trips");
  t.equal(encodeRecord(keys.job(id), decodeRecord(keys.job(id), text) as Job), text, "canonical");
});

t.test("postGenerationJob refuses a job no worker could serve", async (t) => {
  const s = fresh();
  rejects(t, s, postTx(s, { prompt: Array(WINDOW).fill(1) }), ctx(5), /leaves no position to generate/);
  rejects(
    t,
    s,
    postTx(s, { params: { ...GREEDY, maxTokens: WINDOW - PROMPT.length + 1 } }),
    ctx(5),
    /prompt 3 \+ maxTokens 14 exceed the window of 16/,
  );
  rejects(t, s, postTx(s, { escrow: 0n }), ctx(5), /escrow must be positive/);
  rejects(t, s, postTx(s, { deadline: 5 }), ctx(5), /deadline 5 is not after the block time 5/);
  rejects(t, s, postTx(s, { modelId: h32(0xab) }), ctx(5), /is not registered on L1/);
  rejects(t, s, postTx(s, { escrow: 5000n }), ctx(5), /insufficient balance/);
  const id = h32(0x56);
  applyTx(s, postTx(s), ctx(5, id));
  rejects(t, s, postTx(s), ctx(6, id), /job 0x5656.* exists/);
});

t.test("an honest generation is accepted: tokens stored, claim kept, paid after the window", async (t) => {
  for (const [name, p, gen] of [
    ["greedy, ends on the stop token", GREEDY, [7, 3, STOP]],
    ["greedy, runs to maxTokens", GREEDY, [7, 3, 4, 4, 4, 4]],
    ["sampled, no stop token", SAMPLED, [0, 0, 11, 3]],
  ] as const) {
    const s = fresh();
    const id = claimed(s, p);
    const out = applyTx(s, submitTx(s, id, [...gen], p), ctx(20));
    const j = jobOf(s, id);
    t.equal(j.status, "submitted", name);
    t.same(j.generation?.generated, gen, `${name}: the generated tokens are in the job`);
    t.equal(j.claim?.generationSpec, claimFor(id, [...gen], p).generationSpec);
    t.equal(out.events[0].kind, "ResultSubmitted");
    applyTx(s, { type: "finalize", ...user(s, ALICE), jobId: id }, ctx(20 + 1000));
    t.equal(jobOf(s, id).status, "paid", `${name}: paid`);
  }
});

t.test("submitGeneration refuses every hostile result, naming the rule", async (t) => {
  const s = fresh();
  const id = claimed(s);
  const good = [7, 3, STOP];
  rejects(
    t,
    s,
    submitTx(s, id, [7, STOP, 3, 3, 3, 3]),
    ctx(20),
    /generated token 1 is the stop token 2, but the generation goes on/,
  );
  rejects(
    t,
    s,
    submitTx(s, id, [7, 3]),
    ctx(20),
    /ends after 2 tokens without the stop token: it must run to maxTokens 6/,
  );
  rejects(
    t,
    s,
    submitTx(s, id, [7, 3, 4, 4, 4, 4, 4]),
    ctx(20),
    /7 generated tokens exceed the job's maxTokens 6/,
  );
  // the claim's pass input is not prompt ++ these tokens ++ padding in the job's window
  const wrongInput = (r: Uint8Array) => ({ inputRoot: toHex(r) });
  for (const [what, over] of [
    ["other tokens", wrongInput(generationPassInputRoot(PROMPT, [7, 4, STOP], WINDOW))],
    ["a wider window", wrongInput(generationPassInputRoot(PROMPT, good, WINDOW + 1))],
    ["a narrower window", wrongInput(generationPassInputRoot(PROMPT, good, WINDOW - 1))],
    ["another prompt", wrongInput(generationPassInputRoot([1, 5, 8], good, WINDOW))],
    ["the prompt's own root", { inputRoot: toHex(generationInputRoot(PROMPT)) }],
  ] as const)
    rejects(t, s, submitTx(s, id, good, GREEDY, over), ctx(20), /is not the pass input root/, what);
  // the claim's spec names another prompt length, count or rule
  const spec = (P: number, n: number, p: GenerationParams) => ({
    generationSpec: toHex(generationSpec(P, n, generationParamsHash(p))),
  });
  for (const [what, over] of [
    ["zero", { generationSpec: NO_GENERATION }],
    ["prompt length + 1", spec(PROMPT.length + 1, 3, GREEDY)],
    ["count - 1", spec(PROMPT.length, 2, GREEDY)],
    ["another rule", spec(PROMPT.length, 3, SAMPLED)],
    ["another stop token", spec(PROMPT.length, 3, { ...GREEDY, stopToken: 3 })],
  ] as const)
    rejects(
      t,
      s,
      submitTx(s, id, good, GREEDY, over),
      ctx(20),
      /claim generationSpec 0x[0-9a-f]{64} differs from/,
      what,
    );
  // the claim signed by someone else, for another job or model, after the deadline
  const claim = claimFor(id, good);
  rejects(
    t,
    s,
    {
      type: "submitGeneration",
      ...user(s, WORKER),
      claim,
      claimSignature: signClaim(claim, ALICE_K, cdomain),
      generated: good,
    },
    ctx(20),
    /claim is signed by/,
  );
  // a claim naming another worker (issue 18, the puppet signer), even one that worker signed
  const puppets = claimFor(id, good, GREEDY, { worker: ALICE });
  rejects(
    t,
    s,
    {
      type: "submitGeneration",
      ...user(s, WORKER),
      claim: puppets,
      claimSignature: signClaim(puppets, ALICE_K, cdomain),
      generated: good,
    },
    ctx(20),
    /claim names worker 0x[0-9a-f]{40}, not the job's worker/,
  );
  rejects(t, s, submitTx(s, id, good, GREEDY, { modelId: h32(0xab) }), ctx(20), /claim modelId .* differs/);
  rejects(t, s, submitTx(s, id, good), ctx(20_000), /deadline 10000 has passed/);
  // a single-pass submitResult on a generation job, with a claim that is right for it
  rejects(
    t,
    s,
    { type: "submitResult", ...user(s, WORKER), claim, claimSignature: signClaim(claim, WORKER_K, cdomain) },
    ctx(20),
    /is a generation job: its result is a submitGeneration/,
  );
  applyTx(s, submitTx(s, id, good), ctx(20));
  rejects(t, s, submitTx(s, id, good), ctx(21), /is submitted, not claimed/, "a second result");
});

t.test("a generation job with no stop token must run to maxTokens", async (t) => {
  const s = fresh();
  const id = claimed(s, SAMPLED);
  rejects(t, s, submitTx(s, id, [0, 0, 11], SAMPLED), ctx(20), /must run to maxTokens 4/);
  applyTx(s, submitTx(s, id, [0, 2, 11, 2], SAMPLED), ctx(20));
  t.equal(
    jobOf(s, id).status,
    "submitted",
    "any token id, 2 included, is an ordinary token without a stop token",
  );
});

t.test("single-pass jobs refuse a generation result and a nonzero generationSpec", async (t) => {
  const s = fresh();
  applyTx(
    s,
    { type: "registerWorker", ...user(s, WORKER), models: [MODEL], price: 5n, capacity: 1, multiaddr: "/x" },
    ctx(10),
  );
  const id = h32(0x78);
  const { cidHexOf } = await import("../../helpers/registered-model.ts");
  const INPUT = h32(0xbb);
  applyTx(
    s,
    {
      type: "postJob",
      ...user(s, ALICE),
      modelId: MODEL,
      inputRoot: INPUT,
      inputCid: await cidHexOf(new TextEncoder().encode("input")),
      escrow: 300n,
      deadline: 10_000,
    },
    ctx(10, id),
  );
  applyTx(s, { type: "claimJob", ...user(s, WORKER), jobId: id }, ctx(10));
  const single: ClaimMsg = { ...claimFor(id, [7, 3, STOP]), inputRoot: INPUT, generationSpec: NO_GENERATION };
  const withSpec = { ...single, generationSpec: h32(0x01) };
  rejects(
    t,
    s,
    {
      type: "submitResult",
      ...user(s, WORKER),
      claim: withSpec,
      claimSignature: signClaim(withSpec, WORKER_K, cdomain),
    },
    ctx(20),
    /generationSpec 0x0101.* must be zero for a single-pass job/,
  );
  rejects(
    t,
    s,
    {
      type: "submitGeneration",
      ...user(s, WORKER),
      claim: single,
      claimSignature: signClaim(single, WORKER_K, cdomain),
      generated: [7],
    },
    ctx(20),
    /is a single-pass job: its result is a submitResult/,
  );
  applyTx(
    s,
    {
      type: "submitResult",
      ...user(s, WORKER),
      claim: single,
      claimSignature: signClaim(single, WORKER_K, cdomain),
    },
    ctx(20),
  );
  t.equal(jobOf(s, id).status, "submitted");
  t.equal(jobOf(s, id).generation, undefined, "a single-pass job has no generation part");
});

t.test(
  "the wire: JSON round-trips, every malformed field is named, digests sign the token bytes",
  async (t) => {
    const s = fresh();
    const post = postTx(s, { params: SAMPLED });
    const sub = submitTx(s, h32(1), [7, 3, STOP]);
    for (const tx of [post, sub])
      t.same(decodeTx(JSON.parse(JSON.stringify(encodeTx(tx)))), tx, `${tx.type} round-trips`);
    const pj = JSON.parse(JSON.stringify(encodeTx(post)));
    const sj = JSON.parse(JSON.stringify(encodeTx(sub)));
    const cases: [unknown, RegExp][] = [
      [{ ...pj, prompt: [] }, /field prompt: expected at least one token id/],
      [{ ...pj, prompt: "0x01" }, /field prompt: expected an array of token ids/],
      [{ ...pj, prompt: [1, -1] }, /field prompt\[1\]: expected a token id/],
      [{ ...pj, prompt: [1, 2 ** 31] }, /field prompt\[1\]: expected a token id/],
      [{ ...pj, prompt: [1.5] }, /field prompt\[0\]/],
      [{ ...pj, prompt: Array(8193).fill(0) }, /field prompt: more than 8192 token ids/],
      [{ ...pj, window: 1 }, /field window: expected an integer in \[2, 8192\]/],
      [{ ...pj, window: 8193 }, /field window/],
      [{ ...pj, params: { ...pj.params, maxTokens: 0 } }, /field params: field maxTokens/],
      [{ ...pj, params: { ...pj.params, rule: { kind: "beam" } } }, /field params: field rule.kind/],
      [{ ...pj, params: { ...pj.params, extra: 1 } }, /field params: generation params: unknown field/],
      [{ ...pj, inputCid: "0x01" }, /unknown field inputCid/],
      [{ ...sj, generated: [] }, /field generated: expected at least one token id/],
      [{ ...sj, generated: ["1"] }, /field generated\[0\]/],
      [
        { ...sj, claim: { ...sj.claim, generationSpec: "0x01" } },
        /field generationSpec: expected 0x-prefixed hex of 32 bytes/,
      ],
      [{ ...sj, claim: { ...sj.claim, generationSpec: undefined } }, /field generationSpec/],
    ];
    for (const [json, re] of cases) {
      t.throws(() => decodeTx(json), re);
      t.ok(
        (() => {
          try {
            decodeTx(json);
          } catch (e) {
            return e instanceof TxDecodeError;
          }
        })(),
        `a TxDecodeError: ${re.source}`,
      );
    }
    // the digest covers every token and every param (a changed one is another tx)
    const d = l2Domain(7n);
    const base = toHex(txDigest(post, d));
    t.not(toHex(txDigest({ ...post, prompt: [1, 5, 8] }, d)), base, "prompt token");
    t.not(toHex(txDigest({ ...post, window: 17 }, d)), base, "window");
    t.not(toHex(txDigest({ ...post, params: { ...SAMPLED, maxTokens: 5 } }, d)), base, "params");
    const subBase = toHex(txDigest(sub, d));
    t.not(toHex(txDigest({ ...sub, generated: [7, 3, 3] } as Tx, d)), subBase, "generated token");
  },
);

t.test("a submitted generation's claim is in its batch's claims tree", async (t) => {
  const s = fresh();
  const id = claimed(s);
  const sub = submitTx(s, id, [7, 3, STOP]);
  applyTx(s, sub, ctx(20));
  const block = { txs: [encodeTx(sub)] } as unknown as Block;
  const { claimDigest } = await import("../../../protocol/tx.ts");
  t.same(batchClaimKeys([block], cdomain), [toHex(claimDigest((sub as { claim: ClaimMsg }).claim, cdomain))]);
});
