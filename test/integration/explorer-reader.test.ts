/**
 * The explorer's reader over a real store (test/support/explorer-store.ts): block lists,
 * block details with their QCs, transactions, accounts and their history, the mempool,
 * stats and validator figures, cursors, and live updates while blocks are committed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CursorError, type Page } from '../../explorer/server/index.js';
import { type ConsensusMessage, defaultReputation } from '../../src/consensus/index.js';
import { toHex } from '../../src/crypto/bytes.js';
import { Mempool } from '../../src/mempool/index.js';
import { StoreExplorerReader } from '../../src/node/index.js';
import { createExplorerStore, type ExplorerStore } from '../support/explorer-store.js';
import { CHAIN_ID, PARAMS } from '../support/ledger-fixture.js';

/** Every item of a list, page by page; commits a block between pages when asked. */
async function walk<T>(page: (cursor?: string) => Page<T>, between?: () => Promise<unknown>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const p = page(cursor);
    all.push(...p.items);
    if (p.next === null) return all;
    cursor = p.next;
    await between?.();
  }
  throw new Error('the list never ended');
}

describe('StoreExplorerReader over a store of 300 blocks', () => {
  let fx: ExplorerStore;

  before(async () => {
    fx = await createExplorerStore({ blocks: 300, accounts: 12, txsPerBlock: 4 });
  });
  after(async () => {
    await fx?.close();
  });

  it('lists blocks newest first, without repeats or skips while blocks are committed', async () => {
    const start = fx.reader.head().height;
    const seen = await walk(
      (cursor) => fx.reader.blocks({ cursor, limit: 37 }),
      () => fx.commitBlock(),
    );
    const heights = seen.map((b) => b.height);
    assert.deepEqual(
      heights,
      Array.from({ length: start + 1 }, (_, i) => start - i),
    );
    const jumped = fx.reader.blocks({ before: 10, limit: 5 });
    assert.deepEqual(
      jumped.items.map((b) => b.height),
      [9, 8, 7, 6, 5],
    );
    assert.deepEqual(
      fx.reader.blocks({ before: 1, limit: 5 }).items.map((b) => b.height),
      [0],
    );
    assert.equal(fx.reader.blocks({ before: 0, limit: 5 }).items.length, 0);
  });

  it('summarises a block and shows the QCs as member rows', () => {
    const b = fx.reader.block({ height: 42 });
    assert.ok(b);
    assert.equal(b.txCount, 4);
    assert.equal(b.height, 42);
    assert.equal(b.proposer.name, `validator-${42 % 4}`);
    assert.equal(BigInt(b.fees), 4n * 21_000n * 2n * 10n ** 9n);
    assert.equal(BigInt(b.burned), 4n * 21_000n * 10n ** 9n);
    assert.equal(b.gasUsed, String(4 * 21_000));
    assert.ok(b.sizeBytes > 4 * 100);
    assert.ok(b.qc && b.parentQc);
    assert.equal(b.qc.blockHash, b.hash);
    assert.equal(b.parentQc.blockHash, b.parentHash);
    assert.equal(b.qc.members.length, 4);
    assert.equal(b.qc.members.filter((m) => m.signed).length, 3);
    assert.equal(b.qc.votingPower, 3);
    assert.equal(b.qc.quorum, 3);
    const byHash = fx.reader.block({ hash: Buffer.from(b.hash.slice(2), 'hex') });
    assert.deepEqual(byHash, b);
    const genesis = fx.reader.block({ height: 0 });
    assert.equal(genesis?.parentQc, null);
    assert.equal(fx.reader.block({ height: 1_000_000 }), undefined);
    assert.equal(fx.reader.block({ hash: new Uint8Array(32) }), undefined);
  });

  it("pages a block's transactions in block order", async () => {
    const big = await fx.commitBlock(25);
    const txs = await walk((cursor) => fx.reader.blockTxs(big.height, { cursor, limit: 10 })!);
    assert.deepEqual(
      txs.map((t) => t.hash),
      big.txHashes.map(toHex),
    );
    assert.deepEqual(
      txs.map((t) => t.index),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.equal(fx.reader.blockTxs(big.height + 5, { limit: 10 }), undefined);
    const other = fx.reader.blockTxs(big.height - 1, { limit: 1 });
    assert.ok(other);
    const foreign = fx.reader.blockTxs(big.height, { limit: 10 })!.next!;
    assert.throws(() => fx.reader.blockTxs(big.height - 1, { cursor: foreign, limit: 10 }), CursorError);
  });

  it('finds committed, pending and unknown transactions', () => {
    const hash = fx.txHashes[17][2];
    const tx = fx.reader.tx(hash);
    assert.equal(tx.status, 'committed');
    if (tx.status !== 'committed') return;
    assert.equal(tx.height, 17);
    assert.equal(tx.index, 2);
    assert.equal(tx.receipt.fee, String(21_000n * 2n * 10n ** 9n));
    assert.equal(tx.receipt.effectiveGasPrice, String(2n * 10n ** 9n));
    assert.equal(tx.gasLimit, '21000');
    assert.equal(tx.value, String(1000 * 17 + 2));
    assert.equal(tx.blockHash, fx.reader.block({ height: 17 })!.hash);
    const pending = fx.addPending(3, fx.addresses[4], 77n);
    const p = fx.reader.tx(pending.hash);
    assert.equal(p.status, 'pending');
    if (p.status === 'pending') {
      assert.equal(p.value, '77');
      assert.equal(p.from, toHex(fx.addresses[3]));
      assert.equal(p.queued, undefined);
    }
    assert.deepEqual(fx.reader.tx(new Uint8Array(32).fill(9)), {
      hash: toHex(new Uint8Array(32).fill(9)),
      status: 'unknown',
    });
  });

  it('shows a transaction committed while its block is still being written as committed', () => {
    const tx = fx.addPending(2, fx.addresses[3], 12n);
    const head = fx.reader.head();
    // a node whose application committed the tx (it left the mempool) before the store wrote it
    const mempool = new Mempool({
      accounts: fx.store,
      params: PARAMS,
      blockLimits: { maxBlockTxs: 100, maxBlockBytes: 1 << 20 },
    });
    const reader = new StoreExplorerReader({
      store: fx.store,
      mempool,
      chainId: CHAIN_ID,
      validators: fx.validators,
      quorum: 3,
      reputation: defaultReputation(4),
      evidence: () => [],
      inFlightTx: (hash) =>
        toHex(hash) === toHex(tx.hash)
          ? {
              height: head.height + 1,
              index: 0,
              blockHash: new Uint8Array(32).fill(1),
              timestampMs: 5,
              transfer: tx,
              receipt: {
                txHash: tx.hash,
                from: tx.from,
                to: tx.to,
                status: 1,
                gasUsed: 21_000n,
                effectiveGasPrice: 2n * 10n ** 9n,
                fee: 42_000n * 10n ** 9n,
              },
            }
          : undefined,
    });
    try {
      const seen = reader.tx(tx.hash);
      assert.equal(seen.status, 'committed');
      if (seen.status === 'committed') {
        assert.equal(seen.height, head.height + 1);
        assert.equal(seen.value, '12');
        assert.equal(seen.receipt.fee, String(42_000n * 10n ** 9n));
      }
    } finally {
      reader.close();
    }
  });

  it('shows an account with its pending nonce and pages its history newest first while blocks arrive', async () => {
    const address = fx.addresses[5];
    const before = fx.reader.account(address);
    assert.equal(before.exists, true);
    fx.addPending(5, fx.addresses[6], 1n);
    const withPending = fx.reader.account(address);
    assert.equal(BigInt(withPending.pendingNonce), BigInt(withPending.nonce) + 1n);
    const stranger = fx.reader.account(new Uint8Array(20).fill(0xab));
    assert.deepEqual(stranger, {
      address: toHex(new Uint8Array(20).fill(0xab)),
      balance: '0',
      nonce: '0',
      pendingNonce: '0',
      exists: false,
    });

    const first = fx.reader.accountTxs(address, { limit: 1_000_000 });
    const all = await walk(
      (cursor) => fx.reader.accountTxs(address, { cursor, limit: 9 }),
      () => fx.commitBlock(),
    );
    assert.deepEqual(
      all.map((t) => `${t.height}:${t.index}`),
      first.items.map((t) => `${t.height}:${t.index}`),
    );
    const me = toHex(address);
    assert.ok(all.every((t) => t.from === me || t.to === me));
    for (let i = 1; i < all.length; i++)
      assert.ok(
        all[i - 1].height > all[i].height ||
          (all[i - 1].height === all[i].height && all[i - 1].index > all[i].index),
      );
    const cursor = fx.reader.accountTxs(address, { limit: 2 }).next!;
    assert.throws(() => fx.reader.accountTxs(fx.addresses[6], { cursor, limit: 2 }), CursorError);
  });

  it('refuses malformed cursors and cursors of another list', () => {
    const blockCursor = fx.reader.blocks({ limit: 2 }).next!;
    for (const bad of [
      '',
      'zz',
      '!!!!',
      `${blockCursor}A`,
      'A'.repeat(200),
      blockCursor.replace(/.$/, '='),
    ]) {
      assert.throws(() => fx.reader.blocks({ cursor: bad, limit: 2 }), CursorError, bad);
    }
    assert.throws(() => fx.reader.mempool({ cursor: blockCursor, limit: 2 }), CursorError);
    assert.throws(
      () => fx.reader.accountTxs(fx.addresses[0], { cursor: blockCursor, limit: 2 }),
      CursorError,
    );
  });

  it('lists the mempool newest admitted first', async () => {
    const admitted = [0, 1, 2, 7, 8].map((a) => fx.addPending(a, fx.addresses[9], 5n));
    const listed = await walk((cursor) => fx.reader.mempool({ cursor, limit: 2 }));
    const hashes = listed.map((t) => t.hash);
    const expected = admitted.map((t) => toHex(t.hash)).reverse();
    assert.deepEqual(hashes.slice(0, 5), expected);
    assert.equal(new Set(hashes).size, hashes.length);
    await fx.commitBlock(0);
    assert.equal(fx.reader.mempool({ limit: 10 }).items.length, 0);
  });

  it('computes stats from the summaries', () => {
    const stats = fx.reader.stats();
    const head = fx.reader.head().height;
    assert.equal(stats.height, head);
    const counted = fx.txHashes.reduce((n, h) => n + h.length, 0);
    assert.equal(stats.totalTxs, counted);
    assert.ok(stats.totalAccounts > 12, 'fresh recipients count as created accounts');
    assert.equal(stats.windows[0].blocks, 10);
    assert.equal(stats.windows[0].meanBlockTimeMs, 1000);
    assert.ok(stats.windows[1].roundsPerBlock > 1, 'skipped rounds show');
    assert.equal(stats.recent.length, 100);
    assert.equal(stats.recent.at(-1)!.height, head);
  });

  it('counts proposals made and missed and QC shares over the window', () => {
    const v = fx.reader.validators();
    assert.equal(v.window.blocks, 100);
    assert.equal(v.window.toHeight, fx.reader.head().height);
    const made = v.validators.reduce((n, x) => n + x.proposals.made, 0);
    assert.equal(made, 100);
    const missed = v.validators.reduce((n, x) => n + x.proposals.missed, 0);
    // a skipped round every 7 blocks
    assert.ok(missed >= 13 && missed <= 15, `missed ${missed}`);
    for (const x of v.validators) {
      assert.ok(x.qcShare > 0.6 && x.qcShare < 0.9, `qcShare ${x.qcShare}`);
      assert.equal(x.uptime, null, 'no consensus messages seen');
      assert.equal(x.evidence, 0);
    }
  });

  it('tells subscribers of each new durable head and each pending admission', async () => {
    const heads: number[] = [];
    const pending: string[] = [];
    const stop = fx.reader.subscribe({
      onHead: (h) => {
        heads.push(h);
        // what a client does next: the block is there
        assert.ok(fx.reader.block({ height: h }));
      },
      onPendingTx: (tx) => pending.push(tx.hash),
    });
    const tx = fx.addPending(10, fx.addresses[11], 3n);
    const a = await fx.commitBlock();
    const b = await fx.commitBlock();
    stop();
    await fx.commitBlock();
    assert.deepEqual(heads, [a.height, b.height]);
    assert.deepEqual(pending, [toHex(tx.hash)]);
  });

  it("uptime: one validator's messages for rounds ahead of the chain do not charge their leaders", () => {
    // what an observer saw of the committed rounds: each block's proposal and every vote
    const head = fx.reader.head().height;
    const tracked = Math.min(head, 200);
    for (let h = head - tracked + 1; h <= head; h++) {
      const summary = fx.store.getSummary(h)!;
      const proposer = fx.validators.findIndex((v) => toHex(v.address) === toHex(summary.proposer));
      fx.activity.observe(proposer, proposalAt(summary.round));
      for (let v = 0; v < fx.validators.length; v++) fx.activity.observe(v, voteAt(summary.round, v));
    }
    // and the rounds in progress above the head block's, as a running node sees them
    const headRound = fx.store.getSummary(head)!.round;
    fx.activity.observe(1, proposalAt(headRound + 1));
    fx.activity.observe(2, proposalAt(headRound + 2));
    // (the fixture's proposers rotate by height, not by the leader rule: not all 100%)
    const honest = fx.reader.validators().validators.map((x) => x.uptime);
    assert.ok(
      honest.every((u) => u !== null && u > 0.5),
      `every validator was seen acting: ${honest}`,
    );
    // validator 3 signs timeouts for rounds the chain has not reached (the gate lets a
    // round up to maxFutureRounds ahead through): nobody had a chance to act in them yet
    for (let r = headRound + 3; r <= headRound + 60; r++) fx.activity.observe(3, timeoutAt(r, 3));
    assert.deepEqual(
      fx.reader.validators().validators.map((x) => x.uptime),
      honest,
    );
  });
});

const NO_BYTES = new Uint8Array(0);
const ZERO_ID = new Uint8Array(32);
const NO_SIGNATURE = new Uint8Array(65);
const emptyQc = (round: number) => ({ round, blockId: ZERO_ID, signers: [], signatures: [] });

/** A proposal of `round` as the activity tracker reads it (it looks at the header's round). */
function proposalAt(round: number): ConsensusMessage {
  return {
    kind: 'proposal',
    proposal: {
      block: {
        header: {
          chainId: CHAIN_ID,
          height: round,
          round,
          parentHash: ZERO_ID,
          proposer: new Uint8Array(20),
          timestampMs: round,
          txRoot: ZERO_ID,
          stateRoot: ZERO_ID,
          receiptsRoot: new Uint8Array(32),
          parentQc: NO_BYTES,
        },
        transactions: [],
      },
      signature: NO_SIGNATURE,
    },
  };
}

const voteAt = (round: number, signer: number): ConsensusMessage => ({
  kind: 'vote',
  vote: { round, blockId: ZERO_ID, signer, signature: NO_SIGNATURE, sync: { highQc: emptyQc(round - 1) } },
});

const timeoutAt = (round: number, signer: number): ConsensusMessage => ({
  kind: 'timeout',
  timeout: { round, highQc: emptyQc(round - 1), signer, signature: NO_SIGNATURE },
});
