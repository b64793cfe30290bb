/**
 * The embedded L1 chain: accounts, automine and interval mining, the injected clock and time travel,
 * transaction admission (every hostile input gets a named error), receipts, logs and filters,
 * eth_call at old blocks, gas estimation, and the same chain over HTTP.
 */
import t from "tap";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  parseEventLogs,
  parseGwei,
  serializeTransaction,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { EmbeddedChain } from "../../../bridge/chain/chain.ts";
import { serveChainHttp } from "../../../bridge/chain/http.ts";
import { ChainRpc, createProvider } from "../../../bridge/chain/rpc.ts";
import { embeddedL1Clients, l1Chain } from "../../../bridge/clients.ts";
import { bridgeAbi, bridgeBytecode } from "../../../contracts/artifacts/Bridge.ts";

const ANVIL_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

async function deployBridge(chain: EmbeddedChain) {
  const c = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const hash = await c.walletClient!.deployContract({
    abi: bridgeAbi,
    bytecode: bridgeBytecode,
    args: [chain.accounts[0].address, 100n, 200n, parseEther("1"), parseEther("0.1")],
  });
  const r = await c.publicClient.waitForTransactionReceipt({ hash });
  return { c, address: r.contractAddress!, receipt: r };
}

t.test("prefunded dev accounts are anvil's, genesis block exists", async (t) => {
  const chain = await EmbeddedChain.create({ accounts: 3 });
  const { publicClient } = embeddedL1Clients(chain);
  t.equal(chain.accounts.length, 3);
  t.equal(chain.accounts[0].address, ANVIL_ACCOUNT_0);
  t.equal(await publicClient.getBalance({ address: ANVIL_ACCOUNT_0 }), 10_000n * 10n ** 18n);
  t.equal(await publicClient.getChainId(), 31337);
  t.equal(await publicClient.getBlockNumber(), 0n);
  const g = await publicClient.getBlock({ blockNumber: 0n });
  t.equal(g.number, 0n);
  t.equal(g.transactions.length, 0);
  await t.rejects(EmbeddedChain.create({ chainId: 0 }), /chainId/);
  await t.rejects(EmbeddedChain.create({ blockTimeMs: -1 }), /blockTimeMs/);
});

t.test("automine: a transfer is mined at once with a full receipt", async (t) => {
  const chain = await EmbeddedChain.create();
  const c = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const to = chain.accounts[1].address;
  const before = await c.publicClient.getBalance({ address: to });
  const hash = await c.walletClient!.sendTransaction({ to, value: parseEther("1.5") });
  const r = await c.publicClient.getTransactionReceipt({ hash });
  t.equal(r.status, "success");
  t.equal(r.blockNumber, 1n);
  t.equal(r.gasUsed, 21000n);
  t.equal(r.from, ANVIL_ACCOUNT_0.toLowerCase());
  t.ok(r.effectiveGasPrice > 0n);
  t.equal(await c.publicClient.getBalance({ address: to }), before + parseEther("1.5"));
  const tx = await c.publicClient.getTransaction({ hash });
  t.equal(tx.blockNumber, 1n);
  t.equal(tx.value, parseEther("1.5"));
  const block = await c.publicClient.getBlock({ blockNumber: 1n, includeTransactions: true });
  t.equal(block.transactions[0].hash, hash);
  t.equal(await c.publicClient.getTransactionCount({ address: ANVIL_ACCOUNT_0 }), 1);
});

