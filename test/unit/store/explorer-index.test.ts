/**
 * The explorer's indexes in the store (since format 2): block summaries with running totals and
 * per-transaction records, written in the block's one commit batch; the format version
 * that refuses an older data directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { open } from 'lmdb';
import { committedView, executeBlock, hashHeader, merkleRoot } from '../../../src/chain/index.js';
import type { Block } from '../../../src/chain/types.js';
import { addressOf } from '../../../src/crypto/keys.js';
import { blockCommitOf, LedgerStore, STORE_FORMAT, TX_RECORDS_PER_GROUP } from '../../../src/store/index.js';
import {
  commitTransfers,
  commitVerified,
  fixtureGenesis,
  initialiseFixture,
  PARAMS,
  testSecrets,
  verifiedTransfer,
} from '../../support/ledger-fixture.js';

const secrets = testSecrets(6, 'store-index');
const genesis = fixtureGenesis(secrets);

/** The next block of `count` transfers on the store's head, executed; not committed. */
function nextBlock(store: LedgerStore, count: number, step: number) {
  const head = store.head();
  const parent = store.getHeader(head.height)!;
  const view = committedView(store);
  const txs = Array.from({ length: count }, (_, i) => {
    const from = secrets[i % secrets.length];
    const nonce = view.state.getAccount(addressOf(from))?.nonce ?? 0n;
    return verifiedTransfer(from, nonce, new Uint8Array(20).fill(step * 16 + i + 1), 10n);
  });
  const executed = executeBlock(view, { proposer: addressOf(secrets[0]), transactions: txs }, PARAMS);
  const block: Block = {
    header: {
      ...parent,
      height: parent.height + 1,
      round: parent.round + 1,
      parentHash: head.hash,
      timestampMs: parent.timestampMs + 500,
      txRoot: merkleRoot(txs.map((t) => t.hash)),
      stateRoot: executed.stateRoot,
    },
    transactions: txs.map((t) => t.raw),
  };
  return { block, hash: hashHeader(block.header), executed, txs, view };
}

