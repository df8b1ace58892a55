/**
 * `ledger wallet` as a script sees it (runCli in-process, against in-process nodes):
 * keystores made and imported without the secret on the command line, verified output,
 * and one distinct exit code for each failure the wallet names.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { openKeystore, WALLET_EXIT_CODES } from '../../../src/wallet/index.js';
import { forgeProof } from '../../support/lying-node.js';
import { genesisJson, SENDERS, STRANGER_SECRETS } from '../client/helpers.js';
import { BLOCKS, type FakeNode, HEAD, honest, startFakeNode, unreachableUrl } from './fake-node.js';

const PASS = 'wallet-test';
let dir: string;
let genesisPath: string;
let aliceKey: string;
let poorKey: string;
let good: FakeNode;
let liar: FakeNode;
let refusing: FakeNode;
let down: string;

function run(argv: string[], env: Record<string, string> = {}, stdinText?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { LEDGER_PASSPHRASE: PASS, ...env },
    cwd: dir,
    ...(stdinText === undefined
      ? {}
      : {
          stdin: async function* () {
            yield new TextEncoder().encode(stdinText);
          },
        }),
  };
  return runCli(['wallet', '--genesis', genesisPath, ...argv], io).then((code) => ({
    code,
    out: out.join(''),
    err: err.join(''),
  }));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wallet-cli-'));
  genesisPath = join(dir, 'genesis.json');
  await writeFile(genesisPath, JSON.stringify(genesisJson()));
  aliceKey = join(dir, 'alice.json');
  poorKey = join(dir, 'poor.json');
  await writeKeystoreFile(aliceKey, SENDERS[0], PASS, { scryptN: 16 });
  await writeKeystoreFile(poorKey, STRANGER_SECRETS[0], PASS, { scryptN: 16 });
  good = await startFakeNode(honest());
  const inner = honest();
  liar = await startFakeNode(async (m, p, q, b) => {
    const a = await inner(m, p, q, b);
    return p.endsWith('/proof') && a.status === 200 ? { ...a, body: forgeProof(a.body, 'balance', 4) } : a;
  });
  refusing = await startFakeNode((m, p, q, b) =>
    m === 'POST'
      ? {
          status: 409,
          body: { error: 'REPLACEMENT_UNDERPRICED', message: 'a transaction with nonce 3 is pending' },
        }
      : inner(m, p, q, b),
  );
  down = await unreachableUrl();
});

after(async () => {
  await Promise.all([good.close(), liar.close(), refusing.close()]);
  await rm(dir, { recursive: true, force: true });
});

const ALICE = toChecksumAddress(addressOf(SENDERS[0]));
const BOB = toChecksumAddress(addressOf(SENDERS[1]));

describe('ledger wallet', () => {
  it('creates a keystore, imports a key from standard input, and prints their addresses', async () => {
    const made = await run(['--keystore', 'new.json', '--json', 'new', '--scrypt-n', '16']);
    assert.equal(made.code, 0, made.err);
    const { address } = JSON.parse(made.out) as { address: string };
    const shown = await run(['--keystore', 'new.json', 'address']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(address));

    const imported = await run(
      ['--keystore', 'imported.json', '--json', 'import', '--scrypt-n', '16'],
      {},
      `${toHex(SENDERS[2])}\n`,
    );
    assert.equal(imported.code, 0, imported.err);
    assert.equal(JSON.parse(imported.out).address, toChecksumAddress(addressOf(SENDERS[2])));
    const garbage = await run(['--keystore', 'bad.json', 'import', '--scrypt-n', '16'], {}, 'not a key\n');
    assert.equal(garbage.code, WALLET_EXIT_CODES.INVALID_INPUT);
    assert.ok(!garbage.err.includes('not a key'), 'the input is not echoed');
  });

  it('prints a verified balance with the node and the committed height', async () => {
    const r = await run(['--node', `${down},${good.url}`, 'balance', ALICE]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`verified\\s+at block ${HEAD} \\(0x[0-9a-f]{64}\\) from ${good.url}`));
    assert.match(r.out, /final\s+at block 5, certified by v0, v1, v2 \(3 of 4 validators; quorum 3\)/);
    // how old the proven state is: a node chooses which committed block it proves
    const made = new Date(BLOCKS[HEAD].header.timestampMs).toISOString();
    assert.match(r.out, new RegExp(`block time\\s+made ${made}, \\d+ (s|min|h) ago`));
    const j = await run(['--node', good.url, '--json', 'balance', ALICE]);
    const body = JSON.parse(j.out);
    assert.equal(body.balance, BLOCKS[HEAD].view.state.getAccount(addressOf(SENDERS[0]))?.balance.toString());
    assert.equal(body.verified, true);
    assert.equal(body.commit.height, HEAD);
    assert.equal(body.commit.timestampMs, BLOCKS[HEAD].header.timestampMs);
  });

  it('reads the node list from LEDGER_NODE and the passphrase from --password-file', async () => {
    const r = await run(['balance', ALICE], { LEDGER_NODE: `${down}, ${good.url}` });
    assert.equal(r.code, 0, r.err);
    await writeFile(join(dir, 'pass.txt'), 'from a file\n');
    const made = await run(
      ['--keystore', 'filed.json', '--password-file', 'pass.txt', 'new', '--scrypt-n', '16'],
      {
        LEDGER_PASSPHRASE: 'not this one',
      },
    );
    assert.equal(made.code, 0, made.err);
    await openKeystore(join(dir, 'filed.json'), 'from a file');
  });

  it('shows a verified transaction and a history page', async () => {
    const t = BLOCKS[5].transfers[1];
    const r = await run(['--node', good.url, 'tx', toHex(t.hash)]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /status\s+final/);
    assert.match(r.out, /block\s+5 \(0x[0-9a-f]{64}\), index 1/);
    assert.match(r.out, /value\s+.* BFT \(as the node states it\)/);
    const from = toChecksumAddress(t.from);
    const h = await run(['--node', good.url, '--json', 'history', from]);
    assert.equal(h.code, 0, h.err);
    const page = JSON.parse(h.out) as { items: Array<{ hash: string }> };
    assert.ok(page.items.some((i) => i.hash === toHex(t.hash)));
    const text = await run(['--node', good.url, 'history', from]);
    assert.match(text.out, new RegExp(`${toHex(t.hash)}\\s+to `));
  });

  it('exits with a distinct code for each failure it names', async () => {
    const send = ['send', '--to', BOB, '--value', '1'];
    const cases: Array<[string, string[], Record<string, string>?]> = [
      [
        'BAD_ADDRESS_CHECKSUM',
        ['--node', good.url, 'balance', ALICE.replace(/[a-f]/, (c) => c.toUpperCase())],
      ],
      [
        'INVALID_AMOUNT',
        ['--node', good.url, '--keystore', aliceKey, 'send', '--to', BOB, '--value', '0.1234567890123456789'],
      ],
      [
        'WRONG_PASSPHRASE',
        ['--node', good.url, '--keystore', aliceKey, ...send],
        { LEDGER_PASSPHRASE: 'wrong' },
      ],
      ['INSUFFICIENT_FUNDS', ['--node', good.url, '--keystore', poorKey, ...send]],
      ['NODE_UNREACHABLE', ['--node', down, 'balance', ALICE]],
      ['TX_REJECTED', ['--node', refusing.url, '--keystore', aliceKey, ...send]],
      ['PROOF_INVALID', ['--node', liar.url, 'balance', ALICE]],
      ['COMMIT_TIMEOUT', ['--node', good.url, '--keystore', aliceKey, ...send, '--timeout', '1']],
      ['GENESIS_ERROR', ['--node', good.url, '--genesis-hash', `0x${'ab'.repeat(32)}`, 'balance', ALICE]],
      ['TX_UNKNOWN', ['--node', good.url, 'tx', `0x${'cd'.repeat(32)}`]],
      ['NO_KEYSTORE', ['--node', good.url, 'balance']],
    ];
    for (const [code, argv, env] of cases) {
      const r = await run(argv, env);
      assert.equal(r.code, WALLET_EXIT_CODES[code as keyof typeof WALLET_EXIT_CODES], `${code}: ${r.err}`);
      assert.match(r.err, new RegExp(`^error ${code}: `, 'm'), r.err);
      assert.ok(!r.err.includes('    at '), 'no stack trace');
    }
    const refused = await run(['--node', refusing.url, '--keystore', aliceKey, ...send]);
    assert.match(refused.err, /REPLACEMENT_UNDERPRICED/);
    const lied = await run(['--node', liar.url, 'balance', ALICE]);
    assert.match(
      lied.err,
      new RegExp(`node ${liar.url} served a proof that does not verify \\(BAD_ACCOUNT_PROOF`),
    );
    assert.equal(lied.out, '', 'nothing is shown');
  });

  it('gives each named failure its own exit code, apart from 0, 1 and 2', () => {
    const named = [
      'WRONG_PASSPHRASE',
      'BAD_ADDRESS_CHECKSUM',
      'INSUFFICIENT_FUNDS',
      'NODE_UNREACHABLE',
      'TX_REJECTED',
      'PROOF_INVALID',
      'COMMIT_TIMEOUT',
    ] as const;
    const codes = named.map((c) => WALLET_EXIT_CODES[c]);
    assert.equal(new Set(codes).size, named.length);
    for (const c of codes) assert.ok(c > 2 && c < 126);
  });
});