t.test("hostile transactions and requests get named JSON-RPC errors", async (t) => {
  const chain = await EmbeddedChain.create({ accounts: 2 });
  const provider = createProvider(chain);
  const rpc = (method: string, params?: unknown) => provider.request({ method, params });
  const acct = privateKeyToAccount(chain.accounts[0].privateKey);
  const base = {
    type: "eip1559" as const,
    chainId: chain.chainId,
    to: chain.accounts[1].address,
    value: 1n,
    gas: 21000n,
    maxFeePerGas: parseGwei("10"),
    maxPriorityFeePerGas: parseGwei("1"),
  };
  await t.rejects(rpc("eth_sendRawTransaction", ["0xdeadbeef"]), {
    code: -32602,
    message: /could not decode/,
  });
  await t.rejects(rpc("eth_sendRawTransaction", ["0x123"]), { code: -32602, message: /hex/ });
  const tx0 = await acct.signTransaction({ ...base, nonce: 0 });
  await rpc("eth_sendRawTransaction", [tx0]);
  await t.rejects(rpc("eth_sendRawTransaction", [tx0]), { code: -32000, message: /already mined/ });
  const stale = await acct.signTransaction({ ...base, nonce: 0, value: 2n });
  await t.rejects(rpc("eth_sendRawTransaction", [stale]), { code: -32000, message: /nonce too low/ });
  const otherChain = await acct.signTransaction({ ...base, nonce: 1, chainId: 999 });
  await t.rejects(rpc("eth_sendRawTransaction", [otherChain]), /chain ?id/i);
  const poor = privateKeyToAccount(`0x${"11".repeat(32)}`);
  const broke = await poor.signTransaction({ ...base, nonce: 0 });
  await t.rejects(rpc("eth_sendRawTransaction", [broke]), { code: -32000, message: /insufficient funds/ });
  const huge = await acct.signTransaction({ ...base, nonce: 1, gas: 40_000_000n });
  await t.rejects(rpc("eth_sendRawTransaction", [huge]), { message: /exceeds block gas limit/ });
  const cheap = await acct.signTransaction({ ...base, nonce: 1, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
  await t.rejects(rpc("eth_sendRawTransaction", [cheap]), { message: /below the next block's base fee/ });
  const lowGas = await acct.signTransaction({ ...base, nonce: 1, gas: 20000n });
  await t.rejects(rpc("eth_sendRawTransaction", [lowGas]), { code: -32000, message: /invalid transaction/ });
  const unsigned = serializeTransaction({ ...base, nonce: 1 });
  await t.rejects(rpc("eth_sendRawTransaction", [unsigned]), /sign/);

  await t.rejects(rpc("eth_frobnicate"), { code: -32601, message: /eth_frobnicate/ });
  await t.rejects(rpc("eth_getBalance", ["0x1234"]), { code: -32602, message: /20-byte hex address/ });
  await t.rejects(rpc("eth_getBalance", [ANVIL_ACCOUNT_0, "0x99"]), { message: /beyond the latest/ });
  await t.rejects(rpc("eth_getBalance", [ANVIL_ACCOUNT_0, "yesterday"]), { code: -32602 });
  await t.rejects(rpc("eth_getBalance", {}), { code: -32602, message: /array/ });
  await t.rejects(rpc("eth_getTransactionReceipt", []), { code: -32602, message: /expected 1 params/ });
  await t.rejects(rpc("eth_getLogs", [{ topics: [1, 2] }]), { code: -32602 });
  await t.rejects(rpc("eth_getLogs", [{ blockHash: `0x${"00".repeat(32)}`, fromBlock: "0x0" }]), {
    code: -32602,
  });
  await t.rejects(rpc("eth_getFilterChanges", ["0x77"]), { message: /filter not found/ });
  await t.rejects(rpc("evm_increaseTime", [-5]), { code: -32602 });
  await t.rejects(rpc("evm_mine", ["0x1"]), { code: -32602, message: /timestamp/ });
  await t.rejects(rpc("eth_sendTransaction", [{ from: `0x${"22".repeat(20)}`, to: ANVIL_ACCOUNT_0 }]), {
    message: /not an unlocked dev account/,
  });
  t.equal(await rpc("eth_getTransactionReceipt", [`0x${"00".repeat(32)}`]), null, "unknown receipt is null");
  t.equal(await rpc("eth_getBlockByNumber", ["0x99", false]), null, "future block is null");
});

t.test("injected clock, increaseTime and setNextBlockTimestamp", async (t) => {
  let nowMs = 1_700_000_000_000;
  const chain = await EmbeddedChain.create({ clock: () => nowMs });
  const rpc = new ChainRpc(chain);
  t.equal(chain.latest().block.header.timestamp, 1_700_000_000n, "genesis stamped from the clock");
  nowMs += 5_000;
  await chain.mine(1);
  t.equal(chain.latest().block.header.timestamp, 1_700_000_005n);
  await chain.mine(1);
  t.equal(
    chain.latest().block.header.timestamp,
    1_700_000_006n,
    "strictly increasing even when the clock stands still",
  );
  await rpc.request("evm_increaseTime", ["0x64"]);
  await rpc.request("evm_mine", []);
  t.equal(
    chain.latest().block.header.timestamp,
    1_700_000_106n,
    "100 s after the latest block (which ran 1 s ahead of the clock)",
  );
  await rpc.request("evm_setNextBlockTimestamp", [1_700_000_500]);
  await rpc.request("evm_mine", []);
  t.equal(chain.latest().block.header.timestamp, 1_700_000_500n);
  await chain.mine(1);
  t.ok(chain.latest().block.header.timestamp >= 1_700_000_500n, "time does not go back after a forced stamp");
  t.throws(() => chain.setNextBlockTimestamp(1_600_000_000), /must be an integer above/);
  await rpc.request("anvil_mine", ["0x3"]);
  t.equal(chain.blockNumber(), 8n, "anvil_mine mines several blocks");
  await t.rejects(chain.mine(0), /block count/);
});

t.test("interval mining picks up pooled transactions; pending nonce counts them", async (t) => {
  const chain = await EmbeddedChain.create({ blockTimeMs: 40 });
  t.equal(chain.automine, false);
  const c = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const h1 = await c.walletClient!.sendTransaction({ to: chain.accounts[1].address, value: 1n });
  const h2 = await c.walletClient!.sendTransaction({ to: chain.accounts[1].address, value: 2n });
  t.equal(await c.publicClient.getTransactionCount({ address: ANVIL_ACCOUNT_0, blockTag: "pending" }), 2);
  t.equal(
    await c.publicClient.getTransactionCount({ address: ANVIL_ACCOUNT_0 }),
    0,
    "latest state: none mined yet",
  );
  t.equal(chain.pendingTransactions().length, 2);
  chain.start();
  t.teardown(() => chain.stop());
  const r2 = await c.publicClient.waitForTransactionReceipt({ hash: h2 });
  const r1 = await c.publicClient.getTransactionReceipt({ hash: h1 });
  t.equal(r1.blockNumber, r2.blockNumber, "both in the same block");
  t.equal(r1.transactionIndex, 0);
  t.equal(r2.transactionIndex, 1);
  const n = chain.blockNumber();
  for (let waited = 0; chain.blockNumber() < n + 2n && waited < 10_000; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(chain.blockNumber() >= n + 2n, "empty blocks keep coming on the interval");
  await chain.stop();
  const stopped = chain.blockNumber();
  await new Promise((r) => setTimeout(r, 150));
  t.equal(chain.blockNumber(), stopped, "stop() stops mining");
});

t.test("logs, log filters, block filters, reverted receipts", async (t) => {
  const chain = await EmbeddedChain.create();
  const { c, address } = await deployBridge(chain);
  const w1 = embeddedL1Clients(chain, { privateKey: chain.accounts[1].privateKey }).walletClient!;
  const r1 = chain.accounts[5].address;
  const r2 = chain.accounts[6].address;
  const filterId = await c.publicClient.createContractEventFilter({
    address,
    abi: bridgeAbi,
    eventName: "Deposited",
  });
  const blockFilter = await c.publicClient.createBlockFilter();
  await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "deposit",
    args: [r1],
    value: 5n,
  });
  await w1.writeContract({ address, abi: bridgeAbi, functionName: "deposit", args: [r2], value: 7n });
  await w1.writeContract({ address, abi: bridgeAbi, functionName: "deposit", args: [r1], value: 9n });

  const all = await c.publicClient.getContractEvents({
    address,
    abi: bridgeAbi,
    eventName: "Deposited",
    fromBlock: 0n,
  });
  t.same(
    all.map((l) => [l.args.depositId, l.args.l2Recipient, l.args.amount]),
    [
      [0n, r1, 5n],
      [1n, r2, 7n],
      [2n, r1, 9n],
    ],
  );
  const toR1 = await c.publicClient.getContractEvents({
    address,
    abi: bridgeAbi,
    eventName: "Deposited",
    args: { l2Recipient: r1 },
    fromBlock: 0n,
  });
  t.same(
    toR1.map((l) => l.args.amount),
    [5n, 9n],
    "indexed topic filter",
  );
  const ranged = await c.publicClient.getContractEvents({
    address,
    abi: bridgeAbi,
    eventName: "Deposited", // a deposit also logs InboxQueued (the forced-inclusion inbox)
    fromBlock: 3n,
    toBlock: 3n,
  });
  t.equal(ranged.length, 1, "block range");
  const ahead = await c.publicClient.getLogs({
    address,
    fromBlock: chain.blockNumber() + 1n,
    toBlock: chain.blockNumber() + 5n,
  });
  t.equal(ahead.length, 0, "a range past the tip matches nothing, without an error");
  await t.rejects(c.publicClient.getLogs({ address, fromBlock: 3n, toBlock: 2n }), /after toBlock/);
  const elsewhere = await c.publicClient.getLogs({ address: chain.accounts[9].address, fromBlock: 0n });
  t.equal(elsewhere.length, 0, "address filter");

  const changes = await c.publicClient.getFilterChanges({ filter: filterId });
  t.equal(changes.length, 3, "filter sees the three deposits");
  t.equal((await c.publicClient.getFilterChanges({ filter: filterId })).length, 0, "and nothing twice");
  await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "deposit",
    args: [r2],
    value: 1n,
  });
  t.equal((await c.publicClient.getFilterChanges({ filter: filterId })).length, 1, "then the new one");
  t.equal((await c.publicClient.getFilterChanges({ filter: blockFilter })).length, 4, "four new blocks");
  t.ok(await c.publicClient.uninstallFilter({ filter: filterId }));

  // A transaction that reverts on chain is mined with status 0 (sent with a fixed gas, no estimate).
  const hash = await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "unbond",
    args: [1n],
    gas: 100_000n,
  });
  const rec = await c.publicClient.getTransactionReceipt({ hash });
  t.equal(rec.status, "reverted");
  t.equal(rec.logs.length, 0);
  const logs = parseEventLogs({
    abi: bridgeAbi,
    logs: (await c.publicClient.getTransactionReceipt({ hash: all[0].transactionHash as Hex })).logs,
  });
  t.equal(logs[0].eventName, "Deposited");
});

