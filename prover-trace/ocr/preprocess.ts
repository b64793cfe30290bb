/**
 * PaddleOCR's text-line preprocessing for recognition (`resize_norm_img`, pure): the crop is
 * resized to the model's height keeping its aspect ratio (bilinear, half-pixel centres like
 * OpenCV's INTER_LINEAR), its width capped at the model's width, scaled to [-1, 1]
 * ((v / 255 - 0.5) / 0.5) and written left-aligned into a zero (mid-grey) [1, 3, H, W] tensor.
 * Crops here are grey, so the three channels are equal and BGR vs RGB order does not matter.
 */

export interface GrayImage {
  width: number;
  height: number;
  /** row-major, one byte per pixel, 0 = black */
  pixels: Uint8Array;
}

export class ImageFormatError extends Error {
  override name = "ImageFormatError";
}

/** A binary PGM (P5, maxval 255), as ImageMagick writes it. */
export function parsePgm(bytes: Uint8Array): GrayImage {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4 && i < bytes.length) {
    while (i < bytes.length && /\s/.test(String.fromCharCode(bytes[i]))) i++;
    if (bytes[i] === 0x23) {
      while (i < bytes.length && bytes[i] !== 0x0a) i++;
      continue;
    }
    let f = "";
    while (i < bytes.length && !/\s/.test(String.fromCharCode(bytes[i])))
      f += String.fromCharCode(bytes[i++]);
    fields.push(f);
  }
  i++; // the single whitespace byte after maxval
  const [magic, w, h, max] = fields;
  if (magic !== "P5") throw new ImageFormatError(`not a binary PGM (magic '${magic}')`);
  const width = Number(w);
  const height = Number(h);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new ImageFormatError(`bad PGM size ${w} x ${h}`);
  if (max !== "255") throw new ImageFormatError(`PGM maxval ${max} (255 expected)`);
  if (bytes.length - i < width * height) throw new ImageFormatError("PGM pixel data cut short");
  return { width, height, pixels: bytes.slice(i, i + width * height) };
}

/** Bilinear resize with half-pixel centres (OpenCV INTER_LINEAR), float output. */
export function resizeBilinear(img: GrayImage, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const sx = img.width / width;
  const sy = img.height / height;
  const coord = (d: number, s: number, n: number) => {
    const f = Math.min(Math.max((d + 0.5) * s - 0.5, 0), n - 1);
    const i0 = Math.floor(f);
    return { i0, i1: Math.min(i0 + 1, n - 1), t: f - i0 };
  };
  for (let y = 0; y < height; y++) {
    const cy = coord(y, sy, img.height);
    for (let x = 0; x < width; x++) {
      const cx = coord(x, sx, img.width);
      const p = (yy: number, xx: number) => img.pixels[yy * img.width + xx];
      const top = p(cy.i0, cx.i0) * (1 - cx.t) + p(cy.i0, cx.i1) * cx.t;
      const bot = p(cy.i1, cx.i0) * (1 - cx.t) + p(cy.i1, cx.i1) * cx.t;
      out[y * width + x] = top * (1 - cy.t) + bot * cy.t;
    }
  }
  return out;
}

/** The rec network's input [1, 3, height, width] for one crop. */
export function recInput(img: GrayImage, height: number, width: number): Float32Array {
  const resizedW = Math.min(width, Math.ceil((height * img.width) / img.height));
  const r = resizeBilinear(img, resizedW, height);
  const out = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < resizedW; x++)
        out[(c * height + y) * width + x] = (Math.round(r[y * resizedW + x]) / 255 - 0.5) / 0.5;
  return out;
}
