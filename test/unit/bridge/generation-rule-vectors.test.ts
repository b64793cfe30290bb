/**
 * contracts/src/GenerationRule.sol's recomputation of a generation claim's bindings against the
 * TypeScript encodings (prover-trace/commit/generation.ts): every generationSpec and
 * passInputRoot vector of test/vectors/generation.json (npm run vectors) through the deployed
 * contract's generationSpecOf / passInputRootOf on the embedded chain. (Its decoding functions
 * replay the same file in test/integration/dispute/token-move.test.ts.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import type { Address, Hex } from "viem";
import { generationRuleAbi, generationRuleBytecode } from "../../../contracts/artifacts/GenerationRule.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

interface Vectors {
  generationSpec: { promptLength: number; generatedCount: number; params: Hex; spec: Hex }[];
  passInputRoot: { prompt: number[]; generated: number[]; window: number; sequence: Hex; inputRoot: Hex }[];
}
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../vectors/generation.json"), "utf8"),
) as Vectors;

const backend = await embeddedBackend();
t.teardown(() => backend.close());
const clients = backend.clients(0);
const wallet = clients.walletClient!;
const pub = clients.publicClient;
// standalone: its view functions read no Bridge (the constructor only stores the address)
const deployHash = await wallet.deployContract({
  abi: generationRuleAbi,
  bytecode: generationRuleBytecode,
  args: [`0x${"00".repeat(19)}01`],
});
const rule = (await pub.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;
const call = (functionName: string, args: readonly unknown[]) =>
  pub.readContract({ address: rule, abi: generationRuleAbi, functionName, args } as never) as Promise<Hex>;

t.test("generationSpecOf equals generationSpec on every vector", async (t) => {
  t.ok(vectors.generationSpec.length >= 3);
  for (const v of vectors.generationSpec) {
    t.equal(
      await call("generationSpecOf", [v.promptLength, v.generatedCount, v.params]),
      v.spec,
      `P ${v.promptLength}, n ${v.generatedCount}`,
    );
    t.not(
      await call("generationSpecOf", [v.promptLength, v.generatedCount + 1, v.params]),
      v.spec,
      "another count, another spec",
    );
  }
});

t.test("passInputRootOf equals generationPassInputRoot on every vector", async (t) => {
  t.ok(vectors.passInputRoot.length >= 3);
  for (const v of vectors.passInputRoot) {
    t.equal(fromHex(v.sequence).length, 4 * v.window, `window ${v.window}: int32 [T] bytes`);
    t.equal(await call("passInputRootOf", [v.sequence]), v.inputRoot, `window ${v.window}`);
    const other = fromHex(v.sequence);
    other[4 * v.prompt.length] ^= 1; // the first generated token
    t.not(await call("passInputRootOf", [toHex(other)]), v.inputRoot, "one token changed: another root");
  }
});
