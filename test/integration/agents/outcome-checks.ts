/**
 * What every agents test asserts about a liar's dispute once it ended, read from L1's events: it
 * resolved once in the challenger's favour, the Bridge settled it once and slashed the liar by the
 * minimum stake, and L2 never paid the liar; and how many L1 txs each side sent.
 */
import type { Test } from "tap";
import type { Address, PublicClient } from "viem";
import type { BridgeContract } from "../../../bridge/bridge.ts";
import { bridgeAbi } from "../../../contracts/artifacts/Bridge.ts";
import { disputeGameAbi } from "../../../contracts/artifacts/DisputeGame.ts";
import type { VerdictClient } from "../../../sdk/index.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { MIN_STAKE, type Network } from "../../helpers/network.ts";

/** The Bridge's DisputeSettled outcome for a challenger win. */
export const OUTCOME_CHALLENGER_WON = 1;

export interface Chain {
  net: Network;
  pub: PublicClient;
  bridge: BridgeContract;
  sdk: VerdictClient;
}

/** Dispute `disputeId`'s DisputeResolved: exactly one, won by the challenger. Returns its log. */
export async function resolvedForChallenger(t: Test, c: Pick<Chain, "net" | "pub">, disputeId: bigint) {
  const resolved = (
    await c.pub.getContractEvents({
      address: c.net.disputeGame,
      abi: disputeGameAbi,
      eventName: "DisputeResolved",
      fromBlock: c.net.deployBlock,
    })
  ).filter((l) => l.args.disputeId === disputeId);
  t.equal(resolved.length, 1, "DisputeResolved once");
  t.equal(Number(resolved[0]?.args.winner), Winner.challenger, "the challenger won");
  return resolved[0];
}

/**
 * The liar's DisputeSettled: once, in `watcher`'s favour (when named), challenger won, slashed by
 * the minimum stake; its L1 stake is `stakeBefore` less one slash and its L2 balance 0.
 */
export async function assertSlashedOnce(
  t: Test,
  c: Chain,
  liar: Address,
  stakeBefore: bigint,
  watcher?: Address,
): Promise<void> {
  const settled = (
    await c.pub.getContractEvents({
      address: c.net.bridgeAddress,
      abi: bridgeAbi,
      eventName: "DisputeSettled",
      args: { worker: liar },
      fromBlock: c.net.deployBlock,
    })
  ).map((l) => l.args as { challenger: Address; outcome: number; slashed: bigint });
  t.equal(settled.length, 1, "settled once in the Bridge");
  if (watcher) t.equal(settled[0]?.challenger.toLowerCase(), watcher, "in the watcher's favour");
  t.equal(Number(settled[0]?.outcome), OUTCOME_CHALLENGER_WON, "challenger won");
  t.equal(settled[0]?.slashed, MIN_STAKE, "slashed by the minimum stake");
  t.equal(
    (await c.bridge.stakeOf(liar)).active,
    stakeBefore - MIN_STAKE,
    "L1: the liar's stake is down by exactly one slash",
  );
  t.equal(await c.sdk.balance(liar), 0n, "L2: the liar was never paid");
}

/**
 * L1 txs per side since the network's deployment: the game's moves (every tx to the DisputeGame
 * from the claimer and from the challenger, with their gas) and apart, their Bridge txs (the
 * liar's stake, the watcher's bond deposit).
 */
export async function txsPerSide(
  c: Pick<Chain, "net" | "pub">,
  claimer: Address,
  challenger: Address,
): Promise<Record<"claimer" | "challenger", { game: number; gameGas: bigint; bridge: number }>> {
  const side = () => ({ game: 0, gameGas: 0n, bridge: 0 });
  const txs = { claimer: side(), challenger: side() };
  const last = await c.pub.getBlockNumber();
  for (let b = c.net.deployBlock; b <= last; b++) {
    const block = await c.pub.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      const from = tx.from.toLowerCase();
      const s = from === claimer ? txs.claimer : from === challenger ? txs.challenger : null;
      const to = tx.to?.toLowerCase();
      if (!s) continue;
      if (to === c.net.bridgeAddress) s.bridge++;
      if (to !== c.net.disputeGame) continue;
      s.game++;
      s.gameGas += (await c.pub.getTransactionReceipt({ hash: tx.hash })).gasUsed;
    }
  }
  return txs;
}
