import { readFileSync } from "node:fs";
import t from "tap";
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
