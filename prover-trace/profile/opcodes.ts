/**
 * Op codes of the deterministic integer profile. One number per op, used in node descriptors
 * (docs/commitments.md) and by the on-chain one-step verifier. Squeeze, Unsqueeze, Flatten and
 * Identity are canonicalised to Reshape: they only move elements, exactly like Reshape.
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
} as const;
export type OpName = keyof typeof OpCode;

/** ONNX op types accepted by the profile and the canonical op they become. */
export const CANONICAL_OP: Record<string, OpName> = {
  Add: "Add",
  Sub: "Sub",
  Mul: "Mul",
  Div: "Div",
  Max: "Max",
  Min: "Min",
  Clip: "Clip",
  Relu: "Relu",
  Cast: "Cast",
  Gather: "Gather",
  Reshape: "Reshape",
  Squeeze: "Reshape",
  Unsqueeze: "Reshape",
  Flatten: "Reshape",
  Identity: "Reshape",
  Transpose: "Transpose",
  MatMulInteger: "MatMulInteger",
  ReduceMax: "ReduceMax",
  ArgMax: "ArgMax",
};