t.test("eth_call at an old block sees the old state; estimates are enough", async (t) => {
  const chain = await EmbeddedChain.create();
  const { c, address, receipt } = await deployBridge(chain);
  t.ok(receipt.gasUsed > 1_000_000n, "deployment used the estimate without running out");
  await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "deposit",
    args: [ANVIL_ACCOUNT_0],
    value: 5n,
  });
  const at = chain.blockNumber();
  await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "deposit",
    args: [ANVIL_ACCOUNT_0],
    value: 6n,
  });
  const read = (blockNumber?: bigint) =>
    c.publicClient.readContract({ address, abi: bridgeAbi, functionName: "bridgedBalance", blockNumber });
  t.equal(await read(), 11n);
  t.equal(await read(at), 5n);
  t.equal(await read(receipt.blockNumber), 0n);
  t.equal(await c.publicClient.getBalance({ address, blockNumber: at }), 5n);
  t.equal(
    (await c.publicClient.getCode({ address, blockNumber: 0n })) ?? "0x",
    "0x",
    "no code before deployment",
  );
  const gas = await c.publicClient.estimateContractGas({
    address,
    abi: bridgeAbi,
    functionName: "stake",
    value: parseEther("1"),
    account: c.walletClient!.account,
  });
  const hash = await c.walletClient!.writeContract({
    address,
    abi: bridgeAbi,
    functionName: "stake",
    value: parseEther("1"),
    gas,
  });
  t.equal((await c.publicClient.getTransactionReceipt({ hash })).status, "success", "the estimate is enough");
  await t.rejects(
    c.publicClient.estimateContractGas({
      address,
      abi: bridgeAbi,
      functionName: "unbond",
      args: [10n ** 30n],
      account: c.walletClient!.account,
    }),
    /InsufficientStake/,
    "estimating a reverting call names the custom error",
  );
});

