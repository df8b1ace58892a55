import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { open } from 'lmdb';
import {
  mallocStats,
  mappingsUnder,
  readMappingsUnder,
  releaseMappings,
  threadCpuClock,
} from '../../../src/os/index.js';

/** The resident file-backed memory of this process, from /proc/self/status, in kB. */
async function rssFileKb(): Promise<number> {
  const status = await readFile('/proc/self/status', 'latin1');
  const line = /^RssFile:\s+(\d+) kB$/m.exec(status);
  assert.ok(line, 'no RssFile line in /proc/self/status');
  return Number(line[1]);
}

describe('src/os mappings', () => {
  it('parses the mappings of the files under a folder out of /proc/self/maps lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'os-maps-'));
    try {
      const maps = [
        `7f1f98000000-7f2398000000 r--s 00000000 fe:00 4391867                    ${dir}/chain/data.mdb`,
        `7f23cce21000-7f23cce24000 rw-s 00002000 fe:00 4391959                    ${dir}/chain/lock.mdb`,
        `7f23cce24000-7f23cce25000 r--s 00000000 fe:00 4391960                    ${dir}-other/data.mdb`,
        '55d1c4a00000-55d1c4a21000 rw-p 00000000 00:00 0                          [heap]',
        'not a maps line',
      ].join('\n');
      assert.deepEqual(mappingsUnder(dir, maps), [
        {
          start: 0x7f1f98000000n,
          end: 0x7f2398000000n,
          permissions: 'r--s',
          offset: 0n,
          path: `${dir}/chain/data.mdb`,
        },
        {
          start: 0x7f23cce21000n,
          end: 0x7f23cce24000n,
          permissions: 'rw-s',
          offset: 0x2000n,
          path: `${dir}/chain/lock.mdb`,
        },
      ]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("drops this process's resident pages of an lmdb file, which reads the same afterwards", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'os-release-'));
    // one map of the file, as the ledger store opens it (without mapSize lmdb-js maps it anew as it grows)
    const env = open({ path: dir, mapSize: 2 ** 30, keyEncoding: 'binary', encoding: 'binary' });
    try {
      const keys: Buffer[] = [];
      for (let batch = 0; batch < 10; batch++)
        await env.transaction(() => {
          for (let i = 0; i < 2_000; i++) {
            const key = randomBytes(32);
            keys.push(key);
            env.put(key, randomBytes(500));
          }
        });
      const before = new Map(
        keys.slice(0, 200).map((k) => [k.toString('hex'), Buffer.from(env.getBinary(k)!)]),
      );
      let count = 0;
      for (const _ of env.getKeys()) count++;
      assert.equal(count, keys.length);
      assert.ok(
        mappingsUnder(dir).some((m) => m.path.endsWith('/data.mdb') && m.permissions === 'r--s'),
        'lmdb maps its data file read-only and shared',
      );
      const mapped = await rssFileKb();
      const released = await releaseMappings(await readMappingsUnder(dir));
      assert.ok(released !== undefined, 'koffi (an optional dependency) is installed with the project');
      assert.equal(released, 1, 'the data file; not the lock file, which is mapped writable');
      const after = await rssFileKb();
      // about 10 MB of data file were resident; most of it is dropped
      assert.ok(mapped - after > 5_000, `RssFile ${mapped} kB -> ${after} kB`);
      for (const [hex, value] of before) assert.deepEqual(env.getBinary(Buffer.from(hex, 'hex')), value);
      env.put(randomBytes(32), randomBytes(10));
      await env.flushed;
      count = 0;
      for (const _ of env.getKeys()) count++;
      assert.equal(count, keys.length + 1);
    } finally {
      await env.close();
      await rm(dir, { recursive: true });
    }
  });

  it("reads the calling thread's CPU time, which a busy loop advances and a sleep does not", async () => {
    const cpuMs = threadCpuClock();
    assert.ok(cpuMs, 'koffi (an optional dependency) is installed with the project');
    const beforeSleep = cpuMs();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const slept = cpuMs() - beforeSleep;
    assert.ok(slept >= 0 && slept < 25, `${slept} ms of CPU while asleep for 50 ms`);
    const began = cpuMs();
    const wallBegan = performance.now();
    while (cpuMs() - began < 20) {}
    const wall = performance.now() - wallBegan;
    // 20 ms of this thread's CPU time take about 20 ms of wall time or more: milliseconds,
    // not another unit (the kernel's scheduler clock and Node's monotonic clock differ a
    // little over so short a span on a virtual machine)
    assert.ok(wall >= 15, `20 ms of CPU in ${wall} ms of wall time`);
  });

  it("reads glibc malloc's totals, which native allocations raise", async () => {
    const inUse = () => {
      const stats = mallocStats();
      assert.ok(stats, 'koffi is installed with the project and glibc has mallinfo2');
      return stats.heapBytes - stats.heapFreeBytes + stats.mmappedBytes;
    };
    const before = inUse();
    // Buffers of a few kB are malloc'd one by one from the arenas (not V8's heap, not Node's pool)
    const held = Array.from({ length: 8_000 }, () => Buffer.alloc(4_096, 1));
    const grown = inUse() - before;
    assert.ok(grown >= 8_000 * 4_096 * 0.9, `malloc's in-use bytes grew by ${grown} for 32 MB of buffers`);
    assert.equal(held.length, 8_000);
  });

  it("trims malloc's free chunks below live ones, which glibc keeps resident by itself", async () => {
    // in a process of its own: a trim acts on the whole process's malloc
    const child = fileURLToPath(new URL('./malloc-child.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', child],
      {
        timeout: 60_000,
      },
    );
    const figures = JSON.parse(stdout) as {
      trimmed: boolean;
      filledKb: number;
      beforeKb: number;
      afterKb: number;
    };
    const text = JSON.stringify(figures);
    // 72 MB of the 80 MB freed: without a trim they stay resident (the holes lie below live buffers)
    assert.ok(figures.beforeKb > figures.filledKb - 20_000, `resident before the trim: ${text}`);
    assert.equal(figures.trimmed, true, text);
    assert.ok(figures.beforeKb - figures.afterKb > 50_000, `the trim gave back over 50 MB: ${text}`);
  });
});
