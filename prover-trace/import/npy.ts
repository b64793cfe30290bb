/**
 * numpy's .npy format (versions 1.0, 2.0, 3.0), the calibration sample format of
 * `verdict model import` (`<dir>/<sample>/<inputName>.npy`), so users make samples with
 * `numpy.save`. Little-endian, C order only; dtypes float32, int32, int64, int8, uint8.
 * Layout: magic "\x93NUMPY", major, minor, header length (u16 for 1.0, u32 after), a Python-dict
 * header `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces to a
 * 64-byte boundary and ended by "\n", then the raw data.
 */

export type NpyDtype = "float32" | "int32" | "int64" | "int8" | "uint8";
export type NpyData = Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export class NpyFormatError extends Error {
  override name = "NpyFormatError";
}

const DESCR: Record<string, { dtype: NpyDtype; bytes: number }> = {
  "<f4": { dtype: "float32", bytes: 4 },
  "<i4": { dtype: "int32", bytes: 4 },
  "<i8": { dtype: "int64", bytes: 8 },
  "|i1": { dtype: "int8", bytes: 1 },
  "|u1": { dtype: "uint8", bytes: 1 },
  "<i1": { dtype: "int8", bytes: 1 },
  "<u1": { dtype: "uint8", bytes: 1 },
};
const DESCR_OF: Record<NpyDtype, string> = {
  float32: "<f4",
  int32: "<i4",
  int64: "<i8",
  int8: "|i1",
  uint8: "|u1",
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** Refuse absurd element counts before allocating (a hostile header can claim anything). */
export const MAX_NPY_ELEMENTS = 1 << 28;

function alloc(dtype: NpyDtype, n: number): NpyData {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
      return new Uint8Array(n);
  }
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyFormatError("not a .npy file (bad magic)");
  const major = bytes[6];
  if (major < 1 || major > 3) throw new NpyFormatError(`unsupported .npy version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new NpyFormatError(".npy header truncated");
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > bytes.length) throw new NpyFormatError(".npy header longer than the file");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(start, start + headerLen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new NpyFormatError(`.npy header lacks descr, fortran_order or shape: ${header.trim()}`);
  const kind = DESCR[descr];
  if (!kind)
    throw new NpyFormatError(
      `.npy dtype '${descr}' not supported (little-endian float32, int32, int64, int8, uint8)`,
    );
  if (fortran === "True")
    throw new NpyFormatError(".npy in Fortran order is not supported (save a C-order array)");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw new NpyFormatError(`.npy shape entry '${s}' is not a dimension`);
      return Number(s);
    });
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n) || n > MAX_NPY_ELEMENTS)
    throw new NpyFormatError(`.npy shape (${shape}) too large`);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart !== n * kind.bytes)
    throw new NpyFormatError(
      `.npy shape (${shape}) needs ${n * kind.bytes} data bytes, file has ${bytes.length - dataStart}`,
    );
  const data = alloc(kind.dtype, n);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  return { dtype: kind.dtype, shape, data };
}

export function encodeNpy(a: NpyArray): Uint8Array {
  let n = 1;
  for (const d of a.shape) n *= d;
  if (a.data.length !== n) throw new RangeError(`npy: ${a.data.length} values for shape (${a.shape})`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let header = `{'descr': '${DESCR_OF[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that magic + version + length + header is a multiple of 64, ending in "\n".
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, " ")}\n`;
  const out = new Uint8Array(total + a.data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), total);
  return out;
}
