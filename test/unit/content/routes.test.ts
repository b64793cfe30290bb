/** The content routes through fastify's inject: limits, refusals, Kubo's error shape. */
import Fastify from "fastify";
import t from "tap";
import { openHeliaContent } from "../../../content/helia.ts";
import { firstMultipartFile, registerContentRoutes } from "../../../content/routes.ts";
import { fileCid } from "../../../protocol/cid.ts";

async function setup(t: { teardown(fn: () => Promise<void> | void): void }) {
  const store = await openHeliaContent();
  const app = Fastify();
  await registerContentRoutes(app, store, { maxUploadBytes: 1000, maxServeBytes: 500, fetchTimeoutMs: 200 });
  // a JSON route beside them: the raw-body parser must not leak into the rest of the API
  app.post("/json", async (req) => ({ got: req.body }));
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  return { app, store };
}

const multipart = (bytes: Uint8Array, boundary = "XyZ") =>
  Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

t.test("POST /v1/content and GET /v1/content/:cid", async (t) => {
  const { app } = await setup(t);
  const body = Buffer.from("some bytes");
  const r = await app.inject({
    method: "POST",
    url: "/v1/content",
    payload: body,
    headers: { "content-type": "application/json" },
  });
  t.equal(r.statusCode, 200, "any content type is taken as raw bytes");
  t.equal(r.json().cid, (await fileCid(body)).toString());
  const empty = await app.inject({ method: "POST", url: "/v1/content" });
  t.equal(
    empty.json().cid,
    "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    "no body: the empty file",
  );
  const big = await app.inject({
    method: "POST",
    url: "/v1/content",
    payload: Buffer.alloc(1001),
    headers: { "content-type": "application/octet-stream" },
  });
  t.equal(big.statusCode, 413, "upload over the limit");
  const g = await app.inject({ method: "GET", url: `/v1/content/${r.json().cid}` });
  t.equal(g.statusCode, 200);
  t.equal(g.body, "some bytes");
  const okBig = await app.inject({ method: "POST", url: "/v1/content", payload: Buffer.alloc(600, 1) });
  const tooBig = await app.inject({ method: "GET", url: `/v1/content/${okBig.json().cid}` });
  t.equal(tooBig.statusCode, 413, "serving is capped too");
  t.match(tooBig.json(), { code: "too-large" });
  t.equal((await app.inject({ method: "GET", url: "/v1/content/bafyZZZ" })).statusCode, 400);
  t.equal(
    (await app.inject({ method: "GET", url: `/v1/content/${"b".repeat(300)}` })).statusCode,
    414,
    "over-long param",
  );
  t.equal(
    (await app.inject({ method: "GET", url: `/v1/content/${r.json().cid}?timeoutMs=abc` })).statusCode,
    400,
  );
  const j = await app.inject({ method: "POST", url: "/json", payload: { a: 1 } });
  t.same(j.json(), { got: { a: 1 } }, "JSON routes outside still parse JSON");
});

t.test("Kubo RPC subset: what it refuses and how", async (t) => {
  const { app, store } = await setup(t);
  const file = new TextEncoder().encode("hello\n");
  const add = (q: string, payload: Buffer = multipart(file), ct = "multipart/form-data; boundary=XyZ") =>
    app.inject({ method: "POST", url: `/api/v0/add?${q}`, payload, headers: { "content-type": ct } });
  const ok = await add("cid-version=1");
  t.equal(ok.statusCode, 200);
  t.same(JSON.parse(ok.body), {
    Name: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
    Hash: "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
    Size: "6",
  });
  for (const [q, re] of [
    ["", /CIDv1 only/],
    ["cid-version=0", /CIDv1 only/],
    ["cid-version=1&raw-leaves=false", /raw-leaves=false/],
    ["cid-version=1&chunker=rabin", /chunker rabin/],
    ["cid-version=1&trickle=true", /trickle/],
    ["cid-version=1&hash=blake2b-256", /hash blake2b-256/],
    ["cid-version=1&wrap-with-directory=true", /wrap-with-directory/],
  ] as const) {
    const r = await add(q);
    t.equal(r.statusCode, 400, q || "no cid-version");
    t.match(r.json(), { Message: re, Type: "error" });
  }
  t.match((await add("cid-version=1", multipart(file), "multipart/form-data")).json(), {
    Message: /without a boundary/,
  });
  t.match((await add("cid-version=1", Buffer.from("--XyZ\r\nno end"))).json(), {
    Message: /without headers/,
  });
  t.match((await add("cid-version=1", multipart(file).subarray(0, multipart(file).length - 10))).json(), {
    Message: /not terminated/,
  });
  const only = new TextEncoder().encode("only hashed\n");
  const oh = await add("cid-version=1&only-hash=true", multipart(only));
  t.equal(oh.statusCode, 200);
  t.notOk(await store.has(JSON.parse(oh.body).Hash), "only-hash stores nothing");

  const cat = await app.inject({
    method: "POST",
    url: `/api/v0/cat?arg=/ipfs/${JSON.parse(ok.body).Hash}&offset=1&length=3`,
  });
  t.equal(cat.body, "ell");
  t.equal((await app.inject({ method: "POST", url: "/api/v0/cat" })).statusCode, 400);
  t.equal((await app.inject({ method: "POST", url: "/api/v0/cat?arg=x&offset=-1" })).statusCode, 400);
  const missing = (await fileCid(new Uint8Array([9, 9]))).toString();
  const off = await app.inject({ method: "POST", url: `/api/v0/block/get?arg=${missing}&offline=true` });
  t.equal(off.statusCode, 500);
  t.match(off.json(), { Message: /not found locally/ });
  const timeout = await app.inject({ method: "POST", url: `/api/v0/block/get?arg=${missing}` });
  t.equal(timeout.statusCode, 500, "not found on the network within the fetch timeout");
  const blk = await app.inject({ method: "POST", url: `/api/v0/block/get?arg=${JSON.parse(ok.body).Hash}` });
  t.equal(blk.body, "hello\n");
});

