/** `verdict model build`: writes a seeded integer MLP or transformer LM as an .onnx file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { toHex } from "../../protocol/bytes.ts";
import { commitModel } from "../commit/model.ts";
import { encodeOnnx } from "../onnx/io.ts";
import type { IrModel } from "../onnx/ir.ts";
import { ProfileError, validateModel } from "../profile/validate.ts";
import { buildMlp, MLP_DEFAULTS } from "./mlp.ts";
import { buildTransformerLm, TRANSFORMER_DEFAULTS } from "./transformer.ts";

export type ModelKind = "mlp" | "transformer";

/** Parses a decimal integer flag strictly ("12abc", "1.5" and "" are errors). */
export function intFlag(name: string): (v: string) => number {
  return (v: string) => {
    if (!/^\d+$/.test(v.trim())) throw new Error(`--${name} must be a non-negative integer, got '${v}'`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`--${name} is too large: ${v}`);
    return n;
  };
}

export interface BuildFlags {
  kind: string;
  seed: number;
  [size: string]: unknown;
}

/** Builds the model named by the flags; size flags left out take the builder's defaults. */
export function buildFromFlags(f: BuildFlags): IrModel {
  const pick = (keys: string[]) =>
    Object.fromEntries(keys.filter((k) => f[k] !== undefined).map((k) => [k, f[k]]));
  if (f.kind === "mlp")
    return buildMlp({ seed: f.seed, ...pick(["inputDim", "hidden", "layers", "classes", "batch"]) });
  if (f.kind === "transformer")
    return buildTransformerLm({
      seed: f.seed,
      ...pick(["seqLen", "dModel", "heads", "layers", "ffDim"]),
      ...(f.norm === false ? { rmsNorm: false } : {}),
    });
  throw new Error(`--kind must be mlp or transformer, got '${f.kind}'`);
}

export function registerModelCommands(program: Command): void {
  const model =
    program.commands.find((c) => c.name() === "model") ??
    program.command("model").description("build and inspect integer ONNX models");
  const d = { mlp: MLP_DEFAULTS, lm: TRANSFORMER_DEFAULTS };
  model
    .command("build")
    .description("write a seeded integer model (deterministic: same flags -> same bytes) and validate it")
    .requiredOption("--kind <kind>", "mlp | transformer")
    .requiredOption("--out <file>", "output .onnx path")
    .option("--seed <n>", "PRNG seed", intFlag("seed"), 1)
    .option("--layers <n>", `layers (mlp ${d.mlp.layers}, transformer ${d.lm.layers})`, intFlag("layers"))
    .option("--input-dim <n>", `mlp input width (${d.mlp.inputDim})`, intFlag("input-dim"))
    .option("--hidden <n>", `mlp hidden width (${d.mlp.hidden})`, intFlag("hidden"))
    .option("--classes <n>", `mlp classes (${d.mlp.classes})`, intFlag("classes"))
    .option("--batch <n>", `mlp batch (${d.mlp.batch})`, intFlag("batch"))
    .option("--seq-len <n>", `transformer sequence length (${d.lm.seqLen})`, intFlag("seq-len"))
    .option("--d-model <n>", `transformer width (${d.lm.dModel})`, intFlag("d-model"))
    .option("--heads <n>", `transformer heads (${d.lm.heads})`, intFlag("heads"))
    .option("--ff-dim <n>", `transformer FFN width (${d.lm.ffDim})`, intFlag("ff-dim"))
    .option("--no-norm", "transformer without the integer RMS-norm")
    .option("--json", "print a JSON summary")
    .action(async (flags: BuildFlags & { out: string; json?: boolean }) => {
      const ir = buildFromFlags(flags);
      const v = validateModel(ir);
      if (!v.ok) throw new ProfileError(v.errors);
      const bytes = encodeOnnx(ir);
      mkdirSync(dirname(flags.out), { recursive: true });
      writeFileSync(flags.out, bytes);
      const c = await commitModel(v.profileModel, bytes);
      const summary = {
        kind: flags.kind,
        seed: flags.seed,
        file: flags.out,
        bytes: bytes.length,
        nodes: v.profileModel.nodes.length,
        params: v.profileModel.paramCount,
        inputs: v.profileModel.inputs.map((i) => `${i.name}[${i.shape.join(",")}]`),
        outputs: v.profileModel.outputs.map((o) => `${o.name}[${o.shape.join(",")}]`),
        cid: c.cid.toString(),
        graphRoot: toHex(c.graphRoot),
        modelId: toHex(c.modelId),
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        process.stdout.write(
          `wrote ${summary.file}: ${summary.kind} seed ${summary.seed}, ${summary.nodes} nodes, ${summary.params} params, ${summary.bytes} bytes\n` +
            `inputs ${summary.inputs.join(" ")}  outputs ${summary.outputs.join(" ")}\n` +
            `cid ${summary.cid}\ngraph root ${summary.graphRoot}\nmodel id ${summary.modelId}\n`,
        );
    });
}
