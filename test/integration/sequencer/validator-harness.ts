/** Run `verdict validator --check` as its own process, and poll helpers for the rollup tests. */
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = new URL("../../../", import.meta.url).pathname;

export async function until<T>(
  what: string,
  f: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function runValidator(
  cfgPath: string,
): Promise<{ code: number | null; summary: Record<string, unknown>; out: string }> {
  const proc = spawn(
    process.execPath,
    [join(ROOT, "bin/verdict.ts"), "validator", "--config", cfgPath, "--check"],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  proc.stdout.on("data", (d) => (out += String(d)));
  proc.stderr.on("data", (d) => (out += String(d)));
  return new Promise((resolve) =>
    proc.once("exit", (code) => {
      const line = out.split("\n").find((l) => l.includes('"validator summary"'));
      resolve({ code, summary: line ? JSON.parse(line) : {}, out });
    }),
  );
}
