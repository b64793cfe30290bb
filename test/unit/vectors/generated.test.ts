// The committed test vectors must be exactly what the generators produce now: an encoding change
// shows up here first, and then `npm run vectors` + the Solidity tests must follow it.
import { readFileSync } from "node:fs";
import t from "tap";
import { GENERATORS, renderVectors } from "../../../scripts/vectors/index.ts";

for (const g of GENERATORS) {
  t.test(
    `test/vectors/${g.file} matches its generator (run \`npm run vectors\` after an encoding change)`,
    async (t) => {
      const committed = readFileSync(new URL(`../../vectors/${g.file}`, import.meta.url), "utf8");
      const now = renderVectors(g.generate());
      t.ok(committed === now, "byte-identical");
      if (committed !== now) t.same(JSON.parse(committed), JSON.parse(now), "first difference");
    },
  );
}
