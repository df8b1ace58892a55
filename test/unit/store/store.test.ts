import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashHeader } from '../../../src/chain/codec.js';
import { merkleRoot } from '../../../src/chain/merkle.js';
import type { Block } from '../../../src/chain/types.js';
import { keccak256 } from '../../../src/crypto/hash.js';
import type { Receipt } from '../../../src/state/index.js';
import { type BlockCommit, LedgerStore } from '../../../src/store/index.js';
import { testAddress } from '../../support/transfers.js';

const alice = testAddress(1);
const bob = testAddress(2);

function blockAt(height: number, parentHash: Uint8Array, txs: Uint8Array[]): Block {
  return {
    header: {
      chainId: 1337n,
      height,
      round: height,
      parentHash,
      proposer: testAddress(9),
      timestampMs: 1000 + height,
      txRoot: merkleRoot(txs.map(keccak256)),
      stateRoot: new Uint8Array(32).fill(height),
      receiptsRoot: new Uint8Array(32),
      parentQc: new Uint8Array([height]),
    },
    transactions: txs,
  };
}

function commitFor(block: Block, transfers: Array<[Uint8Array, Uint8Array]>): BlockCommit {
  const receipts: Receipt[] = block.transactions.map((raw, i) => ({
    txHash: keccak256(raw),
    from: transfers[i][0],
    to: transfers[i][1],
    status: 1,
    gasUsed: 21_000n,
    effectiveGasPrice: 2n,
    fee: 42_000n,
  }));
  return {
    block,
    hash: hashHeader(block.header),
    receipts,
    accounts: [
      {
        address: alice,
        account: { balance: BigInt(block.header.height), nonce: BigInt(block.header.height) },
      },
    ],
    tree: { puts: [[new Uint8Array([1, block.header.height]), new Uint8Array([7])]], deletes: [] },
    transfers: block.transactions.map((_, i) => ({
      nonce: BigInt(i),
      value: 5n,
      gasLimit: 21_000n,
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 1n,
    })),
    burned: 21_000n * BigInt(block.transactions.length),
    createdAccounts: block.header.height === 0 ? 1 : 0,
  };
}

