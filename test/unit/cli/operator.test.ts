/**
 * Operating a real network (issue 14): each operator's key made on its own host, the
 * genesis built from the public parts they share, and the peers file of `ledger node`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peersFromFile } from '../../../src/cli/commands/node.js';
import { MAX_PEERS_FILE_BYTES, PeersFileError, parsePeersFile } from '../../../src/cli/peers-file.js';
import { toHex } from '../../../src/crypto/bytes.js';
import { addressOf, publicKeyOf, toChecksumAddress } from '../../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { genesisDocumentHash, loadGenesisFile, peerIdOfPublicKey } from '../../../src/genesis/index.js';
import { run } from './run-cli.js';

/** Fixed keys: secret i is 32 bytes of i. */
function identity(i: number) {
  const secret = new Uint8Array(32).fill(i);
  const publicKey = publicKeyOf(secret, true);
  return {
    secret,
    address: toChecksumAddress(addressOf(secret)),
    publicKey: toHex(publicKey),
    peerId: peerIdOfPublicKey(publicKey),
  };
}

describe('ledger genesis --validators-file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-operator-'));
    await writeFile(join(dir, 'pass.txt'), 'correct horse\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds genesis.json from the keys each host made, and writes no key', async () => {
    // each operator on their own host: `ledger keys new`, sharing what it prints
    const shared: Array<{ address: string; publicKey: string; peerId: string }> = [];
    for (const host of ['a', 'b', 'c', 'd']) {
      const made = await run(
        [
          'keys',
          'new',
          '--out',
          `${host}/key.json`,
          '--passphrase-file',
          'pass.txt',
          '--scrypt-n',
          '2',
          '--json',
        ],
        dir,
      );
      assert.equal(made.code, 0, made.stderr);
      const { address, publicKey, peerId } = JSON.parse(made.stdout);
      shared.push({ address, publicKey, peerId });
    }
    const observer = identity(7);
    const lines = shared.map((s, i) => `validator op${i} ${s.address} ${s.publicKey} ${s.peerId}`);
    await writeFile(
      join(dir, 'validators.txt'),
      `${lines.join('\n')}\nobserver explorer ${observer.peerId}\nalloc ${identity(8).address} 5000\n`,
    );

    const built = await run(
      [
        'genesis',
        '--validators-file',
        'validators.txt',
        '--out',
        'net',
        '--chain-id',
        '99',
        '--genesis-time-ms',
        '0',
      ],
      dir,
    );
    assert.equal(built.code, 0, built.stderr);
    assert.deepEqual(await readdir(join(dir, 'net')), ['genesis.json'], 'genesis.json only: no keys/');
    const genesis = await loadGenesisFile(join(dir, 'net', 'genesis.json'));
    assert.equal(genesis.chainId, 99n);
    assert.deepEqual(
      genesis.validators.map((v) => [v.name, toChecksumAddress(v.address), v.peerId]),
      shared.map((s, i) => [`op${i}`, s.address, s.peerId]),
    );
    assert.deepEqual(genesis.observers, [{ name: 'explorer', peerId: observer.peerId }]);
    assert.match(built.stdout, new RegExp(`genesis hash +${toHex(genesisDocumentHash(genesis))}\n`));
    assert.match(built.stdout, /4 \(tolerates 1 faulty; quorum 3\)/);

    // the same file gives the same genesis, so every operator can build and compare it
    const again = await run(
      [
        'genesis',
        '--validators-file',
        'validators.txt',
        '--out',
        'net2',
        '--chain-id',
        '99',
        '--genesis-time-ms',
        '0',
        '--json',
      ],
      dir,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).genesisHash, toHex(genesisDocumentHash(genesis)));

    const exists = await run(['genesis', '--validators-file', 'validators.txt', '--out', 'net'], dir);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /^error OUTPUT_EXISTS: .*genesis\.json already exists; use --force/);
  });

  it('refuses a mismatched public key with a typed error naming the line, and writes nothing', async () => {
    const [a, b] = [identity(1), identity(2)];
    await writeFile(
      join(dir, 'bad.txt'),
      `validator v0 ${a.address} ${a.publicKey} ${a.peerId}\nvalidator v1 ${b.address} ${b.publicKey} ${a.peerId}\n`,
    );
    const bad = await run(['genesis', '--validators-file', 'bad.txt', '--out', 'bad'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error PEER_ID_MISMATCH: bad\.txt:2 validators\[1\]\.peerId does not match/);
    await assert.rejects(stat(join(dir, 'bad')), 'nothing was written');

    const missing = await run(['genesis', '--validators-file', 'nope.txt', '--out', 'bad'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error VALIDATORS_FILE_NOT_FOUND: /);
  });

  it('keeps the key-making options to test networks, and needs one of the two forms', async () => {
    await writeFile(
      join(dir, 'one.txt'),
      `validator v0 ${identity(1).address} ${identity(1).publicKey} ${identity(1).peerId}\n`,
    );
    for (const extra of [
      ['--validators', '4'],
      ['--passphrase', 'x'],
      ['--passphrase-file', 'pass.txt'],
      ['--faucet-balance', '5'],
      ['--scrypt-n', '2'],
    ]) {
      const both = await run(['genesis', '--validators-file', 'one.txt', '--out', 'x', ...extra], dir);
      assert.equal(both.code, 2, `${extra[0]}: ${both.stderr}`);
      assert.match(both.stderr, /^error USAGE: option .* cannot be used with option/);
    }
    const neither = await run(['genesis', '--out', 'x'], dir);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /^error MISSING_OPTION: give --validators-file FILE/);
    await assert.rejects(stat(join(dir, 'x')), 'nothing was written');
  });
});

