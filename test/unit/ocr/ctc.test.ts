import t from "tap";
import {
  argmaxRows,
  ctcClasses,
  ctcDecode,
  ctcGreedyText,
  OcrDictionaryError,
} from "../../../prover-trace/ocr/ctc.ts";
import {
  ImageFormatError,
  parsePgm,
  recInput,
  resizeBilinear,
} from "../../../prover-trace/ocr/preprocess.ts";

t.test("CTC classes: blank, the dictionary's lines in order, then the space", async (t) => {
  t.same(ctcClasses("a\nb\r\nc\n"), ["", "a", "b", "c", " "]);
  t.same(ctcClasses("a\nb"), ["", "a", "b", " "]);
  t.throws(() => ctcClasses(""), OcrDictionaryError);
  t.throws(() => ctcClasses("a\n\nb\n"), /line 2 is empty/);
});

t.test("greedy CTC merges repeats and drops blanks, a blank separates a doubled letter", async (t) => {
  const classes = ["", "a", "b", " "];
  t.equal(ctcGreedyText([1, 1, 0, 1, 2, 2, 0, 0, 3, 2], classes), "aab b");
  t.equal(ctcGreedyText([0, 0, 0], classes), "");
  t.equal(ctcGreedyText([], classes), "");
  t.throws(() => ctcGreedyText([4], classes), RangeError);
  t.throws(() => ctcGreedyText([-1], classes), RangeError);
  // scores [T=3, C=4]: the best class per row, first index on ties
  t.same(argmaxRows([0, 5, 1, 1, 9, 0, 0, 0, 2, 2, 2, 1], 3, 4), [1, 0, 0]);
  t.throws(() => argmaxRows([1, 2, 3], 2, 2), RangeError);
  t.equal(ctcDecode(Int32Array.from([0, 7, 0, 0, 0, 0, 9, 0, 9, 0, 0, 0]), 3, classes), "ab");
});

t.test("PGM parsing and PaddleOCR's rec preprocessing", async (t) => {
  const head = new TextEncoder().encode("P5\n# c\n4 2\n255\n");
  const pgm = new Uint8Array([...head, 0, 255, 0, 255, 255, 0, 255, 0]);
  const img = parsePgm(pgm);
  t.same([img.width, img.height, [...img.pixels]], [4, 2, [0, 255, 0, 255, 255, 0, 255, 0]]);
  t.throws(() => parsePgm(new TextEncoder().encode("P6\n1 1\n255\n\0\0\0")), ImageFormatError);
  t.throws(() => parsePgm(new Uint8Array([...head, 0, 0])), /cut short/);
  t.throws(() => parsePgm(new TextEncoder().encode("P5\n1 1\n65535\n\0\0")), /maxval/);
  // identity resize keeps the pixels; halving averages neighbours (half-pixel centres)
  t.same([...resizeBilinear(img, 4, 2)], [...img.pixels]);
  t.same([...resizeBilinear({ width: 2, height: 1, pixels: new Uint8Array([0, 200]) }, 1, 1)], [100]);
  // a 4x2 crop into height 4 keeps the ratio (width 8), capped at 6; the rest stays 0 (grey)
  const x = recInput(img, 4, 6);
  t.equal(x.length, 3 * 4 * 6);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 4; y++) {
      const row = x.slice((c * 4 + y) * 6, (c * 4 + y + 1) * 6);
      t.ok(
        row.every((v) => v >= -1 && v <= 1),
        "normalised to [-1, 1]",
      );
    }
  t.equal(x[0], -1, "black -> -1");
  const wide = recInput({ width: 2, height: 2, pixels: new Uint8Array([255, 255, 255, 255]) }, 4, 6);
  t.same([...wide.slice(0, 6)], [1, 1, 1, 1, 0, 0], "resized to width 4, padded with 0");
});
