/**
 * Text-line crops rendered with ImageMagick (Debian `imagemagick`, fonts from `fonts-dejavu-core`
 * and `fonts-dejavu-extra`) for the OCR model's calibration and held-out samples. The texts are
 * drawn from a fixed seed, so the same call writes the same crops; rendering is the only I/O.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Sample } from "../import/calibrate.ts";
import { REC_HEIGHT, REC_INPUT, REC_WIDTH } from "./files.ts";
import { type GrayImage, parsePgm, recInput } from "./preprocess.ts";

const DEJAVU = "/usr/share/fonts/truetype/dejavu";
export const OCR_FONTS = [
  `${DEJAVU}/DejaVuSans.ttf`,
  `${DEJAVU}/DejaVuSerif.ttf`,
  `${DEJAVU}/DejaVuSansMono.ttf`,
  `${DEJAVU}/DejaVuSans-Bold.ttf`,
  `${DEJAVU}/DejaVuSerifCondensed.ttf`,
];

const WORDS = [
  "invoice",
  "total",
  "paid",
  "order",
  "receipt",
  "station",
  "market",
  "street",
  "north",
  "river",
  "green",
  "coffee",
  "ticket",
  "price",
  "water",
  "light",
  "window",
  "garden",
  "school",
  "office",
  "Verdict",
  "Model",
  "Proof",
  "Berlin",
  "London",
  "Paris",
  "Tokyo",
  "Delta",
  "Alpha",
  "Omega",
];

/** mulberry32: a small deterministic generator (the texts only need to be fixed per seed). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Short single-line texts (words, numbers, prices, dates, codes), at most ~20 characters. */
export function sampleTexts(count: number, seed = 1): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const num = (digits: number) => String(Math.floor(r() * 10 ** digits)).padStart(digits, "0");
  const kinds = [
    () => pick(WORDS),
    () => `${pick(WORDS)} ${num(3)}`,
    () => `${num(2)}.${num(2)}`,
    () => `${pick(WORDS)} ${pick(WORDS)}`,
    () => `20${num(2)}-${num(2)}-${num(2)}`,
    () => `${pick(WORDS).toUpperCase()}${num(2)}`,
    () => `No.${num(4)}`,
  ];
  return Array.from({ length: count }, () => pick(kinds)());
}

export function imageMagickAvailable(): boolean {
  try {
    // "Version: ImageMagick ...": a stand-in that merely mentions ImageMagick does not count.
    return /^Version: ImageMagick/m.test(execFileSync("convert", ["-version"], { encoding: "utf8" }));
  } catch {
    return false;
  }
}

/** One text line, black on white, 4-8 px margins, as a grey image. */
export function renderTextLine(text: string, font: string, pointSize: number): GrayImage {
  if (!existsSync(font)) throw new Error(`font ${font} missing (Debian fonts-dejavu-core/-extra)`);
  const pgm = execFileSync(
    "convert",
    [
      "-background",
      "white",
      "-fill",
      "black",
      "-font",
      font,
      "-pointsize",
      String(pointSize),
      `label:${text.replaceAll("\\", "\\\\").replaceAll("@", "\\@")}`,
      "-bordercolor",
      "white",
      "-border",
      "8x4",
      "-colorspace",
      "Gray",
      "-depth",
      "8",
      "pgm:-",
    ],
    { maxBuffer: 1 << 24 },
  );
  return parsePgm(new Uint8Array(pgm));
}

export interface OcrCrop {
  name: string;
  text: string;
  font: string;
  sample: Sample;
}

/** `count` crops named s000, s001...: text i in font i mod 5, at 28-40 pt; rec input x [1,3,48,320]. */
export function renderCrops(count: number, seed = 1): OcrCrop[] {
  const texts = sampleTexts(count, seed);
  return texts.map((text, i) => {
    const font = OCR_FONTS[i % OCR_FONTS.length];
    const img = renderTextLine(text, font, 28 + ((i * 7) % 13));
    const data = recInput(img, REC_HEIGHT, REC_WIDTH);
    const name = `s${String(i).padStart(3, "0")}`;
    return {
      name,
      text,
      font,
      sample: {
        name,
        inputs: { [REC_INPUT]: { dtype: "float32", shape: [1, 3, REC_HEIGHT, REC_WIDTH], data } },
      },
    };
  });
}
