/**
 * Prints every failed assertion of the last tap run (from .tap/test-results) at the very end of
 * the output, so a failure in a long CI log is readable from its tail. Exits 1 when it found a
 * failure (or found no results at all), 0 otherwise; `npm test` only calls it after tap failed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = ".tap/test-results";
const DIAG_LINES = 40;

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith(".tap")) yield p;
  }
}

let failures = 0;
let files: string[] = [];
try {
  files = [...walk(root)];
} catch {
  console.error(`tap-failures: no ${root} (did tap run?)`);
  process.exit(1);
}
for (const file of files.sort()) {
  const lines = readFileSync(file, "utf8").split("\n");
  const name = relative(root, file).replace(/\.tap$/, "");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*not ok /.test(lines[i])) continue;
    failures++;
    console.error(`\n=== FAILED in ${name}: ${lines[i].trim()}`);
    // The YAML diagnostic block follows, indented, between "---" and "...".
    for (let j = i + 1; j < Math.min(lines.length, i + 1 + DIAG_LINES); j++) {
      if (/^\s*(not )?ok /.test(lines[j])) break;
      console.error(lines[j]);
    }
  }
}
console.error(`\ntap-failures: ${failures} failed assertion(s) in ${files.length} result files`);
process.exit(failures > 0 || files.length === 0 ? 1 : 0);
