/**
 * Test vectors for Verdict's one signature encoding (docs/commitments.md "Signatures";
 * protocol/secp256k1.ts nonCanonicalSignature): canonical signatures with v = 27 and v = 28 and,
 * for each, every other encoding of it or near-miss a signer could send (v = 0/1, the high-s
 * twin, v = 29, 64 and 66 bytes, r or s zero or >= n, an r that is no curve point). L2
 * (recoverAddress), the Bridge (signerOf, on the embedded chain) and the SDK must agree on every
 * one: the signer for a canonical signature, the named rule for the rest.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { toHex } from "../../protocol/bytes.ts";
import { addressOf, type SignatureRule, signDigest } from "../../protocol/secp256k1.ts";
import { pseudoRandomBytes } from "./prng.ts";

type Hex = `0x${string}`;

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const be32 = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, "0"), "hex"));
const num = (b: Uint8Array): bigint => BigInt(toHex(b));

export interface SignatureVector {
  name: string;
  digest: Hex;
  signature: Hex;
  /** The signer, when the signature is canonical. */
  signer: Hex | null;
  /** The rule it breaks (protocol/secp256k1.ts SignatureRule), when it is not. */
  rule: SignatureRule | null;
}

/** A seed whose digest, signed by `key`, gets recovery id `recid` (v = 27 + recid). */
function digestWithRecid(key: Uint8Array, recid: number, from: number): Uint8Array {
  for (let seed = from; ; seed++) {
    const d = pseudoRandomBytes(32, seed);
    if (signDigest(d, key)[64] === 27 + recid) return d;
  }
}

/** An x coordinate with no point on the curve: as r, no key recovers from the signature. */
function notAnX(from: number): Uint8Array {
  for (let seed = from; ; seed++) {
    const x = pseudoRandomBytes(32, seed);
    try {
      secp256k1.Point.fromBytes(Uint8Array.from([2, ...x]));
    } catch {
      if (num(x) < N && num(x) > 0n) return x;
    }
  }
}

function variants(name: string, digest: Uint8Array, key: Uint8Array): SignatureVector[] {
  const sig = signDigest(digest, key);
  const d = toHex(digest);
  const out: SignatureVector[] = [
    { name, digest: d, signature: toHex(sig), signer: addressOf(key), rule: null },
  ];
  const bad = (what: string, bytes: Uint8Array, rule: SignatureRule) =>
    out.push({ name: `${name}: ${what}`, digest: d, signature: toHex(bytes), signer: null, rule });
  const withV = (v: number) => Uint8Array.from([...sig.subarray(0, 64), v]);
  const withR = (r: Uint8Array) => Uint8Array.from([...r, ...sig.subarray(32)]);
  const withS = (s: Uint8Array, v = sig[64]) => Uint8Array.from([...sig.subarray(0, 32), ...s, v]);
  bad("v = 0/1 (the same signature, raw recovery id)", withV(sig[64] - 27), "v");
  bad("v = 29", withV(29), "v");
  bad(
    "high-s twin (n - s, flipped v)",
    withS(be32(N - num(sig.subarray(32, 64))), sig[64] === 27 ? 28 : 27),
    "s",
  );
  bad("s = 0", withS(be32(0n)), "s");
  bad("s = n", withS(be32(N)), "s");
  bad("r = 0", withR(be32(0n)), "r");
  bad("r = n", withR(be32(N)), "r");
  bad("64 bytes (r || s, no v)", sig.subarray(0, 64), "length");
  bad("66 bytes (a trailing zero)", Uint8Array.from([...sig, 0]), "length");
  bad("empty", new Uint8Array(0), "length");
  bad("r is no curve point's x", withR(notAnX(900)), "signer");
  return out;
}

export function signatureVectors() {
  const k1 = pseudoRandomBytes(32, 501);
  const k2 = pseudoRandomBytes(32, 502);
  return {
    spec: "docs/commitments.md 'Signatures'; protocol/secp256k1.ts nonCanonicalSignature; Bridge.signerOf",
    generator: "scripts/vectors/signatures.ts",
    vectors: [
      ...variants("v = 27", digestWithRecid(k1, 0, 600), k1),
      ...variants("v = 28", digestWithRecid(k2, 1, 700), k2),
    ],
  };
}
