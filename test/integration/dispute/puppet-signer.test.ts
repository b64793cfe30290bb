/**
 * Issue 18, the puppet signer ("staked impostor"): the claim's EIP-712 digest names its worker,
 * and only that worker's signature makes the claim valid. Before, any key could sign the very
 * same claim: a liar had a puppet key with a few wei of stake sign its lie and lose a dispute on
 * it first, which invalidated the claim key, so the honest watcher's dispute on the liar's own
 * signature ended void, the liar was never slashed, and the L1 refund held only the puppet's
 * slash. On the real Bridge and DisputeGame on the embedded chain, played by the real planners,
 * and the real L2 state machine fed by the real BridgeFollower:
 *  - the puppet's signature on the worker's claim opens no dispute (ClaimSignerNotWorker);
 *  - the puppet's own copy (naming itself) is another claim with another key: losing it
 *    invalidates only that key, L2 does not follow it, and the worker's claim stands;
 *  - the honest watcher's dispute on the worker's claim still slashes the worker, invalidates
 *    the worker's claim key, puts the full burned half in its refund reserve, and refunds on L2.
 */
import t from "tap";
import type { Hex } from "viem";
import { BridgeFollower } from "../../../bridge/follower.ts";
import { toHex } from "../../../protocol/bytes.ts";
import { claimDomain } from "../../../protocol/eip712.ts";
import { Winner } from "../../../verifier/game/planner.ts";
import { playToEnd } from "../../../verifier/game/play.ts";
import { buildPartyView, viewOutputRoot } from "../../../verifier/game/view.ts";
import { mlpFixture, signClaimAs, tamper } from "../../helpers/dispute.ts";
import {
  CHALLENGER,
  CHALLENGER2,
  type Game,
  MIN_STAKE,
  playOut,
  rejectsWith,
  STAKE,
  STRANGER,
  setupGame,
  WORKER,
} from "../../helpers/dispute-game.ts";
import { embeddedBackend } from "../../helpers/l1.ts";
import { L2Machine } from "../../helpers/l2-machine.ts";

const b = await embeddedBackend();
t.teardown(() => b.close());
const f = await mlpFixture();
const honest = buildPartyView(f.model, [f.input], f.outputs);
// A wrong element deep in the trace; its outputs are its own trace's, so level 0 finds no fault.
const liar = buildPartyView(f.model, [f.input], tamper(f.outputs, 5, 3));
const worker = b.accounts[WORKER].address.toLowerCase() as Hex;
const PUPPET = STRANGER;
const puppet = b.accounts[PUPPET].address.toLowerCase() as Hex;

t.test(
  "a puppet cannot sign the worker's claim, and losing its own copy leaves the worker's to the watcher",
  async (t) => {
    const game = await setupGame(b, f, liar);
    const claim = { ...game.claim, outputRoot: toHex(viewOutputRoot(liar)) };
    const g: Game = { ...game, claim, signature: await signClaimAs(b, WORKER, claim, game.d.address) };
    const chainId = BigInt(await b.clients().publicClient.getChainId());
    const l2 = new L2Machine(claimDomain(chainId, g.d.address), 60_000, MIN_STAKE);
    const follower = new BridgeFollower(b.clients(0), { bridge: g.d.address, confirmations: 0 });
    let after = Number(g.d.blockNumber) - 1;
    const skipped: string[] = [];
    const sync = async () => {
      const { origin, txs } = await follower.derive(after);
      for (const tx of txs) {
        try {
          l2.apply(tx);
        } catch (e) {
          skipped.push(`${tx.type}: ${(e as Error).message}`); // the node skips it too
        }
      }
      after = origin.number;
    };
    l2.registerWorker(worker, g.claim.modelId);
    await sync();
    l2.postAndClaim(g.claim.jobId, g.claim.modelId, g.claim.inputRoot, worker);
    l2.apply(l2.submit(worker, g.claim, g.signature));
    const workerKey = await g.d.bridge.claimDigest(g.claim);

    // The puppet: a key with a few wei of stake, so a dispute against it is played, not unbacked.
    await g.d.bridge.as(b.wallet(PUPPET)).stake(5n);

    // 1. The puppet signs the worker's claim as it is: no dispute opens on that signature.
    const impostor = await signClaimAs(b, PUPPET, g.claim, g.d.address);
    await rejectsWith(t, g.as(CHALLENGER2).open(g.claim, impostor), "ClaimSignerNotWorker", "level 1");
    await rejectsWith(
      t,
      g.as(CHALLENGER2).challengeOutput(g.claim, impostor, 0),
      "ClaimSignerNotWorker",
      "level 0",
    );
    await t.rejects(
      g.d.bridge.claimSigner(g.claim, impostor),
      /ClaimSignerNotWorker/,
      "Bridge.claimSigner (deliverResult applies the same check) names the refusal",
    );
    t.equal(
      (await g.d.bridge.claimSigner(g.claim, g.signature)).toLowerCase(),
      worker,
      "the worker's own signs",
    );

    // 2. The puppet's own copy of the content names the puppet: another claim, another key.
    const copy = { ...g.claim, worker: puppet };
    const copyKey = await g.d.bridge.claimDigest(copy);
    t.not(copyKey, workerKey, "the copy has its own claim key");
    const copySig = await signClaimAs(b, PUPPET, copy, g.d.address);
    const lostOnPurpose = await g.as(CHALLENGER2).open(copy, copySig);
    t.equal(
      (await g.game.getDispute(lostOnPurpose.disputeId)).claimer.toLowerCase(),
      puppet,
      "against the puppet",
    );
    const puppetGame = await playToEnd(
      lostOnPurpose.disputeId,
      { game: g.as(PUPPET), view: liar },
      { game: g.as(CHALLENGER2), view: honest },
    );
    t.equal(puppetGame.winner, Winner.challenger, "the puppet loses its copy");
    t.ok(await g.game.claimInvalidated(copyKey), "the copy's key is invalidated");
    t.notOk(await g.game.claimInvalidated(workerKey), "the worker's claim key is not");
    t.equal((await g.d.bridge.stakeOf(puppet)).active, 0n, "the puppet's few wei are slashed");
    await sync();
    t.equal(l2.job(g.claim.jobId).status, "submitted", "L2 does not follow a dispute against another key");
    t.match(skipped.join("\n"), /is against 0x[0-9a-f]{40}, not job .*'s worker/, "it names why");

    // 3. The honest watcher disputes the worker's own signature: played, won, the worker slashed.
    const watcher = await g.as(CHALLENGER).open(g.claim, g.signature);
    t.equal((await g.game.getDispute(watcher.disputeId)).winner, Winner.none, "not void: it is played");
    const played = await playOut(g, watcher.disputeId, liar, honest);
    t.equal(played.winner, Winner.challenger, "the honest watcher wins");
    t.ok(await g.game.claimInvalidated(workerKey), "the worker's claim key is invalidated");
    const left = await g.d.bridge.stakeOf(worker);
    t.equal(left.active + left.unbonding, STAKE - MIN_STAKE, "the worker itself is slashed minWorkerStake");
    t.equal(await g.d.bridge.refundReserve(workerKey), MIN_STAKE / 2n, "the full burned half backs a refund");
    await sync();
    t.equal(l2.job(g.claim.jobId).status, "refunded", "L2 refunds the job");
    t.equal(l2.job(g.claim.jobId).refundReason, "dispute lost");
  },
);
