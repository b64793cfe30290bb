/**
 * `verdict content cid|add|get`: name, publish and fetch files the way the rest of Verdict does.
 * Where the bytes go / come from: `--sequencer URL` (its /v1/content API), `--ipfs-api URL` (a
 * Kubo daemon), or the embedded Helia store (`--content-dir`, `--content-peer`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { addContentOptions, contentOptionsFromCli } from "./open.ts";

const enc = new TextEncoder();

async function viaSequencer(url: string, path: string, init?: RequestInit): Promise<Response> {
  const r = await fetch(new URL(path, url), init);
  if (!r.ok) {
    const body = await r.text();
    let msg = body;
    try {
      msg = JSON.parse(body).error ?? body;
    } catch {}
    throw new Error(`${r.status} from ${url}: ${msg}`);
  }
  return r;
}

export function registerContentCommands(program: Command): void {
  const content = program.command("content").description("content by CID (IPFS: embedded Helia or Kubo)");

  content
    .command("cid <file>")
    .description("print the CID of a file as `ipfs add --cid-version=1` computes it (nothing is stored)")
    .action(async (file: string) => {
      const { fileCid } = await import("../protocol/cid.ts");
      process.stdout.write(`${(await fileCid(readFileSync(file))).toString()}\n`);
    });

  addContentOptions(
    content
      .command("add <file>")
      .description("add a file; prints its CID")
      .option("--sequencer <url>", "upload through a sequencer's POST /v1/content"),
  ).action(async (file: string, o: Record<string, unknown>) => {
    const bytes = readFileSync(file);
    if (typeof o.sequencer === "string") {
      const r = await viaSequencer(o.sequencer, "/v1/content", { method: "POST", body: bytes });
      process.stdout.write(`${((await r.json()) as { cid: string }).cid}\n`);
      return;
    }
    const { openContent } = await import("./open.ts");
    const store = await openContent({ ...contentOptionsFromCli(o), dataDir: contentDirOrDefault(o) });
    try {
      process.stdout.write(`${await store.add(bytes)}\n`);
    } finally {
      await store.close();
    }
  });

  addContentOptions(
    content
      .command("get <cid>")
      .description("fetch a file, verified block by block, to --out or stdout")
      .option("--out <file>", "write here instead of stdout")
      .option("--timeout-ms <ms>", "give up after this long", "60000")
      .option("--sequencer <url>", "download through a sequencer's GET /v1/content/:cid"),
  ).action(async (cid: string, o: Record<string, unknown>) => {
    const timeoutMs = Number(o.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new Error("--timeout-ms must be a positive integer");
    let bytes: Uint8Array;
    if (typeof o.sequencer === "string") {
      const r = await viaSequencer(
        o.sequencer,
        `/v1/content/${encodeURIComponent(cid)}?timeoutMs=${timeoutMs}`,
      );
      bytes = new Uint8Array(await r.arrayBuffer());
      // the sequencer verified; check again here rather than trust it
      const { fileCid } = await import("../protocol/cid.ts");
      const { parseCid } = await import("./blocks.ts");
      if ((await fileCid(bytes)).toString() !== parseCid(cid).toString())
        throw new Error(
          `the bytes from ${o.sequencer} do not give ${cid} (as \`ipfs add --cid-version=1\` names files)`,
        );
    } else {
      const { openContent } = await import("./open.ts");
      const store = await openContent({ ...contentOptionsFromCli(o), dataDir: contentDirOrDefault(o) });
      try {
        bytes = await store.get(cid, { timeoutMs });
      } finally {
        await store.close();
      }
    }
    if (typeof o.out === "string") writeFileSync(o.out, bytes);
    else process.stdout.write(bytes.length ? bytes : enc.encode(""));
  });
}

/** The CLI's embedded store persists by default (./data/content), unlike the library's. */
function contentDirOrDefault(o: Record<string, unknown>): string {
  return contentOptionsFromCli(o).dataDir ?? "./data/content";
}
