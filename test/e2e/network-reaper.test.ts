/**
 * test/helpers/network.ts leaves no orphans even when the test process dies by SIGKILL (a tap
 * timeout): its reaper kills every registered process group once the test process's pipe closes.
 * Here a child process registers a detached process group (as the roles are) and is killed.
 */
import { spawn } from "node:child_process";
import t from "tap";

const helper = new URL("../helpers/network.ts", import.meta.url).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

const script = (register: boolean) => `
import { spawn } from "node:child_process";
import { startReaper } from ${JSON.stringify(helper)};
const reaper = startReaper();
const kid = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
kid.unref();
${register ? "reaper.add(kid.pid);" : ""}
process.stdout.write(kid.pid + "\\n");
setInterval(() => {}, 1000);
`;

async function run(register: boolean): Promise<number> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script(register)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.once("exit", (c) => reject(new Error(`helper exited ${c}`)));
  });
  // give the reaper a moment to read the pid, then kill the "test process" the hard way
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGKILL");
  return pid;
}

t.test("a registered process group dies with a SIGKILLed test process", async (t) => {
  const pid = await run(true);
  t.ok(await gone(pid, 10_000), `process ${pid} was reaped`);
});

t.test("control: an unregistered detached process survives (so the test above can fail)", async (t) => {
  const pid = await run(false);
  t.notOk(await gone(pid, 1500), `process ${pid} still runs`);
  process.kill(pid, "SIGKILL");
});
