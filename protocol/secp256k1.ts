/**
 * Ethereum-style secp256k1 signatures (65 bytes r || s || v) over 32-byte digests.
 * Recovery and signing go through libsecp256k1 (the `secp256k1` npm package ships prebuilt
 * binaries): measured ~11k recoveries/s per core against ~0.3-1k/s for pure-JS @noble/curves,
 * and the sequencer verifies one signature per tx. The noble implementation stays the fallback
 * when the native addon cannot load.
 */
import { createRequire } from "node:module";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { toHex } from "./bytes.ts";

interface NativeSecp {
  ecdsaRecover(sig64: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, priv: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(priv: Uint8Array, compressed: boolean): Uint8Array;
}

function loadNative(): NativeSecp | null {
  try {
    const require = createRequire(import.meta.url);
    return require("secp256k1/bindings.js") as NativeSecp;
  } catch {
    return null;
  }
}
const native = loadNative();
export const nativeSecp256k1Available = native !== null;

/** The group order n and half of it: s above n/2 is the malleable twin of a valid signature. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;

/**
 * Why a 65-byte string is not a signature in Verdict's one encoding (docs/commitments.md
 * "Signatures"), or null when it is: r || s || v, 1 <= r < n, 1 <= s <= n/2, v in {27, 28}.
 * L2 (every tx, claim and block signature), the Bridge (`Bridge.signerOf`) and the SDK apply this
 * same rule, from the same vectors (test/vectors/signatures.json): a claim L2 accepts is one L1
 * can dispute. `rule` names the broken rule exactly as the vectors do.
 */
export function nonCanonicalSignature(sig: Uint8Array): { rule: SignatureRule; message: string } | null {
  if (sig.length !== 65) return { rule: "length", message: `expected 65 bytes, got ${sig.length}` };
  const v = sig[64];
  if (v !== 27 && v !== 28) return { rule: "v", message: `v must be 27 or 28, got ${v}` };
  const r = BigInt(toHex(sig.subarray(0, 32)));
  if (r === 0n || r >= N) return { rule: "r", message: "r is not in [1, n-1]" };
  const s = BigInt(toHex(sig.subarray(32, 64)));
  if (s === 0n) return { rule: "s", message: "s is zero" };
  if (s > HALF_N) return { rule: "s", message: "s is in the upper half of the curve order (malleable)" };
  return null;
}

/** The rules of nonCanonicalSignature, and "signer" for a canonical string no key recovers from. */
export type SignatureRule = "length" | "v" | "r" | "s" | "signer";

export type Address = `0x${string}`;

/** Lower-case 0x address of an uncompressed (65-byte) public key. */
export function pubkeyToAddress(pub65: Uint8Array): Address {
  return toHex(keccak_256(pub65.subarray(1)).subarray(12)) as Address;
}

/** Recovery caches public key -> address; the same senders sign many txs. */
const addrCache = new Map<string, Address>();

/**
 * Recover the signer's address of `digest` from a canonical 65-byte signature
 * (nonCanonicalSignature). Throws an Error whose message names the problem (length, v, r, s, or
 * no key recovers from it).
 */
export function recoverAddress(digest: Uint8Array, sig: Uint8Array): Address {
  const bad = nonCanonicalSignature(sig);
  if (bad) throw new Error(`bad signature: ${bad.message}`);
  const v = sig[64] - 27;
  let pub: Uint8Array;
  try {
    if (native) pub = native.ecdsaRecover(sig.subarray(0, 64), v, digest, false);
    else {
      const rs = new Uint8Array(65);
      rs[0] = v;
      rs.set(sig.subarray(0, 64), 1);
      pub = noble.recoverPublicKey(rs, digest, { prehash: false });
      pub = noble.Point.fromBytes(pub).toBytes(false);
    }
  } catch {
    throw new Error("bad signature: no public key recovers from it");
  }
  const k = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString("latin1");
  let a = addrCache.get(k);
  if (a === undefined) {
    a = pubkeyToAddress(pub);
    if (addrCache.size > 100_000) addrCache.clear();
    addrCache.set(k, a);
  }
  return a;
}

/** Sign a digest; returns r || s || v with v in {27, 28} (what wallets produce). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(65);
  if (native) {
    const { signature, recid } = native.ecdsaSign(digest, privateKey);
    out.set(signature, 0);
    out[64] = 27 + recid;
  } else {
    const s = noble.sign(digest, privateKey, { prehash: false, format: "recovered" });
    out.set(s.subarray(1), 0);
    out[64] = 27 + s[0];
  }
  return out;
}

export function addressOf(privateKey: Uint8Array): Address {
  const pub = native ? native.publicKeyCreate(privateKey, false) : noble.getPublicKey(privateKey, false);
  return pubkeyToAddress(pub);
}