t.test("HTTP JSON-RPC endpoint: viem http(), batches, malformed bodies", async (t) => {
  const chain = await EmbeddedChain.create();
  const server = await serveChainHttp(new ChainRpc(chain), { port: 0 });
  t.teardown(() => server.close());
  const pub = createPublicClient({ chain: l1Chain(chain.chainId, server.url), transport: http(server.url) });
  const wallet = createWalletClient({
    chain: l1Chain(chain.chainId, server.url),
    transport: http(server.url),
    account: privateKeyToAccount(chain.accounts[0].privateKey),
  });
  const hash = await wallet.deployContract({
    abi: bridgeAbi,
    bytecode: bridgeBytecode,
    args: [chain.accounts[0].address, 10n, 20n, 1n, 1n],
  });
  const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  t.equal(
    await pub.readContract({ address: r.contractAddress!, abi: bridgeAbi, functionName: "unbondingDelay" }),
    20n,
  );
  await t.rejects(
    pub.simulateContract({
      address: r.contractAddress!,
      abi: bridgeAbi,
      functionName: "withdrawUnbonded",
      account: wallet.account,
    }),
    /NothingUnbonding/,
    "custom errors decode over HTTP too",
  );

  const post = async (body: string) => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return res.json();
  };
  const preflight = await fetch(server.url, { method: "OPTIONS" });
  t.equal(preflight.status, 204, "CORS preflight");
  t.equal(preflight.headers.get("access-control-allow-origin"), "*");
  t.match(await post("{not json"), { id: null, error: { code: -32700 } });
  t.match(await post("42"), { error: { code: -32600 } });
  t.match(await post('{"jsonrpc":"2.0","id":7}'), { id: 7, error: { code: -32600, message: /method/ } });
  t.match(await post("[]"), { error: { code: -32600, message: /empty batch/ } });
  t.match(await post('{"jsonrpc":"2.0","id":"a","method":"nope"}'), { id: "a", error: { code: -32601 } });
  const batch = await post(
    '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"eth_getBalance","params":["0x00"]}]',
  );
  t.match(batch, [
    { id: 1, result: "0x7a69" },
    { id: 2, error: { code: -32602 } },
  ]);
});

