/**
 * Issue 15 section 4, with an injected failing write (the real full disk is
 * test/e2e/full-disk.test.ts): each store turns lmdb's failure into a typed DISK_FULL or
 * WRITE_FAILED, acknowledges nothing it could not write, silences lmdb's second report of
 * the failure (an unhandled rejection would stop the node as UNCAUGHT_ERROR), and
 * `ledger node` exits 3 for a full disk.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { type Block, hashHeader } from '../../../src/chain/index.js';
import { dataDirExitOf, EXIT_DATA_DIR_UNUSABLE, EXIT_DISK_FULL } from '../../../src/cli/errors.js';
import { genesisQc } from '../../../src/consensus/index.js';
// the modules themselves, not the node's index: what is tested is each store alone
import { NodeError } from '../../../src/node/errors.js';
import { LmdbSafetyStore } from '../../../src/node/safety-store.js';
import { TxJournal } from '../../../src/node/tx-journal.js';
import { LedgerStore, StoreError, writeFailure } from '../../../src/store/index.js';
import { testAddress } from '../../support/transfers.js';

/** What lmdb-js rejects a failed commit with: the cause comes later, on `commitError`. */
function lmdbCommitFailure(): Error {
  const err = new Error('Commit failed (see commitError for details)') as Error & {
    commitError: Promise<never>;
  };
  err.commitError = new Promise((_, reject) =>
    setImmediate(() => reject(Object.assign(new Error('Input/output error'), { code: 5 }))),
  );
  return err;
}

/** Makes every batch and put of `env` fail as lmdb-js does. */
function failWrites(env: { batch: unknown; put: unknown }): void {
  env.batch = () => Promise.reject(lmdbCommitFailure());
  env.put = () => Promise.reject(lmdbCommitFailure());
}

const emptyBlock = (height: number, parentHash: Uint8Array): Block => ({
  header: {
    chainId: 7n,
    height,
    round: height,
    parentHash,
    proposer: testAddress(9),
    timestampMs: 1000 + height,
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    parentQc: new Uint8Array([height]),
  },
  transactions: [],
});

const commitOf = (block: Block) => ({
  block,
  hash: hashHeader(block.header),
  receipts: [],
  accounts: [],
  tree: { puts: [], deletes: [] },
  transfers: [],
  burned: 0n,
  createdAccounts: 0,
});

