import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryUpkeep } from '../../../src/node/memory-upkeep.js';
import { ManualClock } from './manual-clock.js';

/** Lets resolved promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function upkeepWith(available: boolean, options = { everyMs: 10_000 }) {
  const clock = new ManualClock(0);
  const calls = { release: [] as string[] };
  const logs: string[] = [];
  const upkeep = new MemoryUpkeep(
    {
      dataDir: '/data/node-1',
      clock,
      logger: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m), error() {}, debug() {} },
      os: {
        releaseMappingsUnder: async (dir) => {
          calls.release.push(dir);
          return available ? 2 : undefined;
        },
      },
    },
    options,
  );
  return { clock, calls, logs, upkeep };
}

describe('MemoryUpkeep', () => {
  it('releases the data directory every pass until stopped', async () => {
    const { clock, calls, upkeep } = upkeepWith(true);
    upkeep.start();
    clock.advance(9_999);
    assert.equal(calls.release.length, 0);
    clock.advance(1);
    await settle();
    assert.deepEqual(calls.release, ['/data/node-1']);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await settle();
    }
    assert.equal(calls.release.length, 6);
    assert.deepEqual(upkeep.metrics, { passes: 6, mappingsReleased: 12, longestPassMs: 0 });
    await upkeep.stop();
    clock.advance(100_000);
    await settle();
    assert.equal(calls.release.length, 6);
    assert.equal(clock.pending(), 0);
  });

  it('runs one pass at a time, and stop waits for the pass under way', async () => {
    const clock = new ManualClock(0);
    let finish = () => {};
    let started = 0;
    const upkeep = new MemoryUpkeep(
      {
        dataDir: '/data/node-1',
        clock,
        logger: { info() {}, warn() {}, error() {}, debug() {} },
        os: {
          releaseMappingsUnder: () => {
            started++;
            return new Promise((resolve) => {
              finish = () => resolve(1);
            });
          },
        },
      },
      { everyMs: 10_000 },
    );
    upkeep.start();
    clock.advance(30_000);
    assert.equal(started, 1, 'the passes due while one runs do not start');
    let stopped = false;
    const stopping = upkeep.stop().then(() => {
      stopped = true;
    });
    await settle();
    assert.equal(stopped, false, 'stop waits for the pass that is releasing');
    finish();
    await stopping;
    assert.equal(upkeep.metrics.passes, 1);
  });

  it('a release that fails is logged and stops the upkeep', async () => {
    const clock = new ManualClock(0);
    const logs: string[] = [];
    let calls = 0;
    const upkeep = new MemoryUpkeep(
      {
        dataDir: '/data/node-1',
        clock,
        logger: { info() {}, warn: (_o, m) => logs.push(m), error() {}, debug() {} },
        os: {
          releaseMappingsUnder: async () => {
            calls++;
            throw new Error('EPERM');
          },
        },
      },
      { everyMs: 10_000 },
    );
    upkeep.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(10_000);
      await settle();
    }
    assert.equal(calls, 1);
    assert.deepEqual(logs, ['memory upkeep failed: stopped']);
    assert.equal(clock.pending(), 0);
  });

  it('without the libc calls, says so once and stops', async () => {
    const { clock, calls, logs, upkeep } = upkeepWith(false);
    upkeep.start();
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      await settle();
    }
    assert.equal(calls.release.length, 1);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /koffi/);
    assert.equal(clock.pending(), 0);
  });

  it('is off at an interval of 0, and refuses a negative or fractional one', () => {
    const { clock, upkeep } = upkeepWith(true, { everyMs: 0 });
    upkeep.start();
    assert.equal(clock.pending(), 0);
    assert.throws(() => upkeepWith(true, { everyMs: -1 }), RangeError);
    assert.throws(() => upkeepWith(true, { everyMs: 0.5 }), RangeError);
  });
});