describe('LedgerStore explorer indexes', () => {
  let dir: string;
  let store: LedgerStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'store-index-'));
    store = LedgerStore.open(dir, genesis.hash);
    await initialiseFixture(store, genesis);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a summary per block with running totals, and a record per transaction', async () => {
    const g = store.getSummary(0)!;
    assert.equal(g.totalAccounts, secrets.length);
    assert.equal(g.totalTxs, 0);
    const { block, hash } = await commitTransfers(store, secrets, 4, 1);
    const s = store.getSummary(1)!;
    assert.deepEqual(s.hash, hash);
    assert.deepEqual(s.parentHash, genesis.hash);
    assert.equal(s.round, block.header.round);
    assert.equal(s.timestampMs, block.header.timestampMs);
    assert.deepEqual(s.proposer, block.header.proposer);
    assert.equal(s.txCount, 4);
    assert.equal(s.sizeBytes, store.getBlockBytes(1)!.length);
    assert.equal(s.gasUsed, 4n * 21_000n);
    const receipts = store.getReceipts(1)!;
    assert.equal(
      s.fees,
      receipts.reduce((n, r) => n + r.fee, 0n),
    );
    assert.equal(s.burned, 4n * 21_000n * PARAMS.baseFeePerGas);
    assert.equal(s.totalTxs, 4);
    // commitTransfers pays transfers 1 and 2 of 4 to fresh addresses (0 and 3 to funded ones)
    assert.equal(s.totalAccounts, secrets.length + 2);

    const records = store.getBlockTxRecords(1, 0, 100);
    assert.equal(records.length, 4);
    for (const [i, r] of records.entries()) {
      assert.equal(r.index, i);
      assert.deepEqual(r.txHash, receipts[i].txHash);
      assert.deepEqual(r.from, receipts[i].from);
      assert.deepEqual(r.to, receipts[i].to);
      assert.equal(r.fee, receipts[i].fee);
      assert.equal(r.value, BigInt(1000 + i));
      assert.equal(r.gasLimit, 21_000n);
      assert.deepEqual(store.getTxRecordByHash(r.txHash), r);
    }
    assert.deepEqual(store.getBlockTxRecords(1, 2, 1), [records[2]]);
    assert.deepEqual(store.getHeader(1), block.header);
  });

  it('reads every record and receipt of a block whose records span several groups', async () => {
    // more transactions than two groups hold, so the last group is partly filled
    const count = 2 * TX_RECORDS_PER_GROUP + 4;
    const view = committedView(store);
    const nonces = secrets.map((s) => view.state.getAccount(addressOf(s))?.nonce ?? 0n);
    const txs = Array.from({ length: count }, (_, i) => {
      const sender = i % secrets.length;
      return verifiedTransfer(
        secrets[sender],
        nonces[sender]++,
        new Uint8Array(20).fill(0x80 + i),
        BigInt(i + 1),
      );
    });
    const executed = executeBlock(view, { proposer: addressOf(secrets[0]), transactions: txs }, PARAMS);
    const { block } = await commitVerified(store, txs, addressOf(secrets[0]));
    const height = block.header.height;
    assert.deepEqual(store.getReceipts(height), executed.receipts);
    const all = store.getBlockTxRecords(height, 0, 1000);
    assert.deepEqual(
      all.map((r) => [r.index, r.value]),
      txs.map((t, i) => [i, t.value]),
    );
    for (let i = 0; i < count; i++) {
      assert.deepEqual(store.getTxRecord(height, i), all[i], `record ${i}`);
      assert.deepEqual(store.getTxRecordByHash(txs[i].hash), all[i], `record ${i} by hash`);
      assert.deepEqual(store.getTransaction(txs[i].hash)?.receipt, executed.receipts[i], `receipt ${i}`);
    }
    // pages that start inside a group and cross into the next
    for (const [from, limit] of [
      [TX_RECORDS_PER_GROUP - 1, 3],
      [TX_RECORDS_PER_GROUP, TX_RECORDS_PER_GROUP + 1],
      [count - 2, 10],
      [count, 5],
    ])
      assert.deepEqual(
        store.getBlockTxRecords(height, from, limit),
        all.slice(from, from + limit),
        `page ${from}+${limit}`,
      );
    assert.equal(store.getTxRecord(height, count), undefined);
    assert.equal(store.getTxRecord(height + 1, 0), undefined);
    assert.equal(store.getReceipts(height + 1), undefined);
    assert.deepEqual(store.getReceipts(0), []);
  });

  it('keeps totals right when commits are issued before the previous one landed', async () => {
    const before = store.getSummary(store.head().height)!;
    const a = nextBlock(store, 2, 2);
    const first = store.commitBlock(blockCommitOf({ ...a, transfers: a.txs, before: a.view.state }));
    // b executes on a's result, as the node's pipeline does
    const bView = { state: a.executed.state, tree: a.executed.tree };
    const bTxs = [
      verifiedTransfer(
        secrets[3],
        a.view.state.getAccount(addressOf(secrets[3]))!.nonce,
        new Uint8Array(20).fill(0xee),
        1n,
      ),
    ];
    const bExec = executeBlock(bView, { proposer: addressOf(secrets[1]), transactions: bTxs }, PARAMS);
    const bBlock: Block = {
      header: {
        ...a.block.header,
        height: a.block.header.height + 1,
        round: a.block.header.round + 1,
        parentHash: a.hash,
        txRoot: merkleRoot(bTxs.map((t) => t.hash)),
        stateRoot: bExec.stateRoot,
      },
      transactions: bTxs.map((t) => t.raw),
    };
    const second = store.commitBlock(
      blockCommitOf({
        block: bBlock,
        hash: hashHeader(bBlock.header),
        executed: bExec,
        transfers: bTxs,
        before: bView.state,
      }),
    );
    await Promise.all([first, second]);
    const last = store.getSummary(store.head().height)!;
    assert.equal(last.totalTxs, before.totalTxs + 3);
    assert.equal(last.totalAccounts, before.totalAccounts + 3);
  });

  it('moves the head and the indexes together', async () => {
    const seen: number[] = [];
    const stop = store.onHead((head) => {
      // when the head moves, its summary and records are readable
      const s = store.getSummary(head.height);
      assert.ok(s);
      assert.equal(store.getBlockTxRecords(head.height, 0, 100).length, s.txCount);
      seen.push(head.height);
    });
    const height = store.head().height;
    await commitTransfers(store, secrets, 3, 5);
    // a commit that cannot be indexed (transfers missing) writes nothing and moves nothing
    const bad = nextBlock(store, 2, 6);
    await assert.rejects(
      store.commitBlock({
        ...blockCommitOf({ ...bad, transfers: bad.txs, before: bad.view.state }),
        transfers: [],
      }),
      { code: 'CORRUPT_STORE' },
    );
    stop();
    assert.deepEqual(seen, [height + 1]);
    assert.equal(store.head().height, height + 1);
    assert.equal(store.getSummary(height + 2), undefined);
    assert.equal(store.getBlockTxRecords(height + 2, 0, 10).length, 0);
  });

  it('pages an account history newest first strictly below a position', () => {
    const address = addressOf(secrets[1]); // a sender and a recipient in the blocks above
    const all = store.getAccountTxRecords(address, { limit: 1000 });
    assert.ok(all.length >= 3);
    const tail = store.getAccountTxRecords(address, { before: all[0], limit: 1000 });
    assert.deepEqual(tail, all.slice(1));
    const mid = store.getAccountTxRecords(address, { before: all[1], limit: 1 });
    assert.deepEqual(mid, [all[2]]);
  });
});

