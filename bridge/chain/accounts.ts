/**
 * Deterministic development accounts. The default mnemonic is the one anvil and hardhat use, so the
 * embedded chain and an anvil node started for tests prefund the very same addresses and keys.
 * Derivation is BIP-39 (seed by native PBKDF2, computed once) then BIP-32 at m/44'/60'/0'/0/i.
 */
import { pbkdf2Sync } from "node:crypto";
import { HDKey, privateKeyToAddress } from "viem/accounts";
import { toHex } from "../../protocol/bytes.ts";

export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_BALANCE = 10_000n * 10n ** 18n;

export interface DevAccount {
  address: `0x${string}`;
  privateKey: `0x${string}`;
}

export function devAccounts(count = 10, mnemonic = DEV_MNEMONIC): DevAccount[] {
  if (!Number.isInteger(count) || count < 0 || count > 1000) {
    throw new RangeError(`account count must be an integer in [0, 1000], got ${count}`);
  }
  const words = mnemonic.normalize("NFKD").trim().split(/\s+/);
  if (![12, 15, 18, 21, 24].includes(words.length)) {
    throw new Error(`mnemonic must have 12 to 24 words, got ${words.length}`);
  }
  const seed = pbkdf2Sync(words.join(" "), "mnemonic", 2048, 64, "sha512");
  const root = HDKey.fromMasterSeed(seed).derive("m/44'/60'/0'/0");
  const out: DevAccount[] = [];
  for (let i = 0; i < count; i++) {
    const key = root.deriveChild(i).privateKey;
    if (!key) throw new Error(`mnemonic produced no private key at index ${i}`);
    const privateKey = toHex(key);
    out.push({ address: privateKeyToAddress(privateKey), privateKey });
  }
  return out;
}
