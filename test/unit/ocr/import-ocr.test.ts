import { readFileSync } from "node:fs";
import t from "tap";
import { constantsToInitializers, importModel, splitSamples } from "../../../prover-trace/import/importer.ts";
import { ctcClasses } from "../../../prover-trace/ocr/ctc.ts";
import { compareOcr } from "../../../prover-trace/ocr/evaluate.ts";
import { ocrModelFiles } from "../../../prover-trace/ocr/files.ts";
import { imageMagickAvailable, renderCrops } from "../../../prover-trace/ocr/render.ts";
import { decodeOnnx } from "../../../prover-trace/onnx/io.ts";
import { validateModel } from "../../../prover-trace/profile/validate.ts";

const files = ocrModelFiles();
if (!files.ok) throw new Error(files.why);
if (!imageMagickAvailable())
  throw new Error("ImageMagick's convert is needed (Debian imagemagick; .ci/run installs it)");

t.test(
  "PP-OCRv4 rec imports into the profile and reads the held-out crops as the float model does",
  async (t) => {
    const floatBytes = new Uint8Array(readFileSync(files.rec));
    t.equal(
      constantsToInitializers(decodeOnnx(floatBytes)).graph.nodes.filter((n) => n.opType === "Constant")
        .length,
      0,
      "Constant nodes become initializers",
    );
    const crops = renderCrops(24, 7);
    const r = await importModel(
      floatBytes,
      crops.map((c) => c.sample),
    );
    t.ok(r.ok, r.ok ? "imported (opset 9 float model)" : r.errors.join("\n"));
    if (!r.ok) return;
    t.ok(validateModel(r.intModel).ok, "the integer model is in the profile");
    const ops = new Set(r.intModel.graph.nodes.map((n) => n.opType));
    t.ok(
      ops.has("ConvInteger") && ops.has("MatMulInteger"),
      "convolutions and the attention's matmuls are integer",
    );
    t.same(
      r.report.inputs.map((i) => [i.name, i.bound]),
      [["x", 127]],
      "the image enters as int32 at 8 bits",
    );
    t.equal(r.report.heldOutSamples.length, 6);
    t.ok(
      r.report.outputs[0].top1Agreement >= 0.97,
      `per-position top-1 ${r.report.outputs[0].top1Agreement}`,
    );

    const { heldOut } = splitSamples(crops.map((c) => c.sample));
    const held = crops.filter((c) => heldOut.some((h) => h.name === c.name));
    const classes = ctcClasses(readFileSync(files.dict, "utf8"));
    const cmp = await compareOcr(floatBytes, r.intBytes, r.report.inputs[0], held, classes);
    t.comment(
      `${cmp.intMatchesFloat}/${cmp.crops} held-out crops: integer text == float text; ${JSON.stringify(cmp.differences)}`,
    );
    t.ok(
      cmp.floatMatchesRendered >= cmp.crops - 1,
      "the float model reads them (one miss allowed: 190/200 measured)",
    );
    t.ok(
      cmp.intMatchesFloat >= cmp.crops - 1,
      "the integer model reads them as the float model does (one miss allowed)",
    );
  },
);
