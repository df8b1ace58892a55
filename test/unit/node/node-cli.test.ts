/**
 * `ledger node` refuses to start with a clear error and exit code 1 for a bad genesis, a
 * key not in the genesis, a data directory of another chain and a port in use; an
 * observer key runs without consensus. In-process (runCli / LedgerNode), cheap scrypt.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../src/cli/program.js';
import { generateSecretKey, publicKeyOf } from '../../../src/crypto/keys.js';
import { writeKeystoreFile } from '../../../src/crypto/keystore.js';
import { createGenesis, peerIdOfPublicKey } from '../../../src/genesis/index.js';
import { LedgerNode, silentLogger } from '../../../src/node/index.js';
import { createTestNet, freePorts, PASSPHRASE, type TestNet } from '../../e2e/helpers.js';

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(['node', ...args, '--log-level', 'silent'], {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
    },
    env: { LEDGER_PASSPHRASE: PASSPHRASE },
    cwd: process.cwd(),
  });
  return { code, stderr };
}

describe('ledger node: refusals', () => {
  let net: TestNet;
  let base: string[];
  let busy: Server;
  let busyPort: number;
  let freeApi: number;

  before(async () => {
    net = await createTestNet(1, 1);
    [freeApi] = await freePorts(1);
    base = ['--genesis', net.genesisPath, '--key', net.keyPaths[0], '--listen', '/ip4/127.0.0.1/tcp/0'];
    busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => new Promise<void>((ok) => busy.close(() => ok())));

  it('a missing option is a usage error (exit 2)', async () => {
    const r = await cli(['--genesis', net.genesisPath]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error MISSING_OPTION: --key is required/);
  });

  it('a bad genesis: exit 1 with the genesis error', async () => {
    const bad = join(net.dir, 'bad-genesis.json');
    await writeFile(bad, '{"chainId": "1"');
    const r = await cli(['--genesis', bad, '--key', net.keyPaths[0], '--data', join(net.dir, 'd0')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error MALFORMED_GENESIS: /);
    const missing = await cli([
      '--genesis',
      join(net.dir, 'nope.json'),
      '--key',
      net.keyPaths[0],
      '--data',
      'x',
    ]);
    assert.match(missing.stderr, /^error GENESIS_NOT_FOUND: /);
  });

  it('a key that is not in the genesis: exit 1, KEY_NOT_IN_GENESIS', async () => {
    const stranger = join(net.dir, 'stranger.json');
    await writeKeystoreFile(stranger, generateSecretKey(), PASSPHRASE, { scryptN: 16 });
    const r = await cli(['--genesis', net.genesisPath, '--key', stranger, '--data', join(net.dir, 'd1')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error KEY_NOT_IN_GENESIS: .*neither a validator nor an observer/);
  });

  it('a wrong passphrase: exit 1', async () => {
    let stderr = '';
    const code = await runCli(['node', ...base, '--data', join(net.dir, 'd2')], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      env: { LEDGER_PASSPHRASE: 'wrong' },
      cwd: process.cwd(),
    });
    assert.equal(code, 1);
    assert.match(stderr, /^error WRONG_PASSPHRASE/);
  });

  it('a data directory of another chain: exit 1, DATA_DIR_MISMATCH', async () => {
    const other = await createTestNet(1, 1);
    const dataDir = join(net.dir, 'd3');
    const node = await LedgerNode.init({
      genesisPath: other.genesisPath,
      keyPath: other.keyPaths[0],
      passphrase: PASSPHRASE,
      dataDir,
      listen: [],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      logger: silentLogger,
    });
    await node.stop();
    const r = await cli([...base, '--data', dataDir, '--api-port', String(freeApi)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error DATA_DIR_MISMATCH: data directory .* belongs to the chain with genesis/);
  });

  it('an API port in use: exit 1, PORT_IN_USE', async () => {
    const r = await cli([...base, '--data', join(net.dir, 'd4'), '--api-port', String(busyPort)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error PORT_IN_USE: API port ${busyPort} is in use`));
  });

  it('a p2p port in use: exit 1, PORT_IN_USE', async () => {
    const r = await cli([
      '--genesis',
      net.genesisPath,
      '--key',
      net.keyPaths[0],
      '--listen',
      `/ip4/127.0.0.1/tcp/${busyPort}`,
      '--data',
      join(net.dir, 'd5'),
      '--api-port',
      String(freeApi),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error PORT_IN_USE: a p2p listen address is in use/);
  });
});

describe('ledger node: observer', () => {
  it('an observer key runs the API and the network without consensus', async () => {
    const secret = generateSecretKey();
    const peerId = peerIdOfPublicKey(publicKeyOf(secret, true));
    const net = await createTestNet(1, 0);
    const { json } = createGenesis({ validators: 1, chainId: 9n, observers: [{ name: 'obs', peerId }] });
    const genesisPath = join(net.dir, 'observer-genesis.json');
    await writeFile(genesisPath, JSON.stringify(json));
    const keyPath = join(net.dir, 'observer.json');
    await writeKeystoreFile(keyPath, secret, PASSPHRASE, { scryptN: 16 });
    const node = await LedgerNode.init({
      genesisPath,
      keyPath,
      passphrase: PASSPHRASE,
      dataDir: join(net.dir, 'obs'),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      apiPort: 0,
      apiHost: '127.0.0.1',
      logger: silentLogger,
    });
    try {
      await node.start();
      const res = await fetch(`http://127.0.0.1:${node.apiPort}/api/v1/status`);
      const status = (await res.json()) as Record<string, unknown>;
      assert.equal(status.role, 'observer');
      assert.equal(status.leader, null);
      assert.equal(status.height, 0);
      assert.equal(status.peerId, peerId);
    } finally {
      await node.stop();
    }
    assert.equal(await node.done, undefined);
  });
});
