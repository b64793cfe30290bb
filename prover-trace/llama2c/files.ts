/**
 * Where the stories260K files live. Tests, the bench and the CLI read them from
 * `../shared/models/stories260K/` relative to the project root (a git worktree's `..` is the
 * folder that holds the worktrees, where `shared/` sits beside them); `VERDICT_STORIES260K_DIR`
 * overrides that for checkouts laid out differently.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const STORIES260K_ENV = "VERDICT_STORIES260K_DIR";

export function stories260kDir(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env[STORIES260K_ENV];
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL("../../../shared/models/stories260K/", import.meta.url));
}

/** The three files, or a message saying what is missing and how to point at them. */
export function stories260kFiles(
  env: Record<string, string | undefined> = process.env,
): { ok: true; checkpoint: string; tokenizer: string; golden: string } | { ok: false; why: string } {
  const dir = stories260kDir(env);
  const f = {
    checkpoint: `${dir}/stories260K.bin`,
    tokenizer: `${dir}/tok512.bin`,
    golden: `${dir}/golden.json`,
  };
  const missing = Object.values(f).filter((p) => !existsSync(p));
  if (missing.length > 0)
    return { ok: false, why: `stories260K files missing (${missing.join(", ")}); set ${STORIES260K_ENV}` };
  return { ok: true, ...f };
}
