/**
 * challengeInput on the real contracts (docs/dispute-game.md "Inputs outside a declared range").
 *
 * An embedding lookup whose token ids declare the range [0, 15]. A worker that claims on ids with
 * one element 16 (the model has no output for it) is slashed by one challengeInput, the dispute
 * decided in the tx that opens it. Every hostile opening (an element in range, one in the zero
 * padding, a forged chunk, a forged or borrowed range, wrong proofs, an input past the model's,
 * an input without a declared range, a model without ranges, a malformed encoding) reverts by
 * name and changes nothing; no opening of an in-range input can touch an honest claim.
 */

import t, { type Test } from "tap";
import type { Hex } from "viem";
import type { ClaimMessage } from "../../../bridge/bridge.ts";
import type { Deployment } from "../../../bridge/deploy.ts";
import type { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import type { InputOpeningArg } from "../../../bridge/dispute/vocabulary.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import { disputeOpeningsAbi } from "../../../contracts/artifacts/DisputeOpenings.ts";
import { fromHex, toHex } from "../../../protocol/bytes.ts";
import { openInputRange, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import type { TensorData } from "../../../prover-trace/commit/tensor.ts";
import { openInputElement, planInputChallenge } from "../../../verifier/game/input-range.ts";
import { Phase, Winner } from "../../../verifier/game/planner.ts";
import { viewOutputRoot } from "../../../verifier/game/view.ts";
import { registerModel, signClaimAs } from "../../helpers/dispute.ts";
import {
  BOND,
  CHALLENGER,
  CHALLENGER2,
  deployGame,
  h32,
  MIN_STAKE,
  rejectsWith,
  STAKE,
  STRANGER,
  testClaim,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { type InputRangeFixture, inputRangeFixture } from "../../helpers/input-range.ts";
import { anvilBackend, embeddedBackend, type L1Backend } from "../../helpers/l1.ts";

interface Setup {
  d: Deployment;
  game: DisputeGameContract;
  as: (i: number) => DisputeGameContract;
  modelId: Hex;
  claimOn: (
    inputs: TensorData[],
    job: number,
    modelId?: Hex,
  ) => Promise<{ claim: ClaimMessage; signature: Hex }>;
}

async function setup(b: L1Backend, f: InputRangeFixture): Promise<Setup> {
  const { d, modelId, game, as } = await deployGame(b, f.model);
  // The liar's trace and outputs are whatever it likes: challengeInput never reads them.
  const claimOn = async (inputs: TensorData[], job: number, model = modelId) => {
    const claim = testClaim(b, {
      jobId: h32(job),
      modelId: model,
      inputRoot: toHex(tensorListRoot(inputs)),
      outputRoot: toHex(viewOutputRoot(f.honest)),
      traceRoot: toHex(f.honest.trace.root),
    });
    return { claim, signature: await signClaimAs(b, WORKER, claim, d.address) };
  };
  return { d, game, as, modelId, claimOn };
}

async function liarLoses(t: Test, b: L1Backend, f: InputRangeFixture): Promise<void> {
  const addr = (i: number) => b.accounts[i].address;
  const s = await setup(b, f);
  const { claim, signature } = await s.claimOn(f.badInputs, 1);
  const planned = planInputChallenge(f.model, f.badInputs);
  t.ok(planned, "the planner finds the offending element");
  t.equal(planned?.opening.element, BigInt(f.bad), `element ${f.bad}, in the second chunk`);
  const opened = await s.as(CHALLENGER).challengeInput(claim, signature, planned!.opening);
  const d = await s.game.getDispute(opened.disputeId);
  t.same([d.phase, d.winner], [Phase.resolved, Winner.challenger], "decided at open: the challenger wins");
  t.ok(await s.game.claimInvalidated(d.claimKey), "the claim is invalidated");
  const stake = await s.d.bridge.stakeOf(addr(WORKER));
  t.equal(stake.active, STAKE - MIN_STAKE, "the worker is slashed by the minimum stake");
  t.equal(stake.openDisputes, 0, "and unfrozen");
  t.same(
    await s.d.bridge.bondOf(addr(CHALLENGER)),
    { free: BOND + MIN_STAKE / 2n, locked: 0n },
    "bond + half",
  );
  t.equal(await s.d.bridge.burned(), MIN_STAKE / 2n, "the other half burned");
  // The check alone (DisputeOpenings, as a plain call: 21k and the calldata included); the rest of
  // the tx is what every dispute costs to open and settle (claim signature, bond, stake, storage).
  const { publicClient } = b.clients(0);
  const openings = await publicClient.readContract({
    address: s.d.disputeGame,
    abi: disputeGameAbi,
    functionName: "openings",
  });
  const checkGas = await publicClient.estimateContractGas({
    address: openings,
    abi: disputeOpeningsAbi,
    functionName: "checkInputOpening",
    args: [claim.inputRoot, toHex(f.model.inputRangesRoot), 2n, planned!.opening],
  });
  t.comment(
    `gas: challengeInput ${opened.gasUsed} in all, its check ${checkGas} (element ${f.bad} of int32[300])`,
  );
  t.ok(checkGas < 100_000n, `the check is well under 100k gas (${checkGas})`);
  const again = await s.as(CHALLENGER2).challengeInput(claim, signature, planned!.opening);
  const d2 = await s.game.getDispute(again.disputeId);
  t.same([d2.phase, d2.winner], [Phase.resolved, Winner.void], "a second one on the lost claim is void");
  t.same(await s.d.bridge.bondOf(addr(CHALLENGER2)), { free: BOND, locked: 0n }, "its bond comes back");
}

async function scenarios(t: Test, b: L1Backend, f: InputRangeFixture): Promise<void> {
  await t.test("a worker that claims on an out-of-range input is slashed", (t) => liarLoses(t, b, f));

  await t.test("hostile openings revert by name and change nothing", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOn(f.badInputs, 1);
    const good = planInputChallenge(f.model, f.badInputs)!.opening;
    const inRange = planInputChallenge(f.model, f.inputs);
    t.equal(inRange, null, "nothing to open on the in-range input");
    // A chunk of the bad input whose element 257 reads 5 instead of 16 (a forged chunk).
    const forged = fromHex(good.chunk);
    const at = (Number(good.element) * 4) % 1024;
    forged.set([5, 0, 0, 0], at);
    // Element 3 of the bad input (in range: 21 % 16 = 5), opened with its real proofs.
    const elem3 = openInputElement(f.model, f.badInputs, 0, 3);
    const other = f.model.inputRanges[1];
    const cases: [string, InputOpeningArg, string][] = [
      ["an input past the model's", { ...good, input: 2 }, "InputIndexOutOfRange"],
      ["another data root", { ...good, dataRoot: h32(7) }, "InputNotInRoot"],
      ["another shape", { ...good, shape: [299] }, "InputNotInRoot"],
      ["another dtype (int64)", { ...good, dtype: 7 }, "InputNotInRoot"],
      [
        "a tensor proof one level short",
        { ...good, tensorProof: good.tensorProof.slice(1) },
        "ProofLengthMismatch",
      ],
      ["a narrower range [0, 4]", { ...good, max: 4n }, "RangeLeafNotInModel"],
      ["a range with min 17", { ...good, min: 17n, max: 20n }, "RangeLeafNotInModel"],
      ["input 1's range for input 0", { ...good, min: other.min, max: other.max }, "RangeLeafNotInModel"],
      ["another range proof", { ...good, rangeProof: [h32(3)] }, "RangeLeafNotInModel"],
      ["an element in the zero padding", { ...good, element: 300n }, "ElementNotInInput"],
      ["a forged chunk", { ...good, chunk: toHex(forged) }, "InputChunkNotInData"],
      ["chunk 1 opened for element 3 (chunk 0)", { ...good, element: 3n }, "InputChunkNotInData"],
      [
        "a chunk proof from another chunk",
        { ...good, chunkProof: good.chunkProof.map(() => h32(1)) },
        "InputChunkNotInData",
      ],
      ["an element in range (element 3 is 5)", elem3, "InputElementInRange"],
    ];
    const before = (await s.game.disputesOpened({}, 0n)).length;
    for (const [what, o, err] of cases)
      await rejectsWith(t, s.as(CHALLENGER).challengeInput(claim, signature, o), err, what);
    // x (input 1) declares nothing: its leaf is uint8's whole range, nothing can leave it.
    const xOpening = openInputElement(f.model, f.badInputs, 1, 2);
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeInput(claim, signature, xOpening),
      "InputHasNoRange",
      "an input without a declared range",
    );
    t.equal((await s.game.disputesOpened({}, 0n)).length, before, "no dispute was opened");
    t.same(
      await s.d.bridge.bondOf(b.accounts[CHALLENGER].address),
      { free: BOND, locked: 0n },
      "the bond is untouched",
    );
    t.equal((await s.d.bridge.stakeOf(b.accounts[WORKER].address)).active, STAKE, "the stake is untouched");
    t.notOk(await s.game.claimInvalidated(await s.d.bridge.claimDigest(claim)), "the claim stands");
    // The real opening still wins afterwards: the refusals changed nothing.
    const won = await s.as(CHALLENGER).challengeInput(claim, signature, good);
    t.equal((await s.game.getDispute(won.disputeId)).winner, Winner.challenger, "the real opening wins");
  });

  await t.test("malformed encodings, strangers and unsigned claims are refused", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOn(f.badInputs, 1);
    const good = planInputChallenge(f.model, f.badInputs)!.opening;
    const raw = (o: Hex) => s.as(CHALLENGER).challengeInput(claim, signature, o);
    await rejectsWith(t, raw("0x"), "BadInputOpening", "empty bytes");
    await rejectsWith(t, raw(`0x${"00".repeat(31)}40`), "BadInputOpening", "a first word other than 0x20");
    await rejectsWith(
      t,
      s.as(STRANGER).challengeInput(claim, signature, good),
      "InsufficientFreeBond",
      "no bond",
    );
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeInput({ ...claim, traceRoot: h32(9) }, signature, good),
      "ClaimSignerNotWorker",
      "a claim the worker did not sign",
    );
  });

  await t.test("a model without ranges: nothing to open", async (t) => {
    const s = await setup(b, f);
    const unrangedId = await registerModel(s.d.bridge, f.unranged);
    const { claim, signature } = await s.claimOn(f.badInputs, 2, unrangedId);
    const o = planInputChallenge(f.unranged, f.badInputs);
    t.equal(o, null, "id 16 is inside int32's range: the planner finds nothing");
    const forcedRange = {
      ...f.unranged,
      inputRanges: [{ dtype: 6, min: 0n, max: 15n }, f.unranged.inputRanges[1]],
    };
    const forced = planInputChallenge(forcedRange, f.badInputs)!.opening;
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeInput(claim, signature, forced),
      "RangeLeafNotInModel",
      "a range the model does not declare",
    );
    const real = f.unranged.inputRanges[0];
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeInput(claim, signature, {
        ...forced,
        min: real.min,
        max: real.max,
        rangeProof: openInputRange(f.unranged, 0).proof.map((p) => toHex(p)),
      }),
      "InputHasNoRange",
      "the model's own leaf: int32's whole range",
    );
  });

  await t.test("an honest claim on an in-range input cannot be touched", async (t) => {
    const s = await setup(b, f);
    const { claim, signature } = await s.claimOn(f.inputs, 3);
    t.equal(planInputChallenge(f.model, f.inputs), null, "the planner has nothing against it");
    // The first and last elements of each chunk, opened with the real proofs: all in range.
    for (const e of [0, 255, 256, 299]) {
      await rejectsWith(
        t,
        s.as(CHALLENGER).challengeInput(claim, signature, openInputElement(f.model, f.inputs, 0, e)),
        "InputElementInRange",
        `element ${e}`,
      );
    }
    const bad = planInputChallenge(f.model, f.badInputs)!.opening;
    // The liar's opening (another input) against the honest claim's inputRoot.
    await rejectsWith(
      t,
      s.as(CHALLENGER).challengeInput(claim, signature, bad),
      "InputNotInRoot",
      "the bad input's tensor",
    );
    t.notOk(await s.game.claimInvalidated(await s.d.bridge.claimDigest(claim)), "the honest claim stands");
    t.equal(
      (await s.d.bridge.stakeOf(b.accounts[WORKER].address)).active,
      STAKE,
      "its worker keeps its stake",
    );
  });
}

t.test("challengeInput on the embedded chain", async (t) => {
  const f = await inputRangeFixture();
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  await scenarios(t, b, f);
});

t.test("challengeInput on anvil: the worker that claims on an out-of-range input loses", async (t) => {
  const f = await inputRangeFixture();
  const b = await anvilBackend();
  t.teardown(() => b.close());
  await liarLoses(t, b, f);
});
