import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { challengeWindowConflict } from "../../../bridge/params.ts";
import { addressOf } from "../../../protocol/secp256k1.ts";
import { DEV_SEQUENCER_KEY, keyBytes, loadConfig, resolveGenesis } from "../../../sequencer/config.ts";

t.test("defaults < file < env < flags", async (t) => {
  const d = mkdtempSync(join(tmpdir(), "verdict-cfg-"));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  const file = join(d, "c.json");
  writeFileSync(
    file,
    JSON.stringify({ httpPort: 1111, blockTimeMs: 500, dataDir: "/from-file", genesis: { minFee: "3" } }),
  );
  const c = loadConfig(
    { config: file, blockTimeMs: "50" },
    { VERDICT_SEQ_HTTP_PORT: "2222", VERDICT_SEQ_DATA_DIR: "/from-env" },
  );
  t.equal(c.httpPort, 2222, "env beats file");
  t.equal(c.blockTimeMs, 50, "flag beats file");
  t.equal(c.dataDir, "/from-env");
  t.equal(c.genesis.minFee, "3", "file genesis merged over defaults");
  t.equal(c.genesis.l2ChainId, "424242");
  t.equal(loadConfig({}, {}).httpPort, 7545, "default");
  const gc = loadConfig(
    {},
    { VERDICT_SEQ_CONTENT_GRACE_MS: "5000", VERDICT_SEQ_CONTENT_SWEEP_INTERVAL_MS: "0" },
  );
  t.same([gc.contentGraceMs, gc.contentSweepIntervalMs], [5000, 0], "upload sweeper from env (0: off)");
  t.same(
    [loadConfig({}, {}).contentGraceMs, loadConfig({}, {}).contentSweepIntervalMs],
    [86_400_000, 600_000],
    "default: 24 h grace, a sweep every 10 min",
  );
});

t.test("bad config is refused with the reason", async (t) => {
  t.throws(() => loadConfig({ httpPort: "x" }, {}), /httpPort: expected a non-negative integer, got x/);
  t.throws(() => loadConfig({ blockTimeMs: "5" }, {}), /blockTimeMs: at least 10/);
  t.throws(
    () => loadConfig({}, { VERDICT_SEQ_CONTENT_GRACE_MS: "-1" }),
    /contentGraceMs: expected a non-negative integer, got -1/,
  );
  t.throws(() => loadConfig({ config: "/nonexistent.json" }, {}), /config file \/nonexistent.json/);
  const base = loadConfig({}, {});
  t.throws(
    () => resolveGenesis({ ...base, sequencerKey: "0x12" }),
    /sequencer key: expected 0x \+ 64 hex digits/,
  );
  t.throws(
    () => resolveGenesis({ ...base, genesis: { ...base.genesis, alloc: { nope: "1" } } }),
    /genesis.alloc: not an address: nope/,
  );
  t.throws(
    () => resolveGenesis({ ...base, genesis: { ...base.genesis, sequencer: `0x${"11".repeat(20)}` } }),
    /sequencer key is for 0x[0-9a-f]{40}, but genesis.sequencer is 0x1111/,
  );
  for (const bad of ["1e18", "-1", "01", "", "0x10"]) {
    t.throws(
      () => resolveGenesis({ ...base, genesis: { ...base.genesis, claimCollateral: bad } }),
      /genesis.claimCollateral: expected a decimal amount of wei/,
      `claimCollateral ${JSON.stringify(bad)}`,
    );
  }
  const withCollateral = resolveGenesis({ ...base, genesis: { ...base.genesis, claimCollateral: "1000" } });
  t.equal(withCollateral.genesis.params.claimCollateral, 1000n, "claimCollateral reaches the chain params");
  t.equal(resolveGenesis(base).genesis.params.claimCollateral, 0n, "default: no collateral check");
});

t.test("a follower needs no key and derives the same genesis", async (t) => {
  const base = loadConfig({}, {});
  const leader = resolveGenesis(base);
  const follower = resolveGenesis({ ...base, follow: "/ip4/127.0.0.1/tcp/1/p2p/x" });
  t.equal(follower.key, null);
  t.same(follower.genesis, leader.genesis);
  t.equal(leader.genesis.sequencer, addressOf(keyBytes(DEV_SEQUENCER_KEY)));
});

t.test("the L2 challenge window must fit in the Bridge's L1 window", async (t) => {
  t.equal(challengeWindowConflict(60_000, 120n), null, "60 s in 120 s (the defaults)");
  t.equal(
    challengeWindowConflict(60_000, 60n),
    null,
    "equal is enough: L1's window starts after the L2 block",
  );
  t.match(
    challengeWindowConflict(60_001, 60n),
    /challengeWindowMs 60001\) is longer than the Bridge's L1 challenge window \(60 s\).*challengeWindow >= 61 s/,
    "one ms longer: refused, naming the L1 window it needs",
  );
  t.match(challengeWindowConflict(8000, 3n), /\(3 s\)/, "the old test network's 8 s over 3 s");
});
