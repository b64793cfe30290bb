/**
 * Every command's --help renders (commander builds help text from option defaults, and a default
 * it cannot print throws), and the top-level help lists exactly the commands checked here.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import t from "tap";

const run = promisify(execFile);
const bin = new URL("../../../bin/verdict.ts", import.meta.url).pathname;

async function help(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, ...args, "--help"], { timeout: 60_000 });
  return stdout;
}

const commands = [
  "model build",
  "validate",
  "infer",
  "generate",
  "l1 node",
  "l1 deploy",
  "sequencer",
  "worker",
  "watch",
  "validator",
  "content cid",
  "content add",
  "content get",
];

t.test("top-level help lists every command group", async (t) => {
  const out = await help([]);
  const listed = [...out.matchAll(/^ {2}([a-z0-9]+)\b/gm)].map((m) => m[1]).filter((c) => c !== "help");
  const groups = [...new Set(commands.map((c) => c.split(" ")[0]))];
  t.same(listed.sort(), groups.sort());
});

for (const c of commands) {
  t.test(`verdict ${c} --help`, async (t) => {
    const out = await help(c.split(" "));
    t.match(out, new RegExp(`^Usage: verdict ${c}`, "m"));
  });
}
