/**
 * Claim building and signing (worker/claim.ts), the worker config (guards and named errors) and
 * the CID forms: the claim carries the job's model and input root and the run's roots, is signed
 * under the L1 claim domain (the digest the sequencer and the Bridge recover from), and a run of
 * another model or input is refused before anything is signed.
 */
import t from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { CidFormatError, cidToBytesHex, cidToString } from "../../../protocol/cid.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import { NO_GENERATION, recoverClaimSigner } from "../../../protocol/tx.ts";
import { buildClaim, signWorkerClaim } from "../../../verifier/worker/claim.ts";
import {
  ConfigError,
  checkFaultAllowed,
  DEV_WORKER_KEY,
  resolveWorkerConfig,
  WORKER_DEFAULTS,
} from "../../../verifier/worker/config.ts";

const h = (s: string) => toHex(sha256(new TextEncoder().encode(s)));
const job = { id: h("job"), modelId: h("model"), inputRoot: h("input") };
const run = {
  traceRoot: sha256(new TextEncoder().encode("trace")),
  outputRoot: sha256(new TextEncoder().encode("out")),
};
const cids = { outputCid: "0x01551220aa", traceCid: "0x01551220bb" } as const;
const bridge = `0x${"b1".repeat(20)}` as const;

t.test("the claim carries the job's model and input and the run's roots", async (t) => {
  const c = buildClaim(job, job.modelId, sha256(new TextEncoder().encode("input")), run, cids);
  t.same(c, {
    jobId: job.id,
    modelId: job.modelId,
    inputRoot: job.inputRoot,
    outputRoot: toHex(run.outputRoot),
    traceRoot: toHex(run.traceRoot),
    generationSpec: NO_GENERATION,
    outputCid: cids.outputCid,
    traceCid: cids.traceCid,
  });
});

t.test("a run of another model or another input is refused", async (t) => {
  t.throws(
    () => buildClaim(job, h("other model"), sha256(new TextEncoder().encode("input")), run, cids),
    /is for model 0x[0-9a-f]{64}, the run is of model/,
  );
  t.throws(
    () => buildClaim(job, job.modelId, sha256(new TextEncoder().encode("another input")), run, cids),
    /the fetched input has root 0x[0-9a-f]{64}, the job says/,
  );
});

t.test("signed under the L1 claim domain; recovers to the worker", async (t) => {
  const key = sha256(new TextEncoder().encode("worker key"));
  const me = addressOf(key);
  const c = buildClaim(job, job.modelId, sha256(new TextEncoder().encode("input")), run, cids);
  const sig = signWorkerClaim(c, key, 31337n, bridge, me);
  t.match(sig, /^0x[0-9a-f]{130}$/);
  t.equal(recoverClaimSigner(c, sig, claimDomain(31337n, bridge)), me);
  t.not(recoverClaimSigner(c, sig, claimDomain(1n, bridge)), me, "another chain recovers someone else");
  t.throws(
    () => signWorkerClaim(c, key, 31337n, bridge, `0x${"11".repeat(20)}`),
    /recovers to 0x.*expected 0x1111/,
  );
});

t.test("config: required fields, named errors, defaults", async (t) => {
  const base = { l1Rpc: "http://127.0.0.1:8545", bridge, models: ["m.onnx"] };
  const cfg = resolveWorkerConfig(base, {});
  t.equal(cfg.key, DEV_WORKER_KEY, "dev key by default");
  t.equal(
    addressOf(Buffer.from(DEV_WORKER_KEY.slice(2), "hex")),
    "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
    "anvil account 2",
  );
  t.equal(cfg.capacity, WORKER_DEFAULTS.capacity);
  t.equal(cfg.testFault, null, "no fault by default");
  t.equal(
    resolveWorkerConfig({ ...base, capacity: "3", price: "10" }, {}).capacity,
    3,
    "flag strings parsed",
  );
  t.equal(
    resolveWorkerConfig(base, { VERDICT_WORKER_KEY: `0x${"22".repeat(32)}` }).key,
    `0x${"22".repeat(32)}`,
    "env key",
  );
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ l1Rpc: undefined }, /l1Rpc \(--l1-rpc\) is required/],
    [{ l1Rpc: "ftp://x" }, /l1Rpc must be http\(s\)/],
    [{ bridge: "0x12" }, /bridge \(--bridge\) must be a 20-byte 0x address/],
    [{ models: [] }, /at least one model file is required/],
    [{ key: "0xabc" }, /key .* must be 32 bytes/],
    [{ capacity: 0 }, /capacity must be an integer in \[1, 1024\], got 0/],
    [{ price: "-1" }, /price must be a non-negative integer/],
    [{ testFault: "lie" }, /unknown test fault 'lie'/],
    [{ sequencer: "not a url" }, /sequencer is not a valid URL/],
    [{ disputeWindowMs: "-5" }, /disputeWindowMs must be an integer/],
    [{ disputeWindowMs: "soon" }, /disputeWindowMs must be an integer/],
  ];
  t.equal(cfg.disputeWindowMs, null, "dispute window: the challenge window unless given");
  t.equal(resolveWorkerConfig({ ...base, disputeWindowMs: "3600000" }, {}).disputeWindowMs, 3_600_000);
  for (const [over, re] of bad)
    t.throws(() => resolveWorkerConfig({ ...base, ...over }, {}), re, JSON.stringify(over));
});

t.test("a test fault needs a dev chain or the explicit guard", async (t) => {
  const f = { testFault: "wrong-element" as const, iKnowThisIsATestFault: false };
  t.doesNotThrow(() => checkFaultAllowed(f, 31337), "dev chain");
  t.throws(() => checkFaultAllowed(f, 1), ConfigError);
  t.throws(
    () => checkFaultAllowed(f, 1),
    /test fault 'wrong-element' refused on L1 chain 1.*--i-know-this-is-a-test-fault/,
  );
  t.doesNotThrow(() => checkFaultAllowed({ ...f, iKnowThisIsATestFault: true }, 1), "guard given");
  t.doesNotThrow(
    () => checkFaultAllowed({ testFault: null, iKnowThisIsATestFault: false }, 1),
    "honest anywhere",
  );
});

t.test("CID forms: binary in txs, strings for the content layer", async (t) => {
  const s = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  const b = cidToBytesHex(s);
  t.match(b, /^0x01551220/);
  t.equal(cidToString(b), s, "round trip");
  t.throws(() => cidToString("0x1234"), CidFormatError);
  t.throws(() => cidToString("0x"), /not a binary CID/);
});
