/**
 * Spawn `verdict worker` as a real child process and wait until it logs "worker ready".
 * Every stdout line is parsed as a pino JSON log line (others are kept as `{ raw }`), so tests can
 * wait for a message (`waitFor`) and read what the worker did.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;

export type LogLine = Record<string, unknown> & { msg?: string };

export interface WorkerProc {
  proc: ChildProcess;
  /** The worker's address, from its ready line. */
  address: string;
  /** Its /metrics URL when --metrics-port was given. */
  metricsUrl: string | null;
  /** Its embedded content node's multiaddrs (outputs and traces are fetched from there). */
  contentAddrs: string[];
  log: LogLine[];
  stderr: string[];
  exited: Promise<number | null>;
  /** The first log line (already seen or coming) for which `pred` holds. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `verdict worker <args>`; rejects with the worker's output if it exits before ready. */
export function spawnWorker(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<WorkerProc> {
  const proc = spawn(process.execPath, [join(ROOT, "bin/verdict.ts"), "worker", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  const log: LogLine[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let buf = "";
  proc.stderr?.on("data", (d) => stderr.push(String(d)));
  proc.stdout?.on("data", (d) => {
    buf += String(d);
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const text = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { raw: text };
      }
      log.push(line);
      for (const w of [...waiters])
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      i = buf.indexOf("\n");
    }
  });
  const output = () => [...log.map((l) => JSON.stringify(l)), ...stderr].join("\n");
  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 60_000) => {
    const seen = log.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const w = {
        pred,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`worker: no matching log line within ${timeoutMs} ms:\n${output()}`));
      }, timeoutMs);
      waiters.push(w);
    });
  };
  const stop = async (graceMs = 10_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill("SIGTERM");
    const t = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`worker exited with ${code} before ready:\n${output()}`));
    proc.once("exit", onExit);
    waitFor((l) => l.msg === "worker ready", opts.readyTimeoutMs ?? 120_000).then(
      (ready) => {
        proc.off("exit", onExit);
        resolve({
          proc,
          address: String(ready.address),
          metricsUrl: (ready.metrics as string | null) ?? null,
          contentAddrs: (ready.contentAddrs as string[] | undefined) ?? [],
          log,
          stderr,
          exited,
          waitFor,
          stop,
        });
      },
      (e) => {
        proc.kill("SIGKILL");
        reject(e);
      },
    );
  });
}
