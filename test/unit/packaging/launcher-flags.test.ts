/**
 * The `ledger` launcher's first line gives node the V8 heap bounds (bin/ledger.js explains
 * them); the soak, the devnet and the e2e tests, which spawn `node bin/ledger.js`, read them
 * from there (scripts/devnet/launcher-flags.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launcherNodeFlags } from '../../../scripts/devnet/launcher-flags.js';

const LAUNCHER = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin/ledger.js');

describe('ledger launcher V8 flags', () => {
  it('the first line runs node with a bounded heap, and node takes the flags', () => {
    const firstLine = readFileSync(LAUNCHER, 'utf8').split('\n', 1)[0];
    const match = /^#!\/usr\/bin\/env -S node((?: --[\w-]+=\d+)+)$/.exec(firstLine);
    assert.ok(match, `first line: ${firstLine}`);
    const flags = match[1].trim().split(' ');
    assert.ok(flags.includes('--max-old-space-size=1024'), firstLine);
    assert.deepEqual(launcherNodeFlags(LAUNCHER), flags, 'what the spawners pass');
    const probe = spawnSync(
      process.execPath,
      [...flags, '-e', 'console.log(require("node:v8").getHeapStatistics().heap_size_limit)'],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    const limitMb = Number(probe.stdout) / 2 ** 20;
    // the old generation's 1 GB plus the young generation's share
    assert.ok(limitMb >= 1024 && limitMb < 1100, `heap limit ${limitMb} MB`);
  });
});
