import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryUpkeep } from '../../../src/node/memory-upkeep.js';
import { ManualClock } from './manual-clock.js';

/** Lets resolved promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const MAPPING = {
  start: 0x7f0000000000n,
  end: 0x7f4000000000n,
  permissions: 'r--s',
  offset: 0n,
  path: '/data/node-1/chain/data.mdb',
};

function upkeepWith(
  available: boolean,
  options = { everyMs: 10_000, rescanEveryPasses: 3, trimEveryMs: 0 },
  trim: () => Promise<boolean | undefined> = async () => true,
) {
  const clock = new ManualClock(0);
  const calls = { read: [] as string[], release: [] as string[], trims: 0 };
  const logs: string[] = [];
  const upkeep = new MemoryUpkeep(
    {
      dataDir: '/data/node-1',
      clock,
      logger: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m), error() {}, debug() {} },
      os: {
        readMappingsUnder: async (dir) => {
          calls.read.push(dir);
          return [{ ...MAPPING, path: `${dir}/chain/data.mdb` }];
        },
        releaseMappings: async (mappings) => {
          calls.release.push(...mappings.map((m) => m.path));
          return available ? mappings.length : undefined;
        },
        trimMalloc: () => {
          calls.trims++;
          return trim();
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
    assert.deepEqual(calls.release, ['/data/node-1/chain/data.mdb']);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await settle();
    }
    assert.equal(calls.release.length, 6);
    assert.deepEqual(upkeep.metrics, {
      passes: 6,
      mappingsReleased: 6,
      longestPassMs: 0,
      mallocTrims: 0,
      longestTrimMs: 0,
    });
    await upkeep.stop();
    clock.advance(100_000);
    await settle();
    assert.equal(calls.release.length, 6);
    assert.equal(clock.pending(), 0);
  });

  it('reads the mappings at the first pass, then every so many passes; once stopped it never starts again', async () => {
    const { clock, calls, upkeep } = upkeepWith(true);
    upkeep.start();
    const passes = async (n: number) => {
      for (let i = 0; i < n; i++) {
        clock.advance(10_000);
        await settle();
      }
    };
    await passes(1);
    assert.equal(calls.read.length, 1);
    await passes(2);
    assert.equal(calls.read.length, 1, 'passes 2 and 3 release the mappings read at pass 1');
    await passes(1);
    assert.equal(calls.read.length, 2, 'pass 4 reads them again (rescanEveryPasses 3)');
    await upkeep.stop();
    // a node's start still under way when it stops: the stores are closing, nothing may pass
    upkeep.start();
    await passes(3);
    assert.equal(clock.pending(), 0, 'a stopped upkeep scheduled passes again');
    assert.equal(calls.read.length, 2);
    assert.equal(calls.release.length, 4);
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
          readMappingsUnder: async () => [MAPPING],
          releaseMappings: () => {
            started++;
            return new Promise((resolve) => {
              finish = () => resolve(1);
            });
          },
          trimMalloc: async () => true,
        },
      },
      { everyMs: 10_000, rescanEveryPasses: 3, trimEveryMs: 0 },
    );
    upkeep.start();
    clock.advance(10_000);
    await settle();
    clock.advance(20_000);
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
          readMappingsUnder: async () => [MAPPING],
          releaseMappings: async () => {
            calls++;
            throw new Error('EPERM');
          },
          trimMalloc: async () => true,
        },
      },
      { everyMs: 10_000, rescanEveryPasses: 3, trimEveryMs: 0 },
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
    const { clock, upkeep } = upkeepWith(true, { everyMs: 0, rescanEveryPasses: 3, trimEveryMs: 0 });
    upkeep.start();
    assert.equal(clock.pending(), 0);
    const refused = (everyMs: number, rescanEveryPasses: number, trimEveryMs: number) =>
      assert.throws(() => upkeepWith(true, { everyMs, rescanEveryPasses, trimEveryMs }), RangeError);
    refused(-1, 3, 0);
    refused(0.5, 3, 0);
    refused(1_000, 0, 0);
    refused(1_000, 3, -1);
    refused(1_000, 3, 1.5);
  });

  it("trims malloc's free memory on its own schedule, timing the longest trim; stop waits for one under way", async () => {
    let clockOf: ManualClock | undefined;
    let finishTrim: ((tookMs: number) => void) | undefined;
    const { clock, calls, upkeep } = upkeepWith(
      true,
      { everyMs: 0, rescanEveryPasses: 3, trimEveryMs: 4_000 },
      () =>
        new Promise<boolean>((resolve) => {
          finishTrim = (tookMs) => {
            clockOf?.advance(tookMs); // the trim's own time, as the monotonic clock sees it
            resolve(true);
          };
        }),
    );
    clockOf = clock;
    upkeep.start();
    /** Moves the clock to `atMs`, when a trim is due, and lets that trim take `tookMs`. */
    const trimAt = async (atMs: number, tookMs: number) => {
      clock.advance(atMs - clock.monotonicMs());
      await settle();
      assert.ok(finishTrim, `a trim is under way at ${atMs} ms`);
      finishTrim(tookMs);
      finishTrim = undefined;
      await settle();
    };
    await trimAt(4_000, 7);
    await trimAt(8_000, 3);
    assert.equal(calls.trims, 2);
    assert.equal(upkeep.metrics.mallocTrims, 2);
    assert.equal(upkeep.metrics.longestTrimMs, 7);
    assert.equal(calls.release.length, 0, 'the mapping release is off (everyMs 0)');
    // a trim under way when the node stops: stop waits for it, and no trim follows
    clock.advance(12_000 - clock.monotonicMs());
    await settle();
    const last = finishTrim;
    assert.ok(last, 'the third trim is under way');
    let stopped = false;
    const stopping = upkeep.stop().then(() => {
      stopped = true;
    });
    await settle();
    assert.equal(stopped, false, 'stop waits for the trim under way');
    last(1);
    await stopping;
    assert.equal(clock.pending(), 0);
    assert.equal(calls.trims, 3);
  });

  it('releases mappings without trims at a trim interval of 0', async () => {
    const { clock, calls, upkeep } = upkeepWith(true, {
      everyMs: 1_000,
      rescanEveryPasses: 3,
      trimEveryMs: 0,
    });
    upkeep.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await settle();
    }
    assert.equal(calls.release.length, 3);
    assert.equal(calls.trims, 0);
    await upkeep.stop();
  });

  it('a trim that cannot be done or fails ends the trims, not the passes', async () => {
    for (const trim of [
      async () => undefined,
      async (): Promise<boolean> => Promise.reject(new Error('ENOMEM')),
    ]) {
      const { clock, calls, logs, upkeep } = upkeepWith(
        true,
        { everyMs: 1_000, rescanEveryPasses: 3, trimEveryMs: 1_000 },
        trim,
      );
      upkeep.start();
      for (let i = 0; i < 5; i++) {
        clock.advance(1_000);
        await settle();
      }
      assert.equal(calls.trims, 1);
      assert.equal(calls.release.length, 5, 'the passes go on');
      assert.equal(upkeep.metrics.mallocTrims, 0);
      assert.equal(logs.length, 1);
      assert.match(logs[0], /malloc trim (off|failed)/);
      await upkeep.stop();
    }
  });
});
