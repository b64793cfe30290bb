/**
 * The real L2 state machine (sequencer/state/machine.ts) on an in-memory state, for attack tests
 * that play one claim on L2 and on the real contracts: a requester funded by a deposit, a worker
 * registered for the model, and jobs whose ids are chosen by the test (so a claim signed for an
 * L1 game names the same job). User tx signatures are checked before applyTx (the sequencer's
 * verify pool), so txs here carry a placeholder; the claim signature inside submitResult is
 * checked by applyTx itself.
 */
import type { Test } from "tap";
import { type Eip712Domain, l2Domain } from "../../protocol/eip712.ts";
import type { ClaimMsg, Hex, Tx } from "../../protocol/tx.ts";
import { applyTx, type ChainParams, type TxContext, type TxOutcome } from "../../sequencer/state/machine.ts";
import { MemoryState } from "../../sequencer/state/overlay.ts";
import { type Account, type Job, keys } from "../../sequencer/state/records.ts";

export const L2_REQUESTER = `0x${"a1".repeat(20)}` as const;
const FEES = `0x${"fe".repeat(20)}` as const;
const NO_SIG = `0x${"00".repeat(65)}` as Hex;
/** A well-formed binary CIDv1 (raw leaves, sha2-256): L2 checks a job's inputCid decodes, not what it names. */
export const SOME_CID = `0x01551220${"ab".repeat(32)}` as Hex;

export class L2Machine {
  readonly state = new MemoryState();
  readonly params: ChainParams;
  now = 1_000;
  private txn = 0;
  private deposits = 0n;

  readonly claimDomain: Eip712Domain;

  constructor(claimDomain: Eip712Domain, challengeWindowMs = 60_000, claimCollateral = 0n) {
    this.claimDomain = claimDomain;
    this.params = { challengeWindowMs, minFee: 1n, feeRecipient: FEES, claimCollateral };
    this.deposit(L2_REQUESTER, 10n ** 18n);
  }

  ctx(txHash?: Hex): TxContext {
    const h = txHash ?? (`0x${(++this.txn).toString(16).padStart(64, "0")}` as Hex);
    return {
      timestamp: this.now,
      txHash: h,
      params: this.params,
      claimDomain: this.claimDomain,
      l2Domain: l2Domain(424242n),
    };
  }

  apply(tx: Tx, txHash?: Hex): TxOutcome {
    return applyTx(this.state, tx, this.ctx(txHash));
  }

  /** `tx` must be refused with `re`, leaving the state exactly as it was. */
  rejects(t: Test, tx: Tx, re: RegExp, what: string): void {
    const before = new Map(this.state.map);
    t.throws(() => this.apply(tx), re, what);
    t.same(this.state.map, before, `${what}: state untouched`);
  }

  user(from: string) {
    const acc = (this.state.get(keys.account(from)) as Account | undefined) ?? { balance: 0n, nonce: 0 };
    return { from: from.toLowerCase() as Hex, nonce: acc.nonce, fee: 1n, signature: NO_SIG };
  }

  deposit(to: string, amount: bigint): void {
    this.apply({ type: "deposit", depositId: ++this.deposits + 1_000_000n, recipient: to as Hex, amount });
  }

  registerWorker(worker: string, modelId: Hex, capacity = 8): void {
    this.deposit(worker, 10n ** 17n);
    this.apply({
      type: "registerWorker",
      ...this.user(worker),
      models: [modelId],
      price: 1n,
      capacity,
      multiaddr: "/ip4/127.0.0.1/tcp/1",
    });
  }

  /** L2 takes jobs only on models it derived from L1's ModelRegistered: derives `modelId`'s, once. */
  registerModel(modelId: Hex): void {
    if (this.state.get(keys.model(modelId)) === undefined) {
      this.apply({ type: "modelRegistered", inboxIndex: 0n, modelId, registrant: FEES, cid: SOME_CID });
    }
  }

  /** Posts job `jobId` (its id is the postJob tx hash) and has `worker` claim it. */
  postAndClaim(jobId: Hex, modelId: Hex, inputRoot: Hex, worker: string, escrow = 1000n): void {
    this.registerModel(modelId);
    this.apply(
      {
        type: "postJob",
        ...this.user(L2_REQUESTER),
        modelId,
        inputRoot,
        inputCid: SOME_CID,
        escrow,
        deadline: this.now + 3_600_000,
      },
      jobId,
    );
    this.apply({ type: "claimJob", ...this.user(worker), jobId });
  }

  submit(worker: string, claim: ClaimMsg, claimSignature: Hex): Tx {
    return { type: "submitResult", ...this.user(worker), claim, claimSignature };
  }

  job(id: Hex): Job {
    return this.state.get(keys.job(id)) as Job;
  }
}
