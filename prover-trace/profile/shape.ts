/** Shape arithmetic shared by the validator, the reference interpreter and the one-step witnesses. */

export type Shape = readonly number[];

/** Row-major strides. */
export function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
  return flat;
}

/** ONNX multidirectional (numpy) broadcasting; null when the shapes are incompatible. */
export function broadcastShapes(...shapes: Shape[]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) return null;
    }
  }
  return out;
}

/** Flat index into an operand of shape `inShape` that broadcasts to output index `outIdx`. */
export function broadcastSource(outIdx: readonly number[], inShape: Shape): number {
  const off = outIdx.length - inShape.length;
  let flat = 0;
  for (let i = 0; i < inShape.length; i++)
    flat = flat * inShape[i] + (inShape[i] === 1 ? 0 : outIdx[off + i]);
  return flat;
}
