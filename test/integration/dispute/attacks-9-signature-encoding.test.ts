/**
 * Attack 9 of issue 18, two encodings of one signature: a worker submits its claim on L2 signed
 * with v = 0/1 (or the high-s twin) instead of the canonical v = 27/28, low s. Before the fix L2
 * recovered the worker from it and accepted the claim, while every openDispute on L1 reverted, so
 * the lie could not be disputed. Now the real L2 state machine refuses every non-canonical
 * encoding up front (state untouched), the real Bridge and DisputeGame on the embedded chain
 * name the same rule, and the canonical signature of the same claim, which L2 accepts, opens a
 * dispute on L1: every claim L2 takes is one an honest challenger can dispute.
 */
import t from "tap";
import type { Hex } from "viem";
import { buildPartyView } from "../../../verifier/game/view.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { mlpFixture, tamper } from "../../helpers/dispute.ts";
import { CHALLENGER, rejectsWith, setupGame, WORKER } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { L2Machine } from "../../helpers/l2-machine.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
// The claim commits to a trace with one wrong element: a lie worth disputing.
const lie = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3));
const g = await setupGame(b, f, lie);
const worker = b.accounts[WORKER].address.toLowerCase();
const chainId = BigInt(await b.clients().publicClient.getChainId());

/** The other encodings of the worker's canonical signature, each recovering the same key. */
function otherEncodings(sig: Hex): [string, Hex, RegExp, string][] {
  const raw = fromHex(sig);
  const rawV = Uint8Array.from(raw);
  rawV[64] = raw[64] - 27;
  const twin = Uint8Array.from(raw);
  const s = BigInt(toHex(raw.subarray(32, 64)));
  twin.set(fromHex(`0x${(N - s).toString(16).padStart(64, "0")}`), 32);
  twin[64] = raw[64] === 27 ? 28 : 27;
  return [
    ["v = 0/1", toHex(rawV) as Hex, /claim bad signature: v must be 27 or 28/, "SignatureV"],
    ["high-s twin", toHex(twin) as Hex, /claim bad signature: s is in the upper half/, "SignatureS"],
  ];
}

t.test("attack 9: a claim signed in another encoding is refused by L2 and by L1 alike", async (t) => {
  t.match(g.signature.slice(-2), /^(1b|1c)$/, "the worker's wallet signs with v = 27/28");
  const l2 = new L2Machine(claimDomain(chainId, g.d.address));
  l2.registerWorker(worker, g.claim.modelId);
  l2.postAndClaim(g.claim.jobId, g.claim.modelId, g.claim.inputRoot, worker);

  for (const [name, sig, l2Error, l1Error] of otherEncodings(g.signature)) {
    l2.rejects(t, l2.submit(worker, g.claim, sig), l2Error, `L2 refuses the ${name} encoding`);
    await rejectsWith(t, g.as(CHALLENGER).open(g.claim, sig), l1Error, `L1 names the ${name} encoding`);
  }
  t.equal(l2.job(g.claim.jobId).status, "claimed", "the job still waits for a canonical claim");

  // The canonical encoding of the same claim: L2 takes it, and L1 lets the challenger dispute it.
  l2.apply(l2.submit(worker, g.claim, g.signature));
  t.equal(l2.job(g.claim.jobId).status, "submitted", "L2 accepts the canonical claim");
  const { disputeId } = await g.as(CHALLENGER).open(g.claim, l2.job(g.claim.jobId).claimSignature as Hex);
  const d = await g.game.getDispute(disputeId);
  t.equal(d.claimer.toLowerCase(), worker, "the dispute is against the worker that L2 recorded");
});
