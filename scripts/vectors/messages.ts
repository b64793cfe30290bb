/**
 * Test vectors for a batch's L2 -> L1 message tree (protocol/withdrawal.ts): withdrawal leaves,
 * result leaves of L1 inference requests, and mixed trees with a proof for every leaf. The Bridge
 * reproduces them (Bridge.resultLeaf, Commitments.withdrawalLeaf, Commitments.verifyProof), so
 * byte strings are 0x-hex and u256 values are decimal strings.
 */
import { toHex } from "../../protocol/bytes.ts";
import {
  type L2Message,
  MessageTree,
  messageLeaf,
  type ResultMessage,
  resultLeaf,
  type Withdrawal,
  withdrawalLeaf,
} from "../../protocol/withdrawal.ts";
import { pseudoRandomBytes } from "./prng.ts";

type Hex = `0x${string}`;

const bytes = (n: number, seed: number): Hex => toHex(pseudoRandomBytes(n, seed));
const cid = (n: number, seed: number): Hex => `0x01${bytes(n - 1, seed).slice(2)}`;

function results(): ResultMessage[] {
  const max = (1n << 256n) - 1n;
  return [
    { requestId: 0n, claimKey: bytes(32, 1), outputRoot: bytes(32, 2), outputCid: cid(36, 3) },
    { requestId: 7n, claimKey: bytes(32, 4), outputRoot: bytes(32, 5), outputCid: "0x" },
    { requestId: max, claimKey: bytes(32, 6), outputRoot: bytes(32, 7), outputCid: cid(128, 8) },
  ];
}

function withdrawals(): Withdrawal[] {
  return [
    { recipient: bytes(20, 11), amount: 1n, l2TxHash: bytes(32, 12) },
    { recipient: bytes(20, 13), amount: (1n << 256n) - 1n, l2TxHash: bytes(32, 14) },
  ];
}

const resultJson = (r: ResultMessage) => ({ ...r, requestId: r.requestId.toString() });
const withdrawalJson = (w: Withdrawal) => ({ ...w, amount: w.amount.toString() });
const messageJson = (m: L2Message) =>
  m.kind === "withdrawal" ? { kind: m.kind, ...withdrawalJson(m) } : { kind: m.kind, ...resultJson(m) };

export function messageVectors() {
  const rs = results();
  const ws = withdrawals();
  const mixes: L2Message[][] = [
    [{ kind: "result", ...rs[0] }],
    [
      { kind: "withdrawal", ...ws[0] },
      { kind: "result", ...rs[0] },
      { kind: "withdrawal", ...ws[1] },
    ],
    [
      { kind: "result", ...rs[1] },
      { kind: "withdrawal", ...ws[0] },
      { kind: "result", ...rs[2] },
      { kind: "withdrawal", ...ws[1] },
      { kind: "result", ...rs[0] },
    ],
  ];
  return {
    spec: "docs/bridge.md 'Results of L1 requests'; protocol/withdrawal.ts",
    generator: "scripts/vectors/messages.ts",
    resultLeaves: rs.map((r) => ({ ...resultJson(r), leaf: toHex(resultLeaf(r)) })),
    withdrawalLeaves: ws.map((w) => ({ ...withdrawalJson(w), leaf: toHex(withdrawalLeaf(w)) })),
    trees: mixes.map((ms) => {
      const tree = new MessageTree(ms);
      return {
        root: tree.rootHex,
        messages: ms.map((m, i) => ({ ...messageJson(m), leaf: toHex(messageLeaf(m)), ...tree.proof(i) })),
      };
    }),
  };
}
