import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeoutSightings } from '../../../src/network/timeout-sightings.js';

describe('timeout sightings', () => {
  it('takes up to the allowance of signed contents per signer and round; forwards each first encoding and its repeats', () => {
    const s = timeoutSightings(8, 2);
    assert.equal(s.admit(0, 5, 'qc1', 'a'), 'forward');
    assert.equal(s.admit(0, 5, 'qc1', 'a'), 'forward', 'the same bytes again');
    assert.equal(s.admit(0, 5, 'qc1', 'a2'), 'local', 'another encoding of the same signed content');
    assert.equal(s.admit(0, 5, 'qc2', 'b'), 'forward');
    assert.equal(s.hasRoom(0, 5, 'qc3'), 'over');
    assert.equal(s.admit(0, 5, 'qc3', 'c'), 'over');
    assert.equal(s.hasRoom(0, 5, 'qc1'), 'yes', 'a content it holds always has room');
    assert.equal(s.admit(0, 5, 'qc2', 'b'), 'forward');
    assert.equal(s.admit(1, 5, 'qc3', 'c'), 'forward', 'another signer');
    assert.equal(s.admit(0, 6, 'qc3', 'c'), 'forward', 'another round');
    assert.equal(s.rounds, 2);
  });

  it('holds at most maxRounds rounds, dropping the lowest; a round below all of them is untracked', () => {
    const s = timeoutSightings(3, 1);
    for (const round of [10, 11, 12]) assert.equal(s.admit(0, round, 'qc', `k${round}`), 'forward');
    assert.equal(s.admit(0, 13, 'qc', 'k13'), 'forward');
    assert.equal(s.rounds, 3);
    assert.equal(s.hasRoom(0, 10, 'qc'), 'untracked');
    assert.equal(s.admit(0, 10, 'qc', 'k10'), 'untracked');
    assert.equal(s.rounds, 3);
    // the rounds held still count
    assert.equal(s.admit(0, 11, 'other', 'x'), 'over');
    assert.equal(s.admit(0, 11, 'qc', 'k11'), 'forward');
  });

  it('refuses bounds that are not positive integers', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => timeoutSightings(bad), RangeError);
      assert.throws(() => timeoutSightings(8, bad), RangeError);
    }
  });
});
