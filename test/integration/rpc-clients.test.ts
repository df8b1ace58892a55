/**
 * The Ethereum JSON-RPC (issue 13) driven by the clients people use, unmodified, against
 * real validators in one process over 127.0.0.1 (three of four, node 0 serving --rpc-port):
 * ethers v6 with its default batching, viem over HTTP and WebSocket, the call sequences of
 * Foundry's cast and of MetaMask replayed request by request (neither can run here), and the
 * README's ethers example run as written. Every answer of the replays is checked against its
 * execution-apis shape (test/support/rpc-schemas.ts). None of the project's code builds a
 * request: the clients sign, encode and hash the transactions themselves.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isError, JsonRpcProvider, Wallet } from 'ethers';
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  keccak256,
  parseGwei,
  webSocket,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/keys.js';
import type { LedgerNode } from '../../src/node/index.js';
import { ROOT, waitUntil } from '../e2e/helpers.js';
import { type ByzantineNet, byzantineNet } from '../support/byzantine-net.js';
import { testSecrets } from '../support/ledger-fixture.js';
import { RpcSocket, rpc } from '../support/rpc-client.js';
import { assertResultShape, assertShape, blockWithHashes } from '../support/rpc-schemas.js';

const CHAIN_ID = 1337n;
const BASE_FEE = parseGwei('1');
const TIP = parseGwei('1');
const ETHER = 10n ** 18n;
const [ETHERS_KEY, VIEM_KEY, CAST_KEY, METAMASK_KEY, EXAMPLE_KEY, POOR_KEY] = testSecrets(
  6,
  'rpc-clients',
).map((s) => toHex(s) as Hex);
const FUNDED = [ETHERS_KEY, VIEM_KEY, CAST_KEY, METAMASK_KEY, EXAMPLE_KEY];
/** Recipients nobody has used: their balances are exactly what the tests send. */
const recipient = (i: number) => toHex(addressOf(testSecrets(20, 'rpc-clients-to')[i]));

const chain = (rpcUrl: string, wsUrl: string) =>
  defineChain({
    id: Number(CHAIN_ID),
    name: 'bft-ledger test',
    nativeCurrency: { name: 'BFT', symbol: 'BFT', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl], webSocket: [wsUrl] } },
  });

/** Calls a method the way a tool does and checks its answer's execution-apis shape. */
async function checked<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const result = await rpc<T>(url, method, params);
  assertResultShape(method, result);
  return result;
}

type Receipt = { blockHash: string; blockNumber: string; status: string; transactionHash: string };

/** Polls eth_getTransactionReceipt as wallets do (once per block or so), each answer's shape checked. */
async function receiptOf(url: string, hash: string): Promise<Receipt> {
  return waitUntil(
    `the receipt of ${hash}`,
    async () => (await checked<Receipt | null>(url, 'eth_getTransactionReceipt', [hash])) ?? undefined,
    30_000,
    50,
  );
}

const EXAMPLE_TO = recipient(4);

