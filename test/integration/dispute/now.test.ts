/**
 * DisputeGameContract.now(): the L1 time both players read the chess clocks against is the latest
 * block's timestamp, or the (injected) wall clock when that is later.
 */
import t from "tap";
import { DisputeGameContract } from "../../../bridge/dispute/game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";

t.test("now: the latest block's timestamp or the wall clock, whichever is later", async (t) => {
  const b = await embeddedBackend();
  t.teardown(() => b.close());
  const game = new DisputeGameContract(b.clients(0), `0x${"00".repeat(19)}01`);
  const block = await b.clients(0).publicClient.getBlock({ blockTag: "latest" });
  t.equal(await game.now(() => 0), block.timestamp, "a wall clock behind the chain: the block's time");
  const ahead = (block.timestamp + 1000n) * 1000n;
  t.equal(await game.now(() => Number(ahead)), block.timestamp + 1000n, "a wall clock ahead: the wall clock");
  await b.increaseTime(5000);
  const later = await b.clients(0).publicClient.getBlock({ blockTag: "latest" });
  t.equal(
    await game.now(() => Number(ahead)),
    later.timestamp,
    "the chain moved past it: the block's time again",
  );
});
