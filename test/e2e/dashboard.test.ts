// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright innerText is the rendered text a person reads: what this test checks
/**
 * The dashboard as a person sees it, in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; nothing is downloaded). A real sequencer is wired to the embedded L1 over
 * HTTP with the Bridge and DisputeGame deployed; the test makes a deposit on L1, a worker, a job,
 * a lying claim and a dispute, plays the dispute move by move with the planners, and checks on
 * the page: the head block advancing live (no reload), the job rows and their status, the worker,
 * the claim's roots, the dispute narrowing level by level until the challenger wins, a balance
 * lookup, and no console errors. A screenshot goes to /tmp/verdict-dashboard*.png.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import t from "tap";
import { parseEther } from "viem";
import { embeddedL1Clients } from "../../bridge/clients.ts";
import { startDevnet } from "../../bridge/devnet.ts";
import { DisputeGameContract } from "../../bridge/dispute/game.ts";
import { encodeTensorFile } from "../../content/tensor-file.ts";
import { fromHex, toHex } from "../../protocol/bytes.ts";
import { claimDomain, l2Domain } from "../../protocol/eip712.ts";
import { sha256 } from "../../protocol/sha256.ts";
import {
  encodeTx,
  type Hex,
  NO_GENERATION,
  signClaim,
  signTx,
  type UnsignedUserTx,
  type UserTx,
} from "../../protocol/tx.ts";
import { tensorListRoot } from "../../prover-trace/commit/model.ts";
import { DEFAULTS, type SequencerConfig } from "../../sequencer/config.ts";
import { PHASES } from "../../sequencer/dashboard/summary.ts";
import { startSequencer } from "../../sequencer/run.ts";
import { type Move, Phase, planChallengerMove, planClaimerMove } from "../../verifier/game/planner.ts";
import { buildPartyView } from "../../verifier/game/view.ts";
import { mlpFixture, registerModel, tamper } from "../helpers/dispute.ts";
import { cidHexOf } from "../helpers/registered-model.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOT = join(tmpdir(), "verdict-dashboard.png");
const SHOT_GAME = join(tmpdir(), "verdict-dashboard-dispute.png");

/** Chromium flags: no sandbox (CI containers), and nothing that phones home on a closed network. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const WORKER = 1;
const CHALLENGER = 2;
const REQUESTER = 3;

t.test(
  "dashboard in headless Chromium: live head, jobs, worker, claim, dispute narrowing, balance",
  {
    skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (.ci/run installs Debian's chromium)`,
    timeout: 240_000,
  },
  async (t) => {
    const f = await mlpFixture();
    const honest = buildPartyView(f.model, [f.input], f.outputs);
    const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 270));
    const devnet = await startDevnet({ port: 0 });
    t.teardown(() => devnet.close());
    const dep = devnet.deployment!;
    const acct = (i: number) => devnet.chain.accounts[i];
    const l1As = (i: number) => embeddedL1Clients(devnet.chain, { privateKey: acct(i).privateKey });
    const bridgeAs = (i: number) => dep.bridge.as(l1As(i).walletClient!);
    const gameAs = (i: number) => new DisputeGameContract(l1As(i), dep.disputeGame);

    const modelId = await registerModel(dep.bridge, f.model);
    await bridgeAs(WORKER).stake(parseEther("2"));
    await bridgeAs(CHALLENGER).depositBond(dep.params.challengerBond);

    const dir = mkdtempSync(join(tmpdir(), "verdict-dash-e2e-"));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const cfg: SequencerConfig = {
      ...DEFAULTS,
      dataDir: dir,
      httpPort: 0,
      blockTimeMs: 100,
      verifyWorkers: 0,
      l1Rpc: devnet.http!.url,
      l1Confirmations: 0,
      l1StartBlock: Number(dep.blockNumber),
      l1Key: acct(0).privateKey,
      batchIntervalMs: 3_600_000,
      genesis: { ...DEFAULTS.genesis, bridge: dep.address, l1ChainId: String(devnet.chain.chainId) },
    };
    const seq = await startSequencer(cfg, pino({ level: "warn" }));
    t.teardown(() => seq.close());
    const domain = l2Domain(BigInt(cfg.genesis.l2ChainId));
    const nonces = new Map<number, number>();
    async function send(who: number, body: Record<string, unknown>): Promise<Hex> {
      const nonce = nonces.get(who) ?? 0;
      nonces.set(who, nonce + 1);
      const from = acct(who).address.toLowerCase();
      const tx = { ...body, from, nonce, fee: 0n } as unknown as UnsignedUserTx;
      const r = await fetch(`${seq.url}/v1/txs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(encodeTx(signTx(tx, fromHex(acct(who).privateKey), domain) as UserTx)),
      });
      const out = (await r.json()) as { txHash?: Hex; error?: string };
      if (!out.txHash) throw new Error(`${body.type}: ${r.status} ${out.error}`);
      return out.txHash;
    }
    const requester = acct(REQUESTER).address.toLowerCase();
    const worker = acct(WORKER).address.toLowerCase();

    // ---- the browser
    const profile = mkdtempSync(join(tmpdir(), "verdict-chromium-"));
    t.teardown(() => rmSync(profile, { recursive: true, force: true }));
    const ctx: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    t.teardown(() => ctx.close());
    const browser = ctx.browser() as Browser | null;
    t.comment(`chromium ${browser?.version() ?? "(persistent context)"}`);
    const page: Page = await ctx.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      // the event stream is cut when the page closes; anything else failing is a problem
      if (!r.url().endsWith("/v1/events"))
        problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });

    await page.goto(`${seq.url}/`);
    await page.locator("#live.on").waitFor({ timeout: 10_000 });
    const headText = () => page.locator("#head-number").innerText();
    const head0 = Number(await headText());
    t.ok(Number.isInteger(head0), `head shown: ${head0}`);

    // ---- L1 deposit: credited on L2, the head advances on the open page (no reload)
    await bridgeAs(REQUESTER).deposit(requester as Hex, parseEther("1"));
    const deadline = Date.now() + 15_000;
    while (Number(await headText()) <= head0 && Date.now() < deadline) await page.waitForTimeout(100);
    t.ok(Number(await headText()) > head0, `the head advanced live: ${head0} -> ${await headText()}`);

    // ---- a worker, a job, a claim (a lie at node 5, element 270)
    await send(WORKER, {
      type: "registerWorker",
      models: [modelId],
      price: 1000n,
      capacity: 4,
      multiaddr: "/ip4/127.0.0.1/tcp/4001",
    });
    await page.locator(`#workers tr[data-worker="${worker}"]`).waitFor({ timeout: 10_000 });
    t.match(
      await page.locator(`#workers tr[data-worker="${worker}"]`).innerText(),
      /0\/4/,
      "worker row: 0 of 4 busy",
    );

    const inputRoot = toHex(tensorListRoot([f.input]));
    const jobId = await send(REQUESTER, {
      type: "postJob",
      modelId,
      inputRoot,
      inputCid: await cidHexOf(encodeTensorFile([f.input])),
      escrow: parseEther("0.01"),
      deadline: Date.now() + 3_600_000,
    });
    const jobRow = page.locator(`#jobs tr[data-job="${jobId}"]`);
    await jobRow.waitFor({ timeout: 10_000 });
    await page.locator(`#jobs tr[data-job="${jobId}"][data-status="open"]`).waitFor();
    t.match(await jobRow.innerText(), /open/, "the job row shows open");
    const balanceOf = async (addr: string) => {
      await page.fill("#balance-address", addr);
      // the page clears the last answer on submit (else the same address's older balance would
      // be read back before the new one arrives: CI read 0.99 ETH after the refund that way)
      await page.click("#balance-form button");
      const shown = page.locator(`#balance-result .balance[data-address="${addr.toLowerCase()}"]`);
      await shown.waitFor();
      return shown.innerText();
    };
    t.equal(await balanceOf(acct(REQUESTER).address), "0.99 ETH", "1 ETH deposited, 0.01 in escrow");

    await send(WORKER, { type: "claimJob", jobId });
    await page.locator(`#jobs tr[data-job="${jobId}"][data-status="claimed"]`).waitFor();
    t.match(await jobRow.innerText(), /claimed/, "then claimed");

    const lastNode = liar.trace.outputs[f.model.nodeCount - 1][0];
    const claim = {
      jobId,
      worker: acct(WORKER).address.toLowerCase() as Hex,
      modelId,
      inputRoot,
      outputRoot: toHex(sha256(lastNode.root)),
      traceRoot: toHex(liar.trace.root),
      generationSpec: NO_GENERATION,
      outputCid: `0x01551220${"aa".repeat(32)}` as Hex,
      traceCid: "0x" as Hex,
    };
    const signature = signClaim(
      claim,
      fromHex(acct(WORKER).privateKey),
      claimDomain(BigInt(dep.chainId), dep.address),
    );
    await send(WORKER, { type: "submitResult", claim, claimSignature: signature });
    await page.locator(`#jobs tr[data-job="${jobId}"][data-status="submitted"]`).waitFor();
    t.match(await jobRow.innerText(), /submitted/, "then submitted");
    const claimRow = page.locator(`#claims tr[data-claim="${jobId}"]`);
    await claimRow.waitFor();
    t.equal(
      await claimRow.locator("code").nth(3).getAttribute("title"),
      claim.traceRoot,
      "the claim row carries the trace root",
    );

    // ---- the dispute: opened on L1, played move by move; the card follows
    const opened = await gameAs(CHALLENGER).open(claim, signature);
    const card = page.locator(`#disputes article[data-dispute="${opened.disputeId}"]`);
    await card.waitFor({ timeout: 10_000 });
    const level = () => card.locator(".level").innerText();
    const headline = () => card.locator(".headline").innerText();
    t.equal(await level(), "Level 1 · trace descent");
    t.match(await headline(), /trace nodes 0–10 of 11/, "all 11 trace nodes in dispute at first");
    t.match(await card.innerText(), new RegExp(`job 0x${jobId.slice(2, 8)}`), "the card names the job");
    // L2 derives the opening from L1: the job is disputed, its claim row says by which dispute
    await page.locator(`#jobs tr[data-job="${jobId}"][data-status="disputed"]`).waitFor({ timeout: 10_000 });
    t.match(await claimRow.innerText(), new RegExp(`disputed \\(dispute #${opened.disputeId}\\)`));

    const seen: { phase: number; level: string; headline: string }[] = [];
    rmSync(SHOT_GAME, { force: true });
    const game = gameAs(CHALLENGER);
    for (let turn = 0; turn < 64; turn++) {
      const view = await game.readGame(opened.disputeId);
      const phase = view.dispute.phase;
      // wait until the page shows this phase, then read what it says
      await card.and(page.locator(`[data-phase="${PHASES[phase].name}"]`)).waitFor({ timeout: 10_000 });
      seen.push({ phase, level: await level(), headline: await headline() });
      if (phase === Phase.foldPick && !existsSync(SHOT_GAME))
        await page.screenshot({ path: SHOT_GAME, fullPage: true });
      if (phase === Phase.resolved) break;
      const c = planClaimerMove(liar, view);
      const move = (c ?? planChallengerMove(honest, view)) as Move;
      await (c ? gameAs(WORKER) : gameAs(CHALLENGER)).play(opened.disputeId, move);
    }
    for (const s of seen) t.comment(`phase ${s.phase}: ${s.level} | ${s.headline}`);
    const levels = [...new Set(seen.map((s) => s.level))];
    t.same(
      levels,
      [
        "Level 1 · trace descent",
        "Level 1 · trace leaf found",
        "Level 2 · tensor descent",
        "Level 2 · element",
        "Level 3 · fold bisection",
        "Level 3 · one step",
        "Resolved",
      ],
      "the card walks the levels in order",
    );
    const h = (p: number) => seen.find((s) => s.phase === p)?.headline ?? "";
    t.match(h(Phase.tracePick), /trace nodes 0–10 of 11 · waiting: challenger picks a trace child/);
    t.match(h(Phase.leafReveal), /node 5 /, "the trace descent ends at node 5");
    t.match(h(Phase.elementPick), /node 5, chunk 1 /, "element 270 lies in chunk 1");
    const folds = seen.filter((s) => s.phase === Phase.foldPick).map((s) => s.headline);
    t.match(folds[0], /element 270, fold \[0, 300\] of 300/, "the fold starts over all 300 steps");
    t.ok(folds.length >= 2, `the fold range narrows (${folds.length} picks)`);
    t.match(h(Phase.oneStep), /fold \[299, 300\] of 300/, "down to one step");
    t.match(h(Phase.resolved), /^Resolved, challenger wins/);
    t.match(await card.locator(".facts").innerText(), /winner\s+challenger/);
    t.equal(await card.getAttribute("class"), "dispute won-challenger");
    // the move list, once opened, stays open across the page's refreshes
    await card.locator("details.moves summary").click();
    await page.waitForTimeout(2_500);
    const moves = card.locator("details.moves");
    t.equal(await moves.getAttribute("open"), "", "still open after a refresh");
    t.match(await moves.innerText(), /challenger picked trace child 5[\s\S]*one step checked on L1/);
    await page.locator(`#jobs tr[data-job="${jobId}"][data-status="refunded"]`).waitFor({ timeout: 10_000 });
    t.match(await jobRow.innerText(), /refunded\s+dispute lost/, "L2 refunds the requester");

    // ---- balance lookup: the escrow came back with the refund
    t.equal(await balanceOf(acct(REQUESTER).address), "1 ETH", "refunded: the whole deposit again");
    await page.fill("#balance-address", "0x123");
    await page.click("#balance-form button");
    t.match(
      await page.locator("#balance-result").innerText(),
      /enter an address/,
      "a malformed address is refused",
    );

    await page.fill("#balance-address", acct(REQUESTER).address);
    await page.click("#balance-form button");
    await page.screenshot({ path: SHOT, fullPage: true });
    t.comment(`screenshots: ${SHOT_GAME} (mid-game), ${SHOT} (resolved)`);
    t.same(problems, [], "no console errors, page errors or failed requests");
    await page.close();
  },
);
