import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeoutSightings } from '../../../src/network/timeout-sightings.js';

describe('timeout sightings', () => {
  it('counts distinct timeouts per signer and round up to the allowance; repeats stay known', () => {
    const s = timeoutSightings(8, 2);
    assert.equal(s.admit(0, 5, 'a'), 'new');
    assert.equal(s.admit(0, 5, 'a'), 'known');
    assert.equal(s.admit(0, 5, 'b'), 'new');
    assert.equal(s.admit(0, 5, 'c'), 'over');
    assert.equal(s.admit(0, 5, 'b'), 'known');
    assert.equal(s.admit(1, 5, 'c'), 'new', 'another signer');
    assert.equal(s.admit(0, 6, 'c'), 'new', 'another round');
    assert.equal(s.rounds, 2);
  });

  it('holds at most maxRounds rounds, dropping the lowest, and refuses a round below all of them', () => {
    const s = timeoutSightings(3, 1);
    for (const round of [10, 11, 12]) assert.equal(s.admit(0, round, `k${round}`), 'new');
    assert.equal(s.admit(0, 13, 'k13'), 'new');
    assert.equal(s.rounds, 3);
    // round 10 was dropped: it is below every round held, so it cannot be counted and is refused
    assert.equal(s.admit(0, 10, 'other'), 'over');
    assert.equal(s.rounds, 3);
    // the rounds held still count
    assert.equal(s.admit(0, 11, 'other'), 'over');
    assert.equal(s.admit(0, 11, 'k11'), 'known');
  });

  it('refuses a round count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => timeoutSightings(bad), RangeError);
  });
});