describe('LedgerStore', () => {
  let dir: string;
  let store: LedgerStore;
  const genesis = blockAt(0, new Uint8Array(32), []);
  const genesisHash = hashHeader(genesis.header);
  const hashes: Uint8Array[] = [genesisHash];
  const txsByHeight: Uint8Array[][] = [[]];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-store-'));
    store = LedgerStore.open(dir, genesisHash);
    assert.equal(store.isInitialised(), false);
    assert.throws(() => store.head(), { code: 'NOT_INITIALISED' });
    await store.initialise(commitFor(genesis, []));
    // 30 blocks, each with 3 transactions alternating alice->bob and bob->alice.
    for (let h = 1; h <= 30; h++) {
      const txs = [0, 1, 2].map((i) => new Uint8Array([2, h, i]));
      const block = blockAt(h, hashes[h - 1], txs);
      const commit = commitFor(
        block,
        txs.map((_, i) => (i % 2 === 0 ? [alice, bob] : [bob, alice])),
      );
      await store.commitBlock(commit);
      hashes.push(commit.hash);
      txsByHeight.push(txs);
    }
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves blocks by height and hash, and the head', () => {
    assert.deepEqual(store.head(), { height: 30, hash: hashes[30] });
    assert.deepEqual(store.getBlock(0), genesis);
    assert.deepEqual(store.getBlock(17)?.transactions, txsByHeight[17]);
    assert.equal(store.getBlockByHash(hashes[12])?.header.height, 12);
    assert.equal(store.getBlock(31), undefined);
    assert.deepEqual(store.genesisHash(), genesisHash);
  });

  it('indexes transactions and receipts', () => {
    const raw = txsByHeight[5][2];
    const found = store.getTransaction(keccak256(raw));
    assert.ok(found);
    assert.equal(found.height, 5);
    assert.equal(found.index, 2);
    assert.deepEqual(found.raw, raw);
    assert.equal(found.receipt.fee, 42_000n);
    assert.equal(store.getTransaction(new Uint8Array(32)), undefined);
  });

  it('keeps account state and tree nodes', () => {
    assert.deepEqual(store.getAccount(alice), { balance: 30n, nonce: 30n });
    assert.equal(store.getAccount(testAddress(77)), undefined);
    assert.deepEqual(store.getNode(new Uint8Array([1, 30])), new Uint8Array([7]));
    assert.equal(store.treeNodeCount(), 31);
  });

  it('pages account history newest first with a cursor, without gaps or repeats', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.getAccountHistory(bob, { limit: 7, cursor });
      for (const item of page.items) seen.push(`${item.height}:${item.index}`);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(seen.length, 90);
    assert.equal(pages, Math.ceil(90 / 7));
    assert.equal(seen[0], '30:2');
    assert.equal(seen.at(-1), '1:0');
    assert.equal(new Set(seen).size, 90);
    assert.throws(() => store.getAccountHistory(bob, { cursor: 'zz' }), { code: 'INVALID_CURSOR' });
    const aliceCursor = store.getAccountHistory(alice, { limit: 1 }).nextCursor;
    assert.throws(() => store.getAccountHistory(bob, { cursor: aliceCursor }), { code: 'INVALID_CURSOR' });
  });

  it('lands commits issued before the previous one resolved, in order', async () => {
    const b31 = blockAt(31, hashes[30], [new Uint8Array([2, 31])]);
    const c31 = commitFor(b31, [[alice, bob]]);
    const b32 = blockAt(32, c31.hash, [new Uint8Array([2, 32])]);
    const c32 = commitFor(b32, [[bob, alice]]);
    const first = store.commitBlock(c31);
    const second = store.commitBlock(c32);
    await Promise.all([first, second]);
    assert.deepEqual(store.head(), { height: 32, hash: c32.hash });
    assert.deepEqual(store.getBlock(31), b31);
    hashes.push(c31.hash, c32.hash);
  });

  /**
   * A fresh store whose lmdb batches are each held until the test releases or fails it
   * (lmdb-js may let a later commit's flush resolve first: a later flush covers it), the
   * heights its head listeners saw, and three blocks on its genesis, each queued at once.
   */
  async function withGatedBatches(
    run: (t: {
      store: LedgerStore;
      gates: Array<{ release: () => void; fail: (e: Error) => void }>;
      heads: number[];
      commits: BlockCommit[];
    }) => Promise<void>,
  ): Promise<void> {
    const other = await mkdtemp(join(tmpdir(), 'ledger-store-'));
    const s = LedgerStore.open(other, genesisHash);
    try {
      await s.initialise(commitFor(genesis, []));
      const env = (s as unknown as { env: { batch: (cb: () => void) => Promise<unknown> } }).env;
      const batch = env.batch.bind(env);
      const gates: Array<{ release: () => void; fail: (e: Error) => void }> = [];
      env.batch = (cb) => {
        const written = batch(cb);
        return new Promise<void>((release, fail) => gates.push({ release, fail })).then(() => written);
      };
      const heads: number[] = [];
      s.onHead((head) => heads.push(head.height));
      const commits: BlockCommit[] = [];
      let parent = genesisHash;
      for (let h = 1; h <= 3; h++) {
        const c = commitFor(blockAt(h, parent, []), []);
        commits.push(c);
        parent = c.hash;
      }
      await run({ store: s, gates, heads, commits });
    } finally {
      await s.close();
      await rm(other, { recursive: true, force: true });
    }
  }

  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('moves the head in call order when pipelined commits finish out of order', () =>
    withGatedBatches(async ({ store: s, gates, heads, commits }) => {
      const landed = commits.map((c) => s.commitBlock(c));
      await nextTurn();
      assert.equal(gates.length, 3, 'every batch queued at once');
      for (const gate of [...gates].reverse()) {
        gate.release();
        await nextTurn();
      }
      await Promise.all(landed);
      assert.deepEqual(heads, [1, 2, 3], 'head listeners see the heights in order');
      assert.deepEqual(s.head(), { height: 3, hash: commits[2].hash });
    }));

  it('a pipelined commit that fails fails the commits after it, never the one before it', () =>
    withGatedBatches(async ({ store: s, gates, heads, commits }) => {
      const landed = commits.map((c) =>
        s.commitBlock(c).then(
          () => 'landed',
          (e: Error) => e.message,
        ),
      );
      await nextTurn();
      assert.equal(gates.length, 3, 'every batch queued at once');
      // the second write fails first, the third lands, and the first lands last
      gates[1].fail(new Error('EIO: i/o error, write'));
      await nextTurn();
      gates[2].release();
      await nextTurn();
      gates[0].release();
      const outcomes = await Promise.all(landed);
      assert.equal(outcomes[0], 'landed', `the first commit's write is durable: ${outcomes[0]}`);
      assert.match(String(outcomes[1]), /EIO/);
      assert.match(String(outcomes[2]), /an earlier commit failed/);
      assert.deepEqual(heads, [1]);
      assert.equal(s.head().height, 1);
      await assert.rejects(
        s.commitBlock(commitFor(blockAt(2, commits[0].hash, []), [])),
        /an earlier commit failed|EIO/,
      );
    }));

  it('refuses a block that does not extend the head', async () => {
    await assert.rejects(store.commitBlock(commitFor(blockAt(32, hashes[30], []), [])), {
      code: 'NOT_NEXT_BLOCK',
    });
    await assert.rejects(store.commitBlock(commitFor(blockAt(31, hashes[29], []), [])), {
      code: 'NOT_NEXT_BLOCK',
    });
    await assert.rejects(store.initialise(commitFor(genesis, [])), { code: 'ALREADY_INITIALISED' });
  });

  it('refuses to open a data directory of another chain', async () => {
    const other = await mkdtemp(join(tmpdir(), 'ledger-store-'));
    try {
      const first = LedgerStore.open(other, genesisHash);
      await first.initialise(commitFor(genesis, []));
      await first.close();
      assert.throws(() => LedgerStore.open(other, new Uint8Array(32).fill(5)), {
        code: 'GENESIS_MISMATCH',
        message: /belongs to the chain with genesis/,
      });
      const again = LedgerStore.open(other, genesisHash);
      assert.equal(again.head().height, 0);
      await again.close();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