/** docs/examples/ethers-transfer.ts, the README's example, as a user runs it. */
function runExample(rpcUrl: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'docs/examples/ethers-transfer.ts')], {
    cwd: ROOT,
    env: { ...process.env, RPC_URL: rpcUrl, PRIVATE_KEY: EXAMPLE_KEY, TO: EXAMPLE_TO },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('Ethereum clients against real validators', { timeout: 90_000 }, () => {
  let net: ByzantineNet;
  let node: LedgerNode;
  let rpcUrl: string;
  let wsUrl: string;
  let example: Promise<{ code: number | null; out: string }>;

  before(async () => {
    net = await byzantineNet({
      chainId: CHAIN_ID,
      params: { baseRoundTimeoutMs: 200, baseFeePerGas: BASE_FEE },
      alloc: FUNDED.map((key) => ({
        address: addressOf(Buffer.from(key.slice(2), 'hex')),
        balance: 1000n * ETHER,
      })),
    });
    node = await net.startNode(0, { rpcPort: 0 });
    await net.startNode(1);
    await net.startNode(2);
    rpcUrl = `http://127.0.0.1:${node.rpcPort}`;
    wsUrl = `ws://127.0.0.1:${node.rpcPort}`;
    // a process of its own that mostly waits (ethers polls every 4 s): it runs beside the tests
    example = runExample(rpcUrl);
  });
  after(async () => {
    await net?.stop();
  });

  it('ethers v6: send and wait, balance, latest block, fee data; its own codes for refusals', async () => {
    const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100 });
    try {
      assert.equal((await provider.getNetwork()).chainId, CHAIN_ID);
      const wallet = new Wallet(ETHERS_KEY, provider);
      const to = recipient(0);
      const tx = await wallet.sendTransaction({ to, value: 12_345n });
      assert.equal(tx.type, 2, 'ethers chose an EIP-1559 transaction (the base fee is not 0)');
      const receipt = await tx.wait(1, 30_000);
      assert.ok(receipt);
      assert.equal(receipt.status, 1);
      // the hash the node answered is the one ethers computed from its own bytes
      assert.equal(receipt.hash, tx.hash);
      assert.equal(await provider.getBalance(to), 12_345n);

      const latest = await provider.getBlock('latest');
      assert.ok(latest && latest.number >= receipt.blockNumber);
      assert.equal(latest.baseFeePerGas, BASE_FEE);
      const mined = await provider.getBlock(receipt.blockNumber, true);
      assert.ok(mined?.prefetchedTransactions.some((t) => t.hash === tx.hash));
      assert.equal(mined?.hash, receipt.blockHash);

      const fees = await provider.getFeeData();
      assert.equal(fees.gasPrice, BASE_FEE + TIP);
      assert.equal(fees.maxPriorityFeePerGas, TIP);
      // ethers' own formula: twice the latest base fee plus the tip
      assert.equal(fees.maxFeePerGas, 2n * BASE_FEE + TIP);

      // nonce 0 is used: ethers reads the node's "nonce too low" as NONCE_EXPIRED
      await assert.rejects(wallet.sendTransaction({ to, value: 1n, nonce: 0 }), (err) =>
        isError(err, 'NONCE_EXPIRED'),
      );
      // an account without funds, through estimateGas and through the raw submission
      const poor = new Wallet(POOR_KEY, provider);
      await assert.rejects(poor.sendTransaction({ to, value: 1n }), (err) =>
        isError(err, 'INSUFFICIENT_FUNDS'),
      );
      await assert.rejects(poor.sendTransaction({ to, value: 1n, gasLimit: 21_000n }), (err) =>
        isError(err, 'INSUFFICIENT_FUNDS'),
      );
    } finally {
      provider.destroy();
    }
  });

  it('viem: a local account sends over HTTP and waits; balance, block, fee estimate', async () => {
    const account = privateKeyToAccount(VIEM_KEY);
    const transport = http(rpcUrl);
    const wallet = createWalletClient({ account, chain: chain(rpcUrl, wsUrl), transport });
    const client = createPublicClient({ chain: chain(rpcUrl, wsUrl), transport, pollingInterval: 100 });
    const to = recipient(1) as Hex;
    const hash = await wallet.sendTransaction({ to, value: 777n });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 30_000 });
    assert.equal(receipt.status, 'success');
    assert.equal(receipt.transactionHash, hash);
    assert.equal(receipt.type, 'eip1559');
    assert.equal(await client.getBalance({ address: to }), 777n);
    assert.equal(await client.getTransactionCount({ address: account.address }), 1);

    const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
    assert.equal(block.hash, receipt.blockHash);
    assert.ok(block.transactions.some((t) => t.hash === hash));
    const fees = await client.estimateFeesPerGas();
    assert.equal(fees.maxPriorityFeePerGas, TIP);
    // viem's own formula: the latest base fee times 1.2, plus the tip
    assert.equal(fees.maxFeePerGas, (BASE_FEE * 12n) / 10n + TIP);
  });

  it("viem: the WebSocket transport's watchBlocks sees new blocks as they commit", async () => {
    const client = createPublicClient({
      chain: chain(rpcUrl, wsUrl),
      transport: webSocket(wsUrl, { reconnect: false, keepAlive: false }),
    });
    const seen: bigint[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`watchBlocks saw ${seen.length} of 3 blocks in 20 s`)),
          20_000,
        );
        const unwatch = client.watchBlocks({
          onBlock: (block) => {
            seen.push(block.number);
            if (seen.length === 3) {
              clearTimeout(timer);
              unwatch();
              resolve();
            }
          },
          onError: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
      });
    } finally {
      (await client.transport.getRpcClient()).close();
    }
    // consecutive heights, none missed (one more may land between unwatch and the close)
    assert.deepEqual(seen.slice(0, 3), [seen[0], seen[0] + 1n, seen[0] + 2n]);
  });

  it('eth_subscribe newHeads on /rpc of the API port: block objects of the Block shape, and unsubscribe', async () => {
    const socket = await RpcSocket.open(`ws://127.0.0.1:${node.apiPort}/rpc`);
    try {
      const subscribed = await socket.call('eth_subscribe', ['newHeads']);
      const id = subscribed.result as string;
      assert.match(id, /^0x[0-9a-f]+$/);
      const head = await socket.waitFor<{ params: { subscription: string; result: unknown } }>(
        'a newHeads notification',
        (m) => m.method === 'eth_subscription',
      );
      assert.equal(head.params.subscription, id);
      assertShape(blockWithHashes, head.params.result, 'newHeads block');
      assert.equal((await socket.call('eth_unsubscribe', [id])).result, true);
      assert.equal((await socket.call('eth_unsubscribe', [id])).result, false);
      // the same methods as over HTTP
      assert.equal((await socket.call('eth_chainId')).result, `0x${CHAIN_ID.toString(16)}`);
    } finally {
      socket.close();
    }
  });

  it("replays cast send: eth_feeHistory(10, latest, [20]) first, alloy's fees, then send and receipt", async () => {
    const account = privateKeyToAccount(CAST_KEY);
    const to = recipient(2);
    // alloy's EIP-1559 estimator: the next block's base fee from the history, the tip from its rewards
    const history = await checked<{ baseFeePerGas: string[]; reward: string[][] }>(rpcUrl, 'eth_feeHistory', [
      '0xa',
      'latest',
      [20.0],
    ]);
    assert.equal(history.reward.length, history.baseFeePerGas.length - 1);
    const nextBaseFee = BigInt(history.baseFeePerGas.at(-1)!);
    const tips = history.reward.map((r) => BigInt(r[0])).filter((t) => t > 0n);
    tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tip = tips.length === 0 ? 1n : tips[Math.floor(tips.length / 2)];
    const maxFeePerGas = 2n * nextBaseFee + tip;

    assert.equal(await checked(rpcUrl, 'eth_chainId'), '0x539');
    const nonce = await checked<string>(rpcUrl, 'eth_getTransactionCount', [account.address, 'pending']);
    const request = {
      from: account.address,
      to,
      value: '0x3e8',
      maxFeePerGas: `0x${maxFeePerGas.toString(16)}`,
      maxPriorityFeePerGas: `0x${tip.toString(16)}`,
      nonce,
      chainId: '0x539',
      type: '0x2',
    };
    const gas = await checked<string>(rpcUrl, 'eth_estimateGas', [request, 'pending']);
    assert.equal(gas, '0x5208');
    const raw = await account.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce: Number(nonce),
      to: to as Hex,
      value: 1000n,
      gas: BigInt(gas),
      maxFeePerGas,
      maxPriorityFeePerGas: tip,
    });
    const hash = await checked<string>(rpcUrl, 'eth_sendRawTransaction', [raw]);
    assert.equal(hash, keccak256(raw));
    const pending = await checked<{ hash: string } | null>(rpcUrl, 'eth_getTransactionByHash', [hash]);
    assert.equal(pending?.hash, hash);
    const receipt = await receiptOf(rpcUrl, hash);
    assert.equal(receipt.status, '0x1');
    // the head is never behind a block whose receipts are served
    assert.ok(BigInt(await checked<string>(rpcUrl, 'eth_blockNumber')) >= BigInt(receipt.blockNumber));
    assert.equal(await checked(rpcUrl, 'eth_getBalance', [to, 'latest']), '0x3e8');
  });

  it('replays MetaMask: chain id, latest block, eth_gasPrice as both fees, estimate, send, receipt, block by hash', async () => {
    const account = privateKeyToAccount(METAMASK_KEY);
    const to = recipient(3);
    // the API port's /rpc, as a network added with that URL would use it
    const url = `http://127.0.0.1:${node.apiPort}/rpc`;
    assert.equal(await checked(url, 'eth_chainId'), '0x539');
    assert.equal(await checked(url, 'net_version'), '1337');
    const latest = await checked<{ baseFeePerGas: string; gasLimit: string } | null>(
      url,
      'eth_getBlockByNumber',
      ['latest', false],
    );
    assert.ok(
      latest && BigInt(latest.baseFeePerGas) > 0n,
      'a base fee: MetaMask treats the network as EIP-1559',
    );
    const gasPrice = BigInt(await checked<string>(url, 'eth_gasPrice'));
    const nonce = await checked<string>(url, 'eth_getTransactionCount', [account.address, 'pending']);
    assert.equal(await checked(url, 'eth_getCode', [to, 'latest']), '0x');
    const gas = await checked<string>(url, 'eth_estimateGas', [
      { from: account.address, to, value: '0x1', data: '0x', gas: latest.gasLimit },
    ]);
    const raw = await account.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce: Number(nonce),
      to: to as Hex,
      value: 1n,
      gas: BigInt(gas),
      // the fallback: the gas price as both the max fee and the tip
      maxFeePerGas: gasPrice,
      maxPriorityFeePerGas: gasPrice,
    });
    const hash = await checked<string>(url, 'eth_sendRawTransaction', [raw]);
    assert.equal(hash, keccak256(raw));
    // sent again while known: "already known" (pending) or "nonce too low" (committed), never a new hash
    await assert.rejects(rpc(url, 'eth_sendRawTransaction', [raw]), /already known|nonce too low/);
    const receipt = await receiptOf(url, hash);
    assert.equal(receipt.status, '0x1');
    const block = await checked<{ hash: string; number: string; transactions: string[] }>(
      url,
      'eth_getBlockByHash',
      [receipt.blockHash, false],
    );
    assert.deepEqual([block.hash, block.number], [receipt.blockHash, receipt.blockNumber]);
    assert.ok(block.transactions.includes(hash));
    const tx = await checked<{ blockHash: string; gasPrice: string }>(url, 'eth_getTransactionByHash', [
      hash,
    ]);
    assert.equal(tx.blockHash, receipt.blockHash);
    // the price paid: the base fee plus a tip of the whole gas price, capped by the max fee (the same)
    assert.equal(BigInt(tx.gasPrice), gasPrice);
  });

  it('every read method answers in its execution-apis shape on a chain with traffic', async () => {
    const head = await checked<string>(rpcUrl, 'eth_blockNumber');
    const address = privateKeyToAccount(ETHERS_KEY).address;
    for (const [method, params] of [
      ['web3_clientVersion', []],
      ['net_listening', []],
      ['net_peerCount', []],
      ['eth_syncing', []],
      ['eth_accounts', []],
      ['eth_maxPriorityFeePerGas', []],
      ['eth_getBlockByNumber', [head, true]],
      ['eth_getBlockByNumber', ['finalized', false]],
      ['eth_getBlockTransactionCountByNumber', ['latest']],
      ['eth_getBalance', [address, 'finalized']],
      ['eth_getTransactionCount', [address, 'safe']],
      ['eth_call', [{ to: address }, 'latest']],
      ['eth_getLogs', [{ fromBlock: '0x0' }]],
      ['eth_feeHistory', [5, 'latest', [10, 50, 90]]],
    ] as const)
      await checked(rpcUrl, method, [...params]);
    assert.ok(BigInt(await checked<string>(rpcUrl, 'net_peerCount')) >= 2n);
  });

  it("runs the README's ethers example as written", async () => {
    const { code, out } = await example;
    assert.equal(code, 0, out);
    const match = out.match(/^chain 1337: (0x[0-9a-f]{64}) committed in block (\d+)$/m);
    assert.ok(match, out);
    assert.match(out, /^balance of 0x[0-9a-fA-F]{40}: 0\.01 BFT$/m);
    const receipt = await checked<Receipt>(rpcUrl, 'eth_getTransactionReceipt', [match[1]]);
    assert.equal(BigInt(receipt.blockNumber), BigInt(match[2]));
    assert.equal(
      await checked(rpcUrl, 'eth_getBalance', [EXAMPLE_TO, 'latest']),
      `0x${(ETHER / 100n).toString(16)}`,
    );
  });
});
