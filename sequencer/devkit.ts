/** Deterministic dev keys and genesis for tests, benches and local devnets. */
import { toHex } from "../protocol/bytes.ts";
import { type Address, addressOf } from "../protocol/secp256k1.ts";
import { sha256 } from "../protocol/sha256.ts";
import type { SequencerConfig } from "./config.ts";

export interface DevKey {
  key: Uint8Array;
  address: Address;
}

export function devKeys(n: number, seed = "verdict dev"): DevKey[] {
  const out: DevKey[] = [];
  for (let i = 0; i < n; i++) {
    const key = sha256(new TextEncoder().encode(`${seed}/${i}`));
    out.push({ key, address: addressOf(key) });
  }
  return out;
}

/** A genesis section funding `keys` with `balance` wei each. */
export function devGenesis(keys: DevKey[], balance = 10n ** 21n): SequencerConfig["genesis"] {
  const alloc: Record<string, string> = {};
  for (const k of keys) alloc[k.address] = balance.toString();
  return {
    l2ChainId: "424242",
    l1ChainId: "31337",
    bridge: `0x${"b1".repeat(20)}`,
    sequencer: null,
    timestamp: 0,
    challengeWindowMs: 2000,
    minFee: "0",
    feeRecipient: null,
    alloc,
  };
}

export const keyHex = (k: Uint8Array) => toHex(k);
