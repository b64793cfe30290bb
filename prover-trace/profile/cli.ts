/**
 * `verdict validate <model.onnx>`: checks a file against the integer profile and prints either a
 * summary (nodes, params, graph root, model id) or every offending line (exit status 1).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { toHex } from "../../protocol/bytes.ts";
import { commitModel } from "../commit/model.ts";
import { typeString } from "./ops.ts";
import { loadProfileModel, ProfileError } from "./validate.ts";

export interface ValidateReport {
  ok: boolean;
  lines: string[];
}

/** Validates and commits the file's bytes; pure apart from the hashing (no I/O). */
export async function validateReport(bytes: Uint8Array): Promise<ValidateReport> {
  let model: ReturnType<typeof loadProfileModel>;
  try {
    model = loadProfileModel(bytes);
  } catch (e) {
    if (e instanceof ProfileError) return { ok: false, lines: e.lines };
    throw e;
  }
  const c = await commitModel(model, bytes);
  const ops = new Map<string, number>();
  for (const n of model.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
  return {
    ok: true,
    lines: [
      "OK",
      `nodes        ${model.nodes.length} (${[...ops].map(([k, v]) => `${k} ${v}`).join(", ")})`,
      `params       ${model.paramCount} in ${model.initializers.length} data initializers`,
      `inputs       ${model.inputs.map((v) => `${v.name}:${typeString(v.dtype, v.shape)}`).join(" ")}`,
      `outputs      ${model.outputs.map((v) => `${v.name}:${typeString(v.dtype, v.shape)}`).join(" ")}`,
      `graph root   ${toHex(c.graphRoot)}`,
      `weights root ${toHex(c.weightsRoot)}`,
      `output refs  ${toHex(c.outputRefsRoot)}`,
      `cid          ${c.cid.toString()}`,
      `model id     ${toHex(c.modelId)}`,
    ],
  };
}

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description("check an ONNX file against the deterministic integer profile")
    .argument("<model>", "path to the .onnx file")
    .action(async (path: string) => {
      const bytes = new Uint8Array(await readFile(path));
      const r = await validateReport(bytes);
      (r.ok ? process.stdout : process.stderr).write(`${r.lines.join("\n")}\n`);
      if (!r.ok) process.exitCode = 1;
    });
}
