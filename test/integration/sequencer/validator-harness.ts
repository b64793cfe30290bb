/** Run `verdict validator --check` as its own process, and poll helpers for the rollup tests. */
import { spawn } from "node:child_process";
import { join } from "node:path";

export { until } from "../../helpers/until.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

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

/** `verdict validator` watching, with metrics on any port; stop() sends SIGTERM and gives the exit code. */
export function watchValidator(
  cfgPath: string,
): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, "bin/verdict.ts"),
      "validator",
      "--config",
      cfgPath,
      "--interval-ms",
      "200",
      "--metrics-port",
      "0",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`validator did not serve metrics:\n${out}`)), 30_000);
    proc.stderr.on("data", (d) => (out += String(d)));
    proc.stdout.on("data", (d) => {
      out += String(d);
      const m = out.match(/"url":"(http:[^"]+\/metrics)"/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: async () => {
            if (proc.exitCode === null) proc.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`validator exited with ${code}:\n${out}`));
    });
  });
}
