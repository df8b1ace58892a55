import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryUpkeep } from '../../../src/node/memory-upkeep.js';
import { ManualClock } from './manual-clock.js';

function upkeepWith(available: boolean, options = { everyMs: 10_000, trimEveryPasses: 3 }) {
  const clock = new ManualClock(0);
  const calls = { release: [] as string[], trims: 0 };
  const logs: string[] = [];
  const upkeep = new MemoryUpkeep(
    {
      dataDir: '/data/node-1',
      clock,
      logger: { info: (_o, m) => logs.push(m), warn() {}, error() {}, debug() {} },
      os: {
        releaseMappingsUnder: (dir) => {
          calls.release.push(dir);
          return available ? 2 : undefined;
        },
        trimMalloc: () => {
          calls.trims++;
          return available ? true : undefined;
        },
      },
    },
    options,
  );
  return { clock, calls, logs, upkeep };
}

describe('MemoryUpkeep', () => {
  it('releases the data directory every pass and trims malloc every few passes, until stopped', () => {
    const { clock, calls, upkeep } = upkeepWith(true);
    upkeep.start();
    clock.advance(9_999);
    assert.equal(calls.release.length, 0);
    clock.advance(1);
    assert.deepEqual(calls.release, ['/data/node-1']);
    clock.advance(50_000);
    assert.equal(calls.release.length, 6);
    assert.equal(calls.trims, 2);
    assert.deepEqual(upkeep.metrics, { passes: 6, mappingsReleased: 12, trims: 2, longestPassMs: 0 });
    upkeep.stop();
    clock.advance(100_000);
    assert.equal(calls.release.length, 6);
    assert.equal(clock.pending(), 0);
  });

  it('without the libc calls, says so once and stops', () => {
    const { clock, calls, logs, upkeep } = upkeepWith(false);
    upkeep.start();
    clock.advance(60_000);
    assert.equal(calls.release.length, 1);
    assert.equal(calls.trims, 0);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /koffi/);
    assert.equal(clock.pending(), 0);
  });

  it('logs a pass that held the event loop for more than 5 ms', () => {
    const { clock, logs, upkeep } = upkeepWith(true);
    const slow = new MemoryUpkeep(
      {
        dataDir: '/data/node-1',
        clock,
        logger: { info: (_o, m) => logs.push(m), warn() {}, error() {}, debug() {} },
        os: {
          releaseMappingsUnder: () => {
            clock.advance(6);
            return 1;
          },
          trimMalloc: () => true,
        },
      },
      { everyMs: 10_000, trimEveryPasses: 6 },
    );
    upkeep.pass();
    assert.deepEqual(logs, []);
    slow.pass();
    assert.deepEqual(logs, ['slow memory upkeep pass']);
    assert.equal(slow.metrics.longestPassMs, 6);
  });

  it('is off at an interval of 0, and refuses a negative or fractional one', () => {
    const { clock, upkeep } = upkeepWith(true, { everyMs: 0, trimEveryPasses: 6 });
    upkeep.start();
    assert.equal(clock.pending(), 0);
    assert.throws(() => upkeepWith(true, { everyMs: -1, trimEveryPasses: 6 }), RangeError);
    assert.throws(() => upkeepWith(true, { everyMs: 10, trimEveryPasses: 0.5 }), RangeError);
  });
});
