/** The `ledger` command as a user runs it: `node bin/ledger.js ...` in a child process. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import { readKeystoreFile } from '../../../src/crypto/keystore.js';
import { loadGenesisFile, peerIdOfPublicKey } from '../../../src/genesis/index.js';

const BIN = new URL('../../../bin/ledger.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ledger(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.LEDGER_PASSPHRASE;
  delete base.LEDGER_DEBUG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...base, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The secret must not appear in any output, in any of its hex spellings. */
function assertSecretNotIn(secret: Uint8Array, ...runs: Run[]): void {
  const hex = toHex(secret).slice(2);
  for (const run of runs) {
    const all = `${run.stdout}\n${run.stderr}`.toLowerCase();
    assert.ok(!all.includes(hex), 'secret key printed');
    assert.ok(
      !all.includes(Buffer.from(secret).toString('base64').toLowerCase()),
      'secret key printed (base64)',
    );
  }
}

function assertNoStack(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** Parses the `label  value` lines of keys new/show. */
function table(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const m = /^(address|public key|peer id|keystore)\s+(\S+)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

describe('ledger CLI (bin/ledger.js)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-cli-'));
    await writeFile(join(dir, 'pass.txt'), 'open sesame\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--help lists the subcommands and exits 0', async () => {
    const run = await ledger(['--help'], dir);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Usage: ledger/);
    assert.match(run.stdout, /keys/);
    assert.match(run.stdout, /genesis/);
  });

  it('usage errors print "error USAGE: ..." and exit 2', async () => {
    const unknown = await ledger(['keys', 'new', '--out', 'k.json', '--bogus'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error USAGE: unknown option '--bogus'/);
    const missing = await ledger(['keys', 'new'], dir, { LEDGER_PASSPHRASE: 'x' });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error USAGE: required option '--out <file>' not specified/);
    const noPass = await ledger(['keys', 'new', '--out', 'k.json'], dir);
    assert.equal(noPass.code, 2);
    assert.match(noPass.stderr, /^error NO_PASSPHRASE: .*LEDGER_PASSPHRASE/);
    assertNoStack(noPass);
    await assert.rejects(stat(join(dir, 'k.json')), 'nothing was written');
  });

  it('keys new / keys show: prints address, public key and peer id, never the secret', async () => {
    const created = await ledger(
      ['keys', 'new', '--out', 'keys/a.json', '--passphrase-file', 'pass.txt', '--scrypt-n', '1024'],
      dir,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, '');
    const path = join(dir, 'keys', 'a.json');
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    // The passphrase file's trailing newline is not part of the passphrase.
    const secret = await readKeystoreFile(path, 'open sesame');
    const expected = {
      address: toChecksumAddress(addressOf(secret)),
      'public key': toHex(publicKeyOf(secret, true)),
      'peer id': peerIdOfPublicKey(publicKeyOf(secret, true)),
      keystore: path,
    };
    assert.deepEqual(table(created.stdout), expected);

    const shown = await ledger(['keys', 'show', 'keys/a.json'], dir, { LEDGER_PASSPHRASE: 'open sesame' });
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(table(shown.stdout), expected);

    const json = await ledger(['keys', 'show', path, '--json', '--passphrase-file', 'pass.txt'], dir);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      address: expected.address,
      publicKey: expected['public key'],
      peerId: expected['peer id'],
      keystore: path,
    });

    const wrong = await ledger(['keys', 'show', 'keys/a.json'], dir, { LEDGER_PASSPHRASE: 'open sesame!' });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /^error WRONG_PASSPHRASE: wrong passphrase/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1, 'one line');
    assertNoStack(wrong);

    const again = await ledger(['keys', 'new', '--out', 'keys/a.json', '--scrypt-n', '1024'], dir, {
      LEDGER_PASSPHRASE: 'other',
    });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error KEYSTORE_EXISTS: /);
    assert.deepEqual(await readKeystoreFile(path, 'open sesame'), secret, 'the existing key is untouched');

    assertSecretNotIn(secret, created, shown, json, wrong, again);
  });

  it('keys show on a missing or non-keystore file is a typed error with exit 1', async () => {
    const env = { LEDGER_PASSPHRASE: 'x' };
    const missing = await ledger(['keys', 'show', 'nope.json'], dir, env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error KEYSTORE_NOT_FOUND: /);
    const notKeystore = await ledger(['keys', 'show', 'pass.txt'], dir, env);
    assert.equal(notKeystore.code, 1);
    assert.match(notKeystore.stderr, /^error MALFORMED_KEYSTORE: /);
    assertNoStack(notKeystore);
  });

  it('genesis writes genesis.json and keystores that match it', async () => {
    const run = await ledger(
      [
        'genesis',
        '--validators',
        '4',
        '--out',
        'net',
        '--passphrase',
        'pw',
        '--scrypt-n',
        '1024',
        '--chain-id',
        '4242',
      ],
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    const out = join(dir, 'net');
    assert.deepEqual((await readdir(join(out, 'keys'))).sort(), [
      'faucet.json',
      'validator-0.json',
      'validator-1.json',
      'validator-2.json',
      'validator-3.json',
    ]);
    const g = await loadGenesisFile(join(out, 'genesis.json'));
    assert.equal(g.chainId, 4242n);
    assert.equal(g.validators.length, 4);
    assert.match(run.stdout, /4 \(tolerates 1 faulty; quorum 3\)/);

    const secrets: Uint8Array[] = [];
    for (const v of g.validators) {
      const secret = await readKeystoreFile(join(out, 'keys', `validator-${v.index}.json`), 'pw');
      assert.deepEqual(addressOf(secret), v.address);
      assert.equal(peerIdOfPublicKey(publicKeyOf(secret, true)), v.peerId);
      assert.ok(run.stdout.includes(v.peerId));
      secrets.push(secret);
    }
    const faucet = await readKeystoreFile(join(out, 'keys', 'faucet.json'), 'pw');
    assert.deepEqual(g.alloc, [{ address: addressOf(faucet), balance: 10n ** 30n }]);
    assert.ok(run.stdout.includes(toChecksumAddress(addressOf(faucet))));

    const again = await ledger(['genesis', '--validators', '4', '--out', 'net', '--passphrase', 'pw'], dir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error OUTPUT_EXISTS: .*genesis\.json already exists/);

    for (const secret of [...secrets, faucet]) assertSecretNotIn(secret, run, again);
  });

  it('genesis reports invalid parameters with the genesis error code', async () => {
    const run = await ledger(
      ['genesis', '--validators', '1', '--out', 'bad', '--passphrase', 'pw', '--max-block-bytes', '10'],
      dir,
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error INVALID_PARAM: params\.maxBlockBytes /);
    await assert.rejects(stat(join(dir, 'bad')), 'nothing was written');

    const badN = await ledger(['genesis', '--validators', 'four', '--out', 'bad', '--passphrase', 'pw'], dir);
    assert.equal(badN.code, 2);
    assert.match(badN.stderr, /^error USAGE: option '--validators <n>' argument 'four' is invalid/);
  });
});
