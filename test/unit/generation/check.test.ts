// The generation claim's rules and the watcher's verdict (prover-trace/generation/check.ts), pure:
// synthetic logits stand in for a pass only where what is tested is the verdict's logic, not a model.
import t from "tap";
import { sha256 } from "../../../protocol/index.ts";
import { generationPassInputRoot, generationSpec } from "../../../prover-trace/commit/generation.ts";
import {
  firstTokenRuleBreak,
  type GenerationJob,
  generationClaimRoots,
  generationVerdict,
  jobParamsHash,
  sequenceRuleBreak,
} from "../../../prover-trace/generation/check.ts";

const T = 8;
const V = 5;
// Row q's argmax is (q * 3 + 1) % V: a pass whose greedy picks are known.
const logits = new Int32Array(T * V);
for (let q = 0; q < T; q++) logits[q * V + ((q * 3 + 1) % V)] = 100;
const pick = (q: number) => (q * 3 + 1) % V;
const prompt = [1, 2];
const job: GenerationJob = { prompt, maxTokens: 4, stopToken: null, rule: { kind: "greedy" } };
const honest = [pick(1), pick(2), pick(3), pick(4)];
const passRoots = {
  inputRoot: generationPassInputRoot(prompt, honest, T),
  outputRoot: sha256(Uint8Array.of(1)),
  traceRoot: sha256(Uint8Array.of(2)),
};
const pass = { ...passRoots, logits };

t.test("the honest claim agrees", async (t) => {
  const claim = generationClaimRoots(job, honest, T, passRoots);
  t.same(claim.generationSpec, generationSpec(2, 4, jobParamsHash(job)));
  t.same(generationVerdict({ job, generated: honest, window: T, vocab: V, claim, pass }), { kind: "agree" });
  t.equal(firstTokenRuleBreak(job.rule, logits, V, prompt.length, honest), -1);
});

t.test("a wrong token at step k is named at k, whatever follows", async (t) => {
  for (const k of [0, 2, 3]) {
    const lie = [...honest];
    lie[k] = (lie[k] + 1) % V;
    lie[3] = k === 3 ? lie[3] : (lie[3] + 2) % V; // later steps may be wrong too: the FIRST is named
    const claim = {
      ...generationClaimRoots(job, lie, T, {
        ...passRoots,
        inputRoot: generationPassInputRoot(prompt, lie, T),
      }),
    };
    const v = generationVerdict({
      job,
      generated: lie,
      window: T,
      vocab: V,
      claim,
      pass: { ...pass, inputRoot: claim.inputRoot },
    });
    t.same(
      v,
      { kind: "token-rule", step: k, position: prompt.length + k, claimed: lie[k], expected: honest[k] },
      `step ${k}`,
    );
  }
});

t.test("a wrong pass is the ordinary game, even when a token is also wrong", async (t) => {
  const claim = { ...generationClaimRoots(job, honest, T, passRoots), traceRoot: sha256(Uint8Array.of(9)) };
  t.same(generationVerdict({ job, generated: honest, window: T, vocab: V, claim, pass }), {
    kind: "pass-differs",
    outputRootDiffers: false,
    traceRootDiffers: true,
  });
  const both = { ...claim, outputRoot: sha256(Uint8Array.of(8)) };
  t.match(generationVerdict({ job, generated: honest, window: T, vocab: V, claim: both, pass }), {
    kind: "pass-differs",
    outputRootDiffers: true,
  });
});

t.test("sequence rules and bindings: broken claims cannot be any pass's", async (t) => {
  const claim = generationClaimRoots(job, honest, T, passRoots);
  const verdict = (generated: number[], c = claim, j = job) =>
    generationVerdict({ job: j, generated, window: T, vocab: V, claim: c, pass });
  t.match(verdict(honest.slice(0, 3)), { kind: "sequence", why: /3 tokens without the stop token/ });
  t.match(verdict([...honest, 0]), { kind: "sequence", why: /5 generated tokens, maxTokens is 4/ });
  t.match(verdict([0, 1, V, 2]), { kind: "sequence", why: /generated token 2/ });
  const stopJob = { ...job, stopToken: honest[1] };
  t.match(verdict(honest, claim, stopJob), {
    kind: "sequence",
    why: /continue after the stop token at step 1/,
  });
  t.same(sequenceRuleBreak(stopJob, honest.slice(0, 2), V), null, "stopping at the stop token is fine");
  t.match(
    verdict(honest, {
      ...claim,
      inputRoot: generationPassInputRoot(prompt, [...honest.slice(0, 3), (honest[3] + 1) % V], T),
    }),
    {
      kind: "sequence",
      why: /inputRoot/,
    },
  );
  t.match(verdict(honest, { ...claim, generationSpec: generationSpec(2, 4, sha256(Uint8Array.of(0))) }), {
    kind: "sequence",
    why: /generationSpec/,
  });
  t.throws(
    () => generationClaimRoots(job, honest, T, { ...passRoots, inputRoot: sha256(Uint8Array.of(3)) }),
    /int32 token ids/,
  );
});
