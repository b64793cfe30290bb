/**
 * The claims each posted batch commits on L1 (issue 18, attack 6; docs/dispute-game.md "The
 * challenge window on L1"). `batchClaimKeys` is pure: the claim keys of the submitResult and
 * submitGeneration txs in a batch's blocks, block then tx order (only applied txs enter a block). The ClaimsRecorder
 * records the root of each confirmed batch's claims tree (protocol/claims.ts) on the Bridge with
 * `recordBatchClaims`, separately from postBatch, and serves the proof a disputed worker sends
 * to `DisputeGame.proveClaimFinal` once its claim's window is over.
 */
import type { Logger } from "pino";
import { toHex } from "../protocol/bytes.ts";
import { type ClaimProof, ClaimsTree } from "../protocol/claims.ts";
import type { Eip712Domain } from "../protocol/eip712.ts";
import { claimDigest, decodeTx, type Hex } from "../protocol/tx.ts";
import type { PostedBatch } from "./batch.ts";
import type { Block } from "./block.ts";

/** The claim keys (Bridge.claimDigest in `domain`) submitted by `blocks`, in order. */
export function batchClaimKeys(blocks: readonly Block[], domain: Eip712Domain): Hex[] {
  const keys: Hex[] = [];
  for (const b of blocks)
    for (const json of b.txs) {
      if (json.type !== "submitResult" && json.type !== "submitGeneration") continue;
      const tx = decodeTx(json);
      if (tx.type === "submitResult" || tx.type === "submitGeneration")
        keys.push(toHex(claimDigest(tx.claim, domain)));
    }
  return keys;
}

/** The Bridge's claims records as the recorder needs them (bridge/bridge.ts BridgeContract fits). */
export interface ClaimsL1 {
  recordBatchClaims(batchIndex: bigint, claimsRoot: Hex): Promise<unknown>;
  batchClaims(batchIndex: bigint): Promise<{ root: Hex; recordedAt: bigint }>;
}

/** Where a claim was committed on L1, and its proof there. */
export interface ClaimInclusion extends ClaimProof {
  batchIndex: number;
  claimKey: Hex;
}

export class ClaimsRecorder {
  private readonly blockAt: (n: number) => Promise<Block | null | undefined>;
  private readonly confirmed: () => Promise<PostedBatch[]>;
  private readonly l1: ClaimsL1;
  private readonly domain: Eip712Domain;
  private readonly logger?: Logger;
  private readonly extraClaims: (batchIndex: number) => Hex[];
  /** Batches below this index are recorded on L1 (or hold no claims). */
  private next = 0;
  /** Claim key -> index of the first batch holding it, for batches scanned so far. */
  private readonly batchOf = new Map<Hex, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(opts: {
    /** A stored L2 block by number (SequencerNode.block). */
    block: (n: number) => Promise<Block | null | undefined>;
    /** The batches confirmed on L1, in index order (Batcher.confirmed). */
    confirmed: () => Promise<PostedBatch[]>;
    l1: ClaimsL1;
    claimDomain: Eip712Domain;
    logger?: Logger;
    /** Test only (the forge-result fault): claim keys a lying sequencer adds to a batch's tree. */
    extraClaims?: (batchIndex: number) => Hex[];
  }) {
    this.extraClaims = opts.extraClaims ?? (() => []);
    this.blockAt = opts.block;
    this.confirmed = opts.confirmed;
    this.l1 = opts.l1;
    this.domain = opts.claimDomain;
    this.logger = opts.logger;
  }

  /** The claims tree of a posted batch, or null when its blocks submitted no claim. */
  async tree(batch: PostedBatch): Promise<ClaimsTree | null> {
    const blocks: Block[] = [];
    for (let n = batch.firstBlock; n <= batch.lastBlock; n++) {
      const b = await this.blockAt(n);
      if (!b) throw new Error(`block ${n} missing from the store`);
      blocks.push(b);
    }
    const keys = [...batchClaimKeys(blocks, this.domain), ...this.extraClaims(batch.index)];
    return keys.length === 0 ? null : new ClaimsTree(keys);
  }

  /**
   * Records the claims root of every confirmed batch not yet recorded (in order; a batch L1
   * already holds with this root is skipped, one with another root is an error: the Bridge and
   * this node disagree). Returns the batch indexes it recorded.
   */
  async recordOnce(): Promise<number[]> {
    const done: number[] = [];
    const batches = await this.confirmed();
    for (; this.next < batches.length; this.next++) {
      const batch = batches[this.next];
      const tree = await this.tree(batch);
      if (!tree) continue;
      for (const k of tree.claimKeys) if (!this.batchOf.has(k)) this.batchOf.set(k, batch.index);
      const on = await this.l1.batchClaims(BigInt(batch.index));
      if (on.recordedAt !== 0n) {
        if (on.root.toLowerCase() !== tree.rootHex)
          throw new Error(
            `L1 holds claims root ${on.root} for batch ${batch.index}, this node ${tree.rootHex}`,
          );
        continue;
      }
      await this.l1.recordBatchClaims(BigInt(batch.index), tree.rootHex);
      done.push(batch.index);
      this.logger?.info({ index: batch.index, claims: tree.claimKeys.length }, "batch claims recorded on L1");
    }
    return done;
  }

  /**
   * L1 removed batches from `fromIndex` on (a lost batch challenge) with their claims roots:
   * the batches posted again under those indexes are recorded afresh.
   */
  forget(fromIndex: number): void {
    if (this.next > fromIndex) this.next = fromIndex;
    for (const [k, i] of this.batchOf) if (i >= fromIndex) this.batchOf.delete(k);
  }

  /** Records on an interval (errors are logged and retried on the next tick). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.recordOnce()
        .catch((err) => this.logger?.error({ err: (err as Error).message }, "recording batch claims failed"))
        .finally(() => (this.running = null));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Where `claimKey` was committed (a batch recorded by this recorder), with its proof. */
  async inclusion(claimKey: Hex): Promise<ClaimInclusion | { error: string }> {
    const key = claimKey.toLowerCase() as Hex;
    const batchIndex = this.batchOf.get(key);
    if (batchIndex === undefined) return { error: `claim ${key} is in no recorded batch yet` };
    const batch = (await this.confirmed())[batchIndex];
    const proof = (await this.tree(batch))?.proofOf(key);
    if (!proof) throw new Error(`batch ${batchIndex} no longer holds claim ${key}`);
    return { batchIndex, claimKey: key, ...proof };
  }
}
