/** JSON-RPC errors with the codes clients expect (EIP-1474, geth conventions). */
import { toHex } from "../../protocol/bytes.ts";

export class ChainError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "ChainError";
    this.code = code;
    this.data = data;
  }
}

/** A call or estimate that reverted; `data` is the revert data, so clients decode custom errors. */
export class ExecutionReverted extends ChainError {
  constructor(returnValue: Uint8Array) {
    super(3, `execution reverted${reasonSuffix(returnValue)}`, toHex(returnValue));
    this.name = "ExecutionReverted";
  }
}

/** "execution reverted: <reason>" for Error(string) reverts, as geth words it. */
function reasonSuffix(ret: Uint8Array): string {
  const ERROR_STRING = "08c379a0";
  if (ret.length < 68 || Buffer.from(ret.subarray(0, 4)).toString("hex") !== ERROR_STRING) return "";
  const len = Number(BigInt(toHex(ret.subarray(36, 68))));
  if (68 + len > ret.length) return "";
  return `: ${Buffer.from(ret.subarray(68, 68 + len)).toString("utf8")}`;
}

export const RpcErrorCode = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  server: -32000,
  limitExceeded: -32005,
} as const;
