/**
 * TransactionAdmission gossips again the API transactions it answered 202 for while they
 * stay pending (admission.ts): one gossip can be lost (a full outbound queue, a cut
 * connection, peers' full pools), and the node that answered may never propose them.
 * Driven by a manual clock, over a real mempool and a journal in a temporary directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import type { Mempool } from '../../../src/mempool/index.js';
import { silentLogger, TransactionAdmission } from '../../../src/node/index.js';
import type { AccountState } from '../../../src/state/index.js';
import { address, ETH, funded, pool, stateOf, transfer } from '../mempool/helpers.js';
import { ManualClock } from './manual-clock.js';

const REBROADCAST_MS = 20_000;

interface Harness {
  admission: TransactionAdmission;
  mempool: Mempool;
  clock: ManualClock;
  /** Every publish, as the transactions' hashes. */
  published: string[][];
}

describe('TransactionAdmission: pending API transactions are gossiped again', () => {
  let dir = '';
  let runs = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rebroadcast-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A fresh mempool and clock over the journal at `journalDir` (a new one by default). */
  async function harness(
    maxTxs = 2048,
    journalDir = join(dir, `journal-${runs++}`),
    peers = { count: 3 },
    accounts: AccountState = funded(20),
  ): Promise<Harness & { journalDir: string }> {
    const clock = new ManualClock(1_700_000_000_000);
    const mempool = pool(accounts);
    const published: string[][] = [];
    const admission = new TransactionAdmission(
      {
        mempool,
        txLocation: () => undefined,
        publish: (raws) => published.push(raws.map((raw) => toHex(mempool.lookupVerified(raw)!.hash))),
        connectedPeers: () => peers.count,
        logger: silentLogger,
        onFatal: (err) => assert.fail(`admission failed: ${err.message}`),
        clock,
      },
      {
        journalDir,
        submitSliceTxs: 32,
        txJournalPruneMs: 1000,
        txRebroadcastMs: REBROADCAST_MS,
        txRebroadcastMaxTxs: maxTxs,
        gossipSeenTtlMs: 15_000,
      },
    );
    await admission.open();
    return { admission, mempool, clock, published, journalDir };
  }

  const hashOf = (from: number, nonce: bigint) => toHex(transfer(from, { nonce }).hash);

  it('gossips a transaction once on admission, again after txRebroadcastMs while pending, and never once committed', async () => {
    const { admission, mempool, clock, published } = await harness();
    const outcomes = await admission.submit([transfer(1).raw, transfer(2).raw]);
    assert.ok(
      outcomes.every((o) => !('error' in o)),
      JSON.stringify(outcomes),
    );
    assert.deepEqual(published, [[hashOf(1, 0n), hashOf(2, 0n)]]);

    // passes run every txRebroadcastMs / 4: nothing is due before txRebroadcastMs
    clock.advance(REBROADCAST_MS - 1);
    assert.equal(published.length, 1, 'gossiped again too early');
    clock.advance(REBROADCAST_MS / 4);
    assert.deepEqual(published.at(-1), [hashOf(1, 0n), hashOf(2, 0n)]);
    assert.equal(admission.rebroadcasts, 2);

    // sender 1's transfer commits: only sender 2's is gossiped again, one interval later
    mempool.onCommit([{ hash: transfer(1).hash, from: address(1) }], funded(20));
    clock.advance(REBROADCAST_MS);
    assert.deepEqual(published.at(-1), [hashOf(2, 0n)]);
    assert.equal(published.length, 3);

    mempool.onCommit([{ hash: transfer(2).hash, from: address(2) }], funded(20));
    clock.advance(4 * REBROADCAST_MS);
    assert.equal(published.length, 3, 'a committed transaction was gossiped again');
    await admission.close();
    clock.advance(4 * REBROADCAST_MS);
    assert.equal(published.length, 3, 'gossiped after close');
  });

  it('bounds a pass to txRebroadcastMaxTxs, longest-waiting first, and reaches every pending transaction in turn', async () => {
    const { admission, clock, published } = await harness(4);
    const senders = Array.from({ length: 10 }, (_, i) => i + 1);
    await admission.submit(senders.map((s) => transfer(s).raw));
    published.length = 0;

    const seen = new Map<string, number>();
    for (let pass = 0; pass < 12; pass++) {
      clock.advance(REBROADCAST_MS / 4);
      for (const batch of published.splice(0)) {
        assert.ok(batch.length <= 4, `a pass gossiped ${batch.length} transactions`);
        for (const hash of batch) seen.set(hash, (seen.get(hash) ?? 0) + 1);
      }
    }
    // 12 passes of 4 over 10 transactions, each due again 20 s after its last gossip
    for (const s of senders)
      assert.ok((seen.get(hashOf(s, 0n)) ?? 0) >= 1, `sender ${s} never gossiped again`);
    const counts = [...seen.values()];
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `uneven turns: ${counts}`);
    await admission.close();
  });

  it('keeps a gossiped transaction as its own once its API is asked for it (answered ALREADY_KNOWN): journaled and gossiped again', async () => {
    const { admission, mempool, clock, published, journalDir } = await harness();
    assert.equal(admission.onGossip([transfer(4)]), undefined);
    const [outcome] = await admission.submit([transfer(4).raw]);
    assert.ok('error' in outcome && outcome.error === 'ALREADY_KNOWN', JSON.stringify(outcome));
    clock.advance(REBROADCAST_MS + REBROADCAST_MS / 4);
    assert.deepEqual(published.at(-1), [hashOf(4, 0n)], 'not gossiped again');
    await admission.close();
    // the journal holds it: a restart re-admits it
    const again = await harness(2048, journalDir);
    assert.ok(again.mempool.get(transfer(4).hash), 'not journaled');
    assert.ok(mempool.get(transfer(4).hash));
    await again.admission.close();
  });

  it('skips a pass while no peer is connected: the transactions keep their turn', async () => {
    const peers = { count: 0 };
    const { admission, clock, published } = await harness(2048, undefined, peers);
    await admission.submit([transfer(5).raw]);
    clock.advance(2 * REBROADCAST_MS);
    assert.equal(published.length, 1, 'gossiped again with no peer');
    peers.count = 2;
    clock.advance(REBROADCAST_MS / 4);
    assert.deepEqual(published.at(-1), [hashOf(5, 0n)]);
    await admission.close();
  });

  it('refuses options under which a batch gossiped again would be dropped as a duplicate', () => {
    const make = (txRebroadcastMs: number, gossipSeenTtlMs: number) =>
      new TransactionAdmission(
        {
          mempool: pool(funded(1)),
          txLocation: () => undefined,
          publish: () => {},
          connectedPeers: () => 1,
          logger: silentLogger,
          onFatal: () => {},
          clock: new ManualClock(0),
        },
        {
          journalDir: join(dir, 'unused'),
          submitSliceTxs: 32,
          txJournalPruneMs: 1000,
          txRebroadcastMs,
          txRebroadcastMaxTxs: 10,
          gossipSeenTtlMs,
        },
      );
    assert.throws(() => make(15_000, 15_000), /txRebroadcastMs \(15000\) must be longer/);
    assert.throws(() => make(0, 1), /txRebroadcastMs must be a positive integer/);
    assert.doesNotThrow(() => make(20_000, 15_000));
  });

  it('a restarted node gossips its replayed journal again while the transactions stay pending', async () => {
    const first = await harness();
    await first.admission.submit([transfer(3).raw]);
    await first.admission.close();

    // the same journal, a fresh mempool: open() replays it
    const { admission, clock, published } = await harness(2048, first.journalDir);
    clock.advance(1000); // the replay's own gossip once a peer is connected
    assert.deepEqual(published, [[hashOf(3, 0n)]]);
    // due txRebroadcastMs after that gossip, at the next pass (every txRebroadcastMs / 4)
    clock.advance(REBROADCAST_MS + REBROADCAST_MS / 4);
    assert.deepEqual(published.at(-1), [hashOf(3, 0n)]);
    assert.equal(published.length, 2);
    await admission.close();
  });

  it('a replayed transaction the mempool refuses for now stays journaled, held back, and is admitted and gossiped once it can be', async () => {
    // sender 3 at nonce 70 when its transfer was answered 202
    const ahead = stateOf([[3, { balance: ETH, nonce: 70n }]]);
    const first = await harness(2048, undefined, undefined, ahead);
    const [outcome] = await first.admission.submit([transfer(3, { nonce: 70n }).raw]);
    assert.ok(!('error' in outcome), JSON.stringify(outcome));
    await first.admission.close();

    // restarted on a head that is behind: nonce 0, so 70 is beyond the window (maxNonceAhead 64)
    const behind = stateOf([[3, { balance: ETH, nonce: 0n }]]);
    const second = await harness(2048, first.journalDir, undefined, behind);
    const hash = transfer(3, { nonce: 70n }).hash;
    assert.equal(second.mempool.get(hash), undefined, 'the mempool took it at nonce 0');
    assert.deepEqual(second.admission.status(hash), { hash: toHex(hash), status: 'pending', queued: true });
    // pruned passes and rebroadcast passes keep it while the head is behind
    second.clock.advance(3 * REBROADCAST_MS);
    assert.deepEqual(second.published, []);
    await second.admission.close();

    // restarted again, still behind: the journal still holds it
    const third = await harness(2048, first.journalDir, undefined, behind);
    assert.equal(third.admission.status(hash).status, 'pending');
    // the head catches up to the sender's nonce 70: the next pass admits it and gossips it
    third.mempool.onCommit([], ahead);
    third.clock.advance(REBROADCAST_MS / 4);
    assert.ok(third.mempool.get(hash), 'not admitted once its nonce came');
    assert.deepEqual(third.published, [[toHex(hash)]]);
    await third.admission.close();
  });

  it('a replayed transaction that can never commit leaves the journal', async () => {
    const first = await harness();
    await first.admission.submit([transfer(4).raw]);
    await first.admission.close();
    // nonce 0 was used meanwhile (committed on this head): NONCE_TOO_LOW, for good
    const used = stateOf([[4, { balance: ETH, nonce: 1n }]]);
    const second = await harness(2048, first.journalDir, undefined, used);
    assert.equal(second.admission.status(transfer(4).hash).status, 'unknown');
    await second.admission.close();
    const third = await harness(2048, first.journalDir);
    assert.equal(
      third.mempool.get(transfer(4).hash),
      undefined,
      'the journal kept a transaction that cannot commit',
    );
    await third.admission.close();
  });

  it('a held-back transaction whose turn never comes leaves the journal after the mempool lifetime of a gapped one', async () => {
    const ahead = stateOf([[5, { balance: ETH, nonce: 70n }]]);
    const first = await harness(2048, undefined, undefined, ahead);
    await first.admission.submit([transfer(5, { nonce: 70n }).raw]);
    await first.admission.close();
    const behind = stateOf([[5, { balance: ETH, nonce: 0n }]]);
    const second = await harness(2048, first.journalDir, undefined, behind);
    const hash = transfer(5, { nonce: 70n }).hash;
    assert.equal(second.admission.status(hash).status, 'pending');
    const lifetime = second.mempool.options.queuedLifetimeMs;
    second.clock.advance(lifetime - REBROADCAST_MS);
    assert.equal(second.admission.status(hash).status, 'pending', 'let go before its lifetime');
    second.clock.advance(2 * REBROADCAST_MS);
    assert.equal(second.admission.status(hash).status, 'unknown', 'held back past its lifetime');
    await second.admission.close();
    // gone from the journal: a restart with its nonce's turn come does not bring it back
    const third = await harness(2048, first.journalDir, undefined, ahead);
    assert.equal(third.mempool.get(hash), undefined);
    await third.admission.close();
  });

  it('offers held-back transactions in turn: one refused again goes to the back of the line', async () => {
    const ahead = stateOf([
      [6, { balance: ETH, nonce: 70n }],
      [7, { balance: ETH, nonce: 70n }],
    ]);
    const first = await harness(2048, undefined, undefined, ahead);
    await first.admission.submit([transfer(6, { nonce: 70n }).raw, transfer(7, { nonce: 70n }).raw]);
    await first.admission.close();
    const behind = stateOf([
      [6, { balance: ETH, nonce: 0n }],
      [7, { balance: ETH, nonce: 0n }],
    ]);
    // one transaction offered a pass (txRebroadcastMaxTxs 1)
    const second = await harness(1, first.journalDir, undefined, behind);
    // sender 7's turn comes; sender 6's, held back first, does not
    second.mempool.onCommit(
      [],
      stateOf([
        [6, { balance: ETH, nonce: 0n }],
        [7, { balance: ETH, nonce: 70n }],
      ]),
    );
    const seven = transfer(7, { nonce: 70n }).hash;
    second.clock.advance(REBROADCAST_MS / 4);
    assert.equal(second.mempool.get(seven), undefined, 'the first pass offers sender 6 only');
    second.clock.advance(REBROADCAST_MS / 4);
    assert.ok(second.mempool.get(seven), 'sender 7 waited behind a transaction refused again');
    assert.equal(second.admission.status(transfer(6, { nonce: 70n }).hash).status, 'pending');
    await second.admission.close();
  });
});
