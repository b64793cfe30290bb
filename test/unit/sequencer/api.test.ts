import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { encodeTx, signTx, type UserTx } from "../../../protocol/tx.ts";
import { buildApi } from "../../../sequencer/api.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";

const users = devKeys(2, "api-test");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });
const domain = l2Domain(genesis.l2ChainId);
const transfer = (nonce: number, amount = 1n) =>
  encodeTx(
    signTx(
      { type: "transfer", from: users[0].address, nonce, fee: 0n, to: users[1].address, amount },
      users[0].key,
      domain,
    ) as UserTx,
  );

async function setup(t: { teardown(fn: () => Promise<void> | void): void }, rateLimit = 0) {
  const d = mkdtempSync(join(tmpdir(), "verdict-api-"));
  const node = await SequencerNode.open({ dataDir: d, genesis, sequencerKey: key ?? undefined });
  const app = await buildApi(node, createMetrics(), { rateLimit });
  t.teardown(async () => {
    await app.close();
    await node.close();
    rmSync(d, { recursive: true, force: true });
  });
  return { node, app };
}

t.test("submit, look up, seal, block, receipt, account, proof", async (t) => {
  const { node, app } = await setup(t);
  const r = await app.inject({ method: "POST", url: "/v1/txs", payload: transfer(0) });
  t.equal(r.statusCode, 202, r.body);
  const { txHash } = r.json();
  t.match(txHash, /^0x[0-9a-f]{64}$/);
  t.equal((await app.inject(`/v1/receipts/${txHash}`)).json().status, "pending");
  await node.sealNow();
  const rc = (await app.inject(`/v1/receipts/${txHash}`)).json();
  t.equal(rc.status, "included");
  t.equal(rc.blockNumber, 1);
  t.equal((await app.inject(`/v1/txs/${txHash}`)).json().tx.amount, "1");
  const blk = (await app.inject("/v1/blocks/latest")).json();
  t.equal(blk.header.number, 1);
  t.equal((await app.inject("/v1/blocks/9")).statusCode, 404);
  t.same((await app.inject(`/v1/accounts/${users[1].address}`)).json(), { balance: "1001", nonce: 0 });
  const pr = (await app.inject(`/v1/proofs?key=acct/${users[1].address}`)).json();
  t.equal(pr.stateRoot, blk.header.stateRoot);
  t.ok(Array.isArray(pr.proof.siblings));
  t.equal((await app.inject("/v1/jobs/0x" + "00".repeat(32))).statusCode, 404);
  t.same((await app.inject("/v1/workers")).json(), []);
  const batch = await app.inject({
    method: "POST",
    url: "/v1/txs/batch",
    payload: [transfer(1), transfer(5), transfer(0)],
  });
  t.equal(batch.statusCode, 200);
  const [a, b, c] = batch.json();
  t.match(a.txHash, /^0x/);
  t.match(b, { queued: true, nextNonce: 2 }, "a nonce gap waits in the queue");
  t.match(b.txHash, /^0x[0-9a-f]{64}$/);
  t.same(c, { error: "bad nonce: expected 2, got 0", status: 422 }, "a replay is still refused");
  t.same((await app.inject(`/v1/receipts/${b.txHash}`)).json(), {
    status: "queued",
    txHash: b.txHash,
    nextNonce: 2,
  });
  t.match((await app.inject(`/v1/txs/${b.txHash}`)).json(), { status: "queued", tx: { nonce: 5 } });
  const health = (await app.inject("/health")).json();
  t.equal(health.ok, true);
  t.equal(health.pendingTxs, 1);
  t.equal(health.queuedTxs, 1);
  const metrics = await app.inject("/metrics");
  t.match(metrics.body, /verdict_sequencer_txs_accepted_total\{type="transfer"\} 3/);
  t.match(metrics.body, /verdict_sequencer_txs_rejected_total\{status="422"\} 1/);
  const oas = (await app.inject("/openapi.json")).json();
  t.equal(oas.openapi.slice(0, 2), "3.");
  t.ok(oas.paths["/v1/txs"], "OpenAPI lists the submit route");
});

t.test("every malformed or hostile request is refused with its reason", async (t) => {
  const { app } = await setup(t);
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url: "/v1/txs", payload: payload as string, headers });
  const cases: [Awaited<ReturnType<typeof post>>, number, RegExp][] = [
    [await post("{not json", { "content-type": "application/json" }), 400, /JSON/i],
    [await post("hello", { "content-type": "text/plain" }), 415, /Unsupported Media Type/i],
    [await post({ type: "mint" }), 400, /body\/type must be equal to one of the allowed values/],
    [await post([1, 2]), 400, /body must be object/],
    [await post({ ...transfer(0), padding: "x".repeat(20_000) }), 413, /too large/i],
    [await post({ ...transfer(0), amount: 1 }), 400, /field amount: expected a decimal string/],
    [await post({ ...transfer(0), amount: "2" }), 401, /bad signature: signed by/],
    [
      await post({ ...transfer(0), signature: `0x${"00".repeat(64)}1b` }),
      401,
      /bad signature: r is not in \[1, n-1\]/,
    ],
    [await post({ ...transfer(0), signature: `0x${"00".repeat(64)}05` }), 401, /bad signature: v must be/],
    [await post({ ...transfer(0), nonce: 3 }), 401, /bad signature/],
    [await post(transfer(40)), 422, /^nonce 40 is 40 ahead of the next nonce 0; at most 16 may wait$/],
    [await post(transfer(0, 5000n)), 422, /insufficient balance: have 1000, need 5000/],
  ];
  for (const [res, status, re] of cases) {
    t.equal(res.statusCode, status, res.body);
    t.match(res.json().error, re);
  }
  const big = await app.inject({
    method: "POST",
    url: "/v1/txs/batch",
    payload: Array(1001).fill(transfer(0)),
  });
  t.equal(big.statusCode, 400);
  t.match(big.json().error, /must NOT have more than 1000 items/);
  const nf = await app.inject("/nope");
  t.equal(nf.statusCode, 404);
  t.match(nf.json().error, /no route GET \/nope/);
  const badHash = await app.inject("/v1/receipts/0x12");
  t.equal(badHash.statusCode, 400);
  t.match(badHash.json().error, /params\/hash must match pattern/);
});

t.test("rate limit answers 429 with the limit", async (t) => {
  const { app } = await setup(t, 2);
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await app.inject("/health")).statusCode);
  t.ok(codes.includes(429), `got ${codes}`);
  const r = await app.inject("/health");
  t.match(r.json().error, /rate limit: at most 2 requests per second per client/);
});

t.test("event stream delivers tx and block events", async (t) => {
  const { node, app } = await setup(t);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const ctl = new AbortController();
  const res = await fetch(`${url}/v1/events`, { signal: ctl.signal });
  t.equal(res.headers.get("content-type"), "text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  await node.submit(transfer(0));
  await node.sealNow();
  let text = "";
  while (!text.includes("event: block")) text += new TextDecoder().decode((await reader.read()).value);
  t.match(text, /event: tx\ndata: \{"txHash":"0x[0-9a-f]{64}","type":"transfer"/);
  t.match(text, /event: block\ndata: \{"header":\{"number":1/);
  ctl.abort();
});