t.test("firstMultipartFile takes the first file part", async (t) => {
  const body = multipart(new Uint8Array([1, 2, 13, 10, 45, 45]), "b0undary");
  t.same([...firstMultipartFile(body, 'multipart/form-data; boundary="b0undary"')], [1, 2, 13, 10, 45, 45]);
  t.throws(
    () =>
      firstMultipartFile(
        Buffer.from("--b\r\nContent-Type: application/x-directory\r\n\r\n\r\n--b--"),
        "multipart/form-data; boundary=b",
      ),
    /directories/,
  );
});

t.test("uploads: per-client quota, tensor files checked where a tensor is expected", async (t) => {
  const store = await openHeliaContent();
  let now = 0;
  const app = Fastify();
  await registerContentRoutes(app, store, {
    maxUploadBytes: 1000,
    uploadLimits: { bytesPerWindow: 300, windowMs: 1000 },
    clock: () => now,
  });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const up = (payload: Buffer, type = "application/octet-stream", ip = "10.0.0.1") =>
    app.inject({
      method: "POST",
      url: "/v1/content",
      payload,
      headers: { "content-type": type },
      remoteAddress: ip,
    });

  t.equal((await up(Buffer.alloc(200, 1))).statusCode, 200);
  const over = await up(Buffer.alloc(200, 2));
  t.equal(over.statusCode, 429, "the client's allowance is 100 bytes now");
  t.match(over.json(), {
    code: "quota",
    error: /^upload quota: 100 of 300 bytes per 1 s left for this client; retry in 1 s$/,
  });
  t.equal(over.headers["retry-after"], "1");
  t.equal(await store.has((await fileCid(Buffer.alloc(200, 2))).toString()), false, "nothing was stored");
  t.equal(
    (await up(Buffer.alloc(200, 2), undefined, "10.0.0.2")).statusCode,
    200,
    "another client has its own",
  );
  now += 500; // half a window: 150 more bytes
  t.equal((await up(Buffer.alloc(200, 3))).statusCode, 200);
  const kubo = await app.inject({
    method: "POST",
    url: "/api/v0/add?cid-version=1",
    payload: multipart(new Uint8Array(250)),
    headers: { "content-type": "multipart/form-data; boundary=XyZ" },
    remoteAddress: "10.0.0.1",
  });
  t.equal(kubo.statusCode, 429, "Kubo's add counts too");
  t.match(kubo.json(), { Message: /^upload quota/, Type: "error" });

  // tensor files: "VTF1", u32 count, then per tensor dtype, rank, dims, data
  const tensors = Buffer.from([0x56, 0x54, 0x46, 0x31, 0, 0, 0, 1, 2, 1, 0, 0, 0, 3, 7, 8, 9]);
  const ok = await up(tensors, "application/vnd.verdict.tensors", "10.0.0.3");
  t.equal(ok.statusCode, 200, ok.body);
  const notTensor = await up(Buffer.from('{"just": "json"}'), "application/vnd.verdict.tensors", "10.0.0.3");
  t.equal(notTensor.statusCode, 415);
  t.match(notTensor.json(), {
    code: "not-tensors",
    error: "not a tensor file: not a tensor file (magic 'VTF1' missing)",
  });
  const trailing = await up(
    Buffer.concat([tensors, Buffer.from([0])]),
    "application/vnd.verdict.tensors",
    "10.0.0.3",
  );
  t.equal(trailing.statusCode, 415);
  t.match(trailing.json().error, /1 trailing bytes after 1 tensors/);
});
