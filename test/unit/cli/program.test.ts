/** runCli in-process, with captured output: the option combinations the spawn tests leave out. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../../../src/cli/program.js';
import { loadGenesisFile } from '../../../src/genesis/index.js';
import { run } from './run-cli.js';

describe('runCli', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-program-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help of every command and subcommand prints its usage and exits 0', async () => {
    // the tree as commander holds it, so a command added later is covered too
    const paths: string[][] = [];
    const walk = (command: ReturnType<typeof buildProgram>, path: string[]) => {
      paths.push(path);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram({ stdout: () => {}, stderr: () => {}, env: {}, cwd: dir }), []);
    assert.ok(paths.length >= 10, `only ${paths.length} commands found`);
    for (const path of paths) {
      const help = await run([...path, '--help'], dir);
      const what = `ledger ${path.join(' ')} --help: ${help.stderr}`;
      assert.equal(help.code, 0, what);
      assert.match(help.stdout, new RegExp(`^Usage: ledger${path.map((p) => ` ${p}`).join('')}`), what);
      assert.equal(help.stderr, '', what);
    }
  });

  it('no subcommand shows help on stderr with exit 2; --version exits 0', async () => {
    const none = await run([], dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: ledger/);
    const version = await run(['--version'], dir);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('genesis --json with one validator, no faucet and a fixed time', async () => {
    const out = join(dir, 'solo');
    const r = await run(
      [
        'genesis',
        '--validators',
        '1',
        '--out',
        'solo',
        '--faucet-balance',
        '0',
        '--genesis-time-ms',
        '5',
        '--base-fee-per-gas',
        '7',
        '--scrypt-n',
        '16',
        '--json',
      ],
      dir,
      { LEDGER_PASSPHRASE: 'pw' },
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.chainId, '1337');
    assert.equal(summary.quorum, 1);
    assert.equal(summary.faultTolerance, 0);
    assert.equal(summary.faucet, undefined);
    assert.equal(summary.validators.length, 1);
    assert.deepEqual(await readdir(join(out, 'keys')), ['validator-0.json']);
    const g = await loadGenesisFile(join(out, 'genesis.json'));
    assert.equal(g.genesisTimeMs, 5);
    assert.equal(g.params.baseFeePerGas, 7n);
    assert.deepEqual(g.alloc, []);
    assert.equal(summary.validators[0].peerId, g.validators[0].peerId);
  });

  it('genesis --force replaces an existing network', async () => {
    const args = ['genesis', '--validators', '2', '--out', 'net', '--scrypt-n', '16', '--passphrase', 'pw'];
    assert.equal((await run(args, dir)).code, 0);
    const first = await loadGenesisFile(join(dir, 'net', 'genesis.json'));
    const refused = await run(args, dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error OUTPUT_EXISTS: /);
    assert.equal((await run([...args, '--force'], dir)).code, 0);
    const second = await loadGenesisFile(join(dir, 'net', 'genesis.json'));
    assert.notEqual(second.validators[0].peerId, first.validators[0].peerId);
  });

  it('refuses an empty passphrase for a new key and conflicting passphrase sources', async () => {
    const empty = await run(['keys', 'new', '--out', 'e.json', '--scrypt-n', '16'], dir, {
      LEDGER_PASSPHRASE: '',
    });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^error EMPTY_PASSPHRASE: /);
    const both = await run(
      ['genesis', '--validators', '1', '--out', 'x', '--passphrase', 'a', '--passphrase-file', 'f'],
      dir,
    );
    assert.equal(both.code, 2);
    assert.match(
      both.stderr,
      /^error USAGE: option '--passphrase <p>' cannot be used with option '--passphrase-file/,
    );
    const missingFile = await run(['keys', 'show', 'k.json', '--passphrase-file', 'missing.txt'], dir);
    assert.equal(missingFile.code, 1);
    assert.match(
      missingFile.stderr,
      /^error PASSPHRASE_FILE: cannot read passphrase file .*missing\.txt: ENOENT/,
    );
  });

  it('rejects out-of-range option values as usage errors', async () => {
    for (const [args, pattern] of [
      [['--scrypt-n', '1000'], /--scrypt-n <n>' argument '1000' is invalid/],
      [['--chain-id', '-1'], /--chain-id <id>' argument '-1' is invalid/],
      [['--faucet-balance', '1e18'], /--faucet-balance <wei>' argument '1e18' is invalid/],
    ] as const) {
      const r = await run(['genesis', '--validators', '1', '--out', 'y', '--passphrase', 'p', ...args], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error USAGE: /);
      assert.match(r.stderr, pattern);
    }
  });

  it('node --memory-upkeep-ms and --malloc-trim-ms take a non-negative integer', async () => {
    for (const flag of ['--memory-upkeep-ms', '--malloc-trim-ms'])
      for (const value of ['-1', '0.5', 'often']) {
        const r = await run(['node', flag, value], dir);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`${flag} <n>' argument '[^']+' is invalid`));
      }
  });
});
