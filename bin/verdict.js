#!/usr/bin/env node
// Shim so that `npx verdict` works from the checkout: npm puts the `node@24` devDependency first
// on PATH; the sources are TypeScript run with Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `verdict needs Node >= 22.18 (found ${process.version}). Run it through npm (npx verdict, npm run verdict),\n` +
      "which puts the node@24 devDependency first on PATH, or install Node 24.\n",
  );
  process.exit(1);
}
await import("./verdict.ts");
