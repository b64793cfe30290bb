/** JSON-RPC wire encodings: QUANTITY (minimal hex) and DATA (even-length hex). */
import { toHex } from "../../protocol/bytes.ts";
import type { Hex } from "../../protocol/tx.ts";

export type { Hex };

export function quantity(v: bigint | number): Hex {
  return `0x${BigInt(v).toString(16)}`;
}

export function data(b: Uint8Array): Hex {
  return toHex(b);
}

/** min of two bigints (Math.min does not take bigints). */
export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