describe('LedgerStore format version', () => {
  it('refuses a data directory of an older or newer format, and opens its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'store-format-'));
    try {
      const store = LedgerStore.open(dir, genesis.hash);
      await initialiseFixture(store, genesis);
      await store.close();
      const setFormat = async (value: Uint8Array | undefined) => {
        const env = open({ path: dir, maxDbs: 16, keyEncoding: 'binary', encoding: 'binary' });
        const meta = env.openDB('meta', { keyEncoding: 'binary', encoding: 'binary' });
        if (value) await meta.put(Buffer.from('format'), value);
        else await meta.remove(Buffer.from('format'));
        await env.close();
      };
      const again = LedgerStore.open(dir, genesis.hash);
      assert.equal(again.head().height, 0);
      await again.close();
      await setFormat(undefined); // a store written before format versions: format 1
      assert.throws(() => LedgerStore.open(dir, genesis.hash), {
        code: 'UNSUPPORTED_FORMAT',
        message: new RegExp(
          `store format 1, this node reads format ${STORE_FORMAT}: start from a fresh data directory`,
        ),
      });
      await setFormat(Buffer.from([0, 0, 0, 2])); // headers without a receipts root
      assert.throws(() => LedgerStore.open(dir, genesis.hash), {
        code: 'UNSUPPORTED_FORMAT',
        message: new RegExp(`store format 2, this node reads format ${STORE_FORMAT}`),
      });
      await setFormat(Buffer.from([0, 0, 0, 3])); // one tx record per transaction, receipts bucket
      assert.throws(() => LedgerStore.open(dir, genesis.hash), {
        code: 'UNSUPPORTED_FORMAT',
        message: new RegExp(`store format 3, this node reads format ${STORE_FORMAT}`),
      });
      await setFormat(Buffer.from([0, 0, 0, STORE_FORMAT + 1]));
      assert.throws(() => LedgerStore.open(dir, genesis.hash), { code: 'UNSUPPORTED_FORMAT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
