/**
 * Integer building blocks shared by the model builders: requantization (power-of-two Div + Clip),
 * offset-binary conversion for uint8 matmuls, table lookups and de-duplicated scalar constants.
 * Everything here only emits profile ops whose hazards the validator can rule out by interval
 * analysis (Div by a positive constant, Gather with a clipped index).
 */
import type { DTypeName } from "../../protocol/dtype.ts";
import type { GraphBuilder } from "../onnx/graph-builder.ts";

export class IntOps {
  readonly g: GraphBuilder;
  private readonly scalars = new Map<string, string>();

  constructor(g: GraphBuilder) {
    this.g = g;
  }

  /** One shared initializer per (dtype, value), so repeated bounds do not bloat the file. */
  scalar(dtype: DTypeName, value: number): string {
    const key = `${dtype}:${value}`;
    let name = this.scalars.get(key);
    if (!name) {
      name = this.g.scalar(dtype, value, `c_${dtype}_${value < 0 ? `m${-value}` : value}`);
      this.scalars.set(key, name);
    }
    return name;
  }

  add(a: string, b: string): string {
    return this.g.op("Add", [a, b]);
  }

  clip(x: string, dtype: DTypeName, lo: number, hi: number): string {
    return this.g.op("Clip", [x, this.scalar(dtype, lo), this.scalar(dtype, hi)]);
  }

  cast(x: string, to: DTypeName): string {
    const codes: Record<DTypeName, number> = { uint8: 2, int8: 3, int32: 6, int64: 7 };
    return this.g.op("Cast", [x], { to: codes[to] });
  }

  /** int32 accumulator -> signed 8-bit value held in int32: trunc(acc / 2^shift) clipped. */
  requantSigned(acc: string, shift: number): string {
    const q = shift > 0 ? this.g.op("Div", [acc, this.scalar("int32", 2 ** shift)]) : acc;
    return this.clip(q, "int32", -128, 127);
  }

  /** signed value in [-128, 127] held in int32 -> uint8 offset binary (v + 128). */
  toOffsetU8(signed: string): string {
    return this.cast(this.add(signed, this.scalar("int32", 128)), "uint8");
  }

  /** Table lookup: index tensor (int32, provably in [0, rows-1]) into a 1-D or 2-D table. */
  lookup(table: string, index: string): string {
    return this.g.op("Gather", [table, index], { axis: 0 });
  }

  /** uint8 x uint8 (or int8 x int8) MatMulInteger with constant scalar zero points. */
  matmul(a: string, b: string, dtype: DTypeName, aZero: number, bZero: number): string {
    return this.g.op("MatMulInteger", [a, b, this.scalar(dtype, aZero), this.scalar(dtype, bZero)]);
  }

  reshape(x: string, shape: number[]): string {
    return this.g.op("Reshape", [x, this.g.constant("int64", [shape.length], shape)]);
  }

  transpose(x: string, perm: number[]): string {
    return this.g.op("Transpose", [x], { perm });
  }
}

/**
 * Right shift that brings a K-term dot product of activations (RMS ~ `actRms`) and uniform weights
 * in [-w, w] back to activation scale: log2(sqrt(K) * w / sqrt(3)), rounded.
 */
export function matmulShift(k: number, weightMax: number): number {
  return Math.max(0, Math.round(Math.log2(Math.sqrt(k) * (weightMax / Math.sqrt(3)))));
}
