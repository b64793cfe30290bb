// The dashboard's one script: reads the sequencer's JSON routes and follows /v1/events.
// Plain DOM, no framework. Every value from the network goes in as text (never as HTML):
// worker multiaddrs and the like are written by strangers.

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const short = (hex, n = 6) =>
  typeof hex === "string" && hex.length > 2 + 2 * n
    ? `${hex.slice(0, 2 + n)}…${hex.slice(-4)}`
    : (hex ?? "–");
const hashCell = (hex, n) => h("code", { title: hex ?? "" }, short(hex, n));

/** wei (decimal string) as ETH with up to 6 decimals. */
function eth(wei) {
  if (wei === null || wei === undefined) return "–";
  const v = BigInt(wei);
  // below a millionth of an ETH the decimals would read 0: say wei
  if (v !== 0n && v < 10n ** 12n) return `${v} wei`;
  const whole = v / 10n ** 18n;
  const frac = (v % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} ETH`;
}

function ago(ms) {
  if (!ms) return "–";
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 0) return new Date(ms).toLocaleTimeString();
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return new Date(ms).toLocaleString();
}

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error ?? `${r.status}`);
  return body;
}

function setRows(tbody, rows, empty) {
  tbody.replaceChildren(
    ...(rows.length ? rows : [h("tr", { class: "empty" }, h("td", { colspan: 9 }, empty))]),
  );
}

/** Runs `fn` at most once at a time; a call while it runs schedules one more run after. */
function serial(fn) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await fn();
        } catch (e) {
          showError(e);
        }
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };
  return run;
}

function showError(e) {
  const live = $("live");
  live.textContent = `error: ${e.message}`;
  live.className = "live off";
}

// ------------------------------------------------------------------ head and blocks

let head = -1;
let challengeWindowMs = 0;

function showHead(n) {
  if (n <= head) return;
  head = n;
  $("head-number").textContent = String(n);
}

function blockRow(b) {
  return h(
    "tr",
    { "data-block": b.number },
    h("td", { class: "num" }, b.number),
    h("td", {}, ago(b.timestamp)),
    h("td", { class: "num", title: (b.txTypes ?? []).join(", ") }, b.txCount),
    h("td", {}, hashCell(b.hash, 8)),
  );
}

const refreshBlocks = serial(async () => {
  const [health, blocks] = await Promise.all([getJson("/health"), getJson("/v1/blocks?limit=12")]);
  showHead(health.head);
  $("role").textContent = health.role;
  $("state-root").textContent = short(health.stateRoot, 10);
  $("state-root").title = health.stateRoot;
  $("pending").textContent = String(health.pendingTxs);
  setRows($("blocks"), blocks.map(blockRow), "no blocks yet");
});

// ------------------------------------------------------------------ jobs, claims, workers

const statusBadge = (s) => h("span", { class: `badge st-${s}` }, s);

function jobRow(j) {
  return h(
    "tr",
    { "data-job": j.id, "data-status": j.status },
    h("td", {}, hashCell(j.id)),
    h(
      "td",
      { class: "status" },
      statusBadge(j.status),
      j.refundReason ? [" ", h("span", { class: "why" }, j.refundReason)] : null,
    ),
    h("td", {}, hashCell(j.modelId)),
    h("td", {}, hashCell(j.requester, 4), j.source === "l1" ? h("span", { class: "tag" }, "L1") : null),
    h("td", {}, j.worker ? hashCell(j.worker, 4) : "–"),
    h("td", { class: "num" }, eth(j.escrow)),
    h("td", {}, ago(j.postedAt)),
  );
}

function claimRow(j) {
  const ends = j.submittedAt + challengeWindowMs;
  let window = `open until ${new Date(ends).toLocaleTimeString()}`;
  if (j.status === "disputed") window = `disputed (dispute #${j.disputeId})`;
  else if (j.status === "paid") window = "closed: paid";
  else if (j.status === "refunded") window = `closed: refunded (${j.refundReason})`;
  else if (Date.now() >= ends) window = "over: can be finalized";
  return h(
    "tr",
    { "data-claim": j.id },
    h("td", {}, hashCell(j.id)),
    h("td", {}, hashCell(j.worker, 4)),
    h("td", {}, hashCell(j.claim.outputRoot, 10)),
    h("td", {}, hashCell(j.claim.traceRoot, 10)),
    h("td", {}, ago(j.submittedAt)),
    h("td", {}, window),
  );
}

const refreshJobs = serial(async () => {
  const r = await getJson("/v1/jobs?limit=50");
  challengeWindowMs = r.challengeWindowMs;
  $("jobs-total").textContent =
    `${r.total} posted${r.total > r.jobs.length ? `, newest ${r.jobs.length} shown` : ""}`;
  setRows($("jobs"), r.jobs.map(jobRow), "no jobs yet");
  setRows($("claims"), r.jobs.filter((j) => j.claim).map(claimRow), "no results submitted yet");
});

function workerRow(w) {
  return h(
    "tr",
    { "data-worker": w.address },
    h("td", {}, hashCell(w.address, 4)),
    h("td", { title: w.models.join("\n") }, w.models.map((m) => short(m, 4)).join(", ")),
    h("td", { class: "num" }, eth(w.price)),
    h("td", { class: "num" }, `${w.active}/${w.capacity}`),
    h("td", { class: "addr" }, w.multiaddr || "–"),
  );
}

const refreshWorkers = serial(async () => {
  const ws = await getJson("/v1/workers");
  setRows($("workers"), ws.map(workerRow), "no workers registered");
});

// ------------------------------------------------------------------ disputes

const LADDER = [
  { stage: "output", label: "level 0 · output" },
  { stage: "trace", label: "level 1 · trace" },
  { stage: "leaf", label: "node" },
  { stage: "chunk", label: "level 2 · tensor" },
  { stage: "element", label: "element" },
  { stage: "fold", label: "level 3 · fold" },
  { stage: "one-step", label: "one step" },
];

function ladder(d) {
  const n = d.narrowing;
  // how far the game got: the current stage, or for a resolved game what it pinned down
  const level0 = n.output !== null;
  const reached = {
    output: level0,
    trace: !level0,
    leaf: n.node !== null,
    chunk: n.node !== null,
    element: n.chunk !== null,
    fold: n.fold !== null,
    "one-step": d.stage === "one-step" || d.moves.some((m) => m.event === "OneStepChecked"),
  };
  // a level-0 game is decided at level 0; any other starts at the trace descent
  const steps = level0 ? LADDER.slice(0, 1) : LADDER.slice(1);
  const at = steps.findIndex((s) => s.stage === d.stage);
  return h(
    "ol",
    { class: "ladder" },
    steps.map((s, i) => {
      const cls = i === at ? "now" : (at >= 0 ? i < at : reached[s.stage]) ? "done" : "todo";
      return h("li", { class: cls, "data-stage": s.stage }, s.label);
    }),
  );
}

function facts(d) {
  const n = d.narrowing;
  const rows = [];
  const add = (k, v) => rows.push(h("dt", {}, k), h("dd", {}, v));
  if (n.output !== null) add("output", `graph output ${n.output} against the claim's output root`);
  if (n.trace)
    add(
      "trace nodes left",
      n.trace.size === 1
        ? `node ${n.trace.from}`
        : `${n.trace.from}–${n.trace.to} (${n.trace.size}${n.trace.nodeCount ? ` of ${n.trace.nodeCount}` : ""}), tree node ${n.trace.from >> n.trace.depthLeft}, ${n.trace.depthLeft} levels left`,
    );
  if (n.node !== null) add("node", String(n.node));
  if (n.chunks) add("chunks left", `${n.chunks.from}–${n.chunks.to} of ${n.chunks.chunkCount}`);
  if (n.chunk !== null) add("chunk", n.chunk);
  if (n.element !== null) add("element", `${n.element} (claimed value ${n.value})`);
  if (n.fold) add("fold", `[${n.fold.kLo}, ${n.fold.kHi}] of ${n.fold.foldLength} steps`);
  add("clocks left", `claimer ${d.clocks.claimer}s · challenger ${d.clocks.challenger}s`);
  if (d.stage === "resolved") add("winner", `${d.winner}${d.reason ? `: ${d.reason}` : ""}`);
  return h("dl", { class: "facts" }, rows);
}

/** Disputes whose move list the reader opened: kept open across the 2 s refreshes. */
const openMoves = new Set();
document.addEventListener(
  "toggle",
  (e) => {
    const id = e.target.getAttribute?.("data-for");
    if (!id) return;
    if (e.target.open) openMoves.add(id);
    else openMoves.delete(id);
  },
  true,
);

function disputeCard(d) {
  return h(
    "article",
    {
      class: `dispute ${d.stage === "resolved" ? `won-${d.winner}` : "live"}`,
      "data-dispute": d.id,
      "data-phase": d.phaseName,
    },
    h(
      "header",
      {},
      h("span", { class: "did" }, `Dispute #${d.id}`),
      h("span", { class: "level" }, d.level),
      d.jobId ? h("span", { class: "job" }, "job ", hashCell(d.jobId)) : null,
    ),
    h(
      "div",
      { class: "parties" },
      "claimer ",
      hashCell(d.claimer, 4),
      " vs challenger ",
      hashCell(d.challenger, 4),
    ),
    ladder(d),
    h("p", { class: "headline" }, d.headline),
    facts(d),
    h(
      "details",
      { class: "moves", open: openMoves.has(d.id) ? "" : null, "data-for": d.id },
      h("summary", {}, `${d.moves.length} events`),
      h(
        "ol",
        {},
        d.moves.map((m) =>
          h("li", {}, m.block ? h("span", { class: "blk" }, `L1 block ${m.block}`) : null, m.text),
        ),
      ),
    ),
  );
}

const refreshDisputes = serial(async () => {
  const r = await getJson("/v1/disputes?limit=10");
  const note = $("disputes-note");
  if (!r.l1) note.textContent = r.note;
  else if (!r.game) note.textContent = "the Bridge names no DisputeGame yet";
  else note.textContent = `${r.count} dispute${r.count === 1 ? "" : "s"} on game ${r.game}`;
  const box = $("disputes");
  box.replaceChildren(
    ...(r.disputes.length ? r.disputes.map(disputeCard) : [h("p", { class: "empty" }, "no disputes")]),
  );
});

// ------------------------------------------------------------------ balances

async function lookUp(ev) {
  ev.preventDefault();
  const out = $("balance-result");
  const addr = $("balance-address").value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(addr)) {
    out.replaceChildren(h("span", { class: "err" }, "enter an address: 0x and 40 hex digits"));
    return;
  }
  // the last answer goes at once: a balance on screen is never an older lookup's
  out.replaceChildren(h("span", { class: "sub" }, "looking up…"));
  try {
    const a = await getJson(`/v1/accounts/${addr}`);
    out.replaceChildren(
      h("div", { class: "balance", "data-address": addr.toLowerCase() }, eth(a.balance)),
      h("div", { class: "sub" }, `${a.balance} wei · next nonce ${a.nonce}`),
    );
  } catch (e) {
    out.replaceChildren(h("span", { class: "err" }, e.message));
  }
}

// ------------------------------------------------------------------ live updates

let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshBlocks();
    refreshJobs();
    refreshWorkers();
  }, 200);
}

function follow() {
  const live = $("live");
  const es = new EventSource("/v1/events");
  es.addEventListener("open", () => {
    live.textContent = "live";
    live.className = "live on";
    refreshSoon();
  });
  es.addEventListener("block", (e) => {
    const b = JSON.parse(e.data);
    showHead(b.header.number);
    refreshSoon();
  });
  es.addEventListener("tx", () => refreshSoon());
  es.addEventListener("error", () => {
    // EventSource reconnects by itself; say so meanwhile
    live.textContent = "reconnecting…";
    live.className = "live off";
  });
}

$("balance-form").addEventListener("submit", lookUp);
refreshBlocks();
refreshJobs();
refreshWorkers();
refreshDisputes();
follow();
// disputes move on L1, not on L2 blocks: poll them
setInterval(refreshDisputes, 2000);
// keep "n s ago" and the challenge windows current between blocks
setInterval(refreshSoon, 10_000);
