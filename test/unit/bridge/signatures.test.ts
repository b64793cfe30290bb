/**
 * One signature encoding (docs/commitments.md "Signatures"): every vector of
 * test/vectors/signatures.json (npm run vectors) gets the same verdict from L2's rule
 * (protocol/secp256k1.ts: nonCanonicalSignature, recoverAddress), the real Bridge on the embedded
 * chain (signerOf, which claimSigner and so every openDispute use) and the SDK's check of its own
 * signatures: the signer for a canonical signature, the named broken rule for every other
 * encoding (v = 0/1, the high-s twin, ...).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { BaseError, ContractFunctionRevertedError, type Hex } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { fromHex } from "../../../protocol/bytes.ts";
import { nonCanonicalSignature, recoverAddress, type SignatureRule } from "../../../protocol/secp256k1.ts";
import { checkOwnSignature } from "../../../sdk/client.ts";
import { VerdictSdkError } from "../../../sdk/errors.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vector {
  name: string;
  digest: Hex;
  signature: Hex;
  signer: Hex | null;
  rule: SignatureRule | null;
}
const { vectors } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/signatures.json"), "utf8"),
) as { vectors: Vector[] };

/** The Bridge's custom error for each broken rule. */
const BRIDGE_ERROR: Record<SignatureRule, string> = {
  length: "SignatureLength",
  v: "SignatureV",
  r: "SignatureR",
  s: "SignatureS",
  signer: "NoSigner",
};

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const dep = await deployBridge(backend.clients(0));

/** The Bridge's verdict: the recovered address, or the name of the error it reverts with. */
async function onChain(v: Vector): Promise<{ signer: string } | { error: string }> {
  try {
    return { signer: (await dep.bridge.signerOf(v.digest, v.signature)).toLowerCase() };
  } catch (e) {
    const reverted =
      e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    const name = (reverted as ContractFunctionRevertedError | null)?.data?.errorName;
    if (!name) throw e;
    return { error: name };
  }
}

t.test("the vectors cover both recovery ids and every rule", async (t) => {
  const canonical = vectors.filter((v) => v.rule === null);
  t.same(new Set(canonical.map((v) => Number.parseInt(v.signature.slice(-2), 16))), new Set([27, 28]));
  const rules = new Set(vectors.map((v) => v.rule).filter((r) => r !== null));
  t.same(rules, new Set(Object.keys(BRIDGE_ERROR)), "every rule has a vector");
  t.ok(
    vectors.some((v) => /v = 0\/1/.test(v.name) && v.rule === "v"),
    "v = 0/1 (attack 9) is in the vectors",
  );
});

for (const v of vectors) {
  t.test(v.name, async (t) => {
    const sig = fromHex(v.signature);
    const digest = fromHex(v.digest);
    const bridge = await onChain(v);
    if (v.rule === null) {
      t.equal(nonCanonicalSignature(sig), null, "L2: canonical");
      t.equal(recoverAddress(digest, sig), v.signer, "L2: recovers the signer");
      t.same(bridge, { signer: v.signer }, "Bridge.signerOf: the same signer");
      t.doesNotThrow(() => checkOwnSignature(digest, v.signature, v.signer as Hex), "SDK: sends it");
      t.throws(
        () => checkOwnSignature(digest, v.signature, `0x${"11".repeat(20)}`),
        /signed as 0x/,
        "SDK: not for another address",
      );
    } else {
      if (v.rule === "signer") t.equal(nonCanonicalSignature(sig), null, "encoded canonically");
      else t.equal(nonCanonicalSignature(sig)?.rule, v.rule, `L2: breaks rule ${v.rule}`);
      t.throws(() => recoverAddress(digest, sig), /^bad signature: /, "L2: refused");
      t.same(bridge, { error: BRIDGE_ERROR[v.rule] }, `Bridge.signerOf: ${BRIDGE_ERROR[v.rule]}`);
      const sdk = (() => {
        try {
          checkOwnSignature(digest, v.signature, `0x${"11".repeat(20)}`);
        } catch (e) {
          return e;
        }
      })();
      t.ok(sdk instanceof VerdictSdkError && sdk.code === "bad-signature", "SDK: refuses to send it");
    }
  });
}
