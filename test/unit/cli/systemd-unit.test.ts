/** ops/ledger.service, the systemd unit example of docs/OPERATIONS.md. */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildProgram } from '../../../src/cli/program.js';

const UNIT = new URL('../../../ops/ledger.service', import.meta.url).pathname;

function systemdAnalyzeMissing(): string | false {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return false;
  } catch {
    return 'systemd-analyze is not installed here: the unit file is not verified';
  }
}

/** `Key=value` lines of the unit, continuation lines joined; comments left out. */
async function directives(): Promise<Array<[string, string]>> {
  const text = (await readFile(UNIT, 'utf8')).replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1).trim()];
    });
}

describe('ops/ledger.service', () => {
  it('runs as its own user, with the passphrase from a file, restarted on failure, hardened', async () => {
    const all = await directives();
    const value = (key: string) => all.find(([k]) => k === key)?.[1];
    assert.equal(value('User'), 'ledger');
    assert.equal(value('Restart'), 'on-failure');
    for (const [key, expected] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['SystemCallFilter', '@system-service'],
    ]) {
      assert.equal(value(key), expected, key);
    }
    const execStart = value('ExecStart') ?? '';
    assert.match(execStart, /--passphrase-file %d\/passphrase/);
    assert.doesNotMatch(execStart, /--passphrase[ =](?!file)/, 'no passphrase on the command line');
    assert.ok(!all.some(([k, v]) => k === 'Environment' && v.includes('LEDGER_PASSPHRASE')));
    assert.match(value('LoadCredential') ?? '', /^passphrase:\//);
  });

  it('passes only options `ledger node` has', async () => {
    const execStart = (await directives()).find(([k]) => k === 'ExecStart')?.[1] ?? '';
    const node = buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, cwd: '/' }).commands.find(
      (c) => c.name() === 'node',
    );
    assert.ok(node);
    const known = new Set(node.options.map((o) => o.long));
    const used = execStart.split(/\s+/).filter((word) => word.startsWith('--'));
    assert.ok(used.length >= 5, execStart);
    for (const flag of used) assert.ok(known.has(flag), `ledger node has no ${flag}`);
  });

  it('passes systemd-analyze verify without a warning', { skip: systemdAnalyzeMissing() }, async () => {
    // verify needs ExecStart's program to exist: point it at this node wherever it lives
    const dir = await mkdtemp(join(tmpdir(), 'ledger-unit-'));
    try {
      const unit = join(dir, 'ledger.service');
      await writeFile(unit, (await readFile(UNIT, 'utf8')).replace('/usr/bin/node ', `${process.execPath} `));
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile('systemd-analyze', ['verify', unit], { timeout: 30_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, output: `${stdout}${stderr}` });
        });
      });
      assert.equal(result.code, 0, result.output);
      // verify exits 0 on an unknown key or a value it ignores: it says so on its output
      assert.equal(result.output.trim(), '', result.output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
