/**
 * The client SDK on its own: arguments refused before anything is sent, the pure next-step rules,
 * and a lying sequencer (an HTTP server that answers with other bytes than a CID names, or a paid
 * job whose published output does not hash to its claim): each is a typed VerdictSdkError. And
 * the SDK's uploads against the real content routes: a job's input goes typed as a tensor file.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { registerContentRoutes } from "../../../content/routes.ts";
import { encodeTensorFile, TENSOR_CONTENT_TYPE } from "../../../content/tensor-file.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { fileCid } from "../../../protocol/cid.ts";
import { buildMlp } from "../../../prover-trace/builder/mlp.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { GraphBuilder } from "../../../prover-trace/onnx/graph-builder.ts";
import { encodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { createClient, type L2JobJson, nextStep, VerdictSdkError } from "../../../sdk/index.ts";

const KEY = `0x${"11".repeat(32)}` as const;
const URL_OK = "http://127.0.0.1:1";
const H = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as `0x${string}`;

const code = (c: string) => ({ name: "VerdictSdkError", code: c });

t.test("createClient refuses bad options", async (t) => {
  await t.rejects(createClient({} as never), code("bad-argument"), "no sequencerUrl");
  await t.rejects(createClient({ sequencerUrl: "not a url", privateKey: KEY }), code("bad-argument"));
  await t.rejects(createClient({ sequencerUrl: "ftp://x", privateKey: KEY }), /http\(s\)/);
  await t.rejects(createClient({ sequencerUrl: URL_OK }), /exactly one of privateKey and account/);
  await t.rejects(createClient({ sequencerUrl: URL_OK, privateKey: "0x12" as never }), /32 bytes/);
  await t.rejects(
    createClient({ sequencerUrl: URL_OK, privateKey: `0x${"00".repeat(32)}` }),
    /not a valid secp256k1 key/,
    "the zero key",
  );
  await t.rejects(createClient({ sequencerUrl: URL_OK, account: {} as never }), /viem local account/);
  await t.rejects(createClient({ sequencerUrl: URL_OK, privateKey: KEY, pollMs: 1 }), /pollMs/);
  await t.rejects(createClient({ sequencerUrl: URL_OK, privateKey: KEY, fee: -1n }), /fee/);
  await t.rejects(
    createClient({ sequencerUrl: URL_OK, privateKey: KEY, l1: { bridge: "0x1234" as never } }),
    /l1.bridge/,
  );
  await t.rejects(
    createClient({ sequencerUrl: URL_OK, privateKey: KEY, l1: { bridge: `0x${"00".repeat(20)}` } }),
    /rpcUrl or clients/,
  );
});

t.test("calls refuse bad arguments before sending anything", async (t) => {
  const c = await createClient({ sequencerUrl: URL_OK, privateKey: KEY });
  t.match(c.address, /^0x[0-9a-f]{40}$/);
  await t.rejects(c.deposit(1n), code("no-l1"), "deposit needs L1");
  await t.rejects(c.proveWithdrawal(H(1)), code("no-l1"));
  await t.rejects(c.deliverResult(0n), code("no-l1"));
  await t.rejects(c.withdraw(0n), /positive/);
  await t.rejects(c.withdraw(1 as never), /bigint/);
  await t.rejects(c.withdraw(1n, { l1Recipient: "0xabc" as never }), /l1Recipient/);
  await t.rejects(c.awaitResult("0x1234" as never), /jobId must be 32 bytes/);
  await t.rejects(c.job("nope" as never), code("bad-argument"));
  await t.rejects(c.getContent("not-a-cid"), /not a CID/);

  const onnx = encodeOnnx(buildMlp({ inputDim: 8, hidden: 16, layers: 1, classes: 2, batch: 1 }));
  const input: TensorData = { dtype: 3, shape: [1, 8], data: new Int8Array(8) };
  await t.rejects(c.postJob({ tensor: input, escrow: 1n }), /model .* or modelId/);
  await t.rejects(
    c.postJob({ model: new Uint8Array([1, 2, 3]), tensor: input, escrow: 1n }),
    /not a profile ONNX model/,
  );
  await t.rejects(c.postJob({ model: onnx, tensor: input, escrow: -1n }), /escrow/);
  await t.rejects(c.postJob({ model: onnx, escrow: 1n }), /exactly one of inputs, tensor and inputFile/);
  await t.rejects(c.postJob({ model: onnx, tensor: input, inputs: [input], escrow: 1n }), /exactly one/);
  await t.rejects(c.postJob({ model: onnx, inputs: [], escrow: 1n }), /non-empty/);
  await t.rejects(
    c.postJob({ model: onnx, tensor: { dtype: 3, shape: [1, 9], data: new Int8Array(9) }, escrow: 1n }),
    /do not fit the model/,
    "a tensor of the wrong shape",
  );
  await t.rejects(
    c.postJob({ model: onnx, tensor: { dtype: 3, shape: [1, 8], data: new Int8Array(3) }, escrow: 1n }),
    code("bad-argument"),
    "data shorter than the shape",
  );
  await t.rejects(
    c.postJob({ model: onnx, inputFile: new Uint8Array([0x56, 0x54]), escrow: 1n }),
    /inputs: /,
  );
  await t.rejects(
    c.postJob({ model: onnx, tensor: input, escrow: 1n, deadline: Date.now() - 1 }),
    /deadline/,
  );
  await t.rejects(
    c.postJob({ model: onnx, modelId: H(7), tensor: input, escrow: 1n }),
    /not the given model's id/,
  );

  // A model whose input declares a range (token ids in [0, 15]): an id outside it is refused
  // before anything is posted, naming the input, the element and the range.
  const g = new GraphBuilder("embed");
  const ids = g.input("ids", "int64", [1, 4]);
  g.inputRange("ids", 0, 15);
  const table = g.constant(
    "int8",
    [16, 2],
    Array.from({ length: 32 }, (_, i) => i - 16),
  );
  g.output(g.op("Gather", [table, ids], { axis: 0 }), "int8", [1, 4, 2]);
  const ranged = encodeOnnx(g.build());
  await t.rejects(
    c.postJob({
      model: ranged,
      tensor: { dtype: 7, shape: [1, 4], data: BigInt64Array.of(0n, 15n, 3n, 16n) },
      escrow: 1n,
    }),
    {
      ...code("bad-argument"),
      message: /input 0 \(ids\): element 3 is 16, outside the model's declared range \[0, 15\]/,
    },
    "an input outside the model's declared range",
  );
});

const job = (over: Partial<L2JobJson>): L2JobJson => ({
  id: H(1),
  source: "l2",
  requester: `0x${"aa".repeat(20)}`,
  l1RequestId: null,
  modelId: H(2),
  inputRoot: H(3),
  inputCid: "0x01",
  escrow: "1",
  deadline: 10_000,
  postedAt: 0,
  status: "open",
  worker: null,
  claim: null,
  claimSignature: null,
  submittedAt: null,
  disputeId: null,
  refundReason: null,
  ...over,
});

t.test("nextStep: what a requester does with a job", async (t) => {
  t.same(nextStep(job({ status: "paid" }), 0, 1000), { kind: "paid" });
  t.same(nextStep(job({ status: "refunded", refundReason: "dispute lost" }), 0, 1000), {
    kind: "refunded",
    reason: "dispute lost",
  });
  t.same(nextStep(job({ status: "disputed", disputeId: "7" }), 0, 1000), { kind: "disputed", disputeId: 7n });
  t.same(nextStep(job({ status: "submitted", submittedAt: 5000 }), 5999, 1000), {
    kind: "wait",
    until: 6000,
  });
  t.same(nextStep(job({ status: "submitted", submittedAt: 5000 }), 6000, 1000, 0), {
    kind: "finalize",
    why: "window closed",
  });
  t.same(nextStep(job({ status: "submitted", submittedAt: 5000 }), 6100, 1000, 250), {
    kind: "wait",
    until: 6000,
  });
  t.same(nextStep(job({ status: "claimed" }), 10_000, 1000, 0), { kind: "wait", until: 10_000 });
  t.same(nextStep(job({ status: "open" }), 10_001, 1000, 0), { kind: "finalize", why: "deadline passed" });
  t.throws(() => nextStep(job({ status: "weird" as never }), 0, 1000), /unknown job status 'weird'/);
});

t.test("a lying sequencer: content that is not its CID, an output that is not the claim's", async (t) => {
  const outputs: TensorData[] = [{ dtype: 6, shape: [1, 2], data: new Int32Array([5, 6]) }];
  const outFile = encodeTensorFile(outputs);
  const outCid = await fileCid(outFile);
  const claim = (outputRoot: `0x${string}`) => ({
    jobId: H(1),
    modelId: H(2),
    inputRoot: H(3),
    outputRoot,
    traceRoot: H(4),
    generationSpec: H(0),
    outputCid: toHex(outCid.bytes),
    traceCid: "0x01" as const,
  });
  let served = outFile;
  let root = H(9);
  const srv = createServer((req, res) => {
    const url = req.url ?? "";
    if (url.startsWith("/v1/content/")) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(served);
    } else if (url.startsWith("/v1/jobs?")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ total: 1, challengeWindowMs: 1000, jobs: [] }));
    } else if (url.startsWith("/v1/jobs/")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(job({ status: "paid", claim: claim(root), submittedAt: 1 })));
    } else {
      res.writeHead(404);
      res.end("{}");
    }
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.teardown(() => srv.close());
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const c = await createClient({ sequencerUrl: url, privateKey: KEY, pollMs: 20 });

  t.same(await c.getContent(outCid.toString()), outFile, "honest content comes back");
  await t.rejects(
    c.awaitResult(H(1), { timeoutMs: 2000 }),
    { ...code("output-mismatch"), message: /does not match the claim's outputRoot/ },
    "a paid job whose output is not what the claim committed to",
  );
  root = toHex(tensorListRoot(outputs)) as `0x${string}`;
  const ok = await c.awaitResult(H(1), { timeoutMs: 2000 });
  t.equal(ok.outcome, "paid");
  if (ok.outcome === "paid") t.same([...(ok.outputs[0].data as Int32Array)], [5, 6], "outputs decoded");

  served = encodeTensorFile([{ dtype: 6, shape: [1, 2], data: new Int32Array([5, 7]) }]);
  await t.rejects(c.getContent(outCid.toString()), {
    ...code("content"),
    message: /came back as other bytes/,
  });
  await t.rejects(
    c.awaitResult(H(1), { timeoutMs: 2000 }),
    code("content"),
    "awaitResult checks the CID too",
  );
  t.ok(new VerdictSdkError("timeout", "x") instanceof Error);
});

t.test("a viem local account signs L2 txs exactly as the raw key does", async (t) => {
  const { privateKeyToAccount } = await import("viem/accounts");
  const { decodeTx, txDigest, verifyTxSignature } = await import("../../../protocol/tx.ts");
  const { l2Domain } = await import("../../../protocol/eip712.ts");
  const posted: Record<string, unknown>[] = [];
  const srv = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/v1/accounts/")) return res.end(JSON.stringify({ balance: "0", nonce: 3 }));
      if (req.url === "/v1/txs" && req.method === "POST") {
        posted.push(JSON.parse(body));
        res.writeHead(202);
        return res.end(JSON.stringify({ txHash: H(0x42) }));
      }
      res.writeHead(404);
      res.end(JSON.stringify({ error: "no" }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  t.teardown(() => srv.close());
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const byKey = await createClient({ sequencerUrl: url, privateKey: KEY });
  const byAccount = await createClient({ sequencerUrl: url, account: privateKeyToAccount(KEY) });
  t.equal(byAccount.address, byKey.address);
  const to = `0x${"ab".repeat(20)}` as const;
  t.same(await byKey.withdraw(5n, { l1Recipient: to }), { l2TxHash: H(0x42) });
  await byAccount.withdraw(5n, { l1Recipient: to });
  t.equal(posted.length, 2);
  t.same(posted[0], posted[1], "the same tx, the same signature");
  t.match(posted[0], { type: "withdraw", from: byKey.address, nonce: 3, amount: "5", l1Recipient: to });
  const tx = decodeTx(posted[0]) as Parameters<typeof verifyTxSignature>[0];
  t.doesNotThrow(
    () => verifyTxSignature(tx, txDigest(tx, l2Domain(424242n))),
    "the signature recovers to from",
  );
});

t.test("package.json exports the SDK as verdict/sdk", async (t) => {
  const viaPackage = await import("verdict/sdk");
  t.equal(viaPackage.createClient, createClient, "the same module as ./sdk/index.ts");
  t.equal(viaPackage.VerdictSdkError, VerdictSdkError);
});

t.test("uploads through the real content routes: a job's input is sent typed as a tensor file", async (t) => {
  const store = await openHeliaContent();
  const app = Fastify();
  await registerContentRoutes(app, store, {
    maxUploadBytes: 1 << 20,
    maxServeBytes: 1 << 20,
    fetchTimeoutMs: 200,
  });
  const uploadTypes: string[] = [];
  app.addHook("onRequest", async (req) => {
    if (req.method === "POST" && req.url === "/v1/content")
      uploadTypes.push(String(req.headers["content-type"]));
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const c = await createClient({ sequencerUrl: url, privateKey: KEY, pollMs: 20 });
  const input: TensorData = { dtype: 3, shape: [1, 4], data: new Int8Array([1, 2, 3, 4]) };
  const file = encodeTensorFile([input]);

  t.equal(await c.putContent(file, { tensorFile: true }), (await fileCid(file)).toString(), "a tensor file");
  const notTensor = new TextEncoder().encode("not a tensor file");
  const refused = await c.putContent(notTensor, { tensorFile: true }).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(refused instanceof VerdictSdkError, "typed bytes that do not decode: refused by the node");
  t.match(refused, { code: "content", status: 415, message: /not a tensor file/ });
  t.equal(await c.putContent(notTensor), (await fileCid(notTensor)).toString(), "untyped, any bytes go");
  t.same(uploadTypes, [TENSOR_CONTENT_TYPE, TENSOR_CONTENT_TYPE, "application/octet-stream"]);

  // postJob uploads its input first (typed), then fails here: this server has no /v1/accounts
  uploadTypes.length = 0;
  await t.rejects(c.postJob({ modelId: H(2), tensor: input, escrow: 1n }));
  t.same(uploadTypes, [TENSOR_CONTENT_TYPE], "postJob sent the input as a tensor file");
});
