/**
 * Every JSON-RPC method over the node's own backend (src/node/rpc-backend.ts StoreRpcBackend)
 * on a real store of committed blocks and a real mempool (test/support/explorer-store.ts),
 * through the JSON-RPC gate as a client's request would go: each result checked against its
 * execution-apis shape (test/support/rpc-schemas.ts) and against the chain's own values,
 * each bad parameter an INVALID_PARAMS error. Submission is a recording fake here; the real
 * admission is exercised by the clients' test on a network (test/integration/rpc-clients).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SubmitOutcome } from '../../../explorer/server/index.js';
import { StoreRpcBackend } from '../../../src/node/rpc-backend.js';
import {
  answerRpc,
  createRpcMethods,
  DEFAULT_RPC_OPTIONS,
  RPC_ERRORS,
  type RpcResponse,
} from '../../../src/rpc/index.js';
import { signTransfer } from '../../../src/tx/index.js';
import { createExplorerStore, type ExplorerStore } from '../../support/explorer-store.js';
import { CHAIN_ID, GWEI } from '../../support/ledger-fixture.js';
import { assertResultShape, assertShape, errorResponse } from '../../support/rpc-schemas.js';

const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
const q = (n: number | bigint) => `0x${n.toString(16)}`;
const BLOCKS = 20;
const TIP = 1_000_000_000n;
const EMPTY_OMMERS = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';

describe('JSON-RPC methods over the store backend', () => {
  let fixture: ExplorerStore;
  let syncing = false;
  const submitted: Uint8Array[] = [];
  let nextOutcome: SubmitOutcome = { hash: `0x${'ab'.repeat(32)}` };
  let dispatch: (name: string) => ReturnType<typeof createRpcMethods>[string] | undefined;

  before(async () => {
    fixture = await createExplorerStore({ blocks: BLOCKS, accounts: 4, txsPerBlock: 3, seed: 'rpc-methods' });
    const backend = new StoreRpcBackend({
      store: fixture.store,
      mempool: fixture.mempool,
      chainId: CHAIN_ID,
      baseFeePerGas: GWEI,
      maxBlockTxs: 1000,
      clientVersion: 'bft-ledger/test',
      submit: async (raws) => {
        submitted.push(...raws);
        return raws.map(() => nextOutcome);
      },
      peerCount: () => 3,
      syncing: () => syncing,
    });
    const methods = createRpcMethods(backend, DEFAULT_RPC_OPTIONS);
    dispatch = (name) => (Object.hasOwn(methods, name) ? methods[name] : undefined);
  });
  after(async () => {
    await fixture?.close();
  });

  async function respond(method: string, params: unknown[]): Promise<RpcResponse> {
    const answer = await answerRpc({ jsonrpc: '2.0', id: 1, method, params }, dispatch, DEFAULT_RPC_OPTIONS);
    assert.ok(answer && !Array.isArray(answer));
    return answer;
  }
  /** The result, checked against the method's execution-apis shape. */
  async function call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const answer = await respond(method, params);
    assert.ok('result' in answer, `${method}(${JSON.stringify(params)}): ${JSON.stringify(answer)}`);
    assertResultShape(method, answer.result);
    return answer.result as T;
  }
  async function fails(code: number, method: string, ...params: unknown[]): Promise<string> {
    const answer = await respond(method, params);
    assertShape(errorResponse, answer, method);
    assert.ok('error' in answer, `${method}(${JSON.stringify(params)}) answered ${JSON.stringify(answer)}`);
    assert.equal(answer.error.code, code, `${method}(${JSON.stringify(params)}): ${answer.error.message}`);
    return answer.error.message;
  }

  type Block = Record<string, unknown> & { transactions: unknown[] };
  const head = () => fixture.store.head().height;

  it('serves the chain facts: chain id, versions, peers, syncing, accounts, head', async () => {
    assert.equal(await call('eth_chainId'), q(CHAIN_ID));
    assert.equal(await call('net_version'), CHAIN_ID.toString());
    assert.equal(await call('web3_clientVersion'), 'bft-ledger/test');
    assert.equal(await call('net_listening'), true);
    assert.equal(await call('net_peerCount'), '0x3');
    assert.deepEqual(await call('eth_accounts'), []);
    assert.equal(await call('eth_blockNumber'), q(head()));
    assert.equal(await call('eth_syncing'), false);
    syncing = true;
    try {
      assert.deepEqual(await call('eth_syncing'), {
        startingBlock: q(head()),
        currentBlock: q(head()),
        highestBlock: q(head()),
      });
    } finally {
      syncing = false;
    }
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_chainId', 'extra');
  });

  it("answers a block with this chain's values and neutral ones where it has none", async () => {
    const height = 7;
    const header = fixture.store.getHeader(height)!;
    const summary = fixture.store.getSummary(height)!;
    const block = await call<Block>('eth_getBlockByNumber', q(height), false);
    assert.equal(block.number, q(height));
    assert.equal(block.hash, hex(summary.hash));
    assert.equal(block.parentHash, hex(fixture.store.getSummary(height - 1)!.hash));
    assert.equal(block.miner, hex(header.proposer));
    assert.equal(block.stateRoot, hex(header.stateRoot));
    assert.equal(block.transactionsRoot, hex(header.txRoot));
    assert.equal(block.receiptsRoot, hex(header.receiptsRoot));
    assert.equal(block.timestamp, q(Math.floor(header.timestampMs / 1000)));
    assert.equal(block.gasUsed, q(21_000n * BigInt(summary.txCount)));
    assert.equal(block.gasLimit, q(21_000n * 1000n));
    assert.equal(block.baseFeePerGas, q(GWEI));
    assert.equal(block.size, q(fixture.store.getBlockBytes(height)!.length));
    assert.deepEqual(
      [block.difficulty, block.nonce, block.extraData, block.sha3Uncles, block.uncles],
      ['0x0', '0x0000000000000000', '0x', EMPTY_OMMERS, []],
    );
    assert.deepEqual(block.transactions, fixture.txHashes[height].map(hex));

    const full = await call<Block>('eth_getBlockByHash', block.hash, true);
    assert.deepEqual({ ...full, transactions: [] }, { ...block, transactions: [] });
    const txs = full.transactions as Array<Record<string, unknown>>;
    assert.deepEqual(
      txs.map((t) => [t.hash, t.blockHash, t.blockNumber, t.blockTimestamp, t.transactionIndex]),
      fixture.txHashes[height].map((h, i) => [hex(h), block.hash, block.number, block.timestamp, q(i)]),
    );
  });

  it('reads block tags and numbers, null for a block it does not have', async () => {
    const latest = await call<Block>('eth_getBlockByNumber', 'latest', false);
    assert.equal(latest.number, q(head()));
    for (const tag of ['finalized', 'safe', 'pending'])
      assert.equal((await call<Block>('eth_getBlockByNumber', tag, false)).number, q(head()));
    const genesis = await call<Block>('eth_getBlockByNumber', 'earliest', false);
    assert.deepEqual([genesis.number, genesis.transactions], ['0x0', []]);
    assert.equal(await call('eth_getBlockByNumber', q(head() + 1), false), null);
    assert.equal(await call('eth_getBlockByNumber', '0xffffffffffffffff', true), null);
    assert.equal(await call('eth_getBlockByHash', `0x${'11'.repeat(32)}`, false), null);
    assert.equal(await call('eth_getBlockTransactionCountByNumber', q(3)), q(fixture.txHashes[3].length));
    assert.equal(
      await call('eth_getBlockTransactionCountByHash', latest.hash),
      q(latest.transactions.length),
    );
    assert.equal(await call('eth_getBlockTransactionCountByNumber', q(head() + 5)), null);
    assert.equal(await call('eth_getBlockTransactionCountByHash', `0x${'22'.repeat(32)}`), null);
  });

  it('refuses malformed block parameters with INVALID_PARAMS', async () => {
    for (const bad of ['head', 'LATEST', '0x01', '0x', '12', 12, null, {}, [], '0xg', `0x1${'0'.repeat(16)}`])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBlockByNumber', bad, false);
    for (const bad of ['yes', 1, null])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBlockByNumber', 'latest', bad);
    for (const bad of ['0x12', `0x${'1'.repeat(63)}`, `0x${'1'.repeat(66)}`, 5, `0x${'zz'.repeat(32)}`])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBlockByHash', bad, false);
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBlockByNumber');
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBlockByNumber', 'latest', false, 'extra');
  });

  it('reads an account at the head, at a provable height and by EIP-1898 block hash', async () => {
    const address = fixture.addresses[0];
    const now = fixture.store.getAccount(address)!;
    assert.equal(await call('eth_getBalance', hex(address), 'latest'), q(now.balance));
    assert.equal(await call('eth_getBalance', hex(address)), q(now.balance));
    assert.equal(await call('eth_getTransactionCount', hex(address), 'latest'), q(now.nonce));
    const earlier = head() - 5;
    const then = fixture.store.proveAccountAt(earlier, address).account!;
    assert.notEqual(then.balance, now.balance);
    assert.equal(await call('eth_getBalance', hex(address), q(earlier)), q(then.balance));
    const earlierHash = hex(fixture.store.getSummary(earlier)!.hash);
    assert.equal(await call('eth_getBalance', hex(address), { blockHash: earlierHash }), q(then.balance));
    assert.equal(
      await call('eth_getTransactionCount', hex(address), { blockNumber: q(earlier) }),
      q(then.nonce),
    );
    // an address nobody has used: zero, not an error
    const unused = `0x${'5a'.repeat(20)}`;
    assert.deepEqual(
      [
        await call('eth_getBalance', unused, 'latest'),
        await call('eth_getTransactionCount', unused, 'latest'),
      ],
      ['0x0', '0x0'],
    );
    assert.equal(await call('eth_getCode', hex(address), 'latest'), '0x');
  });

  it('says clearly when it keeps no state at a height, and refuses a height above the head', async () => {
    const message = await fails(RPC_ERRORS.SERVER_ERROR, 'eth_getBalance', hex(fixture.addresses[0]), '0x1');
    assert.match(message, /state at block 1 is not available/);
    await fails(RPC_ERRORS.SERVER_ERROR, 'eth_getBalance', hex(fixture.addresses[0]), q(head() + 1));
    await fails(RPC_ERRORS.SERVER_ERROR, 'eth_getBalance', hex(fixture.addresses[0]), {
      blockHash: `0x${'33'.repeat(32)}`,
    });
    for (const bad of ['0x12', hex(fixture.addresses[0]).slice(0, 40), 7, null, `0x${'zz'.repeat(20)}`])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBalance', bad, 'latest');
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBalance', hex(fixture.addresses[0]), 'earliest-ish');
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getBalance', hex(fixture.addresses[0]), { hash: '0x00' });
  });

  it('counts pending transactions in the "pending" nonce, and serves them with null block fields', async () => {
    const from = 1;
    const address = hex(fixture.addresses[from]);
    const committed = fixture.store.getAccount(fixture.addresses[from])!.nonce;
    const pending = fixture.addPending(from, fixture.addresses[2], 5n);
    assert.equal(await call('eth_getTransactionCount', address, 'pending'), q(committed + 1n));
    assert.equal(await call('eth_getTransactionCount', address, 'latest'), q(committed));
    const tx = await call<Record<string, unknown>>('eth_getTransactionByHash', hex(pending.hash));
    assert.deepEqual(
      [tx.blockHash, tx.blockNumber, tx.blockTimestamp, tx.transactionIndex, tx.from, tx.nonce],
      [null, null, null, null, address, q(committed)],
    );
    assert.equal(await call('eth_getTransactionReceipt', hex(pending.hash)), null);

    // once committed: the block's fields and a receipt
    const { height, hash } = await fixture.commitBlock(1);
    const mined = await call<Record<string, unknown>>('eth_getTransactionByHash', hex(pending.hash));
    assert.deepEqual(
      [mined.blockHash, mined.blockNumber, mined.transactionIndex],
      [hex(hash), q(height), '0x0'],
    );
    const receipt = await call<Record<string, unknown>>('eth_getTransactionReceipt', hex(pending.hash));
    const effective = GWEI + TIP < 2n * GWEI ? GWEI + TIP : 2n * GWEI;
    assert.deepEqual(receipt, {
      type: '0x2',
      transactionHash: hex(pending.hash),
      transactionIndex: '0x0',
      blockHash: hex(hash),
      blockNumber: q(height),
      from: address,
      to: hex(fixture.addresses[2]),
      cumulativeGasUsed: q(21_000),
      gasUsed: q(21_000),
      contractAddress: null,
      logs: [],
      logsBloom: `0x${'00'.repeat(256)}`,
      status: '0x1',
      effectiveGasPrice: q(effective),
    });
    // the second transaction of the block has used the gas of two
    const second = fixture.txHashes[height][1];
    const next = await call<Record<string, unknown>>('eth_getTransactionReceipt', hex(second));
    assert.deepEqual([next.transactionIndex, next.cumulativeGasUsed], ['0x1', q(42_000)]);
    assert.equal(await call('eth_getTransactionByHash', `0x${'44'.repeat(32)}`), null);
    assert.equal(await call('eth_getTransactionReceipt', `0x${'44'.repeat(32)}`), null);
  });

  it("suggests fees that cover the base fee, and a fee history in cast's shape", async () => {
    assert.equal(await call('eth_gasPrice'), q(GWEI + DEFAULT_RPC_OPTIONS.suggestedPriorityFeeWei));
    assert.equal(await call('eth_maxPriorityFeePerGas'), q(DEFAULT_RPC_OPTIONS.suggestedPriorityFeeWei));
    const history = await call<{
      oldestBlock: string;
      baseFeePerGas: string[];
      gasUsedRatio: number[];
      reward: string[][];
    }>('eth_feeHistory', '0xa', 'latest', [20]);
    assert.equal(history.oldestBlock, q(head() - 9));
    assert.equal(history.baseFeePerGas.length, 11);
    assert.ok(history.baseFeePerGas.every((fee) => fee === q(GWEI)));
    assert.equal(history.gasUsedRatio.length, 10);
    assert.ok(history.gasUsedRatio.every((r) => r > 0 && r < 1));
    // every fixture transfer tips min(tip, maxFee - baseFee) = 1 gwei
    assert.deepEqual(
      history.reward,
      Array.from({ length: 10 }, () => [q(TIP)]),
    );
    // a count as a JSON number (web3.js, viem send one), without percentiles: no reward member
    const plain = await call<Record<string, unknown>>('eth_feeHistory', 4, q(head() - 2));
    assert.deepEqual(Object.keys(plain).sort(), ['baseFeePerGas', 'gasUsedRatio', 'oldestBlock']);
    assert.equal(plain.oldestBlock, q(head() - 5));
    // more blocks than the chain has: from genesis
    const all = await call<{ oldestBlock: string; gasUsedRatio: number[] }>(
      'eth_feeHistory',
      '0x400',
      'latest',
      [],
    );
    assert.deepEqual([all.oldestBlock, all.gasUsedRatio.length], ['0x0', head() + 1]);
    const none = await call<{ baseFeePerGas: string[]; gasUsedRatio: number[] }>(
      'eth_feeHistory',
      '0x0',
      'latest',
    );
    assert.deepEqual([none.baseFeePerGas.length, none.gasUsedRatio.length], [1, 0]);
  });

  it('bounds eth_feeHistory and refuses bad percentiles', async () => {
    await fails(
      RPC_ERRORS.LIMIT_EXCEEDED,
      'eth_feeHistory',
      q(DEFAULT_RPC_OPTIONS.maxFeeHistoryBlocks + 1),
      'latest',
    );
    await fails(
      RPC_ERRORS.LIMIT_EXCEEDED,
      'eth_feeHistory',
      q(DEFAULT_RPC_OPTIONS.maxFeeHistoryRewardBlocks + 1),
      'latest',
      [50],
    );
    for (const bad of [[50, 20], [101], [-1], ['20'], [Number.NaN], 'x', Array(101).fill(1)])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_feeHistory', '0x2', 'latest', bad);
    for (const bad of [-1, 1.5, '10', null])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_feeHistory', bad, 'latest');
  });

  it('estimates 21000 for a transfer and names the reason for one the chain refuses', async () => {
    const from = hex(fixture.addresses[0]);
    const to = hex(fixture.addresses[1]);
    assert.equal(await call('eth_estimateGas', { from, to, value: '0x1' }), q(21_000));
    assert.equal(await call('eth_estimateGas', { to }, 'pending'), q(21_000));
    assert.equal(await call('eth_estimateGas', { from, to, value: '0x1', input: '0x' }), q(21_000));
    assert.match(
      await fails(RPC_ERRORS.UNSUPPORTED, 'eth_estimateGas', { from, to, data: '0x12' }),
      /no data/,
    );
    assert.match(
      await fails(RPC_ERRORS.UNSUPPORTED, 'eth_estimateGas', { from, input: '0x6000' }),
      /contract/,
    );
    const poor = `0x${'66'.repeat(20)}`;
    assert.match(
      await fails(RPC_ERRORS.SERVER_ERROR, 'eth_estimateGas', { from: poor, to, value: '0x1' }),
      /^insufficient funds for gas \* price \+ value/,
    );
    await fails(RPC_ERRORS.SERVER_ERROR, 'eth_estimateGas', { from, to, gas: '0x5207' });
    for (const bad of ['0x', null, [], { to: '0x12' }, { to, value: '1' }, { to, value: -1 }])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_estimateGas', bad);
  });

  it('answers eth_call without data with "0x", eth_getLogs with no logs', async () => {
    const to = hex(fixture.addresses[1]);
    assert.equal(await call('eth_call', { to }, 'latest'), '0x');
    await fails(RPC_ERRORS.UNSUPPORTED, 'eth_call', { to, data: '0x70a08231' }, 'latest');
    await fails(RPC_ERRORS.UNSUPPORTED, 'eth_call', { data: '0x00' });
    assert.deepEqual(await call('eth_getLogs', { fromBlock: '0x0', toBlock: 'latest' }), []);
    await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_getLogs', 'all');
  });

  it("submits raw bytes as sent and maps the mempool's refusals to Ethereum's words", async () => {
    const raw = signTransfer(
      {
        chainId: CHAIN_ID,
        nonce: 0n,
        maxPriorityFeePerGas: TIP,
        maxFeePerGas: 2n * GWEI,
        gasLimit: 21_000n,
        to: fixture.addresses[3],
        value: 1n,
      },
      fixture.secrets[3],
    ).raw;
    submitted.length = 0;
    nextOutcome = { hash: `0x${'ab'.repeat(32)}` };
    assert.equal(await call('eth_sendRawTransaction', hex(raw)), `0x${'ab'.repeat(32)}`);
    assert.deepEqual(submitted, [raw]);

    const cases: Array<[string, string]> = [
      ['NONCE_TOO_LOW', 'nonce too low'],
      ['INSUFFICIENT_FUNDS', 'insufficient funds for gas * price + value'],
      ['REPLACEMENT_UNDERPRICED', 'replacement transaction underpriced'],
      ['ALREADY_KNOWN', 'already known'],
      ['WRONG_TX_TYPE', 'transaction type not supported'],
      ['FEE_TOO_LOW', 'max fee per gas less than block base fee'],
    ];
    for (const [error, message] of cases) {
      nextOutcome = { error, message: 'the node says why', kind: 'state' };
      const answer = await respond('eth_sendRawTransaction', [hex(raw)]);
      assert.ok('error' in answer);
      assert.deepEqual(answer.error, { code: RPC_ERRORS.SERVER_ERROR, message, data: { reason: error } });
    }
    // one the list does not know keeps the node's own message
    nextOutcome = { error: 'SOMETHING_NEW', message: 'a reason', kind: 'invalid' };
    assert.equal(
      await fails(RPC_ERRORS.SERVER_ERROR, 'eth_sendRawTransaction', hex(raw)),
      'invalid transaction: a reason',
    );
    // a committed transaction sent again is "nonce too low", as on Ethereum, not "already known"
    const committedHash = hex(fixture.txHashes[3][0]);
    nextOutcome = { error: 'ALREADY_KNOWN', message: 'known', kind: 'state', hash: committedHash };
    assert.equal(await fails(RPC_ERRORS.SERVER_ERROR, 'eth_sendRawTransaction', hex(raw)), 'nonce too low');

    submitted.length = 0;
    for (const bad of ['0x0', 'f8', 12, null, `0x${'00'.repeat(128 * 1024 + 1)}`])
      await fails(RPC_ERRORS.INVALID_PARAMS, 'eth_sendRawTransaction', bad);
    assert.equal(submitted.length, 0);
    nextOutcome = { hash: `0x${'ab'.repeat(32)}` };
  });

  it('answers nothing for a name that is not a method, Object.prototype members included', async () => {
    for (const name of [
      'eth_mining',
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'eth_subscribe',
    ])
      await fails(RPC_ERRORS.METHOD_NOT_FOUND, name);
  });
});
