/**
 * The clock port (src/time): the system clock's timers, the consensus driver's one timer
 * over any clock, and a whole node run on an injected clock. The node test is the point:
 * started an hour before the real clock reaches its genesis time, the node waits for
 * genesis by the clock it was given and stamps its blocks with that clock's time, so no
 * part of it that decides when or what time it is reads the machine's clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { createGenesis } from '../../../src/genesis/index.js';
import { driverClock, LedgerNode, silentLogger } from '../../../src/node/index.js';
import { deadline, nextTurn, sleep, systemClock } from '../../../src/time/index.js';
import { ManualClock } from './manual-clock.js';

const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('clock port', () => {
  it('the system clock fires timers and intervals, never a cancelled one, and defers to a later turn', async () => {
    const fired: string[] = [];
    const cancelled = systemClock.setTimeout(() => fired.push('cancelled'), 5);
    cancelled.cancel();
    let ticks = 0;
    let onTicks = () => {};
    const ticked = new Promise<void>((resolve) => {
      onTicks = resolve;
    });
    const interval = systemClock.setInterval(
      () => {
        if (++ticks === 2) onTicks();
      },
      5,
      { background: true },
    );
    // the cancelled timer was due well before this one: it would have fired by now
    await sleep(systemClock, 25);
    // The interval is a background timer: on a loaded machine the sleep above can end
    // before its second tick, and then nothing else would keep the event loop alive.
    const deadline = systemClock.setTimeout(
      () => assert.fail('the interval did not tick twice in 10 s'),
      10_000,
    );
    await ticked;
    deadline.cancel();
    interval.cancel();
    assert.deepEqual(fired, []);
    let deferred = false;
    systemClock.defer(() => {
      deferred = true;
    });
    assert.equal(deferred, false, 'defer runs on a later turn, not now');
    await nextTurn(systemClock);
    assert.equal(deferred, true);
    assert.ok(Math.abs(systemClock.nowMs() - Date.now()) < 1000);
  });

  it('the driver clock keeps one timer: a new one replaces the old, cancel drops it', () => {
    const clock = new ManualClock(1_000_000);
    const timer = driverClock(clock);
    const fired: string[] = [];
    timer.setTimer(1_000_100, () => fired.push('first'));
    timer.setTimer(1_000_050, () => fired.push('second'));
    assert.equal(clock.pending(), 1);
    clock.advance(200);
    assert.deepEqual(fired, ['second']);
    // a time already past fires on the next advance, not inside setTimer
    timer.setTimer(clock.nowMs() - 10, () => fired.push('late'));
    assert.deepEqual(fired, ['second']);
    clock.advance(0);
    assert.deepEqual(fired, ['second', 'late']);
    timer.setTimer(clock.nowMs() + 10, () => fired.push('cancelled'));
    timer.cancel();
    clock.advance(100);
    assert.deepEqual(fired, ['second', 'late']);
    assert.equal(timer.now(), clock.nowMs());
  });

  it('a deadline shared by several waits: each ends when its promise settles or the deadline passes', async () => {
    const clock = new ManualClock(0);
    const stopBy = deadline(clock, 5000);
    // settles in time
    assert.equal(await stopBy.within(Promise.resolve()), true);
    // never settles (a store that will not close): false once the deadline passes
    const hanging = stopBy.within(new Promise(() => {}));
    let ended: boolean | undefined;
    void hanging.then((v) => {
      ended = v;
    });
    clock.advance(4999);
    await realTurn();
    assert.equal(ended, undefined, 'ended before its deadline');
    clock.advance(1);
    assert.equal(await hanging, false);
    // the deadline is shared: a later wait does not get a new one, but what has already
    // settled still counts as in time
    assert.equal(await stopBy.within(new Promise(() => {})), false);
    assert.equal(await stopBy.within(Promise.resolve()), true);
    // before the deadline, a rejection is the caller's to see
    await assert.rejects(
      deadline(clock, 10).within(Promise.reject(new Error('write failed'))),
      /write failed/,
    );
    // cancelled before it passes, the timer no longer holds anything
    const other = deadline(clock, 10);
    other.cancel();
    const waited = other.within(new Promise(() => {}));
    let settled = false;
    void waited.then(() => {
      settled = true;
    });
    clock.advance(100);
    await realTurn();
    assert.equal(settled, false, 'a cancelled deadline passed');
  });

  it('a node on an injected clock waits for genesis by that clock and stamps blocks with its time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clock-port-'));
    // an hour after the machine's clock: only the injected clock ever reaches it
    const genesisTimeMs = Date.now() + 3_600_000;
    const clock = new ManualClock(genesisTimeMs - 2_000);
    const { json, secrets } = createGenesis({
      validators: 1,
      chainId: 78n,
      genesisTimeMs,
      params: { baseRoundTimeoutMs: 400 },
    });
    const genesisPath = join(dir, 'genesis.json');
    await writeFile(genesisPath, JSON.stringify(json));
    const keyPath = join(dir, 'validator-0.json');
    await writeKeystoreFile(keyPath, secrets[0], 'clock-port', { scryptN: 16 });
    const node = await LedgerNode.init(
      {
        genesisPath,
        keyPath,
        passphrase: 'clock-port',
        dataDir: join(dir, 'data'),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [],
        apiPort: 0,
        apiHost: '127.0.0.1',
        explorerPages: false,
        logger: silentLogger,
      },
      { clock },
    );
    try {
      await node.start();
      assert.equal(node.status().waitingForGenesis, true);
      assert.equal(node.status().startsAtMs, genesisTimeMs);
      // up to just before genesis, by the injected clock: nothing may be committed
      while (clock.nowMs() < genesisTimeMs - 20) {
        clock.advance(20);
        await realTurn();
        assert.equal(
          node.status().height,
          0,
          `a block committed at ${genesisTimeMs - clock.nowMs()} ms before genesis`,
        );
      }
      const steps = 4_000;
      for (let i = 0; i < steps && node.status().height < 2; i++) {
        clock.advance(2);
        await realTurn();
      }
      assert.ok(
        node.status().height >= 2,
        `no second block within ${steps * 2} ms of injected time after genesis (height ${node.status().height})`,
      );
      assert.equal(node.status().waitingForGenesis, false);
      // the status counts committed blocks; the explorer reads what the store made durable
      let first = node.api().explorer.block({ height: 1 });
      for (const deadline = Date.now() + 10_000; !first && Date.now() < deadline; ) {
        await realTurn();
        first = node.api().explorer.block({ height: 1 });
      }
      assert.ok(first, 'block 1 is readable within 10 s of its commit');
      assert.ok(first.timestampMs >= genesisTimeMs, 'block 1 is not older than genesis');
      assert.ok(first.timestampMs <= clock.nowMs(), 'block 1 is stamped with the injected time');
    } finally {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
