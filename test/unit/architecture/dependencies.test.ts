/**
 * The dependency rules of the layout (README "Architecture", DESIGN §2), read from the imports of
 * every .ts file under the source folders:
 * - protocol/ imports nothing of ours outside protocol/;
 * - prover-trace/ imports only prover-trace/ and protocol/;
 * - bridge/ and sequencer/ never import verifier/;
 * - verifier/game/ does no I/O: nothing it loads at run time (following its non-type relative
 *   imports to the end) imports a viem value, level, libp2p, Helia, Kubo, fastify, fs or a socket,
 *   and no file it loads calls fetch;
 * - verifier/worker/ and verifier/watcher/ never import each other.
 * The checker runs on the real tree (no violations) and on a made-up tree with one violation of
 * each rule (each one named), so a rule that stopped matching anything would fail here too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import t from "tap";

const ROOT = join(import.meta.dirname, "../../..");
const SOURCE_DIRS = ["protocol", "prover-trace", "bridge", "sequencer", "verifier", "content", "sdk", "bin"];

interface Import {
  spec: string;
  /** `import type` / `export type`: erased at run time. */
  typeOnly: boolean;
}

const STATIC =
  /^[ \t]*(import|export)\s+(type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s+from\s+["']([^"']+)["']/gm;
const BARE = /^[ \t]*import\s+["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(src: string): Import[] {
  const out: Import[] = [];
  for (const m of src.matchAll(STATIC)) out.push({ spec: m[3], typeOnly: m[2] !== undefined });
  for (const m of src.matchAll(BARE)) out.push({ spec: m[1], typeOnly: false });
  for (const m of src.matchAll(DYNAMIC)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** External modules that do I/O (a viem value import is a client, an encoder at most). */
const IO_MODULE =
  /^(viem|level|classic-level|abstract-level|memory-level|libp2p|@libp2p\/.*|@chainsafe\/libp2p-.*|helia|@helia\/.*|kubo-rpc-client|fastify|@fastify\/.*|undici|ws|(node:)?(fs|fs\/promises|net|http|https|http2|dgram|tls|child_process|worker_threads))$/;

/** Root-relative path of what `spec` in `file` names (null: a package). */
function resolve(file: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  return normalize(join(dirname(file), spec)).replaceAll("\\", "/");
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Every rule broken by the tree `files` (root-relative path -> source), one line each. */
function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const edges = new Map<string, { file: string; target: string | null; imp: Import }[]>();
  for (const [file, src] of files) {
    edges.set(
      file,
      importsOf(src).map((imp) => ({ file, target: resolve(file, imp.spec), imp })),
    );
  }
  for (const [file, list] of edges) {
    for (const { target, imp } of list) {
      const what = `${file} imports ${imp.spec}`;
      if (under(file, "protocol") && target && !under(target, "protocol"))
        out.push(`protocol imports nothing of ours: ${what}`);
      if (
        under(file, "prover-trace") &&
        target &&
        !under(target, "prover-trace") &&
        !under(target, "protocol")
      )
        out.push(`prover-trace imports only protocol: ${what}`);
      if ((under(file, "bridge") || under(file, "sequencer")) && target && under(target, "verifier"))
        out.push(`bridge and sequencer never import verifier: ${what}`);
      if (under(file, "verifier/worker") && target && under(target, "verifier/watcher"))
        out.push(`worker never imports watcher: ${what}`);
      if (under(file, "verifier/watcher") && target && under(target, "verifier/worker"))
        out.push(`watcher never imports worker: ${what}`);
    }
  }
  // verifier/game: walk what it loads at run time.
  for (const start of files.keys()) {
    if (!under(start, "verifier/game")) continue;
    const seen = new Set<string>([start]);
    const stack: { file: string; path: string[] }[] = [{ file: start, path: [start] }];
    while (stack.length > 0) {
      const { file, path } = stack.pop() as { file: string; path: string[] };
      if (/\bfetch\(/.test(files.get(file) ?? ""))
        out.push(`verifier/game does no I/O: ${path.join(" -> ")} calls fetch`);
      for (const { target, imp } of edges.get(file) ?? []) {
        if (imp.typeOnly) continue;
        if (target === null) {
          if (IO_MODULE.test(imp.spec))
            out.push(`verifier/game does no I/O: ${[...path, imp.spec].join(" -> ")}`);
        } else if (!seen.has(target) && files.has(target)) {
          seen.add(target);
          stack.push({ file: target, path: [...path, target] });
        }
      }
    }
  }
  return [...new Set(out)].sort();
}

function readTree(): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of SOURCE_DIRS) {
    const walk = (abs: string): void => {
      for (const e of readdirSync(abs, { withFileTypes: true })) {
        const p = join(abs, e.name);
        if (e.isDirectory()) {
          if (e.name !== "node_modules" && e.name !== "build") walk(p);
        } else if (e.name.endsWith(".ts"))
          files.set(relative(ROOT, p).replaceAll("\\", "/"), readFileSync(p, "utf8"));
      }
    };
    walk(join(ROOT, dir));
  }
  return files;
}

t.test("the tree keeps every dependency rule", async (t) => {
  const files = readTree();
  for (const dir of [
    "protocol",
    "prover-trace",
    "bridge",
    "sequencer",
    "verifier/game",
    "verifier/worker",
    "verifier/watcher",
  ])
    t.ok(
      [...files.keys()].some((f) => under(f, dir)),
      `${dir} has .ts files to check`,
    );
  t.ok(
    importsOf(files.get("verifier/game/planner.ts") ?? "").some((i) => i.spec.endsWith("/view.ts")),
    "the import reader sees the planner's multi-line imports",
  );
  t.same(violations(files), [], "no rule broken");
});

t.test("each rule names its violation", async (t) => {
  const tree = new Map<string, string>([
    ["protocol/a.ts", 'import { x } from "../bridge/b.ts";\n'],
    ["prover-trace/p.ts", 'import { y } from "../protocol/a.ts";\nimport { z } from "../sequencer/s.ts";\n'],
    ["bridge/b.ts", 'export { g } from "../verifier/game/g.ts";\n'],
    ["sequencer/s.ts", 'import type { W } from "../verifier/worker/w.ts";\n'],
    ["verifier/worker/w.ts", 'import {\n  v,\n} from "../watcher/v.ts";\n'],
    ["verifier/watcher/v.ts", 'const m = await import("../worker/w.ts");\n'],
    [
      "verifier/game/g.ts",
      'import type { Hex } from "viem";\nimport { helper } from "./h.ts";\nimport { pure } from "../../protocol/a.ts";\n',
    ],
    [
      "verifier/game/h.ts",
      'import { createPublicClient } from "viem";\nexport const f = () => fetch("x");\n',
    ],
  ]);
  t.same(violations(tree), [
    "bridge and sequencer never import verifier: bridge/b.ts imports ../verifier/game/g.ts",
    "bridge and sequencer never import verifier: sequencer/s.ts imports ../verifier/worker/w.ts",
    "protocol imports nothing of ours: protocol/a.ts imports ../bridge/b.ts",
    "prover-trace imports only protocol: prover-trace/p.ts imports ../sequencer/s.ts",
    "verifier/game does no I/O: verifier/game/g.ts -> verifier/game/h.ts -> viem",
    "verifier/game does no I/O: verifier/game/g.ts -> verifier/game/h.ts calls fetch",
    "verifier/game does no I/O: verifier/game/h.ts -> viem",
    "verifier/game does no I/O: verifier/game/h.ts calls fetch",
    "watcher never imports worker: verifier/watcher/v.ts imports ../worker/w.ts",
    "worker never imports watcher: verifier/worker/w.ts imports ../watcher/v.ts",
  ]);
  t.same(
    violations(new Map([["verifier/game/g.ts", 'import type { Hex } from "viem";\n']])),
    [],
    "a type import is no I/O",
  );
});