describe('a failed write is typed and acknowledges nothing', () => {
  let dir: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-write-failure-'));
    unhandled.length = 0;
  });
  afterEach(async () => {
    // lmdb's second report (commitError) rejects a turn later: it must have been handled
    await new Promise<void>((ok) => setImmediate(ok));
    await new Promise<void>((ok) => setImmediate(ok));
    assert.deepEqual(unhandled, []);
    await rm(dir, { recursive: true, force: true });
  });

  it('writeFailure: ENOSPC or little free space is DISK_FULL naming the directory, else WRITE_FAILED', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const full = writeFailure(enospc, dir, 'the lock file');
    assert.equal(full.code, 'DISK_FULL');
    assert.ok(full.message.includes(dir), full.message);
    assert.match(full.message, /^the disk is full: the lock file in /);
    assert.equal(writeFailure(lmdbCommitFailure(), dir, 'the chain store', 0).code, 'WRITE_FAILED');
    assert.equal(
      writeFailure(lmdbCommitFailure(), dir, 'the chain store', Number.MAX_SAFE_INTEGER).code,
      'DISK_FULL',
    );
  });

  it('the chain store: the commit rejects with DISK_FULL, later commits are refused, the head stays', async () => {
    const genesis = emptyBlock(0, new Uint8Array(32));
    const genesisHash = hashHeader(genesis.header);
    const store = LedgerStore.open(dir, genesisHash, { diskFullFreeBytes: Number.MAX_SAFE_INTEGER });
    await store.initialise(commitOf(genesis));
    failWrites((store as unknown as { env: { batch: unknown; put: unknown } }).env);
    const one = emptyBlock(1, genesisHash);
    await assert.rejects(store.commitBlock(commitOf(one)), (e: unknown) => {
      assert.ok(e instanceof StoreError && e.code === 'DISK_FULL', String(e));
      assert.ok(e.message.includes(dir));
      return true;
    });
    await assert.rejects(store.commitBlock(commitOf(emptyBlock(2, hashHeader(one.header)))), {
      code: 'DISK_FULL',
    });
    assert.equal(store.head().height, 0);
    await store.close();
    const reopened = LedgerStore.open(dir, genesisHash);
    assert.equal(reopened.head().height, 0);
    await reopened.close();
  });

  it('the safety store: a vote whose safety data failed to write is never released', async () => {
    const G = new Uint8Array(32).fill(1);
    const failures: Error[] = [];
    const store = await LmdbSafetyStore.open(dir, G, { onFailure: (err) => failures.push(err) });
    let durable = 0;
    store.persist({ lastVotedRound: 1, highestTimeoutRound: 0, highQc: genesisQc(G) }, () => durable++);
    await store.drained();
    assert.equal(durable, 1);
    failWrites((store as unknown as { env: { batch: unknown; put: unknown } }).env);
    store.persist({ lastVotedRound: 2, highestTimeoutRound: 1, highQc: genesisQc(G) }, () => durable++);
    store.persist({ lastVotedRound: 3, highestTimeoutRound: 2, highQc: genesisQc(G) }, () => durable++);
    await store.drained();
    assert.equal(durable, 1, 'no vote released after the failed write');
    assert.equal(failures.length, 1);
    assert.ok(failures[0] instanceof StoreError);
    assert.ok(['DISK_FULL', 'WRITE_FAILED'].includes((failures[0] as StoreError).code));
    await store.close();
    const reopened = await LmdbSafetyStore.open(dir, G);
    assert.equal(reopened.load()?.lastVotedRound, 1);
    await reopened.close();
  });

  it('the transaction journal: an append that fails rejects (no 202) and stops the node', async () => {
    const failures: Error[] = [];
    const journal = await TxJournal.open(dir, (err) => failures.push(err));
    await journal.append([{ key: '0x01', raw: new Uint8Array([1]) }]);
    failWrites((journal as unknown as { env: { batch: unknown; put: unknown } }).env);
    await assert.rejects(journal.append([{ key: '0x02', raw: new Uint8Array([2]) }]), (e: unknown) => {
      assert.ok(e instanceof NodeError && e.code === 'STORAGE_FAILURE', String(e));
      assert.ok(e.cause instanceof StoreError);
      return true;
    });
    assert.equal(failures.length, 1);
    await journal.close();
    const reopened = await TxJournal.open(dir);
    const replayed: number[] = [];
    await reopened.replay((raw) => {
      replayed.push(raw[0]);
      return `0x0${raw[0]}`;
    });
    assert.deepEqual(replayed, [1]);
    await reopened.close();
  });

  it('ledger node: a failure caused by a full disk exits 3, a damaged store 4, others as they were', () => {
    const full = new StoreError(
      'DISK_FULL',
      'the disk is full: the chain store in /d/chain could not be written',
    );
    const stopped = new NodeError('STORAGE_FAILURE', `commit of block 9 failed: ${full.message}`, {
      cause: full,
    });
    const exit = dataDirExitOf(stopped) as { code: string; exitCode: number; message: string };
    assert.equal(exit.exitCode, EXIT_DISK_FULL);
    assert.equal(exit.code, 'DISK_FULL');
    assert.equal(exit.message, full.message);
    const damaged = dataDirExitOf(new StoreError('CORRUPT_STORE', 'x')) as { exitCode: number };
    assert.equal(damaged.exitCode, EXIT_DATA_DIR_UNUSABLE);
    const other = new NodeError('PORT_IN_USE', 'API port 1 is in use');
    assert.equal(dataDirExitOf(other), other);
  });
});
