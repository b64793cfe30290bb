/**
 * The devnet's roles as child processes (`verdict l1 node`, `verdict sequencer`, `verdict worker`,
 * `verdict watch`): what a user would run, one process per role. Each child's output is shown line
 * by line with its role as prefix; pino JSON lines are turned into one readable line (message and
 * the fields that say something, long hex shortened). Children run in their own process group, so
 * a terminal's Ctrl-C reaches only the devnet, which stops them in order; if the devnet itself dies,
 * the `exit` hook kills whatever is left, so nothing is orphaned.
 */
import { type ChildProcess, spawn } from "node:child_process";

const VERDICT = new URL("../../bin/verdict.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export interface RoleOptions {
  /** Prefix of every line: `[role] ...`. */
  role: string;
  /** Arguments after `verdict`. */
  args: string[];
  /** Where lines go (default: stdout). */
  print?: (line: string) => void;
  /** pino lines below this level are not printed (still seen by waitFor); default 30 (info). */
  printLevel?: number;
  /** pino messages never printed (routine noise). */
  quiet?: RegExp;
}

export interface Role {
  name: string;
  proc: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** Resolves with the first JSON log line (or the parsed JSON output) matching `pred`. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Everything the child printed that was not a JSON log line (its stdout JSON, stderr). */
  text(): string;
  /** SIGINT, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

const LEVELS: Record<number, string> = { 40: "WARN ", 50: "ERROR ", 60: "FATAL " };
const SKIP = new Set(["level", "time", "pid", "hostname", "svc", "msg"]);

/** `0x` + 64 hex digits -> `0x1234abcd…`; addresses are kept whole (they are names here). */
function short(v: unknown): string {
  if (typeof v === "string") return /^0x[0-9a-fA-F]{41,}$/.test(v) ? `${v.slice(0, 10)}…` : v;
  if (Array.isArray(v)) return `[${v.map(short).join(", ")}]`;
  if (typeof v === "object" && v !== null)
    return JSON.stringify(v, (_k, x) => (typeof x === "string" ? short(x) : x));
  return String(v);
}

/** One pino line as a person reads it. */
export function formatLogLine(l: LogLine): string {
  const fields = Object.entries(l)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${short(v)}`);
  return [`${LEVELS[l.level ?? 30] ?? ""}${l.msg ?? ""}`, ...fields].filter((x) => x !== "").join(" ");
}

export function startRole(o: RoleOptions): Role {
  const print = o.print ?? ((s: string) => process.stdout.write(`${s}\n`));
  const printLevel = o.printLevel ?? 30;
  const proc = spawn(process.execPath, [VERDICT, ...o.args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  live.add(proc);
  const lines: LogLine[] = [];
  const other: string[] = [];
  const waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code, signal) => {
      live.delete(proc);
      resolve(code ?? (signal ? 128 : null));
    }),
  );
  const seen = (l: LogLine) => {
    lines.push(l);
    for (const w of [...waiters])
      if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  };
  // `verdict l1 node` prints one pretty JSON object (several lines): collected until it parses.
  let pendingJson = "";
  const onLine = (line: string, stream: "out" | "err") => {
    if (line.trim() === "") return;
    if (pendingJson !== "" || (stream === "out" && line === "{")) {
      pendingJson += `${line}\n`;
      if (line === "}") {
        try {
          const json = JSON.parse(pendingJson) as LogLine;
          other.push(pendingJson);
          pendingJson = "";
          seen(json);
          // the dev accounts and keys are in the README; the rest is one line
          print(`[${o.role}] ${formatLogLine({ ...json, accounts: undefined })}`);
        } catch {}
      }
      return;
    }
    let l: LogLine | null = null;
    if (line.startsWith("{")) {
      try {
        l = JSON.parse(line) as LogLine;
      } catch {}
    }
    if (!l) {
      other.push(line);
      print(`[${o.role}] ${line}`);
      return;
    }
    seen(l);
    if ((l.level ?? 30) < printLevel) return;
    if (o.quiet && typeof l.msg === "string" && o.quiet.test(l.msg) && (l.level ?? 30) < 40) return;
    print(`[${o.role}] ${formatLogLine(l)}`);
  };
  for (const [stream, s] of [
    ["out", proc.stdout],
    ["err", proc.stderr],
  ] as const) {
    let buf = "";
    s?.on("data", (d) => {
      buf += String(d);
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        onLine(buf.slice(0, i), stream);
        buf = buf.slice(i + 1);
      }
    });
  }
  const waitFor = (pred: (l: LogLine) => boolean, timeoutMs = 120_000, what = "the expected log line") => {
    const hit = lines.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${o.role}: no ${what} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${o.role} exited (code ${code}) before ${what}`));
      });
    });
  };
  const stop = async (graceMs = 15_000): Promise<number | null> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return exited;
    proc.kill("SIGINT");
    const timer = setTimeout(() => {
      print(`[${o.role}] did not stop within ${graceMs / 1000} s: killed`);
      proc.kill("SIGKILL");
    }, graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { name: o.role, proc, pid: proc.pid ?? -1, exited, waitFor, text: () => other.join("\n"), stop };
}
