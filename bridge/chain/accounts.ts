/**
 * Deterministic development accounts. The default mnemonic is the one anvil and hardhat use, so the
 * embedded chain and an anvil node started for tests prefund the very same addresses and keys.
 */
import { mnemonicToAccount } from "viem/accounts";
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
  const out: DevAccount[] = [];
  for (let i = 0; i < count; i++) {
    const acct = mnemonicToAccount(mnemonic, { addressIndex: i });
    const key = acct.getHdKey().privateKey;
    if (!key) throw new Error(`mnemonic produced no private key at index ${i}`);
    out.push({ address: acct.address, privateKey: toHex(key) });
  }
  return out;
}
