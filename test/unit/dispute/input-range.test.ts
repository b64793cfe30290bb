/**
 * planInputChallenge (verifier/game/input-range.ts): the watcher's opening on a job input outside
 * its model's declared range is the first offending element, opened so that every proof checks
 * against the input root and the model's inputRangesRoot; nothing for an in-range input; a
 * tensor of another type than the model's is refused (it has no range leaf to open).
 */
import t from "tap";
import { fromHex, sha256, verifyMerkleProof } from "../../../protocol/index.ts";
import { rangeLeaf, tensorListRoot } from "../../../prover-trace/commit/model.ts";
import { CHUNK, tensorRoot } from "../../../prover-trace/commit/tensor.ts";
import { openInputElement, planInputChallenge } from "../../../verifier/game/input-range.ts";
import { inputRangeFixture, VOCAB } from "../../helpers/input-range.ts";

const f = await inputRangeFixture();

t.test("nothing to open on an in-range input", async (t) => {
  t.equal(planInputChallenge(f.model, f.inputs), null);
  t.equal(planInputChallenge(f.unranged, f.badInputs), null, "a model without ranges: id 16 is an int32");
});

t.test("the first offending element, with proofs that check", async (t) => {
  const ids = (f.badInputs[0].data as Int32Array).slice();
  ids[290] = -1; // a later offender does not move the choice
  const inputs = [{ ...f.badInputs[0], data: ids }, f.badInputs[1]];
  const c = planInputChallenge(f.model, inputs);
  if (!c) return t.fail("no challenge");
  t.equal(c.why, `input 0 (ids): element ${f.bad} is ${VOCAB}, outside the model's declared range [0, 15]`);
  const o = c.opening;
  t.same([o.input, o.element, o.dtype, o.shape, o.min, o.max], [0, BigInt(f.bad), 6, [300], 0n, 15n]);
  const tr = tensorRoot(6, [300], ids);
  t.ok(
    verifyMerkleProof(tensorListRoot(inputs), tr, 0, 2, o.tensorProof.map(fromHex)),
    "the tensor root opens against the job's inputRoot",
  );
  t.ok(
    verifyMerkleProof(
      f.model.inputRangesRoot,
      rangeLeaf({ dtype: 6, min: 0n, max: 15n }),
      0,
      2,
      o.rangeProof.map(fromHex),
    ),
    "the range leaf opens against inputRangesRoot",
  );
  const chunk = fromHex(o.chunk);
  t.equal(chunk.length, CHUNK);
  const at = (f.bad * 4) % CHUNK;
  t.equal(
    new DataView(chunk.buffer, chunk.byteOffset).getInt32(at, true),
    VOCAB,
    "the chunk holds the element",
  );
  t.equal(o.chunkProof.length, 1, "two chunks: a one-level proof");
  t.ok(
    verifyMerkleProof(fromHex(o.dataRoot), sha256(chunk), 1, 2, o.chunkProof.map(fromHex)),
    "chunk 1 opens against the data root",
  );
});

t.test("a later input is opened when the first is in range", async (t) => {
  // x declares nothing, so only ids can offend; openInputElement opens any element of any input.
  const o = openInputElement(f.model, f.inputs, 1, 2);
  t.same([o.input, o.element, o.dtype, o.min, o.max], [1, 2n, 2, 0n, 255n], "x's leaf is uint8's range");
  t.throws(() => openInputElement(f.model, f.inputs, 2, 0), /graph input index 2 out of range/);
});

t.test("a tensor of another type than the model's is refused, not opened", async (t) => {
  t.throws(() => planInputChallenge(f.model, [f.badInputs[0]]), /2 graph inputs, got 1/);
  const wrong = [{ ...f.badInputs[0], shape: [3, 100] }, f.badInputs[1]];
  t.throws(() => planInputChallenge(f.model, wrong), /not of the model's dtype and shape/);
});
