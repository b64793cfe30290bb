/** `npm run devnet` as a child process, for the e2e tests and the e2e bench. */
import { type ChildProcess, spawn } from "node:child_process";

const SCRIPT = new URL("../../scripts/devnet.ts", import.meta.url).pathname;

export interface DevnetProc {
  proc: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
  /** Resolves with the first match of `re` in the output; rejects on exit or timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGINT, as Ctrl-C would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

export function spawnDevnet(dir: string, env: Record<string, string> = {}): DevnetProc {
  const proc = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      VERDICT_DEVNET_DIR: dir,
      VERDICT_DEVNET_L1_PORT: "0",
      VERDICT_DEVNET_L2_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const waitFor = async (re: RegExp, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const m = out.match(re);
      if (m) return m;
      if (proc.exitCode !== null)
        throw new Error(`devnet exited (${proc.exitCode}) before ${re}:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`devnet: no ${re} within ${timeoutMs / 1000} s:\n${out.slice(-3000)}`);
  };
  const interrupt = async () => {
    if (proc.exitCode === null) proc.kill("SIGINT");
    return exited;
  };
  return { proc, out: () => out, exited, waitFor, interrupt };
}

/** The role pids the devnet prints once every role is up. */
export function rolePids(out: string): Map<string, number> {
  const m = out.match(/roles running: (.*)/);
  const pids = new Map<string, number>();
  for (const [, name, pid] of (m?.[1] ?? "").matchAll(/([a-z0-9-]+) \(pid (\d+)\)/g))
    pids.set(name, Number(pid));
  return pids;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** JSON-RPC call to the L1 node. */
export async function l1Call(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
