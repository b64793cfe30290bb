/**
 * Op codes of the deterministic integer profile. One number per op, used in node descriptors
 * (docs/commitments.md) and by the on-chain one-step verifier. Squeeze, Unsqueeze, Flatten and
 * Identity are canonicalised to Reshape: they only move elements, exactly like Reshape. Which
 * ONNX op becomes which canonical op is `CANONICAL_OP` in ops.ts, read off the op table.
 */
export const OpCode = {
  Add: 1,
  Sub: 2,
  Mul: 3,
  Div: 4,
  Max: 5,
  Min: 6,
  Clip: 7,
  Relu: 8,
  Cast: 9,
  Gather: 10,
  Reshape: 11,
  Transpose: 12,
  MatMulInteger: 13,
  ReduceMax: 14,
  ArgMax: 15,
  Slice: 16,
  Abs: 17,
  Neg: 18,
  Concat: 19,
  Tile: 20,
  Pad: 21,
  MaxPool: 22,
  ConvInteger: 23,
} as const;
export type OpName = keyof typeof OpCode;
