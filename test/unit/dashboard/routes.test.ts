/**
 * The dashboard's routes on a real node without an L1 chain (its L1 source is in memory and only
 * registers the jobs' model): the page and its assets are served, recent
 * blocks and jobs are listed newest first with their status (jobs posted before the API started
 * included), the dispute routes say there is no L1, and malformed queries get a 400 that says why.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { connectL1, embeddedL1Clients } from "../../../bridge/clients.ts";
import { startDevnet } from "../../../bridge/devnet.ts";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../../protocol/eip712.ts";
import { sha256 } from "../../../protocol/sha256.ts";
import {
  encodeTx,
  type Hex,
  NO_GENERATION,
  signClaim,
  signTx,
  type UnsignedUserTx,
  type UserTx,
} from "../../../protocol/tx.ts";
import { tensorListRoot } from "../../../prover-trace/commit/model.ts";
import { buildApi } from "../../../sequencer/api.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { L1DisputeFeed } from "../../../sequencer/dashboard/feed.ts";
import { NO_L1 } from "../../../sequencer/dashboard/routes.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { StaticL1Source } from "../../../sequencer/l1.ts";
import { createMetrics } from "../../../sequencer/metrics.ts";
import { SequencerNode } from "../../../sequencer/node.ts";
import { type Move, planClaimerMove } from "../../../verifier/game/planner.ts";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { mlpFixture, registerModel, tamper } from "../../helpers/dispute.ts";
import { cidHexOf, modelRegistration } from "../../helpers/registered-model.ts";

const [requester, worker] = devKeys(2, "dashboard-routes");
const { genesis, key } = resolveGenesis({
  ...DEFAULTS,
  genesis: devGenesis([requester, worker], 10n ** 18n),
});
const domain = l2Domain(genesis.l2ChainId);
const model = `0x${"11".repeat(32)}` as Hex;
const nonces = new Map<string, number>();
const inputCid = await cidHexOf(new TextEncoder().encode("a dashboard job's input"));

function signed(k: typeof requester, body: Record<string, unknown>): Record<string, unknown> {
  const nonce = nonces.get(k.address) ?? 0;
  nonces.set(k.address, nonce + 1);
  const tx = { ...body, from: k.address, nonce, fee: 0n } as unknown as UnsignedUserTx;
  return encodeTx(signTx(tx, k.key, domain) as UserTx);
}

const postJob = (i: number) =>
  signed(requester, {
    type: "postJob",
    modelId: model,
    inputRoot: `0x${i.toString(16).padStart(64, "0")}`,
    inputCid,
    escrow: 1000n,
    deadline: Date.now() + 3_600_000,
  });

t.test("dashboard routes on a node without L1", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-dash-"));
  const l1 = new StaticL1Source();
  const node = await SequencerNode.open({ dataDir: dir, genesis, sequencerKey: key ?? undefined, l1 });
  t.teardown(async () => {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // block 1: the jobs' model, registered on L1
  l1.mine([await modelRegistration(model)]);
  await node.sealNow();
  // a job that exists before the API starts: found by the index's scan of the state
  const first = await node.submit(postJob(0));
  await node.sealNow();
  const app = await buildApi(node, createMetrics());
  t.teardown(() => app.close());

  for (const url of ["/", "/dashboard"]) {
    const r = await app.inject(url);
    t.equal(r.statusCode, 200, url);
    t.match(r.headers["content-type"], /text\/html/);
    t.match(r.body, /<script type="module" src="\/dashboard\/app.js">/);
  }
  const js = await app.inject("/dashboard/app.js");
  t.match(js.headers["content-type"], /javascript/);
  t.match(js.body, /new EventSource\("\/v1\/events"\)/);
  t.match((await app.inject("/dashboard/style.css")).headers["content-type"], /text\/css/);
  t.equal((await app.inject("/dashboard/../package.json")).statusCode, 404, "nothing else is served");

  await app.inject({
    method: "POST",
    url: "/v1/txs",
    payload: signed(worker, {
      type: "registerWorker",
      models: [model],
      price: 5n,
      capacity: 2,
      multiaddr: "",
    }),
  });
  const second = (await app.inject({ method: "POST", url: "/v1/txs", payload: postJob(1) })).json().txHash;
  await app.inject({
    method: "POST",
    url: "/v1/txs",
    payload: signed(worker, { type: "claimJob", jobId: second }),
  });

  // pending block included: the claim shows before the block is sealed
  let jobs = (await app.inject("/v1/jobs")).json();
  t.equal(jobs.total, 2);
  t.equal(jobs.challengeWindowMs, genesis.params.challengeWindowMs);
  t.same(
    jobs.jobs.map((j: { id: string; status: string }) => [j.id, j.status]),
    [
      [second, "claimed"],
      [first.txHash, "open"],
    ],
    "newest first, with their status",
  );
  jobs = (await app.inject("/v1/jobs?status=open&limit=5")).json();
  t.same(
    jobs.jobs.map((j: { id: string }) => j.id),
    [first.txHash],
    "filtered by status",
  );
  t.equal((await app.inject("/v1/jobs?limit=1")).json().jobs.length, 1, "limited");

  await node.sealNow();
  const blocks = (await app.inject("/v1/blocks?limit=5")).json();
  t.same(
    blocks.map((b: { number: number; txCount: number }) => [b.number, b.txCount]),
    [
      [3, 3],
      [2, 1],
      [1, 1],
      [0, 0],
    ],
    "newest first down to genesis",
  );
  t.same(blocks[0].txTypes, ["registerWorker", "postJob", "claimJob"]);

  const paths = Object.keys((await app.inject("/openapi.json")).json().paths);
  for (const p of ["/v1/blocks", "/v1/jobs", "/v1/disputes", "/v1/disputes/{id}"])
    t.ok(paths.includes(p), `${p} in the OpenAPI document`);
  t.notOk(paths.includes("/dashboard"), "the page itself is not an API route");
  const ds = (await app.inject("/v1/disputes")).json();
  t.same(ds, { l1: false, note: NO_L1, game: null, count: 0, disputes: [] }, "no L1: says so");
  const one = await app.inject("/v1/disputes/0");
  t.equal(one.statusCode, 503);
  t.equal(one.json().error, NO_L1);

  for (const [url, why] of [
    ["/v1/jobs?limit=0", /limit must be >= 1/],
    ["/v1/jobs?limit=501", /limit must be <= 500/],
    ["/v1/jobs?limit=abc", /limit must be integer/],
    ["/v1/jobs?status=lost", /status must be equal to one of the allowed values/],
    ["/v1/blocks?limit=101", /limit must be <= 100/],
    ["/v1/disputes?limit=-1", /limit must be >= 1/],
    ["/v1/disputes/x1", /id must match pattern/],
    ["/v1/disputes/123456789012345678901", /id must match pattern/],
  ] as const) {
    const r = await app.inject(url);
    t.equal(r.statusCode, 400, url);
    t.match(r.json().error, why, `${url}: ${r.json().error}`);
  }
});

t.test("dispute routes on a node with an L1 connection", async (t) => {
  const devnet = await startDevnet({ port: 0 });
  let closed = false;
  t.teardown(() => (closed ? undefined : devnet.close()));
  const dep = devnet.deployment!;
  const clients = await connectL1({ rpcUrl: devnet.http!.url });
  const dir = mkdtempSync(join(tmpdir(), "verdict-dash-l1-"));
  const node = await SequencerNode.open({ dataDir: dir, genesis, sequencerKey: key ?? undefined });
  const app = await buildApi(node, createMetrics(), { disputes: new L1DisputeFeed(clients, dep.address) });
  t.teardown(async () => {
    await app.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const list = (await app.inject("/v1/disputes")).json();
  t.same(list, { l1: true, game: dep.disputeGame, count: 0, disputes: [] }, "the Bridge's game, no disputes");
  const none = await app.inject("/v1/disputes/0");
  t.equal(none.statusCode, 404);
  t.equal(none.json().error, "no dispute 0 on L1");

  // a dispute with a few moves, read back through feeds scanning 2 blocks per getLogs and all at once
  const f = await mlpFixture();
  const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 270));
  const modelId = await registerModel(dep.bridge, f.model);
  const as = (i: number) =>
    embeddedL1Clients(devnet.chain, { privateKey: devnet.chain.accounts[i].privateKey });
  await dep.bridge.as(as(1).walletClient!).stake(2n * 10n ** 18n);
  await dep.bridge.as(as(2).walletClient!).depositBond(dep.params.challengerBond);
  const claim = {
    jobId: `0x${"01".repeat(32)}` as Hex,
    modelId,
    inputRoot: toHex(tensorListRoot([f.input])),
    outputRoot: toHex(sha256(liar.trace.outputs[f.model.nodeCount - 1][0].root)),
    traceRoot: toHex(liar.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: "0x01" as Hex,
    traceCid: "0x" as Hex,
  };
  const sig = signClaim(
    claim,
    fromHex(devnet.chain.accounts[1].privateKey),
    claimDomain(BigInt(dep.chainId), dep.address),
  );
  const { disputeId } = await new DisputeGameContract(as(2), dep.disputeGame).open(claim, sig);
  const claimerGame = new DisputeGameContract(as(1), dep.disputeGame);
  await claimerGame.play(disputeId, planClaimerMove(liar, await claimerGame.readGame(disputeId)) as Move);
  await devnet.chain.mine(5);
  const narrow = await buildApi(node, createMetrics(), {
    disputes: new L1DisputeFeed(clients, dep.address, { startBlock: Number(dep.blockNumber), maxRange: 2 }),
  });
  t.teardown(() => narrow.close());
  const one = (await app.inject(`/v1/disputes/${disputeId}`)).json();
  t.same(
    one.moves.map((m: { event: string }) => m.event),
    ["DisputeOpened", "TraceChildrenRevealed"],
    "the dispute's events so far",
  );
  t.equal(one.jobId, claim.jobId);
  t.equal(one.level, "Level 1 · trace descent");
  t.equal(one.toMove, "challenger");
  t.same((await narrow.inject(`/v1/disputes/${disputeId}`)).json(), one, "the same read 2 blocks at a time");
  const listed = (await app.inject("/v1/disputes")).json();
  t.equal(listed.count, 1);
  t.same(listed.disputes, [one]);

  await devnet.close();
  closed = true;
  const down = await app.inject("/v1/disputes");
  t.equal(down.statusCode, 502, "L1 gone: a gateway error, not a crash");
  t.match(down.json().error, /^reading disputes from L1 failed: /);
  t.notMatch(down.json().error, /\n/, "one line");
  const downOne = await app.inject("/v1/disputes/0");
  t.equal(downOne.statusCode, 502);
  t.match(downOne.json().error, /^reading dispute 0 from L1 failed: /);
});