describe('peers file', () => {
  const [v0, v1, v2] = [identity(1), identity(2), identity(3)];
  const observer = identity(9);
  const allowedPeers = new Map([
    [v0.peerId, 'v0'],
    [v1.peerId, 'v1'],
    [v2.peerId, 'v2'],
    [observer.peerId, 'explorer'],
  ]);
  const text = [
    '# the validators',
    `/ip4/10.0.0.1/tcp/7000/p2p/${v0.peerId}`,
    `  /dns4/v1.example.org/tcp/7000/p2p/${v1.peerId}   # v1, behind a name`,
    '',
    `/ip6/2001:db8::2/tcp/7000/p2p/${v2.peerId}`,
    `/ip4/10.0.0.9/tcp/7001/p2p/${observer.peerId}`,
  ].join('\n');

  function refused(body: string, code: string, line: number, message: RegExp): void {
    assert.throws(
      () => parsePeersFile(body, { source: 'peers.txt', allowedPeers }),
      (err) => {
        assert.ok(err instanceof PeersFileError, String(err));
        assert.equal(err.code, code, err.message);
        assert.equal(err.line, line, err.message);
        assert.match(err.message, message);
        return true;
      },
    );
  }

  it('lists the addresses in file order, comments and blank lines left out, its own line skipped', () => {
    assert.deepEqual(parsePeersFile(text, { source: 'peers.txt', allowedPeers }), [
      `/ip4/10.0.0.1/tcp/7000/p2p/${v0.peerId}`,
      `/dns4/v1.example.org/tcp/7000/p2p/${v1.peerId}`,
      `/ip6/2001:db8::2/tcp/7000/p2p/${v2.peerId}`,
      `/ip4/10.0.0.9/tcp/7001/p2p/${observer.peerId}`,
    ]);
    const asV1 = parsePeersFile(text, { source: 'peers.txt', allowedPeers, selfPeerId: v1.peerId });
    assert.equal(asV1.length, 3);
    assert.ok(!asV1.some((a) => a.includes(v1.peerId)));
    assert.deepEqual(parsePeersFile('# nobody yet\r\n\r\n', { source: 'peers.txt', allowedPeers }), []);
  });

  it('refuses bad lines with typed errors naming the line', () => {
    refused(
      `${text}\nnot-a-multiaddr`,
      'INVALID_PEER_ADDRESS',
      7,
      /^peers\.txt:7: "not-a-multiaddr" is not a multiaddr/,
    );
    refused(
      `# x\n/ip4/10.0.0.1/tcp/7000`,
      'INVALID_PEER_ADDRESS',
      2,
      /must end in \/p2p|not a multiaddr ending/,
    );
    refused(`/ip4/10.0.0.1/udp/7000/p2p/${v0.peerId}`, 'INVALID_PEER_ADDRESS', 1, /has no \/tcp\/<port>/);
    refused(
      `/ip4/10.0.0.1/tcp/7000/p2p/${v0.peerId} /ip4/10.0.0.2/tcp/7000/p2p/${v1.peerId}`,
      'INVALID_PEER_ADDRESS',
      1,
      /one multiaddr a line/,
    );
    refused(
      `/ip4/10.0.0.1/tcp/7000/p2p/notapeerid`,
      'INVALID_PEER_ADDRESS',
      1,
      /"notapeerid" is not a libp2p peer id/,
    );
    refused(
      `${text}\n/ip4/10.0.0.7/tcp/7000/p2p/${identity(5).peerId}`,
      'PEER_NOT_IN_GENESIS',
      7,
      /neither a validator nor an observer/,
    );
    refused(
      `${text}\n/ip4/10.0.0.8/tcp/7000/p2p/${v2.peerId}`,
      'DUPLICATE_PEER',
      7,
      /listed on line 5 already/,
    );
    refused(`#${'x'.repeat(MAX_PEERS_FILE_BYTES)}`, 'PEERS_FILE_TOO_LARGE', 0, /^peers\.txt: is larger than/);
  });

  describe('ledger node --peers', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ledger-peers-'));
      await writeFile(join(dir, 'pass.txt'), 'pw\n');
      const lines = [v0, v1, v2].map((v, i) => `validator v${i} ${v.address} ${v.publicKey} ${v.peerId}`);
      await writeFile(
        join(dir, 'validators.txt'),
        `${lines.join('\n')}\nobserver explorer ${observer.peerId}\n`,
      );
      const built = await run(
        ['genesis', '--validators-file', 'validators.txt', '--out', '.', '--genesis-time-ms', '0'],
        dir,
      );
      assert.equal(built.code, 0, built.stderr);
      await mkdir(join(dir, 'keys'));
      await writeKeystoreFile(join(dir, 'keys', 'v1.json'), v1.secret, 'pw', { scryptN: 2 });
      await writeFile(join(dir, 'peers.txt'), text);
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("resolves the file against the genesis, a validator's own line skipped by its keystore's address", async () => {
      const dial = await peersFromFile(
        join(dir, 'peers.txt'),
        join(dir, 'genesis.json'),
        join(dir, 'keys', 'v1.json'),
      );
      assert.deepEqual(dial, [
        `/ip4/10.0.0.1/tcp/7000/p2p/${v0.peerId}`,
        `/ip6/2001:db8::2/tcp/7000/p2p/${v2.peerId}`,
        `/ip4/10.0.0.9/tcp/7001/p2p/${observer.peerId}`,
      ]);
      // a key the node will refuse (missing here) leaves every line in: the node reports the key
      const all = await peersFromFile(
        join(dir, 'peers.txt'),
        join(dir, 'genesis.json'),
        join(dir, 'keys', 'nope.json'),
      );
      assert.equal(all.length, 4);
    });

    it('refuses a bad peers file before asking for the passphrase', async () => {
      await writeFile(
        join(dir, 'bad-peers.txt'),
        `${text}\n/ip4/10.0.0.7/tcp/7000/p2p/${identity(5).peerId}\n`,
      );
      const common = ['node', '--genesis', 'genesis.json', '--key', 'keys/v1.json', '--data', 'data'];
      const bad = await run([...common, '--peers', 'bad-peers.txt'], dir);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^error PEER_NOT_IN_GENESIS: .*bad-peers\.txt:7: peer /);
      assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');

      const missing = await run([...common], dir, { LEDGER_PEERS: 'missing.txt' });
      assert.equal(missing.code, 1);
      assert.match(
        missing.stderr,
        /^error PEERS_FILE_NOT_FOUND: .*missing\.txt: cannot read the peers file: ENOENT/,
      );
      await assert.rejects(stat(join(dir, 'data')), 'no data directory made');
    });
  });
});
