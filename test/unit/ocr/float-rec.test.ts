import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import t from "tap";
import { readSamplesDir } from "../../../prover-trace/import/samples-dir.ts";
import { ctcClasses } from "../../../prover-trace/ocr/ctc.ts";
import { ocrModelFiles } from "../../../prover-trace/ocr/files.ts";
import { recSession } from "../../../prover-trace/ocr/float-rec.ts";
import { imageMagickAvailable, renderCrops, sampleTexts } from "../../../prover-trace/ocr/render.ts";

const files = ocrModelFiles();
if (!files.ok) throw new Error(files.why);
if (!imageMagickAvailable())
  throw new Error("ImageMagick's convert is needed (Debian imagemagick; .ci/run installs it)");

t.test("the sample texts are fixed by the seed", async (t) => {
  t.same(sampleTexts(20, 1), sampleTexts(20, 1));
  t.not(sampleTexts(20, 1).join("|"), sampleTexts(20, 2).join("|"));
});

t.test(
  "the float PP-OCRv4 rec model reads rendered text lines (sanity of rendering, preprocessing, decoding)",
  async (t) => {
    const classes = ctcClasses(readFileSync(files.dict, "utf8"));
    t.equal(classes.length, 6625, "6623 dictionary characters + blank + space = the model's 6625 classes");
    const rec = await recSession(new Uint8Array(readFileSync(files.rec)));
    t.teardown(() => rec.release());
    const crops = renderCrops(40);
    let same = 0;
    const wrong: string[] = [];
    for (const c of crops) {
      const x = c.sample.inputs.x;
      const got = await rec.text(x.data as Float32Array, x.shape, classes);
      if (got === c.text) same++;
      else wrong.push(`${c.name} ${JSON.stringify(c.text)} -> ${JSON.stringify(got)}`);
    }
    t.comment(`float text == rendered text on ${same}/40 crops; ${wrong.join("; ")}`);
    // 190/200 measured with these fonts (misreads: a leading space, O read as 0 in bold).
    t.ok(same >= 36, `at least 90% read exactly (${same}/40)`);
  },
);

t.test("verdict model ocr-samples writes <dir>/sNNN/x.npy and texts.json", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-ocr-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const VERDICT = join(import.meta.dirname, "../../../bin/verdict.ts");
  const out = await promisify(execFile)(process.execPath, [
    VERDICT,
    "model",
    "ocr-samples",
    "--out",
    dir,
    "--count",
    "3",
  ]);
  t.match(out.stdout, /wrote 3 crops/);
  const back = readSamplesDir(dir);
  t.ok(back.ok);
  if (!back.ok) return;
  t.same(
    back.samples.map((s) => [s.name, s.inputs.x.dtype, s.inputs.x.shape]),
    ["s000", "s001", "s002"].map((n) => [n, "float32", [1, 3, 48, 320]]),
  );
  const texts = JSON.parse(readFileSync(join(dir, "texts.json"), "utf8"));
  t.same(
    texts.map((x: { text: string }) => x.text),
    sampleTexts(3, 1),
  );
});
