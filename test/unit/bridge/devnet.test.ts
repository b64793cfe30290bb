/** startDevnet: chain + interval mining + Bridge + HTTP in one call, closed cleanly. */
import t from "tap";
import { createPublicClient, http } from "viem";
import { startDevnet } from "../../../bridge/devnet.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";

t.test("a devnet with HTTP, interval blocks and the Bridge", async (t) => {
  const devnet = await startDevnet({ port: 0, blockTimeMs: 50, bridgeParams: { challengeWindow: 7n } });
  t.teardown(() => devnet.close());
  t.ok(devnet.http, "HTTP server started");
  t.ok(devnet.deployment, "Bridge deployed");
  const pub = createPublicClient({ transport: http(devnet.http!.url), cacheTime: 0 });
  const address = devnet.deployment!.address;
  t.equal(await pub.readContract({ address, abi: bridgeAbi, functionName: "challengeWindow" }), 7n);
  t.equal(
    await pub.readContract({ address, abi: bridgeAbi, functionName: "unbondingDelay" }),
    1200n,
    "defaults fill the rest",
  );
  t.equal(
    await pub.readContract({ address, abi: bridgeAbi, functionName: "sequencer" }),
    devnet.chain.accounts[0].address,
  );
  const n = await pub.getBlockNumber();
  for (let waited = 0; (await pub.getBlockNumber()) < n + 2n && waited < 10_000; waited += 25) {
    await new Promise((r) => setTimeout(r, 25));
  }
  t.ok((await pub.getBlockNumber()) >= n + 2n, "blocks on the interval");
  await devnet.close();
  await t.rejects(pub.getBlockNumber(), "the HTTP server is closed");
  const stopped = devnet.chain.blockNumber();
  await new Promise((r) => setTimeout(r, 150));
  t.equal(devnet.chain.blockNumber(), stopped, "and mining has stopped");
});

t.test("without deploy or HTTP; bad parameters fail and leave nothing running", async (t) => {
  const bare = await startDevnet({ deploy: false });
  t.equal(bare.deployment, undefined);
  t.equal(bare.http, undefined);
  t.equal(bare.chain.automine, true, "automine without a block time");
  await bare.close();
  await t.rejects(
    startDevnet({ port: 0, bridgeParams: { challengeWindow: 100n, unbondingDelay: 100n } }),
    /must exceed the challenge window/,
  );
});
