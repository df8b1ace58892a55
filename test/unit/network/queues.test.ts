/**
 * The inbound queues' fairness (issue 10 item 9) and the per-peer budgets (items 3 and 8).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerBudgets, TokenBucket } from '../../../src/network/budget.js';
import { FairQueue, WeightedTurns } from '../../../src/network/queues.js';

describe('WeightedTurns', () => {
  it('gives every kind with work turns in proportion to its weight', () => {
    const turns = new WeightedTurns({ proposal: 4, timeout: 2, transactions: 2 });
    const counts = { proposal: 0, timeout: 0, transactions: 0 };
    for (let i = 0; i < 800; i++) counts[turns.next(() => true)!]++;
    assert.deepEqual(counts, { proposal: 400, timeout: 200, transactions: 200 });
  });

  it('under a flood of one kind, another kind with work is served within a few turns', () => {
    const turns = new WeightedTurns({ proposal: 4, timeout: 2, transactions: 2 });
    // timeouts always have work; one batch of transactions arrives after 1000 turns
    for (let i = 0; i < 1000; i++)
      assert.equal(
        turns.next((k) => k === 'timeout'),
        'timeout',
      );
    const next: string[] = [];
    for (let i = 0; i < 4; i++) next.push(turns.next((k) => k !== 'proposal')!);
    assert.ok(next.includes('transactions'), next.join(','));
  });

  it('banks no turns for a kind while it has no work', () => {
    const turns = new WeightedTurns({ a: 1, b: 1 });
    for (let i = 0; i < 100; i++) turns.next((k) => k === 'a');
    const next = Array.from({ length: 10 }, () => turns.next(() => true));
    assert.equal(next.filter((k) => k === 'b').length, 5);
  });

  it('returns undefined when nothing has work, and refuses a weight that is not positive', () => {
    assert.equal(
      new WeightedTurns({ a: 1 }).next(() => false),
      undefined,
    );
    assert.throws(() => new WeightedTurns({ a: 0 }), RangeError);
  });
});

describe('FairQueue', () => {
  const size = (s: string) => s.length;

  it('serves sources in turn, each in its own order', () => {
    const q = new FairQueue<string>(100, 1000, size);
    for (let i = 0; i < 5; i++) q.push('flooder', `f${i}`);
    q.push('honest', 'h0');
    q.push('honest', 'h1');
    const out = Array.from({ length: 7 }, () => q.shift());
    assert.deepEqual(out, ['f0', 'h0', 'f1', 'h1', 'f2', 'f3', 'f4']);
    assert.equal(q.length, 0);
    assert.equal(q.byteLength, 0);
    assert.equal(q.shift(), undefined);
  });

  it('when full, drops the oldest item of the source that holds the most', () => {
    const q = new FairQueue<string>(4, 1000, size);
    q.push('honest', 'h0');
    assert.deepEqual(q.push('flooder', 'f0'), []);
    q.push('flooder', 'f1');
    q.push('flooder', 'f2');
    assert.deepEqual(q.push('flooder', 'f3'), ['f0']);
    assert.deepEqual(q.push('honest', 'h1'), ['f1']);
    assert.equal(q.length, 4);
    assert.deepEqual(q.clear().sort(), ['f2', 'f3', 'h0', 'h1']);
  });

  it('bounds bytes as well as items', () => {
    const q = new FairQueue<string>(100, 10, size);
    q.push('a', 'xxxx');
    q.push('b', 'yyyy');
    assert.deepEqual(q.push('b', 'zzzz'), ['xxxx']); // a tie: the first source found with the most
    assert.equal(q.byteLength, 8);
    assert.deepEqual(q.push('c', 'x'.repeat(11)), ['x'.repeat(11)]);
  });
});

describe('TokenBucket', () => {
  it('refills at its rate up to its burst; take refuses, charge leaves a debt', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) assert.ok(bucket.take());
    assert.equal(bucket.take(), false);
    now += 100; // one token back
    assert.ok(bucket.take());
    assert.equal(bucket.take(), false);
    bucket.charge(10);
    assert.equal(bucket.available(), -10);
    assert.equal(bucket.waitMs(), 1100);
    now += 10_000;
    assert.equal(bucket.available(), 5);
    assert.equal(bucket.waitMs(), 0);
  });

  it('keeps one bucket per peer', () => {
    const budgets = new PeerBudgets({ ratePerSecond: 1, burst: 1 }, () => 0);
    assert.ok(budgets.of('a').take());
    assert.equal(budgets.of('a').take(), false);
    assert.ok(budgets.of('b').take());
  });
});
