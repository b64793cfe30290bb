/**
 * The committed typed artifacts in contracts/artifacts/ are what contracts/build.ts makes from
 * contracts/src/ now: rebuild into a temp dir and compare file by file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { ARTIFACT_DIR, buildContracts } from "../../../contracts/build.ts";

t.test("committed artifacts are up to date with contracts/src", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "verdict-artifacts-"));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const built = buildContracts(out);
  t.ok(
    built.some((b) => b.name === "Bridge"),
    "Bridge is built",
  );
  const fresh = readdirSync(out).sort();
  const committed = readdirSync(ARTIFACT_DIR).sort();
  t.same(committed, fresh, "same artifact files (run npm run contracts:build and commit)");
  for (const f of fresh) {
    const same = readFileSync(join(out, f), "utf8") === readFileSync(join(ARTIFACT_DIR, f), "utf8");
    t.ok(same, `${f} is current (run npm run contracts:build and commit)`);
  }
});

t.test("artifacts export a const ABI and 0x bytecode per contract", async (t) => {
  const mod = await import("../../../contracts/artifacts/index.ts");
  t.ok(Array.isArray(mod.bridgeAbi) && mod.bridgeAbi.length > 20);
  t.match(mod.bridgeBytecode, /^0x[0-9a-f]{1000,}$/);
  const names = new Set<string>();
  for (const x of mod.bridgeAbi) if (x.type === "function") names.add(x.name);
  for (const fn of ["postBatch", "proveWithdrawal", "deposit", "stake", "unbond", "registerModel"])
    t.ok(names.has(fn), fn);
});
