/**
 * Fold witnesses: the partial values a dispute bisects over for ops whose output element
 * depends on a whole axis (MatMulInteger, ReduceMax, ArgMax).
 *
 * Every fold has the same shape: a constant start state s_0 that depends on no input, K steps,
 * step k (1..K) consuming element k-1 of the folded axis, and an output read off s_K:
 *
 *   MatMulInteger  s_0 = 0,                      s_k = wrap32(s_{k-1} + (a_k - azp) * (b_k - bzp))
 *   ReduceMax      s_0 = dtype minimum,          s_k = max(s_{k-1}, x_k)
 *   ArgMax         s_0 = pack(dtype minimum, 0), s_k = x_k > max(s_{k-1}) ? pack(x_k, k-1) : s_{k-1}
 *   MaxPool        s_0 = dtype minimum,          s_k = max(s_{k-1}, x_k), x_k the input at kernel
 *                  position k-1 (row-major), or the dtype minimum where that position is padding
 *   ConvInteger    s_0 = 0,                      s_k = wrap32(s_{k-1} + (x_k - azp) * (w_k - bzp)),
 *                  k-1 = (input channel of the group, kernel position) row-major; where the
 *                  position is padding x_k = azp (ONNX pads X with its zero point): the term is 0
 *
 * A step whose position lies in the padding reads nothing; its operand a is
 * `foldPaddingOperand` (and b, unread, is 0), which leaves the state unchanged.
 *
 * (a_k, b_k, x_k: the k-th element along the axis, i.e. index k-1.) Starting from a constant
 * rather than from the first element means the one-step verifier never opens an input to check
 * s_0 and every step is the same check. ReduceMax and ArgMax give the same result as starting
 * from the first element: max(min, x) = x, and the strict > keeps the first index on ties,
 * including when every element equals the dtype minimum (index 0).
 *
 * ArgMax state packing (a uint256 on chain): state = index * 2^64 + (max mod 2^64), i.e. the
 * running maximum as 64-bit two's complement in the low 64 bits and the index above it.
 */
import { dtypeByCode } from "../../protocol/dtype.ts";
import type { ElementNode } from "./eval-element.ts";

const MASK64 = (1n << 64n) - 1n;

export function packArgMaxState(max: bigint, index: bigint): bigint {
  if (index < 0n || index > MASK64) throw new RangeError(`ArgMax index ${index} out of range`);
  return (index << 64n) | (max & MASK64);
}

export function unpackArgMaxState(state: bigint): { max: bigint; index: bigint } {
  if (state < 0n || state >> 128n !== 0n) throw new RangeError(`ArgMax state ${state} is not a packed state`);
  return { max: BigInt.asIntN(64, state & MASK64), index: state >> 64n };
}

export function isFold(node: Pick<ElementNode, "op">): boolean {
  return (
    node.op === "MatMulInteger" ||
    node.op === "ReduceMax" ||
    node.op === "ArgMax" ||
    node.op === "MaxPool" ||
    node.op === "ConvInteger"
  );
}

function assertFold(node: ElementNode): void {
  if (!isFold(node)) throw new TypeError(`${node.op} is not a fold op`);
}

/** Number of steps K of every fold chain of this node (the folded axis length). */
export function foldLength(node: ElementNode): number {
  assertFold(node);
  const x = node.inputTypes[0].shape;
  if (node.op === "MaxPool") return (node.attrs.kernel as number[]).reduce((p, k) => p * k, 1);
  if (node.op === "ConvInteger") {
    const w = node.inputTypes[1].shape;
    return w.slice(1).reduce((p, k) => p * k, 1); // C / group times the kernel positions
  }
  return node.op === "MatMulInteger" ? x[x.length - 1] : x[node.attrs.axis as number];
}

export function foldInitial(node: ElementNode): bigint {
  assertFold(node);
  if (node.op === "MatMulInteger" || node.op === "ConvInteger") return 0n;
  const min = dtypeByCode(node.inputTypes[0].dtype).min;
  return node.op === "ArgMax" ? packArgMaxState(min, 0n) : min;
}

function checkOperand(node: ElementNode, slot: number, v: bigint | undefined, what: string): bigint {
  if (v === undefined) throw new TypeError(`${node.op}: fold step needs operand ${what}`);
  const d = dtypeByCode(node.inputTypes[slot].dtype);
  if (v < d.min || v > d.max) throw new RangeError(`${node.op}: operand ${what} = ${v} is outside ${d.name}`);
  return v;
}

/**
 * The one step the chain checks: s_k from s_{k-1} and the k-th operands (k is 1-based).
 * `b` is only used by MatMulInteger.
 */
export function foldStep(node: ElementNode, k: number, sPrev: bigint, a: bigint, b?: bigint): bigint {
  assertFold(node);
  if (!Number.isSafeInteger(k) || k < 1 || k > foldLength(node))
    throw new RangeError(`${node.op}: step ${k} outside 1..${foldLength(node)}`);
  const av = checkOperand(node, 0, a, "a");
  switch (node.op) {
    case "MatMulInteger":
    case "ConvInteger": {
      const bv = checkOperand(node, 1, b, "b");
      const azp = node.attrs.aZeroPoint ?? 0n;
      const bzp = node.attrs.bZeroPoint ?? 0n;
      return BigInt.asIntN(32, BigInt.asIntN(32, sPrev) + (av - azp) * (bv - bzp));
    }
    case "ReduceMax":
    case "MaxPool":
      return av > sPrev ? av : sPrev;
    default: {
      const s = unpackArgMaxState(sPrev);
      return av > s.max ? packArgMaxState(av, BigInt(k - 1)) : sPrev;
    }
  }
}

/** The operand of a step that reads nothing (its position is padding): the state stays as it is. */
export function foldPaddingOperand(node: ElementNode): bigint {
  assertFold(node);
  if (node.op === "ConvInteger") return node.attrs.aZeroPoint ?? 0n;
  return dtypeByCode(node.inputTypes[0].dtype).min;
}

/** The output element a final fold state stands for. */
export function foldResult(node: ElementNode, state: bigint): bigint {
  assertFold(node);
  return node.op === "ArgMax" ? unpackArgMaxState(state).index : state;
}
