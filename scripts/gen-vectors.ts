/**
 * Writes test/vectors/*.json from the TypeScript encodings: `npm run vectors` (all files) or
 * `npm run vectors -- commitments.json` (only the named ones).
 */
import { writeFileSync } from "node:fs";
import { GENERATORS, renderVectors } from "./vectors/index.ts";

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !GENERATORS.some((g) => g.file === w));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown vector file(s): ${unknown.join(", ")}; known: ${GENERATORS.map((g) => g.file).join(", ")}\n`,
  );
  process.exit(1);
}
for (const g of GENERATORS) {
  if (wanted.length > 0 && !wanted.includes(g.file)) continue;
  const path = new URL(`../test/vectors/${g.file}`, import.meta.url);
  const text = renderVectors(g.generate());
  writeFileSync(path, text);
  process.stdout.write(`wrote test/vectors/${g.file} (${text.length} bytes)\n`);
}
