/**
 * Txs that can never be served are refused with the reason and change nothing: a postJob with
 * an empty or non-CID inputCid, on a model L1 never registered, or with an escrow of 0 (L1's
 * requestInference refuses these too), a registerWorker
 * whose multiaddr carries control or bidi characters, a tx whose type is not a string.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { l2Domain } from "../../../protocol/eip712.ts";
import { decodeTx, encodeTx, signTx, type UnsignedUserTx, type UserTx } from "../../../protocol/tx.ts";
import { DEFAULTS, resolveGenesis } from "../../../sequencer/config.ts";
import { devGenesis, devKeys } from "../../../sequencer/devkit.ts";
import { StaticL1Source } from "../../../sequencer/l1.ts";
import { SequencerNode, SubmitError } from "../../../sequencer/node.ts";
import { cidHexOf, modelRegistration } from "../../helpers/registered-model.ts";

const users = devKeys(1, "unservable");
const { genesis, key } = resolveGenesis({ ...DEFAULTS, genesis: devGenesis(users, 1000n) });
const domain = l2Domain(genesis.l2ChainId);
const h32 = (b: number) => `0x${b.toString(16).padStart(2, "0").repeat(32)}` as const;

async function refusal(p: Promise<unknown>): Promise<SubmitError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SubmitError) return e;
    throw e;
  }
  throw new Error("accepted");
}

t.test(
  "postJob: empty or non-CID inputCid, unregistered model and escrow 0 are refused; state unchanged",
  async (t) => {
    const d = mkdtempSync(join(tmpdir(), "verdict-unservable-"));
    const l1 = new StaticL1Source();
    const node = await SequencerNode.open({
      dataDir: d,
      genesis,
      sequencerKey: key ?? undefined,
      verifyWorkers: 0,
      l1,
    });
    t.teardown(async () => {
      await node.close();
      rmSync(d, { recursive: true, force: true });
    });
    const inputCid = await cidHexOf(new TextEncoder().encode("an input file"));
    const job = (over: Record<string, unknown>) =>
      encodeTx(
        signTx(
          {
            type: "postJob",
            from: users[0].address,
            nonce: 0,
            fee: 0n,
            modelId: h32(1),
            inputRoot: h32(2),
            inputCid,
            escrow: 5n,
            deadline: Date.now() + 60_000,
            ...over,
          } as UnsignedUserTx,
          users[0].key,
          domain,
        ) as UserTx,
      );
    const empty = await refusal(node.submit(job({ inputCid: "0x" })));
    t.equal(empty.status, 422);
    t.equal(empty.message, "inputCid is empty: a worker could not fetch the input");
    const free = await refusal(node.submit(job({ escrow: 0n })));
    t.equal(free.status, 422);
    t.equal(free.message, "escrow must be positive: a job paying 0 is never claimed");
    const fake = await refusal(node.submit(job({ inputCid: "0x01551220aa" })));
    t.equal(fake.status, 422);
    t.match(
      fake.message,
      /^inputCid is not a CID, a worker could not fetch the input: not a binary CID: 0x01551220aa/,
    );
    const unregistered = await refusal(node.submit(job({})));
    t.equal(unregistered.status, 422);
    t.equal(
      unregistered.message,
      `model ${h32(1)} is not registered on L1: no worker could prove a result for it`,
    );
    t.same(node.record(`acct/${users[0].address}`), { balance: "1000", nonce: 0 }, "nothing changed");
    t.equal(node.chain.pending, null, "no block opened");
    // L1 registers the model; the next block derives it
    l1.mine([await modelRegistration(h32(1))]);
    await node.sealNow();
    t.match(await node.submit(job({})), { txHash: /^0x/ }, "the same job with input and escrow is taken");
  },
);

t.test("registerWorker: a multiaddr with control or bidi characters is malformed", async (t) => {
  const base = {
    type: "registerWorker",
    from: users[0].address,
    nonce: 0,
    fee: "0",
    models: [],
    price: "1",
    capacity: 1,
    signature: `0x${"00".repeat(65)}`,
  };
  t.equal(
    (decodeTx({ ...base, multiaddr: "/ip4/1.2.3.4/tcp/4001" }) as { multiaddr: string }).multiaddr,
    "/ip4/1.2.3.4/tcp/4001",
  );
  for (const [bad, code] of [
    ["/ip4/1.2.3.4\u0000/tcp/1", "0000"],
    ["/dns4/evil\u202egro.example/tcp/1", "202E"],
    ["/dns4/a\u2066b/tcp/1", "2066"],
    ["/ip4/1.2.3.4/tcp/1\n", "000A"],
    ["/dns4/x\u0085/tcp/1", "0085"],
  ])
    t.throws(
      () => decodeTx({ ...base, multiaddr: bad }),
      new RegExp(`^field multiaddr: control or bidi character U\\+${code} at \\d+$`),
      JSON.stringify(bad),
    );
});
