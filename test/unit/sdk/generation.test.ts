// The SDK's check of a paid generation (sdk/generation.ts): tokens bound to the claim, the stop
// rules, and every token the rule's pick from the claim's logits. Synthetic logits: what is tested
// is the check, not a model (the e2e, test/integration/agents/generation.test.ts, runs the real one).
import t from "tap";
import { toHex } from "../../../protocol/bytes.ts";
import { generationParamsToJson } from "../../../protocol/generation-job.ts";
import { generationPassInputRoot, generationSpec } from "../../../prover-trace/commit/generation.ts";
import { jobParamsHash } from "../../../prover-trace/generation/check.ts";
import { generationProblem } from "../../../sdk/generation.ts";
import type { L2JobJson } from "../../../sdk/outcome.ts";

const T = 6;
const V = 4;
const logits = new Int32Array(T * V);
for (let q = 0; q < T; q++) logits[q * V + ((q + 1) % V)] = 50; // row q picks (q + 1) % V
const prompt = [3, 1];
const params = { maxTokens: 3, stopToken: null, rule: { kind: "greedy" as const } };
const generated = [2, 3, 0]; // rows 1, 2, 3
const H = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as `0x${string}`;

function jobWith(gen: number[], over: Partial<NonNullable<L2JobJson["claim"]>> = {}): L2JobJson {
  return {
    id: H(1),
    source: "l2",
    requester: `0x${"11".repeat(20)}`,
    l1RequestId: null,
    modelId: H(2),
    inputRoot: H(3),
    inputCid: "0x",
    escrow: "1",
    deadline: 0,
    postedAt: 0,
    status: "paid",
    worker: `0x${"22".repeat(20)}`,
    claim: {
      jobId: H(1),
      modelId: H(2),
      inputRoot: toHex(generationPassInputRoot(prompt, gen, T)) as `0x${string}`,
      outputRoot: H(4),
      traceRoot: H(5),
      generationSpec: toHex(
        generationSpec(prompt.length, gen.length, jobParamsHash({ prompt, ...params })),
      ) as `0x${string}`,
      outputCid: "0x01",
      traceCid: "0x01",
      ...over,
    },
    claimSignature: null,
    submittedAt: 0,
    disputeId: null,
    refundReason: null,
    generation: { prompt, window: T, params: generationParamsToJson(params), generated: gen },
  };
}

t.equal(generationProblem(jobWith(generated), logits), null, "the honest generation checks");
t.match(generationProblem(jobWith([2, 0, 0]), logits), /token 1 is 0, the rule picks 3/);
t.match(generationProblem(jobWith([2, 3]), logits), /2 tokens without the stop token/);
t.match(generationProblem(jobWith(generated, { inputRoot: H(7) }), logits), /inputRoot/);
t.match(generationProblem(jobWith(generated, { generationSpec: H(0) }), logits), /generationSpec/);
t.match(generationProblem(jobWith(generated), logits.subarray(1)), /not \[6, vocab\]/);
t.match(generationProblem({ ...jobWith(generated), generation: undefined }, logits), /not a generation job/);
