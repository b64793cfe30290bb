/**
 * `npm run bench -- <name>... [--json]` runs bench/<name>.ts (each exports `run(opts)`), or every
 * benchmark when no name is given, and prints a table per benchmark. With --json the last line
 * of output is one JSON object: the bench's own result when one bench is named (so
 * `npm run bench -- trace --json` ends with {"ratio": ..., "hashMBps": ...}), otherwise
 * {<name>: result, ...}.
 */
import { readdirSync } from "node:fs";
import type { Bench, BenchResult } from "./lib/harness.ts";
import { renderTable, toJson } from "./lib/harness.ts";

const dir = new URL("./", import.meta.url);

function available(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "index.ts")
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const unknownFlags = argv.filter((a) => a.startsWith("-") && a !== "--json");
  const names = argv.filter((a) => !a.startsWith("-"));
  const known = available();
  if (unknownFlags.length > 0 || names.some((n) => !known.includes(n))) {
    const bad = [...unknownFlags, ...names.filter((n) => !known.includes(n))];
    process.stderr.write(
      `bench: unknown ${bad.join(", ")}\nusage: npm run bench -- [${known.join("|")}]... [--json]\n`,
    );
    return 2;
  }
  const results: Record<string, BenchResult> = {};
  for (const name of names.length > 0 ? names : known) {
    const mod = (await import(new URL(`./${name}.ts`, dir).href)) as Partial<Bench>;
    if (typeof mod.run !== "function") {
      process.stderr.write(`bench: bench/${name}.ts does not export run(opts)\n`);
      return 2;
    }
    results[name] = await mod.run({ json });
    process.stdout.write(`${renderTable(name, results[name])}\n\n`);
  }
  if (json) {
    const ran = Object.keys(results);
    process.stdout.write(`${toJson(ran.length === 1 ? results[ran[0]] : results)}\n`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
