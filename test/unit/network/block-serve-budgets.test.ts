/**
 * BlockServeBudgets: what answering one peer's block requests may cost (direct.ts and the
 * composed simulator answer through it), on a clock the test moves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockServeBudgets, blockServeBudgets, DEFAULT_NETWORK_OPTIONS } from '../../../src/network/index.js';

function budgetsAt(clock: { ms: number }): BlockServeBudgets {
  return new BlockServeBudgets(
    { requests: { ratePerSecond: 2, burst: 3 }, bytes: { ratePerSecond: 1000, burst: 2000 } },
    () => clock.ms,
  );
}

describe('BlockServeBudgets', () => {
  it('admits a peer up to its request burst, then at its rate; other peers apart', () => {
    const clock = { ms: 0 };
    const budgets = budgetsAt(clock);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => budgets.admit('a')),
      [true, true, true, false],
    );
    assert.equal(budgets.admit('b'), true);
    clock.ms += 500;
    assert.deepEqual([budgets.admit('a'), budgets.admit('a')], [true, false]);
  });

  it('refuses a peer while the bytes sent to it are not paid back, without spending a request', () => {
    const clock = { ms: 0 };
    const budgets = budgetsAt(clock);
    assert.equal(budgets.admit('a'), true);
    budgets.charge('a', 2500);
    // a debt of 500 bytes: 0.5 s at 1000 bytes a second, and then some
    clock.ms += 500;
    assert.equal(budgets.admit('a'), false);
    assert.equal(budgets.admit('b'), true);
    clock.ms += 1;
    // the refusal took no request: with the refill, the burst of three is whole again
    assert.deepEqual(
      [1, 2, 3, 4].map(() => budgets.admit('a')),
      [true, true, true, false],
    );
  });

  it('never lets the byte budget fall below a few of the largest frames', () => {
    const clock = { ms: 0 };
    const maxFrameBytes = DEFAULT_NETWORK_OPTIONS.blockServeBurstBytes;
    const budgets = blockServeBudgets(DEFAULT_NETWORK_OPTIONS, maxFrameBytes, () => clock.ms);
    // seven of the largest frames sent: the options' burst alone would be spent by the first
    budgets.charge('a', 7 * maxFrameBytes);
    assert.equal(budgets.admit('a'), true);
    budgets.charge('a', maxFrameBytes);
    assert.equal(budgets.admit('a'), false);
  });
});
