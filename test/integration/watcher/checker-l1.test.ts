/**
 * The watcher's checker without a local model file: the model's CID comes from its Bridge
 * registration (BridgeContract.registeredModelCid, the ModelRegistered log), the bytes from the
 * content layer, checked against the model id before anything runs. An unregistered model names
 * no CID and is refused.
 */

import t from "tap";
import { parseEther } from "viem";
import { deployBridge } from "../../../bridge/deploy.ts";
import { openContent } from "../../../content/open.ts";
import { encodeTensorFile } from "../../../content/tensor-file.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { cidToBytesHex } from "../../../protocol/cid.ts";
import { NO_GENERATION } from "../../../protocol/tx.ts";
import { viewOutputRoot } from "../../../verifier/game/view.ts";
import { Checker } from "../../../verifier/watcher/checker.ts";
import { h32 } from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { level0Fixture } from "../../helpers/level0.ts";

t.test("a registered model is fetched by its CID and checked", async (t) => {
  const f = await level0Fixture();
  const b = await embeddedBackend();
  const content = await openContent();
  t.teardown(async () => {
    await content.close();
    await b.close();
  });
  const d = await deployBridge(b.clients(0), {
    challengeWindow: 100n,
    unbondingDelay: 10_000n,
    minWorkerStake: parseEther("1"),
    challengerBond: parseEther("0.1"),
    disputeClock: 600n,
  });
  const modelId = toHex(f.model.modelId);
  t.equal(await d.bridge.registeredModelCid(modelId), null, "before registration: no CID");
  await d.bridge.registerCommittedModel(f.model);
  t.equal(await d.bridge.registeredModelCid(modelId), toHex(f.model.cidBytes), "the registered CID");
  t.equal(await d.bridge.registeredModelCid(h32(9)), null, "another model id: none");

  t.equal(cidToBytesHex(await content.add(f.bytes)), toHex(f.model.cidBytes), "the file under that CID");
  const checker = await Checker.create({ content, l1: { clients: b.clients(0), bridge: d.address } });
  t.teardown(() => checker.close());
  t.same(checker.localModels, [], "no local model file");
  const inputCid = cidToBytesHex(await content.add(encodeTensorFile([f.input])));
  const inputRoot = toHex(f.honest.inputLevels[f.honest.inputLevels.length - 1].slice(0, 32));
  const claim = {
    jobId: h32(1),
    modelId,
    inputRoot,
    outputRoot: toHex(viewOutputRoot(f.honest)),
    traceRoot: toHex(f.honest.trace.root),
    generationSpec: NO_GENERATION,
    outputCid: "0x" as const,
    traceCid: "0x" as const,
  };
  const c = await checker.check(claim, { modelId, inputRoot, inputCid });
  t.equal(c.verdict, "agree", "re-executed with the fetched model: the honest claim agrees");

  await t.rejects(
    checker.check({ ...claim, modelId: h32(9) }, { modelId: h32(9), inputRoot, inputCid }),
    { name: "CheckError", message: /not registered on the Bridge/ },
    "an unregistered model is refused",
  );
});
