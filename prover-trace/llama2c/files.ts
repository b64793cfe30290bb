/**
 * Where the stories260K files live: `VERDICT_STORIES260K_DIR` if set; else
 * `../shared/models/stories260K/` relative to the project root (a git worktree's `..` is the
 * folder that holds the worktrees, where `shared/` sits beside them); else the byte-for-byte copy
 * in `test/fixtures/stories260K/` (PROVENANCE.md there), so that a clean clone without
 * `../shared` (CI) runs the same tests.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const STORIES260K_ENV = "VERDICT_STORIES260K_DIR";
const SHARED = fileURLToPath(new URL("../../../shared/models/stories260K", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../../test/fixtures/stories260K", import.meta.url));
const NAMES = { checkpoint: "stories260K.bin", tokenizer: "tok512.bin", golden: "golden.json" } as const;

function filesIn(dir: string) {
  return {
    dir,
    checkpoint: `${dir}/${NAMES.checkpoint}`,
    tokenizer: `${dir}/${NAMES.tokenizer}`,
    golden: `${dir}/${NAMES.golden}`,
  };
}

/** The three files, or a message saying what is missing and how to point at them. */
export function stories260kFiles(
  env: Record<string, string | undefined> = process.env,
):
  | { ok: true; dir: string; checkpoint: string; tokenizer: string; golden: string }
  | { ok: false; why: string } {
  const dirs = env[STORIES260K_ENV] ? [env[STORIES260K_ENV] as string] : [SHARED, FIXTURE];
  for (const dir of dirs) {
    const f = filesIn(dir);
    if ([f.checkpoint, f.tokenizer, f.golden].every((p) => existsSync(p))) return { ok: true, ...f };
  }
  return { ok: false, why: `stories260K files missing in ${dirs.join(" and ")}; set ${STORIES260K_ENV}` };
}