t.test("eth_sendTransaction signs for unlocked dev accounts", async (t) => {
  const chain = await EmbeddedChain.create();
  const provider = createProvider(chain);
  const hash = (await provider.request({
    method: "eth_sendTransaction",
    params: [{ from: chain.accounts[2].address, to: chain.accounts[3].address, value: "0x10" }],
  })) as Hex;
  const rec = (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
    status: string;
    from: string;
  };
  t.equal(rec.status, "0x1");
  t.equal(rec.from, chain.accounts[2].address.toLowerCase());
});

t.test("evm_snapshot / evm_revert drop later blocks, receipts and state", async (t) => {
  const chain = await EmbeddedChain.create();
  const c = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const test = createTestClient({ mode: "anvil", chain: c.chain, transport: c.transport });
  const to = chain.accounts[1].address;
  await c.walletClient!.sendTransaction({ to, value: 1n });
  const id = await test.snapshot();
  const balance = await c.publicClient.getBalance({ address: to });
  const hash = await c.walletClient!.sendTransaction({ to, value: parseEther("1") });
  await test.increaseTime({ seconds: 1000 });
  await test.mine({ blocks: 3 });
  t.equal(chain.blockNumber(), 5n);
  await test.revert({ id });
  t.equal(chain.blockNumber(), 1n, "back to the snapshot's block");
  t.equal(await c.publicClient.getBalance({ address: to }), balance, "state rolled back");
  t.equal(await c.publicClient.getTransactionReceipt({ hash }).catch(() => null), null, "receipt gone");
  t.ok(chain.now() < Number(chain.latest().block.header.timestamp) + 100, "time travel undone");
  // A wallet client's nonce manager remembers the nonces it handed out: use a fresh one after a revert.
  const fresh = embeddedL1Clients(chain, { privateKey: chain.accounts[0].privateKey });
  const again = await fresh.walletClient!.sendTransaction({ to, value: 2n });
  t.equal(
    (await c.publicClient.getTransactionReceipt({ hash: again })).status,
    "success",
    "the nonce is reused",
  );
  t.equal(await chain.revertTo(Number(id)), false, "a snapshot is used up by reverting to it");
  await t.rejects(createProvider(chain).request({ method: "evm_revert", params: ["zz"] }), { code: -32602 });
});

t.test("a transaction after a nonce gap waits until the gap is filled", async (t) => {
  const chain = await EmbeddedChain.create({ accounts: 2 });
  const provider = createProvider(chain);
  const acct = privateKeyToAccount(chain.accounts[0].privateKey);
  const tx = (nonce: number) =>
    acct.signTransaction({
      type: "eip1559",
      chainId: chain.chainId,
      nonce,
      to: chain.accounts[1].address,
      value: 1n,
      gas: 21000n,
      maxFeePerGas: parseGwei("10"),
      maxPriorityFeePerGas: parseGwei("1"),
    });
  const h1 = (await provider.request({ method: "eth_sendRawTransaction", params: [await tx(1)] })) as Hex;
  t.equal(
    await provider.request({ method: "eth_getTransactionReceipt", params: [h1] }),
    null,
    "nonce 1 waits for 0",
  );
  t.equal(chain.pendingTransactions().length, 1, "and stays pooled");
  await provider.request({ method: "eth_sendRawTransaction", params: [await tx(0)] });
  await chain.mine(1);
  const r1 = (await provider.request({ method: "eth_getTransactionReceipt", params: [h1] })) as {
    status: string;
  };
  t.equal(r1.status, "0x1", "mined once the gap is filled");
  t.equal(chain.pendingTransactions().length, 0);
});
